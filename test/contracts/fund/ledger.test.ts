import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress, getAddress } from "ethers";
import { InsuranceFund__factory, TestBlockingToken__factory } from "../../../core/contracts/typechain";
import { COOLDOWN, type Forced, deployForced, payAsRegistry, usdc } from "../../helpers/auction";
import { DAY } from "../../helpers/timelock";

describe("InsuranceFund: payments and the deficit ledger", () => {
  let f: Forced;
  beforeEach(async () => {
    f = await loadFixture(deployForced);
  });
  // creditors with no tokens of their own (the fixture funds every signer)
  const a = () => getAddress("0x00000000000000000000000000000000000000a1");
  const b = () => getAddress("0x00000000000000000000000000000000000000b2");
  const c = () => getAddress("0x00000000000000000000000000000000000000c3");
  const inflow = async (x: bigint) => (await f.usdcToken.mint(f.fund, x)).wait();
  const bal = (who: string) => f.usdcToken.balanceOf(who);

  it("pays in full what is available and records nothing", async () => {
    await inflow(usdc(1000));
    await expect(payAsRegistry(f, a(), usdc(400)))
      .to.emit(f.fund, "Paid")
      .withArgs(f.stub.target, a(), usdc(400), usdc(400))
      .and.not.to.emit(f.fund, "Owed");
    expect(await bal(a())).to.equal(usdc(400));
    expect(await f.fund.ledgerLength()).to.equal(0n);
    expect(await f.fund.available()).to.equal(usdc(600));
  });

  it("pays part of a gain larger than the fund and records the rest as owed (never reverts)", async () => {
    await inflow(usdc(1000));
    // paid to one address (a claim's receiver) and owed to the account (creditor)
    await expect(payAsRegistry(f, c(), usdc(1500), a()))
      .to.emit(f.fund, "Paid")
      .withArgs(f.stub.target, c(), usdc(1000), usdc(1500))
      .and.to.emit(f.fund, "Owed")
      .withArgs(0n, a(), usdc(500));
    expect(await bal(c())).to.equal(usdc(1000));
    expect(await f.fund.owedOf(a())).to.equal(usdc(500));
    expect(await f.fund.totalOwed()).to.equal(usdc(500));
    expect(await f.fund.ledgerLength()).to.equal(1n);
    expect(await f.fund.ledgerHead()).to.equal(0n);
    expect(await f.fund.entry(0n)).to.deep.equal([a(), usdc(500), 0n]);
    expect(await f.fund.available()).to.equal(0n);
  });

  it("never lets a new payment go ahead of what is owed: available() = balance - owed", async () => {
    await inflow(usdc(100));
    await (await payAsRegistry(f, a(), usdc(300))).wait(); // 100 paid, 200 owed
    await inflow(usdc(150)); // less than owed
    expect(await f.fund.available()).to.equal(0n);
    await expect(payAsRegistry(f, b(), usdc(50)))
      .to.emit(f.fund, "Paid")
      .withArgs(f.stub.target, b(), 0n, usdc(50))
      .and.to.emit(f.fund, "Owed")
      .withArgs(1n, b(), usdc(50));
    expect(await bal(b())).to.equal(0n);
    await inflow(usdc(200)); // balance 350, owed 250
    expect(await f.fund.available()).to.equal(usdc(100));
  });

  it("repays later inflows in ledger order, partly paying the head entry", async () => {
    await (await payAsRegistry(f, a(), usdc(100))).wait(); // entry 0: a 100
    await (await payAsRegistry(f, b(), usdc(50))).wait(); // entry 1: b 50
    await (await payAsRegistry(f, c(), usdc(70))).wait(); // entry 2: c 70
    await inflow(usdc(120));
    await expect(f.fund.connect(f.keeper).repay(10n))
      .to.emit(f.fund, "Repaid")
      .withArgs(0n, a(), usdc(100), 0n)
      .and.to.emit(f.fund, "Repaid")
      .withArgs(1n, b(), usdc(20), usdc(30));
    expect(await bal(a())).to.equal(usdc(100));
    expect(await bal(b())).to.equal(usdc(20));
    expect(await bal(c())).to.equal(0n);
    expect(await f.fund.ledgerHead()).to.equal(1n);
    expect(await f.fund.entry(1n)).to.deep.equal([b(), usdc(50), usdc(20)]);
    expect(await f.fund.totalOwed()).to.equal(usdc(100));
    // bounded: n = 1 repays the head entry only
    await inflow(usdc(500));
    await expect(f.fund.repay(1n)).to.emit(f.fund, "Repaid").withArgs(1n, b(), usdc(30), 0n);
    expect(await f.fund.ledgerHead()).to.equal(2n);
    expect(await bal(c())).to.equal(0n);
    await (await f.fund.repay(5n)).wait();
    expect(await bal(c())).to.equal(usdc(70));
    expect(await f.fund.ledgerHead()).to.equal(3n);
    expect(await f.fund.totalOwed()).to.equal(0n);
    expect(await f.fund.available()).to.equal(usdc(400));
    // nothing left to repay
    await expect(f.fund.repay(5n)).not.to.emit(f.fund, "Repaid");
  });

  it("pays tips with payUpTo from what is available only, recording nothing", async () => {
    await inflow(usdc(30));
    await expect(f.stub.exec(f.fund, f.fund.interface.encodeFunctionData("payUpTo", [a(), usdc(50)])))
      .to.emit(f.fund, "Paid")
      .withArgs(f.stub.target, a(), usdc(30), usdc(50));
    await (await payAsRegistry(f, b(), usdc(10))).wait(); // all owed
    await inflow(usdc(5));
    await expect(f.stub.exec(f.fund, f.fund.interface.encodeFunctionData("payUpTo", [a(), usdc(50)])))
      .to.emit(f.fund, "Paid")
      .withArgs(f.stub.target, a(), 0n, usdc(50));
    expect(await f.fund.ledgerLength()).to.equal(1n);
  });

  it("accepts payments only from its payers (InsuranceFund__NotPayer)", async () => {
    await expect(f.fund.connect(f.keeper).pay(a(), 1n, a()))
      .to.be.revertedWithCustomError(f.fund, "InsuranceFund__NotPayer")
      .withArgs(f.keeper.address);
    await expect(f.fund.connect(f.keeper).payUpTo(a(), 1n))
      .to.be.revertedWithCustomError(f.fund, "InsuranceFund__NotPayer")
      .withArgs(f.keeper.address);
  });

  it("refuses zero addresses and an owed amount above 2^128 - 1", async () => {
    const call = (fn: "pay" | "payUpTo", args: readonly unknown[]) =>
      f.stub.exec(f.fund, f.fund.interface.encodeFunctionData(fn as "pay", args as [string, bigint, string]));
    await expect(call("pay", [ZeroAddress, 1n, a()])).to.be.revertedWithCustomError(
      f.fund,
      "InsuranceFund__ZeroAddress",
    );
    await expect(call("pay", [a(), 1n, ZeroAddress])).to.be.revertedWithCustomError(
      f.fund,
      "InsuranceFund__ZeroAddress",
    );
    await expect(call("payUpTo", [ZeroAddress, 1n])).to.be.revertedWithCustomError(
      f.fund,
      "InsuranceFund__ZeroAddress",
    );
    await expect(call("pay", [a(), 2n ** 128n, a()]))
      .to.be.revertedWithCustomError(f.fund, "InsuranceFund__AmountTooLarge")
      .withArgs(2n ** 128n);
  });

  describe("a creditor whose address refuses the transfer", () => {
    it("cannot stall the queue: its repayment is held for claim, the next creditor is paid", async () => {
      const a = () => f.others[0].address; // a signer: it claims
      const token = await new TestBlockingToken__factory(f.admin).deploy();
      const fund = await new InsuranceFund__factory(f.admin).deploy(token, "F", "F", f.timelock, COOLDOWN, DAY);
      await (await fund.initialize(f.stub, f.house)).wait();
      const pay = (to: string, x: bigint) => f.stub.exec(fund, fund.interface.encodeFunctionData("pay", [to, x, to]));
      await (await pay(a(), usdc(100))).wait();
      await (await pay(b(), usdc(40))).wait();
      await (await token.setBlocked(a(), true)).wait();
      await (await token.mint(fund, usdc(200))).wait();
      await expect(fund.repay(10n))
        .to.emit(fund, "RepaymentHeld")
        .withArgs(0n, a(), usdc(100))
        .and.to.emit(fund, "Repaid")
        .withArgs(1n, b(), usdc(40), 0n);
      expect(await token.balanceOf(b())).to.equal(usdc(40));
      expect(await fund.heldFor(a())).to.equal(usdc(100));
      expect(await fund.totalHeld()).to.equal(usdc(100));
      expect(await fund.owedOf(a())).to.equal(0n);
      // held money is not the LPs' and not available to new payments
      expect(await fund.available()).to.equal(usdc(60));
      expect(await fund.totalAssets()).to.equal(usdc(60));
      // the creditor claims to another address
      const to = f.others[3].address;
      await expect(fund.connect(f.others[0]).claim(to)).to.emit(fund, "Claimed").withArgs(a(), to, usdc(100));
      expect(await token.balanceOf(to)).to.equal(usdc(100));
      expect(await fund.totalHeld()).to.equal(0n);
      await expect(fund.connect(f.others[0]).claim(to))
        .to.be.revertedWithCustomError(fund, "InsuranceFund__NothingClaimable")
        .withArgs(a());
      await expect(fund.connect(f.others[0]).claim(ZeroAddress)).to.be.revertedWithCustomError(
        fund,
        "InsuranceFund__ZeroAddress",
      );
    });
  });
});
