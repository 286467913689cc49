/**
 * Sends a transaction and replaces it with higher fees (same nonce) while it is not mined: what a
 * respond must do when the network is congested and the deadline is near.
 */
import type { ContractTransactionResponse, Provider, Signer, TransactionReceipt } from "ethers";

export interface BumpOptions {
  /** Replace the transaction if it is not mined after this long. */
  bumpAfterMs: number;
  /** How many replacements at most. */
  maxBumps: number;
  /** Fee multiplier per replacement, in percent (>= 110: nodes require a 10% bump). */
  bumpPercent: number;
}

export type Send = (overrides: {
  nonce: number;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}) => Promise<ContractTransactionResponse>;

export async function sendWithBumps(
  signer: Signer,
  send: Send,
  o: BumpOptions,
  onBump?: (n: number, fee: bigint) => void,
): Promise<TransactionReceipt> {
  const provider = signer.provider as Provider;
  const nonce = await signer.getNonce("pending");
  const fees = await provider.getFeeData();
  let maxPriorityFeePerGas = fees.maxPriorityFeePerGas ?? 1_000_000_000n;
  let maxFeePerGas = fees.maxFeePerGas ?? (fees.gasPrice ?? 1_000_000_000n) * 2n;
  const hashes: string[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      const tx = await send({ nonce, maxFeePerGas, maxPriorityFeePerGas });
      hashes.push(tx.hash);
    } catch (e) {
      // "nonce too low" / "already known": an earlier attempt was mined or is still in the pool
      if (hashes.length === 0) throw e;
    }
    const deadline = Date.now() + o.bumpAfterMs;
    while (Date.now() < deadline) {
      for (const h of hashes) {
        const r = await provider.getTransactionReceipt(h);
        if (r) return r;
      }
      await new Promise((res) => setTimeout(res, Math.min(200, o.bumpAfterMs)));
    }
    if (attempt >= o.maxBumps)
      throw new Error(`transaction not mined after ${o.maxBumps} fee bumps (${hashes.join(", ")})`);
    maxPriorityFeePerGas = (maxPriorityFeePerGas * BigInt(o.bumpPercent)) / 100n + 1n;
    maxFeePerGas = (maxFeePerGas * BigInt(o.bumpPercent)) / 100n + 1n;
    onBump?.(attempt + 1, maxFeePerGas);
  }
}
