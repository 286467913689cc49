import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { ethers } from "hardhat";
import {
  AuctionHouse__factory,
  TestAuctionTaker__factory,
  TestToken__factory,
  type TestAuctionTaker,
} from "../../../core/contracts/typechain";
import {
  type Forced,
  PARAMS,
  RAY,
  USDC,
  WETH,
  deployForced,
  kickWeth,
  mulDivUp,
  usdc,
  weth,
  wethFeed,
} from "../../helpers/auction";

enum Mode {
  Repay,
  NoRepay,
  ReenterTake,
  ReenterRedo,
  ReenterKick,
  BadReturn,
  DepositIntoFund,
  ReadLotValue,
}

describe("AuctionHouse: takes, flash takes, reentrancy, breaker", () => {
  let f: Forced;
  let id: bigint;
  let top: bigint;
  const LOT = weth(10);
  beforeEach(async () => {
    f = await loadFixture(deployForced);
    id = await kickWeth(f, LOT);
    top = (await f.house.auction(id)).top;
  });

  /** Balances of everything a take moves, to show that a failed take moved nothing. */
  async function snapshot(taker: string) {
    return {
      houseWeth: await f.wethToken.balanceOf(f.house),
      fundUsdc: await f.usdcToken.balanceOf(f.fund),
      takerWeth: await f.wethToken.balanceOf(taker),
      takerUsdc: await f.usdcToken.balanceOf(taker),
      lot: (await f.house.auction(id)).lot,
      inventory: await f.house.inventory(WETH),
    };
  }

  describe("plain takes", () => {
    it("sells partial slices at the current price, rounded up for the fund, until the lot is gone", async () => {
      const k = f.keeper;
      const fund0 = await f.usdcToken.balanceOf(f.fund);
      let sold = 0n;
      let paid = 0n;
      for (const slice of [weth(3), weth(5) + 123n]) {
        const price = (await f.house.auction(id)).price; // no step passes between these blocks
        const owe = mulDivUp(slice, price, RAY);
        await expect(f.house.connect(k).take(id, slice, price, k.address, "0x"))
          .to.emit(f.house, "Take")
          .withArgs(id, k.address, k.address, price, slice, owe, LOT - sold - slice);
        sold += slice;
        paid += owe;
        expect((await f.house.auction(id)).lot).to.equal(LOT - sold);
        expect(await f.house.inventory(WETH)).to.equal(LOT - sold);
      }
      // maxAmount above the lot buys the rest and ends the auction
      await (await f.house.connect(k).take(id, weth(1000), top, k.address, "0x")).wait();
      paid += mulDivUp(LOT - sold, top, RAY);
      expect(await f.wethToken.balanceOf(k.address)).to.equal(LOT);
      expect((await f.usdcToken.balanceOf(f.fund)) - fund0).to.equal(paid);
      expect(await f.house.inventory(WETH)).to.equal(0n);
      expect(await f.house.activeCount()).to.equal(0n);
      await expect(f.house.connect(k).take(id, 1n, top, k.address, "0x"))
        .to.be.revertedWithCustomError(f.house, "AuctionHouse__NotRunning")
        .withArgs(id);
    });

    it("sends the collateral to the receiver and takes the payment from the caller", async () => {
      const receiver = f.others[0].address;
      const before = await f.usdcToken.balanceOf(f.keeper.address);
      await (await f.house.connect(f.keeper).take(id, weth(1), top, receiver, "0x")).wait();
      expect(await f.wethToken.balanceOf(receiver)).to.equal(weth(1));
      expect(before - (await f.usdcToken.balanceOf(f.keeper.address))).to.equal(mulDivUp(weth(1), top, RAY));
    });

    it("refuses a price above maxPrice with AuctionHouse__TooExpensive(price, maxPrice)", async () => {
      await expect(f.house.connect(f.keeper).take(id, weth(1), top - 1n, f.keeper.address, "0x"))
        .to.be.revertedWithCustomError(f.house, "AuctionHouse__TooExpensive")
        .withArgs(top, top - 1n);
      // one step later the price has fallen below the same limit
      await time.increase(PARAMS.step);
      await expect(f.house.connect(f.keeper).take(id, weth(1), top - 1n, f.keeper.address, "0x")).to.emit(
        f.house,
        "Take",
      );
    });

    it("refuses a zero amount with AuctionHouse__ZeroAmount", async () => {
      await expect(f.house.connect(f.keeper).take(id, 0n, top, f.keeper.address, "0x")).to.be.revertedWithCustomError(
        f.house,
        "AuctionHouse__ZeroAmount",
      );
    });

    it("refuses a take without the payment (allowance), moving nothing", async () => {
      const buyer = f.others[1];
      await (await f.usdcToken.connect(buyer).approve(f.house, 0n)).wait();
      const before = await snapshot(buyer.address);
      await expect(f.house.connect(buyer).take(id, weth(1), top, buyer.address, "0x")).to.be.revertedWithCustomError(
        f.usdcToken,
        "ERC20InsufficientAllowance",
      );
      expect(await snapshot(buyer.address)).to.deep.equal(before);
    });
  });

  describe("dust rule", () => {
    // at the start price, the smallest rest worth chost
    const minRest = () => mulDivUp(PARAMS.chost, RAY, top);

    it("accepts a partial take that leaves exactly chost of value", async () => {
      const rest = minRest();
      expect((rest * top) / RAY).to.be.gte(PARAMS.chost);
      await expect(f.house.connect(f.keeper).take(id, LOT - rest, top, f.keeper.address, "0x"))
        .to.emit(f.house, "Take")
        .withArgs(id, f.keeper.address, f.keeper.address, top, LOT - rest, mulDivUp(LOT - rest, top, RAY), rest);
    });

    it("refuses a partial take that leaves less than chost with AuctionHouse__Dust(rest, value, chost)", async () => {
      const rest = minRest() - 1n;
      await expect(f.house.connect(f.keeper).take(id, LOT - rest, top, f.keeper.address, "0x"))
        .to.be.revertedWithCustomError(f.house, "AuctionHouse__Dust")
        .withArgs(rest, (rest * top) / RAY, PARAMS.chost);
      // one wei left is dust too
      await expect(f.house.connect(f.keeper).take(id, LOT - 1n, top, f.keeper.address, "0x"))
        .to.be.revertedWithCustomError(f.house, "AuctionHouse__Dust")
        .withArgs(1n, 0n, PARAMS.chost);
    });

    it("sells a lot worth less than chost only whole", async () => {
      const small = await kickWeth(f, weth(1) / 100n); // 36 USDC at top < chost 100
      await expect(
        f.house.connect(f.keeper).take(small, weth(1) / 200n, top, f.keeper.address, "0x"),
      ).to.be.revertedWithCustomError(f.house, "AuctionHouse__Dust");
      await expect(f.house.connect(f.keeper).take(small, weth(1), top, f.keeper.address, "0x"))
        .to.emit(f.house, "Take")
        .withArgs(
          small,
          f.keeper.address,
          f.keeper.address,
          top,
          weth(1) / 100n,
          mulDivUp(weth(1) / 100n, top, RAY),
          0n,
        );
    });
  });

  describe("flash takes", () => {
    let taker: TestAuctionTaker;
    beforeEach(async () => {
      taker = await new TestAuctionTaker__factory(f.admin).deploy(f.house);
      await (await f.usdcToken.mint(taker, usdc(100_000))).wait();
    });
    const flash = (amount = weth(1)) => taker.takeFlash(id, amount, top);

    it("sends the collateral first, calls onAuctionTake, then pulls the payment", async () => {
      const before = await snapshot(taker.target as string);
      const owe = mulDivUp(weth(1), top, RAY);
      await expect(flash())
        .to.emit(f.house, "Take")
        .withArgs(id, taker.target, taker.target, top, weth(1), owe, LOT - weth(1));
      const after = await snapshot(taker.target as string);
      expect(after.takerWeth - before.takerWeth).to.equal(weth(1));
      expect(before.takerUsdc - after.takerUsdc).to.equal(owe);
      expect(after.fundUsdc - before.fundUsdc).to.equal(owe);
    });

    it("reverts a flash take whose taker does not repay, and nothing moves", async () => {
      await (await taker.setMode(Mode.NoRepay, ZeroAddress)).wait();
      const before = await snapshot(taker.target as string);
      await expect(flash()).to.be.revertedWithCustomError(f.usdcToken, "ERC20InsufficientAllowance");
      expect(await snapshot(taker.target as string)).to.deep.equal(before);
    });

    it("refuses a callback that does not return its selector (AuctionHouse__BadCallbackReturn)", async () => {
      await (await taker.setMode(Mode.BadReturn, ZeroAddress)).wait();
      await expect(flash())
        .to.be.revertedWithCustomError(f.house, "AuctionHouse__BadCallbackReturn")
        .withArgs("0xdeadbeef");
    });

    for (const [mode, what] of [
      [Mode.ReenterTake, "take"],
      [Mode.ReenterRedo, "redo"],
      [Mode.ReenterKick, "kick (through the registry)"],
    ] as const) {
      it(`refuses ${what} from inside onAuctionTake (ReentrancyGuardReentrantCall)`, async () => {
        await (await taker.setMode(mode, f.stub)).wait();
        const before = await snapshot(taker.target as string);
        await expect(flash()).to.be.revertedWithCustomError(f.house, "ReentrancyGuardReentrantCall");
        expect(await snapshot(taker.target as string)).to.deep.equal(before);
      });
    }

    it("refuses lotValue inside a take (AuctionHouse__Busy): the collateral left, the payment has not come", async () => {
      await (await taker.setMode(Mode.ReadLotValue, ZeroAddress)).wait();
      await expect(flash()).to.be.revertedWithCustomError(f.house, "AuctionHouse__Busy");
    });

    it("refuses a fund deposit priced inside a take (InsuranceFund__NavUnavailable)", async () => {
      await (await taker.setMode(Mode.DepositIntoFund, ZeroAddress)).wait();
      await expect(flash()).to.be.revertedWithCustomError(f.fund, "InsuranceFund__NavUnavailable");
    });

    it("never calls back into a token, the fund, the registry, the house or an account (BadReceiver)", async () => {
      const data = "0x01";
      for (const r of [
        f.usdcToken.target,
        f.wethToken.target,
        f.fund.target,
        f.stub.target,
        f.house.target,
        f.others[0].address,
      ]) {
        await expect(f.house.connect(f.keeper).take(id, weth(1), top, r as string, data))
          .to.be.revertedWithCustomError(f.house, "AuctionHouse__BadReceiver")
          .withArgs(r);
      }
    });
  });

  describe("breaker (guardian pause)", () => {
    it("stops takes and redos but not kicks, and ends by unpause", async () => {
      await (await f.house.connect(f.guardian).pause(3600n)).wait();
      const until = await f.house.pausedUntil();
      await expect(f.house.connect(f.keeper).take(id, weth(1), top, f.keeper.address, "0x"))
        .to.be.revertedWithCustomError(f.house, "Governed__Paused")
        .withArgs(until);
      await expect(f.house.redo(id, f.keeper.address))
        .to.be.revertedWithCustomError(f.house, "Governed__Paused")
        .withArgs(until);
      // a liquidation's kick never stops
      await kickWeth(f, weth(1));
      expect(await f.house.activeCount()).to.equal(2n);
      await (await f.house.connect(f.guardian).unpause()).wait();
      await expect(f.house.connect(f.keeper).take(id, weth(1), top, f.keeper.address, "0x")).to.emit(f.house, "Take");
    });

    it("lets only the guardian pause (Governed__NotGuardian)", async () => {
      await expect(f.house.connect(f.keeper).pause(60n))
        .to.be.revertedWithCustomError(f.house, "Governed__NotGuardian")
        .withArgs(f.keeper.address);
    });
  });

  describe("kick", () => {
    const kick = (asset: bigint, lot: bigint) =>
      f.stub.exec(f.house, f.house.interface.encodeFunctionData("kick", [asset, lot]));

    it("is for the registry only (AuctionHouse__NotRegistry)", async () => {
      await expect(f.house.connect(f.keeper).kick(WETH, 1n))
        .to.be.revertedWithCustomError(f.house, "AuctionHouse__NotRegistry")
        .withArgs(f.keeper.address);
    });

    it("refuses the settlement asset and unknown assets (AuctionHouse__BadAsset)", async () => {
      for (const a of [USDC, 2n]) {
        await expect(kick(a, 1n)).to.be.revertedWithCustomError(f.house, "AuctionHouse__BadAsset").withArgs(a);
      }
    });

    it("refuses a zero lot and a lot above 2^128 - 1", async () => {
      await expect(kick(WETH, 0n)).to.be.revertedWithCustomError(f.house, "AuctionHouse__ZeroLot");
      await expect(kick(WETH, 2n ** 128n))
        .to.be.revertedWithCustomError(f.house, "AuctionHouse__LotTooLarge")
        .withArgs(2n ** 128n);
    });

    it("refuses a lot whose tokens have not arrived (AuctionHouse__LotNotFunded)", async () => {
      await expect(kick(WETH, 1n))
        .to.be.revertedWithCustomError(f.house, "AuctionHouse__LotNotFunded")
        .withArgs(LOT, LOT + 1n);
    });

    it("refuses a start price that rounds to zero (AuctionHouse__ZeroPrice)", async () => {
      // a 40-decimal token at 3000 USD: 3e11 x 1e6 x 1e27 / (1e8 x 1e40) rounds to 0
      const odd = await new TestToken__factory(f.admin).deploy("Odd", "ODD", 40);
      const house = await new AuctionHouse__factory(f.admin).deploy(
        f.timelock,
        [f.usdcToken.target as string, odd.target as string],
        f.oracle,
        f.fund,
        PARAMS,
      );
      await (await house.initialize(f.stub)).wait();
      await (await odd.mint(house, 10n ** 38n)).wait();
      await expect(f.stub.exec(house, house.interface.encodeFunctionData("kick", [WETH, 10n ** 38n])))
        .to.be.revertedWithCustomError(house, "AuctionHouse__ZeroPrice")
        .withArgs(WETH);
    });
  });

  describe("deployment", () => {
    const deploy = (tokens: string[], fund = f.fund.target as string, oracle = f.oracle.target as string) =>
      new AuctionHouse__factory(f.admin).deploy(f.timelock, tokens, oracle, fund, PARAMS);

    it("checks the token list (AuctionHouse__BadTokens, __SettlementMismatch, __ZeroAddress)", async () => {
      const u = f.usdcToken.target as string;
      const w = f.wethToken.target as string;
      const factory = new AuctionHouse__factory(f.admin);
      await expect(deploy([u]))
        .to.be.revertedWithCustomError(factory, "AuctionHouse__BadTokens")
        .withArgs(1n);
      await expect(deploy([u, w, w, w, w]))
        .to.be.revertedWithCustomError(factory, "AuctionHouse__BadTokens")
        .withArgs(5n);
      await expect(deploy([w, u]))
        .to.be.revertedWithCustomError(factory, "AuctionHouse__SettlementMismatch")
        .withArgs(w, u);
      await expect(deploy([u, ZeroAddress])).to.be.revertedWithCustomError(factory, "AuctionHouse__ZeroAddress");
      await expect(deploy([u, w], f.fund.target as string, ZeroAddress)).to.be.revertedWithCustomError(
        factory,
        "AuctionHouse__ZeroAddress",
      );
    });

    it("lets only the deployer initialize, once, with a non-zero registry", async () => {
      const house = await deploy([f.usdcToken.target as string, f.wethToken.target as string]);
      await expect(house.connect(f.keeper).initialize(f.stub))
        .to.be.revertedWithCustomError(house, "AuctionHouse__NotDeployer")
        .withArgs(f.keeper.address);
      await expect(house.initialize(ZeroAddress)).to.be.revertedWithCustomError(house, "AuctionHouse__ZeroAddress");
      await expect(house.initialize(f.stub)).to.emit(house, "Initialized").withArgs(f.stub.target);
      await expect(house.initialize(f.stub)).to.be.revertedWithCustomError(house, "AuctionHouse__AlreadyInitialized");
      expect(await house.registry()).to.equal(f.stub.target);
      expect(await house.assetCount()).to.equal(2n);
      expect(await house.token(WETH)).to.equal(f.wethToken.target);
    });

    it("prices from the oracle only for known collateral assets", async () => {
      expect(await f.house.oraclePrice(WETH)).to.equal(wethFeed());
      await expect(f.house.oraclePrice(USDC)).to.be.revertedWithCustomError(f.house, "AuctionHouse__BadAsset");
      expect(await ethers.provider.getCode(f.house)).to.not.equal("0x");
    });
  });
});
