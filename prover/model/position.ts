import { COST_BITS, POSITION_TAG, SIZE_BITS, MAX_MARKETS } from "./constants";
import { ModelError, ModelErrorCode, requireRange } from "./errors";
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

/** A trader's private state: the opening of the on-chain commitment. */
export interface AccountState {
  readonly salt: bigint;
  readonly markets: readonly MarketPosition[];
}

export const EMPTY_MARKET: MarketPosition = { size: 0n, side: Side.Long, cost: 0n };

/**
 * The state every account starts from: no positions and salt 0. Its commitment is a public
 * constant (the registry stores it on open); the first update moves to a fresh random salt.
 */
export function emptyState(markets: number): AccountState {
  requireMarketCount(markets);
  return { salt: 0n, markets: Array.from({ length: markets }, () => EMPTY_MARKET) };
}

export function requireMarketCount(markets: number): void {
  if (!Number.isInteger(markets) || markets < 1 || markets > MAX_MARKETS) {
    throw new ModelError(ModelErrorCode.BadShape, `market count ${markets} is outside 1..${MAX_MARKETS}`);
  }
}

/** Checks Check (1) of every statement: position fields in range. */
export function requireValidState(state: AccountState): void {
  requireMarketCount(state.markets.length);
  state.markets.forEach((m, j) => {
    requireRange(`market ${j} size`, m.size, SIZE_BITS);
    requireRange(`market ${j} cost`, m.cost, COST_BITS);
    if (m.side !== Side.Long && m.side !== Side.Short) {
      throw new ModelError(ModelErrorCode.OutOfRange, `market ${j} side ${String(m.side)} is not 0 or 1`);
    }
  });
}

/** The fields PositionCommitment(M) hashes, in order. */
export function commitmentFields(state: AccountState): bigint[] {
  const fields = [POSITION_TAG, state.salt];
  for (const m of state.markets) {
    fields.push(m.size + BigInt(m.side) * (1n << BigInt(SIZE_BITS)), m.cost);
  }
  return fields;
}

/** C = Poseidon(tag, salt, size_j + side_j * 2^96, cost_j ...), as circuits/lib/position.circom. */
export function commitment(state: AccountState): bigint {
  requireValidState(state);
  return hashFields(commitmentFields(state));
}
