/**
 * Batch verification gas: BatchVerifier (contracts/verifiers-batch/) deployed by scripts/lib/batchVerifier for
 * the batched circuit's vkey, checking k real, distinct proofs (Groth16 proving is randomised, so proving one
 * fixed valid input k times gives k distinct proofs), on Hardhat's in-process network.
 *
 *  gas.verify_batch1, gas.verify_batch8, gas.verify_batch16
 *                     verifyBatch(a, b, c, publicSignals) of k proofs: eth_estimateGas of a direct call minus the
 *                     21000 intrinsic gas, as gas.verify_solvency. What remains is the verifier's execution
 *                     (one ecPairing of k + 3 pairs, 2 ecMul + 1 ecAdd per proof after the first, nPublic + 2
 *                     ecMul for alpha and the public-input MSM, transcript hashing) plus the call's calldata
 *                     (about 5.9k gas per proof for 3 public inputs). Model: docs/batch-verification.md.
 *  gas.verify_batch16_flat  the same 16 proofs through verifyBatchFlat (signals concatenated).
 *
 * Hardhat is imported lazily; run without HARDHAT_NETWORK so the in-process network is used. Not yet listed
 * in bench/run.ts: its entry would be `{ name: "batch", run: async () => (await import("./batch")).batchFigures() }`.
 */
import type { CircuitName } from "../core/artifacts";
import { CircuitKeys, type ProofResult } from "../prover/lib/circuits";
import { deployBatchVerifier } from "../scripts/lib/batchVerifier";
import { type Figure, figure, progress } from "./lib/figures";
import { benchInputs } from "./lib/inputs";

/** The batched statement; switch here when the certificate circuit replaces solvency. */
const CIRCUIT: CircuitName = "solvency";
/** Batch sizes measured; the largest sets how many proofs are made. */
export const BATCH_SIZES = [1, 8, 16] as const;
const INTRINSIC_GAS = 21_000;

export async function batchFigures(): Promise<Figure[]> {
  if (process.env.HARDHAT_NETWORK && process.env.HARDHAT_NETWORK !== "hardhat") {
    throw new Error(
      `batch figures need the in-process network: unset HARDHAT_NETWORK (${process.env.HARDHAT_NETWORK})`,
    );
  }
  const { ethers } = (await import("hardhat")).default;
  const keys = await CircuitKeys.load(CIRCUIT);
  const largest = Math.max(...BATCH_SIZES);
  progress(`batch: proving ${largest} ${CIRCUIT} proofs`);
  const proofs: ProofResult[] = [];
  for (let i = 0; i < largest; i++) proofs.push(await keys.prove(benchInputs(CIRCUIT)));

  const [signer] = await ethers.getSigners();
  const batch = await deployBatchVerifier(signer, keys.vkey);
  const args = (k: number) => {
    const ps = proofs.slice(0, k);
    return [ps.map((p) => p.proof.a), ps.map((p) => p.proof.b), ps.map((p) => p.proof.c)] as const;
  };

  const figures: Figure[] = [];
  for (const k of BATCH_SIZES) {
    const [a, b, c] = args(k);
    const signals = proofs.slice(0, k).map((p) => p.publicSignals);
    if (!(await batch.verifyBatch(a, b, c, signals))) throw new Error(`a batch of ${k} valid proofs does not verify`);
    const gas = Number(await batch.verifyBatch.estimateGas(a, b, c, signals)) - INTRINSIC_GAS;
    progress(`batch: verifyBatch k=${k}: ${gas} gas (${Math.round(gas / k)} per proof)`);
    figures.push(figure(`gas.verify_batch${k}`, gas, "gas"));
  }
  const [a, b, c] = args(largest);
  const flatSignals = proofs.flatMap((p) => p.publicSignals);
  if (!(await batch.verifyBatchFlat(a, b, c, flatSignals))) throw new Error("the flat batch does not verify");
  const flat = Number(await batch.verifyBatchFlat.estimateGas(a, b, c, flatSignals)) - INTRINSIC_GAS;
  figures.push(figure(`gas.verify_batch${largest}_flat`, flat, "gas"));
  return figures;
}
