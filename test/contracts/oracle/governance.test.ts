import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroHash, id } from "ethers";
import { DAY, deployTimelock, governed } from "../../helpers/timelock";
import { E8, MAX_AGE, MARKET_PRICES, riskFixture } from "../risk/fixtures";

const load = () => loadFixture(riskFixture);

/** Issue 12's governance attacks on the oracle adapter, each refused. */
describe("OracleAdapter governance", () => {
  it("a fake ETH feed scheduled through the timelock prices nothing before the delay, visibly queued", async () => {
    const { oracle, timelock, agg } = await load();
    const fake = await agg(8, 1n * E8); // "ETH at $1"
    const data = oracle.interface.encodeFunctionData("setMarketFeed", [0, await fake.getAddress(), MAX_AGE]);
    const target = await oracle.getAddress();
    const salt = id("fake-feed");
    const opId = await timelock.hashOperation(target, 0, data, ZeroHash, salt);
    await expect(timelock.schedule(target, 0, data, ZeroHash, salt, 2n * DAY))
      .to.emit(timelock, "CallScheduled")
      .withArgs(opId, 0n, target, 0n, data, ZeroHash, 2n * DAY);
    // anyone (a trader's daemon) sees the operation and when it becomes executable
    const readyAt = await timelock.getTimestamp(opId);
    expect(readyAt).to.equal(BigInt(await time.latest()) + 2n * DAY);
    expect(await timelock.isOperationPending(opId)).to.equal(true);
    // the accomplice tries in the next block, and one second before the delay ends
    await expect(timelock.execute(target, 0, data, ZeroHash, salt)).to.be.revertedWithCustomError(
      timelock,
      "TimelockUnexpectedOperationState",
    );
    await time.increaseTo(readyAt - 2n);
    await expect(timelock.execute(target, 0, data, ZeroHash, salt)).to.be.revertedWithCustomError(
      timelock,
      "TimelockUnexpectedOperationState",
    );
    expect((await oracle.marketPrices())[0]).to.equal(MARKET_PRICES[0]);
    // only after the whole delay does the swap take effect
    await time.increaseTo(readyAt);
    await expect(timelock.execute(target, 0, data, ZeroHash, salt))
      .to.emit(oracle, "MarketFeedSet")
      .withArgs(0n, await fake.getAddress(), MAX_AGE);
    expect((await oracle.marketPrices())[0]).to.equal(1n * E8);
  });

  it("a queued feed swap can be cancelled before it is ready", async () => {
    const { oracle, timelock, agg } = await load();
    const fake = await agg(8, 1n * E8);
    const data = oracle.interface.encodeFunctionData("setMarketFeed", [0, await fake.getAddress(), MAX_AGE]);
    const target = await oracle.getAddress();
    const salt = id("cancelled");
    await timelock.schedule(target, 0, data, ZeroHash, salt, 2n * DAY);
    await timelock.cancel(await timelock.hashOperation(target, 0, data, ZeroHash, salt));
    await time.increase(2n * DAY);
    await expect(timelock.execute(target, 0, data, ZeroHash, salt)).to.be.revertedWithCustomError(
      timelock,
      "TimelockUnexpectedOperationState",
    );
    expect((await oracle.marketPrices())[0]).to.equal(MARKET_PRICES[0]);
  });

  it("refuses every setter called directly, even by the timelock's proposer", async () => {
    const { oracle, admin, stranger, agg } = await load();
    const fake = await agg(8, 1n * E8);
    for (const who of [admin, stranger]) {
      const o = oracle.connect(who);
      for (const call of [
        () => o.setMarketFeed(0, fake, MAX_AGE),
        () => o.setAssetFeed(1, fake, MAX_AGE),
        () => o.setSequencerFeed(fake, 60),
        () => o.setRequiredDelay(DAY),
        () => o.setGuardian(who.address),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(oracle, "OwnableUnauthorizedAccount").withArgs(who.address);
      }
    }
  });

  it("refuses an EOA owner with Governed__NotTimelock", async () => {
    const { oracleFactory, admin, marketAddrs, assetAddrs, agg } = await load();
    const oracle = await oracleFactory.deploy(
      admin.address,
      marketAddrs,
      [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE],
      assetAddrs,
      [MAX_AGE, MAX_AGE],
    );
    const fake = await agg(8, 1n * E8);
    await expect(oracle.setMarketFeed(0, fake, MAX_AGE))
      .to.be.revertedWithCustomError(oracle, "Governed__NotTimelock")
      .withArgs(admin.address);
  });

  it("refuses an owner handed over to an EOA through the timelock", async () => {
    const { oracle, timelock, stranger, agg } = await load();
    await governed(timelock, oracle, oracle.interface.encodeFunctionData("transferOwnership", [stranger.address]));
    await oracle.connect(stranger).acceptOwnership();
    const fake = await agg(8, 1n * E8);
    await expect(oracle.connect(stranger).setMarketFeed(0, fake, MAX_AGE))
      .to.be.revertedWithCustomError(oracle, "Governed__NotTimelock")
      .withArgs(stranger.address);
  });

  it("refuses a timelock whose delay is below requiredDelay with Governed__DelayTooShort", async () => {
    const { oracleFactory, admin, marketAddrs, assetAddrs, agg } = await load();
    const short = await deployTimelock(admin, 3600n);
    const oracle = await oracleFactory.deploy(
      await short.getAddress(),
      marketAddrs,
      [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE],
      assetAddrs,
      [MAX_AGE, MAX_AGE],
    );
    const fake = await agg(8, 1n * E8);
    const data = oracle.interface.encodeFunctionData("setMarketFeed", [0, await fake.getAddress(), MAX_AGE]);
    await expect(governed(short, oracle, data))
      .to.be.revertedWithCustomError(oracle, "Governed__DelayTooShort")
      .withArgs(3600n, 2n * DAY);
  });

  it("validates a scheduled feed (no code, maxAge bounds, unknown index) when it executes", async () => {
    const { oracle, timelock, stranger, agg } = await load();
    const fake = await agg(8, 1n * E8);
    const run = (fn: "setMarketFeed" | "setAssetFeed", args: [number, string, number]) =>
      governed(
        timelock,
        oracle,
        fn === "setMarketFeed"
          ? oracle.interface.encodeFunctionData("setMarketFeed", args)
          : oracle.interface.encodeFunctionData("setAssetFeed", args),
      );
    await expect(run("setMarketFeed", [0, stranger.address, MAX_AGE]))
      .to.be.revertedWithCustomError(oracle, "Oracle__BadFeed")
      .withArgs(stranger.address);
    await expect(run("setMarketFeed", [0, await fake.getAddress(), 59]))
      .to.be.revertedWithCustomError(oracle, "Oracle__BadMaxAge")
      .withArgs(59);
    await expect(run("setAssetFeed", [0, await fake.getAddress(), 7 * 86_400 + 1]))
      .to.be.revertedWithCustomError(oracle, "Oracle__BadMaxAge")
      .withArgs(7 * 86_400 + 1);
    await expect(run("setMarketFeed", [4, await fake.getAddress(), MAX_AGE]))
      .to.be.revertedWithCustomError(oracle, "Oracle__UnknownMarket")
      .withArgs(4n);
    await expect(run("setAssetFeed", [2, await fake.getAddress(), MAX_AGE]))
      .to.be.revertedWithCustomError(oracle, "Oracle__UnknownAsset")
      .withArgs(2n);
    const seqData = oracle.interface.encodeFunctionData("setSequencerFeed", [stranger.address, 60]);
    await expect(governed(timelock, oracle, seqData))
      .to.be.revertedWithCustomError(oracle, "Oracle__BadFeed")
      .withArgs(stranger.address);
  });

  it("the guardian cannot change a feed, pauses for at most MAX_PAUSE, and a pause never stops price reads", async () => {
    const { oracle, timelock, guardian, agg } = await load();
    await governed(timelock, oracle, oracle.interface.encodeFunctionData("setGuardian", [guardian.address]));
    const fake = await agg(8, 1n * E8);
    await expect(oracle.connect(guardian).setMarketFeed(0, fake, MAX_AGE))
      .to.be.revertedWithCustomError(oracle, "OwnableUnauthorizedAccount")
      .withArgs(guardian.address);
    await expect(oracle.connect(guardian).pause(30n * DAY))
      .to.emit(oracle, "Paused")
      .withArgs(guardian.address, BigInt(await time.latest()) + 1n + 3n * DAY);
    expect(await oracle.paused()).to.equal(true);
    expect(await oracle.marketPrices()).to.deep.equal(MARKET_PRICES);
    await time.increase(3n * DAY);
    expect(await oracle.paused()).to.equal(false);
    await expect(oracle.connect(guardian).unpause()).to.be.revertedWithCustomError(oracle, "Governed__NotPaused");
  });
});
