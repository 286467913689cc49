/**
 * What an update would do, checked locally before anything is proven or sent (the RPC provider never
 * sees a trade's values), with refusals that say in human units what is possible instead: the largest
 * size that can be opened, the largest withdrawal, the deposit that would make it pass.
 */
import {
  type AccountState,
  ModelError,
  Side,
  type Trade,
  applyTrade,
  boxMargin,
  boxShortfall,
  marginRatios,
  usesInitialMargin,
} from "../model";
import type { PublicState } from "../lib/chain";
import type { UpdateRequest } from "../lib/actions";
import { valueAfterUpdate, valueOf } from "../lib/value";
import { ProverError, ProverErrorCode } from "../lib/errors";
import { maxWithdraw } from "./status";
import { fmtSize, fmtToken, fmtValue, marketName } from "./units";

const refuse = (msg: string) => new ProverError(ProverErrorCode.BadInput, msg);

function passes(state: AccountState, view: PublicState, req: UpdateRequest): { ok: boolean; shortfall: bigint } {
  const settle = req.settle ?? 0n;
  const after = valueAfterUpdate(view, settle, req.withdraw);
  const { next } = applyTrade(state, req.trade, view.marketPrices, settle, 1n);
  const withdrawing = (req.withdraw?.amount ?? 0n) > 0n;
  const ratios = marginRatios(req.trade, withdrawing, view.mm, view.im);
  const ok = boxMargin(next, after.value, view.marketPrices, 0n, ratios);
  const dust = next.markets.some((m) => m.size > 0n) && after.value < view.minValue * 10n ** 12n;
  return {
    ok: ok && !dust,
    shortfall: ok ? 0n : (boxShortfall(next, after.value, view.marketPrices, 0n, ratios) ?? 0n),
  };
}

/** The largest size of `trade`'s kind that passes (binary search on the model), 0 if none. */
function largest(state: AccountState, view: PublicState, mk: (q: bigint) => Trade, hi: bigint): bigint {
  const ok = (q: bigint) => {
    try {
      return passes(state, view, { trade: mk(q) }).ok;
    } catch {
      return false;
    }
  };
  if (!ok(1n)) return 0n;
  let lo = 1n;
  let h = hi;
  if (ok(h)) return h;
  while (h - lo > 1n) {
    const mid = (lo + h) / 2n;
    if (ok(mid)) lo = mid;
    else h = mid;
  }
  return lo;
}

/** Settlement tokens that add at least `v` of collateral value. */
function tokensFor(view: PublicState, v: bigint): bigint {
  const den = view.assetPrices[0] * view.haircuts[0] * 10n ** 10n;
  return den === 0n ? 0n : (v * 10_000n * 10n ** BigInt(view.decimals[0]) + den - 1n) / den;
}

/** Throws a ProverError (BadInput) that says what is possible when `req` would be refused. */
export function checkUpdate(state: AccountState, view: PublicState, req: UpdateRequest, action: string): void {
  const t = req.trade;
  if (t.kind === "reduce") {
    const pos = state.markets[t.market];
    if (pos.size === 0n) throw refuse(`cannot ${action}: there is no ${marketName(t.market)} position`);
    if (t.size > pos.size)
      throw refuse(
        `cannot ${action}: the position is ${fmtSize(pos.size, t.market)} (\`zkm close ${marketName(t.market)}\` closes it)`,
      );
  }
  if (t.kind === "increase") {
    const pos = state.markets[t.market];
    if (pos.size > 0n && t.side !== undefined && t.side !== pos.side)
      throw refuse(
        `cannot ${action}: ${marketName(t.market)} holds a ${pos.side === Side.Long ? "long" : "short"} position; close it before opening the other side`,
      );
  }
  if (req.withdraw && req.withdraw.amount > 0n) {
    const i = req.withdraw.asset;
    const held = view.collateral[i];
    const sym = view.symbols[i];
    const dec = view.decimals[i];
    if ((req.settle ?? 0n) === 0n && req.withdraw.amount > held)
      throw refuse(`cannot ${action}: the account holds ${fmtToken(held, dec, sym)}`);
    if ((req.settle ?? 0n) === 0n && !passes(state, view, req).ok) {
      const most = maxWithdraw(state, view, i);
      throw refuse(
        `cannot ${action}: at most ${fmtToken(most, dec, sym)} can be withdrawn now (what stays must meet initial margin${view.minValue > 0n && state.markets.some((m) => m.size > 0n) ? " and the dust rule" : ""}); reduce positions first to withdraw more`,
      );
    }
  }
  let r: { ok: boolean; shortfall: bigint };
  try {
    r = passes(state, view, req);
  } catch (e) {
    if (e instanceof ModelError) throw refuse(`cannot ${action}: ${e.message}`);
    if (e instanceof RangeError) throw refuse(`cannot ${action}: the collateral does not cover it`);
    throw e;
  }
  if (r.ok) return;
  const withdrawing = (req.withdraw?.amount ?? 0n) > 0n;
  const which = usesInitialMargin(t, withdrawing) ? "initial" : "maintenance";
  const value = valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals);
  const min = view.minValue * 10n ** 12n;
  if (r.shortfall === 0n) {
    throw refuse(
      `cannot ${action}: an account with open positions needs at least ${fmtValue(min)} of collateral value (dust rule); it has ${fmtValue(value)}`,
    );
  }
  const dep = tokensFor(view, r.shortfall);
  let hint = "";
  if (t.kind === "increase") {
    const most = largest(state, view, (q) => ({ ...t, size: q }), t.size);
    hint = most > 0n ? `; at most ${fmtSize(most, t.market)} can be added now` : "";
  }
  throw refuse(
    `cannot ${action}: the account would be below ${which} margin: deposit at least ${fmtValue(r.shortfall)} of collateral value first (${fmtToken(dep, view.decimals[0], view.symbols[0])})${hint}`,
  );
}
