import { COST_BITS, DEFAULT_MARKETS, MAX_MARKETS, SIZE_BITS, STATE_TAG } from "./constants";
import { ModelError, ModelErrorCode, requireRange, requireSigned127 } from "./errors";
import { signedToField } from "./field";
import { hashFields } from "./hash";

export enum Side {
  Long = 0,
  Short = 1,
}

/** One market's private position: size q, side s, entry cost basis K (sum of size x price). */
export interface MarketPosition {
  readonly size: bigint;
  readonly side: Side;
  readonly cost: bigint;
}

/**
 * A trader's private v2 state, the opening of the on-chain commitment: a salt, the signed cash c
 * (realised PnL not yet settled, value units) and one position per market.
 */
export interface AccountState {
  readonly salt: bigint;
  readonly cash: bigint;
  readonly markets: readonly MarketPosition[];
}

export const EMPTY_MARKET: MarketPosition = { size: 0n, side: Side.Long, cost: 0n };

/**
 * The state every account starts from: salt 0, cash 0, no positions (all sides long). Its commitment is
 * a public constant (EMPTY_COMMITMENT for M = 4, stored by the registry on open); every state a proof
 * creates has a fresh salt != 0.
 */
export function emptyState(markets = DEFAULT_MARKETS): AccountState {
  requireMarketCount(markets);
  return { salt: 0n, cash: 0n, markets: Array.from({ length: markets }, () => EMPTY_MARKET) };
}

/** True for the state with no cash and no position (whatever its salt). */
export function isFlat(state: AccountState): boolean {
  return state.cash === 0n && state.markets.every((m) => m.size === 0n && m.cost === 0n && m.side === Side.Long);
}

export function requireMarketCount(markets: number): void {
  if (!Number.isInteger(markets) || markets < 1 || markets > MAX_MARKETS) {
    throw new ModelError(ModelErrorCode.BadShape, `market count ${markets} is outside 1..${MAX_MARKETS}`);
  }
}

/**
 * Check (1) and the salt rule of Check (2) of every statement: every field in range (salt in [0, p) is
 * the caller's: any bigint below p), and salt 0 only for the empty state.
 */
export function requireValidState(state: AccountState): void {
  requireMarketCount(state.markets.length);
  requireSigned127("cash", state.cash);
  state.markets.forEach((m, j) => {
    requireRange(`market ${j} size`, m.size, SIZE_BITS);
    requireRange(`market ${j} cost`, m.cost, COST_BITS);
    if (m.side !== Side.Long && m.side !== Side.Short) {
      throw new ModelError(ModelErrorCode.OutOfRange, `market ${j} side ${String(m.side)} is not 0 or 1`);
    }
  });
  if (state.salt === 0n && !isFlat(state)) {
    throw new ModelError(ModelErrorCode.SaltRule, "salt 0 is reserved for the empty state");
  }
}

/** The fields StateCommitment(M) hashes, in order (cash as a field element). */
export function commitmentFields(state: AccountState): bigint[] {
  const fields = [STATE_TAG, state.salt, signedToField(state.cash)];
  for (const m of state.markets) {
    fields.push(m.size + BigInt(m.side) * (1n << BigInt(SIZE_BITS)), m.cost);
  }
  return fields;
}

/** C = Poseidon(TAG_V2, salt, c, q_0 + s_0 2^96, K_0, ...), as circuits/lib/state.circom. */
export function commitment(state: AccountState): bigint {
  requireValidState(state);
  return hashFields(commitmentFields(state));
}

/** Commitment of the empty state for M = 4: the registry's Solidity constant. */
export const EMPTY_COMMITMENT = 0x08cd1d5eca5dd03f998cac798549adc93e6efaf0a66aa44d068d9fbf7238f3e3n;
