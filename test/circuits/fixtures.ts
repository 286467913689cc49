/** Shared numbers of the v2 circuit tests (M = 4 markets). */
import { randomBytes } from "node:crypto";
import {
  type AccountState,
  type CircuitInputs,
  Domain,
  FIELD_MODULUS,
  type MarketPosition,
  Side,
  boxShortfall,
  commitmentFields,
  contextOf,
  hashFields,
  openingInputs,
} from "../../prover/model";

export const M = 4;
export const REGISTRY = "0x00000000000000000000000000000000000000a1";
export const ACCOUNT = "0x00000000000000000000000000000000000000b2";
export const OTHER_ACCOUNT = "0x00000000000000000000000000000000000000c3";
export const CHAIN_ID = 31337n;
export const P = FIELD_MODULUS;

/** Prices with 8 decimals: ETH 3000, BTC 60000, SOL 150, ARB 0.80. */
export const PRICES = [3000_00000000n, 60000_00000000n, 150_00000000n, 80000000n];
/** Maintenance and initial ratios in basis points. */
export const MM = [500n, 400n, 800n, 1000n];
export const IM = [1000n, 800n, 1600n, 2000n];
/** One unit of size: 1e10 base units, so size x price (8 decimals) is in 1e-18 quote units. */
export const UNIT = 10_000_000_000n;
/** One quote unit (1 USD) in value units. */
export const QUOTE = 10n ** 18n;

export function randomSalt(): bigint {
  return (BigInt(`0x${randomBytes(32).toString("hex")}`) % (P - 1n)) + 1n;
}

export function ctx(domain: Domain, nonce = 1n, account = ACCOUNT): bigint {
  return contextOf(domain, CHAIN_ID, REGISTRY, account, nonce);
}

export function state(markets: Partial<MarketPosition>[], cash = 0n, salt = randomSalt()): AccountState {
  const full = Array.from({ length: M }, (_, j) => ({ size: 0n, side: Side.Long, cost: 0n, ...markets[j] }));
  return { salt, cash, markets: full };
}

/** A long 10 ETH at 2900 and a short 1 BTC at 61000 (both in profit at PRICES), with cash -500. */
export function mixedState(): AccountState {
  return state(
    [
      { size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 2900_00000000n },
      { size: UNIT, side: Side.Short, cost: UNIT * 61000_00000000n },
    ],
    -500n * QUOTE,
  );
}

/** The smallest collateral value at which `s` meets BoxMargin(d, ratios) at `prices`. */
export function boundaryValue(s: AccountState, prices: readonly bigint[], ratios: readonly bigint[], d = 0n): bigint {
  const need = boxShortfall(s, 0n, prices, d, ratios);
  if (need === undefined) throw new Error("no collateral value meets this box");
  return need;
}

/** Sets bit `bit` of public word `i` of a statement's inputs. */
export function setWordBit(words: readonly bigint[], i: number, bit: number): bigint[] {
  return words.map((w, k) => (k === i ? w | (1n << BigInt(bit)) : w));
}

/**
 * Inputs `inputs` with the old state replaced by `s` and C its commitment: a witness for a state the tests
 * commit to directly (hashFields, not commitment(), which refuses out-of-range states).
 */
export function withOld(inputs: CircuitInputs, s: AccountState): CircuitInputs {
  return { ...inputs, ...openingInputs(s), commitment: hashFields(commitmentFields(s)) };
}

/** `s` with market j changed. */
export function withMarket(s: AccountState, j: number, change: Partial<MarketPosition>): AccountState {
  return { ...s, markets: s.markets.map((m, k) => (k === j ? { ...m, ...change } : m)) };
}
