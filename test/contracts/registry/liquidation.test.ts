/**
 * ZkMarginRegistry v2: liquidation at execution prices (single and batch, one auction per asset per batch),
 * the bounty ramp and cap, sequencer downtime and pauses, claims (any amount up to equity - penalty, paid and
 * owed when the fund is short), and issue 10's look-back play.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { ContractTransactionReceipt } from "ethers";
import { ethers } from "hardhat";
import { Domain, Side, equityInputs } from "../../../prover/model";
import {
  type ChallengeRecord,
  E8,
  Governance,
  type Sys,
  Trader,
  type TraderSnap,
  UNIT,
  USDC,
  WETH,
  certOf,
  challenge,
  deploy,
  garbled,
  liquidate,
  liquidationsIn,
  loadFixture,
  pastExclusive,
  proveOnce,
  quote,
  recordsIn,
  refreshFeeds,
  revive,
  setMarketPrice,
  tester,
  unpack64,
  usdc,
  weth,
} from "../../helpers/registry";
import { ETH, ETH_PRICE, challengedFixture, pastFreshness } from "./fixtures";

const BPS = 10_000n;
const FROM = 11;

interface Expired {
  f: Sys;
  /** traders[11..15): 1,000 USDC + 0.5 WETH, no position; [14] 100,000 USDC. All challenged by keeper at once. */
  snaps: TraderSnap[];
  records: ChallengeRecord[];
}

/** Four accounts challenged in one batch that nobody answers (no proof needed). */
async function expiredFixture(): Promise<Expired> {
  const f = await deploy();
  const ts: Trader[] = [];
  for (let k = 0; k < 3; k++) {
    ts.push(
      await new Trader(f, f.traders[FROM + k]).open([
        [USDC, usdc(1_000)],
        [WETH, weth(1) / 2n],
      ]),
    );
  }
  ts.push(await new Trader(f, f.traders[FROM + 3]).open([[USDC, usdc(100_000)]]));
  await pastFreshness(f);
  const accounts = ts.map((t) => t.address);
  const certs = [];
  for (const a of accounts) certs.push(await certOf(f, a));
  const rc = await (await f.registry.connect(f.keeper).challengeBatch(accounts, certs, { value: f.bond * 4n })).wait();
  const byAccount = recordsIn(f, rc);
  return { f, snaps: ts.map((t) => t.snap()), records: accounts.map((a) => byAccount.get(a)!) };
}

const exclusiveEnd = (r: ChallengeRecord) => r.deadline + r.exclusivePeriod;

/** The bountyValue of a receipt's (only) Liquidated event. */
function bountyOf(f: Sys, rc: ContractTransactionReceipt | null): bigint {
  const [e] = (rc?.logs ?? []).map((l) => f.registry.interface.parseLog(l)).filter((x) => x?.name === "Liquidated");
  return e!.args.bountyValue as bigint;
}

describe("ZkMarginRegistry v2: liquidation and claims", function () {
  describe("liquidate", () => {
    it("liquidates at the oracle's prices at execution: fund, auction, bounty and bond", async () => {
      const { f, record } = await loadFixture(challengedFixture);
      const a = f.traders[0].address;
      await time.increaseTo(record.deadline + 1n);
      await setMarketPrice(f, ETH, 2800n * E8); // moved during the window: this is the price recorded
      await refreshFeeds(f);
      const fundBefore = await f.tokens[USDC].balanceOf(f.fund);
      const tx = f.registry.connect(f.keeper).liquidate(a, record); // the challenger, inside its exclusive period
      await expect(tx).to.changeEtherBalances([f.keeper, f.registry], [f.bond, -f.bond]);
      const rc = await (await tx).wait();
      const rec = liquidationsIn(f, rc).get(a)!;
      const now = BigInt(await time.latest());
      const v = quote(10_000) + (quote(6_000) * 8_000n) / BPS; // USDC + 2 WETH x 3,000 x 80%
      const m = await f.lens.market();
      expect(rec).to.deep.equal({
        nonce: record.nonce,
        claimUntil: now + BigInt(f.params.timing.claimWindow),
        value: v,
        penalty: (v * BigInt(f.params.incentives.penaltyBps)) / BPS,
        marketPrices: m.marketPrices,
        assetPrices: m.assetPrices,
      });
      expect(unpack64(rec.marketPrices)[ETH]).to.equal(2800n * E8);
      // the challenger within its exclusive period gets the minimum bounty, as a share of each asset
      const bps = BigInt(f.params.incentives.bountyMinBps);
      expect(bountyOf(f, rc)).to.equal((v * bps) / BPS);
      const usdcBounty = (usdc(10_000) * bps) / BPS;
      const wethBounty = (weth(2) * bps) / BPS;
      expect(await f.tokens[USDC].balanceOf(f.fund)).to.equal(fundBefore + usdc(10_000) - usdcBounty);
      expect(await f.tokens[WETH].balanceOf(f.keeper)).to.equal(wethBounty);
      expect(await f.tokens[USDC].balanceOf(f.keeper)).to.equal(usdcBounty);
      expect(await f.auction.inventory(WETH)).to.equal(weth(2) - wethBounty);
      expect(await f.registry.collateralOf(a)).to.deep.equal([0n, 0n, 0n, 0n]);
      const acc = await f.registry.accountOf(a);
      expect(acc.status).to.equal(2n);
      console.log(`      gas.liquidate ${rc!.gasUsed}`);
    });

    it("refuses before the deadline, to others during the exclusive period, and twice", async () => {
      const { f, record } = await loadFixture(challengedFixture);
      const a = f.traders[0].address;
      const other = f.registry.connect(f.keeper2);
      await expect(other.liquidate(a, record))
        .to.be.revertedWithCustomError(f.registry, "Registry__DeadlineNotPassed")
        .withArgs(record.deadline);
      await time.increaseTo(record.deadline + 1n);
      await refreshFeeds(f);
      await expect(other.liquidate(a, record))
        .to.be.revertedWithCustomError(f.registry, "Registry__ExclusivePeriod")
        .withArgs(f.keeper.address, exclusiveEnd(record));
      await expect(other.liquidate(f.traders[1].address, record))
        .to.be.revertedWithCustomError(f.registry, "Registry__NoOpenChallenge")
        .withArgs(f.traders[1].address);
      await expect(other.liquidate(a, { ...record, bond: 1n })).to.be.revertedWithCustomError(
        f.registry,
        "Registry__NoOpenChallenge",
      );
      await pastExclusive(f, record);
      await (await other.liquidate(a, record)).wait();
      await expect(other.liquidate(a, record))
        .to.be.revertedWithCustomError(f.registry, "Registry__NotActive")
        .withArgs(a);
    });

    it("raises the bounty linearly from min to max over the ramp after the exclusive period, up to the cap", async () => {
      const { f: f0 } = await loadFixture(expiredFixture);
      const lo = BigInt(f0.params.incentives.bountyMinBps);
      const hi = BigInt(f0.params.incentives.bountyMaxBps);
      const cap = BigInt(f0.params.incentives.bountyCap);
      const ramp = BigInt(f0.params.timing.bountyRamp);
      const v = quote(1_000) + (quote(1_500) * 8_000n) / BPS; // 1,000 USDC + 0.5 WETH x 3,000 x 80%
      for (const at of [0n, ramp / 4n, ramp / 2n, ramp, 10n * ramp]) {
        const { f, records } = await loadFixture(expiredFixture);
        const t = exclusiveEnd(records[0]) + at;
        await time.increaseTo(t - 10n);
        await refreshFeeds(f);
        await time.setNextBlockTimestamp(t);
        // at the end of the exclusive period only the challenger may liquidate
        const { receipt } = await liquidate(f, at === 0n ? f.keeper : f.keeper2, f.traders[FROM].address, records[0]);
        const elapsed = at < ramp ? at : ramp;
        const bps = lo + ((hi - lo) * elapsed) / ramp;
        expect(bountyOf(f, receipt), `${at} s after the exclusive period`).to.equal((v * bps) / BPS);
      }
      // a large account: the cap binds
      const { f, records } = await loadFixture(expiredFixture);
      await pastExclusive(f, records[3], ramp);
      const { receipt } = await liquidate(f, f.keeper2, f.traders[FROM + 3].address, records[3]);
      expect(bountyOf(f, receipt)).to.equal(cap);
      expect(await f.tokens[USDC].balanceOf(f.keeper2)).to.equal(cap / 10n ** 12n);
    });
  });

  describe("liquidateBatch", () => {
    it("liquidates every expired account at one oracle read and kicks one auction per asset", async () => {
      const { f, records } = await loadFixture(expiredFixture);
      await pastExclusive(f, records[0], BigInt(f.params.timing.bountyRamp));
      const accounts = [0, 1, 2, 3].map((k) => f.traders[FROM + k].address);
      const withFresh = [...accounts, f.traders[0].address];
      const recs = [...records, records[0]];
      const k2 = f.registry.connect(f.keeper2);
      await setMarketPrice(f, ETH, 2_345n * E8); // the prices at execution are the ones recorded
      expect(await k2.liquidateBatch.staticCall(withFresh, recs)).to.equal(4n);
      const rc = await (await k2.liquidateBatch(withFresh, recs)).wait();
      const m = await f.lens.market();
      const liqs = liquidationsIn(f, rc);
      expect(liqs.size).to.equal(4);
      for (const l of liqs.values()) {
        expect([l.marketPrices, l.assetPrices]).to.deep.equal([m.marketPrices, m.assetPrices]);
        expect(unpack64(l.marketPrices)[ETH]).to.equal(2_345n * E8);
      }
      const kicks = rc!.logs.filter((l) => l.address === f.auction.target).map((l) => f.auction.interface.parseLog(l));
      expect(kicks.map((x) => x?.name)).to.deep.equal(["Kick"]);
      const maxBps = BigInt(f.params.incentives.bountyMaxBps);
      const perAccount = weth(1) / 2n - ((weth(1) / 2n) * maxBps) / BPS;
      expect(kicks[0]!.args.asset).to.equal(WETH);
      expect(kicks[0]!.args.lot).to.equal(3n * perAccount);
      for (const a of accounts) expect((await f.registry.accountOf(a)).status).to.equal(2n);
      await expect(k2.liquidateBatch(accounts, records.slice(1))).to.be.revertedWithCustomError(
        f.registry,
        "Registry__LengthMismatch",
      );
      expect(await k2.liquidateBatch.staticCall(accounts, records)).to.equal(0n);
      console.log(`      gas.liquidate_batch4_per_account ${rc!.gasUsed / 4n}`);
    });

    it("skips accounts still in their challenger's exclusive period", async () => {
      const { f, records } = await loadFixture(expiredFixture);
      await time.increaseTo(records[0].deadline + 1n);
      await refreshFeeds(f);
      const accounts = [0, 1].map((k) => f.traders[FROM + k].address);
      expect(await f.registry.connect(f.keeper2).liquidateBatch.staticCall(accounts, records.slice(0, 2))).to.equal(0n);
      expect(await f.registry.connect(f.keeper).liquidateBatch.staticCall(accounts, records.slice(0, 2))).to.equal(2n);
    });
  });

  describe("sequencer downtime and pauses", () => {
    /** The expired fixture with a sequencer uptime feed (grace 30 min) set through the timelock. */
    async function sequencerFixture() {
      const f = await deploy();
      const seq = await (await ethers.getContractFactory("TestAggregator")).deploy(0, 0);
      await seq.waitForDeployment();
      const now = BigInt(await time.latest());
      await (await seq.setRound(1, 0, now - 86_400n, now - 86_400n, 1)).wait();
      await new Governance(f.timelock).run(
        f,
        f.oracle,
        f.oracle.interface.encodeFunctionData("setSequencerFeed", [await seq.getAddress(), 1_800]),
      );
      const t = await new Trader(f, f.traders[FROM]).open([[USDC, usdc(1_000)]]);
      await pastFreshness(f);
      const record = await challenge(f, f.keeper, t.address);
      return { f, seq, record, t: t.snap() };
    }

    it("refuses liquidation while the sequencer is down and during its grace, and extends the deadline by the outage", async () => {
      const { f, seq, record } = await loadFixture(sequencerFixture);
      const a = f.traders[FROM].address;
      const down = record.pinnedAt + 100n; // down inside the window, still down after the exclusive period
      await time.setNextBlockTimestamp(down);
      await (await seq.setRound(2, 1, down, down, 2)).wait();
      await time.increaseTo(exclusiveEnd(record) + 1n);
      await expect(f.registry.connect(f.keeper2).liquidate(a, record)).to.be.revertedWithCustomError(
        f.oracle,
        "Oracle__SequencerDown",
      );
      const up = exclusiveEnd(record) + 10n;
      await time.setNextBlockTimestamp(up);
      await (await seq.setRound(3, 0, up, up, 3)).wait();
      await refreshFeeds(f);
      await expect(f.registry.connect(f.keeper2).liquidate(a, record)).to.be.revertedWithCustomError(
        f.oracle,
        "Oracle__SequencerGracePeriod",
      );
      // after the grace: the deadline moved by the outage and the grace (1,800 s)
      const extended = record.deadline + (up - down) + 1_800n;
      await time.increaseTo(up + 1_801n);
      await refreshFeeds(f);
      await expect(f.registry.connect(f.keeper2).liquidate(a, record))
        .to.be.revertedWithCustomError(f.registry, "Registry__DeadlineNotPassed")
        .withArgs(extended);
      // the owner can still answer until then
      expect(BigInt(await time.latest())).to.be.greaterThan(record.deadline);
      await time.increaseTo(extended + record.exclusivePeriod + 1n);
      await refreshFeeds(f);
      await expect(f.registry.connect(f.keeper2).liquidate(a, record)).to.emit(f.registry, "Liquidated");
    });

    it("lets the owner answer after the original deadline when an outage extended it", async () => {
      const { f, seq, record, t: snap } = await loadFixture(sequencerFixture);
      const [t] = revive(f, [snap], FROM);
      const down = record.pinnedAt + 500n;
      const up = record.pinnedAt + 590n;
      await time.setNextBlockTimestamp(down);
      await (await seq.setRound(2, 1, down, down, 2)).wait();
      await time.setNextBlockTimestamp(up);
      await (await seq.setRound(3, 0, up, up, 3)).wait();
      const p = await t.planRespond(record);
      await time.increaseTo(record.deadline + 600n); // past the original deadline, inside the extension (and the grace)
      await expect(t.reg.respond(t.address, record, p.d, p.pm, p.proof)).to.emit(f.registry, "Responded");
    });

    it("extends deadlines by a guardian pause, which is bounded, and refuses challenges and liquidations meanwhile", async () => {
      const { f, records } = await loadFixture(expiredFixture);
      const a = f.traders[FROM].address;
      const r = records[0];
      await time.setNextBlockTimestamp(r.pinnedAt + 100n);
      await (await f.registry.connect(f.guardian).pause(300)).wait();
      expect(await f.registry.paused()).to.equal(true);
      await expect(f.registry.connect(f.keeper).liquidate(a, r)).to.be.revertedWithCustomError(
        f.registry,
        "Governed__Paused",
      );
      await expect(
        f.registry.connect(f.keeper).challenge(f.traders[0].address, await certOf(f, f.traders[FROM + 1].address), {
          value: f.bond,
        }),
      ).to.be.revertedWithCustomError(f.registry, "Governed__Paused");
      await time.increaseTo(exclusiveEnd(r) + 1n);
      await refreshFeeds(f);
      await expect(f.registry.connect(f.keeper2).liquidate(a, r))
        .to.be.revertedWithCustomError(f.registry, "Registry__DeadlineNotPassed")
        .withArgs(r.deadline + 300n);
      await time.increaseTo(exclusiveEnd(r) + 301n);
      await refreshFeeds(f);
      await expect(f.registry.connect(f.keeper2).liquidate(a, r)).to.emit(f.registry, "Liquidated");
      // the guardian's pause ends by itself after MAX_PAUSE at most, and only the guardian may pause
      await (await f.registry.connect(f.guardian).pause(365n * 86_400n)).wait();
      expect(await f.registry.pausedUntil()).to.equal(BigInt(await time.latest()) + 3n * 86_400n);
      await expect(f.registry.connect(f.guardian).pause(1)).to.be.revertedWithCustomError(
        f.registry,
        "Governed__Paused",
      );
      await (await f.registry.connect(f.guardian).unpause()).wait();
      await expect(f.registry.connect(f.guardian).unpause()).to.be.revertedWithCustomError(
        f.registry,
        "Governed__NotPaused",
      );
      await expect(f.registry.connect(f.keeper).pause(1)).to.be.revertedWithCustomError(
        f.registry,
        "Governed__NotGuardian",
      );
    });
  });

  describe("bond payments that bounce", () => {
    it("credits a bond a challenger contract refuses, and pays it out on withdrawCredit once it accepts", async () => {
      const { f } = await loadFixture(expiredFixture);
      const rk = await (await ethers.getContractFactory("TestRejectingKeeper")).deploy();
      await rk.waitForDeployment();
      const t = await new Trader(f, f.traders[0]).open([[USDC, usdc(500)]]);
      await pastFreshness(f);
      const cert = await certOf(f, t.address);
      // a batch's excess bond is refunded: the contract refuses it, so it is credited
      const rc = await (await rk.challengeBatch(f.registry, [t.address], [cert], { value: f.bond + 5n })).wait();
      const record = recordsIn(f, rc).get(t.address)!;
      expect(await f.registry.ethCredit(rk)).to.equal(5n);
      // the bond returned at liquidation bounces too: credited, the liquidation goes through
      await pastExclusive(f, record);
      await expect(f.registry.connect(f.keeper2).liquidate(t.address, record)).to.emit(f.registry, "Liquidated");
      expect(await f.registry.ethCredit(rk)).to.equal(f.bond + 5n);
      await expect(rk.withdrawCredit(f.registry)).to.be.revertedWithCustomError(f.registry, "Registry__TransferFailed");
      await (await rk.setAccepting(true)).wait();
      await expect(rk.withdrawCredit(f.registry))
        .to.emit(f.registry, "CreditWithdrawn")
        .withArgs(await rk.getAddress(), f.bond + 5n);
      expect(await f.registry.ethCredit(rk)).to.equal(0n);
      await expect(rk.withdrawCredit(f.registry)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__NothingToWithdraw",
      );
    });
  });

  describe("claim", () => {
    /** traders[11] liquidated with 1,000 USDC + 0.5 WETH and no position (equity = V), by keeper2 after the ramp. */
    async function liquidatedFixture() {
      const { f, snaps, records } = await expiredFixture();
      await pastExclusive(f, records[0], BigInt(f.params.timing.bountyRamp));
      const { record } = await liquidate(f, f.keeper2, f.traders[FROM].address, records[0]);
      return { f, snap: snaps[0], record };
    }

    it("pays any amount up to equity - penalty at the liquidation's prices and closes the account", async () => {
      const { f, snap, record } = await loadFixture(liquidatedFixture);
      const [t] = revive(f, [snap], FROM);
      const max = record.value - record.penalty;
      const p = await t.planClaim(record, max);
      const before = await f.tokens[USDC].balanceOf(t.address);
      const tx = t.reg.claim(record, max, p.proof);
      await expect(tx)
        .to.emit(f.registry, "Claimed")
        .withArgs(t.address, max, max / 10n ** 12n, max / 10n ** 12n);
      expect(await f.tokens[USDC].balanceOf(t.address)).to.equal(before + max / 10n ** 12n);
      expect((await f.registry.accountOf(t.address)).status).to.equal(3n);
      await expect(t.reg.claim(record, max, p.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__NotLiquidated")
        .withArgs(t.address);
    });

    it("proves a rounded-down claim (the default) and refuses a claim above equity - penalty", async () => {
      const { f, snap, record } = await loadFixture(liquidatedFixture);
      const [t] = revive(f, [snap], FROM);
      const max = record.value - record.penalty;
      const rounded = (max / 10n ** 20n) * 10n ** 20n; // two significant digits
      const ctx = await t.context(Domain.Claim, record.nonce);
      const above = equityInputs(t.state, {
        value: record.value,
        claimed: max + 1n,
        penalty: record.penalty,
        prices: unpack64(record.marketPrices),
        context: ctx,
      });
      await (await tester("equity")).rejects(above.inputs, { check: 4 });
      const p = await t.planClaim(record, rounded);
      await expect(t.reg.claim(record, max, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
      await expect(t.reg.claim({ ...record, penalty: 0n }, rounded, p.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__BadRecord")
        .withArgs(t.address);
      await expect(f.registry.connect(f.traders[FROM + 1]).claim(record, rounded, p.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__NotLiquidated")
        .withArgs(f.traders[FROM + 1].address);
      await expect(t.reg.claim(record, rounded, garbled(p.proof))).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
      await expect(t.reg.claim(record, 1n << 120n, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ValueTooLarge",
      );
      await expect(t.reg.claim(record, rounded, p.proof)).to.emit(f.registry, "Claimed");
    });

    it("refuses a claim after the claim window", async () => {
      const { f, snap, record } = await loadFixture(liquidatedFixture);
      const [t] = revive(f, [snap], FROM);
      const p = await t.planClaim(record, 0n);
      await time.increaseTo(record.claimUntil + 1n);
      await expect(t.reg.claim(record, 0n, p.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__ClaimWindowOver")
        .withArgs(record.claimUntil);
    });

    it("pays what a short fund has and owes the rest, repaid from the auction of the seized WETH", async () => {
      const f = await loadFixture(emptyFundLiquidation);
      const { t, record } = f;
      const max = record.value - record.penalty;
      const p = await t.planClaim(record, max);
      const rc = await (await t.reg.claim(record, max, p.proof)).wait();
      const [claimed] = rc!.logs.map((l) => f.f.registry.interface.parseLog(l)).filter((e) => e?.name === "Claimed");
      expect(claimed!.args.paid).to.equal(0n);
      expect(await f.f.fund.owedOf(t.address)).to.equal(max / 10n ** 12n);
      // a keeper buys the seized WETH: the proceeds reach the fund, which repays the claim first
      const [id] = await f.f.auction.activeAuctions(0, 1);
      const k = f.f.keeper;
      await (await f.f.tokens[USDC].mint(k.address, usdc(10_000))).wait();
      await (await f.f.tokens[USDC].connect(k).approve(f.f.auction, ethers.MaxUint256)).wait();
      const sale = await f.f.auction.auction(id);
      await (await f.f.auction.connect(k).take(id, sale.lot, sale.price, k.address, "0x")).wait();
      const before = await f.f.tokens[USDC].balanceOf(t.address);
      await (await f.f.fund.repay(1n)).wait();
      expect(await f.f.tokens[USDC].balanceOf(t.address)).to.equal(before + max / 10n ** 12n);
      expect(await f.f.fund.owedOf(t.address)).to.equal(0n);
    });
  });

  describe("the look-back play (issue 10): a 9x position challenged at 3,000, the owner silent", () => {
    for (const [side, move] of [
      [Side.Long, -1000n],
      [Side.Long, 1000n],
    ] as const) {
      const name = `${Side[side].toLowerCase()}, ETH ${move > 0n ? "+" : "-"}10%`;
      it(`${name}: the claim is at most a market close at execution minus the penalty`, async () => {
        const { f, snaps, records } = await loadFixture(lookbackFixture);
        const k = side === Side.Long ? 0 : 1;
        const [t] = revive(f, [snaps[k]], FROM + k);
        const record = records[k];
        const exec = (ETH_PRICE * (BPS + move)) / BPS;
        await time.increase(60);
        await setMarketPrice(f, ETH, exec); // within the window
        await pastExclusive(f, record);
        const { record: liq } = await liquidate(f, f.keeper2, t.address, record);
        expect(unpack64(liq.marketPrices)[ETH]).to.equal(exec);
        // a market close at the execution price returns V + pnl; the claim is that minus the penalty
        const q = 3n * UNIT;
        const pnl = side === Side.Long ? q * exec - q * ETH_PRICE : q * ETH_PRICE - q * exec;
        const close = quote(1_000) + pnl;
        const max = close - liq.penalty;
        expect(liq.penalty).to.equal(quote(50));
        // the look-back claim: a valid Equity proof at the pinned prices (equity there: V) does not verify
        const pinned = equityInputs(t.state, {
          value: liq.value,
          claimed: quote(1_000) - liq.penalty,
          penalty: liq.penalty,
          prices: unpack64(record.marketPrices),
          context: await t.context(Domain.Claim, liq.nonce),
        });
        const lookback = await proveOnce("equity", pinned.inputs);
        await expect(t.reg.claim(liq, quote(1_000) - liq.penalty, lookback)).to.be.revertedWithCustomError(
          f.registry,
          "Registry__ProofInvalid",
        );
        // nor can the owner prove one unit more than the market close minus the penalty
        const above = equityInputs(t.state, {
          value: liq.value,
          claimed: max + 1n,
          penalty: liq.penalty,
          prices: unpack64(liq.marketPrices),
          context: await t.context(Domain.Claim, liq.nonce),
        });
        await (await tester("equity")).rejects(above.inputs, { check: 4 });
        const p = await t.planClaim(liq, max);
        await expect(t.reg.claim(liq, max, p.proof))
          .to.emit(f.registry, "Claimed")
          .withArgs(t.address, max, max / 10n ** 12n, max / 10n ** 12n);
      });
    }
  });
});

/** traders[11] long 3 ETH at 3,000 on 1,000 USDC (9x), challenged at 3,000 (the play). */
async function lookbackFixture() {
  const f = await deploy();
  const ts: Trader[] = [];
  for (const [k, side] of [[0, Side.Long]] as const) {
    const t = await new Trader(f, f.traders[FROM + k]).open([[USDC, usdc(1_000)]]);
    await t.update({ kind: "increase", market: ETH, size: 3n * UNIT, side });
    ts.push(t);
  }
  await pastFreshness(f);
  const records = [];
  for (const t of ts) records.push(await challenge(f, f.keeper, t.address));
  return { f, snaps: ts.map((t) => t.snap()), records };
}

/** An empty fund; traders[11] holds 1 WETH only, is challenged, silent and liquidated: the fund gets no USDC. */
async function emptyFundLiquidation() {
  const f = await deploy({ fundLiquidity: 0n });
  const t = await new Trader(f, f.traders[FROM]).open([[WETH, weth(1)]]);
  await pastFreshness(f);
  const r = await challenge(f, f.keeper, t.address);
  await pastExclusive(f, r, BigInt(f.params.timing.bountyRamp));
  const { record } = await liquidate(f, f.keeper2, t.address, r);
  return { f, t, record };
}
