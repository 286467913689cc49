/** The keeper's pure decision rules (keeper/strategy.ts), at their boundaries. */
import { expect } from "chai";
import type { ProtocolParams } from "../../keeper/chain/reader";
import type { AccountRecord, AccountsView } from "../../keeper/index/types";
import {
  type CheckedChallenge,
  type CheckedLiquidation,
  type Economics,
  bondCapacity,
  bountyOf,
  challengePays,
  hintKey,
  liquidationPays,
  movedBeyondBand,
  scan,
  selectChallenges,
  selectLiquidations,
  staleness,
} from "../../keeper/strategy";

const E8 = 10n ** 8n;
const E18 = 10n ** 18n;
const PRICES = [3_000n * E8, 60_000n * E8, 150n * E8, 80n * 10n ** 6n];
const P: ProtocolParams = {
  freshness: 86_400n,
  responseWindow: 300n,
  exclusivePeriod: 60n,
  bond: 10n ** 16n,
  bandBps: 500n,
  bountyBps: 100n,
  bountyCap: 1_000n * E18,
  paused: false,
};
const ECON: Economics = {
  gasPriceWei: 10n ** 9n,
  challengeBaseGas: 210_000n,
  challengeGasPerAccount: 170_000n,
  liquidateBaseGas: 80_000n,
  liquidateGasPerAccount: 120_000n,
  ethPriceInQuote: 3_000n,
  minProfitWei: 0n,
};
const ME = "0x00000000000000000000000000000000000000Aa";
const OTHER = "0x00000000000000000000000000000000000000bB";
const T0 = 1_000_000n;

function rec(over: Partial<AccountRecord> = {}): AccountRecord {
  return { status: "active", nonce: 1n, provenAt: T0, provenPrices: PRICES, ...over };
}
function viewOf(entries: [string, AccountRecord][]): AccountsView {
  const m = new Map(entries);
  return { get: (a) => m.get(a), entries: () => m.entries(), size: m.size };
}
const addr = (i: number) => `0x${i.toString(16).padStart(40, "0")}`;

describe("keeper strategy", () => {
  describe("band rule (same integers as ZkMarginRegistry._challengeable)", () => {
    it("is strict at exactly the band, up and down", () => {
      const b = 3_000n * E8; // 5% = 150
      expect(movedBeyondBand(3_150n * E8, b, 500n)).to.equal(false);
      expect(movedBeyondBand(3_150n * E8 + 1n, b, 500n)).to.equal(true);
      expect(movedBeyondBand(2_850n * E8, b, 500n)).to.equal(false);
      expect(movedBeyondBand(2_850n * E8 - 1n, b, 500n)).to.equal(true);
      expect(movedBeyondBand(3_149n * E8, b, 500n)).to.equal(false); // the contract tests' +4.97%
      expect(movedBeyondBand(3_151n * E8, b, 500n)).to.equal(true); // and +5.03%
    });
  });

  describe("staleness", () => {
    it("is stale by time only strictly after provenAt + freshness", () => {
      expect(staleness(rec(), PRICES, T0 + P.freshness, P)).to.equal(undefined);
      expect(staleness(rec(), PRICES, T0 + P.freshness + 1n, P)).to.deep.equal({
        kind: "time",
        ageSeconds: P.freshness + 1n,
      });
    });

    it("reports the largest price move, and prefers it to age", () => {
      const prices = [3_200n * E8, 70_000n * E8, 150n * E8, 80n * 10n ** 6n]; // +6.67%, +16.67%
      expect(staleness(rec(), prices, T0 + P.freshness + 5n, P)).to.deep.equal({
        kind: "price",
        market: 1,
        moveBps: 1_666n,
      });
    });

    it("never proposes a challenged, liquidated or closed account", () => {
      const moved = [4_000n * E8, ...PRICES.slice(1)];
      const ch = { nonce: 2n, challenger: OTHER, deadline: T0 + 300n, prices: PRICES };
      expect(staleness(rec({ challenge: ch }), moved, T0, P)).to.equal(undefined);
      expect(staleness(rec({ status: "liquidated" }), moved, T0, P)).to.equal(undefined);
      expect(staleness(rec({ status: "closed" }), moved, T0, P)).to.equal(undefined);
    });
  });

  describe("scan", () => {
    const moved = [3_000n * E8, 60_000n * E8, 180n * E8, 80n * 10n ** 6n]; // SOL +20%
    const now = T0 + 1_000n;
    const entries: [string, AccountRecord][] = [
      [addr(1), rec({ provenPrices: moved })], // fresh: proven at the current prices
      [addr(2), rec({ provenPrices: [3_000n * E8, 60_000n * E8, 170n * E8, 80n * 10n ** 6n] })], // +5.9%
      [addr(3), rec()], // +20%
      [addr(4), rec({ provenAt: now - P.freshness - 10n, provenPrices: moved })], // old, prices unchanged
      [addr(5), rec({ challenge: { nonce: 2n, challenger: ME, deadline: now - 1n, prices: PRICES } })], // ours, due
      [addr(6), rec({ challenge: { nonce: 2n, challenger: OTHER, deadline: now - 1n, prices: PRICES } })], // other's: exclusive
      [addr(7), rec({ challenge: { nonce: 2n, challenger: OTHER, deadline: now - 61n, prices: PRICES } })], // other's, past exclusive
      [addr(8), rec({ challenge: { nonce: 2n, challenger: ME, deadline: now, prices: PRICES } })], // not yet (now == deadline)
      [addr(9), rec({ status: "liquidated" })],
    ];

    it("orders challenges by price move then age, and finds due liquidations (exclusive period for others)", () => {
      const s = scan(viewOf(entries), { prices: moved, now, me: ME, params: P });
      expect(s.challenge.map((c) => c.account)).to.deep.equal([addr(3), addr(2), addr(4)]);
      expect(s.liquidate.map((c) => [c.account, c.ours])).to.deep.equal([
        [addr(7), false],
        [addr(5), true],
      ]);
      expect(s.ourOpenChallenges).to.equal(2);
      expect(s.counts).to.deep.equal({ accounts: 9, active: 8, challenged: 4, liquidated: 1, closed: 0, stale: 3 });
    });

    it("honours pause-extended deadlines, cool-downs, a paused registry and a failed oracle read", () => {
      const hints = new Map([[hintKey(addr(5), 2n), now + 100n]]);
      const s = scan(viewOf(entries), {
        prices: moved,
        now,
        me: ME,
        params: P,
        deadlineHints: hints,
        coolingDown: (a) => a === addr(3),
      });
      expect(s.liquidate.map((c) => c.account)).to.deep.equal([addr(7)]);
      expect(s.challenge.map((c) => c.account)).to.not.include(addr(3));
      const paused = scan(viewOf(entries), { prices: moved, now, me: ME, params: { ...P, paused: true } });
      expect([paused.challenge.length, paused.liquidate.length]).to.deep.equal([0, 0]);
      const noOracle = scan(viewOf(entries), { prices: undefined, now, me: ME, params: P });
      expect(noOracle.challenge).to.have.length(0);
      expect(noOracle.liquidate).to.have.length(2);
    });
  });

  describe("economics", () => {
    it("computes the registry's capped bounty", () => {
      expect(bountyOf(6_400n * E18, P)).to.equal(64n * E18);
      expect(bountyOf(200_000n * E18, P)).to.equal(1_000n * E18);
    });

    it("liquidates only when the bounty (plus our own bond) beats the gas", () => {
      // one-account liquidation: 200k gas x 1 gwei = 2e14 wei = $0.60 at $3,000/ETH
      const cost = 200_000n * 10n ** 9n * 3_000n;
      expect(liquidationPays(cost, false, P.bond, ECON)).to.equal(true);
      expect(liquidationPays(cost - 1n, false, P.bond, ECON)).to.equal(false);
      expect(liquidationPays(0n, true, P.bond, ECON)).to.equal(true); // our bond (0.01 ETH) is worth freeing
      expect(liquidationPays(cost, false, P.bond, { ...ECON, minProfitWei: 1n })).to.equal(false);
    });

    it("challenges only accounts whose possible bounty covers both transactions", () => {
      const gas = 210_000n + 170_000n + 80_000n + 120_000n;
      const value = gas * 10n ** 9n * 3_000n * 100n; // 1% bounty = exactly the cost
      expect(challengePays(value, P, ECON)).to.equal(true);
      expect(challengePays(value - 100n, P, ECON)).to.equal(false);
    });

    it("caps our bonds at risk", () => {
      expect(bondCapacity(0, 10n ** 16n, 10n ** 17n)).to.equal(10);
      expect(bondCapacity(7, 10n ** 16n, 10n ** 17n)).to.equal(3);
      expect(bondCapacity(10, 10n ** 16n, 10n ** 17n)).to.equal(0);
      expect(bondCapacity(11, 10n ** 16n, 10n ** 17n)).to.equal(0);
    });
  });

  describe("selection", () => {
    const now = T0;
    const lc = (i: number, ours: boolean, deadline: bigint | null, value: bigint): CheckedLiquidation => ({
      candidate: { account: addr(i), nonce: 2n, challenger: ours ? ME : OTHER, deadline: now - 100n, ours },
      deadline,
      pinnedValue: value,
    });

    it("liquidates by the chain's deadline, highest bounty first, in batches, and says why it skips", () => {
      const checked = [
        lc(1, true, now - 1n, 1_000n * E18),
        lc(2, false, now - 30n, 5_000n * E18), // other's challenge, still exclusive
        lc(3, false, null, 0n), // closed meanwhile
        lc(4, false, now - 61n, 10n * E18), // bounty $0.10 < gas $0.60
        lc(5, false, now - 61n, 9_000n * E18),
        lc(6, true, now + 5n, 9_000n * E18), // extended by a pause
        lc(7, false, now - 61n, 2_000n * E18),
      ];
      const sel = selectLiquidations(checked, now, P, ECON, { batchSize: 2, maxBatches: 1 });
      expect(sel.batches).to.deep.equal([[addr(5), addr(7)]]);
      expect(sel.skipped).to.deep.equal([
        { account: addr(2), reason: "not-due" },
        { account: addr(3), reason: "no-open-challenge" },
        { account: addr(4), reason: "unprofitable" },
        { account: addr(6), reason: "not-due" },
        { account: addr(1), reason: "round-limit" },
      ]);
    });

    it("challenges what is still challengeable and pays, within the bond cap, highest bounty first", () => {
      const cc = (i: number, ok: boolean, value: bigint): CheckedChallenge => ({
        candidate: { account: addr(i), nonce: 1n, reason: { kind: "time", ageSeconds: 1n } },
        challengeable: ok,
        value,
      });
      const checked = [
        cc(1, true, 1_000n * E18),
        cc(2, false, 9_000n * E18),
        cc(3, true, 1n * E18),
        cc(4, true, 5_000n * E18),
        cc(5, true, 3_000n * E18),
      ];
      const sel = selectChallenges(checked, P, ECON, 2, { batchSize: 1, maxBatches: 5 });
      expect(sel.batches).to.deep.equal([[addr(4)], [addr(5)]]);
      expect(sel.skipped).to.deep.equal([
        { account: addr(2), reason: "not-challengeable" },
        { account: addr(3), reason: "unprofitable" },
        { account: addr(1), reason: "bond-cap" },
      ]);
    });
  });
});
