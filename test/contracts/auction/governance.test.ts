import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { AuctionHouse__factory } from "../../../core/contracts/typechain";
import { DAY, governed } from "../../helpers/timelock";
import { type Forced, PARAMS, RAY, TIMELOCK_DELAY, WAD, deployForced, usdc } from "../../helpers/auction";

type P = typeof PARAMS;
const MIN: P = { buf: RAY, step: 1n, cut: RAY / 2n, tail: 300n, cusp: RAY / 10n, chost: 0n, chip: 0n, tip: 0n };
const MAX: P = {
  buf: 2n * RAY,
  step: 3600n,
  cut: RAY - 1n,
  tail: 3n * DAY,
  cusp: (RAY * 95n) / 100n,
  chost: usdc(10_000_000),
  chip: WAD / 100n,
  tip: usdc(10_000),
};
const OUTSIDE: [keyof P, bigint][] = [
  ["buf", RAY - 1n],
  ["buf", 2n * RAY + 1n],
  ["step", 0n],
  ["step", 3601n],
  ["cut", RAY / 2n - 1n],
  ["cut", RAY],
  ["tail", 299n],
  ["tail", 3n * DAY + 1n],
  ["cusp", RAY / 10n - 1n],
  ["cusp", (RAY * 95n) / 100n + 1n],
  ["chost", usdc(10_000_000) + 1n],
  ["chip", WAD / 100n + 1n],
  ["tip", usdc(10_000) + 1n],
];
const args = (p: P) => [p.buf, p.step, p.cut, p.tail, p.cusp, p.chost, p.chip, p.tip];

describe("AuctionHouse governance (timelock-only setters, bounds)", () => {
  let f: Forced;
  beforeEach(async () => {
    f = await loadFixture(deployForced);
  });
  const set = (p: P) => governed(f.timelock, f.house, f.house.interface.encodeFunctionData("setParams", [p]));

  for (const [label, p] of [
    ["lower", MIN],
    ["upper", MAX],
  ] as const) {
    it(`accepts every parameter at its ${label} bound through the timelock and emits ParamsSet`, async () => {
      await expect(set(p)).to.emit(f.house, "ParamsSet");
      expect([...(await f.house.params())]).to.deep.equal(args(p));
    });
  }

  for (const [name, value] of OUTSIDE) {
    it(`refuses ${name} = ${value} with AuctionHouse__BadParameter("${name}")`, async () => {
      await expect(set({ ...PARAMS, [name]: value }))
        .to.be.revertedWithCustomError(f.house, "AuctionHouse__BadParameter")
        .withArgs(name, value);
    });
  }

  it("refuses the bounds at deployment too", async () => {
    const factory = new AuctionHouse__factory(f.admin);
    await expect(
      factory.deploy(f.timelock, [f.usdcToken.target as string, f.wethToken.target as string], f.oracle, f.fund, {
        ...PARAMS,
        cut: RAY,
      }),
    )
      .to.be.revertedWithCustomError(factory, "AuctionHouse__BadParameter")
      .withArgs("cut", RAY);
  });

  it("refuses a direct call, even by the timelock's proposer (OwnableUnauthorizedAccount)", async () => {
    await expect(f.house.connect(f.admin).setParams(MIN))
      .to.be.revertedWithCustomError(f.house, "OwnableUnauthorizedAccount")
      .withArgs(f.admin.address);
    await expect(f.house.connect(f.admin).setGuardian(f.admin.address)).to.be.revertedWithCustomError(
      f.house,
      "OwnableUnauthorizedAccount",
    );
  });

  it("needs a timelock delay of at least one fund cooldown (Governed__DelayTooShort)", async () => {
    expect(await f.house.requiredDelay()).to.equal(await f.fund.cooldown());
    // raise the fund's cooldown above the timelock's 2-day delay: the house is then locked until the
    // timelock's own delay is raised
    await governed(f.timelock, f.fund, f.fund.interface.encodeFunctionData("setCooldown", [3n * DAY, DAY]));
    await expect(set(MIN))
      .to.be.revertedWithCustomError(f.house, "Governed__DelayTooShort")
      .withArgs(TIMELOCK_DELAY, 3n * DAY);
  });

  it("refuses an owner that is not a timelock (Governed__NotTimelock)", async () => {
    const house = await new AuctionHouse__factory(f.admin).deploy(
      f.admin.address,
      [f.usdcToken.target as string, f.wethToken.target as string],
      f.oracle,
      f.fund,
      PARAMS,
    );
    await expect(house.setParams(MIN))
      .to.be.revertedWithCustomError(house, "Governed__NotTimelock")
      .withArgs(f.admin.address);
  });
});
