/**
 * The audit's report: per account, what is public, what each attack finds, the bounds, and the private
 * quantities recovered exactly (the figure privacy.exact_recoveries counts them over all accounts).
 */
import { runAttacks } from "./attacks";
import { runBounds } from "./bounds";
import { fmtBps, fmtPrice, fmtSize, fmtTokens, fmtValue } from "./format";
import type {
  AccountHistory,
  AccountReport,
  AttackResult,
  AuditReport,
  Bound,
  Deployment,
  LotReading,
  Recovery,
  UpdateFact,
} from "./types";

const BPS = 10_000n;

/**
 * The liquidation price an observer computes for recovered lots of one market, taking them as the
 * account's only position with no cash (maintenance `mm`, collateral value `value`).
 */
export function liquidationPriceOf(lots: readonly LotReading[], value: bigint, mm: bigint): bigint {
  const q = lots.reduce((s, l) => s + l.size, 0n);
  const K = lots.reduce((s, l) => s + l.size * l.entryPrice, 0n);
  if (lots[0].side === "long") {
    const num = (K - value) * BPS;
    if (num <= 0n) return 0n;
    const den = q * (BPS - mm);
    return (num + den - 1n) / den;
  }
  return ((value + K) * BPS) / (q * (BPS + mm));
}

function recoveriesOf(h: AccountHistory, attacks: readonly AttackResult[], bounds: readonly Bound[]): Recovery[] {
  const out: Recovery[] = [];
  const seen = new Set<string>();
  const add = (r: Recovery) => {
    const k = `${r.quantity}/${r.market}/${String(r.value)}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(r);
  };
  for (const a of attacks) {
    if (a.verdict !== "exact") continue;
    const lots = a.readings[0];
    const by = `(${a.attack}) ${a.source}`;
    const j = lots[0].market;
    for (const l of lots) {
      add({ quantity: "size", market: j, value: l.size, by, block: a.block });
      add({ quantity: "entry price", market: j, value: l.entryPrice, by, block: a.block });
    }
    add({ quantity: "side", market: j, value: lots[0].side, by, block: a.block });
    const last = lots.reduce((m, l) => (l.entryBlock > m ? l.entryBlock : m), 0);
    const entry = h.updates.find((u) => u.block === last);
    const mm = entry?.mm?.[j] ?? entry?.cert.required?.[j] ?? entry?.cert.pm[j] ?? 0n;
    add({
      quantity: "liquidation price",
      market: j,
      value: liquidationPriceOf(lots, entry?.cert.value ?? 0n, mm),
      by: `${by}, as the only position`,
      block: a.block,
    });
  }
  for (const b of bounds) {
    if (b.kind !== "deleverage" || b.singleMarket.length !== 1) continue;
    const r = b.singleMarket[0];
    if (r.min !== r.max) continue;
    add({
      quantity: "reduced size",
      market: r.market,
      value: r.min,
      by: `the deleverage fee at block ${b.deleverage.block}`,
      block: b.deleverage.block,
    });
  }
  return out;
}

function statusOf(h: AccountHistory): string {
  if (h.claims.length > 0) return "closed (claimed after a liquidation)";
  if (h.challenges.some((c) => c.outcome?.kind === "liquidated")) return "liquidated";
  const open = h.challenges.find((c) => !c.outcome);
  return open ? "active, challenged" : "active";
}

function updateLine(u: UpdateFact, d: Deployment): string {
  const parts: string[] = [];
  if (u.settle !== 0n) {
    const paid =
      u.settle > 0n
        ? ` (fund paid ${fmtTokens(u.paidTokens, d.assets[0].decimals)}, owed ${fmtTokens(u.owedTokens, d.assets[0].decimals)})`
        : "";
    parts.push(`settled ${fmtValue(u.settle)}${paid}`);
  }
  if (u.withdrawAmount > 0n) {
    const a = d.assets[u.withdrawAsset];
    parts.push(`withdrew ${fmtTokens(u.withdrawAmount, a?.decimals ?? 18)} ${a?.symbol ?? `asset ${u.withdrawAsset}`}`);
  }
  if (parts.length === 0) parts.push("no settlement, no withdrawal (a trade, or nothing)");
  return `update #${u.nonce} at block ${u.block}: ${parts.join(", ")}; prices ${u.cert?.marketPrices.map(fmtPrice).join("/") ?? "?"}; d ${u.cert ? fmtBps(u.cert.d) : "?"}`;
}

function publicFacts(h: AccountHistory, d: Deployment): string[] {
  const out: string[] = [];
  if (h.opened) out.push(`opened at block ${h.opened.block} (time ${h.opened.time})`);
  const events: Array<{ block: number; logIndex: number; line: string }> = [];
  for (const dep of h.deposits) {
    const a = d.assets[dep.asset];
    events.push({ ...dep, line: `deposit of ${fmtTokens(dep.amount, a.decimals)} ${a.symbol} at block ${dep.block}` });
  }
  for (const u of h.updates) events.push({ ...u, line: updateLine(u, d) });
  for (const c of h.certs) {
    if (c.source === "prove")
      events.push({ ...c, line: `proactive certificate at block ${c.block}: d ${fmtBps(c.d)}` });
  }
  for (const ch of h.challenges) {
    const o = ch.outcome;
    let outcome = "open";
    if (o?.kind === "responded") {
      const via =
        o.submitter === h.account
          ? "by the owner"
          : `by ${o.submitter} (a relayer: the account is the call's first argument)`;
      outcome = `answered with a certificate at block ${o.block} ${via}`;
    } else if (o?.kind === "deleveraged") {
      outcome = `answered with a deleverage at block ${o.block}, fee ${fmtValue(o.fee)}${o.submitter === h.account ? "" : ` (submitted by ${o.submitter})`}`;
    } else if (o?.kind === "liquidated") {
      outcome = `liquidated at block ${o.block} by ${o.liquidator}: seized ${fmtValue(o.record.value)}, penalty ${fmtValue(o.record.penalty)}, bounty ${fmtValue(o.bounty)}, prices ${o.marketPrices.map(fmtPrice).join("/")}`;
    }
    const topups = ch.deposits.length > 0 ? `; ${ch.deposits.length} top-up(s) during it` : "";
    events.push({
      ...ch,
      line: `challenged at block ${ch.block} by ${ch.challenger} at ${ch.pinnedPrices.map(fmtPrice).join("/")} (deadline ${ch.record.deadline}): ${outcome}${topups}`,
    });
  }
  for (const c of h.claims) {
    events.push({
      ...c,
      line: `claim of ${fmtValue(c.claimed)} at block ${c.block} (${fmtTokens(c.tokens, d.assets[0].decimals)} tokens, ${fmtTokens(c.paid, d.assets[0].decimals)} paid now)`,
    });
  }
  events.sort((x, y) => x.block - y.block || x.logIndex - y.logIndex);
  return [...out, ...events.map((e) => e.line)];
}

function accountNotes(h: AccountHistory): string[] {
  const out: string[] = [];
  for (const t of h.txs) {
    if (t.status === 0) {
      out.push(
        `reverted ${t.fn} at block ${t.block} from ${t.from}: its calldata is public (${Object.entries(t.args)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")})`,
      );
    }
  }
  return out;
}

/** Updates with the same public shape (settlement sign, withdrawal) should cost the same execution gas. */
function gasNotes(d: Deployment): string[] {
  const groups = new Map<string, Set<string>>();
  for (const h of d.accounts) {
    for (const u of h.updates) {
      if (u.executionGas === 0n) continue;
      // the registry values every asset held (public): the number held is part of the public shape
      const held = (u.cert?.balances ?? []).filter((b) => b !== 0n).length;
      const k = `settle ${u.settle > 0n ? "> 0" : u.settle < 0n ? "< 0" : "= 0"}, ${u.withdrawAmount > 0n ? "withdrawing" : "not withdrawing"}, ${held} asset(s) held`;
      const set = groups.get(k) ?? new Set<string>();
      set.add(u.executionGas.toString());
      groups.set(k, set);
    }
  }
  return [...groups.entries()].map(([k, set]) =>
    set.size === 1
      ? `updates with ${k}: one execution-gas amount (${[...set][0]}): gas does not tell trade kinds apart`
      : `updates with ${k}: ${set.size} execution-gas amounts (${[...set].join(", ")}): gas may tell trade kinds apart`,
  );
}

export function buildReport(d: Deployment, accountFilter?: string): AuditReport {
  const accounts: AccountReport[] = d.accounts
    .filter((h) => !accountFilter || h.account.toLowerCase() === accountFilter.toLowerCase())
    .map((h) => {
      const attacks = runAttacks(h);
      const bounds = runBounds(h, d.assets);
      return {
        account: h.account,
        status: statusOf(h),
        publicFacts: publicFacts(h, d),
        attacks,
        bounds,
        recoveries: recoveriesOf(h, attacks, bounds),
        notes: accountNotes(h),
      };
    });
  return {
    registry: d.registry,
    chainId: d.chainId,
    fromBlock: d.fromBlock,
    toBlock: d.toBlock,
    accounts,
    exactRecoveries: accounts.reduce((n, a) => n + a.recoveries.length, 0),
    notes: [...d.notes, ...gasNotes(d)],
  };
}

function fmtRecovery(r: Recovery): string {
  const v =
    typeof r.value === "string"
      ? r.value
      : r.quantity === "size" || r.quantity === "reduced size"
        ? fmtSize(r.value)
        : r.quantity === "liquidation price" && r.value === 0n
          ? "none (no fall of this price alone liquidates it)"
          : fmtPrice(r.value);
  return `EXACT ${r.quantity} of market ${r.market}: ${v} (${r.by})`;
}

function fmtAttack(a: AttackResult): string[] {
  const out = [a.text];
  if (a.verdict === "exact" || (a.verdict === "ambiguous" && a.readings.length <= 4)) {
    for (const lots of a.readings) {
      out.push(
        `    ${lots.map((l) => `market ${l.market} ${l.side} ${fmtSize(l.size)} entered at ${fmtPrice(l.entryPrice)} (block ${l.entryBlock}), out at ${fmtPrice(l.exitPrice)} (block ${l.exitBlock})`).join(" + ")}`,
      );
    }
  }
  return out;
}

/** The report as text, one account after another. */
export function formatReport(r: AuditReport): string {
  const lines: string[] = [];
  lines.push(
    `zkmargin privacy audit: registry ${r.registry} on chain ${r.chainId}, blocks ${r.fromBlock}..${r.toBlock}`,
  );
  lines.push(`accounts: ${r.accounts.length}; private quantities recovered exactly: ${r.exactRecoveries}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const a of r.accounts) {
    lines.push("");
    lines.push(`account ${a.account} (${a.status})`);
    lines.push("  public:");
    for (const f of a.publicFacts) lines.push(`    ${f}`);
    lines.push("  attacks:");
    if (a.attacks.length === 0) lines.push("    no settlement and no claim: no amount to attack");
    for (const at of a.attacks) for (const l of fmtAttack(at)) lines.push(`    ${l}`);
    lines.push("  bounds:");
    for (const b of a.bounds) {
      const cond = "conditional" in b ? b.conditional : undefined;
      lines.push(`    ${b.text}${cond ? ` [if ${cond}]` : ""}`);
    }
    for (const n of a.notes) lines.push(`  note: ${n}`);
    lines.push(
      a.recoveries.length === 0
        ? "  verdict: no size, side, entry price or liquidation price recovered exactly"
        : `  verdict: ${a.recoveries.length} private quantities recovered exactly:`,
    );
    for (const rec of a.recoveries) lines.push(`    ${fmtRecovery(rec)}`);
  }
  return lines.join("\n");
}

/** JSON with bigints as decimal strings. */
export function reportJson(r: AuditReport): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}
