import { randomBytes } from "node:crypto";
import {
  type AccountState,
  BPS,
  FIELD_MODULUS,
  type MarketPosition,
  Side,
  contextOf,
  equitySides,
} from "../../prover/model";

export const M = 4;
export const REGISTRY = "0x00000000000000000000000000000000000000a1";
export const ACCOUNT = "0x00000000000000000000000000000000000000b2";
export const OTHER_ACCOUNT = "0x00000000000000000000000000000000000000c3";
export const CHAIN_ID = 31337n;
export const P = FIELD_MODULUS;

/** Prices with 8 decimals: ETH 3000, BTC 60000, SOL 150, ARB 0.80. */
export const PRICES = [3000_00000000n, 60000_00000000n, 150_00000000n, 80000000n];
/** Maintenance and initial ratios in basis points (5% / 10% style tiers). */
export const MM = [500n, 400n, 800n, 1000n];
export const IM = [1000n, 800n, 1600n, 2000n];
/** One unit of size: 1e10 base units, so size x price (8 decimals) is in 1e-18 quote units. */
export const UNIT = 10_000_000_000n;

export function randomSalt(): bigint {
  return BigInt(`0x${randomBytes(32).toString("hex")}`) % P;
}

export function ctx(id = 1n, account = ACCOUNT, chainId = CHAIN_ID, registry = REGISTRY): bigint {
  return contextOf(chainId, registry, account, id);
}

export function state(markets: Partial<MarketPosition>[], salt = randomSalt()): AccountState {
  const full = Array.from({ length: M }, (_, j) => ({ size: 0n, side: Side.Long, cost: 0n, ...markets[j] }));
  return { salt, markets: full };
}

/** A long 10 ETH at 2900 and a short 1 BTC at 61000: positive PnL on both at PRICES. */
export function mixedState(): AccountState {
  return state([
    { size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 2900_00000000n },
    { size: UNIT, side: Side.Short, cost: UNIT * 61000_00000000n },
  ]);
}

/**
 * The smallest collateral value V at which `s` meets `ratios` at `prices`:
 * BPS * (V + assets') >= BPS * liabilities + requirement.
 */
export function boundaryValue(s: AccountState, prices: readonly bigint[], ratios: readonly bigint[]): bigint {
  const sides = equitySides(s.markets, { value: 0n, prices }, ratios);
  const need = BPS * sides.liabilities + sides.requirement - BPS * sides.assets;
  if (need <= 0n) return 0n;
  return (need + BPS - 1n) / BPS;
}
