/**
 * The daemon's governance watch: the timelock's queue decoded against the registry, risk engine and
 * oracle, and a warning for the changes that would make the account's certificate challengeable.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroHash, id } from "ethers";
import { ethers } from "hardhat";
import { ChainView } from "../../prover/lib/chain";
import { queuedChanges } from "../../prover/lib/governance";
import { deployLocal } from "../../scripts/lib/deploy";

describe("governance watch (timelock queue)", function () {
  this.timeout(120_000);

  it("finds queued changes, flags those that would break the certificate, forgets executed ones", async () => {
    const [deployer, trader] = await ethers.getSigners();
    const sys = await deployLocal(deployer, undefined, { amm: false });
    const registry = sys.registry.connect(trader);
    await (await registry.openAccount()).wait();
    const view = new ChainView(registry, trader.address);
    const cert = (await view.latestCert((await registry.accountOf(trader.address)).certHash))!;
    // the empty account's certificate proves every ratio at 100% and no haircut: nothing threatens it
    expect(await queuedChanges(registry, cert)).to.deep.equal([]);

    const delay = await sys.timelock.getMinDelay();
    const schedule = async (target: string, data: string, tag: string) => {
      await (await sys.timelock.schedule(target, 0n, data, ZeroHash, id(tag), delay)).wait();
      return { target, data, salt: id(tag) };
    };
    const lower = sys.registry.interface.encodeFunctionData("setHaircuts", [(0x1770n << 16n) | 0x2710n]); // WETH 60%
    const a = await schedule(await sys.registry.getAddress(), lower, "haircut");
    const bounds = sys.risk.interface.encodeFunctionData("setMarketBounds", [
      0,
      { baseBps: 300, minBps: 600, maxBps: 5000 },
    ]);
    await schedule(await sys.risk.getAddress(), bounds, "bounds");
    const feed = sys.oracle.interface.encodeFunctionData("setMarketFeed", [
      1,
      await sys.marketFeeds[2].getAddress(),
      3600,
    ]);
    await schedule(await sys.oracle.getAddress(), feed, "feed");

    // a certificate with a 80% WETH haircut and ETH maintenance proven at 350 bps
    const proven = {
      ...cert,
      pm: 350n | (300n << 16n) | (550n << 32n) | (650n << 48n),
      haircuts: 10_000n | (8_000n << 16n),
    };
    const queued = await queuedChanges(registry, proven);
    expect(queued.map((q) => q.call).sort()).to.deep.equal([
      "oracle.setMarketFeed",
      "registry.setHaircuts",
      "risk.setMarketBounds",
    ]);
    const byCall = Object.fromEntries(queued.map((q) => [q.call, q]));
    expect(byCall["registry.setHaircuts"].threat).to.match(/haircut falls from 8000 to 6000/);
    expect(byCall["risk.setMarketBounds"].threat).to.match(
      /market 0's maintenance rises to at least 600 bps \(proven 350\)/,
    );
    expect(byCall["oracle.setMarketFeed"].threat).to.match(/feed is replaced/);
    const now = BigInt(await time.latest());
    expect(byCall["registry.setHaircuts"].readyAt).to.be.greaterThan(now);

    // a harmless change is listed without a threat
    const raise = sys.registry.interface.encodeFunctionData("setHaircuts", [(0x2328n << 16n) | 0x2710n]); // WETH 90%
    await schedule(await sys.registry.getAddress(), raise, "raise");
    const again = await queuedChanges(registry, proven);
    expect(again.filter((q) => q.threat === undefined).map((q) => q.call)).to.deep.equal(["registry.setHaircuts"]);

    // once executed (after the delay) a change leaves the queue
    await time.increase(delay);
    for (const f of [...sys.marketFeeds, ...sys.assetFeeds]) await (await f.setAnswer(await f.answer())).wait();
    await (await sys.timelock.execute(a.target, 0n, a.data, ZeroHash, a.salt)).wait();
    const after = await queuedChanges(registry, proven);
    expect(after.some((q) => q.call === "registry.setHaircuts" && q.threat !== undefined)).to.equal(false);
  });
});
