/**
 * ZkMarginRegistry v2: opening, deposits, update (trade, settlement, withdrawal) and prove, with real proofs.
 * Issue 9's contract tests (settle paths, full exit with c settled, no per-trade pnl in any event, equal gas
 * and calldata across markets and trade kinds) live here.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { EMPTY_COMMITMENT, FIELD_MODULUS, Side, commitment, emptyState, isFlat } from "../../../prover/model";
import {
  E8,
  QUOTE,
  Trader,
  baseFixture,
  UNIT,
  USDC,
  WETH,
  certHash,
  certOf,
  emptyFundFixture,
  events,
  garbled,
  loadFixture,
  NO_PROOF,
  pack16,
  quote,
  revive,
  setMarketPrice,
  tester,
  usdc,
  weth,
} from "../../helpers/registry";
import { BTC, ETH, ETH_PRICE, openedFixture } from "./fixtures";

describe("ZkMarginRegistry v2: accounts, updates and prove", function () {
  describe("openAccount and deposit", () => {
    it("opens at the model's empty commitment with a certificate that holds at every price", async () => {
      const f = await loadFixture(baseFixture);
      const t = f.traders[0];
      const rc = await (await f.registry.connect(t).openAccount()).wait();
      const acc = await f.registry.accountOf(t.address);
      expect(acc.commitment).to.equal(commitment(emptyState(4)));
      expect(acc.commitment).to.equal(EMPTY_COMMITMENT);
      expect(acc.status).to.equal(1n);
      expect(acc.nonce).to.equal(0n);
      const [opened] = events(f, rc, "AccountOpened");
      expect(opened.args.commitment).to.equal(EMPTY_COMMITMENT);
      const cert = await certOf(f, t.address);
      expect(cert.d).to.equal(10_000n);
      expect(cert.pm).to.equal(pack16([10_000n, 10_000n, 10_000n, 10_000n]));
      expect(acc.certHash).to.equal(certHash(cert));
    });

    it("refuses a second open (Registry__AccountExists)", async () => {
      const f = await loadFixture(baseFixture);
      const reg = f.registry.connect(f.traders[0]);
      await (await reg.openAccount()).wait();
      await expect(reg.openAccount())
        .to.be.revertedWithCustomError(f.registry, "Registry__AccountExists")
        .withArgs(f.traders[0].address);
    });

    it("credits deposits and refuses unknown assets, zero amounts and accounts that do not exist", async () => {
      const f = await loadFixture(baseFixture);
      const reg = f.registry.connect(f.traders[0]);
      await expect(reg.deposit(USDC, usdc(1)))
        .to.be.revertedWithCustomError(f.registry, "Registry__NotActive")
        .withArgs(f.traders[0].address);
      await (await reg.openAccount()).wait();
      await expect(reg.deposit(USDC, usdc(500)))
        .to.emit(f.registry, "Deposited")
        .withArgs(f.traders[0].address, USDC, usdc(500));
      await (await reg.deposit(WETH, weth(3))).wait();
      expect(await f.registry.collateralOf(f.traders[0].address)).to.deep.equal([usdc(500), weth(3), 0n, 0n]);
      await expect(reg.deposit(2, 1n)).to.be.revertedWithCustomError(f.registry, "Registry__UnknownAsset").withArgs(2);
      await expect(reg.deposit(USDC, 0n)).to.be.revertedWithCustomError(f.registry, "Registry__ZeroAmount");
    });
  });

  describe("update", () => {
    it("opens a position with a real proof and stores the certificate it proves", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      const acc = await f.registry.accountOf(alice.address);
      expect(acc.commitment).to.equal(commitment(alice.state));
      expect(acc.nonce).to.equal(1n);
      const cert = await certOf(f, alice.address);
      expect(acc.certHash).to.equal(certHash(cert));
      expect(cert.d).to.be.greaterThan(0n);
      expect(cert.marketPrices & ((1n << 64n) - 1n)).to.equal(ETH_PRICE);
      expect(alice.state.markets[ETH]).to.deep.include({ size: 2n * UNIT, side: Side.Long });
    });

    it("increases and reduces at a profit with the pnl kept in cash (no event field holds it)", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      await alice.update({ kind: "increase", market: ETH, size: UNIT });
      await setMarketPrice(f, ETH, 3321_12345678n);
      const { plan, receipt } = await alice.update({ kind: "reduce", market: ETH, size: UNIT + UNIT / 3n });
      expect(plan.realised).to.be.greaterThan(0n);
      expect(alice.state.cash).to.equal(plan.realised);
      expect(plan.args.settle).to.equal(0n);
      // every value of every log of the transaction (any contract), against the pnl in value units and tokens
      const secret = [plan.realised, plan.realised / 10n ** 12n, -plan.realised];
      for (const log of receipt.logs) {
        const words = [...log.topics, ...(log.data.slice(2).match(/.{64}/g) ?? []).map((w) => `0x${w}`)];
        for (const w of words) expect(secret).to.not.include(BigInt(w));
      }
      const [u] = events(f, receipt, "Updated");
      expect(Object.keys((u.args as unknown as { toObject(): object }).toObject())).to.deep.equal([
        "account",
        "nonce",
        "commitment",
        "settle",
        "withdrawAsset",
        "withdrawAmount",
      ]);
    });

    it("settles a gain: the fund pays s into the settlement collateral", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      await setMarketPrice(f, ETH, 3300n * E8);
      const fundBefore = await f.tokens[USDC].balanceOf(f.fund);
      const { plan, receipt } = await alice.update({ kind: "reduce", market: ETH, size: UNIT }, { settle: quote(300) });
      expect(plan.realised).to.equal(quote(300));
      expect(alice.state.cash).to.equal(0n);
      expect(await f.tokens[USDC].balanceOf(f.fund)).to.equal(fundBefore - usdc(300));
      expect((await alice.balances())[USDC]).to.equal(usdc(10_300));
      const [u] = events(f, receipt, "Updated");
      expect(u.args.settle).to.equal(quote(300));
    });

    it("takes a settled loss from the settlement collateral first", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      await setMarketPrice(f, ETH, 2700n * E8);
      const fundBefore = await f.tokens[USDC].balanceOf(f.fund);
      const { receipt } = await alice.update({ kind: "reduce", market: ETH, size: UNIT }, { settle: -quote(300) });
      expect(alice.state.cash).to.equal(0n);
      expect(await f.tokens[USDC].balanceOf(f.fund)).to.equal(fundBefore + usdc(300));
      expect(await alice.balances()).to.deep.equal([usdc(9_700), weth(2), 0n, 0n]);
      expect(events(f, receipt, "LossCovered")).to.have.length(0);
    });

    it("takes the rest of a loss from WETH at its oracle price into one auction", async () => {
      const f = await loadFixture(baseFixture);
      const carol = await new Trader(f, f.traders[3]).open([
        [USDC, usdc(100)],
        [WETH, weth(1)],
      ]);
      await carol.update({ kind: "increase", market: ETH, size: UNIT, side: Side.Long });
      await setMarketPrice(f, ETH, 2500n * E8);
      const fundBefore = await f.tokens[USDC].balanceOf(f.fund);
      const { receipt } = await carol.update({ kind: "reduce", market: ETH, size: UNIT }, { settle: -quote(500) });
      // 100 USDC to the fund, 400 quote of WETH at 3,000 (rounded up) to the auction house
      const wethTaken = (quote(400) * 10n ** 18n + 3000n * E8 * 10n ** 10n - 1n) / (3000n * E8 * 10n ** 10n);
      expect(await f.tokens[USDC].balanceOf(f.fund)).to.equal(fundBefore + usdc(100));
      expect(await carol.balances()).to.deep.equal([0n, weth(1) - wethTaken, 0n, 0n]);
      const [covered] = events(f, receipt, "LossCovered");
      expect(covered.args.asset).to.equal(WETH);
      expect(covered.args.amount).to.equal(wethTaken);
      const kicks = receipt.logs
        .filter((l) => l.address === f.auction.target)
        .map((l) => f.auction.interface.parseLog(l));
      expect(kicks.map((k) => k?.name)).to.deep.equal(["Kick"]);
      expect(kicks[0]?.args.lot).to.equal(wethTaken);
      expect(await f.auction.inventory(WETH)).to.equal(wethTaken);
      expect(isFlat(carol.state)).to.equal(true);
    });

    it("withdraws with a settlement in one update, then fully exits with c settled", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      await setMarketPrice(f, ETH, 3150n * E8);
      const wallet = await f.tokens[USDC].balanceOf(alice.address);
      // reduce 1 ETH (pnl 150, into cash), settle 100 of it and withdraw 2,000 USDC, in one update
      const w = await alice.update(
        { kind: "reduce", market: ETH, size: UNIT },
        { settle: quote(100), withdraw: { asset: USDC, amount: usdc(2_000) } },
      );
      expect(w.plan.realised).to.equal(quote(150));
      expect(w.plan.args.withdrawAmount).to.equal(usdc(2_000));
      expect(alice.state.cash).to.equal(quote(50));
      expect(await f.tokens[USDC].balanceOf(alice.address)).to.equal(wallet + usdc(2_000));
      expect((await alice.balances())[USDC]).to.equal(usdc(10_000 + 100 - 2_000));
      // close the rest (pnl 150 more), settle all of c (200) and withdraw every USDC, then the WETH
      const usdcLeft = usdc(10_000 + 100 - 2_000 + 200);
      await alice.update(
        { kind: "reduce", market: ETH, size: UNIT },
        { settle: quote(200), withdraw: { asset: USDC, amount: usdcLeft } },
      );
      await alice.update({ kind: "none" }, { withdraw: { asset: WETH, amount: weth(2) } });
      expect(isFlat(alice.state)).to.equal(true);
      expect(await alice.balances()).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await f.tokens[USDC].balanceOf(alice.address)).to.equal(wallet + usdc(2_000) + usdcLeft);
      expect((await f.registry.accountOf(alice.address)).commitment).to.equal(commitment(alice.state));
    });

    it("accepts a reduce that leaves maintenance but not initial margin (the reduce rule)", async () => {
      const f = await loadFixture(baseFixture);
      const dave = await new Trader(f, f.traders[4]).open([[USDC, usdc(1_000)]]);
      await dave.update({ kind: "increase", market: ETH, size: 2n * UNIT, side: Side.Long });
      await setMarketPrice(f, ETH, 2600n * E8);
      // equity 200 against maintenance 3% x 4,680 = 140 and initial 6% x 4,680 = 281 after the reduce
      await dave.update({ kind: "reduce", market: ETH, size: UNIT / 5n });
      expect(dave.state.markets[ETH].size).to.equal((9n * UNIT) / 5n);
      // the same point refuses an increase: no witness exists (Update Check (10), initial margin)
      const increase = await dave.buildUpdate({ kind: "increase", market: ETH, size: UNIT / 10n });
      await (await tester("update")).rejects(increase.inputs, { check: 10 });
    });

    it("pays part of a gain the fund cannot cover and owes the rest to the trader (never reverts)", async () => {
      const f = await loadFixture(emptyFundFixture);
      const erin = await new Trader(f, f.traders[5]).open([[USDC, usdc(5_000)]]);
      await erin.update({ kind: "increase", market: ETH, size: UNIT, side: Side.Long });
      await setMarketPrice(f, ETH, 3400n * E8);
      const { receipt } = await erin.update({ kind: "reduce", market: ETH, size: UNIT }, { settle: quote(400) });
      expect((await erin.balances())[USDC]).to.equal(usdc(5_000));
      expect(await f.fund.owedOf(erin.address)).to.equal(usdc(400));
      const owed = receipt.logs
        .filter((l) => l.address === f.fund.target)
        .map((l) => f.fund.interface.parseLog(l)?.name);
      expect(owed).to.include("Owed");
      // a later inflow repays it to the trader's address, first in line
      await (await f.tokens[USDC].mint(f.fund, usdc(1_000))).wait();
      const before = await f.tokens[USDC].balanceOf(erin.address);
      await (await f.fund.repay(1n)).wait();
      expect(await f.tokens[USDC].balanceOf(erin.address)).to.equal(before + usdc(400));
    });

    it("has the same gas and calldata length for every market and trade kind", async () => {
      const f = await loadFixture(baseFixture);
      const t = await new Trader(f, f.traders[6]).open([[USDC, usdc(100_000)]]);
      const steps = [
        { kind: "increase", market: ETH, size: UNIT, side: Side.Long }, // open ETH
        { kind: "increase", market: BTC, size: UNIT / 10n, side: Side.Short }, // open BTC
        { kind: "increase", market: ETH, size: UNIT }, // increase ETH
        { kind: "reduce", market: BTC, size: UNIT / 20n }, // reduce BTC
        { kind: "reduce", market: ETH, size: 2n * UNIT }, // close ETH
      ] as const;
      const execution: bigint[] = [];
      const lengths: number[] = [];
      const total: bigint[] = [];
      for (const s of steps) {
        const { receipt } = await t.update(s);
        const tx = await ethers.provider.getTransaction(receipt.hash);
        const bytes = ethers.getBytes(tx!.data);
        const zeros = bytes.filter((b) => b === 0).length;
        const calldataGas = 21_000n + 16n * BigInt(bytes.length - zeros) + 4n * BigInt(zeros);
        lengths.push(bytes.length);
        total.push(receipt.gasUsed);
        execution.push(receipt.gasUsed - calldataGas);
      }
      expect(new Set(lengths).size, `calldata lengths ${lengths}`).to.equal(1);
      expect(new Set(execution).size, `execution gas ${execution}`).to.equal(1);
      // what remains is the count of zero bytes of random field elements (commitment, proof)
      const spread = total.reduce((a, b) => (a > b ? a : b)) - total.reduce((a, b) => (a < b ? a : b));
      expect(spread).to.be.lessThan(1_000n);
      console.log(`      gas.update ${total[0]} (execution ${execution[0]}, calldata ${lengths[0]} bytes)`);
    });

    it("refuses what the contract checks before the proof", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      const plan = await alice.planUpdate({ kind: "none" }, { withdraw: { asset: USDC, amount: usdc(1) } });
      const reg = alice.reg;
      const bad = garbled(plan.proof);
      await expect(reg.update({ ...plan.args, d: 5_001n }, plan.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__BoxTooWide")
        .withArgs(5_001n, 5_000n);
      const mm = (await f.risk.packedRatios()) & ((1n << 64n) - 1n);
      await expect(reg.update({ ...plan.args, pm: mm - 1n }, plan.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__RatioBelowRequired")
        .withArgs(0n, (mm & 0xffffn) - 1n, mm & 0xffffn);
      await expect(reg.update({ ...plan.args, pm: mm | 10_001n }, plan.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__RatioBelowRequired",
      );
      await expect(reg.update({ ...plan.args, newCommitment: plan.args.newCommitment + FIELD_MODULUS }, plan.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__NotInField")
        .withArgs(plan.args.newCommitment + FIELD_MODULUS);
      await expect(reg.update({ ...plan.args, withdrawAmount: usdc(10_001) }, bad))
        .to.be.revertedWithCustomError(f.registry, "Registry__InsufficientCollateral")
        .withArgs(USDC, usdc(10_000), usdc(10_001));
      await expect(reg.update({ ...plan.args, withdrawAsset: 3n }, bad))
        .to.be.revertedWithCustomError(f.registry, "Registry__UnknownAsset")
        .withArgs(3n);
      await expect(reg.update({ ...plan.args, settle: -quote(1_000_000) }, bad)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__InsufficientCollateral",
      );
      await expect(reg.update({ ...plan.args, settle: 1n << 127n }, bad))
        .to.be.revertedWithCustomError(f.registry, "Registry__SettleOutOfRange")
        .withArgs(1n << 127n);
      await expect(reg.update(plan.args, bad)).to.be.revertedWithCustomError(f.registry, "Registry__ProofInvalid");
      await expect(f.registry.connect(f.traders[9]).update(plan.args, plan.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__NotActive")
        .withArgs(f.traders[9].address);
      // the honest update still goes through
      await expect(reg.update(plan.args, plan.proof)).to.emit(f.registry, "Updated");
    });

    it("refuses a collateral value that does not fit the public word (Registry__ValueTooLarge)", async () => {
      const f = await loadFixture(baseFixture);
      const t = await new Trader(f, f.traders[7]).open();
      const huge = 2n * 10n ** 24n; // 2e18 quote units: above 2^120 value units
      await (await f.tokens[USDC].mint(t.address, huge)).wait();
      await t.deposit(USDC, huge);
      const mm = (await f.risk.packedRatios()) & ((1n << 64n) - 1n);
      await expect(t.reg.prove(0, mm, NO_PROOF)).to.be.revertedWithCustomError(f.registry, "Registry__ValueTooLarge");
    });
  });

  describe("prove", () => {
    it("refreshes the certificate at current prices and bumps the nonce", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      await setMarketPrice(f, ETH, 3100n * E8);
      const rc = await alice.prove();
      const acc = await f.registry.accountOf(alice.address);
      expect(acc.nonce).to.equal(2n);
      const cert = await certOf(f, alice.address);
      expect(cert.marketPrices & ((1n << 64n) - 1n)).to.equal(3100n * E8);
      expect(acc.certHash).to.equal(certHash(cert));
      expect(BigInt(cert.provenAt)).to.equal(BigInt((await ethers.provider.getBlock(rc.blockNumber))!.timestamp));
      console.log(`      gas.prove ${rc.gasUsed}`);
    });

    it("refuses a box wider than MAX_BOX_BPS, ratios below maintenance and a wrong proof", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      const p = await alice.planProve();
      await expect(alice.reg.prove(5_001, p.pm, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__BoxTooWide",
      );
      await expect(alice.reg.prove(p.d, p.pm - 1n, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__RatioBelowRequired",
      );
      await expect(alice.reg.prove(p.d, p.pm, garbled(p.proof))).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
      await expect(alice.reg.prove(p.d === 0n ? 1n : p.d - 1n, p.pm, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
      await expect(alice.reg.prove(p.d, p.pm, p.proof)).to.emit(f.registry, "Certified");
    });
  });

  void QUOTE;
});
