/**
 * The audit's attacks on an account's public amounts (issue 9 "Why"; docs/privacy.md):
 *  (a) reduce-after-open (v1): an amount is one lot's realised PnL, q (P_exit - P_entry), with both
 *      prices among the public oracle prices of the account's earlier actions: try every (entry, exit,
 *      market) and keep the integer solutions. In v1 the amount was each reduce's published pnl; in v2
 *      the only signed public amounts are the settlements s (cumulative cash, chosen by the owner), so
 *      the algebra runs on every settlement and every sum of consecutive settlements.
 *  (b) two opens at different prices: the amount is a position of two lots closed at one price,
 *      x (P_e - P_1) + y (P_e - P_2) (the floor rule removes the whole cost basis on a close): every
 *      (entry, entry, exit, market, side), solved as a linear Diophantine equation.
 *  (c) claim-based size recovery: claimed + penalty - seized value is the unrealised PnL at the
 *      liquidation's prices if the owner claimed everything and held no cash (one or two lots).
 * A solution counts as exact only when it is the only one and a coincidence is implausible (expected
 * chance solutions below CHANCE_LIMIT): a round amount is divisible by many round price moves.
 */
import type { AccountHistory, AttackResult, CertFact, LotReading } from "./types";
import { abs, ceilDiv, chanceDivisible, floorDiv, significantDigits, solveTwoLots, trailingZeros10 } from "./algebra";

const MAX_SIZE = (1n << 96n) - 1n;
/** Above this many expected coincidental solutions, a unique solution is not called exact. */
export const CHANCE_LIMIT = 0.01;
/** Plausibility: a lot's notional at entry is at most this multiple of the collateral value then. */
export const MAX_LEVERAGE = 100n;
/** At most this many earlier updates are tried as entries for one exit (long histories). */
export const ENTRY_WINDOW = 48;
const LISTED = 16;

/** A price observation: where a trade or a deleverage executed (its certificate's market prices). */
export interface PriceObs {
  readonly block: number;
  readonly logIndex: number;
  readonly prices: bigint[];
  /** Collateral value after the action (plausibility of a lot entered there). */
  readonly value: bigint;
  readonly kind: "update" | "deleverage" | "liquidation";
}

const before = (x: { block: number; logIndex: number }, y: { block: number; logIndex: number }) =>
  x.block < y.block || (x.block === y.block && x.logIndex < y.logIndex);

/** Entries: the account's updates. Exits: updates and deleverages (a deleverage reduces at current prices). */
export function observations(h: AccountHistory): { entries: PriceObs[]; exits: PriceObs[] } {
  const fromCert = (c: CertFact, kind: PriceObs["kind"]): PriceObs => ({
    block: c.block,
    logIndex: c.logIndex,
    prices: c.marketPrices,
    value: c.value,
    kind,
  });
  const entries = h.updates.filter((u) => u.cert).map((u) => fromCert(u.cert, "update"));
  const dl = h.challenges
    .map((c) => c.outcome)
    .filter((o) => o?.kind === "deleveraged" && o.cert)
    .map((o) => fromCert((o as { cert: CertFact }).cert, "deleverage"));
  const exits = [...entries, ...dl].sort((x, y) => x.block - y.block || x.logIndex - y.logIndex);
  return { entries, exits };
}

function cap(o: PriceObs): bigint {
  return MAX_LEVERAGE * (o.value > 0n ? o.value : 1n);
}

function verdictOf(solutions: bigint, expected: number): AttackResult["verdict"] {
  if (solutions === 0n) return "none";
  return solutions === 1n && expected < CHANCE_LIMIT ? "exact" : "ambiguous";
}

function dedupe(readings: LotReading[][]): LotReading[][] {
  const seen = new Set<string>();
  return readings.filter((r) => {
    const k = r.map((l) => `${l.market}/${l.side}/${l.size}/${l.entryPrice}/${l.exitPrice}`).join("+");
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function describe(r: Omit<AttackResult, "text">): string {
  const head = `(${r.attack}) ${r.title} on ${r.source}: ${r.tried} hypotheses`;
  const chance = r.expectedByChance.toPrecision(2);
  const rounded = r.rounded
    ? r.rounded.readings === 0
      ? "; read as a rounded amount: no plausible reading"
      : `; read as a rounded amount, each of ${r.rounded.readings} readings admits ${r.rounded.minSizes}..${r.rounded.maxSizes} sizes: a bound only`
    : "";
  if (r.verdict === "none") return `${head}, no integer solution: nothing recovered exactly${rounded}`;
  if (r.verdict === "exact") return `${head}, one solution (chance ${chance}): EXACT${rounded}`;
  return `${head}, ${r.solutions} solutions (expected by chance ${chance}): ambiguous${rounded}`;
}

/**
 * The interval a rounded amount stands for: an amount with at most 4 significant digits is read as
 * rounded at its last non-zero digit (toward zero for a settlement, down for a claim).
 */
export function roundedInterval(amount: bigint, towardZero: boolean): { lo: bigint; hi: bigint } | undefined {
  if (amount === 0n || significantDigits(amount) > 4) return undefined;
  const u = 10n ** BigInt(trailingZeros10(amount));
  if (u < 10n) return undefined;
  return towardZero && amount < 0n ? { lo: amount - u + 1n, hi: amount } : { lo: amount, hi: amount + u - 1n };
}

/** Integer sizes q != 0 with q delta in [lo, hi]. */
function sizesIn(lo: bigint, hi: bigint, delta: bigint): bigint {
  const [a, b] = delta > 0n ? [ceilDiv(lo, delta), floorDiv(hi, delta)] : [ceilDiv(hi, delta), floorDiv(lo, delta)];
  if (a > b) return 0n;
  return b - a + 1n - (a <= 0n && 0n <= b ? 1n : 0n);
}

function result(r: Omit<AttackResult, "text" | "verdict">): AttackResult {
  const readings = dedupe(r.readings);
  // the same lot explained by equal prices at two blocks is one solution (when every one is listed)
  const solutions = r.solutions === BigInt(r.readings.length) ? BigInt(readings.length) : r.solutions;
  const full = {
    ...r,
    readings: readings.slice(0, LISTED),
    solutions,
    verdict: verdictOf(solutions, r.expectedByChance),
  };
  return { ...full, text: describe(full) };
}

/**
 * (a) one lot: amount = q (P_exit - P_entry) for a long, q (P_entry - P_exit) for a short, exit at or
 * before `at`, entry strictly before the exit, q in [1, 2^96) and plausible at the entry's collateral.
 */
export function singleLot(
  amount: bigint,
  source: string,
  at: { block: number; logIndex: number },
  entries: readonly PriceObs[],
  exits: readonly PriceObs[],
  attack: "a" | "c" = "a",
  interval?: { lo: bigint; hi: bigint },
): AttackResult {
  let tried = 0;
  let expected = 0;
  const readings: LotReading[][] = [];
  let rounded: AttackResult["rounded"] = interval
    ? { ...interval, readings: 0, minSizes: 0n, maxSizes: 0n }
    : undefined;
  if (amount !== 0n) {
    for (const e of exits) {
      if (before(at, e)) continue;
      const ins = entries.filter((i) => before(i, e)).slice(-ENTRY_WINDOW);
      for (const i of ins) {
        for (let j = 0; j < e.prices.length; j++) {
          const delta = e.prices[j] - i.prices[j];
          if (delta === 0n) continue;
          const size = abs(amount) / abs(delta);
          if (size < 1n || size > MAX_SIZE || size * i.prices[j] > cap(i)) continue;
          tried++;
          expected += chanceDivisible(delta, amount);
          if (rounded) {
            const n = sizesIn(rounded.lo, rounded.hi, delta);
            rounded = {
              ...rounded,
              readings: rounded.readings + 1,
              minSizes: rounded.readings === 0 || n < rounded.minSizes ? n : rounded.minSizes,
              maxSizes: n > rounded.maxSizes ? n : rounded.maxSizes,
            };
          }
          if (amount % delta !== 0n) continue;
          const q = amount / delta;
          readings.push([
            {
              market: j,
              side: q > 0n ? "long" : "short",
              size: abs(q),
              entryPrice: i.prices[j],
              entryBlock: i.block,
              exitPrice: e.prices[j],
              exitBlock: e.block,
            },
          ]);
        }
      }
    }
  }
  return result({
    attack,
    title: attack === "a" ? "reduce-after-open, one lot" : "claim, one lot, no cash",
    amount,
    source,
    block: at.block,
    tried,
    solutions: BigInt(readings.length),
    readings,
    expectedByChance: expected,
    rounded,
  });
}

/** (b) two lots opened at two earlier prices, closed together at one exit: amount = x a + y b (long). */
export function twoLots(
  amount: bigint,
  source: string,
  at: { block: number; logIndex: number },
  entries: readonly PriceObs[],
  exits: readonly PriceObs[],
  attack: "b" | "c" = "b",
): AttackResult {
  let tried = 0;
  let expected = 0;
  let solutions = 0n;
  const readings: LotReading[][] = [];
  if (amount !== 0n) {
    for (const e of exits) {
      if (before(at, e)) continue;
      const ins = entries.filter((i) => before(i, e)).slice(-ENTRY_WINDOW);
      for (let k1 = 0; k1 < ins.length; k1++) {
        for (let k2 = k1 + 1; k2 < ins.length; k2++) {
          const [i1, i2] = [ins[k1], ins[k2]];
          for (let j = 0; j < e.prices.length; j++) {
            const a = e.prices[j] - i1.prices[j];
            const b = e.prices[j] - i2.prices[j];
            if (a === 0n || b === 0n || a === b) continue;
            const c = cap(i2);
            const xMax = c / i1.prices[j] < MAX_SIZE ? c / i1.prices[j] : MAX_SIZE;
            const yMax = c / i2.prices[j] < MAX_SIZE ? c / i2.prices[j] : MAX_SIZE;
            for (const side of ["long", "short"] as const) {
              const target = side === "long" ? amount : -amount;
              const r = solveTwoLots(target, a, b, xMax, yMax, LISTED);
              tried++;
              expected += r.expectedByChance;
              solutions += r.count;
              for (const [x, y] of r.solutions) {
                if (readings.length >= 4 * LISTED) break;
                const lot = (size: bigint, i: PriceObs): LotReading => ({
                  market: j,
                  side,
                  size,
                  entryPrice: i.prices[j],
                  entryBlock: i.block,
                  exitPrice: e.prices[j],
                  exitBlock: e.block,
                });
                readings.push([lot(x, i1), lot(y, i2)]);
              }
            }
          }
        }
      }
    }
  }
  return result({
    attack,
    title: attack === "b" ? "two opens, closed together" : "claim, two lots, no cash",
    amount,
    source,
    block: at.block,
    tried,
    solutions,
    readings,
    expectedByChance: expected,
  });
}

export interface PublicAmount {
  readonly amount: bigint;
  readonly source: string;
  readonly at: { block: number; logIndex: number };
  /** Where the cash it settles lies if its settlements were rounded (the sum of their intervals). */
  readonly interval?: { lo: bigint; hi: bigint };
}

/** The signed public amounts of (a) and (b): every settlement and every sum of consecutive ones. */
export function settlementAmounts(h: AccountHistory): PublicAmount[] {
  const settles = h.updates.filter((u) => u.settle !== 0n);
  const out: PublicAmount[] = [];
  for (let a = 0; a < settles.length; a++) {
    let sum = 0n;
    let lo = 0n;
    let hi = 0n;
    let rounded = false;
    for (let b = a; b < settles.length; b++) {
      const s = settles[b].settle;
      const r = roundedInterval(s, true);
      sum += s;
      lo += r?.lo ?? s;
      hi += r?.hi ?? s;
      rounded ||= r !== undefined;
      const source =
        a === b
          ? `the settlement at block ${settles[a].block}`
          : `the settlements of blocks ${settles[a].block}..${settles[b].block} (sum)`;
      // the settlement's own update may be the close: the exit is its certificate (same transaction)
      const at = settles[b].cert ?? settles[b];
      out.push({ amount: sum, source, at, interval: rounded ? { lo, hi } : undefined });
    }
  }
  return out;
}

/** (a) and (b) on every settlement amount of the account. */
export function settlementAttacks(h: AccountHistory): AttackResult[] {
  const { entries, exits } = observations(h);
  const out: AttackResult[] = [];
  for (const s of settlementAmounts(h)) {
    out.push(singleLot(s.amount, s.source, s.at, entries, exits, "a", s.interval));
    out.push(twoLots(s.amount, s.source, s.at, entries, exits, "b"));
  }
  return out;
}

/**
 * (c) on every claim after a liquidation: U = claimed + penalty - V would be the unrealised PnL at the
 * liquidation's prices if the owner claimed all of E - penalty and held no cash; one and two lots.
 */
export function claimAttacks(h: AccountHistory): AttackResult[] {
  const { entries } = observations(h);
  const out: AttackResult[] = [];
  for (const ch of h.challenges) {
    const liq = ch.outcome;
    if (liq?.kind !== "liquidated") continue;
    const claim = h.claims.find((c) => c.block >= liq.block);
    if (!claim) continue;
    const U = claim.claimed + liq.record.penalty - liq.record.value;
    const exit: PriceObs = {
      block: liq.block,
      logIndex: liq.logIndex,
      prices: liq.marketPrices,
      value: liq.record.value,
      kind: "liquidation",
    };
    const source = `the claim at block ${claim.block} (${significantDigits(claim.claimed)} significant digits)`;
    const r = roundedInterval(claim.claimed, false);
    const interval = r ? { lo: U, hi: U + (r.hi - r.lo) } : undefined;
    out.push(singleLot(U, source, claim, entries, [exit], "c", interval));
    out.push(twoLots(U, source, claim, entries, [exit], "c"));
  }
  return out;
}

/** Every attack on the account. */
export function runAttacks(h: AccountHistory): AttackResult[] {
  return [...settlementAttacks(h), ...claimAttacks(h)];
}
