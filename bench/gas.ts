/**
 * Contract gas figures: gasUsed from transaction receipts on Hardhat's in-process network (a fresh local
 * v2 deployment with real verifiers and real proofs), median over several accounts where an operation is
 * per account. Every figure is the whole transaction's gasUsed (21000 intrinsic + calldata + execution,
 * after refunds) unless its name says otherwise.
 *
 *  gas.deposit          first USDC deposit of an opened account
 *  gas.update           Update opening a 1 ETH long (also proves a certificate box); gas.update_close
 *                       closes it (equal to the open: no public field depends on the trade kind)
 *  gas.update_withdraw  Update with no trade that withdraws USDC (token transfer out)
 *  gas.update_settle    Update settling realised cash (the fund pays the gain into collateral)
 *  gas.prove            proactive Certificate at current prices
 *  gas.challenge        single challenge of an account whose certificate broke (bond posted)
 *  gas.challenge_batch_per_account  challengeBatch of BATCH accounts / BATCH
 *  gas.respond          Certificate answer sent by a relayer (the bond goes to the owner, less its share)
 *  gas.respond_batch{1,8,16}_per_account  respondBatch of k answers / k (k + 3 pairings)
 *  gas.respond_deleverage  Deleverage answer (fee debited, bond back to the challenger)
 *  gas.liquidate        single execution-priced liquidation by the challenger (bounty, bond, auction)
 *  gas.liquidate_batch_per_account  liquidateBatch of BATCH expired challenges / BATCH
 *  gas.claim            Equity claim of a liquidated owner (paid by the fund)
 *  gas.verify_certificate  CertificateVerifier.verifyProof alone (estimateGas of a direct call - 21000)
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { prepareAnswer, prepareClaim, prepareProve, prepareResponse } from "../prover/lib/actions";
import { type ChallengeRecord, toLiquidation, toRecord } from "../prover/lib/chain";
import { type ProverKeys, loadKeys } from "../prover/lib/circuits";
import { Side } from "../prover/model";
import { E8, type System, deployLocal, seedLocal } from "../scripts/lib/deploy";
import { CertificateVerifier__factory, type Types } from "../core/contracts";
import { type Figure, figure, median, progress } from "./lib/figures";
import { BenchTrader, gasOf } from "./lib/trader";

const UNIT = 10n ** 10n;
const usdc = (x: bigint) => x * 10n ** 6n;
/** Accounts per batch figure. */
const BATCH = 16;

function med(name: string, samples: number[], per = 1): Figure {
  const values = samples.map((s) => s / per);
  progress(`gas: ${name}: ${values.map((v) => Math.round(v)).join(" ")}`);
  return figure(name, Math.round(median(values)), "gas");
}

interface Ctx {
  sys: System;
  keys: ProverKeys;
  keeper: HardhatEthersSigner;
  relayer: HardhatEthersSigner;
  traders: BenchTrader[];
  increaseTime(s: number): Promise<void>;
  refresh(): Promise<void>;
}

async function challengeAll(c: Ctx, ts: BenchTrader[]): Promise<{ gas: number; records: ChallengeRecord[] }> {
  const certs: Types.CertStruct[] = [];
  for (const t of ts) certs.push((await t.view.latestCert((await t.registry.accountOf(t.signer.address)).certHash))!);
  const bond = (await c.sys.registry.incentives()).bond;
  const tx = await c.sys.registry.connect(c.keeper).challengeBatch(
    ts.map((t) => t.signer.address),
    certs,
    { value: bond * BigInt(ts.length) },
  );
  const r = await tx.wait();
  const records = r!.logs
    .map((l) => {
      try {
        return c.sys.registry.interface.parseLog(l);
      } catch {
        return null;
      }
    })
    .filter((e) => e?.name === "Challenged")
    .map((e) => toRecord(e!.args.record as unknown as Types.ChallengeRecordStructOutput));
  return { gas: Number(r!.gasUsed), records };
}

export async function gasFigures(): Promise<Figure[]> {
  const hre = await import("hardhat");
  const { ethers, network } = hre;
  const signers = await ethers.getSigners();
  const [deployer, keeper, relayer] = signers;
  const keys = await loadKeys();
  const sys = await deployLocal(deployer, undefined, { amm: false });
  const traderSigners = signers.slice(3, 3 + BATCH + 2);
  await seedLocal(sys, deployer, { traders: traderSigners.map((s) => s.address) });
  const ctx: Ctx = {
    sys,
    keys,
    keeper,
    relayer,
    traders: traderSigners.map((s) => new BenchTrader(s, sys.registry, keys)),
    increaseTime: async (s) => {
      await network.provider.send("evm_increaseTime", [s]);
      await network.provider.send("evm_mine");
    },
    refresh: async () => {
      for (const f of [...sys.marketFeeds, ...sys.assetFeeds]) await (await f.setAnswer(await f.answer())).wait();
    },
  };
  const out: Figure[] = [];
  const deposit: number[] = [];
  const open: number[] = [];
  progress(`gas: opening ${ctx.traders.length} accounts with a proven position each`);
  for (const t of ctx.traders) {
    await (await t.registry.openAccount()).wait();
    await (await sys.tokens[0].connect(t.signer).approve(await sys.registry.getAddress(), usdc(1_000_000n))).wait();
    deposit.push(await gasOf(t.registry.deposit(0, usdc(10_000n))));
    open.push(await t.update({ trade: { kind: "increase", market: 0, size: UNIT, side: Side.Long } }));
  }
  out.push(med("gas.deposit", deposit), med("gas.update", open));

  // close and re-open on the first two traders: same gas as the open (privacy), then withdraw and settle
  const [a, b] = ctx.traders;
  await (await sys.marketFeeds[0].setAnswer(3_060n * E8)).wait(); // a 2% gain
  const close = [await a.update({ trade: { kind: "reduce", market: 0, size: UNIT } })];
  out.push(med("gas.update_close", close));
  out.push(med("gas.update_settle", [await a.update({ trade: { kind: "none" }, settle: a.state.cash })]));
  out.push(
    med("gas.update_withdraw", [
      await a.update({ trade: { kind: "none" }, withdraw: { asset: 0, amount: usdc(1_000n) } }),
    ]),
  );
  await a.update({ trade: { kind: "increase", market: 0, size: UNIT, side: Side.Long } });
  const prove: number[] = [];
  for (const t of [a, b]) {
    const p = await prepareProve(keys, await t.view.read(), t.state);
    prove.push(await gasOf(t.registry.prove(p.d, p.pm, p.proof.proof)));
  }
  out.push(med("gas.prove", prove));
  {
    const view = await a.view.read();
    const cert = certificateSignals(await prepareProve(keys, view, a.state));
    const v = CertificateVerifier__factory.connect(await sys.registry.certificateVerifier(), deployer);
    const est = await v.verifyProof.estimateGas(cert.a, cert.b, cert.c, cert.signals);
    out.push(figure("gas.verify_certificate", Number(est) - 21_000, "gas"));
  }

  // freshness runs out for everyone: challenge one alone, then the rest in one batch
  await ctx.increaseTime(7 * 3600);
  await ctx.refresh();
  const single = await challengeAll(ctx, [ctx.traders[0]]);
  out.push(med("gas.challenge", [single.gas]));
  const batchTraders = ctx.traders.slice(1, 1 + BATCH);
  const batch = await challengeAll(ctx, batchTraders);
  out.push(med("gas.challenge_batch_per_account", [batch.gas], batchTraders.length));

  // respond: one alone by a relayer, then batches of 1, 8 (and the rest)
  {
    const t = ctx.traders[0];
    const view = await t.view.read();
    const r = await prepareResponse(keys, view, t.state, single.records[0]);
    out.push(
      med("gas.respond", [
        await gasOf(
          sys.registry.connect(relayer).respond(t.signer.address, single.records[0], r!.d, r!.pm, r!.proof.proof),
        ),
      ]),
    );
  }
  const answersFor = async (records: ChallengeRecord[]) => {
    const answers: Types.AnswerStruct[] = [];
    for (let k = 0; k < batchTraders.length; k++) {
      const t = batchTraders[k];
      const r = await prepareResponse(keys, await t.view.read(), t.state, records[k]);
      answers.push({ account: t.signer.address, record: records[k], d: r!.d, pm: r!.pm, proof: r!.proof.proof });
    }
    return answers;
  };
  const all = await answersFor(batch.records);
  out.push(
    med(`gas.respond_batch${BATCH}_per_account`, [await gasOf(sys.registry.connect(relayer).respondBatch(all))], BATCH),
  );
  // a second round of challenges for the same accounts, answered in batches of 1 and 8
  await ctx.increaseTime(7 * 3600);
  await ctx.refresh();
  const batch2 = await challengeAll(ctx, batchTraders);
  const again2 = await answersFor(batch2.records);
  out.push(
    med(
      "gas.respond_batch1_per_account",
      [await gasOf(sys.registry.connect(relayer).respondBatch(again2.slice(0, 1)))],
      1,
    ),
  );
  out.push(
    med(
      "gas.respond_batch8_per_account",
      [await gasOf(sys.registry.connect(relayer).respondBatch(again2.slice(1, 9)))],
      8,
    ),
  );
  await gasOf(sys.registry.connect(relayer).respondBatch(again2.slice(9)));

  // a deleverage: the last trader levers up, the price falls, a challenge, a deleverage answer
  {
    const t = ctx.traders[ctx.traders.length - 1];
    await t.update({ trade: { kind: "increase", market: 0, size: 20n * UNIT } });
    await (await sys.marketFeeds[0].setAnswer(2_650n * E8)).wait();
    await ctx.refresh();
    const { records } = await challengeAll(ctx, [t]);
    const ans = await prepareAnswer(keys, await t.view.read(), t.state, records[0]);
    if (ans.kind !== "deleverage") throw new Error(`expected a deleverage answer, got ${ans.kind}`);
    out.push(
      med("gas.respond_deleverage", [
        await gasOf(
          sys.registry.connect(relayer).respondDeleverage(t.signer.address, records[0], ans.args, ans.proof.proof),
        ),
      ]),
    );
    t.state = ans.next;
  }

  // liquidations: challenge everyone again, let the challenges expire, liquidate one then a batch
  await ctx.increaseTime(7 * 3600);
  await ctx.refresh();
  const again = await challengeAll(ctx, ctx.traders.slice(0, 1 + BATCH));
  await ctx.increaseTime(3 * 600 + 300);
  await ctx.refresh();
  const first = ctx.traders[0];
  const liqTx = await sys.registry.connect(keeper).liquidate(first.signer.address, again.records[0]);
  const liqRc = await liqTx.wait();
  out.push(med("gas.liquidate", [Number(liqRc!.gasUsed)]));
  const rest = again.records.slice(1);
  const gBatch = await gasOf(
    sys.registry.connect(keeper).liquidateBatch(
      ctx.traders.slice(1, 1 + rest.length).map((t) => t.signer.address),
      rest,
    ),
  );
  out.push(med("gas.liquidate_batch_per_account", [gBatch], rest.length));

  // the first trader claims
  {
    const ev = liqRc!.logs
      .map((l) => {
        try {
          return sys.registry.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((e) => e?.name === "Liquidated");
    const rec = toLiquidation(ev!.args.record as unknown as Types.LiquidationRecordStructOutput);
    const p = await prepareClaim(keys, await first.view.read(), first.state, rec);
    out.push(med("gas.claim", [await gasOf(first.registry.claim(rec, p.claimed, p.proof.proof))]));
  }
  return out;
}

function certificateSignals(p: Awaited<ReturnType<typeof prepareProve>>) {
  return {
    a: p.proof.proof.a,
    b: p.proof.proof.b,
    c: p.proof.proof.c,
    signals: p.proof.publicSignals as unknown as [bigint, bigint, bigint, bigint],
  };
}
