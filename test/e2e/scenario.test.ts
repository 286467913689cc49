import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { ROOT } from "../../core/artifacts";
import { E8 } from "../../scripts/lib/deploy";
import { TestAggregator__factory, TestToken__factory, ZkMarginRegistry__factory } from "../../core/contracts";
import { cliEnv, runCli } from "../helpers/cli";
import { DEV_KEYS, type NodeProcess, increaseTime, rpc, startNode } from "../helpers/node";

/**
 * The demo scenario with every part in its own process, talking JSON-RPC to a `hardhat node`: the deploy
 * script, three traders' CLIs, two trader daemons (the third trader is offline) and the keeper.
 * Every outcome is checked on chain.
 */
describe("End to end: node, deploy script, trader daemons and keeper as separate processes", function () {
  let node: NodeProcess;
  let dir: string;
  const procs: ChildProcess[] = [];
  const logs: Record<string, string> = {};
  const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");

  function start(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const p = spawn(process.execPath, [tsNode, "--transpile-only", ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    logs[name] = "";
    p.stdout!.on("data", (d) => (logs[name] = (logs[name] + String(d)).slice(-20_000)));
    p.stderr!.on("data", (d) => (logs[name] = (logs[name] + String(d)).slice(-20_000)));
    procs.push(p);
    return p;
  }
  async function waitFor(what: string, fn: () => Promise<boolean>, ms = 90_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await fn().catch(() => false))) {
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}\n${Object.entries(logs)
            .map(([k, v]) => `--- ${k} ---\n${v.slice(-2500)}`)
            .join("\n")}`,
        );
      await new Promise((r) => setTimeout(r, 200));
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

  it("challenges the stale accounts, the online provers answer, the offline one is liquidated and claims", async () => {
    // 1. deploy with the deploy script (address book on disk)
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
    };
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 100 });
    const owner = new NonceManager(new Wallet(DEV_KEYS[0], provider));
    const registry = ZkMarginRegistry__factory.connect(book.addresses.registry, owner);
    const usdc = TestToken__factory.connect(book.addresses["token.USDC"], owner);
    const feeds = ["ETH", "BTC", "SOL", "ARB"].map((m) =>
      TestAggregator__factory.connect(book.addresses[`feed.${m}`], owner),
    );
    const assetFeeds = ["USDC", "WETH"].map((a) =>
      TestAggregator__factory.connect(book.addresses[`feed.collateral.${a}`], owner),
    );

    // 2. the operator funds the insurance fund and the traders' wallets
    await (await usdc.mint(await owner.getAddress(), 100_000n * 10n ** 6n)).wait();
    await (await usdc.approve(book.addresses.registry, 2n ** 255n)).wait();
    await (await registry.fundDeposit(0, 100_000n * 10n ** 6n)).wait();
    const traders = { alice: 1, bob: 2, carol: 3 } as const;
    const env = (name: keyof typeof traders) =>
      cliEnv(node.url, book.addresses.registry, DEV_KEYS[traders[name]], path.join(dir, `${name}.json`), {
        LOG_LEVEL: "info",
      });
    const address = (name: keyof typeof traders) => new Wallet(DEV_KEYS[traders[name]]).address;
    for (const name of Object.keys(traders) as (keyof typeof traders)[])
      await (await usdc.mint(address(name), 10_000n * 10n ** 6n)).wait();

    // 3. traders open private positions with the CLI
    const steps: [keyof typeof traders, string[]][] = [
      ["alice", ["init"]],
      ["alice", ["deposit", "USDC", "6000"]],
      ["alice", ["open", "ETH", "long", "2"]],
      ["alice", ["open", "BTC", "short", "0.05"]],
      ["bob", ["init"]],
      ["bob", ["deposit", "USDC", "4000"]],
      ["bob", ["open", "SOL", "long", "30"]],
      ["carol", ["init"]],
      ["carol", ["deposit", "USDC", "3600"]],
      ["carol", ["open", "ETH", "long", "8"]],
    ];
    for (const [name, args] of steps) {
      const r = await runCli(args, env(name));
      expect(r.code, `${name} ${args.join(" ")}: ${r.stderr}`).to.equal(0);
    }

    // 4. Alice's and Bob's daemons and the keeper start (Carol stays offline)
    for (const name of ["alice", "bob"] as const)
      start(`daemon-${name}`, ["prover/cli.ts", "daemon", "--poll-ms", "200"], env(name));
    const keeperConfig = path.join(dir, "keeper.json");
    fs.writeFileSync(
      keeperConfig,
      JSON.stringify({
        rpcUrl: node.url,
        registry: book.addresses.registry,
        confirmations: 0,
        pollIntervalMs: 300,
        checkpointFile: path.join(dir, "keeper-checkpoint.json"),
        profit: { ethPriceInQuote: "3000" },
      }),
    );
    start("keeper", ["keeper/cli.ts", "run", "--config", keeperConfig], {
      ...process.env,
      ZKMARGIN_KEEPER_KEY: DEV_KEYS[4],
    });
    await waitFor(
      "the daemons to start",
      async () => logs["daemon-alice"].includes("daemon started") && logs["daemon-bob"].includes("daemon started"),
    );

    // 5. prices move beyond the band: ETH -12%, SOL -6%
    const fundBefore = await registry.fundBalance(0);
    // all feeds move in one block, so no keeper round can see a half-moved market
    await rpc(node.url, "evm_setAutomine", [false]);
    const sent = [];
    for (let j = 0; j < 4; j++)
      sent.push(await feeds[j].setAnswer(j === 0 ? 2_640n * E8 : j === 2 ? 141n * E8 : await feeds[j].answer()));
    await rpc(node.url, "evm_mine");
    await rpc(node.url, "evm_setAutomine", [true]);
    for (const tx of sent) await tx.wait();
    const challengedBy = async (name: keyof typeof traders) =>
      (await registry.queryFilter(registry.filters.Challenged(address(name)))).length > 0;
    await waitFor(
      "the keeper to challenge all three",
      async () => (await challengedBy("alice")) && (await challengedBy("bob")) && (await challengedBy("carol")),
    );

    // 6. the daemons answer; Carol does not
    const answered = async (name: keyof typeof traders) =>
      (await registry.queryFilter(registry.filters.Responded(address(name)))).length > 0;
    const open = async (name: keyof typeof traders) => (await registry.challengeOf(address(name))).deadline !== 0n;
    await waitFor(
      "Alice's and Bob's daemons to answer",
      async () =>
        (await answered("alice")) && (await answered("bob")) && !(await open("alice")) && !(await open("bob")),
    );
    expect(await answered("carol")).to.equal(false);
    expect(await open("carol")).to.equal(true);

    // 7. time passes (response window + exclusive period); live feeds keep updating; the keeper liquidates
    await increaseTime(node.url, 70 * 60 + 1);
    for (const f of [...feeds, ...assetFeeds]) await (await f.setAnswer(await f.answer())).wait();
    await waitFor(
      "the keeper to liquidate Carol",
      async () => (await registry.accountOf(address("carol"))).status === 2n,
    );
    const liquidations = await registry.queryFilter(registry.filters.Liquidated());
    expect(liquidations, "only the offline trader is liquidated").to.have.length(1);
    expect(await registry.queryFilter(registry.filters.Challenged())).to.have.length(3);
    expect(liquidations[0].args.account).to.equal(address("carol"));
    expect(liquidations[0].args.liquidator).to.equal(new Wallet(DEV_KEYS[4]).address);

    // 8. Carol comes back and claims
    const before = await usdc.balanceOf(address("carol"));
    const claim = await runCli(["claim"], env("carol"));
    expect(claim.code, claim.stderr).to.equal(0);
    // equity = 3,600 - 8 x 360 = 720; penalty 5% of 3,600 = 180
    expect((await usdc.balanceOf(address("carol"))) - before).to.equal(540n * 10n ** 6n);
    expect((await registry.accountOf(address("carol"))).status).to.equal(3n);

    // 9. the survivors are active and unchallenged; the fund took the seized collateral minus bounty and claim
    for (const name of ["alice", "bob"] as const) {
      expect((await registry.accountOf(address(name))).status).to.equal(1n);
      expect((await registry.challengeOf(address(name))).deadline).to.equal(0n);
    }
    expect(await registry.fundBalance(0)).to.equal(
      fundBefore + 3_600n * 10n ** 6n - 36n * 10n ** 6n - 540n * 10n ** 6n,
    );
    expect(await usdc.balanceOf(new Wallet(DEV_KEYS[4]).address)).to.equal(36n * 10n ** 6n);
  });
});
