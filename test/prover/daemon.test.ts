import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { ROOT } from "../../core/artifacts";
import { E8, type LocalSystem } from "../../scripts/lib/deploy";
import { cliEnv, runCli } from "../helpers/cli";
import { DEV_KEYS, type NodeProcess, deployToNode, devWallet, freePort, startNode } from "../helpers/node";
import { TcpProxy } from "../helpers/proxy";

/**
 * The trader daemon as a separate process against a real `hardhat node` over JSON-RPC: it answers a
 * challenge by itself, survives the RPC endpoint going away and coming back, refreshes its proof before
 * prices leave the band, and warns (webhook) near its private liquidation price.
 */
describe("Prover daemon (separate process, real node over JSON-RPC)", function () {
  let node: NodeProcess;
  let sys: LocalSystem;
  let proxy: TcpProxy;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let daemon: ChildProcess | undefined;
  let daemonLog = "";
  let hook: http.Server;
  const hooks: Record<string, unknown>[] = [];
  const trader = new Wallet(DEV_KEYS[4]).address;

  async function setPrice(market: number, price: bigint) {
    const owner = devWallet(node.url, 0);
    for (let j = 0; j < sys.marketFeeds.length; j++) {
      const f = sys.marketFeeds[j].connect(owner);
      await (await f.setAnswer(j === market ? price : await f.answer())).wait();
    }
  }
  async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}\n--- daemon log ---\n${daemonLog.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function challenge(): Promise<bigint> {
    const keeper = sys.registry.connect(devWallet(node.url, 2));
    await (await keeper.challenge(trader, { value: 10n ** 16n })).wait();
    return (await sys.registry.challengeOf(trader)).nonce;
  }
  async function responded(nonce: bigint): Promise<boolean | undefined> {
    const logs = await sys.registry.queryFilter(sys.registry.filters.Responded(trader));
    return logs.some((l) => l.args.nonce === nonce) ? true : undefined;
  }

  before(async () => {
    node = await startNode();
    sys = await deployToNode(node.url);
    proxy = new TcpProxy(await freePort(), node.port);
    await proxy.start();
    hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += String(d)));
      req.on("end", () => {
        hooks.push(JSON.parse(body));
        res.end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-daemon-"));
    await (await sys.tokens[0].connect(devWallet(node.url, 0)).mint(trader, 10n ** 11n)).wait();
    env = cliEnv(proxy.url, sys.addresses.registry, DEV_KEYS[4], path.join(dir, "state.json"), { LOG_LEVEL: "info" });
    for (const args of [["init"], ["deposit", "USDC", "6000"], ["open", "ETH", "long", "10"]]) {
      const r = await runCli(args, env);
      expect(r.code, r.stderr).to.equal(0);
    }
    const port = (hook.address() as { port: number }).port;
    const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
    daemon = spawn(
      process.execPath,
      [
        tsNode,
        "--transpile-only",
        "prover/cli.ts",
        "daemon",
        "--poll-ms",
        "200",
        "--warn-pct",
        "10",
        "--webhook",
        `http://127.0.0.1:${port}/hook`,
      ],
      {
        cwd: ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    daemon.stdout!.on("data", (d) => (daemonLog += String(d)));
    daemon.stderr!.on("data", (d) => (daemonLog += String(d)));
    await waitFor("the daemon to start", async () => (daemonLog.includes("daemon started") ? true : undefined));
  });

  after(async () => {
    daemon?.kill("SIGTERM");
    await proxy?.stop();
    await new Promise((r) => hook?.close(() => r(undefined)));
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("answers a challenge automatically, well inside the deadline", async () => {
    await setPrice(0, 2_800n * E8); // -6.7%: stale beyond the 5% band
    const nonce = await challenge();
    const t0 = Date.now();
    await waitFor("the daemon's respond", () => responded(nonce));
    const latency = Date.now() - t0;
    expect(latency).to.be.below(3_600_000);
    expect((await sys.registry.challengeOf(trader)).deadline).to.equal(0n);
    // the event can be on chain a moment before the daemon has seen its receipt and logged it
    await waitFor("the daemon to log the answer", async () =>
      daemonLog.includes("challenge answered") ? true : undefined,
    );
  });

  it("still answers in time after the RPC endpoint goes away and comes back", async () => {
    await proxy.stop();
    await setPrice(0, 2_600n * E8);
    const nonce = await challenge(); // sent directly to the node while the daemon's endpoint is down
    await waitFor("the daemon to notice the outage", async () =>
      daemonLog.includes("tick failed") ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await responded(nonce)).to.equal(undefined);
    await proxy.start();
    await waitFor("the daemon's respond after the outage", () => responded(nonce));
    await waitFor("the daemon to log its recovery", async () =>
      daemonLog.includes("RPC reachable again") ? true : undefined,
    );
  });

  it("warns through the webhook when the price nears the private liquidation price", async () => {
    // 10 ETH long from 3000 with 6,000 USDC: liquidation at (30,000 - 6,000) / 9.5 = 2,526; 2,600 is 2.8% away
    await waitFor("a webhook warning", async () => (hooks.length > 0 ? true : undefined));
    const w = hooks[0] as { event: string; market: string; account: string };
    expect(w.event).to.equal("near-liquidation");
    expect(w.market).to.equal("ETH");
    expect(w.account).to.equal(trader);
  });

  it("cannot answer below maintenance: notifies, and answers once the owner tops up from the CLI beside it", async () => {
    await setPrice(0, 2_300n * E8); // loss 7,000 > 6,000 collateral
    const nonce = await challenge();
    await waitFor("a cannot-answer notification", async () =>
      hooks.some((h) => h.event === "cannot-answer") ? true : undefined,
    );
    expect(await responded(nonce)).to.equal(undefined);
    const topUp = await runCli(["deposit", "USDC", "3000"], env); // the daemon does not hold the state lock
    expect(topUp.code, topUp.stderr).to.equal(0);
    await waitFor("the respond after the top-up", () => responded(nonce));
  });

  it("picks up a trade made with the CLI while it runs, and answers with the new state", async () => {
    const r = await runCli(["reduce", "ETH", "4"], env);
    expect(r.code, r.stderr).to.equal(0);
    // 6 ETH long from 3,000 with 6,200 USDC left: at 2,180 (-5.2%) equity 1,280 >= 5% of 13,080
    await setPrice(0, 2_180n * E8);
    const nonce = await challenge();
    await waitFor("the respond with the reduced position", () => responded(nonce));
  });

  it("refreshes its proof before prices leave the band (no challenge needed)", async () => {
    const before = (await sys.registry.accountOf(trader)).nonce;
    // the last proof pinned 2,180; a 4.5% move is inside the 5% band but past 80% of it
    await setPrice(0, 2_278n * E8);
    await waitFor("a proactive prove()", async () =>
      (await sys.registry.accountOf(trader)).nonce > before ? true : undefined,
    );
    expect(await sys.registry.isChallengeable(trader)).to.equal(false);
    expect(daemonLog).to.include("refreshing the proof");
  });
});
