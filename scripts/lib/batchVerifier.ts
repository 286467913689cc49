/**
 * The batch Groth16 verifier (contracts/verifiers-batch/BatchVerifier.sol) takes its verification key as
 * constructor arguments, kept in immutables. This module turns a snarkjs vkey json into those arguments,
 * deploys an instance, and checks a deployed instance against a vkey json byte for byte: the expected
 * runtime code is what the constructor returns for the same arguments (an eth_call without `to`), and the
 * contract's vkHash() must equal keccak256 of the ABI-encoded arguments.
 */
import { AbiCoder, type Provider, type Signer, getAddress, keccak256 } from "ethers";
import { z } from "zod";
import { type BatchVerifier, BatchVerifier__factory } from "../../core/contracts";
import { FIELD_MODULUS } from "../../core/encoding";

/** BN254 scalar field (group order r): every public signal is below it. */
export const SCALAR_FIELD = FIELD_MODULUS;
/** BN254 base field (q): every proof and key coordinate is below it. */
export const BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** IC points the contract holds at most (nPublic + 1): circuits with up to 7 public inputs. */
export const MAX_IC = 8;

/** Affine G1 point (x, y); (0, 0) is the point at infinity. */
export type G1 = [bigint, bigint];
/** G2 point in the precompile's (and verifyProof's `_pB`) order: [[x.c1, x.c0], [y.c1, y.c0]]. */
export type G2 = [[bigint, bigint], [bigint, bigint]];
/** BatchVerifier's constructor arguments. */
export type BatchVerifierArgs = [alpha: G1, beta: G2, gamma: G2, delta: G2, ic: G1[]];

/** The constructor's parameter types: vkHash is keccak256 of these, ABI-encoded. */
export const CONSTRUCTOR_TYPES = ["uint256[2]", "uint256[2][2]", "uint256[2][2]", "uint256[2][2]", "uint256[2][]"];

const fq = z
  .string()
  .regex(/^[0-9]+$/, "a decimal integer")
  .transform((x) => BigInt(x))
  .refine((x) => x < BASE_FIELD, "a coordinate must be < q");
/** snarkjs writes G1 points projectively: [x, y, "1"], or [0, 1, 0] for the point at infinity. */
const g1 = z
  .tuple([fq, fq, z.enum(["0", "1"])])
  .refine(([x, y, zc]) => zc === "1" || (x === 0n && y === 1n), "a G1 point must be affine ([x, y, 1]) or [0, 1, 0]")
  .transform(([x, y, zc]): G1 => (zc === "1" ? [x, y] : [0n, 0n]));
/** G2 as [[x.c0, x.c1], [y.c0, y.c1], [1, 0]]; the precompile takes each F_q^2 element as (c1, c0). */
const g2 = z
  .tuple([z.tuple([fq, fq]), z.tuple([fq, fq]), z.tuple([z.literal("1"), z.literal("0")])])
  .transform(([x, y]): G2 => [
    [x[1], x[0]],
    [y[1], y[0]],
  ]);
const VerificationKey = z
  .object({
    protocol: z.literal("groth16"),
    curve: z.literal("bn128"),
    nPublic: z
      .number()
      .int()
      .min(0)
      .max(MAX_IC - 1),
    vk_alpha_1: g1,
    vk_beta_2: g2,
    vk_gamma_2: g2,
    vk_delta_2: g2,
    IC: z.array(g1).min(1).max(MAX_IC),
  })
  .refine((v) => v.IC.length === v.nPublic + 1, "IC must hold nPublic + 1 points");

/** Constructor arguments of a BatchVerifier for a snarkjs vkey json (parsed or not); throws on a bad key. */
export function vkeyArgs(vkeyJson: unknown): BatchVerifierArgs {
  const parsed = VerificationKey.safeParse(typeof vkeyJson === "string" ? JSON.parse(vkeyJson) : vkeyJson);
  if (!parsed.success) {
    throw new Error(
      `not a BN254 Groth16 verification key for the batch verifier: ${parsed.error.issues
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}`,
    );
  }
  const v = parsed.data;
  return [v.vk_alpha_1, v.vk_beta_2, v.vk_gamma_2, v.vk_delta_2, v.IC];
}

/** What BatchVerifier.vkHash() returns for this key. */
export function batchVkHash(vkeyJson: unknown): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(CONSTRUCTOR_TYPES, vkeyArgs(vkeyJson)));
}

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
