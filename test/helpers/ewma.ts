/**
 * Bigint reference of the RiskEngine's arithmetic (contracts/risk/RiskEngine.sol), the oracle of its tests.
 *
 * Two layers:
 *  - `lnWad`, `expWad`, `isqrt`: transliterations of Solady 0.1.26's FixedPointMathLib (lnWad, expWad,
 *    sqrt), operation by operation on 256-bit words (wrap-around and arithmetic shifts as the EVM does),
 *    so the reference reproduces the contract to the wei. They are a model of the library, not a second
 *    implementation of the mathematics: `ewmaExact` (doubles, Math.log / Math.exp) is the independent
 *    check that the pipeline computes the intended quantity (tests compare within a relative tolerance).
 *  - `ewmaStep`, `target`, `initial`, `RiskModel`: the engine's formulas and poke semantics (round
 *    skipping, the MAX_ROUNDS window, the step limit), in the contract's order of integer operations.
 */

export const WAD = 10n ** 18n;
export const YEAR = 365n * 86_400n;
export const BPS = 10_000n;
export const MAX_ROUNDS = 32n;
export const MAX_LOG_RETURN = WAD;
const EXP_MINUS_ONE_WAD = 367879441171442321n;
const U128_MAX = (1n << 128n) - 1n;

const u256 = (v: bigint) => BigInt.asUintN(256, v);
const s256 = (v: bigint) => BigInt.asIntN(256, v);
/** EVM `byte(n, v)`: the n-th byte of v counted from the most significant one. */
const byte = (n: bigint, v: bigint) => (n >= 32n ? 0n : (u256(v) >> (8n * (31n - n))) & 0xffn);
/** EVM `sar(shift, v)` on a signed word. */
const sar = (shift: bigint, v: bigint) => s256(v) >> shift;
/** EVM `sdiv`: truncation towards zero (BigInt division truncates too). */
const sdiv = (a: bigint, b: bigint) => s256(s256(a) / s256(b));
const lt = (a: bigint, b: bigint) => (u256(a) < u256(b) ? 1n : 0n);

/** Solady FixedPointMathLib.lnWad (x > 0, WAD): ln(x / 1e18) x 1e18, as the library rounds it. */
export function lnWad(x: bigint): bigint {
  let r = lt(0xffffffffffffffffffffffffffffffffn, x) << 7n;
  r |= lt(0xffffffffffffffffn, u256(x) >> r) << 6n;
  r |= lt(0xffffffffn, u256(x) >> r) << 5n;
  r |= lt(0xffffn, u256(x) >> r) << 4n;
  r |= lt(0xffn, u256(x) >> r) << 3n;
  if (s256(x) <= 0n) throw new Error("LnWadUndefined");
  const shift = u256(x) >> r;
  const idx = (shift >= 256n ? 0n : 0x8421084210842108cc6318c6db6d54ben >> shift) & 0x1fn;
  r ^= byte(idx, 0xf8f9f9faf9fdfafbf9fdfcfdfafbfcfef9fafdfafcfcfbfefafafcfbffffffffn);
  let v = u256(u256(x) << r) >> 159n;
  const mul = (a: bigint, b: bigint) => s256(a * b);
  const add = (a: bigint, b: bigint) => s256(a + b);
  const sub = (a: bigint, b: bigint) => s256(a - b);
  let p = sub(
    sar(
      96n,
      mul(
        add(
          43456485725739037958740375743393n,
          sar(
            96n,
            mul(add(24828157081833163892658089445524n, sar(96n, mul(add(3273285459638523848632254066296n, v), v))), v),
          ),
        ),
        v,
      ),
    ),
    11111509109440967052023855526967n,
  );
  p = sub(sar(96n, mul(p, v)), 45023709667254063763336534515857n);
  p = sub(sar(96n, mul(p, v)), 14706773417378608786704636184526n);
  p = sub(mul(p, v), s256(795164235651350426258249787498n << 96n));
  let q = add(5573035233440673466300451813936n, v);
  q = add(71694874799317883764090561454958n, sar(96n, mul(v, q)));
  q = add(283447036172924575727196451306956n, sar(96n, mul(v, q)));
  q = add(401686690394027663651624208769553n, sar(96n, mul(v, q)));
  q = add(204048457590392012362485061816622n, sar(96n, mul(v, q)));
  q = add(31853899698501571402653359427138n, sar(96n, mul(v, q)));
  q = add(909429971244387300277376558375n, sar(96n, mul(v, q)));
  p = sdiv(p, q);
  p = mul(1677202110996718588342820967067443963516166n, p);
  p = add(mul(16597577552685614221487285958193947469193820559219878177908093499208371n, sub(159n, r)), p);
  p = add(600920179829731861736702779321621459595472258049074101567377883020018308n, p);
  v = sar(174n, p);
  return v;
}

/** Solady FixedPointMathLib.expWad (WAD): exp(x / 1e18) x 1e18, as the library rounds it. */
export function expWad(x: bigint): bigint {
  if (x <= -41446531673892822313n) return 0n;
  if (x >= 135305999368893231589n) throw new Error("ExpOverflow");
  x = s256(x << 78n) / 5n ** 18n;
  const k = (s256(x << 96n) / 54916777467707473351141471128n + 2n ** 95n) >> 96n;
  x = x - k * 54916777467707473351141471128n;
  let y = x + 1346386616545796478920950773328n;
  y = ((y * x) >> 96n) + 57155421227552351082224309758442n;
  let p = y + x - 94201549194550492254356042504812n;
  p = ((p * y) >> 96n) + 28719021644029726153956944680412240n;
  p = p * x + (4385272521454847904659076985693276n << 96n);
  let q = x - 2855989394907223263936484059900n;
  q = ((q * x) >> 96n) + 50020603652535783019961831881945n;
  q = ((q * x) >> 96n) - 533845033583426703283633433725380n;
  q = ((q * x) >> 96n) + 3604857256930695427073651918091429n;
  q = ((q * x) >> 96n) - 14423608567350463180887372962807573n;
  q = ((q * x) >> 96n) + 26449188498355588339934803723976023n;
  const r = sdiv(p, q);
  return s256(u256(u256(r) * 3822833074963236453042738258902158003155416615667n) >> (195n - k));
}

/** floor(sqrt(x)) (Solady's sqrt rounds down, so any exact integer square root matches it). */
export function isqrt(x: bigint): bigint {
  if (x < 0n) throw new Error("sqrt of a negative number");
  if (x < 2n) return x;
  let z = BigInt(Math.floor(Math.sqrt(Number(x))));
  // Newton's iteration from a float estimate, then fix the last unit
  for (;;) {
    const next = (z + x / z) >> 1n;
    if (next >= z) break;
    z = next;
  }
  while (z * z > x) z -= 1n;
  while ((z + 1n) * (z + 1n) <= x) z += 1n;
  return z;
}

/** The engine's log return of one round: clamp(lnWad(p1 x 1e18 / p0), -1, 1) (WAD). */
export function logReturn(p0: bigint, p1: bigint): bigint {
  const x = (p1 * WAD) / p0;
  if (x <= EXP_MINUS_ONE_WAD) return -MAX_LOG_RETURN;
  const r = lnWad(x);
  return r > MAX_LOG_RETURN ? MAX_LOG_RETURN : r < -MAX_LOG_RETURN ? -MAX_LOG_RETURN : r;
}

/** One EWMA step: var <- a var + (1 - a) r^2 / dt, a = exp(-dt / tau); var in WAD per second. */
export function ewmaStep(v: bigint, p0: bigint, p1: bigint, dt: bigint, tau: bigint): bigint {
  const r = logReturn(p0, p1);
  const obs = (r * r) / (WAD * dt);
  let a = expWad(-((dt * WAD) / tau));
  if (a > WAD) a = WAD;
  return (a * v + (WAD - a) * obs) / WAD;
}

export interface Params {
  z: bigint; // WAD
  tau: bigint; // s
  horizon: bigint; // s
  imFactorBps: bigint;
  stepBps: bigint;
}

export interface Bounds {
  baseBps: bigint;
  minBps: bigint;
  maxBps: bigint;
}

/** Maintenance target in basis points: clamp(max(base, ceil(z sigma sqrt(T) x 1e4)), min, max). */
export function target(v: bigint, p: Params, b: Bounds): bigint {
  const s = isqrt(v * p.horizon * WAD);
  const vol = (p.z * s * BPS + WAD * WAD - 1n) / (WAD * WAD);
  let mm = vol > b.baseBps ? vol : b.baseBps;
  if (mm < b.minBps) mm = b.minBps;
  if (mm > b.maxBps) mm = b.maxBps;
  return mm;
}

/** Initial ratio: min(10000, ceil(mm x imFactor / 1e4)). */
export function initial(mm: bigint, imFactorBps: bigint): bigint {
  const im = (mm * imFactorBps + BPS - 1n) / BPS;
  return im > BPS ? BPS : im;
}

/** Annualised volatility (WAD) of a per-second variance (WAD). */
export const sigmaAnnual = (v: bigint) => isqrt(v * YEAR * WAD);

/** The per-second variance (WAD) of an annualised volatility (WAD), as the constructor seeds it. */
export const seedVariance = (vol: bigint) => (vol * vol) / WAD / YEAR;

/** One round as a feed reports it; `missing` rounds read as a revert or zeros. */
export interface Round {
  answer: bigint;
  updatedAt: bigint;
  answeredInRound?: bigint; // defaults to the round's own id
  missing?: boolean;
}

/** What the model keeps per market (the engine's MarketState and ratio). */
export interface MarketModel {
  roundId: bigint;
  price: bigint;
  updatedAt: bigint;
  variance: bigint;
  mm: bigint;
  im: bigint;
}

/**
 * The engine's poke of one market over a feed history `rounds` (round id i + 1 at index i): which
 * rounds it reads and uses, the EWMA and the stepped ratio. Mutates and returns `m`.
 */
export function poke(
  m: MarketModel,
  rounds: readonly Round[],
  now: bigint,
  p: Params,
  b: Bounds,
): { used: number; changed: boolean } {
  const latestId = BigInt(rounds.length);
  if (latestId <= m.roundId) return { used: 0, changed: false };
  const from = latestId - m.roundId > MAX_ROUNDS ? latestId - MAX_ROUNDS + 1n : m.roundId + 1n;
  let { variance: v, price: p0, updatedAt: t0 } = m;
  let used = 0;
  for (let id = from; id <= latestId; id++) {
    const r = rounds[Number(id) - 1];
    // the latest round comes from latestRoundData, which never "misses"
    if (r.missing && id !== latestId) continue;
    const answered = r.answeredInRound ?? id;
    if (answered < id || r.answer <= 0n || r.answer > U128_MAX) continue;
    if (r.updatedAt <= t0 || r.updatedAt > now) continue;
    v = ewmaStep(v, p0, r.answer, r.updatedAt - t0, p.tau);
    p0 = r.answer;
    t0 = r.updatedAt;
    used++;
  }
  m.roundId = latestId;
  let changed = false;
  if (used > 0) {
    m.price = p0;
    m.updatedAt = t0;
    m.variance = v;
    const tgt = target(v, p, b);
    let mm = tgt;
    if (tgt > m.mm + p.stepBps) mm = m.mm + p.stepBps;
    else if (tgt + p.stepBps < m.mm) mm = m.mm - p.stepBps;
    const im = initial(mm, p.imFactorBps);
    changed = mm !== m.mm || im !== m.im;
    m.mm = mm;
    m.im = im;
  }
  return { used, changed };
}

/**
 * The same EWMA in floating point with the exact functions (Math.log, Math.exp, no intermediate
 * rounding): what the integer pipeline approximates. Returns the variance per second (not WAD).
 */
export function ewmaExact(v0: number, series: readonly { price: number; t: number }[], tau: number): number {
  let v = v0;
  for (let i = 1; i < series.length; i++) {
    const dt = series[i].t - series[i - 1].t;
    const r = Math.max(-1, Math.min(1, Math.log(series[i].price / series[i - 1].price)));
    const a = Math.exp(-dt / tau);
    v = a * v + ((1 - a) * r * r) / dt;
  }
  return v;
}
