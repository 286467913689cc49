/**
 * The relayer as a separate process (relayer/cli.ts) and the trader's daemon handing answers to it, both
 * against a `hardhat node` process over JSON-RPC: the CLI's help and config errors, a batch of several
 * traders' answers through the process, and the daemon's fallback to its own respond when the relayer
 * is down, or accepts but does not answer before the deadline margin.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { JsonRpcProvider, MaxUint256, Wallet, parseEther } from "ethers";
import pino from "pino";
import { ROOT } from "../../core/artifacts";
import { postAnswerTo } from "../../core/relayerClient";
import { Daemon, DEFAULT_DAEMON } from "../../prover/daemon/daemon";
import { type ProverKeys, loadKeys } from "../../prover/lib/circuits";
import { emptyState } from "../../prover/model";
import { TraderService } from "../../prover/service/trader";
import { type Trader, answerAll, challengeAll, openTraders, traderWallet } from "../../scripts/lib/challenged";
import type { System } from "../../scripts/lib/deploy";
import { type NodeProcess, deployToNode, devWallet, freePort, increaseTime, startNode } from "../helpers/node";
import { RELAYER_KEY, relayerConfig, waitForFates } from "./helpers";

const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
const RELAYER = new Wallet(RELAYER_KEY).address;

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [TS_NODE, "--transpile-only", "relayer/cli.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("Relayer process and the trader daemon (hardhat node process over JSON-RPC)", function () {
  this.timeout(600_000);
  let node: NodeProcess;
  let sys: System;
  let keys: ProverKeys;
  let dir: string;
  let provider: JsonRpcProvider;
  let relayer: ChildProcess | undefined;
  let relayerUrl = "";
  let relayerLog = "";

  before(async () => {
    node = await startNode();
    sys = await deployToNode(node.url);
    keys = await loadKeys();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-relayer-"));
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  });
  after(async () => {
    if (relayer && relayer.exitCode === null) relayer.kill("SIGKILL");
    provider?.destroy();
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `relayer/cli.ts run` on a free port; resolves with the URL it prints. */
  async function startProcess(batch: Record<string, number> = {}): Promise<void> {
    const file = path.join(dir, "relayer.json");
    fs.writeFileSync(file, JSON.stringify(relayerConfig(sys, node.url, { logLevel: "info", batch })));
    relayerLog = "";
    const p = spawn(process.execPath, [TS_NODE, "--transpile-only", "relayer/cli.ts", "run", "--config", file], {
      cwd: ROOT,
      env: { ...process.env, ZKMARGIN_RELAYER_KEY: RELAYER_KEY },
      stdio: ["ignore", "pipe", "pipe"],
    });
    relayer = p;
    p.stderr!.on("data", (d) => (relayerLog += String(d)));
    relayerUrl = await new Promise<string>((resolve, reject) => {
      let out = "";
      p.stdout!.on("data", (d) => {
        out += String(d);
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      p.once("exit", (code) => reject(new Error(`the relayer exited (${code}):\n${relayerLog}`)));
    });
  }
  async function stopProcess(): Promise<number | null> {
    const p = relayer!;
    if (p.exitCode !== null) return p.exitCode;
    const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
    p.kill("SIGTERM");
    return exited;
  }
  async function submitterOf(account: string, nonce: bigint): Promise<string | undefined> {
    const logs = await sys.registry.queryFilter(sys.registry.filters.Responded(account));
    return logs.find((l) => l.args.nonce === nonce)?.args.submitter;
  }

  it("prints its usage and refuses a bad config, naming the field", () => {
    const help = cli(["--help"]);
    expect(help.status).to.equal(0);
    expect(help.stdout).to.match(/Usage: zkmargin-relayer/);
    expect(help.stdout).to.match(/run \[options\]/);
    const runHelp = cli(["run", "--help"]);
    expect(runHelp.stdout).to.match(/-c, --config <file>/);
    const file = path.join(dir, "bad.json");
    fs.writeFileSync(file, JSON.stringify({ ...relayerConfig(sys, node.url), batch: { maxSize: 500, colour: 1 } }));
    const bad = cli(["check", "--config", file]);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/batch\.maxSize: Too big/);
    expect(bad.stderr).to.match(/batch: Unrecognized key: "colour"/);
    const big = path.join(dir, "big.json");
    fs.writeFileSync(big, JSON.stringify({ ...relayerConfig(sys, node.url), batch: { maxSize: 200 } }));
    expect(cli(["check", "--config", big]).stderr).to.match(/200 members need a gas limit of about \d+ > 16777216/);
    const noKey = cli(["run", "--config", path.join(dir, "missing.json")]);
    expect(noKey.status).to.equal(2);
    expect(noKey.stderr).to.match(/cannot read the config file/);
  });

  it("answers several traders' challenges in one respondBatch as a separate process", async () => {
    const traders = await openTraders(sys, node.url, 3);
    const answers = await answerAll(keys, sys, traders, await challengeAll(sys, node.url, traders));
    await startProcess({ maxSize: 3, maxWaitMs: 600_000 }); // one batch, however slow each check is
    try {
      const health = (await (await fetch(`${relayerUrl}/healthz`)).json()) as { status: string; relayer: string };
      expect(health).to.deep.include({ status: "ok", relayer: RELAYER });
      const subs = await Promise.all(answers.map((a) => postAnswerTo(relayerUrl, a)));
      const fates = await waitForFates(
        relayerUrl,
        subs.map((s) => (s.accepted ? s.id : "")),
      );
      expect(fates.map((f) => f.status)).to.deep.equal(["answered", "answered", "answered"]);
      expect(new Set(fates.map((f) => f.txHash))).to.have.length(1);
      for (const a of answers) expect(await submitterOf(a.account, a.record.nonce)).to.equal(RELAYER);
    } finally {
      expect(await stopProcess()).to.equal(0);
    }
    expect(relayerLog).to.match(/"msg":"relayer started"/);
    expect(relayerLog).to.match(/"msg":"batch mined"/);
    expect(relayerLog).to.not.include(answers[0].proof.c[1].toString());
  });

  describe("the trader's daemon", () => {
    let t: TraderService;
    let trader: Trader;
    const log = pino({ level: "silent" });

    before(async () => {
      const wallet = traderWallet(node.url, 500);
      const funder = devWallet(node.url, 0);
      await (await funder.sendTransaction({ to: wallet.address, value: parseEther("1") })).wait();
      await (await sys.tokens[0].connect(funder).mint(wallet.address, 10_000n * 10n ** 6n)).wait();
      t = await TraderService.init({
        stateFile: path.join(dir, "daemon-state.json"),
        passphrase: "correct horse battery staple",
        signer: wallet,
        registry: sys.addresses.registry,
        keys,
        logger: log,
        fromBlock: sys.deploymentBlock,
      });
      await (await sys.tokens[0].connect(wallet).approve(sys.addresses.registry, MaxUint256)).wait();
      await (await sys.registry.connect(wallet).deposit(0, 5_000n * 10n ** 6n)).wait();
      trader = { wallet, address: wallet.address, state: emptyState(4) };
    });
    after(() => t?.close());

    const daemon = (urls: string[], fallbackMarginSec = 60) =>
      new Daemon(t, { ...DEFAULT_DAEMON, relayers: { urls, fallbackMarginSec, timeoutMs: 2_000 } }, log);

    it("hands its answer to the relayer, which answers it", async () => {
      const nonce = (await challengeAll(sys, node.url, [trader])).get(trader.address)!.nonce;
      await startProcess();
      try {
        const d = daemon([relayerUrl]);
        expect(await d.tick()).to.equal("relayed");
        const end = Date.now() + 60_000;
        while ((await submitterOf(trader.address, nonce)) === undefined && Date.now() < end)
          await new Promise((r) => setTimeout(r, 100));
        expect(await submitterOf(trader.address, nonce)).to.equal(RELAYER);
        expect(await d.tick()).to.not.equal("responded");
      } finally {
        await stopProcess();
      }
    });

    it("falls back to a direct respond when the relayer is down", async () => {
      const nonce = (await challengeAll(sys, node.url, [trader])).get(trader.address)!.nonce;
      const down = `http://127.0.0.1:${await freePort()}`; // nothing listens there
      expect(await daemon([down]).tick()).to.equal("responded");
      expect(await submitterOf(trader.address, nonce)).to.equal(trader.address);
    });

    it("sends itself when a relayer accepted but the deadline comes within the margin", async () => {
      const record = (await challengeAll(sys, node.url, [trader])).get(trader.address)!;
      // a relayer that accepts every answer and never sends it
      const holder = http.createServer((req, res) => {
        res.writeHead(req.method === "POST" ? 202 : 200, { "content-type": "application/json" });
        const id = "held";
        res.end(
          JSON.stringify(
            req.method === "POST"
              ? { id, status: "queued" }
              : { id, status: "queued", account: trader.address, nonce: "0", deadline: "0" },
          ),
        );
      });
      await new Promise<void>((r) => holder.listen(0, "127.0.0.1", () => r()));
      try {
        const d = daemon([`http://127.0.0.1:${(holder.address() as AddressInfo).port}`], 120);
        expect(await d.tick()).to.equal("relayed");
        expect(await d.tick()).to.equal("relayed");
        const now = BigInt((await provider.getBlock("latest"))!.timestamp);
        await increaseTime(node.url, Number(record.deadline - now) - 100); // 100 s left, within the 120 s margin
        expect(await d.tick()).to.equal("responded");
        expect(await submitterOf(trader.address, record.nonce)).to.equal(trader.address);
      } finally {
        holder.closeAllConnections();
        await new Promise((r) => holder.close(r));
      }
    });
  });
});
