/**
 * Bounds on an account's private state that follow from its public solvency facts:
 *  - each certificate: BoxMargin(d, pm) at the proven prices and collateral, so every position's
 *    liquidation price (one price moving) is more than d away; under the default prover policy d is the
 *    largest of fixed levels the state passes, so the box distance is also below the next level, and
 *    pm equal to the required ratios says the buffered ratios failed at the centre;
 *  - a top-up during a challenge answered with a certificate: the maintenance shortfall at the pinned
 *    prices was at most the value added (and positive if the owner tops up only when needed);
 *  - a missed challenge (liquidation): if the owner was online, no certificate at the pinned prices was
 *    possible: equity there was below maintenance;
 *  - a claim: equity at the liquidation's prices is at least claimed + penalty (and below it plus one unit
 *    of the claim's last rounded digit if the prover rounded it by default);
 *  - a deleverage's fee: the reduced notional is fee x BPS / feeBps up to rounding; if one market was
 *    reduced, the reduced size of each market that admits one.
 */
import { DEFAULT_CERT_POLICY } from "../../../prover/lib/actions";
import { valueOf } from "../../../prover/lib/value";
import { ceilDiv, significantDigits } from "./algebra";
import { fmtBps, fmtPrice, fmtSize, fmtValue } from "./format";
import type { AccountHistory, AssetInfo, Bound, CertFact, ChallengeFact } from "./types";

const BPS = 10_000n;

/** The policy's bracket of the box distance for a proven d: [d, upper) (upper undefined: at least d). */
export function policyBracket(d: bigint): { upper?: bigint; policy: boolean } {
  const p = DEFAULT_CERT_POLICY;
  if (!p.levels.includes(d) || d > p.targetBps) return { policy: false };
  if (d === p.targetBps) return { policy: true };
  const above = p.levels.filter((l) => l > d && l <= p.targetBps);
  return { upper: above.reduce((m, l) => (l < m ? l : m), p.targetBps), policy: true };
}

function buffered(required: readonly bigint[]): bigint[] {
  return required.map((r) =>
    r + DEFAULT_CERT_POLICY.ratioBufferBps > BPS ? BPS : r + DEFAULT_CERT_POLICY.ratioBufferBps,
  );
}

export function certificateBound(c: CertFact): Bound {
  const where = `certificate (${c.source}) at block ${c.block}`;
  const rigorous = `BoxMargin(d = ${fmtBps(c.d)}, pm = ${c.pm.map(fmtBps).join("/")}) at the proven prices with V = ${fmtValue(c.value)}: every position's liquidation price (one price moving) is more than ${fmtBps(c.d)} from its proven price`;
  if (c.source === "open") {
    return { kind: "certificate", cert: c, text: `${where}: the empty state (solvent at any price)` };
  }
  if (c.source === "deleverage") {
    return { kind: "certificate", cert: c, text: `${where}: ${rigorous} (the target margin holds there)` };
  }
  const { upper, policy } = policyBracket(c.d);
  const parts = [rigorous];
  let nearMaintenance: { buffered: bigint[] } | undefined;
  if (policy && upper !== undefined) {
    parts.push(`box distance below ${fmtBps(upper)} (the state fails the next level of the default policy)`);
  } else if (policy) {
    parts.push(`the box distance is at least the policy's target: nothing more`);
  } else {
    parts.push(`d is not a level of the default policy: no upper bound`);
  }
  if (policy && c.required) {
    const b = buffered(c.required);
    const same = c.pm.every((p, j) => p === c.required![j]);
    const differs = b.some((x, j) => x !== c.required![j]);
    if (same && differs) {
      nearMaintenance = { buffered: b };
      parts.push(
        `pm = the required ratios: the buffered ratios (+${DEFAULT_CERT_POLICY.ratioBufferBps} bps) failed at the proven prices, so equity there is within the buffer of maintenance`,
      );
    }
  }
  return {
    kind: "certificate",
    cert: c,
    upper: policy ? upper : undefined,
    nearMaintenance,
    conditional: policy
      ? "the default prover certificate policy (prover/lib/actions.ts DEFAULT_CERT_POLICY)"
      : undefined,
    text: `${where}: ${parts.join("; ")}`,
  };
}

function valueBeforeOutcome(ch: ChallengeFact, assets: readonly AssetInfo[]): bigint {
  const bal = [...ch.balancesAtPin];
  for (const dep of ch.deposits) bal[dep.asset] += dep.amount;
  return valueOf(
    bal,
    ch.pinnedAssetPrices,
    ch.haircuts,
    assets.map((a) => a.decimals),
  );
}

export function challengeBounds(ch: ChallengeFact, assets: readonly AssetInfo[]): Bound[] {
  const out: Bound[] = [];
  const o = ch.outcome;
  const pinned = `the pinned prices ${ch.pinnedPrices.map(fmtPrice).join("/")} (block ${ch.block})`;
  if (o?.kind === "responded" && ch.deposits.length > 0 && o.cert) {
    const valueBefore = ch.valueAtPin;
    const valueAfter = o.cert.value;
    const shortfallMax = valueAfter - valueBefore;
    out.push({
      kind: "top-up",
      challenge: ch,
      valueBefore,
      valueAfter,
      shortfallMax,
      conditional: "the owner tops up only when it cannot answer otherwise (the daemon's policy)",
      text: `top-up during the challenge of block ${ch.block} (V ${fmtValue(valueBefore)} -> ${fmtValue(valueAfter)} at the pinned asset prices), then a certificate: the maintenance shortfall at ${pinned} was at most ${fmtValue(shortfallMax)}; if the top-up was needed, it was positive (equity there was below maintenance)`,
    });
  }
  if (o?.kind === "liquidated") {
    const v = valueBeforeOutcome(ch, assets);
    out.push({
      kind: "missed-challenge",
      challenge: ch,
      value: v,
      conditional: "the owner's prover was online and answers whenever it can",
      text: `missed challenge of block ${ch.block}: liquidated at block ${o.block}; if the owner was online, equity at ${pinned} with V = ${fmtValue(v)} was below maintenance (no certificate was possible) and no deleverage reached the target`,
    });
  }
  if (o?.kind === "deleveraged") {
    const prices = o.cert?.marketPrices ?? ch.pinnedPrices;
    const feeBps = o.feeBps;
    if (feeBps > 0n) {
      const notionalMin = ceilDiv(o.fee * BPS, feeBps);
      const notionalMax = ceilDiv((o.fee + 1n) * BPS, feeBps) - 1n;
      const singleMarket = prices
        .map((p, market) => ({
          market,
          min: p > 0n && notionalMin > p ? ceilDiv(notionalMin, p) : 1n,
          max: p > 0n ? notionalMax / p : 0n,
        }))
        .filter((r) => r.min <= r.max);
      const readings = singleMarket
        .map((r) =>
          r.min === r.max
            ? `market ${r.market}: exactly ${fmtSize(r.min)}`
            : `market ${r.market}: ${fmtSize(r.min)}..${fmtSize(r.max)}`,
        )
        .join("; ");
      out.push({
        kind: "deleverage",
        deleverage: o,
        prices,
        notionalMin,
        notionalMax,
        singleMarket,
        text: `deleverage at block ${o.block}: fee ${fmtValue(o.fee)} at ${fmtBps(feeBps)} -> reduced notional in [${fmtValue(notionalMin)}, ${fmtValue(notionalMax)}]; if one market was reduced: ${readings || "no market admits an integer size"}`,
      });
    }
  }
  return out;
}

export function claimBounds(h: AccountHistory): Bound[] {
  const out: Bound[] = [];
  for (const ch of h.challenges) {
    const liq = ch.outcome;
    if (liq?.kind !== "liquidated") continue;
    const claim = h.claims.find((c) => c.block >= liq.block);
    if (!claim) continue;
    const equityMin = claim.claimed + liq.record.penalty;
    const digits = claim.claimed.toString().length;
    const rounded = significantDigits(claim.claimed) <= 2 && digits > 2;
    const equityBelow = rounded ? equityMin + 10n ** BigInt(digits - 2) : undefined;
    const V = liq.record.value;
    const range =
      equityBelow !== undefined
        ? `; if the prover rounded it to 2 digits (default), below ${fmtValue(equityBelow)}: cash + unrealised PnL there in [${fmtValue(equityMin - V)}, ${fmtValue(equityBelow - V)})`
        : `: cash + unrealised PnL there at least ${fmtValue(equityMin - V)}`;
    out.push({
      kind: "claim",
      liquidation: liq,
      claim,
      equityMin,
      equityBelow,
      conditional: equityBelow !== undefined ? "the default claim rounding (2 significant digits)" : undefined,
      text: `claim of ${fmtValue(claim.claimed)} after the liquidation of block ${liq.block} (seized ${fmtValue(V)}, penalty ${fmtValue(liq.record.penalty)}): equity at the liquidation's prices at least ${fmtValue(equityMin)}${range}`,
    });
  }
  return out;
}

/** Every bound of the account. */
export function runBounds(h: AccountHistory, assets: readonly AssetInfo[]): Bound[] {
  return [
    ...h.certs.filter((c) => c.source !== "open").map(certificateBound),
    ...h.challenges.flatMap((ch) => challengeBounds(ch, assets)),
    ...claimBounds(h),
  ];
}
