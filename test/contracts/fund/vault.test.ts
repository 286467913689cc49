import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { InsuranceFund__factory } from "../../../core/contracts/typechain";
import { DAY, governed } from "../../helpers/timelock";
import {
  COOLDOWN,
  type Forced,
  REDEEM_WINDOW,
  deployForced,
  kickWeth,
  payAsRegistry,
  refreshFeeds,
  usdc,
  weth,
} from "../../helpers/auction";

const OFFSET = 10n ** 6n;

describe("InsuranceFund: ERC-4626 vault, cooldown, NAV", () => {
  let f: Forced;
  beforeEach(async () => {
    f = await loadFixture(deployForced);
  });
  const lp = (i = 0) => f.lps[i];
  const deposit = async (i: number, amount: bigint) =>
    (await f.fund.connect(lp(i)).deposit(amount, lp(i).address)).wait();
  /** Requests all of an LP's shares and waits the cooldown. */
  async function requestAndWait(i: number, shares?: bigint) {
    const s = shares ?? (await f.fund.balanceOf(lp(i).address));
    await (await f.fund.connect(lp(i)).requestRedeem(s)).wait();
    await time.increase(COOLDOWN);
    await refreshFeeds(f);
    return s;
  }

  describe("share math", () => {
    it("mints asset x 10^6 shares to the first depositor (decimals offset 6)", async () => {
      expect(await f.fund.decimals()).to.equal(12n);
      await expect(f.fund.connect(lp()).deposit(usdc(1000), lp().address))
        .to.emit(f.fund, "Deposit")
        .withArgs(lp().address, lp().address, usdc(1000), usdc(1000) * OFFSET);
      expect(await f.fund.totalAssets()).to.equal(usdc(1000));
      expect(await f.fund.convertToAssets(usdc(1000) * OFFSET)).to.equal(usdc(1000));
    });

    it("makes a first-depositor donation attack lose money: the victim keeps nearly all", async () => {
      const attacker = lp(0);
      const victim = lp(1);
      const donation = usdc(10_000);
      const v = usdc(10_000);
      await deposit(0, 1n);
      await (await f.usdcToken.connect(attacker).transfer(f.fund, donation)).wait();
      await deposit(1, v);
      const victimShares = await f.fund.balanceOf(victim.address);
      // without the offset the victim's shares would round to 0; here the donation is shared with the
      // 10^6 virtual shares
      expect(victimShares).to.be.gt(0n);
      const victimAssets = await f.fund.previewRedeem(victimShares);
      const attackerAssets = await f.fund.previewRedeem(await f.fund.balanceOf(attacker.address));
      expect(victimAssets * 10_000n).to.be.gte(v * 9_999n); // loses < 0.01%
      expect(attackerAssets).to.be.lt(((donation + 1n) * 51n) / 100n); // the attacker loses about half
      // and both can actually take that out after the cooldown
      const before = await f.usdcToken.balanceOf(victim.address);
      await requestAndWait(1);
      await (await f.fund.connect(victim).redeem(victimShares, victim.address, victim.address)).wait();
      expect((await f.usdcToken.balanceOf(victim.address)) - before).to.equal(victimAssets);
    });

    it("counts plain inflows (losses, fees, proceeds) as NAV for the LPs", async () => {
      await deposit(0, usdc(1000));
      await (await f.usdcToken.mint(f.fund, usdc(100))).wait();
      expect(await f.fund.totalAssets()).to.equal(usdc(1100));
      const s = await f.fund.balanceOf(lp().address);
      expect(await f.fund.previewRedeem(s)).to.be.closeTo(usdc(1100), 1n);
    });
  });

  describe("NAV = balance + lots at oracle x haircut - owed", () => {
    it("adds the auction house's open lots and subtracts what is owed, floored at 0", async () => {
      await deposit(0, usdc(10_000));
      await kickWeth(f, weth(1)); // 3000 x 80% = 2400
      expect(await f.fund.totalAssets()).to.equal(usdc(12_400));
      await (await payAsRegistry(f, f.others[0].address, usdc(11_000))).wait(); // 10,000 paid, 1,000 owed
      expect(await f.fund.totalOwed()).to.equal(usdc(1000));
      expect(await f.fund.totalAssets()).to.equal(usdc(1_400)); // 0 + 2400 - 1000
      await (await payAsRegistry(f, f.others[0].address, usdc(5_000))).wait(); // all owed
      expect(await f.fund.totalAssets()).to.equal(0n);
    });

    it("values the lots at 0 and stops deposits and withdrawals while the oracle cannot price them", async () => {
      await deposit(0, usdc(10_000));
      await kickWeth(f, weth(1));
      const s = await requestAndWait(0);
      // an incomplete WETH round: the adapter (and so lotValue) reverts
      const feed = f.feeds[5];
      await (
        await feed.setRound(9n, await feed.answer(), BigInt(await time.latest()), BigInt(await time.latest()), 8n)
      ).wait();
      await expect(f.house.lotValue()).to.be.reverted;
      expect(await f.fund.totalAssets()).to.equal(usdc(10_000));
      expect(await f.fund.maxDeposit(lp().address)).to.equal(0n);
      expect(await f.fund.maxMint(lp().address)).to.equal(0n);
      expect(await f.fund.maxRedeem(lp().address)).to.equal(0n);
      expect(await f.fund.maxWithdraw(lp().address)).to.equal(0n);
      await expect(f.fund.connect(lp(1)).deposit(usdc(1), lp(1).address)).to.be.revertedWithCustomError(
        f.fund,
        "InsuranceFund__NavUnavailable",
      );
      await expect(f.fund.connect(lp(1)).mint(1n, lp(1).address)).to.be.revertedWithCustomError(
        f.fund,
        "InsuranceFund__NavUnavailable",
      );
      await expect(f.fund.connect(lp()).redeem(s, lp().address, lp().address)).to.be.revertedWithCustomError(
        f.fund,
        "InsuranceFund__NavUnavailable",
      );
      await refreshFeeds(f);
      expect(await f.fund.maxRedeem(lp().address)).to.be.gt(0n);
    });
  });

  describe("withdrawal requests and the cooldown", () => {
    it("completes a request only between readyAt and expiresAt, at that moment's NAV", async () => {
      await deposit(0, usdc(1000));
      const s = await f.fund.balanceOf(lp().address);
      const tx = await f.fund.connect(lp()).requestRedeem(s);
      const t = BigInt(await time.latest());
      await expect(tx)
        .to.emit(f.fund, "RedeemRequested")
        .withArgs(lp().address, s, t + COOLDOWN, t + COOLDOWN + REDEEM_WINDOW);
      expect(await f.fund.maxRedeem(lp().address)).to.equal(0n);
      await expect(f.fund.connect(lp()).redeem(s, lp().address, lp().address))
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__CooldownActive")
        .withArgs(t + COOLDOWN);
      await time.increaseTo(t + COOLDOWN);
      expect(await f.fund.maxRedeem(lp().address)).to.equal(s);
      // a loss after the request still reaches the leaving LP: the price is not locked at request time
      await (await payAsRegistry(f, f.others[0].address, usdc(100))).wait();
      const assets = await f.fund.previewRedeem(s);
      expect(assets).to.be.closeTo(usdc(900), 1n);
      await expect(f.fund.connect(lp()).redeem(s, lp().address, lp().address))
        .to.emit(f.fund, "Withdraw")
        .withArgs(lp().address, lp().address, lp().address, assets, s);
      expect((await f.fund.redeemRequest(lp().address)).shares).to.equal(0n);
    });

    it("lets a request expire after the redeem window (InsuranceFund__RedeemRequestExpired)", async () => {
      await deposit(0, usdc(1000));
      const s = await f.fund.balanceOf(lp().address);
      await (await f.fund.connect(lp()).requestRedeem(s)).wait();
      const r = await f.fund.redeemRequest(lp().address);
      await time.increaseTo(r.expiresAt + 1n);
      expect(await f.fund.maxRedeem(lp().address)).to.equal(0n);
      expect(await f.fund.lockedShares(lp().address)).to.equal(0n);
      await expect(f.fund.connect(lp()).redeem(s, lp().address, lp().address))
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__RedeemRequestExpired")
        .withArgs(r.expiresAt);
    });

    it("refuses a redeem or withdraw without a request (InsuranceFund__NoRedeemRequest)", async () => {
      await deposit(0, usdc(1000));
      await expect(f.fund.connect(lp()).redeem(1n, lp().address, lp().address))
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__NoRedeemRequest")
        .withArgs(lp().address);
      await expect(f.fund.connect(lp()).withdraw(1n, lp().address, lp().address))
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__NoRedeemRequest")
        .withArgs(lp().address);
      await expect(f.fund.connect(lp()).cancelRedeem())
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__NoRedeemRequest")
        .withArgs(lp().address);
    });

    it("refuses a request of zero shares or more than the balance (InsuranceFund__InsufficientShares)", async () => {
      await deposit(0, usdc(1));
      const s = await f.fund.balanceOf(lp().address);
      await expect(f.fund.connect(lp()).requestRedeem(0n))
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__InsufficientShares")
        .withArgs(s, 0n);
      await expect(f.fund.connect(lp()).requestRedeem(s + 1n))
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__InsufficientShares")
        .withArgs(s, s + 1n);
    });

    it("locks requested shares against transfers until redeemed, cancelled or expired", async () => {
      await deposit(0, usdc(1000));
      const s = await f.fund.balanceOf(lp().address);
      await (await f.fund.connect(lp()).requestRedeem(s / 2n)).wait();
      expect(await f.fund.lockedShares(lp().address)).to.equal(s / 2n);
      await expect(f.fund.connect(lp()).transfer(f.others[0].address, s / 2n + 1n))
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__SharesLocked")
        .withArgs(lp().address, s / 2n);
      await (await f.fund.connect(lp()).transfer(f.others[0].address, s / 2n)).wait(); // the free half
      await expect(f.fund.connect(lp()).cancelRedeem()).to.emit(f.fund, "RedeemCancelled").withArgs(lp().address);
      await (await f.fund.connect(lp()).transfer(f.others[0].address, s / 2n)).wait();
    });

    it("has a truthful maxRedeem/maxWithdraw: capped by the request, the balance and free cash", async () => {
      await deposit(0, usdc(10_000));
      await deposit(1, usdc(10_000));
      // open lots raise the NAV but not the cash
      await kickWeth(f, weth(10)); // 24,000 of NAV in kind
      await (await payAsRegistry(f, f.others[0].address, usdc(15_000))).wait(); // cash 5,000 left
      const s0 = await f.fund.balanceOf(lp(0).address);
      await requestAndWait(0, s0);
      const max = await f.fund.maxRedeem(lp(0).address);
      expect(max).to.be.lt(s0);
      expect(await f.fund.previewRedeem(max)).to.be.lte(await f.fund.available());
      // the largest such amount: one more share would pay more than the free cash
      expect(await f.fund.previewRedeem(max + 1n)).to.be.gt(await f.fund.available());
      await expect(f.fund.connect(lp()).redeem(max + 1n, lp().address, lp().address))
        .to.be.revertedWithCustomError(f.fund, "ERC4626ExceededMaxRedeem")
        .withArgs(lp().address, max + 1n, max);
      const maxW = await f.fund.maxWithdraw(lp(0).address);
      expect(maxW).to.equal(await f.fund.previewRedeem(max));
      await (await f.fund.connect(lp()).withdraw(maxW, lp().address, lp().address)).wait();
      // and through an approved spender
      await (await f.usdcToken.mint(f.fund, usdc(100_000))).wait();
      const left = (await f.fund.redeemRequest(lp().address)).shares;
      expect(await f.fund.maxRedeem(lp().address)).to.equal(left);
      await (await f.fund.connect(lp()).approve(f.others[1].address, left)).wait();
      await (await f.fund.connect(f.others[1]).redeem(left, f.others[1].address, lp().address)).wait();
      expect(await f.fund.maxRedeem(lp().address)).to.equal(0n);
    });

    it("blocks every withdrawal while anything is owed (InsuranceFund__WithdrawalsBlockedWhileOwed)", async () => {
      await deposit(0, usdc(1000));
      const s = await requestAndWait(0);
      await (await payAsRegistry(f, f.others[0].address, usdc(1500))).wait();
      expect(await f.fund.totalOwed()).to.equal(usdc(500));
      expect(await f.fund.maxRedeem(lp().address)).to.equal(0n);
      expect(await f.fund.maxWithdraw(lp().address)).to.equal(0n);
      await expect(f.fund.connect(lp()).redeem(s, lp().address, lp().address))
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__WithdrawalsBlockedWhileOwed")
        .withArgs(usdc(500));
      await expect(f.fund.connect(lp()).withdraw(1n, lp().address, lp().address))
        .to.be.revertedWithCustomError(f.fund, "InsuranceFund__WithdrawalsBlockedWhileOwed")
        .withArgs(usdc(500));
      // an inflow repaid to the creditor unblocks it
      await (await f.usdcToken.mint(f.fund, usdc(600))).wait();
      await (await f.fund.repay(1n)).wait();
      expect(await f.fund.maxRedeem(lp().address)).to.equal(s);
      await (await f.fund.connect(lp()).redeem(s, lp().address, lp().address)).wait();
    });

    it("stops deposits and withdrawals while the guardian pauses, never payments", async () => {
      await deposit(0, usdc(1000));
      const s = await requestAndWait(0);
      await (await f.fund.connect(f.guardian).pause(3600n)).wait();
      const until = await f.fund.pausedUntil();
      expect(await f.fund.maxDeposit(lp().address)).to.equal(0n);
      expect(await f.fund.maxRedeem(lp().address)).to.equal(0n);
      await expect(f.fund.connect(lp(1)).deposit(1n, lp(1).address))
        .to.be.revertedWithCustomError(f.fund, "Governed__Paused")
        .withArgs(until);
      await expect(f.fund.connect(lp()).redeem(s, lp().address, lp().address))
        .to.be.revertedWithCustomError(f.fund, "Governed__Paused")
        .withArgs(until);
      await expect(payAsRegistry(f, f.others[0].address, usdc(10))).to.emit(f.fund, "Paid");
      await (await f.fund.connect(f.guardian).unpause()).wait();
      await (await f.fund.connect(lp()).redeem(s, lp().address, lp().address)).wait();
    });
  });

  describe("deployment and governance", () => {
    it("lets only the deployer initialize, once, with contracts (NotDeployer, AlreadyInitialized, ...)", async () => {
      const fund = await new InsuranceFund__factory(f.admin).deploy(f.usdcToken, "F", "F", f.timelock, COOLDOWN, DAY);
      await expect(fund.connect(f.keeper).initialize(f.stub, f.house))
        .to.be.revertedWithCustomError(fund, "InsuranceFund__NotDeployer")
        .withArgs(f.keeper.address);
      await expect(fund.initialize(ZeroAddress, f.house)).to.be.revertedWithCustomError(
        fund,
        "InsuranceFund__ZeroAddress",
      );
      await expect(fund.initialize(f.stub, f.keeper.address))
        .to.be.revertedWithCustomError(fund, "InsuranceFund__NoCode")
        .withArgs(f.keeper.address);
      await expect(fund.initialize(f.stub, f.house))
        .to.emit(fund, "Initialized")
        .withArgs(f.stub.target, f.house.target);
      await expect(fund.initialize(f.stub, f.house)).to.be.revertedWithCustomError(
        fund,
        "InsuranceFund__AlreadyInitialized",
      );
      expect(await fund.registry()).to.equal(f.stub.target);
      expect(await fund.auctionHouse()).to.equal(f.house.target);
    });

    it("sets the cooldown only through the timelock, within [1 h, 30 d] and a window in [1 h, 7 d]", async () => {
      const set = (c: bigint, w: bigint) =>
        governed(f.timelock, f.fund, f.fund.interface.encodeFunctionData("setCooldown", [c, w]));
      await expect(f.fund.connect(f.admin).setCooldown(3600n, 3600n))
        .to.be.revertedWithCustomError(f.fund, "OwnableUnauthorizedAccount")
        .withArgs(f.admin.address);
      for (const [name, c, w] of [
        ["cooldown", 3599n, DAY],
        ["cooldown", 30n * DAY + 1n, DAY],
        ["redeemWindow", DAY, 3599n],
        ["redeemWindow", DAY, 7n * DAY + 1n],
      ] as const) {
        await expect(set(c, w))
          .to.be.revertedWithCustomError(f.fund, "InsuranceFund__BadParameter")
          .withArgs(name, name === "cooldown" ? c : w);
      }
      await expect(set(3600n, 7n * DAY))
        .to.emit(f.fund, "CooldownSet")
        .withArgs(3600n, 7n * DAY);
      expect(await f.fund.requiredDelay()).to.equal(3600n);
      // a request keeps the times it was given
      await deposit(0, usdc(10));
      await (await f.fund.connect(lp()).requestRedeem(1n)).wait();
      const r = await f.fund.redeemRequest(lp().address);
      await set(30n * DAY, 3600n);
      expect(await f.fund.redeemRequest(lp().address)).to.deep.equal(r);
      // now a change needs a 30-day timelock delay
      await expect(set(DAY, DAY))
        .to.be.revertedWithCustomError(f.fund, "Governed__DelayTooShort")
        .withArgs(2n * DAY, 30n * DAY);
      await expect(
        new InsuranceFund__factory(f.admin).deploy(f.usdcToken, "F", "F", f.timelock, 0n, DAY),
      ).to.be.revertedWithCustomError(f.fund, "InsuranceFund__BadParameter");
    });
  });
});
