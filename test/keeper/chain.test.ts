/**
 * Keeper parts against a real `hardhat node` over JSON-RPC, in this process: transaction replacement
 * with gas bumps (automine off), bounded attempts, preflight classification of lost races, and the RPC
 * budget of an idle round (constant in the number of accounts).
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import pino from "pino";
import { type App, openApp } from "../../keeper/app";
import { type KeeperProvider, connect } from "../../keeper/chain/provider";
import { loadConfig } from "../../keeper/config";
import { KeeperError, KeeperErrorCode } from "../../keeper/errors";
import { Executor } from "../../keeper/executor";
import { TxSender } from "../../keeper/tx/sender";
import type { LocalSystem } from "../../scripts/lib/deploy";
import { type NodeProcess, rpc, startNode } from "../helpers/node";
import {
  DEV_KEYS,
  E8,
  deploy,
  openTrader,
  refreshFeeds,
  testConfig,
  tmpDir,
  waitFor,
  wallet,
  writeConfig,
} from "./helpers";

const silent = pino({ level: "silent" });
const GWEI = 10n ** 9n;
const POLICY = { retries: 2, retryDelayMs: 50, timeoutMs: 5_000 };

describe("keeper against a node: transactions and RPC budget", function () {
  this.timeout(60_000);
  let node: NodeProcess;
  let provider: KeeperProvider;
  let sys: LocalSystem;

  before(async () => {
    node = await startNode();
    provider = await connect(node.url, POLICY);
    sys = await deploy(node.url);
  });
  after(async () => {
    provider?.destroy();
    await node?.stop();
  });

  function sender(keyIndex: number, s: Partial<ConstructorParameters<typeof TxSender>[2]> = {}): TxSender {
    const settings = {
      maxFeePerGasWei: 100n * GWEI,
      priorityFeeWei: GWEI,
      bumpPercent: 25,
      maxAttempts: 6,
      stuckAfterMs: 300,
      receiptPollMs: 50,
      ...s,
    };
    return new TxSender(new Wallet(DEV_KEYS[keyIndex], provider), 31337n, settings, silent);
  }

  describe("TxSender", () => {
    afterEach(async () => {
      await rpc(node.url, "evm_setAutomine", [true]);
      await rpc(node.url, "evm_mine");
    });

    it("replaces a transaction that is not mined with bumped fees, and only one of them is mined", async () => {
      const s = sender(6);
      await s.init();
      const nonce0 = await provider.getTransactionCount(s.address, "latest");
      await rpc(node.url, "evm_setAutomine", [false]);
      const sending = s.send(
        { to: s.address, data: "0x", value: 1n, gasLimit: 21_000n },
        { maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: GWEI },
      );
      await new Promise((r) => setTimeout(r, 1_000)); // > 2 x stuckAfterMs: at least two replacements
      await rpc(node.url, "evm_mine");
      const sent = await sending;
      expect(sent.attempts).to.be.at.least(3);
      expect(sent.receipt.status).to.equal(1);
      expect(sent.fees.maxFeePerGas).to.be.greaterThan(2n * GWEI);
      const mined = await provider.getTransaction(sent.receipt.hash);
      expect(mined!.maxFeePerGas).to.equal(sent.fees.maxFeePerGas);
      expect(await provider.getTransactionCount(s.address, "latest")).to.equal(nonce0 + 1);
    });

    it("gives up with TX_STUCK after maxAttempts sends", async () => {
      const s = sender(6, { maxAttempts: 2, stuckAfterMs: 200 });
      await s.init();
      await rpc(node.url, "evm_setAutomine", [false]);
      const t0 = Date.now();
      const err = await s
        .send(
          { to: s.address, data: "0x", value: 1n, gasLimit: 21_000n },
          { maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: GWEI },
        )
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(KeeperError);
      expect((err as KeeperError).code).to.equal(KeeperErrorCode.TxStuck);
      expect((err as KeeperError).message).to.match(/not mined after 2 attempts/);
      expect(Date.now() - t0).to.be.lessThan(3_000);
    });

    it("resynchronises its nonce when another sender used the key", async () => {
      const s = sender(6);
      await s.init();
      const other = new Wallet(DEV_KEYS[6], provider);
      await (await other.sendTransaction({ to: other.address, value: 1n })).wait();
      const sent = await s.send(
        { to: s.address, data: "0x", value: 1n, gasLimit: 21_000n },
        { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI },
      );
      expect(sent.receipt.status).to.equal(1);
    });
  });

  describe("Executor preflight", () => {
    it("treats NotStale, NoOpenChallenge and DeadlineNotPassed as taken, and sends nothing", async () => {
      const fresh = await openTrader(node.url, sys, 5);
      const s = sender(2);
      await s.init();
      const ex = new Executor(
        provider,
        s,
        { registry: await sys.registry.getAddress(), me: s.address, dryRun: false },
        silent,
      );
      const fees = { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI };
      const nonce0 = await provider.getTransactionCount(s.address, "latest");
      const bond = (await sys.registry.incentives()).bond;
      const r1 = await ex.challenge([fresh.address], bond, fees);
      expect(r1).to.include({ status: "skipped", reason: "taken", detail: "Registry__NotStale" });
      const r2 = await ex.liquidate([fresh.address], fees);
      expect(r2).to.include({ status: "skipped", reason: "taken", detail: "Registry__NoOpenChallenge" });
      const r3 = await ex.liquidate([fresh.address, s.address], fees); // batch: would liquidate nobody
      expect(r3).to.include({ status: "skipped", reason: "taken" });
      await refreshFeeds(sys, 0, 4_000n * E8);
      await (
        await sys.registry.connect(new Wallet(DEV_KEYS[1], provider)).challenge(fresh.address, { value: bond })
      ).wait();
      const r4 = await ex.liquidate([fresh.address], fees);
      expect(r4).to.include({ status: "skipped", reason: "taken", detail: "Registry__DeadlineNotPassed" });
      const r5 = await ex.challenge([fresh.address], bond, fees); // already challenged by another keeper
      expect(r5).to.include({ status: "skipped", reason: "taken", detail: "Registry__NotStale" });
      expect(await provider.getTransactionCount(s.address, "latest")).to.equal(nonce0);
      await refreshFeeds(sys, 0, 3_000n * E8);
    });
  });

  describe("Executor on-chain race", () => {
    afterEach(async () => {
      await rpc(node.url, "evm_setAutomine", [true]);
      await rpc(node.url, "evm_mine");
    });

    it("reports a transaction that a competitor beat in the same block as reverted, and keeps its nonce in order", async () => {
      const victim = await openTrader(node.url, sys, 7);
      await refreshFeeds(sys, 1, 50_000n * E8);
      const s = sender(2);
      await s.init();
      const ex = new Executor(
        provider,
        s,
        { registry: await sys.registry.getAddress(), me: s.address, dryRun: false },
        silent,
      );
      const bond = (await sys.registry.incentives()).bond;
      const nonce0 = await provider.getTransactionCount(s.address, "latest");
      await rpc(node.url, "evm_setAutomine", [false]);
      const ours = ex.challenge([victim.address], bond, { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI });
      await waitFor(
        "our challenge in the mempool",
        async () => (await provider.getTransactionCount(s.address, "pending")) > nonce0,
      );
      // A competitor outbids us for the same account (explicit gas limit: no estimate against the mempool).
      const rival = sys.registry.connect(new Wallet(DEV_KEYS[1], provider));
      await rival.challenge(victim.address, {
        value: bond,
        gasLimit: 1_000_000n,
        maxFeePerGas: 60n * GWEI,
        maxPriorityFeePerGas: 10n * GWEI,
      });
      await rpc(node.url, "evm_mine");
      const r = await ours;
      expect(r.status).to.equal("reverted");
      const ch = await sys.registry.queryFilter(sys.registry.filters.Challenged(victim.address));
      expect(ch.map((e) => e.args.challenger)).to.deep.equal([new Wallet(DEV_KEYS[1]).address]);
      await rpc(node.url, "evm_setAutomine", [true]);
      const next = await s.send(
        { to: s.address, data: "0x", value: 1n, gasLimit: 21_000n },
        { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI },
      );
      expect(next.receipt.status).to.equal(1);
      expect(await provider.getTransactionCount(s.address, "latest")).to.equal(nonce0 + 2);
      await refreshFeeds(sys, 1, 60_000n * E8);
    });
  });

  describe("RPC budget", () => {
    let app: App;
    afterEach(() => app?.close());

    it("an idle round makes the same few calls with 2 or 10 accounts (no per-account call)", async () => {
      const local = await deploy(node.url);
      for (const i of [3, 4]) await openTrader(node.url, local, i);
      const dir = tmpDir("budget");
      const cfg = testConfig(node.url, await local.registry.getAddress(), dir, "budget", {
        checkpointEveryMs: 3_600_000,
        logLevel: "silent",
      });
      const loaded = loadConfig({ file: writeConfig(dir, "budget", cfg), env: { ZKMARGIN_KEEPER_KEY: DEV_KEYS[1] } });
      app = await openApp(loaded, silent, { signer: true });
      const idle = async () => {
        await app.keeper.round(); // absorbs whatever happened
        await rpc(node.url, "evm_mine"); // a new block, nothing to do
        const withBlock = await app.keeper.round();
        const sameHead = await app.keeper.round();
        return { withBlock: withBlock.rpcCalls, sameHead: sameHead.rpcCalls, accounts: withBlock.counts.accounts };
      };
      const two = await idle();
      // dev accounts are few: more accounts from fresh keys funded by the deployer
      for (let i = 0; i < 8; i++) {
        const w = Wallet.createRandom().connect(provider);
        await (await wallet(node.url, 0).sendTransaction({ to: w.address, value: 10n ** 17n })).wait();
        await (await local.registry.connect(w).openAccount()).wait();
      }
      const ten = await idle();
      expect(ten.accounts).to.be.at.least(10);
      expect(ten.withBlock).to.equal(two.withBlock);
      expect(ten.sameHead).to.equal(two.sameHead);
      expect(two.withBlock).to.be.at.most(3); // head block, new logs, one oracle read
      expect(two.sameHead).to.be.at.most(2); // head block, one oracle read
    });
  });
});
