import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { DEFAULTS, E18, E8, deployRegistry } from "../../scripts/lib/deploy";
import { OracleAdapter__factory, TestAggregator__factory, TestToken__factory } from "../../core/contracts";
import { ReentrantToken__factory } from "../../core/contracts/typechain";
import type { TestAggregator } from "../../core/contracts";

const USDC = 0n; // settlement asset (TestToken, 6 decimals)
const REENT = 1n; // the hostile ReentrantToken (18 decimals, haircut 80%)
const MAX_AGE = 3600;

/** A registry whose second collateral asset is a ReentrantToken; the token has its own funded account. */
async function reentrancyFixture() {
  const [owner, trader, keeper] = await ethers.getSigners();
  const feeds: TestAggregator[] = [];
  for (const p of [...DEFAULTS.marketPrices, E8, 3000n * E8])
    feeds.push(await new TestAggregator__factory(owner).deploy(8, p));
  const addrs = await Promise.all(feeds.map((f) => f.getAddress()));
  const oracle = await new OracleAdapter__factory(owner).deploy(
    owner.address,
    [addrs[0], addrs[1], addrs[2], addrs[3]],
    [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE],
    addrs.slice(4),
    [MAX_AGE, MAX_AGE],
  );
  const usdc = await new TestToken__factory(owner).deploy("Test USDC", "USDC", 6);
  const rtoken = await new ReentrantToken__factory(owner).deploy();
  const registry = await deployRegistry(owner, {
    owner: owner.address,
    oracle: await oracle.getAddress(),
    tokens: [await usdc.getAddress(), await rtoken.getAddress()],
    haircutsBps: [10_000, 8_000],
    timing: DEFAULTS.timing,
    incentives: DEFAULTS.incentives,
    mmBps: DEFAULTS.mmBps,
    imBps: DEFAULTS.imBps,
  });
  const reg = await registry.getAddress();
  const tok = await rtoken.getAddress();
  await rtoken.mint(trader.address, 100n * E18);
  await rtoken.connect(trader).approve(reg, ethers.MaxUint256);
  await usdc.mint(trader.address, 10_000n * 10n ** 6n);
  await usdc.connect(trader).approve(reg, ethers.MaxUint256);
  await registry.connect(trader).openAccount();
  // the token itself holds USDC, has approved the registry and has an account, so every re-entrant call
  // it makes would succeed on its own: only the reentrancy guard stops it
  await usdc.mint(tok, 1_000n * 10n ** 6n);
  await rtoken.execute(await usdc.getAddress(), usdc.interface.encodeFunctionData("approve", [reg, ethers.MaxUint256]));
  await rtoken.execute(reg, registry.interface.encodeFunctionData("openAccount"));
  return { owner, trader, keeper, feeds, oracle, usdc, rtoken, registry, reg, tok };
}

type Fixture = Awaited<ReturnType<typeof reentrancyFixture>>;

/** Every balance a re-entrant call could move. */
async function balances(f: Fixture) {
  const { registry, usdc, rtoken, trader, keeper, reg, tok } = f;
  return [
    await rtoken.balanceOf(trader.address),
    await rtoken.balanceOf(reg),
    await rtoken.balanceOf(keeper.address),
    await usdc.balanceOf(reg),
    await usdc.balanceOf(tok),
    await registry.collateralOf(trader.address, REENT),
    await registry.collateralOf(tok, USDC),
    await registry.fundBalance(USDC),
    await registry.fundBalance(REENT),
    await ethers.provider.getBalance(reg),
  ];
}

describe("Registry reentrancy through a hostile collateral token", () => {
  const load = () => loadFixture(reentrancyFixture);
  const depositCall = (f: Fixture, asset: bigint, amount: bigint) =>
    f.registry.interface.encodeFunctionData("deposit", [asset, amount]);

  it("performs, without re-entry, the very calls the armed token will attempt", async () => {
    const f = await load();
    await f.rtoken.execute(f.reg, depositCall(f, USDC, 10n ** 6n));
    await f.rtoken.execute(f.reg, f.registry.interface.encodeFunctionData("fundDeposit", [USDC, 10n ** 6n]));
    expect(await f.registry.collateralOf(f.tok, USDC)).to.equal(10n ** 6n);
    expect(await f.registry.fundBalance(USDC)).to.equal(10n ** 6n);
    await f.registry.connect(f.trader).deposit(REENT, E18);
    expect(await f.registry.collateralOf(f.trader.address, REENT)).to.equal(E18);
  });

  it("reverts a deposit whose token re-enters deposit with ReentrancyGuardReentrantCall and moves nothing", async () => {
    const f = await load();
    await f.rtoken.arm(f.reg, depositCall(f, USDC, 10n ** 6n));
    const before = await balances(f);
    await expect(f.registry.connect(f.trader).deposit(REENT, 10n * E18)).to.be.revertedWithCustomError(
      f.registry,
      "ReentrancyGuardReentrantCall",
    );
    expect(await balances(f)).to.deep.equal(before);
  });

  it("reverts a fundDeposit whose token re-enters fundDeposit with ReentrancyGuardReentrantCall and moves nothing", async () => {
    const f = await load();
    await f.rtoken.arm(f.reg, f.registry.interface.encodeFunctionData("fundDeposit", [USDC, 10n ** 6n]));
    const before = await balances(f);
    await expect(f.registry.connect(f.trader).fundDeposit(REENT, 10n * E18)).to.be.revertedWithCustomError(
      f.registry,
      "ReentrancyGuardReentrantCall",
    );
    expect(await balances(f)).to.deep.equal(before);
  });

  it("reverts a fundDeposit whose token re-enters deposit with ReentrancyGuardReentrantCall", async () => {
    const f = await load();
    await f.rtoken.arm(f.reg, depositCall(f, USDC, 10n ** 6n));
    const before = await balances(f);
    await expect(f.registry.connect(f.trader).fundDeposit(REENT, E18)).to.be.revertedWithCustomError(
      f.registry,
      "ReentrancyGuardReentrantCall",
    );
    expect(await balances(f)).to.deep.equal(before);
  });

  it("reverts a deposit whose token re-enters withdrawCredit with the guard's error, not NothingToWithdraw", async () => {
    const f = await load();
    await f.rtoken.arm(f.reg, f.registry.interface.encodeFunctionData("withdrawCredit"));
    const before = await balances(f);
    await expect(f.registry.connect(f.trader).deposit(REENT, E18)).to.be.revertedWithCustomError(
      f.registry,
      "ReentrancyGuardReentrantCall",
    );
    expect(await balances(f)).to.deep.equal(before);
  });

  it("reverts a liquidation whose bounty transfer re-enters liquidate, and liquidates once disarmed", async () => {
    const f = await load();
    const { registry, trader, keeper, feeds } = f;
    await registry.connect(trader).deposit(REENT, 10n * E18);
    const refresh = async () => {
      for (const feed of feeds) await feed.setAnswer(await feed.answer());
    };
    await time.increase(DEFAULTS.timing.freshness + 1n);
    await refresh();
    await registry.connect(keeper).challenge(trader.address, { value: DEFAULTS.incentives.bond });
    await time.increase(DEFAULTS.timing.responseWindow + 1n);
    await refresh();
    await f.rtoken.arm(f.reg, registry.interface.encodeFunctionData("liquidate", [trader.address]));
    const before = await balances(f);
    await expect(registry.connect(keeper).liquidate(trader.address)).to.be.revertedWithCustomError(
      registry,
      "ReentrancyGuardReentrantCall",
    );
    expect(await balances(f)).to.deep.equal(before);
    await f.rtoken.arm(ethers.ZeroAddress, "0x");
    await expect(registry.connect(keeper).liquidate(trader.address)).to.emit(registry, "Liquidated");
    // V = 10 x 3000 x 80% = 24000e18; bounty 1% = 240e18 value = 0.1 token
    expect(await f.rtoken.balanceOf(keeper.address)).to.equal(E18 / 10n);
  });

  describe("fee-on-transfer shortfall", () => {
    const FEE = 10n ** 15n;

    it("credits a deposit with what arrived, not the amount asked", async () => {
      const f = await load();
      await f.rtoken.setFee(FEE);
      await expect(f.registry.connect(f.trader).deposit(REENT, 10n * E18))
        .to.emit(f.registry, "Deposited")
        .withArgs(f.trader.address, REENT, 10n * E18 - FEE);
      expect(await f.registry.collateralOf(f.trader.address, REENT)).to.equal(10n * E18 - FEE);
      expect(await f.rtoken.balanceOf(f.reg)).to.equal(10n * E18 - FEE);
      expect(await f.rtoken.balanceOf(f.trader.address)).to.equal(90n * E18);
    });

    it("credits a fundDeposit with what arrived, not the amount asked", async () => {
      const f = await load();
      await f.rtoken.setFee(FEE);
      await expect(f.registry.connect(f.trader).fundDeposit(REENT, E18))
        .to.emit(f.registry, "FundDeposited")
        .withArgs(f.trader.address, REENT, E18 - FEE);
      expect(await f.registry.fundBalance(REENT)).to.equal(E18 - FEE);
      expect(await f.rtoken.balanceOf(f.reg)).to.equal(E18 - FEE);
    });
  });
});
