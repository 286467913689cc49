import { expect } from "chai";
import { ethers } from "hardhat";
import { Side, equity as equityOf } from "../../prover/model";
import { unpackPrices } from "../../core/encoding";
import {
  DEFAULTS,
  E18,
  E8,
  Trader,
  UNIT,
  USDC,
  WETH,
  advance,
  deploySystem,
  proofArgs,
  setPrice,
  time,
  usdc,
  weth,
  type System,
} from "../helpers/system";

const { responseWindow, exclusivePeriod, claimWindow } = DEFAULTS.timing;

/** Alice: 10 ETH long at $3,000 with $4,000 USDC and 1 WETH; ETH falls to $2,600 and she is challenged. */
async function challenged(sys: System): Promise<Trader> {
  const alice = await new Trader(sys.traders[0], sys).open([
    { asset: USDC, amount: usdc(4_000) },
    { asset: WETH, amount: weth(1) },
  ]);
  await alice.update({ kind: "increase", market: 0, size: 10n * UNIT, side: Side.Long });
  await setPrice(sys, 0, 2_600n * E8);
  await sys.registry.connect(sys.keeper).challenge(alice.address, { value: sys.bond });
  return alice;
}

describe("Registry: liquidation, claims, batches and pauses", () => {
  describe("liquidate", () => {
    it("refuses before the deadline, to others during the exclusive period, and for an answered account", async () => {
      const sys = await deploySystem();
      const alice = await challenged(sys);
      await expect(sys.registry.connect(sys.keeper).liquidate(alice.address)).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__DeadlineNotPassed",
      );
      await advance(sys, responseWindow + 1n);
      await expect(sys.registry.connect(sys.keeper2).liquidate(alice.address)).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ExclusivePeriod",
      );
      const bob = await new Trader(sys.traders[1], sys).open([{ asset: USDC, amount: usdc(1_000) }]);
      await expect(sys.registry.connect(sys.keeper).liquidate(bob.address)).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NoOpenChallenge",
      );
    });

    it("seizes collateral: bounty share of each asset to the liquidator, bond back to the challenger, rest to the fund", async () => {
      const sys = await deploySystem();
      const alice = await challenged(sys);
      const value = await sys.registry.pinnedValue(alice.address); // $4,000 + 1 WETH x $3,000 x 80% = $6,400
      expect(value).to.equal(6_400n * E18);
      const bountyValue = (value * 100n) / 10_000n; // 1% = $64 (below the $1,000 cap)
      await time.increase(responseWindow + exclusivePeriod + 1n);
      const [usdcT, wethT] = sys.tokens;
      const fund = [await sys.registry.fundBalance(USDC), await sys.registry.fundBalance(WETH)];
      const keeperEth = await ethers.provider.getBalance(sys.keeper.address);
      await expect(sys.registry.connect(sys.keeper2).liquidate(alice.address))
        .to.emit(sys.registry, "Liquidated")
        .withArgs(alice.address, 2n, sys.keeper2.address, value, bountyValue);
      expect(await usdcT.balanceOf(sys.keeper2.address)).to.equal(usdc(40)); // 1% of 4,000 USDC
      expect(await wethT.balanceOf(sys.keeper2.address)).to.equal(weth(1) / 100n);
      expect(await sys.registry.fundBalance(USDC)).to.equal(fund[0] + usdc(3_960));
      expect(await sys.registry.fundBalance(WETH)).to.equal(fund[1] + (weth(1) * 99n) / 100n);
      expect(await ethers.provider.getBalance(sys.keeper.address)).to.equal(keeperEth + sys.bond);
      expect(await sys.registry.collateralOf(alice.address, USDC)).to.equal(0n);
      expect((await sys.registry.accountOf(alice.address)).status).to.equal(2n);
      const liq = await sys.registry.liquidationOf(alice.address);
      expect(liq.value).to.equal(value);
      expect(unpackPrices(liq.marketPrices)[0]).to.equal(2_600n * E8);
    });

    it("lets the challenger liquidate during its exclusive period, and caps the bounty", async () => {
      const sys = await deploySystem();
      await sys.registry.setIncentives({ ...DEFAULTS.incentives, bountyBps: 1000, bountyCap: 100n * E18 });
      const alice = await challenged(sys);
      await time.increase(responseWindow + 1n);
      await expect(sys.registry.connect(sys.keeper).liquidate(alice.address))
        .to.emit(sys.registry, "Liquidated")
        .withArgs(alice.address, 2n, sys.keeper.address, 6_400n * E18, 100n * E18);
    });

    it("credits a bond the challenger's contract refuses; withdrawing fails loudly until it accepts ETH", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(4_000) }]);
      await setPrice(sys, 0, 3_500n * E8);
      const rejecter = await ethers.deployContract("EthRejecter");
      await rejecter.challenge(await sys.registry.getAddress(), alice.address, { value: sys.bond });
      await time.increase(responseWindow + exclusivePeriod + 1n);
      await sys.registry.connect(sys.keeper2).liquidate(alice.address);
      expect(await sys.registry.ethCredit(await rejecter.getAddress())).to.equal(sys.bond);
      await expect(rejecter.withdrawCredit(await sys.registry.getAddress())).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__TransferFailed",
      );
      await expect(sys.registry.connect(sys.keeper2).withdrawCredit()).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NothingToWithdraw",
      );
      // once it accepts ETH, the credited bond is withdrawn in full, once
      await rejecter.setAccepting(true);
      const rejecterAddr = await rejecter.getAddress();
      await expect(rejecter.withdrawCredit(await sys.registry.getAddress()))
        .to.emit(sys.registry, "CreditWithdrawn")
        .withArgs(rejecterAddr, sys.bond);
      expect(await ethers.provider.getBalance(rejecterAddr)).to.equal(sys.bond);
      expect(await sys.registry.ethCredit(rejecterAddr)).to.equal(0n);
      await expect(rejecter.withdrawCredit(await sys.registry.getAddress())).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NothingToWithdraw",
      );
    });
  });

  describe("claim (Equity proofs)", () => {
    it("pays an offline owner its equity at the snapshot minus the penalty, once", async () => {
      const sys = await deploySystem();
      const alice = await challenged(sys);
      await time.increase(responseWindow + exclusivePeriod + 1n);
      await sys.registry.connect(sys.keeper).liquidate(alice.address);
      const { equity, proof } = await alice.claimProof();
      // equity = $6,400 collateral value - 10 x $400 loss = $2,400; penalty 5% of $6,400 = $320
      expect(equity).to.equal(2_400n * E18);
      expect(equity).to.equal(
        equityOf(alice.state.markets, {
          value: 6_400n * E18,
          prices: [2_600n * E8, ...DEFAULTS.marketPrices.slice(1)],
        }),
      );
      const before = await sys.tokens[0].balanceOf(alice.address);
      await expect(alice.registry.claim(equity, proofArgs(proof.proof)))
        .to.emit(sys.registry, "Claimed")
        .withArgs(alice.address, equity, 2_080n * E18, usdc(2_080));
      expect(await sys.tokens[0].balanceOf(alice.address)).to.equal(before + usdc(2_080));
      await expect(alice.registry.claim(equity, proofArgs(proof.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotLiquidated",
      );
    });

    it("keeps the penalty and claim window in force at liquidation when governance changes them later", async () => {
      const sys = await deploySystem();
      const alice = await challenged(sys);
      await advance(sys, responseWindow + exclusivePeriod + 1n);
      await sys.registry.connect(sys.keeper).liquidate(alice.address);
      await sys.registry.setIncentives({ ...DEFAULTS.incentives, penaltyBps: 2_000 });
      await sys.registry.setTiming({ ...DEFAULTS.timing, claimWindow: 86_400n });
      await time.increase(2n * 86_400n); // past the new window, inside the old one
      const { equity, proof } = await alice.claimProof();
      await expect(alice.registry.claim(equity, proofArgs(proof.proof)))
        .to.emit(sys.registry, "Claimed")
        .withArgs(alice.address, equity, 2_080n * E18, usdc(2_080)); // 5%, not 20%
    });

    it("rejects an inflated equity, equity + p, a claim after the window and a claim of a live account", async () => {
      const sys = await deploySystem();
      const alice = await challenged(sys);
      const noProof: { a: [bigint, bigint]; b: [[bigint, bigint], [bigint, bigint]]; c: [bigint, bigint] } = {
        a: [0n, 0n],
        b: [
          [0n, 0n],
          [0n, 0n],
        ],
        c: [0n, 0n],
      };
      await expect(alice.registry.claim(0n, noProof)).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotLiquidated",
      );
      await time.increase(responseWindow + exclusivePeriod + 1n);
      await sys.registry.connect(sys.keeper).liquidate(alice.address);
      const { equity, proof } = await alice.claimProof();
      const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
      await expect(alice.registry.claim(equity + 1n, proofArgs(proof.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ProofInvalid",
      );
      await expect(alice.registry.claim(equity + P, proofArgs(proof.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "PublicInputs__NotInField",
      );
      await expect(
        sys.registry.connect(sys.traders[1]).claim(equity, proofArgs(proof.proof)),
      ).to.be.revertedWithCustomError(sys.registry, "Registry__NotLiquidated");
      await time.increase(claimWindow + 1n);
      await expect(alice.registry.claim(equity, proofArgs(proof.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ClaimWindowOver",
      );
    });
  });

  describe("batches", () => {
    it("challenges only the stale accounts of a batch and refunds the unused bonds", async () => {
      const sys = await deploySystem();
      const traders = await Promise.all(
        [0, 1, 2].map((i) => new Trader(sys.traders[i], sys).open([{ asset: USDC, amount: usdc(1_000) }])),
      );
      await setPrice(sys, 1, 70_000n * E8);
      const fresh = await new Trader(sys.traders[3], sys).open([{ asset: USDC, amount: usdc(1_000) }]);
      const accounts = [...traders.map((t) => t.address), fresh.address, sys.traders[5].address];
      const k = sys.registry.connect(sys.keeper);
      expect(await k.challengeBatch.staticCall(accounts, { value: 5n * sys.bond })).to.equal(3n);
      const before = await ethers.provider.getBalance(sys.keeper.address);
      const r = await (await k.challengeBatch(accounts, { value: 5n * sys.bond })).wait();
      const gas = r!.gasUsed * r!.gasPrice;
      expect(await ethers.provider.getBalance(sys.keeper.address)).to.equal(before - gas - 3n * sys.bond);
      await expect(k.challengeBatch(accounts, { value: 0n })).to.not.be.reverted; // nothing left to challenge: 0 bonds
      for (const t of traders) expect((await sys.registry.challengeOf(t.address)).deadline).to.not.equal(0n);
      expect((await sys.registry.challengeOf(fresh.address)).deadline).to.equal(0n);
      await setPrice(sys, 1, 80_000n * E8);
      await expect(k.challengeBatch([fresh.address], { value: 0n })).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__WrongBond",
      );
    });

    it("liquidates only the expired challenges of a batch", async () => {
      const sys = await deploySystem();
      const [a, b, c] = await Promise.all(
        [0, 1, 2].map((i) => new Trader(sys.traders[i], sys).open([{ asset: USDC, amount: usdc(1_000) }])),
      );
      await setPrice(sys, 1, 70_000n * E8);
      const k = sys.registry.connect(sys.keeper);
      await k.challengeBatch([a.address, b.address, c.address], { value: 3n * sys.bond });
      await k.respond(b.address, proofArgs((await b.respondProof()).proof));
      await time.increase(responseWindow + 1n);
      expect(await k.liquidateBatch.staticCall([a.address, b.address, c.address])).to.equal(2n);
      await k.liquidateBatch([a.address, b.address, c.address]);
      expect((await sys.registry.accountOf(a.address)).status).to.equal(2n);
      expect((await sys.registry.accountOf(b.address)).status).to.equal(1n);
      expect((await sys.registry.accountOf(c.address)).status).to.equal(2n);
      expect(await sys.tokens[0].balanceOf(sys.keeper.address)).to.equal(2n * usdc(10));
    });
  });

  describe("guardian pause", () => {
    it("blocks liquidation while paused and extends the deadline by the pause", async () => {
      const sys = await deploySystem();
      const alice = await challenged(sys);
      const deadline = await sys.registry.deadlineOf(alice.address);
      await sys.registry.connect(sys.guardian).pauseChallenges();
      await time.increase(2n * 3600n);
      await expect(sys.registry.connect(sys.keeper).liquidate(alice.address)).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__Paused",
      );
      await sys.registry.connect(sys.guardian).unpauseChallenges();
      const extended = await sys.registry.deadlineOf(alice.address);
      expect(extended - deadline).to.be.within(2n * 3600n, 2n * 3600n + 2n);
      // past the original deadline, the owner can still answer (top-up first: she is underwater)
      expect(BigInt(await time.latest())).to.be.greaterThan(deadline);
      await alice.registry.deposit(USDC, usdc(2_000));
      await advance(sys, 0);
      await sys.registry.connect(sys.keeper).respond(alice.address, proofArgs((await alice.respondProof()).proof));
    });
  });
});
