/** EIP-1559 fees from the head block's base fee, the configured cap, and replacement bumps. */

export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

export interface FeeSettings {
  readonly maxFeePerGasWei: bigint;
  readonly priorityFeeWei: bigint;
  readonly bumpPercent: number;
}

export interface FeeQuote extends Fees {
  /** What a gas unit is expected to cost (base fee + tip, capped): the profitability rule uses it. */
  readonly expectedGasPrice: bigint;
}

/**
 * maxFee = min(cap, 2 x baseFee + tip) (room for two full blocks of base-fee growth). Undefined when
 * the base fee already reaches the cap: nothing we send would be included, so the round sends nothing.
 */
export function quoteFees(baseFeePerGas: bigint | null, s: FeeSettings): FeeQuote | undefined {
  const base = baseFeePerGas ?? 0n;
  if (base >= s.maxFeePerGasWei) return undefined;
  const maxFee = min(s.maxFeePerGasWei, 2n * base + s.priorityFeeWei);
  const tip = min(s.priorityFeeWei, maxFee);
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip, expectedGasPrice: min(maxFee, base + tip) };
}

/** Both fees raised by bumpPercent (rounded up, at least +1 wei), capped at maxFeePerGasWei. */
export function bumpFees(f: Fees, s: FeeSettings): Fees {
  const up = (v: bigint) => {
    const raised = (v * BigInt(100 + s.bumpPercent) + 99n) / 100n;
    return raised > v ? raised : v + 1n;
  };
  const maxFee = min(s.maxFeePerGasWei, up(f.maxFeePerGas));
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: min(maxFee, up(f.maxPriorityFeePerGas)) };
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
