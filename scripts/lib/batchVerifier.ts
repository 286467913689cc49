/**
 * The batch Groth16 verifier (contracts/verifiers-batch/BatchVerifier.sol) takes its verification key as
 * constructor arguments, kept in immutables. This module turns a snarkjs vkey json into those arguments,
 * deploys an instance, and checks a deployed instance against a vkey json byte for byte: the expected
 * runtime code is what the constructor returns for the same arguments (an eth_call without `to`), and the
 * contract's vkHash() must equal keccak256 of the ABI-encoded arguments.
 */
import { type Provider, type Signer, getAddress } from "ethers";
import { type BatchVerifier, BatchVerifier__factory } from "../../core/contracts";
import { batchVkHash, vkeyArgs } from "../../core/groth16";

// The key parsing and hash live in core/ (the relayer checks a deployed instance with them too).
export {
  BASE_FIELD,
  type BatchVerifierArgs,
  CONSTRUCTOR_TYPES,
  type G1,
  type G2,
  MAX_IC,
  SCALAR_FIELD,
  batchVkHash,
  vkeyArgs,
} from "../../core/groth16";

/** The runtime code of a BatchVerifier made with this key: its constructor, run by an eth_call without `to`. */
export async function expectedRuntimeCode(provider: Provider, vkeyJson: unknown): Promise<string> {
  const tx = await new BatchVerifier__factory().getDeployTransaction(...vkeyArgs(vkeyJson));
  return (await provider.call({ data: tx.data })).toLowerCase();
}

/**
 * Throws unless the contract at `address` is this repository's BatchVerifier (same compiled code) holding
 * exactly this verification key: its runtime code equals expectedRuntimeCode byte for byte and its vkHash()
 * equals batchVkHash. Run it before trusting a deployed instance (MACI issue 443's check, for immutables).
 */
export async function requireBatchVerifier(provider: Provider, address: string, vkeyJson: unknown): Promise<void> {
  const at = getAddress(address);
  const [code, expected] = await Promise.all([
    provider.getCode(at).then((c) => c.toLowerCase()),
    expectedRuntimeCode(provider, vkeyJson),
  ]);
  if (code === "0x") throw new Error(`no contract is deployed at ${at}`);
  if (code !== expected) {
    const differs = [...code].findIndex((ch, i) => ch !== expected[i]);
    const first = differs < 0 ? Math.min(code.length, expected.length) : differs;
    throw new Error(
      `the code at ${at} is not a BatchVerifier for this verification key (first difference at byte ${Math.floor((first - 2) / 2)} of ${(code.length - 2) / 2})`,
    );
  }
  const onChain = await BatchVerifier__factory.connect(at, provider).vkHash();
  if (onChain !== batchVkHash(vkeyJson))
    throw new Error(`the BatchVerifier at ${at} reports another vkHash (${onChain})`);
}

/** Deploys a BatchVerifier for a snarkjs vkey json and checks the deployed code against it. */
export async function deployBatchVerifier(signer: Signer, vkeyJson: unknown): Promise<BatchVerifier> {
  const provider = signer.provider;
  if (!provider) throw new Error("deployBatchVerifier: the signer has no provider");
  const contract = await new BatchVerifier__factory(signer).deploy(...vkeyArgs(vkeyJson));
  await contract.waitForDeployment();
  await requireBatchVerifier(provider, await contract.getAddress(), vkeyJson);
  return contract;
}
