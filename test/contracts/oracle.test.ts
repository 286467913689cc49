import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { OracleAdapter__factory, TestAggregator__factory } from "../../core/contracts";
import type { TestAggregator } from "../../core/contracts";
import { DEFAULTS, E8, deploySystem } from "../helpers/system";

type Four<T> = [T, T, T, T];
const MAX_AGE = 3600;
const MAX_U64 = 2n ** 64n - 1n;

/** An OracleAdapter over fresh 8-decimal TestAggregators: four markets and two collateral assets. */
async function oracleFixture() {
  const [owner, stranger] = await ethers.getSigners();
  const agg = (decimals: number, answer: bigint) => new TestAggregator__factory(owner).deploy(decimals, answer);
  const markets: TestAggregator[] = [];
  for (const p of DEFAULTS.marketPrices) markets.push(await agg(8, p));
  const assets = [await agg(8, E8), await agg(8, 3000n * E8)];
  const marketAddrs = (await Promise.all(markets.map((m) => m.getAddress()))) as Four<string>;
  const assetAddrs = await Promise.all(assets.map((a) => a.getAddress()));
  const factory = new OracleAdapter__factory(owner);
  const oracle = await factory.deploy(owner.address, marketAddrs, [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE], assetAddrs, [
    MAX_AGE,
    MAX_AGE,
  ]);
  const sequencer = await agg(0, 0n);
  return { owner, stranger, oracle, factory, agg, markets, assets, marketAddrs, assetAddrs, sequencer };
}

describe("OracleAdapter", () => {
  const load = () => loadFixture(oracleFixture);

  describe("round checks", () => {
    it("returns every market and asset price of fresh complete rounds", async () => {
      const { oracle } = await load();
      expect(await oracle.marketPrices()).to.deep.equal(DEFAULTS.marketPrices);
      expect(await oracle.assetPrices()).to.deep.equal([E8, 3000n * E8]);
      expect(await oracle.assetCount()).to.equal(2n);
    });

    it("rejects a zero answer with Oracle__NonPositiveAnswer", async () => {
      const { oracle, markets } = await load();
      await markets[2].setAnswer(0n);
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__NonPositiveAnswer")
        .withArgs(await markets[2].getAddress(), 0n);
    });

    it("rejects a negative answer with Oracle__NonPositiveAnswer", async () => {
      const { oracle, assets } = await load();
      await assets[1].setAnswer(-5n);
      await expect(oracle.assetPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__NonPositiveAnswer")
        .withArgs(await assets[1].getAddress(), -5n);
    });

    it("accepts an answer exactly maxAge old and rejects one a second older with Oracle__StaleAnswer", async () => {
      const { oracle, markets } = await load();
      const updatedAt = await markets[0].updatedAt();
      // markets[0] is the oldest feed (deployed first); every other feed is younger
      await time.increaseTo(updatedAt + BigInt(MAX_AGE));
      await expect(oracle.marketPrices()).not.to.be.reverted;
      await time.increase(1);
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__StaleAnswer")
        .withArgs(await markets[0].getAddress(), updatedAt, MAX_AGE);
    });

    it("rejects an answer whose updatedAt lies in the future with Oracle__StaleAnswer", async () => {
      const { oracle, markets } = await load();
      const future = BigInt(await time.latest()) + 1000n;
      await markets[1].setRound(7, 123n * E8, future, future, 7);
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__StaleAnswer")
        .withArgs(await markets[1].getAddress(), future, MAX_AGE);
    });

    it("rejects a round answered in an earlier round with Oracle__IncompleteRound", async () => {
      const { oracle, markets } = await load();
      const now = BigInt(await time.latest());
      await markets[3].setRound(9, 80n * E8, now, now, 8);
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__IncompleteRound")
        .withArgs(await markets[3].getAddress(), 9, 8);
    });

    it("rejects a round with updatedAt == 0 with Oracle__IncompleteRound", async () => {
      const { oracle, assets } = await load();
      await assets[0].setRound(4, E8, 0, 0, 4);
      await expect(oracle.assetPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__IncompleteRound")
        .withArgs(await assets[0].getAddress(), 4, 4);
    });

    it("accepts a normalised price of 2^64 - 1 and rejects 2^64 with Oracle__PriceTooLarge", async () => {
      const { oracle, markets } = await load();
      await markets[0].setAnswer(MAX_U64);
      expect((await oracle.marketPrices())[0]).to.equal(MAX_U64);
      await markets[0].setAnswer(MAX_U64 + 1n);
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__PriceTooLarge")
        .withArgs(await markets[0].getAddress(), MAX_U64 + 1n);
    });

    it("rejects a 6-decimal answer that fits 64 bits but not after scaling to 8 decimals", async () => {
      const { oracle, owner, agg } = await load();
      const feed = await agg(6, MAX_U64 / 100n + 1n);
      await oracle.connect(owner).setMarketFeed(1, await feed.getAddress(), MAX_AGE);
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__PriceTooLarge")
        .withArgs(await feed.getAddress(), (MAX_U64 / 100n + 1n) * 100n);
    });
  });

  describe("decimal normalisation", () => {
    it("normalises 6- and 18-decimal feeds to 8 decimals", async () => {
      const { owner, factory, agg, marketAddrs } = await load();
      const six = await agg(6, 2_500_000n); // 2.5
      const eighteen = await agg(18, 3_000n * 10n ** 18n + 123_456_789n); // 3000.000000000123456789
      const oracle = await factory.deploy(
        owner.address,
        marketAddrs,
        [60, 60, 60, 60],
        [await six.getAddress(), await eighteen.getAddress()],
        [60, 60],
      );
      expect(await oracle.assetPrices()).to.deep.equal([250_000_000n, 3000n * E8]);
    });

    it("rejects an 18-decimal answer below 1e-8 (zero after scaling) with Oracle__NonPositiveAnswer", async () => {
      const { oracle, owner, agg } = await load();
      const tiny = await agg(18, 9_999_999_999n);
      await oracle.connect(owner).setAssetFeed(0, await tiny.getAddress(), MAX_AGE);
      await expect(oracle.assetPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__NonPositiveAnswer")
        .withArgs(await tiny.getAddress(), 9_999_999_999n);
    });
  });

  describe("sequencer uptime feed", () => {
    it("rejects every read while the sequencer is down with Oracle__SequencerDown", async () => {
      const { oracle, owner, sequencer } = await load();
      await oracle.connect(owner).setSequencerFeed(await sequencer.getAddress(), 3600);
      await sequencer.setAnswer(1n);
      await expect(oracle.marketPrices()).to.be.revertedWithCustomError(oracle, "Oracle__SequencerDown");
      await expect(oracle.assetPrices()).to.be.revertedWithCustomError(oracle, "Oracle__SequencerDown");
    });

    it("rejects reads during the grace period after the sequencer comes back and accepts them after", async () => {
      const { oracle, owner, sequencer, markets, assets } = await load();
      await oracle.connect(owner).setSequencerFeed(await sequencer.getAddress(), 600);
      await sequencer.setAnswer(0n); // back up now
      const upSince = await sequencer.startedAt();
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__SequencerGracePeriod")
        .withArgs(upSince, 600);
      await time.increaseTo(upSince + 600n); // exactly at the end of the grace period: still in it
      await expect(oracle.assetPrices()).to.be.revertedWithCustomError(oracle, "Oracle__SequencerGracePeriod");
      await time.increase(1);
      for (const f of [...markets, ...assets]) await f.setAnswer(await f.answer());
      expect(await oracle.marketPrices()).to.deep.equal(DEFAULTS.marketPrices);
    });

    it("ignores the sequencer once the feed is cleared with address 0", async () => {
      const { oracle, owner, sequencer } = await load();
      await oracle.connect(owner).setSequencerFeed(await sequencer.getAddress(), 600);
      await sequencer.setAnswer(1n);
      await oracle.connect(owner).setSequencerFeed(ethers.ZeroAddress, 0);
      expect(await oracle.marketPrices()).to.deep.equal(DEFAULTS.marketPrices);
    });

    // Chainlink's L2 sequencer-uptime guidance treats startedAt == 0 as an invalid round.
    it("rejects a sequencer round with startedAt == 0 or in the future (invalid uptime round)", async () => {
      const { oracle, owner, sequencer } = await load();
      await oracle.connect(owner).setSequencerFeed(await sequencer.getAddress(), 600);
      await sequencer.setRound(1, 0n, 0, 0, 1);
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__SequencerRoundInvalid")
        .withArgs(0);
      const future = BigInt(await time.latest()) + 1000n;
      await sequencer.setRound(2, 0n, future, future, 2);
      await expect(oracle.marketPrices())
        .to.be.revertedWithCustomError(oracle, "Oracle__SequencerRoundInvalid")
        .withArgs(future);
    });

    it("accepts a grace of 1 day and rejects 1 day + 1 s with Oracle__BadGrace", async () => {
      const { oracle, owner, sequencer } = await load();
      const seq = await sequencer.getAddress();
      await expect(oracle.connect(owner).setSequencerFeed(seq, 86_400)).not.to.be.reverted;
      await expect(oracle.connect(owner).setSequencerFeed(seq, 86_401))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadGrace")
        .withArgs(86_401);
    });
  });

  describe("configuration", () => {
    it("rejects the zero address as a feed with Oracle__BadFeed", async () => {
      const { oracle, owner } = await load();
      await expect(oracle.connect(owner).setMarketFeed(0, ethers.ZeroAddress, MAX_AGE))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadFeed")
        .withArgs(ethers.ZeroAddress);
    });

    it("rejects an address without code (an EOA) as a feed with Oracle__BadFeed", async () => {
      const { oracle, owner, stranger } = await load();
      await expect(oracle.connect(owner).setAssetFeed(1, stranger.address, MAX_AGE))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadFeed")
        .withArgs(stranger.address);
    });

    it("accepts maxAge 60 s and 7 days and rejects 59 s and 7 days + 1 s with Oracle__BadMaxAge", async () => {
      const { oracle, owner, marketAddrs } = await load();
      const o = oracle.connect(owner);
      await expect(o.setMarketFeed(0, marketAddrs[0], 60)).not.to.be.reverted;
      await expect(o.setMarketFeed(0, marketAddrs[0], 7 * 86_400)).not.to.be.reverted;
      await expect(o.setMarketFeed(0, marketAddrs[0], 59))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadMaxAge")
        .withArgs(59);
      await expect(o.setMarketFeed(0, marketAddrs[0], 7 * 86_400 + 1))
        .to.be.revertedWithCustomError(oracle, "Oracle__BadMaxAge")
        .withArgs(7 * 86_400 + 1);
    });

    it("rejects a constructor with 0 or 5 asset feeds with Oracle__BadAssetFeeds", async () => {
      const { owner, factory, marketAddrs, assetAddrs } = await load();
      const ages: Four<number> = [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE];
      await expect(factory.deploy(owner.address, marketAddrs, ages, [], []))
        .to.be.revertedWithCustomError(factory, "Oracle__BadAssetFeeds")
        .withArgs(0);
      const five = [...assetAddrs, ...assetAddrs, assetAddrs[0]];
      await expect(
        factory.deploy(
          owner.address,
          marketAddrs,
          ages,
          five,
          five.map(() => MAX_AGE),
        ),
      )
        .to.be.revertedWithCustomError(factory, "Oracle__BadAssetFeeds")
        .withArgs(5);
    });

    it("rejects a constructor whose asset feeds and max ages differ in length with Oracle__BadAssetFeeds", async () => {
      const { owner, factory, marketAddrs, assetAddrs } = await load();
      await expect(
        factory.deploy(owner.address, marketAddrs, [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE], assetAddrs, [MAX_AGE]),
      )
        .to.be.revertedWithCustomError(factory, "Oracle__BadAssetFeeds")
        .withArgs(2);
    });

    it("rejects a constructor with a bad market feed with Oracle__BadFeed", async () => {
      const { owner, factory, marketAddrs, assetAddrs } = await load();
      const bad: Four<string> = [marketAddrs[0], owner.address, marketAddrs[2], marketAddrs[3]];
      await expect(
        factory.deploy(owner.address, bad, [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE], assetAddrs, [MAX_AGE, MAX_AGE]),
      )
        .to.be.revertedWithCustomError(factory, "Oracle__BadFeed")
        .withArgs(owner.address);
    });

    it("lets the owner replace feeds, emitting MarketFeedSet, AssetFeedSet and SequencerFeedSet", async () => {
      const { oracle, owner, agg, sequencer } = await load();
      const feed = await agg(8, 4242n * E8);
      const addr = await feed.getAddress();
      const o = oracle.connect(owner);
      await expect(o.setMarketFeed(3, addr, 120))
        .to.emit(oracle, "MarketFeedSet")
        .withArgs(3, addr, 120);
      await expect(o.setAssetFeed(1, addr, 300))
        .to.emit(oracle, "AssetFeedSet")
        .withArgs(1, addr, 300);
      expect((await oracle.marketPrices())[3]).to.equal(4242n * E8);
      expect((await oracle.assetPrices())[1]).to.equal(4242n * E8);
      const seq = await sequencer.getAddress();
      await expect(o.setSequencerFeed(seq, 900)).to.emit(oracle, "SequencerFeedSet").withArgs(seq, 900);
      expect([await oracle.sequencerFeed(), await oracle.sequencerGrace()]).to.deep.equal([seq, 900n]);
    });

    it("rejects an unknown market or asset index with Oracle__UnknownMarket / Oracle__UnknownAsset", async () => {
      const { oracle, owner, marketAddrs } = await load();
      await expect(oracle.connect(owner).setMarketFeed(4, marketAddrs[0], MAX_AGE))
        .to.be.revertedWithCustomError(oracle, "Oracle__UnknownMarket")
        .withArgs(4);
      await expect(oracle.connect(owner).setAssetFeed(2, marketAddrs[0], MAX_AGE))
        .to.be.revertedWithCustomError(oracle, "Oracle__UnknownAsset")
        .withArgs(2);
    });

    it("rejects every setter from a non-owner with OwnableUnauthorizedAccount", async () => {
      const { oracle, stranger, marketAddrs, sequencer } = await load();
      const o = oracle.connect(stranger);
      await expect(o.setMarketFeed(0, marketAddrs[0], MAX_AGE))
        .to.be.revertedWithCustomError(oracle, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      await expect(o.setAssetFeed(0, marketAddrs[0], MAX_AGE))
        .to.be.revertedWithCustomError(oracle, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      await expect(o.setSequencerFeed(await sequencer.getAddress(), 60))
        .to.be.revertedWithCustomError(oracle, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
    });
  });

  describe("through the registry", () => {
    it("makes challenge revert with the oracle's Oracle__StaleAnswer when market feeds stop updating", async () => {
      const sys = await deploySystem();
      const trader = sys.traders[0];
      await sys.registry.connect(trader).openAccount();
      const updatedAt = await sys.marketFeeds[0].updatedAt();
      await time.increase(MAX_AGE + 1); // feeds not refreshed
      await expect(sys.registry.connect(sys.keeper).challenge(trader.address, { value: sys.bond }))
        .to.be.revertedWithCustomError(sys.oracle, "Oracle__StaleAnswer")
        .withArgs(await sys.marketFeeds[0].getAddress(), updatedAt, MAX_AGE);
    });
  });
});
