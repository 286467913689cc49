/**
 * The registry's collateral arithmetic, computed locally (contracts/registry/logic/Shared.sol and
 * RegistryLens): collateral value at asset prices and haircuts, a loss taken settlement asset first,
 * token amounts of a value. The prover uses it so that no view is ever called with a trade's values;
 * test/prover/value.test.ts checks it against the lens.
 */
const BPS = 10_000n;
const PRICE_TO_VALUE = 10n ** 10n;

export interface AssetTable {
  readonly decimals: readonly number[];
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** V = sum_i balance_i x price_i x haircut_i x 1e10 / (BPS x 10^decimals_i), rounded down per asset. */
export function valueOf(
  balances: readonly bigint[],
  assetPrices: readonly bigint[],
  haircuts: readonly bigint[],
  decimals: readonly number[],
): bigint {
  let v = 0n;
  for (let i = 0; i < decimals.length; i++) {
    if (balances[i] === 0n) continue;
    v += (balances[i] * assetPrices[i] * haircuts[i] * PRICE_TO_VALUE) / (BPS * 10n ** BigInt(decimals[i]));
  }
  return v;
}

/** Tokens of asset i worth `v` value units at `price` (no haircut), rounded down or up. */
export function tokensFor(v: bigint, price: bigint, decimals: number, round: "down" | "up" = "down"): bigint {
  const num = v * 10n ** BigInt(decimals);
  const den = price * PRICE_TO_VALUE;
  return round === "down" ? num / den : ceilDiv(num, den);
}

/** Value of `amount` tokens at `price` without haircut (rounded down). */
export function rawValue(amount: bigint, price: bigint, decimals: number): bigint {
  return (amount * price * PRICE_TO_VALUE) / 10n ** BigInt(decimals);
}

/** Balances after the registry takes `v` value units at oracle prices, settlement asset first (takeValue). */
export function afterLoss(
  balances: readonly bigint[],
  v: bigint,
  assetPrices: readonly bigint[],
  decimals: readonly number[],
): bigint[] {
  const bal = [...balances];
  let rest = v;
  for (let i = 0; i < decimals.length && rest > 0n; i++) {
    const take =
      bal[i] < tokensFor(rest, assetPrices[i], decimals[i], "up")
        ? bal[i]
        : tokensFor(rest, assetPrices[i], decimals[i], "up");
    bal[i] -= take;
    const covered = rawValue(take, assetPrices[i], decimals[i]);
    rest = covered >= rest ? 0n : rest - covered;
  }
  if (rest > 0n) throw new RangeError(`the collateral does not cover ${rest} value units`);
  return bal;
}

export interface ValueAfterUpdate {
  readonly balances: bigint[];
  readonly value: bigint;
  /** Tokens the fund will pay now for s > 0 (the rest is owed to the owner's address). */
  readonly paidTokens: bigint;
  readonly owedTokens: bigint;
}

/** V' of an update: settle s (paid by the fund up to what it has available), then the withdrawal. */
export function valueAfterUpdate(
  s: {
    collateral: readonly bigint[];
    assetPrices: readonly bigint[];
    haircuts: readonly bigint[];
    decimals: readonly number[];
    fundAvailable: bigint;
  },
  settle: bigint,
  withdraw?: { asset: number; amount: bigint },
): ValueAfterUpdate {
  let bal = [...s.collateral];
  let paidTokens = 0n;
  let owedTokens = 0n;
  if (settle > 0n) {
    const tokens = tokensFor(settle, s.assetPrices[0], s.decimals[0], "down");
    paidTokens = tokens < s.fundAvailable ? tokens : s.fundAvailable;
    owedTokens = tokens - paidTokens;
    bal[0] += paidTokens;
  } else if (settle < 0n) {
    bal = afterLoss(bal, -settle, s.assetPrices, s.decimals);
  }
  if (withdraw && withdraw.amount > 0n) {
    if (bal[withdraw.asset] < withdraw.amount) {
      throw new RangeError(`asset ${withdraw.asset}: ${bal[withdraw.asset]} held, ${withdraw.amount} to withdraw`);
    }
    bal[withdraw.asset] -= withdraw.amount;
  }
  return { balances: bal, value: valueOf(bal, s.assetPrices, s.haircuts, s.decimals), paidTokens, owedTokens };
}
