/**
 * ZkMarginRegistry v2 against a hostile collateral token (contracts/test/ReentrantToken.sol): re-entry from a
 * token transfer into any guarded entry point is refused, and a fee-on-transfer token credits only what
 * arrived. The system is deployed by deploySystem with the hostile token as asset 1 (as on a real network:
 * token and feed addresses given).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { TestAggregator__factory, TestToken__factory } from "../../../core/contracts";
import type { ReentrantToken, TestAggregator } from "../../../core/contracts/typechain";
import { deploySystem } from "../../../scripts/lib/deploy";
import { localParams } from "../../../scripts/lib/params";
import { E8, NO_PROOF, type Sys, USDC, challenge, loadFixture, pastExclusive, usdc } from "../../helpers/registry";
import { pastFreshness } from "./fixtures";

const HOSTILE = 1;

async function hostileFixture(): Promise<Sys & { hostile: ReentrantToken }> {
  const [owner, guardian, keeper, keeper2, relayer, ...traders] = await ethers.getSigners();
  const params = localParams();
  const markets: TestAggregator[] = [];
  for (const m of params.markets) markets.push(await new TestAggregator__factory(owner).deploy(8, m.price!));
  const assetFeeds = [
    await new TestAggregator__factory(owner).deploy(8, E8),
    await new TestAggregator__factory(owner).deploy(8, 3_000n * E8),
  ];
  const usdcToken = await new TestToken__factory(owner).deploy("Test USDC", "USDC", 6);
  const hostile = (await (await ethers.getContractFactory("ReentrantToken")).deploy()) as unknown as ReentrantToken;
  params.markets.forEach((m, j) => (m.feed = markets[j].target as string));
  params.collateral[0] = {
    ...params.collateral[0],
    token: usdcToken.target as string,
    feed: assetFeeds[0].target as string,
  };
  params.collateral[1] = {
    ...params.collateral[1],
    token: await hostile.getAddress(),
    feed: assetFeeds[1].target as string,
  };
  params.governance = {
    ...params.governance,
    proposers: [owner.address],
    executors: [owner.address],
    guardian: guardian.address,
  };
  const sys = await deploySystem(owner, params, { local: false });
  const registryAddr = await sys.registry.getAddress();
  for (const t of traders.slice(0, 2)) {
    await (await usdcToken.mint(t.address, usdc(100_000))).wait();
    await (await hostile.mint(t.address, 10n ** 24n)).wait();
    await (await usdcToken.connect(t).approve(registryAddr, ethers.MaxUint256)).wait();
    await (await hostile.connect(t).approve(registryAddr, ethers.MaxUint256)).wait();
  }
  return {
    ...sys,
    marketFeeds: markets,
    assetFeeds,
    tokens: [usdcToken, hostile as never],
    owner,
    guardian,
    keeper,
    keeper2,
    relayer,
    traders,
    registryAddr,
    chainId: (await ethers.provider.getNetwork()).chainId,
    bond: sys.params.incentives.bond,
    hostile,
  };
}

describe("ZkMarginRegistry v2: a hostile collateral token", function () {
  it("refuses a re-entry from deposit's transferFrom into deposit", async () => {
    const f = await loadFixture(hostileFixture);
    const t = f.traders[0];
    await (await f.registry.connect(t).openAccount()).wait();
    await (await f.hostile.arm(f.registry, f.registry.interface.encodeFunctionData("deposit", [HOSTILE, 1n]))).wait();
    await expect(f.registry.connect(t).deposit(HOSTILE, 10n ** 18n)).to.be.revertedWithCustomError(
      f.registry,
      "ReentrancyGuardReentrantCall",
    );
    expect((await f.registry.collateralOf(t.address))[HOSTILE]).to.equal(0n);
  });

  it("refuses a re-entry from a liquidation's transfer into update, withdrawCredit or liquidateBatch", async () => {
    const f = await loadFixture(hostileFixture);
    const t = f.traders[1];
    const reg = f.registry.connect(t);
    await (await reg.openAccount()).wait();
    await (await reg.deposit(USDC, usdc(100))).wait();
    await (await reg.deposit(HOSTILE, 10n ** 18n)).wait();
    await pastFreshness(f);
    const r = await challenge(f, f.keeper, t.address);
    await pastExclusive(f, r);
    const mm = (await f.risk.packedRatios()) & 0xffffffffffffffffn;
    const calls = [
      f.registry.interface.encodeFunctionData("update", [
        { newCommitment: 1n, settle: 0n, withdrawAsset: 0n, withdrawAmount: 0n, d: 0n, pm: mm },
        NO_PROOF,
      ]),
      f.registry.interface.encodeFunctionData("withdrawCredit"),
      f.registry.interface.encodeFunctionData("liquidateBatch", [[t.address], [r]]),
    ];
    for (const data of calls) {
      await (await f.hostile.arm(f.registry, data)).wait();
      await expect(f.registry.connect(f.keeper).liquidate(t.address, r)).to.be.revertedWithCustomError(
        f.registry,
        "ReentrancyGuardReentrantCall",
      );
    }
    await (await f.hostile.arm(ethers.ZeroAddress, "0x")).wait();
    await expect(f.registry.connect(f.keeper).liquidate(t.address, r)).to.emit(f.registry, "Liquidated");
  });

  it("credits what arrived from a fee-on-transfer token", async () => {
    const f = await loadFixture(hostileFixture);
    const t = f.traders[0];
    await (await f.registry.connect(t).openAccount()).wait();
    await (await f.hostile.setFee(10n ** 15n)).wait();
    await expect(f.registry.connect(t).deposit(HOSTILE, 10n ** 18n))
      .to.emit(f.registry, "Deposited")
      .withArgs(t.address, HOSTILE, 10n ** 18n - 10n ** 15n);
    expect((await f.registry.collateralOf(t.address))[HOSTILE]).to.equal(10n ** 18n - 10n ** 15n);
    expect(await f.hostile.balanceOf(f.registry)).to.equal(10n ** 18n - 10n ** 15n);
  });
});
