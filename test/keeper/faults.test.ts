/**
 * The keeper on a real hardhat node, behind a fault-injection proxy (test/helpers/faultProxy.ts) where
 * faults are asked for (issue 16). One node, one deployment; each case opens its own accounts and runs a
 * fresh keeper (earlier accounts are liquidated by then and need nothing):
 * - no faults: an idle round is cheap, then challenge -> expire -> liquidate;
 * - 5% mixed faults: every stale account challenged and every expired one liquidated within a bounded
 *   number of rounds, no failed round, no wasted (do-nothing or reverted) transaction;
 * - half of the send responses lost after execution: no wasted transaction;
 * - 600 dust + 100 funded accounts: all 100 challenged within two rounds.
 */
import { expect } from "chai";
import { FaultProxy, ISSUE_16_MIX, MIXED_5 } from "../helpers/faultProxy";
import {
  type World,
  USDC,
  deploymentConfig,
  faultScenario,
  jump,
  keeperApp,
  keeperTxs,
  openTraders,
  rpc,
  startWorld,
  tmpDir,
} from "./helpers";

describe("keeper v2 on a hardhat node, with and without RPC faults", function () {
  this.timeout(300_000);
  let w: World;

  before(async () => {
    w = await startWorld();
  });
  after(async () => {
    await w?.stop();
  });

  it("an idle round costs a handful of requests; then challenge, expire, liquidate without faults", async () => {
    await openTraders(w, 30, { usdc: USDC(4_000) });
    const app = await keeperApp(deploymentConfig(w, tmpDir("plain")));
    try {
      await app.keeper.round();
      await jump(w, 1);
      const idle = await app.keeper.round();
      expect(idle.txs).to.have.length(0);
      expect(idle.rpcCalls).to.be.at.most(6);
      await jump(w, 6 * 3600 + 10);
      // a dry run: every preflight, the expected profit, nothing sent
      const dry = await keeperApp(deploymentConfig(w, tmpDir("dry"), { dryRun: true }));
      try {
        const d = await dry.keeper.round();
        expect(d.challenged).to.have.length(0);
        expect(d.expectedProfit > 0n).to.equal(true);
        expect(d.txs.filter((t) => t.reason === "dry-run").map((t) => t.action)).to.include("challenge");
      } finally {
        dry.close();
      }
      expect((await app.keeper.round()).challenged).to.have.length(30);
      await jump(w, 600 + 1); // ours: no exclusive period to wait for
      const r = await app.keeper.round();
      expect(r.liquidated).to.have.length(30);
      expect(r.txs.every((t) => t.status === "mined")).to.equal(true);
    } finally {
      app.close();
    }
  });

  it("5% mixed faults: 150 stale accounts challenged and liquidated within 5 rounds each, nothing wasted", async () => {
    const r = await faultScenario({
      world: w,
      accounts: 150,
      rates: MIXED_5,
      maxRounds: 5,
      dir: tmpDir("f5"),
      seed: 11,
    });
    expect(r.faults.drop + r.faults.http5xx + r.faults.rpcError + r.faults.lostAfter).to.be.greaterThan(0);
    expect([r.challenged, r.liquidated]).to.deep.equal([150, 150]);
    expect(r.challengeRounds).to.be.at.most(5);
    expect(r.liquidateRounds).to.be.at.most(5);
    expect(r.failedRounds).to.equal(0);
    expect(r.wastedTxs).to.equal(0);
    expect(r.reportedFailed).to.equal(0);
  });

  it("issue 16's mix (5% dropped, 5% 502, 2% JSON-RPC errors, 5% lost, 10% delayed): 80 accounts, no failure", async () => {
    const r = await faultScenario({
      world: w,
      accounts: 80,
      rates: ISSUE_16_MIX,
      maxRounds: 6,
      dir: tmpDir("f16"),
      seed: 16,
    });
    expect(r.faults.drop + r.faults.http5xx + r.faults.rpcError + r.faults.lostAfter).to.be.greaterThan(4);
    expect([r.challenged, r.liquidated]).to.deep.equal([80, 80]);
    expect(r.challengeRounds + r.liquidateRounds).to.be.at.most(12);
    expect(r.failedRounds).to.equal(0);
    expect(r.wastedTxs).to.equal(0);
  });

  it("half of the send responses lost after execution: each action mined once, no wasted transaction", async () => {
    const r = await faultScenario({
      world: w,
      accounts: 100,
      perMethod: { eth_sendRawTransaction: { lostAfter: 0.5 } },
      maxRounds: 5,
      dir: tmpDir("lost"),
      seed: 5,
      keeper: { batchSize: 10 },
    });
    expect(r.faults.lostAfter).to.be.greaterThan(2);
    expect([r.challenged, r.liquidated]).to.deep.equal([100, 100]);
    expect(r.wastedTxs).to.equal(0);
    expect(r.txs).to.equal(20); // 10 challenge and 10 liquidation batches, none sent twice
    expect(r.reportedFailed).to.equal(0); // no mined action reported as failed
    expect(r.failedRounds).to.equal(0);
  });

  it("a send whose outcome is unknown (RPC down while waiting) is settled by hash next round, never resent", async () => {
    await openTraders(w, 10, { usdc: USDC(4_000) });
    const from = Number(await rpc(w.url, "eth_blockNumber"));
    const proxy = new FaultProxy(w.url);
    await proxy.start();
    const app = await keeperApp(
      deploymentConfig(
        w,
        tmpDir("unknown"),
        { gas: { stuckAfterMs: 200, maxAttempts: 1, receiptPollMs: 20 }, rpc: { retries: 1, retryDelayMs: 5 } },
        proxy.url,
      ),
    );
    try {
      await app.keeper.round();
      await jump(w, 6 * 3600 + 10);
      // the send executes but its answer is lost, and no receipt can be read while the keeper waits
      proxy.configure({
        perMethod: { eth_sendRawTransaction: { lostAfter: 1 }, eth_getTransactionReceipt: { drop: 1 } },
      });
      const r1 = await app.keeper.round();
      expect(r1.txs.map((t) => t.status)).to.deep.equal(["unknown"]);
      proxy.configure({});
      await jump(w, 1);
      const r2 = await app.keeper.round();
      expect(r2.txs.filter((t) => t.action === "challenge")).to.have.length(0); // the index shows them challenged
      expect(r2.counts.challenged).to.be.at.least(10);
      const txs = await keeperTxs(w.url, from);
      expect(txs).to.have.length(1);
      expect(txs[0].logs).to.be.greaterThan(0);
    } finally {
      app.close();
      await proxy.stop();
    }
  });

  it("600 dust + 100 funded: all 100 challenged within two rounds", async () => {
    const r = await faultScenario({ world: w, accounts: 100, dust: 600, maxRounds: 2, dir: tmpDir("dust"), seed: 3 });
    expect(r.challenged).to.equal(100);
    expect(r.challengeRounds).to.be.at.most(2);
    expect(r.wastedTxs).to.equal(0);
  });
});
