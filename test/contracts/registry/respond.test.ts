/**
 * ZkMarginRegistry v2: answering a challenge. respond (a Certificate at the pinned prices, anyone may submit),
 * respondBatch (k = 1, 2, 8 in one pairing check; a bad member reverts the batch; answered and expired members
 * are skipped), respondDeleverage (a private partial liquidation at current prices, the fee split), and the
 * pinned record against governance changes that land during the window.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { Side, commitment } from "../../../prover/model";
import {
  E8,
  Governance,
  NO_PROOF,
  Trader,
  USDC,
  WETH,
  advance,
  certOf,
  challenge,
  deploy,
  garbled,
  loadFixture,
  pack16,
  refreshFeeds,
  revive,
  setMarketPrice,
  tester,
  unpack16,
  usdc,
} from "../../helpers/registry";
import { BATCH, BATCH_FROM, ETH, batchFixture, challengedFixture, pastFreshness, stressedFixture } from "./fixtures";

const BPS = 10_000n;

describe("ZkMarginRegistry v2: respond, respondBatch and respondDeleverage", function () {
  describe("respond", () => {
    it("answers at the pinned prices: the challenge closes and the owner gets the bond", async () => {
      const { f, alice: snap, record } = await loadFixture(challengedFixture);
      const [alice] = revive(f, [snap]);
      await setMarketPrice(f, ETH, 2000n * E8); // the market moved after the challenge: the pinned prices count
      const p = await alice.planRespond(record);
      const tx = alice.reg.respond(alice.address, record, p.d, p.pm, p.proof);
      await expect(tx).to.changeEtherBalances([alice.signer, f.registry], [f.bond, -f.bond]);
      const rc = await (await tx).wait();
      await expect(tx).to.emit(f.registry, "Responded").withArgs(alice.address, record.nonce, alice.address);
      const acc = await f.registry.accountOf(alice.address);
      expect(acc.recordHash).to.equal(ethers.ZeroHash);
      const cert = await certOf(f, alice.address);
      expect(cert).to.deep.equal({
        provenAt: record.pinnedAt,
        d: p.d,
        pm: p.pm,
        haircuts: record.haircuts,
        marketPrices: record.marketPrices,
        assetPrices: record.assetPrices,
      });
      // the answer is a fresh certificate: ETH at 2,000 is still inside its box, so no new challenge yet
      const [flags] = await f.lens.challengeable([alice.address], [cert]);
      expect(flags[0]).to.equal(false);
      console.log(`      gas.respond ${rc!.gasUsed}`);
    });

    it("lets anyone submit the answer: the relayer keeps relayerShareBps of the bond", async () => {
      const { f, alice: snap, record } = await loadFixture(challengedFixture);
      const [alice] = revive(f, [snap]);
      const p = await alice.planRespond(record);
      const share = (f.bond * BigInt(f.params.incentives.relayerShareBps)) / BPS;
      await expect(
        f.registry.connect(f.relayer).respond(alice.address, record, p.d, p.pm, p.proof),
      ).to.changeEtherBalances([f.relayer, alice.signer], [share, f.bond - share]);
    });

    it("counts a top-up made during the challenge", async () => {
      const { f, alice: snap, record } = await loadFixture(challengedFixture);
      const [alice] = revive(f, [snap]);
      await alice.deposit(USDC, usdc(5_000));
      const p = await alice.planRespond(record);
      await expect(alice.reg.respond(alice.address, record, p.d, p.pm, p.proof)).to.emit(f.registry, "Responded");
    });

    it("refuses a wrong record, a second answer, a late answer, ratios below the pinned ones and a wrong proof", async () => {
      const { f, alice: snap, bob: bobSnap, record } = await loadFixture(challengedFixture);
      const [alice, bob] = revive(f, [snap, bobSnap]);
      const p = await alice.planRespond(record);
      const r = f.registry.connect(f.relayer);
      await expect(r.respond(alice.address, { ...record, bond: record.bond + 1n }, p.d, p.pm, p.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__BadRecord")
        .withArgs(alice.address);
      await expect(r.respond(bob.address, record, p.d, p.pm, p.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__NoOpenChallenge")
        .withArgs(bob.address);
      await expect(r.respond(f.traders[14].address, record, p.d, p.pm, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__NotActive",
      );
      await expect(r.respond(alice.address, record, 5_001, p.pm, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__BoxTooWide",
      );
      await expect(r.respond(alice.address, record, p.d, record.mm - 1n, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__RatioBelowRequired",
      );
      await expect(r.respond(alice.address, record, p.d, p.pm, garbled(p.proof))).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
      await time.increaseTo(record.deadline + 1n);
      await expect(r.respond(alice.address, record, p.d, p.pm, p.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__DeadlinePassed")
        .withArgs(record.deadline);
    });

    it("answers with pm above the pinned maintenance (a buffer) at any box the owner likes", async () => {
      const { f, alice: snap, record } = await loadFixture(challengedFixture);
      const [alice] = revive(f, [snap]);
      const pm = unpack16(record.mm).map((x) => x + 200n);
      const p = await alice.planRespond(record, { pm, d: 1_000n });
      await (await alice.reg.respond(alice.address, record, p.d, p.pm, p.proof)).wait();
      expect((await certOf(f, alice.address)).pm).to.equal(pack16(pm));
    });
  });

  describe("respondBatch", () => {
    const answersOf = async (ks: number[]) => {
      const b = await loadFixture(batchFixture);
      const answers = ks.map((k) => ({
        account: b.f.traders[BATCH_FROM + k].address,
        record: b.records[k],
        d: b.answers[k].d,
        pm: b.answers[k].pm,
        proof: b.answers[k].proof,
      }));
      return { b, answers };
    };

    for (const k of [1, 2, BATCH]) {
      it(`answers ${k} challenge(s) in one batched verification, each bond to its owner`, async () => {
        const { b, answers } = await answersOf([...Array(k).keys()]);
        const owners = answers.map((a) => b.f.traders.find((t) => t.address === a.account)!);
        const tx = b.f.registry.connect(b.f.relayer).respondBatch(answers);
        const share = (b.f.bond * BigInt(b.f.params.incentives.relayerShareBps)) / BPS;
        await expect(tx).to.changeEtherBalances(
          [b.f.relayer, ...owners],
          [share * BigInt(k), ...owners.map(() => b.f.bond - share)],
        );
        const rc = await (await tx).wait();
        for (const a of answers) expect((await b.f.registry.accountOf(a.account)).recordHash).to.equal(ethers.ZeroHash);
        console.log(`      gas.respond_batch${k}_per_account ${rc!.gasUsed / BigInt(k)} (total ${rc!.gasUsed})`);
      });
    }

    it("reverts the whole batch when one member's proof is wrong (Registry__BatchInvalid)", async () => {
      const { b, answers } = await answersOf([...Array(BATCH).keys()]);
      answers[5] = { ...answers[5], proof: answers[4].proof };
      await expect(b.f.registry.respondBatch(answers)).to.be.revertedWithCustomError(
        b.f.registry,
        "Registry__BatchInvalid",
      );
      answers[5] = { ...answers[5], proof: garbled(answers[6].proof) };
      await expect(b.f.registry.respondBatch(answers)).to.be.reverted;
      for (const a of answers)
        expect((await b.f.registry.accountOf(a.account)).recordHash).to.not.equal(ethers.ZeroHash);
    });

    it("skips members already answered and answers the rest", async () => {
      const { b, answers } = await answersOf([0, 1, 2]);
      await (
        await b.f.registry.respond(answers[1].account, answers[1].record, answers[1].d, answers[1].pm, answers[1].proof)
      ).wait();
      const n = await b.f.registry.respondBatch.staticCall(answers);
      expect(n).to.equal(2n);
      await expect(b.f.registry.respondBatch(answers)).to.emit(b.f.registry, "Responded");
    });

    it("answers a member listed twice once, paying its bond once", async () => {
      const { b, answers } = await answersOf([0, 1]);
      const twice = [answers[0], answers[1], answers[0]];
      const owner = b.f.traders[BATCH_FROM];
      const before = await ethers.provider.getBalance(b.f.registry);
      expect(await b.f.registry.respondBatch.staticCall(twice)).to.equal(2n);
      await expect(b.f.registry.connect(owner).respondBatch(twice)).to.changeEtherBalance(b.f.registry, -2n * b.f.bond);
      expect(await ethers.provider.getBalance(b.f.registry)).to.equal(before - 2n * b.f.bond);
    });

    it("skips members whose deadline passed and answers the live ones", async () => {
      const { b, answers } = await answersOf([0, 1]);
      const late = await new Trader(b.f, b.f.traders[14]).open([[USDC, usdc(500)]]);
      await pastFreshness(b.f); // the batch's deadlines are long gone
      const record = await challenge(b.f, b.f.keeper, late.address);
      const p = await late.planRespond(record);
      const mixed = [...answers, { account: late.address, record, d: p.d, pm: p.pm, proof: p.proof }];
      expect(await b.f.registry.respondBatch.staticCall(mixed)).to.equal(1n);
      await (await b.f.registry.respondBatch(mixed)).wait();
      expect((await b.f.registry.accountOf(late.address)).recordHash).to.equal(ethers.ZeroHash);
      expect((await b.f.registry.accountOf(answers[0].account)).recordHash).to.not.equal(ethers.ZeroHash);
      expect(await b.f.registry.respondBatch.staticCall(answers)).to.equal(0n);
    });
  });

  describe("respondDeleverage", () => {
    it("cannot be answered by a certificate at the pinned prices (below maintenance)", async () => {
      const { f, carol: snap, record } = await loadFixture(stressedFixture);
      const [carol] = revive(f, [snap], 10);
      const st = await carol.buildRespond(record, { d: 0n });
      await (await tester("certificate")).rejects(st.inputs, { check: 4 });
    });

    it("deleverages at current prices: bond back to the challenger, keeperShareBps of the fee from the fund, the rest to the fund", async () => {
      const { f, carol: snap, record } = await loadFixture(stressedFixture);
      const [carol] = revive(f, [snap], 10);
      const p = await carol.planDeleverage(record);
      const fee = p.args.fee;
      expect(fee).to.be.greaterThan(0n);
      const feeTokens = (fee + 10n ** 12n - 1n) / 10n ** 12n; // USDC 6 decimals at 1.00, rounded up
      const shareTokens = (fee * record.keeperShareBps) / BPS / 10n ** 12n;
      const usdcT = f.tokens[USDC];
      const fundBefore = await usdcT.balanceOf(f.fund);
      const keeperBefore = await usdcT.balanceOf(f.keeper);
      const tx = f.registry.connect(f.relayer).respondDeleverage(carol.address, record, p.args, p.proof);
      await expect(tx).to.changeEtherBalances([f.keeper, f.registry, f.relayer], [f.bond, -f.bond, 0n]);
      const rc = await (await tx).wait();
      await expect(tx)
        .to.emit(f.registry, "Deleveraged")
        .withArgs(carol.address, record.nonce, p.args.newCommitment, fee, f.relayer.address);
      expect(await usdcT.balanceOf(f.keeper)).to.equal(keeperBefore + shareTokens);
      expect(await usdcT.balanceOf(f.fund)).to.equal(fundBefore + feeTokens - shareTokens);
      expect(await carol.balances()).to.deep.equal([usdc(1_000) - feeTokens, 0n, 0n, 0n]);
      carol.state = p.next;
      const acc = await f.registry.accountOf(carol.address);
      expect(acc.commitment).to.equal(commitment(carol.state));
      expect(acc.recordHash).to.equal(ethers.ZeroHash);
      expect(carol.state.markets[ETH].size).to.be.lessThan(2n * 10n ** 10n);
      // the new certificate is at current prices and the target ratios, and the account keeps trading
      const cert = await certOf(f, carol.address);
      expect(cert.pm).to.equal(p.args.pm);
      await carol.update({ kind: "reduce", market: ETH, size: carol.state.markets[ETH].size / 2n });
      console.log(`      gas.respond_deleverage ${rc!.gasUsed}`);
    });

    it("refuses ratios below the pinned target, a fee that does not fit, a late answer and a wrong proof", async () => {
      const { f, carol: snap, record } = await loadFixture(stressedFixture);
      const [carol] = revive(f, [snap], 10);
      const p = await carol.planDeleverage(record);
      const r = f.registry.connect(f.relayer);
      const target = pack16(unpack16(record.mm).map((x) => (x * record.targetFactorBps + BPS - 1n) / BPS));
      await expect(r.respondDeleverage(carol.address, record, { ...p.args, pm: target - 1n }, p.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__RatioBelowRequired")
        .withArgs(0n, (target & 0xffffn) - 1n, target & 0xffffn);
      await expect(
        r.respondDeleverage(carol.address, record, { ...p.args, fee: 1n << 120n }, p.proof),
      ).to.be.revertedWithCustomError(f.registry, "Registry__ValueTooLarge");
      await expect(
        r.respondDeleverage(carol.address, record, { ...p.args, fee: p.args.fee + 1n }, p.proof),
      ).to.be.revertedWithCustomError(f.registry, "Registry__ProofInvalid");
      await expect(
        r.respondDeleverage(carol.address, { ...record, nonce: 9n }, p.args, p.proof),
      ).to.be.revertedWithCustomError(f.registry, "Registry__BadRecord");
      await expect(r.respondDeleverage(f.traders[0].address, record, p.args, NO_PROOF)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__NotActive",
      );
      await time.increaseTo(record.deadline + 1n);
      await expect(r.respondDeleverage(carol.address, record, p.args, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__DeadlinePassed",
      );
    });
  });

  describe("the pinned record against governance changes during the window", () => {
    it("deleverages at the pinned fee and target after stricter ones landed", async () => {
      const { f, carol: snap, record, execs } = await loadFixture(pinnedFixture);
      const [carol] = revive(f, [snap], 10);
      for (const e of execs) await e();
      expect(await f.registry.haircutBps(WETH)).to.equal(5_000n);
      expect((await f.registry.incentives()).bond).to.equal(f.bond * 2n);
      expect((await f.registry.deleverageParams()).feeBps).to.equal(200n);
      expect(unpack16((await f.risk.packedRatios()) & 0xffffffffffffffffn)[ETH]).to.equal(1_000n);
      // the pinned fee (50 bps), target (1.25 x the pinned 300 bps) and bond
      const p = await carol.planDeleverage(record);
      expect(p.result.fee).to.equal((p.result.notional * 50n) / BPS);
      expect(p.result.fee).to.be.greaterThan(0n);
      expect(unpack16(p.args.pm)[ETH]).to.equal(375n);
      await expect(
        f.registry.connect(f.relayer).respondDeleverage(carol.address, record, p.args, p.proof),
      ).to.changeEtherBalances([f.keeper], [f.bond]);
    });

    it("keeps the pinned exclusive period after a longer one landed", async () => {
      const { f, record, execs } = await loadFixture(pinnedFixture);
      for (const e of execs) await e();
      expect((await f.registry.timing()).exclusivePeriod).to.equal(300n);
      await time.increaseTo(record.deadline + record.exclusivePeriod + 1n);
      await advance(f, 0);
      await expect(f.registry.connect(f.keeper2).liquidate(f.traders[10].address, record)).to.emit(
        f.registry,
        "Liquidated",
      );
    });

    it("answers with a certificate at the pinned haircuts and ratios after they changed", async () => {
      const { f, alice: snap, record: r0 } = await loadFixture(challengedFixture);
      const [alice] = revive(f, [snap]);
      const a0 = await alice.planRespond(r0);
      await (await alice.reg.respond(alice.address, r0, a0.d, a0.pm, a0.proof)).wait();
      const gov = new Governance(f.timelock);
      const e1 = await gov.schedule(
        f.registry,
        f.registry.interface.encodeFunctionData("setHaircuts", [pack16([10_000n, 1_000n])]),
      );
      const e2 = await gov.schedule(
        f.risk,
        f.risk.interface.encodeFunctionData("setMarketBounds", [ETH, { baseBps: 900, minBps: 900, maxBps: 5_000 }]),
      );
      await advance(f, (await f.timelock.getMinDelay()) - 30n);
      const record = await challenge(f, f.keeper, alice.address);
      await time.increase(30);
      await e1();
      await e2();
      const p = await alice.planRespond(record);
      expect(unpack16(p.pm)[ETH]).to.equal(300n); // the pinned maintenance, not 900
      await expect(alice.reg.respond(alice.address, record, p.d, p.pm, p.proof)).to.emit(f.registry, "Responded");
      // the certificate keeps the pinned haircuts: the lower haircut makes it challengeable again
      const [flags] = await f.lens.challengeable([alice.address], [await certOf(f, alice.address)]);
      expect(flags[0]).to.equal(true);
    });
  });
});

/**
 * Stricter settings queued (haircut, bond, exclusive period, deleverage terms, ETH maintenance); just before
 * they can execute, carol (traders[10]) opens a 2 ETH long on 1,000 USDC, ETH falls to 2,550 and keeper
 * challenges her. `execs` lands the changes inside her window.
 */
async function pinnedFixture() {
  const f = await deploy();
  const gov = new Governance(f.timelock);
  const reg = f.registry.interface;
  const t = f.params.timing;
  const i = f.params.incentives;
  const d = f.params.deleverage;
  const execs = [
    await gov.schedule(f.registry, reg.encodeFunctionData("setHaircuts", [pack16([10_000n, 5_000n])])),
    await gov.schedule(f.registry, reg.encodeFunctionData("setIncentives", [{ ...i, bond: i.bond * 2n }])),
    await gov.schedule(f.registry, reg.encodeFunctionData("setTiming", [{ ...t, exclusivePeriod: 300 }])),
    await gov.schedule(
      f.registry,
      reg.encodeFunctionData("setDeleverage", [
        { targetFactorBps: 20_000, feeBps: 200, keeperShareBps: 5_000, minValue: BigInt(d.minValueQuote) * 10n ** 6n },
      ]),
    ),
    await gov.schedule(
      f.risk,
      f.risk.interface.encodeFunctionData("setMarketBounds", [ETH, { baseBps: 1_000, minBps: 1_000, maxBps: 5_000 }]),
    ),
  ];
  await advance(f, (await f.timelock.getMinDelay()) - 120n);
  const carol = await new Trader(f, f.traders[10]).open([
    [USDC, usdc(1_000)],
    [WETH, 10n ** 16n],
  ]);
  await carol.update({ kind: "increase", market: ETH, size: 2n * 10n ** 10n, side: Side.Long });
  await setMarketPrice(f, ETH, 2550n * E8);
  const record = await challenge(f, f.keeper, carol.address);
  await time.increase(120);
  await refreshFeeds(f);
  return { f, carol: carol.snap(), record, execs };
}
