/**
 * Refuses to prove with keys that do not match the deployed verifier (MACI issue 443): every constant of
 * the local verification key (alpha, beta, gamma, delta and every IC point) must appear in the verifier's
 * deployed bytecode, where snarkjs's exported verifier embeds them as PUSH constants.
 */
import type { Provider } from "ethers";
import type { ZkMarginRegistry } from "../../core/contracts";
import type { ProverKeys, VerificationKey } from "./circuits";
import { ProverError, ProverErrorCode } from "./errors";

/** Minimal big-endian hex (the optimiser pushes constants with the shortest PUSH that fits). */
function minimalHex(x: string): string {
  let h = BigInt(x).toString(16);
  if (h.length % 2) h = `0${h}`;
  return h;
}

export function verificationConstants(vk: VerificationKey): string[] {
  const g2 = (p: string[][]) => [p[0][0], p[0][1], p[1][0], p[1][1]];
  return [
    vk.vk_alpha_1[0],
    vk.vk_alpha_1[1],
    ...g2(vk.vk_beta_2),
    ...g2(vk.vk_gamma_2),
    ...g2(vk.vk_delta_2),
    ...vk.IC.flatMap((p) => [p[0], p[1]]),
  ];
}

/** Throws VerifierMismatch naming the first constant missing from the bytecode at `address`. */
export async function requireMatchingVerifier(
  provider: Provider,
  address: string,
  vk: VerificationKey,
  name: string,
): Promise<void> {
  const code = (await provider.getCode(address)).toLowerCase();
  if (code === "0x")
    throw new ProverError(ProverErrorCode.VerifierMismatch, `no ${name} verifier is deployed at ${address}`);
  const constants = verificationConstants(vk);
  const missing = constants.findIndex((c) => !code.includes(minimalHex(c)));
  if (missing >= 0) {
    throw new ProverError(
      ProverErrorCode.VerifierMismatch,
      `the local ${name} verification key does not match the verifier deployed at ${address} (constant ${missing} of ${constants.length} differs): refusing to prove with keys the chain would reject`,
    );
  }
}

/** Checks the four statements' keys (and the batch verifier's, which embeds the certificate key). */
export async function requireMatchingVerifiers(registry: ZkMarginRegistry, keys: ProverKeys): Promise<void> {
  const provider = registry.runner?.provider;
  if (!provider) throw new Error("the registry contract has no provider");
  await requireMatchingVerifier(provider, await registry.updateVerifier(), keys.update.vkey, "update");
  await requireMatchingVerifier(provider, await registry.certificateVerifier(), keys.certificate.vkey, "certificate");
  await requireMatchingVerifier(provider, await registry.deleverageVerifier(), keys.deleverage.vkey, "deleverage");
  await requireMatchingVerifier(provider, await registry.equityVerifier(), keys.equity.vkey, "equity");
  await requireMatchingVerifier(provider, await registry.batchVerifier(), keys.certificate.vkey, "batch certificate");
}
