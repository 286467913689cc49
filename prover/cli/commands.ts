/**
 * What each trader command does once its arguments are checked: every command returns a result as
 * human text and as a JSON document in human units (amounts as { value, unit, raw }), printed by the
 * CLI on stdout (`--json` picks the JSON); progress and logs go to stderr.
 */
import type { Logger } from "pino";
import { Side, type Trade, boxMargin, boxShortfall, claimable, equity } from "../model";
import { unpackPrices } from "../lib/chain";
import { valueOf } from "../lib/value";
import { ProverError, ProverErrorCode } from "../lib/errors";
import { checkUpdate } from "../service/preview";
import { accountRisk, renderRisk, riskJson } from "../service/risk";
import { renderStatus, statusJson, statusView } from "../service/status";
import type { TraderService } from "../service/trader";
import {
  amount,
  fmtBps,
  fmtDuration,
  fmtSize,
  fmtTime,
  fmtToken,
  fmtValue,
  marketName,
  valueAmount,
} from "../service/units";
import { depositFor } from "../daemon/daemon";
import { InputError, decimal, settleText } from "./args";
import { roundSettlement } from "../lib/actions";

export interface Result {
  readonly text: string;
  readonly json: Record<string, unknown>;
}

export interface Ctx {
  readonly t: TraderService;
  readonly log: Logger;
}

async function assetOf(t: TraderService, s: string) {
  const view = await t.read();
  const i = view.symbols.findIndex((x) => x.toUpperCase() === s.toUpperCase());
  const idx = i >= 0 ? i : /^\d+$/.test(s) && Number(s) < view.symbols.length ? Number(s) : -1;
  if (idx < 0) throw new InputError(`unknown asset "${s}": use one of ${view.symbols.join(", ")}`);
  return { view, index: idx, symbol: view.symbols[idx], decimals: view.decimals[idx] };
}

export async function deposit({ t }: Ctx, a: string, amt: string): Promise<Result> {
  const x = await assetOf(t, a);
  const raw = decimal(amt, x.decimals, "amount", x.symbol);
  await t.deposit(BigInt(x.index), raw);
  const held = (await t.read()).collateral[x.index];
  return {
    text: `deposited ${fmtToken(raw, x.decimals, x.symbol)} (the account holds ${fmtToken(held, x.decimals, x.symbol)})`,
    json: {
      deposited: amount(raw, x.decimals, x.symbol),
      collateral: amount(held, x.decimals, x.symbol),
    },
  };
}

function settleOf(t: TraderService, text: string | undefined): bigint {
  if (text === undefined) return 0n;
  const cash = t.state.cash;
  const v = settleText(text);
  // "all" is rounded toward zero to 2 significant digits, so a settlement does not publish the exact cash
  // (one open and one close settled exactly would give the trade away); "exact" settles every unit
  if (v === "all") return roundSettlement(cash);
  if (v === "exact") return cash;
  if (v > (cash < 0n ? -cash : cash)) {
    throw new InputError(`cannot settle ${fmtValue(v)}: the cash balance is ${fmtValue(cash)}`);
  }
  return cash < 0n ? -v : v;
}

function settled(
  t: TraderService,
  settle: bigint,
  paid: bigint,
  owed: bigint,
  sym: string,
  dec: number,
): { text: string; json: Record<string, unknown> } {
  if (settle === 0n) return { text: "", json: {} };
  const left = t.state.cash;
  const rest =
    left === 0n
      ? ""
      : ` (${fmtValue(left)} stays in the private cash: a settlement rounded to 2 significant digits does not publish the trade; \`settle exact\` settles every unit)`;
  const text =
    settle > 0n
      ? owed > 0n
        ? `; settled ${fmtValue(settle)} of gains${rest}: the fund paid ${fmtToken(paid, dec, sym)} now, the rest (${fmtToken(owed, dec, sym)}) is owed to ${t.account} and paid from the fund's later inflows`
        : `; settled ${fmtValue(settle)} of gains${rest}: the fund paid ${fmtToken(paid, dec, sym)}`
      : `; settled ${fmtValue(-settle)} of losses from the collateral${rest}`;
  return {
    text,
    json: {
      settled: valueAmount(settle),
      cashLeft: valueAmount(left),
      fundPaid: amount(paid, dec, sym),
      owedByFund: amount(owed, dec, sym),
    },
  };
}

export async function withdraw({ t }: Ctx, a: string, amt: string, o: { settle?: string }): Promise<Result> {
  const x = await assetOf(t, a);
  const raw = decimal(amt, x.decimals, "amount", x.symbol);
  const settle = settleOf(t, o.settle);
  const req = { trade: { kind: "none" } as Trade, settle, withdraw: { asset: x.index, amount: raw } };
  checkUpdate(t.state, x.view, req, `withdraw ${fmtToken(raw, x.decimals, x.symbol)}`);
  const r = await t.update(req);
  const s = settled(t, settle, r.paidTokens, r.owedTokens, x.view.symbols[0], x.view.decimals[0]);
  return {
    text: `withdrew ${fmtToken(raw, x.decimals, x.symbol)} (tx ${r.txHash})${s.text}`,
    json: { withdrew: amount(raw, x.decimals, x.symbol), tx: r.txHash, ...s.json },
  };
}

export async function settle({ t }: Ctx, text: string | undefined): Promise<Result> {
  const view = await t.read();
  const s = settleOf(t, text ?? "all");
  if (s === 0n)
    throw new InputError(
      t.state.cash === 0n
        ? "the cash balance is 0.00 USD: nothing to settle"
        : `the cash balance is ${fmtValue(t.state.cash)}: too small to settle rounded (\`zkm settle exact\` settles it exactly)`,
    );
  const req = { trade: { kind: "none" } as Trade, settle: s };
  checkUpdate(t.state, view, req, `settle ${fmtValue(s)}`);
  const r = await t.update(req);
  const d = settled(t, s, r.paidTokens, r.owedTokens, view.symbols[0], view.decimals[0]);
  return { text: `done (tx ${r.txHash})${d.text}`, json: { tx: r.txHash, ...d.json } };
}

async function trade(t: TraderService, tr: Trade, what: string): Promise<Result> {
  const view = await t.read();
  checkUpdate(t.state, view, { trade: tr }, what);
  const cashBefore = t.state.cash;
  const r = await t.update({ trade: tr });
  const realised = t.state.cash - cashBefore;
  return {
    text: `${what}: done (tx ${r.txHash}, proof ${Math.round(r.proveMs)} ms)${tr.kind === "reduce" ? `; realised PnL ${fmtValue(realised)} went into the private cash balance` : ""}`,
    json: {
      done: what,
      tx: r.txHash,
      proveMs: Math.round(r.proveMs),
      ...(tr.kind === "reduce" ? { realisedPnl: valueAmount(realised) } : {}),
    },
  };
}

export function open(c: Ctx, j: number, s: 0 | 1, q: bigint): Promise<Result> {
  if (c.t.state.markets[j].size !== 0n)
    throw new InputError(`the ${marketName(j)} position is already open: use increase, reduce or close`);
  return trade(
    c.t,
    { kind: "increase", market: j, size: q, side: s === 0 ? Side.Long : Side.Short },
    `open ${s === 0 ? "long" : "short"} ${fmtSize(q, j)}`,
  );
}

export function increase(c: Ctx, j: number, q: bigint): Promise<Result> {
  if (c.t.state.markets[j].size === 0n)
    throw new InputError(
      `there is no ${marketName(j)} position to increase: \`zkm open ${marketName(j)} long|short SIZE\``,
    );
  return trade(c.t, { kind: "increase", market: j, size: q }, `increase ${marketName(j)} by ${fmtSize(q, j)}`);
}

export function reduce(c: Ctx, j: number, q: bigint): Promise<Result> {
  return trade(c.t, { kind: "reduce", market: j, size: q }, `reduce ${marketName(j)} by ${fmtSize(q, j)}`);
}

export function close(c: Ctx, j: number): Promise<Result> {
  const q = c.t.state.markets[j].size;
  if (q === 0n) throw new InputError(`there is no ${marketName(j)} position to close`);
  return trade(c.t, { kind: "reduce", market: j, size: q }, `close ${marketName(j)} (${fmtSize(q, j)})`);
}

export async function prove({ t }: Ctx): Promise<Result> {
  const view = await t.read();
  const value = valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals);
  if (view.status === "active" && !boxMargin(t.state, value, view.marketPrices, 0n, view.mm)) {
    const short = boxShortfall(t.state, value, view.marketPrices, 0n, view.mm) ?? 0n;
    const tokens = depositFor(view, short);
    throw new ProverError(
      ProverErrorCode.BadInput,
      `cannot prove: the account is below maintenance margin at current prices: deposit at least ${fmtValue(short)} of collateral value (${fmtToken(tokens, view.decimals[0], view.symbols[0])}) or reduce`,
    );
  }
  const tx = await t.prove();
  const v = await statusView(t);
  const c = v.certificate;
  return {
    text: `certificate proven (tx ${tx})${c ? `: +/-${fmtBps(c.boxBps)} box, stale in ${fmtDuration(c.secondsToStale)}` : ""}`,
    json: { tx, certificate: statusJson(v).certificate },
  };
}

export async function respond({ t }: Ctx): Promise<Result> {
  const view = await t.read();
  const rec = await t.openChallenge(view);
  if (!rec) throw new InputError("the account has no open challenge");
  const a = await t.answer(rec, view);
  if (a.kind === "none") {
    const tokens = depositFor(view, a.shortfall);
    throw new ProverError(
      ProverErrorCode.BadInput,
      `cannot answer the challenge: deposit at least ${fmtValue(a.shortfall)} of collateral value (${fmtToken(tokens, view.decimals[0], view.symbols[0])}) before ${fmtTime(rec.deadline)} (in ${fmtDuration(rec.deadline - view.blockTime)}), then run \`zkm respond\` again`,
    );
  }
  const tx = await t.sendAnswer(rec, a);
  return {
    text:
      a.kind === "deleverage"
        ? `answered with a private deleverage (tx ${tx}): positions were reduced to the target margin`
        : `answered with a certificate (tx ${tx})`,
    json: { answer: a.kind, tx },
  };
}

export async function claim({ t }: Ctx, o: { amount?: string; digits: string }): Promise<Result> {
  const digits = Number(o.digits);
  const amt = o.amount === undefined ? undefined : decimal(o.amount, 18, "--amount", "USD");
  const view = await t.read();
  const rec = await t.liquidation(view);
  if (rec) {
    const prices = unpackPrices(rec.marketPrices);
    const most = claimable(t.state, rec.value, prices, rec.penalty);
    if (most === 0n)
      throw new ProverError(
        ProverErrorCode.BadInput,
        `nothing to claim: the equity at the liquidation's prices (${fmtValue(equity(t.state, rec.value, prices))}) does not exceed the penalty (${fmtValue(rec.penalty)})`,
      );
    if (amt !== undefined && amt > most)
      throw new InputError(
        `cannot claim ${fmtValue(amt)}: at most ${fmtValue(most)} (the equity at the liquidation's prices minus the ${fmtValue(rec.penalty)} penalty)`,
      );
  }
  const r = await t.claim({ amount: amt, digits });
  const sym = view.symbols[0];
  const dec = view.decimals[0];
  const owed = r.tokens - r.paid;
  return {
    text: `claimed ${fmtValue(r.claimed)} of at most ${fmtValue(r.claimable)}${amt === undefined ? ` (rounded down to ${digits} significant digits, so the claim does not publish the equity)` : ""}: ${fmtToken(r.paid, dec, sym)} paid now${owed > 0n ? `, ${fmtToken(owed, dec, sym)} owed by the fund (paid to ${t.account} from its later inflows)` : ""} (tx ${r.txHash})`,
    json: {
      claimed: valueAmount(r.claimed),
      claimable: valueAmount(r.claimable),
      paid: amount(r.paid, dec, sym),
      owed: amount(owed, dec, sym),
      tx: r.txHash,
    },
  };
}

export async function status({ t }: Ctx): Promise<Result> {
  const v = await statusView(t);
  return { text: renderStatus(v), json: statusJson(v) };
}

export async function risk(
  { t }: Ctx,
  o: { paths: number; seed: number; horizons: number[]; correlation: number },
): Promise<Result> {
  const view = await t.read();
  const r = await accountRisk(t, view, {
    paths: o.paths,
    seed: o.seed,
    horizonsSeconds: o.horizons,
    correlation: o.correlation,
  });
  return { text: renderRisk(r), json: riskJson(r) };
}

export async function exportBackup({ t }: Ctx, file: string): Promise<Result> {
  t.store.exportBackup(file);
  return { text: `backup written to ${file} (encrypted with the same passphrase)`, json: { backup: file } };
}

export function initResult(t: TraderService): Result {
  return {
    text: `account ${t.account} opened; private state in ${t.store.file} (back it up: losing it loses the account)`,
    json: { account: t.account, stateFile: t.store.file },
  };
}
