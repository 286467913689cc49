/**
 * What the trader proves, built from the public state the registry will rebuild (chain.ts reads it,
 * value.ts computes the post-update value locally): each builder checks the statement with the reference
 * model first (so no proof is wasted and errors say what is possible), then proves. Nothing here sends
 * a transaction; the caller persists the next state first, then sends.
 */
import { randomBytes } from "node:crypto";
import { FIELD_MODULUS } from "../../core/encoding";
import {
  type AccountState,
  BPS,
  Domain,
  ModelError,
  ModelErrorCode,
  type Trade,
  applyTrade,
  boxMargin,
  boxShortfall,
  certificateInputs,
  claimable,
  contextOf,
  deleverageInputs,
  equityInputs,
  marginRatios,
  maxBoxBps,
  planDeleverage,
  roundClaim,
  updateInputs,
  usesInitialMargin,
} from "../model";
import {
  type ChallengeRecord,
  type LiquidationRecord,
  type PublicState,
  pack16,
  unpack16,
  unpackPrices,
} from "./chain";
import type { ProofResult, ProverKeys } from "./circuits";
import { afterLoss, valueAfterUpdate, valueOf } from "./value";

/** A fresh uniformly random salt in [1, p) (salt 0 is reserved for the public empty state). */
export function freshSalt(): bigint {
  for (;;) {
    const s = BigInt(`0x${randomBytes(32).toString("hex")}`) % FIELD_MODULUS;
    if (s !== 0n) return s;
  }
}

/**
 * How the prover chooses a certificate's box and proven ratios. d is public: to reveal as little as
 * possible about the distance to liquidation, it is the largest of a few fixed levels up to `targetBps`
 * that the state passes (a healthy account always proves exactly `targetBps`); pm is the required
 * maintenance plus a fixed buffer, so a small ratio increase does not make it challengeable at once.
 */
export interface CertPolicy {
  readonly targetBps: bigint;
  readonly levels: readonly bigint[];
  readonly ratioBufferBps: bigint;
}

export const DEFAULT_CERT_POLICY: CertPolicy = {
  targetBps: 1_000n,
  levels: [5_000n, 2_000n, 1_000n, 500n, 200n, 100n, 50n, 20n, 0n],
  ratioBufferBps: 50n,
};

export interface CertChoice {
  readonly d: bigint;
  readonly pm: bigint[];
}

/** The certificate `policy` proves for `state` at (V, prices) with maintenance `required`, if any passes. */
export function chooseCert(
  state: AccountState,
  value: bigint,
  prices: readonly bigint[],
  required: readonly bigint[],
  policy: CertPolicy = DEFAULT_CERT_POLICY,
): CertChoice | undefined {
  const buffered = required.map((r) => (r + policy.ratioBufferBps > BPS ? BPS : r + policy.ratioBufferBps));
  for (const pm of [buffered, [...required]]) {
    const max = maxBoxBps(state, value, prices, pm);
    if (max === undefined) continue;
    const cap = max < policy.targetBps ? max : policy.targetBps;
    const d = policy.levels.find((l) => l <= cap) ?? 0n;
    if (boxMargin(state, value, prices, d, pm)) return { d, pm };
  }
  return undefined;
}

function context(view: PublicState, domain: Domain, nonce: bigint): bigint {
  return contextOf(domain, view.chainId, view.registry, view.account, nonce);
}

const QUOTE = 10n ** 18n;
/** Value units as quote units with 2 decimals (1e18 value units = 1 quote unit). */
export function fmtQuote(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const cents = (a + QUOTE / 200n) / (QUOTE / 100n);
  const s = `${cents / 100n}`.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}${s}.${(cents % 100n).toString().padStart(2, "0")}`;
}

export interface PreparedUpdate {
  readonly next: AccountState;
  readonly args: {
    newCommitment: bigint;
    settle: bigint;
    withdrawAsset: bigint;
    withdrawAmount: bigint;
    d: bigint;
    pm: bigint;
  };
  readonly proof: ProofResult;
  readonly valueAfter: bigint;
  /** Settlement tokens the fund pays now and what it will owe (s > 0). */
  readonly paidTokens: bigint;
  readonly owedTokens: bigint;
  readonly cert: CertChoice;
}

export interface UpdateRequest {
  readonly trade: Trade;
  /** s: > 0 take realised gains into collateral, < 0 pay realised losses; 0 none. */
  readonly settle?: bigint;
  readonly withdraw?: { asset: number; amount: bigint };
}

/** Proves a trade, a settlement and/or a withdrawal at the current oracle prices. */
export async function prepareUpdate(
  keys: ProverKeys,
  view: PublicState,
  state: AccountState,
  req: UpdateRequest,
  policy: CertPolicy = DEFAULT_CERT_POLICY,
  salt = freshSalt(),
): Promise<PreparedUpdate> {
  const settle = req.settle ?? 0n;
  const withdrawing = (req.withdraw?.amount ?? 0n) > 0n;
  if (req.withdraw && withdrawing) {
    const held = view.collateral[req.withdraw.asset];
    if (held === undefined) {
      throw new ModelError(ModelErrorCode.BadShape, `there is no collateral asset ${req.withdraw.asset}`);
    }
  }
  const after = valueAfterUpdate(view, settle, req.withdraw);
  const prices = view.marketPrices;
  // applyTrade checks the trade's shape and the settlement rule with messages in model units
  const { next } = applyTrade(state, req.trade, prices, settle, salt);
  const ratios = marginRatios(req.trade, withdrawing, view.mm, view.im);
  if (!boxMargin(next, after.value, prices, 0n, ratios)) {
    const short = boxShortfall(next, after.value, prices, 0n, ratios) ?? 0n;
    const which = usesInitialMargin(req.trade, withdrawing) ? "initial" : "maintenance";
    throw new ModelError(
      ModelErrorCode.MarginBreached,
      `the account would be below ${which} margin after this update: ${fmtQuote(short)} more collateral value is needed`,
    );
  }
  const minValue = view.minValue * 10n ** 12n;
  if (next.markets.some((m) => m.size > 0n) && after.value < minValue) {
    throw new ModelError(
      ModelErrorCode.MarginBreached,
      `an account with open positions needs at least ${fmtQuote(minValue)} of collateral value (dust rule); it would have ${fmtQuote(after.value)}`,
    );
  }
  const cert = chooseCert(next, after.value, prices, view.mm, policy);
  if (!cert) {
    throw new ModelError(ModelErrorCode.MarginBreached, `the new state would not meet maintenance margin`);
  }
  const st = updateInputs(state, {
    trade: req.trade,
    settle,
    withdrawing,
    value: after.value,
    prices,
    mm: view.mm,
    im: view.im,
    d: cert.d,
    pm: cert.pm,
    minValue: view.minValue,
    context: context(view, Domain.Update, view.nonce),
    newSalt: salt,
  });
  const proof = await keys.update.prove(st.inputs);
  return {
    next: st.result.next,
    args: {
      newCommitment: st.newCommitment,
      settle,
      withdrawAsset: BigInt(req.withdraw?.asset ?? 0),
      withdrawAmount: req.withdraw?.amount ?? 0n,
      d: cert.d,
      pm: pack16(cert.pm),
    },
    proof,
    valueAfter: after.value,
    paidTokens: after.paidTokens,
    owedTokens: after.owedTokens,
    cert,
  };
}

export interface PreparedCertificate {
  readonly d: bigint;
  readonly pm: bigint;
  readonly proof: ProofResult;
  readonly cert: CertChoice;
}

/** Proves a certificate at current prices (for the proactive prove()). */
export async function prepareProve(
  keys: ProverKeys,
  view: PublicState,
  state: AccountState,
  policy: CertPolicy = DEFAULT_CERT_POLICY,
): Promise<PreparedCertificate> {
  const value = valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals);
  const cert = chooseCert(state, value, view.marketPrices, view.mm, policy);
  if (!cert) {
    const short = boxShortfall(state, value, view.marketPrices, 0n, view.mm) ?? 0n;
    throw new ModelError(
      ModelErrorCode.MarginBreached,
      `below maintenance margin at current prices: deposit at least ${fmtQuote(short)} of collateral value, or reduce`,
    );
  }
  const st = certificateInputs(state, {
    value,
    d: cert.d,
    prices: view.marketPrices,
    pm: cert.pm,
    context: context(view, Domain.Prove, view.nonce),
  });
  return { d: cert.d, pm: pack16(cert.pm), proof: await keys.certificate.prove(st.inputs), cert };
}

/** What a challenge's record pins, unpacked. */
export function pinned(view: PublicState, r: ChallengeRecord) {
  const n = view.decimals.length;
  return {
    prices: unpackPrices(r.marketPrices),
    assetPrices: unpackPrices(r.assetPrices).slice(0, n),
    haircuts: unpack16(r.haircuts, n),
    mm: unpack16(r.mm),
  };
}

export type Answer =
  | { readonly kind: "certificate"; readonly d: bigint; readonly pm: bigint; readonly proof: ProofResult }
  | {
      readonly kind: "deleverage";
      readonly next: AccountState;
      readonly args: { newCommitment: bigint; fee: bigint; d: bigint; pm: bigint };
      readonly reduce: readonly bigint[];
      readonly proof: ProofResult;
    }
  | { readonly kind: "none"; readonly shortfall: bigint; readonly reason: string };

/** A Certificate at the challenge's pinned prices (respond), or undefined when the state fails there. */
export async function prepareResponse(
  keys: ProverKeys,
  view: PublicState,
  state: AccountState,
  record: ChallengeRecord,
  policy: CertPolicy = DEFAULT_CERT_POLICY,
): Promise<PreparedCertificate | undefined> {
  const p = pinned(view, record);
  const value = valueOf(view.collateral, p.assetPrices, p.haircuts, view.decimals);
  const cert = chooseCert(state, value, p.prices, p.mm, policy);
  if (!cert) return undefined;
  const st = certificateInputs(state, {
    value,
    d: cert.d,
    prices: p.prices,
    pm: cert.pm,
    context: context(view, Domain.Respond, record.nonce),
  });
  return { d: cert.d, pm: pack16(cert.pm), proof: await keys.certificate.prove(st.inputs), cert };
}

/** The collateral value a top-up must add for a certificate at the pinned prices (value units). */
export function responseShortfall(view: PublicState, state: AccountState, record: ChallengeRecord): bigint {
  const p = pinned(view, record);
  const value = valueOf(view.collateral, p.assetPrices, p.haircuts, view.decimals);
  return boxShortfall(state, value, p.prices, 0n, p.mm) ?? 0n;
}

/** The deleverage target: ceil(mm_j x targetFactor / BPS) of the pinned ratios, capped at 100%. */
export function deleverageTarget(record: ChallengeRecord): bigint[] {
  return unpack16(record.mm).map((m) => {
    const t = (m * record.targetFactorBps + BPS - 1n) / BPS;
    return t > BPS ? BPS : t;
  });
}

/**
 * The smallest private deleverage at current prices that reaches the target margin (model
 * planDeleverage: greedy over markets by margin released per fee paid), with a small box when one is
 * affordable, or undefined when even closing everything that releases margin is not enough.
 */
export async function prepareDeleverage(
  keys: ProverKeys,
  view: PublicState,
  state: AccountState,
  record: ChallengeRecord,
  boxLevels: readonly bigint[] = [100n, 0n],
  salt = freshSalt(),
): Promise<Answer> {
  const pm = deleverageTarget(record);
  const value = valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals);
  const valueAfterFee = (fee: bigint) => {
    try {
      return valueOf(
        afterLoss(view.collateral, fee, view.assetPrices, view.decimals),
        view.assetPrices,
        view.haircuts,
        view.decimals,
      );
    } catch {
      return -1n;
    }
  };
  for (const d of boxLevels) {
    const plan = planDeleverage(state, value, {
      prices: view.marketPrices,
      pm,
      d,
      feeBps: record.deleverageFeeBps,
      valueAfterFee,
    });
    if (!plan) continue;
    const st = deleverageInputs(state, {
      reduce: plan.reduce,
      prices: view.marketPrices,
      feeBps: record.deleverageFeeBps,
      d,
      pm,
      value: plan.value,
      context: context(view, Domain.Deleverage, record.nonce),
      newSalt: salt,
    });
    return {
      kind: "deleverage",
      next: st.result.next,
      args: { newCommitment: st.newCommitment, fee: st.result.fee, d, pm: pack16(pm) },
      reduce: plan.reduce,
      proof: await keys.deleverage.prove(st.inputs),
    };
  }
  const short = boxShortfall(state, value, view.marketPrices, 0n, pm) ?? 0n;
  return {
    kind: "none",
    shortfall: short,
    reason: `no deleverage reaches the target margin: deposit at least ${fmtQuote(short)} of collateral value`,
  };
}

/**
 * The answer to a challenge: a Certificate at the pinned prices when the state passes there, else the
 * smallest Deleverage at current prices, else "none" with the collateral a top-up must add.
 */
export async function prepareAnswer(
  keys: ProverKeys,
  view: PublicState,
  state: AccountState,
  record: ChallengeRecord,
  policy: CertPolicy = DEFAULT_CERT_POLICY,
): Promise<Answer> {
  const cert = await prepareResponse(keys, view, state, record, policy);
  if (cert) return { kind: "certificate", d: cert.d, pm: cert.pm, proof: cert.proof };
  const dl = await prepareDeleverage(keys, view, state, record);
  if (dl.kind !== "none") return dl;
  const short = responseShortfall(view, state, record);
  return {
    kind: "none",
    shortfall: short,
    reason: `below maintenance at the pinned prices and no deleverage can save the account: deposit at least ${fmtQuote(short)} of collateral value before the deadline`,
  };
}

/**
 * A settlement of `cash` rounded toward zero to `digits` significant digits (default 2): settling the exact
 * cash right after one trade would publish that trade's realised PnL, from which an observer recovers its
 * size, side and entry (docs/privacy.md). The rest stays in the commitment's cash.
 */
export function roundSettlement(cash: bigint, digits = 2): bigint {
  return cash < 0n ? -roundClaim(-cash, digits) : roundClaim(cash, digits);
}

export interface PreparedClaim {
  readonly claimed: bigint;
  readonly claimable: bigint;
  readonly proof: ProofResult;
}

/**
 * Proves a claim after a liquidation: `amount` (default: the most claimable, rounded down to `digits`
 * significant digits so the claim does not publish the equity).
 */
export async function prepareClaim(
  keys: ProverKeys,
  view: PublicState,
  state: AccountState,
  record: LiquidationRecord,
  o: { amount?: bigint; digits?: number } = {},
): Promise<PreparedClaim> {
  const prices = unpackPrices(record.marketPrices);
  const most = claimable(state, record.value, prices, record.penalty);
  if (most === 0n) {
    throw new ModelError(
      ModelErrorCode.NegativeEquity,
      `equity at the liquidation's prices does not exceed the penalty (${fmtQuote(record.penalty)}): nothing to claim`,
    );
  }
  const claimed = o.amount ?? roundClaim(most, o.digits ?? 2);
  if (claimed > most) {
    throw new ModelError(
      ModelErrorCode.OutOfRange,
      `cannot claim ${fmtQuote(claimed)}: at most ${fmtQuote(most)} (equity at the liquidation's prices minus the penalty)`,
    );
  }
  const st = equityInputs(state, {
    value: record.value,
    claimed,
    penalty: record.penalty,
    prices,
    context: context(view, Domain.Claim, record.nonce),
  });
  return { claimed, claimable: most, proof: await keys.equity.prove(st.inputs) };
}
