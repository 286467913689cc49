import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { ROOT } from "../../core/artifacts";
import {
  AuctionHouse__factory,
  InsuranceFund__factory,
  TestAggregator__factory,
  TestToken__factory,
  ZkMarginRegistry__factory,
} from "../../core/contracts";
import { E8 } from "../../scripts/lib/deploy";
import { cliEnv, runCli, spawnCli } from "../helpers/cli";
import { DEV_KEYS, type NodeProcess, rpc, startNode } from "../helpers/node";

/**
 * The demo scenario with every part in its own process, talking JSON-RPC to a `hardhat node`: the deploy
 * script, three traders' CLIs, two trader daemons (the third trader is offline) and the keeper (with its
 * flash taker into the Uniswap V2 pool the deploy script seeded). Every outcome is checked on chain:
 * Alice answers with a certificate, Bob is deleveraged by his daemon, Carol is liquidated at execution
 * prices, her WETH is auctioned and bought through the pool, and she claims with the CLI.
 */
describe("End to end: node, deploy script, trader CLIs and daemons, keeper, as separate processes", function () {
  this.timeout(600_000);
  let node: NodeProcess;
  let dir: string;
  const procs: ChildProcess[] = [];
  const logs: Record<string, string> = {};
  const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");

  function track(name: string, p: ChildProcess): ChildProcess {
    logs[name] = "";
    p.stdout!.on("data", (d) => (logs[name] = (logs[name] + String(d)).slice(-20_000)));
    p.stderr!.on("data", (d) => (logs[name] = (logs[name] + String(d)).slice(-20_000)));
    procs.push(p);
    return p;
  }
  async function waitFor(what: string, fn: () => Promise<boolean>, ms = 120_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await fn().catch(() => false))) {
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}\n${Object.entries(logs)
            .map(([k, v]) => `--- ${k} ---\n${v.slice(-2500)}`)
            .join("\n")}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  before(async () => {
    node = await startNode();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-e2e-"));
  });
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("certificate, deleverage, execution-priced liquidation, auction take through the pool, claim", async () => {
    // 1. deploy with the deploy script (address book on disk; tokens minted, fund and pool seeded)
    logs.deploy = "";
    const deployed = await new Promise<number | null>((resolve) => {
      const p = spawn(
        process.execPath,
        [
          path.join(ROOT, "node_modules/hardhat/internal/cli/cli.js"),
          "run",
          "scripts/deploy.ts",
          "--network",
          "localhost",
        ],
        {
          cwd: ROOT,
          env: { ...process.env, ZKMARGIN_RPC: node.url, ZKMARGIN_DEPLOYMENTS_DIR: dir },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      p.stdout!.on("data", (d) => (logs.deploy += String(d)));
      p.stderr!.on("data", (d) => (logs.deploy += String(d)));
      p.on("exit", resolve);
    });
    expect(deployed, logs.deploy).to.equal(0);
    const book = JSON.parse(fs.readFileSync(path.join(dir, "localhost.json"), "utf8")) as {
      addresses: Record<string, string>;
      deploymentBlock: number;
    };
    const a = book.addresses;
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 100 });
    const owner = new NonceManager(new Wallet(DEV_KEYS[0], provider));
    const registry = ZkMarginRegistry__factory.connect(a.registry, provider);
    const usdc = TestToken__factory.connect(a["token.USDC"], owner);
    const feeds = ["ETH", "BTC", "SOL", "ARB"].map((m) => TestAggregator__factory.connect(a[`feed.${m}`], owner));
    const assetFeeds = ["USDC", "WETH"].map((x) => TestAggregator__factory.connect(a[`feed.collateral.${x}`], owner));
    const fund = InsuranceFund__factory.connect(a.fund, provider);
    const auction = AuctionHouse__factory.connect(a.auction, provider);
    const refresh = async () => {
      for (const f of [...feeds, ...assetFeeds]) await (await f.setAnswer(await f.answer())).wait();
    };
    const jump = async (s: number) => {
      await rpc(node.url, "evm_increaseTime", [s]);
      await rpc(node.url, "evm_mine");
      await refresh();
    };
    expect(await fund.totalAssets()).to.be.greaterThan(0n); // the deploy script funded the fund

    const traders = { alice: 1, bob: 2, carol: 3 } as const;
    type Name = keyof typeof traders;
    const env = (name: Name) =>
      cliEnv(node.url, a.registry, DEV_KEYS[traders[name]], path.join(dir, `${name}.json`), {
        LOG_LEVEL: "info",
        ZKMARGIN_FROM_BLOCK: String(book.deploymentBlock),
      });
    const address = (name: Name) => new Wallet(DEV_KEYS[traders[name]]).address;

    // 2. traders open private positions with the CLI (the deploy script minted their test tokens)
    const steps: [Name, string[]][] = [
      ["alice", ["init"]],
      ["alice", ["deposit", "USDC", "6000"]],
      ["alice", ["open", "ETH", "long", "2"]],
      ["alice", ["open", "BTC", "short", "0.05"]],
      ["bob", ["init"]],
      ["bob", ["deposit", "USDC", "3000"]],
      ["bob", ["open", "ETH", "long", "7"]],
      ["carol", ["init"]],
      ["carol", ["deposit", "WETH", "2"]],
      ["carol", ["open", "ETH", "long", "8"]],
    ];
    for (const [name, args] of steps) {
      const r = await runCli(args, env(name));
      expect(r.code, `${name} ${args.join(" ")}: ${r.stderr}`).to.equal(0);
    }

    // 3. Alice's and Bob's daemons and the keeper start (Carol stays offline)
    for (const name of ["alice", "bob"] as const) {
      track(`daemon-${name}`, spawnCli(["daemon", "--poll-ms", "200"], env(name)));
    }
    const keeperConfig = path.join(dir, "keeper.json");
    fs.writeFileSync(
      keeperConfig,
      JSON.stringify({
        rpcUrl: node.url,
        registry: a.registry,
        lens: a.lens,
        confirmations: 0,
        pollIntervalMs: 300,
        checkpointFile: path.join(dir, "keeper-checkpoint.json"),
        profit: { ethPriceInQuote: "3000" },
        sales: { deployTaker: true, router: a["uniswap.router"], maxSlippageBps: 200 },
      }),
    );
    track(
      "keeper",
      spawn(process.execPath, [tsNode, "--transpile-only", "keeper/cli.ts", "run", "--config", keeperConfig], {
        cwd: ROOT,
        env: { ...process.env, ZKMARGIN_KEEPER_KEY: DEV_KEYS[4] },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    await waitFor(
      "the daemons and the keeper to start",
      async () => /daemon started|started/.test(logs["daemon-alice"]) && /started|round/.test(logs.keeper),
    );

    // 4. ETH and WETH fall 12%: every box breaks; the keeper challenges, the daemons answer
    await (await feeds[0].setAnswer(2_640n * E8)).wait();
    await (await assetFeeds[1].setAnswer(2_640n * E8)).wait();
    const answered = registry.filters.Responded(address("alice"));
    const deleveraged = registry.filters.Deleveraged(address("bob"));
    await waitFor("Alice's certificate answer", async () => (await registry.queryFilter(answered)).length > 0);
    await waitFor("Bob's deleverage", async () => (await registry.queryFilter(deleveraged)).length > 0);
    const carolChallenged = registry.filters.Challenged(address("carol"));
    await waitFor("Carol's challenge", async () => (await registry.queryFilter(carolChallenged)).length > 0);
    expect((await registry.accountOf(address("bob"))).recordHash).to.equal("0x" + "00".repeat(32));

    // 5. time passes: Carol's challenge expires; the keeper liquidates her at execution prices
    await jump(3 * 600 + 121);
    const liquidated = registry.filters.Liquidated(address("carol"));
    await waitFor("Carol's liquidation", async () => (await registry.queryFilter(liquidated)).length > 0);
    const [liq] = await registry.queryFilter(liquidated);
    expect(BigInt(liq.args.record.marketPrices) & ((1n << 64n) - 1n)).to.equal(2_640n * E8); // execution prices
    expect(await auction.activeCount()).to.equal(1n);

    // 6. the auction price falls; the keeper takes the lot through the pool in one transaction
    const fundBefore = await usdc.balanceOf(a.fund);
    await waitFor(
      "the keeper's take",
      async () => {
        await jump(90);
        return (await auction.activeCount()) === 0n;
      },
      240_000,
    );
    expect(await usdc.balanceOf(a.fund)).to.be.greaterThan(fundBefore);

    // 7. Carol comes back and claims with the CLI (rounded, paid by the fund); Alice and Bob stay active
    const before = await usdc.balanceOf(address("carol"));
    const claim = await runCli(["claim"], env("carol"));
    expect(claim.code, claim.stderr).to.equal(0);
    expect(await usdc.balanceOf(address("carol"))).to.be.greaterThan(before);
    expect((await registry.accountOf(address("carol"))).status).to.equal(3n); // closed
    for (const name of ["alice", "bob"] as const) {
      const acc = await registry.accountOf(address(name));
      expect(acc.status, name).to.equal(1n);
    }
    // Bob keeps trading after his deleverage: a reduce needs maintenance only
    const reduce = await runCli(["reduce", "ETH", "1"], env("bob"));
    expect(reduce.code, reduce.stderr).to.equal(0);
  });
});
