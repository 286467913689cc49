import { MIN_VALUE_BITS, MIN_VALUE_UNIT, VALUE_BITS } from "./constants";
import { applyDeleverage, type DeleverageResult } from "./deleverage";
import { requireRange } from "./errors";
import { signedToField } from "./field";
import { requireBox, requirePrices, requireRatios } from "./margin";
import { packCertificate, packDeleverage, packEquity, packUpdate } from "./packing";
import { type AccountState, commitment, requireValidState } from "./state";
import { type Trade, type TradeResult, applyTrade } from "./trade";

/** Circuit inputs as snarkjs takes them (signal name -> value or array of values). */
export type CircuitInputs = Record<string, bigint | bigint[]>;

/** What an input builder returns: the witness inputs and the public signals, in the circuit's order. */
export interface Statement {
  readonly inputs: CircuitInputs;
  /** Public signals as the verifier takes them (the contract rebuilds the same array). */
  readonly publicSignals: bigint[];
  /** The packed words (the tail of publicSignals). */
  readonly words: bigint[];
}

/** The private opening (salt, cash, size, side, cost) every statement takes for the state of C. */
export function openingInputs(state: AccountState): CircuitInputs {
  return {
    salt: state.salt,
    cash: signedToField(state.cash),
    size: state.markets.map((m) => m.size),
    side: state.markets.map((m) => BigInt(m.side)),
    cost: state.markets.map((m) => m.cost),
  };
}

/** The public parameters of an Update (the contract builds the same words). */
export interface UpdateParams {
  readonly trade: Trade;
  /** Settled amount s (signed): s > 0 the fund pays the account, s < 0 the account pays. */
  readonly settle: bigint;
  readonly withdrawing: boolean;
  /** V' after the settlement and the withdrawal, at current asset prices and haircuts. */
  readonly value: bigint;
  readonly prices: readonly bigint[];
  readonly mm: readonly bigint[];
  readonly im: readonly bigint[];
  /** Box of the certificate the update also proves. */
  readonly d: bigint;
  readonly pm: readonly bigint[];
  /** Dust rule: minimum collateral of a non-empty account, in units of 1e12 value units. */
  readonly minValue: bigint;
  readonly context: bigint;
  readonly newSalt: bigint;
}

export interface UpdateStatement extends Statement {
  readonly result: TradeResult;
  readonly newCommitment: bigint;
}

/**
 * Inputs of Update(M). The model does not refuse a state that fails the margin rule, the box or the dust
 * rule here (tests use that to show the circuit refuses it); it refuses what it cannot even encode.
 */
export function updateInputs(state: AccountState, p: UpdateParams): UpdateStatement {
  const M = state.markets.length;
  requirePrices(M, p.prices);
  requireRatios(M, p.mm, "mm");
  requireRatios(M, p.im, "im");
  requireRatios(M, p.pm, "pm");
  requireBox(p.d);
  requireRange("value", p.value, VALUE_BITS);
  requireRange("minValue", p.minValue, MIN_VALUE_BITS);
  const result = applyTrade(state, p.trade, p.prices, p.settle, p.newSalt);
  const newCommitment = commitment(result.next);
  const t = p.trade;
  const select = state.markets.map((_, j) => (t.kind !== "none" && t.market === j ? 1n : 0n));
  const openSide =
    t.kind === "increase" && state.markets[t.market].size === 0n ? BigInt(result.next.markets[t.market].side) : 0n;
  const words = packUpdate({
    value: p.value,
    settle: p.settle,
    withdrawing: p.withdrawing,
    d: p.d,
    minValue: p.minValue,
    prices: p.prices,
    mm: p.mm,
    im: p.im,
    pm: p.pm,
  });
  const old = commitment(state);
  const inputs: CircuitInputs = {
    commitment: old,
    newCommitment,
    context: p.context,
    word: words,
    ...openingInputs(state),
    newSalt: p.newSalt,
    select,
    increase: t.kind === "increase" ? 1n : 0n,
    openSide,
    tradeSize: t.kind === "none" ? 0n : t.size,
    costRemoved: result.costRemoved,
  };
  return { inputs, publicSignals: [old, newCommitment, p.context, ...words], words, result, newCommitment };
}

export interface CertificateParams {
  /** V at the certificate's asset prices (current for prove, pinned for respond). */
  readonly value: bigint;
  readonly d: bigint;
  readonly prices: readonly bigint[];
  readonly pm: readonly bigint[];
  readonly context: bigint;
}

/** Inputs of Certificate(M) (not refused when the box fails: callers check boxMargin() first). */
export function certificateInputs(state: AccountState, p: CertificateParams): Statement {
  requireValidState(state);
  const M = state.markets.length;
  requirePrices(M, p.prices);
  requireRatios(M, p.pm, "pm");
  requireBox(p.d);
  const words = packCertificate({ value: p.value, d: p.d, prices: p.prices, pm: p.pm });
  const c = commitment(state);
  return {
    inputs: { commitment: c, context: p.context, word: words, ...openingInputs(state) },
    publicSignals: [c, p.context, ...words],
    words,
  };
}

export interface DeleverageParams {
  /** dq_j per market. */
  readonly reduce: readonly bigint[];
  readonly prices: readonly bigint[];
  readonly feeBps: bigint;
  readonly d: bigint;
  readonly pm: readonly bigint[];
  /** V' after the fee is debited, as the contract computes it (fee from applyDeleverage / planDeleverage). */
  readonly value: bigint;
  readonly context: bigint;
  readonly newSalt: bigint;
}

export interface DeleverageStatement extends Statement {
  readonly result: DeleverageResult;
  readonly newCommitment: bigint;
}

/** Inputs of Deleverage(M) (not refused when the box fails: planDeleverage() sizes a passing one). */
export function deleverageInputs(state: AccountState, p: DeleverageParams): DeleverageStatement {
  const M = state.markets.length;
  requireRatios(M, p.pm, "pm");
  requireBox(p.d);
  requireRange("value", p.value, VALUE_BITS);
  const result = applyDeleverage(state, p.reduce, p.prices, p.feeBps, p.newSalt);
  const newCommitment = commitment(result.next);
  const words = packDeleverage({
    value: p.value,
    fee: result.fee,
    feeBps: p.feeBps,
    d: p.d,
    prices: p.prices,
    pm: p.pm,
  });
  const old = commitment(state);
  return {
    inputs: {
      commitment: old,
      newCommitment,
      context: p.context,
      word: words,
      ...openingInputs(state),
      newSalt: p.newSalt,
      reduce: [...p.reduce],
      costRemoved: [...result.costRemoved],
    },
    publicSignals: [old, newCommitment, p.context, ...words],
    words,
    result,
    newCommitment,
  };
}

export interface EquityParams {
  /** V at the liquidation-time asset prices. */
  readonly value: bigint;
  readonly claimed: bigint;
  /** penaltyBps x V / BPS, fixed at liquidation. */
  readonly penalty: bigint;
  readonly prices: readonly bigint[];
  readonly context: bigint;
}

/** Inputs of Equity(M) (not refused when claimed + penalty exceeds E: claimable() gives the bound). */
export function equityInputs(state: AccountState, p: EquityParams): Statement {
  requireValidState(state);
  requirePrices(state.markets.length, p.prices);
  const words = packEquity({ value: p.value, claimed: p.claimed, penalty: p.penalty, prices: p.prices });
  const c = commitment(state);
  return {
    inputs: { commitment: c, context: p.context, word: words, ...openingInputs(state) },
    publicSignals: [c, p.context, ...words],
    words,
  };
}

/** The dust rule's minValue in value units. */
export function minValueOf(field: bigint): bigint {
  return field * MIN_VALUE_UNIT;
}
