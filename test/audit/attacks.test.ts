/**
 * The audit's algebra and attacks on synthetic histories (no chain): the two-lot solver against brute
 * force, the chance estimate, the v1 attack recovering an exact lot and failing on a rounded amount, the
 * policy bracket of a certificate's d, and the deleverage fee's reading.
 */
import { expect } from "chai";
import fc from "fast-check";
import {
  chanceDivisible,
  ceilDiv,
  floorDiv,
  significantDigits,
  solveTwoLots,
  trailingZeros10,
} from "../../scripts/lib/audit/algebra";
import { type PriceObs, roundedInterval, singleLot, twoLots } from "../../scripts/lib/audit/attacks";
import { challengeBounds, policyBracket } from "../../scripts/lib/audit/bounds";
import { intrinsicGas } from "../../scripts/lib/audit/decode";
import type { ChallengeFact } from "../../scripts/lib/audit/types";

const obs = (block: number, prices: bigint[], value = 10n ** 22n): PriceObs => ({
  block,
  logIndex: 1,
  prices,
  value,
  kind: "update",
});
const P0 = [301234567891n, 6123456789012n, 15123456789n, 81234567n];
const P1 = [308765432109n, 6098765432101n, 14987654321n, 82345678n];
const P2 = [314159265358n, 6172839506172n, 15246913578n, 80123456n];

describe("Privacy audit: algebra and attacks on synthetic histories", () => {
  it("solves x a + y b = A exactly as brute force does", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -60, max: 60 }).filter((x) => x !== 0),
        fc.integer({ min: -60, max: 60 }).filter((x) => x !== 0),
        fc.integer({ min: -3000, max: 3000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        (a, b, A, xMax, yMax) => {
          const r = solveTwoLots(BigInt(A), BigInt(a), BigInt(b), BigInt(xMax), BigInt(yMax), 10_000);
          const brute: Array<[bigint, bigint]> = [];
          for (let x = 1; x <= xMax; x++)
            for (let y = 1; y <= yMax; y++) if (x * a + y * b === A) brute.push([BigInt(x), BigInt(y)]);
          expect(r.count).to.equal(BigInt(brute.length));
          expect(r.solutions.map(([x, y]) => `${x},${y}`).sort()).to.deep.equal(
            brute.map(([x, y]) => `${x},${y}`).sort(),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("divides with floor and ceiling for every sign", () => {
    for (const [a, b] of [
      [7n, 2n],
      [-7n, 2n],
      [7n, -2n],
      [-7n, -2n],
      [6n, 3n],
      [-6n, 3n],
    ]) {
      expect(floorDiv(a, b)).to.equal(BigInt(Math.floor(Number(a) / Number(b))));
      expect(ceilDiv(a, b)).to.equal(BigInt(Math.ceil(Number(a) / Number(b))));
    }
    expect(trailingZeros10(2_300n * 10n ** 17n)).to.equal(19);
    expect(significantDigits(2_300n * 10n ** 17n)).to.equal(2);
  });

  it("calls a divisor of a round amount a likely coincidence, of a ragged one an unlikely one", () => {
    expect(chanceDivisible(10n ** 7n, 8n * 10n ** 19n)).to.equal(1);
    expect(chanceDivisible(7_530_864_218n, 8n * 10n ** 19n)).to.be.below(1e-8);
  });

  it("(a) recovers size, side and entry exactly when a settlement is one lot's whole PnL", () => {
    const q = 14_142_135_623n;
    const amount = q * (P1[0] - P0[0]);
    const entries = [obs(10, P0), obs(20, P1)];
    const r = singleLot(amount, "s", { block: 20, logIndex: 9 }, entries, entries);
    expect(r.verdict).to.equal("exact");
    expect(r.readings[0][0]).to.include({ market: 0, side: "long", size: q, entryPrice: P0[0], exitPrice: P1[0] });
    // a short of the same lot gives the negative amount
    const s = singleLot(-amount, "s", { block: 20, logIndex: 9 }, entries, entries);
    expect(s.readings[0][0]).to.include({ side: "short", size: q });
  });

  it("(a) recovers nothing exactly from the same PnL rounded to 2 significant digits, only a bound", () => {
    const q = 14_142_135_623n;
    const pnl = q * (P1[0] - P0[0]);
    const unit = 10n ** BigInt(pnl.toString().length - 2);
    const rounded = (pnl / unit) * unit;
    const interval = roundedInterval(rounded, true)!;
    expect(pnl >= interval.lo && pnl <= interval.hi).to.equal(true);
    const entries = [obs(10, P0), obs(20, P1), obs(30, P2)];
    const r = singleLot(rounded, "s", { block: 30, logIndex: 9 }, entries, entries, "a", interval);
    expect(r.verdict).to.not.equal("exact");
    expect(r.rounded!.readings).to.be.greaterThan(0);
    expect(r.rounded!.minSizes > 1n).to.equal(true);
  });

  it("(b) finds the two lots of a close, among the other solutions of the same equation", () => {
    const [x, y] = [31_415_926_535n, 17_320_508_075n];
    const amount = x * (P2[0] - P0[0]) + y * (P2[0] - P1[0]);
    const entries = [obs(10, P0), obs(20, P1), obs(30, P2)];
    const r = twoLots(amount, "s", { block: 30, logIndex: 9 }, entries, entries);
    expect(r.solutions > 0n).to.equal(true);
    const all = solveTwoLots(amount, P2[0] - P0[0], P2[0] - P1[0], 10n ** 14n, 10n ** 14n, 1_000_000);
    expect(all.solutions.some(([a, b]) => a === x && b === y)).to.equal(true);
  });

  it("brackets a certificate's box distance by the default policy's levels", () => {
    expect(policyBracket(1_000n)).to.deep.equal({ policy: true });
    expect(policyBracket(500n)).to.deep.equal({ upper: 1_000n, policy: true });
    expect(policyBracket(0n)).to.deep.equal({ upper: 20n, policy: true });
    expect(policyBracket(333n)).to.deep.equal({ policy: false });
  });

  it("reads a one-market deleverage's fee as the exact reduced size", () => {
    const dq = 4_832_586_339n;
    const prices = [295061728395n, 5802468024680n, 16666666666n, 71234567n];
    const fee = (50n * dq * prices[1]) / 10_000n;
    const ch = {
      block: 1,
      pinnedPrices: prices,
      outcome: { kind: "deleveraged", block: 2, fee, feeBps: 50n, cert: { marketPrices: prices } },
    } as unknown as ChallengeFact;
    const [b] = challengeBounds(ch, []);
    if (b.kind !== "deleverage") throw new Error("expected a deleverage bound");
    expect(dq * prices[1] >= b.notionalMin && dq * prices[1] <= b.notionalMax).to.equal(true);
    expect(b.singleMarket).to.deep.equal([{ market: 1, min: dq, max: dq }]);
  });

  it("counts intrinsic gas as 21,000 plus 16 per non-zero and 4 per zero calldata byte", () => {
    expect(intrinsicGas("0x")).to.equal(21_000n);
    expect(intrinsicGas("0x00ff00")).to.equal(21_000n + 4n + 16n + 4n);
  });
});
