import { signedToField } from "./field";
import { snapshotHash } from "./context";
import { type MarketSnapshot, equity, requireSnapshot } from "./margin";
import { type AccountState, commitment, requireValidState } from "./position";
import { type Trade, type TradeResult, applyTrade } from "./trade";

/** Circuit inputs as snarkjs takes them (signal name -> value or array of values). */
export type CircuitInputs = Record<string, bigint | bigint[]>;

function opening(state: AccountState): CircuitInputs {
  return {
    size: state.markets.map((m) => m.size),
    side: state.markets.map((m) => BigInt(m.side)),
    cost: state.markets.map((m) => m.cost),
  };
}

/**
 * Inputs of Solvency(M). The model does not refuse an insolvent state here: tests use that to show
 * the circuit refuses it. Callers that must not waste a proof check meetsMargin() first.
 */
export function solvencyInputs(
  state: AccountState,
  snapshot: MarketSnapshot,
  ratios: readonly bigint[],
  context: bigint,
): CircuitInputs {
  requireValidState(state);
  requireSnapshot(state.markets.length, snapshot, ratios);
  return {
    commitment: commitment(state),
    value: snapshot.value,
    snapshotHash: snapshotHash(context, snapshot.prices, ratios),
    salt: state.salt,
    ...opening(state),
    context,
    price: [...snapshot.prices],
    ratio: [...ratios],
  };
}

export interface UpdateWitness {
  readonly inputs: CircuitInputs;
  readonly result: TradeResult;
  readonly newCommitment: bigint;
}

/**
 * Inputs of Update(M) for `trade` on `state`; `valueAfter` is the collateral value after the update
 * (withdrawal and pnl applied), as the contract computes it.
 */
export function updateInputs(
  state: AccountState,
  trade: Trade,
  snapshot: MarketSnapshot,
  ratios: readonly bigint[],
  context: bigint,
  newSalt: bigint,
): UpdateWitness {
  requireSnapshot(state.markets.length, snapshot, ratios);
  const result = applyTrade(state, trade, snapshot.prices, newSalt);
  const M = state.markets.length;
  const select = Array.from({ length: M }, (_, j) => (trade.kind !== "none" && trade.market === j ? 1n : 0n));
  const newCommitment = commitment(result.next);
  const traded = trade.kind === "none" ? undefined : state.markets[trade.market];
  const openSide =
    trade.kind === "increase" && traded?.size === 0n ? BigInt(result.next.markets[trade.market].side) : 0n;
  const inputs: CircuitInputs = {
    oldCommitment: commitment(state),
    newCommitment,
    value: snapshot.value,
    pnl: signedToField(result.pnl),
    context,
    price: [...snapshot.prices],
    ratio: [...ratios],
    oldSalt: state.salt,
    ...opening(state),
    newSalt,
    select,
    increase: trade.kind === "increase" ? 1n : 0n,
    openSide,
    tradeSize: trade.kind === "none" ? 0n : trade.size,
    costRemoved: result.costRemoved,
  };
  return { inputs, result, newCommitment };
}

/** Inputs of Equity(M) and the equity it outputs (negative equity cannot be proven). */
export function equityInputs(
  state: AccountState,
  snapshot: MarketSnapshot,
  context: bigint,
): { inputs: CircuitInputs; equity: bigint } {
  requireValidState(state);
  requireSnapshot(state.markets.length, snapshot);
  return {
    inputs: {
      commitment: commitment(state),
      value: snapshot.value,
      context,
      price: [...snapshot.prices],
      salt: state.salt,
      ...opening(state),
    },
    equity: equity(state.markets, snapshot),
  };
}
