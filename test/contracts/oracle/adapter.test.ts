import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { DAY, governed } from "../../helpers/timelock";
import { ASSET_PRICES, E18, E8, MARKET_PRICES, MAX_AGE, riskFixture } from "../risk/fixtures";

const MAX_U64 = 2n ** 64n - 1n;
const GRACE = 3600;

/** The v2 adapter of the risk fixture (timelock owner, 8-decimal TestAggregators), and a sequencer feed. */
async function oracleFixture() {
  const f = await riskFixture();
  const sequencer = await f.agg(0, 0n); // round 1: up since now
  const setSequencer = (feed: string, grace = GRACE) =>
    governed(f.timelock, f.oracle, f.oracle.interface.encodeFunctionData("setSequencerFeed", [feed, grace]));
  return { ...f, sequencer, setSequencer };
}

const load = () => loadFixture(oracleFixture);

describe("OracleAdapter v2", () => {
  describe("prices and feeds", () => {
    it("returns every market and asset price of fresh complete rounds, one asset at a time too", async () => {
      const { oracle } = await load();
      expect(await oracle.marketPrices()).to.deep.equal(MARKET_PRICES);
      expect(await oracle.assetPrices()).to.deep.equal(ASSET_PRICES);
      expect(await oracle.assetPrice(1)).to.equal(ASSET_PRICES[1]);
      expect(await oracle.assetCount()).to.equal(2n);
    });

    it("refuses at deployment 0 or more than 4 asset feeds, or max ages not one per feed (Oracle__BadAssetFeeds)", async () => {
      const { oracle, timelock, marketAddrs, assetAddrs } = await load();
      const factory = await ethers.getContractFactory("OracleAdapter");
      const owner = await timelock.getAddress();
      const ages = [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE] as [number, number, number, number];
      const deploy = (feeds: string[], maxAges: number[]) => factory.deploy(owner, marketAddrs, ages, feeds, maxAges);
      const five = [...assetAddrs, ...assetAddrs, assetAddrs[0]];
      await expect(deploy([], [])).to.be.revertedWithCustomError(oracle, "Oracle__BadAssetFeeds").withArgs(0n);
      await expect(
        deploy(
          five,
          five.map(() => MAX_AGE),
        ),
      )
        .to.be.revertedWithCustomError(oracle, "Oracle__BadAssetFeeds")
        .withArgs(5n);
      await expect(deploy(assetAddrs, [MAX_AGE]))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadAssetFeeds")
        .withArgs(BigInt(assetAddrs.length));
      // the bounds themselves are accepted: 1 and 4 feeds
      await expect(deploy([assetAddrs[0]], [MAX_AGE])).to.not.be.reverted;
      const four = [...assetAddrs, ...assetAddrs];
      await expect(
        deploy(
          four,
          four.map(() => MAX_AGE),
        ),
      ).to.not.be.reverted;
    });

    it("reports each feed and its maxAge, and rejects unknown indices", async () => {
      const { oracle, marketAddrs, assetAddrs } = await load();
      expect([...(await oracle.marketFeed(2))]).to.deep.equal([marketAddrs[2], BigInt(MAX_AGE)]);
      expect([...(await oracle.assetFeed(1))]).to.deep.equal([assetAddrs[1], BigInt(MAX_AGE)]);
      await expect(oracle.marketFeed(4)).to.be.revertedWithCustomError(oracle, "Oracle__UnknownMarket").withArgs(4n);
      await expect(oracle.assetFeed(2)).to.be.revertedWithCustomError(oracle, "Oracle__UnknownAsset").withArgs(2n);
      await expect(oracle.assetPrice(2)).to.be.revertedWithCustomError(oracle, "Oracle__UnknownAsset").withArgs(2n);
    });

    it("reads a feed's decimals with every answer: ETH at 18 then 8 decimals reads 3000 both times", async () => {
      const { oracle, assets } = await load();
      const eth = assets[1];
      await (await eth.setDecimals(18)).wait();
      await (await eth.setAnswer(3000n * E18)).wait();
      expect(await oracle.assetPrice(1)).to.equal(3000n * E8);
      // the aggregator behind the proxy changes to 8 decimals (the v1 adapter, caching 18, read 30)
      await (await eth.setDecimals(8)).wait();
      await (await eth.setAnswer(3000n * E8)).wait();
      expect(await oracle.assetPrice(1)).to.equal(3000n * E8);
      expect((await oracle.assetPrices())[1]).to.equal(3000n * E8);
      // and to 6: scaled up
      await (await eth.setDecimals(6)).wait();
      await (await eth.setAnswer(3000n * 10n ** 6n)).wait();
      expect(await oracle.assetPrice(1)).to.equal(3000n * E8);
    });

    it("rejects a feed whose decimals exceed 36 with Oracle__BadDecimals, at read and at set", async () => {
      const { oracle, markets, timelock, agg } = await load();
      await (await markets[1].setDecimals(37)).wait();
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__BadDecimals")
        .withArgs(await markets[1].getAddress(), 37n);
      const odd = await agg(37, 1n);
      const data = oracle.interface.encodeFunctionData("setMarketFeed", [0, await odd.getAddress(), MAX_AGE]);
      await expect(governed(timelock, oracle, data))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadDecimals")
        .withArgs(await odd.getAddress(), 37n);
    });

    it("rejects zero and negative answers with Oracle__NonPositiveAnswer", async () => {
      const { oracle, markets, assets } = await load();
      await (await markets[2].setAnswer(0n)).wait();
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__NonPositiveAnswer")
        .withArgs(await markets[2].getAddress(), 0n);
      await (await assets[0].setAnswer(-5n)).wait();
      await expect(oracle.assetPrice(0))
        .to.be.revertedWithCustomError(oracle, "Oracle__NonPositiveAnswer")
        .withArgs(await assets[0].getAddress(), -5n);
    });

    it("rejects an answer that scales to 0 (18 decimals, below 1e-8) with Oracle__NonPositiveAnswer", async () => {
      const { oracle, assets } = await load();
      await (await assets[0].setDecimals(18)).wait();
      await (await assets[0].setAnswer(9_999_999_999n)).wait();
      await expect(oracle.assetPrice(0)).to.be.revertedWithCustomError(oracle, "Oracle__NonPositiveAnswer");
    });

    it("accepts an answer exactly maxAge old and rejects one a second older with Oracle__StaleAnswer", async () => {
      const { oracle, markets } = await load();
      const t = BigInt(await time.latest()) + 10n;
      await time.increaseTo(t);
      for (const m of markets) await (await m.pushRound(await m.answer(), t)).wait();
      await time.increaseTo(t + BigInt(MAX_AGE));
      await expect(oracle.marketPrices()).not.to.be.reverted;
      await time.increase(1);
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__StaleAnswer")
        .withArgs(await markets[0].getAddress(), t, MAX_AGE);
    });

    it("rejects an updatedAt in the future with Oracle__StaleAnswer", async () => {
      const { oracle, markets } = await load();
      const future = BigInt(await time.latest()) + 1000n;
      await (await markets[1].setRound(7, 123n * E8, future, future, 7)).wait();
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__StaleAnswer")
        .withArgs(await markets[1].getAddress(), future, MAX_AGE);
    });

    it("rejects incomplete rounds (answered earlier, or updatedAt 0) with Oracle__IncompleteRound", async () => {
      const { oracle, markets } = await load();
      const now = BigInt(await time.latest());
      await (await markets[3].setRound(9, E8, now, now, 8)).wait();
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__IncompleteRound")
        .withArgs(await markets[3].getAddress(), 9n, 8n);
      await (await markets[3].setRound(10, E8, now, 0, 10)).wait();
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__IncompleteRound")
        .withArgs(await markets[3].getAddress(), 10n, 10n);
    });

    it("accepts 2^64 - 1 and rejects 2^64 with Oracle__PriceTooLarge, also for a 6-decimal feed", async () => {
      const { oracle, markets } = await load();
      await (await markets[0].setAnswer(MAX_U64)).wait();
      expect((await oracle.marketPrices())[0]).to.equal(MAX_U64);
      await (await markets[0].setAnswer(MAX_U64 + 1n)).wait();
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__PriceTooLarge")
        .withArgs(await markets[0].getAddress(), MAX_U64 + 1n);
      await (await markets[0].setDecimals(6)).wait();
      await (await markets[0].setAnswer(2n ** 200n)).wait();
      await expect(oracle.marketPrices()).to.be.revertedWithCustomError(oracle, "Oracle__PriceTooLarge");
    });
  });

  describe("sequencer", () => {
    it("rejects reads while the sequencer is down and during the grace period, then accepts them", async () => {
      const { oracle, sequencer, setSequencer } = await load();
      await setSequencer(await sequencer.getAddress());
      const down = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(down);
      await (await sequencer.setAnswer(1n)).wait();
      await expect(oracle.marketPrices()).to.be.revertedWithCustomError(oracle, "Oracle__SequencerDown");
      await expect(oracle.assetPrice(0)).to.be.revertedWithCustomError(oracle, "Oracle__SequencerDown");
      const up = down + 600n;
      await time.setNextBlockTimestamp(up);
      await (await sequencer.setAnswer(0n)).wait();
      await expect(oracle.assetPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__SequencerGracePeriod")
        .withArgs(up, GRACE);
      await time.increaseTo(up + BigInt(GRACE));
      await expect(oracle.marketPrices()).to.be.revertedWithCustomError(oracle, "Oracle__SequencerGracePeriod");
      await time.increase(1);
      expect(await oracle.marketPrices()).to.deep.equal(MARKET_PRICES);
    });

    it("rejects an uptime round with startedAt 0 or in the future with Oracle__SequencerRoundInvalid", async () => {
      const { oracle, sequencer, setSequencer } = await load();
      await setSequencer(await sequencer.getAddress());
      await (await sequencer.setRound(5, 0n, 0, 0, 5)).wait();
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__SequencerRoundInvalid")
        .withArgs(0n);
      await expect(oracle.sequencerDowntimeSince(0)).to.be.revertedWithCustomError(
        oracle,
        "Oracle__SequencerRoundInvalid",
      );
      const future = BigInt(await time.latest()) + 100n;
      await (await sequencer.setRound(6, 0n, future, future, 6)).wait();
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__SequencerRoundInvalid")
        .withArgs(future);
    });

    it("bounds the grace period to a day and clears the check with address 0", async () => {
      const { oracle, sequencer, setSequencer } = await load();
      await expect(setSequencer(await sequencer.getAddress(), 86_401))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadGrace")
        .withArgs(86_401);
      await expect(setSequencer(await sequencer.getAddress(), 86_400))
        .to.emit(oracle, "SequencerFeedSet")
        .withArgs(await sequencer.getAddress(), 86_400);
      await (await sequencer.setAnswer(1n)).wait();
      await expect(oracle.marketPrices()).to.be.revertedWithCustomError(oracle, "Oracle__SequencerDown");
      await setSequencer("0x0000000000000000000000000000000000000000", 0);
      expect(await oracle.marketPrices()).to.deep.equal(MARKET_PRICES);
    });
  });

  describe("sequencerDowntimeSince", () => {
    /** Sequencer feed: round 1 up (deployment), round 2 down since D, round 3 up since U = D + 1000. */
    async function outage() {
      const f = await load();
      await f.setSequencer(await f.sequencer.getAddress());
      const D = BigInt(await time.latest()) + 100n;
      const U = D + 1000n;
      await time.increaseTo(U + 50n);
      await (await f.sequencer.pushRound(1n, D)).wait();
      await (await f.sequencer.pushRound(0n, U)).wait();
      return { ...f, D, U };
    }
    const G = BigInt(GRACE);

    it("is 0 without a sequencer feed", async () => {
      const { oracle } = await load();
      expect(await oracle.sequencerDowntimeSince(0)).to.equal(0n);
    });

    it("counts the whole outage plus the grace for t before it went down", async () => {
      const { oracle, D, U } = await outage();
      expect(await oracle.sequencerDowntimeSince(D - 10n)).to.equal(U - D + G);
      expect(await oracle.sequencerDowntimeSince(D)).to.equal(U - D + G);
    });

    it("counts from t for t inside the outage", async () => {
      const { oracle, D, U } = await outage();
      expect(await oracle.sequencerDowntimeSince(D + 400n)).to.equal(U - D - 400n + G);
      expect(await oracle.sequencerDowntimeSince(U - 1n)).to.equal(1n + G);
    });

    it("is 0 for t at or after the sequencer came back up", async () => {
      const { oracle, U } = await outage();
      expect(await oracle.sequencerDowntimeSince(U)).to.equal(0n);
      expect(await oracle.sequencerDowntimeSince(U + 10n)).to.equal(0n);
    });

    it("counts an ongoing outage up to now, plus the grace", async () => {
      const { oracle, sequencer, setSequencer } = await load();
      await setSequencer(await sequencer.getAddress());
      const D = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(D);
      await (await sequencer.setAnswer(1n)).wait();
      await time.increaseTo(D + 500n);
      expect(await oracle.sequencerDowntimeSince(D - 100n)).to.equal(500n + G);
      expect(await oracle.sequencerDowntimeSince(D + 200n)).to.equal(300n + G);
    });

    it("counts only the grace when the previous round is missing or was not a down round", async () => {
      const { oracle, sequencer, setSequencer } = await load();
      await setSequencer(await sequencer.getAddress());
      const U = BigInt(await time.latest()) + 10n;
      await time.increaseTo(U + 10n);
      await (await sequencer.pushRound(0n, U)).wait(); // round 2: up, after round 1 up
      expect(await oracle.sequencerDowntimeSince(U - 100n)).to.equal(G);
      await (await sequencer.deleteRound(1)).wait(); // round 1 now reverts
      expect(await oracle.sequencerDowntimeSince(U - 100n)).to.equal(G);
    });

    it("counts only the latest of two outages (the documented limit)", async () => {
      const { oracle, sequencer, D, U } = await outage();
      const D2 = U + 5000n;
      const U2 = D2 + 200n;
      await time.increaseTo(U2 + 1n);
      await (await sequencer.pushRound(1n, D2)).wait();
      await (await sequencer.pushRound(0n, U2)).wait();
      expect(await oracle.sequencerDowntimeSince(D - 1n)).to.equal(U2 - D2 + G);
    });
  });

  describe("requiredDelay", () => {
    it("defaults to 2 days and is bounded to [1 day, 30 days] and to the timelock's delay", async () => {
      const { oracle, timelock } = await load();
      expect(await oracle.requiredDelay()).to.equal(2n * DAY);
      const set = (d: bigint) =>
        governed(timelock, oracle, oracle.interface.encodeFunctionData("setRequiredDelay", [d]));
      await expect(set(DAY - 1n))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadRequiredDelay")
        .withArgs(DAY - 1n);
      await expect(set(30n * DAY + 1n))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadRequiredDelay")
        .withArgs(30n * DAY + 1n);
      await expect(set(2n * DAY + 1n))
        .to.be.revertedWithCustomError(oracle, "Governed__DelayTooShort")
        .withArgs(2n * DAY, 2n * DAY + 1n);
      await expect(set(DAY)).to.emit(oracle, "RequiredDelaySet").withArgs(DAY);
    });
  });
});
