/**
 * The keeper CLI as separate processes against a real `hardhat node` over JSON-RPC: challenge after a
 * price move and liquidation after the deadline, an answered (real Solvency proof) and a fresh account
 * left alone, a kill -9 restart mid-cycle without duplicates or misses, and two competing keepers.
 */
import * as fs from "node:fs";
import { expect } from "chai";
import { Wallet } from "ethers";
import { emptyState } from "../../prover/model";
import { prepareResponse } from "../../prover/lib/actions";
import { type ProverKeys, CircuitKeys } from "../../prover/lib/circuits";
import type { LocalSystem } from "../../scripts/lib/deploy";
import { type NodeProcess, increaseTime, rpc, startNode } from "../helpers/node";
import {
  DEV_KEYS,
  E8,
  type KeeperProcess,
  TIMING,
  blockNumber,
  deploy,
  jump,
  openTrader,
  refreshFeeds,
  spawnKeeper,
  testConfig,
  tmpDir,
  waitFor,
  writeConfig,
} from "./helpers";

const K1 = new Wallet(DEV_KEYS[1]).address;

async function challenges(sys: LocalSystem, account?: string) {
  return sys.registry.queryFilter(sys.registry.filters.Challenged(account));
}
async function liquidations(sys: LocalSystem, account?: string) {
  return sys.registry.queryFilter(sys.registry.filters.Liquidated(account));
}
async function latestTime(url: string): Promise<number> {
  const b = (await rpc(url, "eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  return Number(b.timestamp);
}
/** Seconds from the chain's now to `t` (a deadline). */
async function secondsUntil(url: string, t: bigint): Promise<number> {
  return Number(t) - (await latestTime(url));
}

describe("keeper processes against a hardhat node", function () {
  this.timeout(120_000);
  let node: NodeProcess;
  const running: KeeperProcess[] = [];
  const start = (...args: Parameters<typeof spawnKeeper>) => {
    const k = spawnKeeper(...args);
    running.push(k);
    return k;
  };

  before(async () => {
    node = await startNode();
  });
  afterEach(async function () {
    for (const k of running.splice(0)) {
      if (this.currentTest?.state === "failed")
        process.stderr.write(`--- keeper pid ${k.proc.pid} stderr (tail)\n${k.stderr.slice(-4000)}\n`);
      await k.stop("SIGKILL");
    }
  });
  after(async () => {
    await node?.stop();
  });

  it("challenges after a price move and liquidates the unanswered account after the deadline; leaves answered and fresh accounts alone", async () => {
    const url = node.url;
    const sys = await deploy(url);
    const alice = await openTrader(url, sys, 3); // never answers
    const bob = await openTrader(url, sys, 4); // answers with a real proof
    const dir = tmpDir("abc");
    const k = start(
      "run",
      writeConfig(dir, "k1", testConfig(url, await sys.registry.getAddress(), dir, "k1")),
      DEV_KEYS[1],
    );
    await k.roundAtLeast(await blockNumber(url));
    expect(await challenges(sys)).to.have.length(0); // nothing is stale yet

    await refreshFeeds(sys, 1, 70_000n * E8); // BTC 60,000 -> 70,000: +16.7%, beyond the 5% band
    const carol = await openTrader(url, sys, 5); // proven at the new prices: fresh
    const evs = await waitFor("alice and bob challenged", async () =>
      (await challenges(sys)).length >= 2 ? challenges(sys) : undefined,
    );
    expect(evs.map((e) => e.args.account).sort()).to.deep.equal([alice.address, bob.address].sort());
    expect(evs.map((e) => e.args.challenger)).to.deep.equal([K1, K1]);

    // Bob answers with a real Solvency proof at the pinned snapshot (as the trader's prover would).
    const keys = { solvency: await CircuitKeys.load("solvency") } as ProverKeys;
    const proof = await prepareResponse(keys, bob.registry, bob.address, emptyState(4));
    await (await bob.registry.respond(bob.address, { a: proof.proof.a, b: proof.proof.b, c: proof.proof.c })).wait();

    // 20 s before the deadline nothing may be liquidated; the keeper has looked at that block.
    const deadline = (await sys.registry.challengeOf(alice.address)).deadline;
    await jump(url, sys, (await secondsUntil(url, deadline)) - 20);
    await k.roundAtLeast(await blockNumber(url));
    expect(await liquidations(sys)).to.have.length(0);

    // Past the deadline the challenger (our keeper: no exclusive wait for itself) liquidates Alice.
    await jump(url, sys, 30);
    const liq = await waitFor("alice liquidated", async () =>
      (await liquidations(sys)).length > 0 ? liquidations(sys) : undefined,
    );
    expect(liq.map((e) => [e.args.account, e.args.liquidator])).to.deep.equal([[alice.address, K1]]);

    // A few rounds later: Bob (answered) is not liquidated, Carol (fresh) was never challenged.
    await k.roundAtLeast((await blockNumber(url)) + 0);
    await jump(url, sys, Number(TIMING.exclusivePeriod) + 5);
    await k.roundAtLeast(await blockNumber(url));
    expect((await liquidations(sys)).map((e) => e.args.account)).to.deep.equal([alice.address]);
    expect(await challenges(sys, carol.address)).to.have.length(0);
    expect((await sys.registry.accountOf(bob.address)).status).to.equal(1n);

    expect(await k.stop("SIGTERM")).to.equal(0);
    expect(k.lines.some((l) => l.msg === "keeper stopped")).to.equal(true);
    expect(k.lines.filter((l) => (l.level ?? 0) >= 50)).to.deep.equal([]); // no error or fatal line
    const cp = JSON.parse(fs.readFileSync(`${dir}/k1.checkpoint.json`, "utf8")) as {
      accounts: { account: string; status: string }[];
    };
    expect(cp.accounts.find((a) => a.account === alice.address)?.status).to.equal("liquidated");

    const st = start("status", `${dir}/k1.json`, undefined);
    expect(await st.exited).to.equal(0);
    const status = JSON.parse(st.stdout) as {
      accounts: Record<string, number>;
      keeper: string | null;
      candidates: Record<string, number>;
    };
    expect(status.accounts).to.deep.include({ accounts: 3, active: 2, challenged: 0, liquidated: 1 });
    expect(status.candidates).to.deep.equal({ challenge: 0, liquidate: 0 });
    expect(status.keeper).to.equal(null); // no key given: read-only
  });

  it("survives kill -9 mid-cycle: no duplicate challenge after restarts, and the liquidation is not missed", async () => {
    const url = node.url;
    const sys = await deploy(url);
    const dave = await openTrader(url, sys, 6);
    const dir = tmpDir("restart");
    const cfgFile = writeConfig(dir, "k", testConfig(url, await sys.registry.getAddress(), dir, "k"));
    const nonce0 = Number(await rpc(url, "eth_getTransactionCount", [K1, "latest"]));

    await refreshFeeds(sys, 0, 2_500n * E8); // ETH -16.7%
    // A dry run prints what it would do and sends nothing.
    const dry = start("once", cfgFile, DEV_KEYS[1], ["--dry-run"]);
    expect(await dry.exited).to.equal(0);
    const summary = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      challenged: string[];
      txs: { status: string; reason: string; accounts: string[] }[];
    };
    expect(summary).to.deep.include({ dryRun: true, challenged: [] });
    expect(summary.txs).to.deep.equal([
      { action: "challenge", status: "skipped", reason: "dry-run", accounts: [dave.address] },
    ]);
    expect(dry.lines.some((l) => l.msg === "dry-run: would challenge 1 account(s)")).to.equal(true);
    expect(await challenges(sys, dave.address)).to.have.length(0);

    let k = start("run", cfgFile, DEV_KEYS[1]);
    const [ch] = await waitFor("dave challenged", async () =>
      (await challenges(sys, dave.address)).length > 0 ? challenges(sys, dave.address) : undefined,
    );
    await k.stop("SIGKILL"); // killed right after its challenge: the checkpoint does not hold it yet

    k = start("run", cfgFile, DEV_KEYS[1]);
    await k.roundAtLeast(await blockNumber(url));
    for (let i = 0; i < 3; i++) await rpc(url, "evm_mine"); // let the challenge's block be finalised and checkpointed
    await k.roundAtLeast(await blockNumber(url));
    await waitFor("checkpoint past the challenge", () => {
      const cp = JSON.parse(fs.readFileSync(`${dir}/k.checkpoint.json`, "utf8")) as { block: number };
      return cp.block >= ch.blockNumber;
    });
    await k.stop("SIGKILL"); // killed again, with the challenge in the checkpoint

    k = start("run", cfgFile, DEV_KEYS[1]);
    const resumed = await waitFor("resume line", () => k.lines.find((l) => l.msg === "resumed from checkpoint"));
    expect(Number(resumed.block)).to.be.at.least(ch.blockNumber);
    await k.roundAtLeast(await blockNumber(url));
    expect(await challenges(sys, dave.address)).to.have.length(1);

    await jump(url, sys, (await secondsUntil(url, ch.args.deadline)) + 1);
    const liq = await waitFor("dave liquidated", async () =>
      (await liquidations(sys, dave.address)).length > 0 ? liquidations(sys, dave.address) : undefined,
    );
    expect(liq[0].args.liquidator).to.equal(K1);
    expect(liq[0].args.nonce).to.equal(ch.args.nonce);
    await k.roundAtLeast(await blockNumber(url));
    expect(await challenges(sys, dave.address)).to.have.length(1);
    // exactly two transactions from the keeper's key over three processes: one challenge, one liquidation
    expect(Number(await rpc(url, "eth_getTransactionCount", [K1, "latest"])) - nonce0).to.equal(2);
    expect(await k.stop("SIGTERM")).to.equal(0);
  });

  it("keeps running through an RPC outage (node frozen) and acts once the node is back", async () => {
    const url = node.url;
    const sys = await deploy(url);
    const hank = await openTrader(url, sys, 5);
    const dir = tmpDir("outage");
    const cfg = testConfig(url, await sys.registry.getAddress(), dir, "k", {
      rpc: { retries: 1, retryDelayMs: 50, timeoutMs: 500 },
    });
    const k = start("run", writeConfig(dir, "k", cfg), DEV_KEYS[1]);
    await k.roundAtLeast(await blockNumber(url));
    node.proc.kill("SIGSTOP"); // requests now time out
    try {
      await waitFor(
        "a failed round",
        () => k.lines.find((l) => l.msg === "round failed" && l.code === "RPC_UNAVAILABLE"),
        10_000,
      );
    } finally {
      node.proc.kill("SIGCONT");
    }
    await refreshFeeds(sys, 0, 3_600n * E8); // ETH +20%
    await waitFor(
      "hank challenged after the outage",
      async () => (await challenges(sys, hank.address)).length > 0,
      30_000,
    );
    expect(k.alive).to.equal(true);
    expect(await k.stop()).to.equal(0);
  });

  it("two competing keepers: one challenge, one liquidation, the loser sees the race and keeps running", async () => {
    const url = node.url;
    const sys = await deploy(url);
    const erin = await openTrader(url, sys, 7);
    const registry = await sys.registry.getAddress();
    const dir = tmpDir("compete");
    const a = start("run", writeConfig(dir, "a", testConfig(url, registry, dir, "a")), DEV_KEYS[1]);
    const b = start("run", writeConfig(dir, "b", testConfig(url, registry, dir, "b")), DEV_KEYS[2]);
    await a.roundAtLeast(await blockNumber(url));
    await b.roundAtLeast(await blockNumber(url));
    const sent = (k: KeeperProcess) => k.lines.filter((l) => l.msg === "transaction sent").length;
    const lostRaces = (k: KeeperProcess) =>
      k.lines.filter((l) => /not sent \(taken\)|reverted on chain|taken by others/.test(String(l.msg))).length;
    /** Holds the next block until both keepers acted on `block` (sent a transaction, or saw the work taken). */
    const bothActed = async (block: number, before: [number, number], action: "challenge" | "liquidate") => {
      const acted = (k: KeeperProcess, s0: number) =>
        sent(k) > s0 ||
        k.rounds().some((r) => Number(r.block) >= block && (r.candidates as Record<string, number>)[action] > 0);
      await waitFor(`both keepers acting at block ${block}`, () => acted(a, before[0]) && acted(b, before[1]));
      await rpc(url, "evm_mine");
    };
    // Manual mining: both keepers see the same state, and nothing they send is mined before both acted.
    await rpc(url, "evm_setAutomine", [false]);
    try {
      let before: [number, number] = [sent(a), sent(b)];
      await refreshFeeds(sys, 2, 100n * E8, url); // SOL 150 -> 100, mined in one block
      await bothActed(await blockNumber(url), before, "challenge");
      const [ch] = await waitFor("erin challenged", async () =>
        (await challenges(sys, erin.address)).length > 0 ? challenges(sys, erin.address) : undefined,
      );

      before = [sent(a), sent(b)];
      await increaseTime(url, (await secondsUntil(url, ch.args.deadline)) + Number(TIMING.exclusivePeriod) + 5); // anyone may liquidate
      await bothActed(await blockNumber(url), before, "liquidate");
      await waitFor("erin liquidated", async () => (await liquidations(sys, erin.address)).length > 0);
    } finally {
      await rpc(url, "evm_setAutomine", [true]);
      await rpc(url, "evm_mine");
    }
    const head = await blockNumber(url);
    await a.roundAtLeast(head);
    await b.roundAtLeast(head);
    expect(await challenges(sys, erin.address)).to.have.length(1);
    expect(await liquidations(sys, erin.address)).to.have.length(1);
    expect(lostRaces(a) + lostRaces(b)).to.be.at.least(2); // each contested action had a loser
    process.stderr.write(`      (races lost: keeper a ${lostRaces(a)}, keeper b ${lostRaces(b)})\n`);

    // Neither is stuck: both still run rounds, and a new stale account is challenged exactly once.
    await refreshFeeds(sys); // the time jump left the feeds stale
    const gina = await openTrader(url, sys, 4);
    await refreshFeeds(sys, 3, 50n * 10n ** 6n); // ARB 0.80 -> 0.50
    await waitFor("gina challenged", async () => (await challenges(sys, gina.address)).length > 0);
    const h2 = await blockNumber(url);
    await a.roundAtLeast(h2);
    await b.roundAtLeast(h2);
    expect(await challenges(sys, gina.address)).to.have.length(1);
    expect(a.alive && b.alive).to.equal(true);
    for (const k of [a, b]) expect(k.lines.filter((l) => (l.level ?? 0) >= 50)).to.deep.equal([]);
    expect(await a.stop()).to.equal(0);
    expect(await b.stop()).to.equal(0);
  });
});
