/**
 * npm run demo [-- --rpc URL]: the whole protocol on a local chain. By default Hardhat's in-process network
 * is served over JSON-RPC on 127.0.0.1 (every component talks JSON-RPC to it); `--rpc URL` uses a running
 * `hardhat node` instead (the demo moves time and prices, so it needs a Hardhat-compatible dev chain).
 *
 * Three traders open private positions across markets; prices move; the keeper challenges the stale
 * accounts; Alice's and Bob's provers answer; Carol is offline and underwater, so she is liquidated; she
 * comes back and claims her equity minus the penalty.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import pino from "pino";
import { openApp } from "../keeper/app";
import { loadConfig } from "../keeper/config";
import { DEFAULT_DAEMON, Daemon } from "../prover/daemon/daemon";
import { loadKeys } from "../prover/lib/circuits";
import { Side, type Trade } from "../prover/model";
import { fmtPrice, fmtValue, renderStatus, statusView } from "../prover/service/status";
import { TraderService } from "../prover/service/trader";
import { E18, E8, deployLocal } from "./lib/deploy";
import { DEV_KEYS, freePort } from "./lib/node";

const USDC = 10n ** 6n;
const UNIT = 10n ** 10n;
const silent = pino({ level: "silent" });
const gas: Record<string, bigint[]> = {};
const proveMs: Record<string, number[]> = {};
const timeline: string[] = [];

function record(kind: string, used: bigint, ms?: number) {
  (gas[kind] ??= []).push(used);
  if (ms !== undefined) (proveMs[kind] ??= []).push(ms);
}

async function chainUrl(): Promise<{ url: string; embedded: boolean; close: () => Promise<void> }> {
  const i = process.argv.indexOf("--rpc");
  if (i >= 0) {
    const url = process.argv[i + 1];
    if (!url || !/^https?:\/\//.test(url))
      throw new Error("--rpc needs an http(s) URL, e.g. --rpc http://127.0.0.1:8545");
    return { url, embedded: false, close: async () => undefined };
  }
  // Hardhat's in-process network, served over HTTP JSON-RPC on loopback
  const hre = await import("hardhat");
  const { TASK_NODE_CREATE_SERVER } = await import("hardhat/builtin-tasks/task-names");
  const port = await freePort();
  const server = (await hre.run(TASK_NODE_CREATE_SERVER, {
    hostname: "127.0.0.1",
    port,
    provider: hre.network.provider,
  })) as {
    listen(): Promise<unknown>;
    close(): Promise<void>;
  };
  await server.listen();
  return { url: `http://127.0.0.1:${port}`, embedded: true, close: () => server.close() };
}

async function main(): Promise<void> {
  const chain = await chainUrl();
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, pollingInterval: 100 });
  const wallet = (i: number) => new NonceManager(new Wallet(DEV_KEYS[i], provider));
  const rpc = (method: string, params: unknown[] = []) => provider.send(method, params);
  const now = async () => Number((await provider.getBlock("latest"))!.timestamp);
  const t0 = await now();
  const at = async (what: string) => timeline.push(`  t+${String((await now()) - t0).padStart(5)} s  ${what}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkmargin-demo-"));

  console.log("zkmargin demo: private positions, public solvency (INSECURE development keys)");
  console.log(`chain: ${chain.embedded ? "embedded Hardhat network served" : "node"} at ${chain.url} (JSON-RPC)\n`);

  const owner = wallet(0);
  const sys = await deployLocal(owner);
  const registry = sys.registry;
  const [usdc, weth] = sys.tokens;
  console.log(`[1] deployed: registry ${sys.addresses.registry}, oracle ${sys.addresses.oracle}`);
  await (await usdc.connect(owner).mint(await owner.getAddress(), 500_000n * USDC)).wait();
  await (await usdc.connect(owner).approve(sys.addresses.registry, 2n ** 255n)).wait();
  await (await registry.connect(owner).fundDeposit(0, 500_000n * USDC)).wait();
  const fundBefore = await registry.fundBalance(0);
  console.log(`    insurance fund: ${Number(fundBefore / USDC).toLocaleString()} USDC\n`);

  const keys = await loadKeys();
  const traders: Record<string, TraderService> = {};
  const plan: Record<string, { key: number; usdc: bigint; weth?: bigint; trades: Trade[] }> = {
    alice: {
      key: 1,
      usdc: 6_000n,
      trades: [
        { kind: "increase", market: 0, size: 2n * UNIT, side: Side.Long },
        { kind: "increase", market: 1, size: UNIT / 20n, side: Side.Short },
      ],
    },
    bob: {
      key: 2,
      usdc: 2_000n,
      weth: 1n,
      trades: [
        { kind: "increase", market: 2, size: 30n * UNIT, side: Side.Long },
        { kind: "increase", market: 3, size: 2_000n * UNIT, side: Side.Short },
      ],
    },
    carol: { key: 3, usdc: 3_600n, trades: [{ kind: "increase", market: 0, size: 8n * UNIT, side: Side.Long }] },
  };
  console.log("[2] traders open private positions (each proof is an Update proof; the chain sees only commitments)");
  for (const [name, p] of Object.entries(plan)) {
    const w = wallet(p.key);
    const addr = await w.getAddress();
    await (await usdc.connect(owner).mint(addr, p.usdc * USDC)).wait();
    if (p.weth) await (await weth.connect(owner).mint(addr, p.weth * E18)).wait();
    const t = await TraderService.init({
      stateFile: path.join(dir, `${name}.json`),
      passphrase: `${name} demo passphrase`,
      signer: w,
      registry: sys.addresses.registry,
      keys,
      logger: silent,
    });
    traders[name] = t;
    await t.deposit(0n, p.usdc * USDC);
    if (p.weth) await t.deposit(1n, p.weth * E18);
    for (const tr of p.trades) {
      const r = await t.update(tr);
      record("update", (await provider.getTransactionReceipt(r.txHash))!.gasUsed, r.proveMs);
    }
  }
  for (const [name, t] of Object.entries(traders)) await show(name, t);
  traders.carol.close(); // Carol goes offline: no daemon will answer for her

  console.log("\n[3] prices move: ETH 3,000 -> 2,640 (-12%), SOL 150 -> 141 (-6%), ARB 0.80 -> 0.84 (+5%)");
  const moves: Record<number, bigint> = { 0: 2_640n * E8, 2: 141n * E8, 3: 84n * 10n ** 6n };
  for (let j = 0; j < 4; j++) {
    const f = sys.marketFeeds[j].connect(owner);
    await (await f.setAnswer(moves[j] ?? (await f.answer()))).wait();
  }
  await at("oracle prices moved beyond the 5% band");

  const keeperCfg = loadConfig({
    flags: {
      rpcUrl: chain.url,
      registry: sys.addresses.registry,
      confirmations: 0,
      pollIntervalMs: 100,
      checkpointFile: path.join(dir, "keeper.json"),
      logLevel: "silent",
      profit: { ethPriceInQuote: "3000" },
    },
    env: { ZKMARGIN_KEEPER_KEY: DEV_KEYS[4] },
    requireKey: true,
  });
  const keeperApp = await openApp(keeperCfg, silent, { signer: true });
  const r1 = await keeperApp.keeper.round();
  for (const tx of r1.txs) if (tx.hash) record(tx.action, (await provider.getTransactionReceipt(tx.hash))!.gasUsed);
  console.log(
    `\n[4] keeper round 1: ${r1.counts ? JSON.stringify(r1.counts) : ""} -> challenged ${r1.challenged.map(short).join(", ") || "nobody"}`,
  );
  await at(`keeper challenged ${r1.challenged.length} stale account(s) in one batch`);

  console.log("[5] provers answer (Alice's and Bob's daemons; Carol is offline)");
  for (const name of ["alice", "bob"]) {
    const t = traders[name];
    const start = performance.now();
    const action = await new Daemon(t, DEFAULT_DAEMON, silent).tick();
    const logs = await registry.queryFilter(registry.filters.Responded(t.account));
    const receipt = await logs[logs.length - 1]?.getTransactionReceipt();
    if (receipt) record("respond", receipt.gasUsed, performance.now() - start);
    console.log(
      `    ${name}: ${action} in ${Math.round(performance.now() - start)} ms (gas ${receipt?.gasUsed ?? "-"})`,
    );
    await at(`${name}'s prover answered (solvency proof at the pinned prices)`);
  }

  console.log("\n[6] 70 minutes pass: Carol's challenge expires (response window 60 min + keeper exclusivity 10 min)");
  await rpc("evm_increaseTime", [70 * 60 + 1]);
  await rpc("evm_mine");
  for (const f of [...sys.marketFeeds, ...sys.assetFeeds])
    await (await f.connect(owner).setAnswer(await f.answer())).wait(); // live feeds keep updating
  const r2 = await keeperApp.keeper.round();
  for (const tx of r2.txs) if (tx.hash) record(tx.action, (await provider.getTransactionReceipt(tx.hash))!.gasUsed);
  const liq = await registry.liquidationOf(traders.carol.account);
  console.log(
    `    keeper round 2: liquidated ${r2.liquidated.map(short).join(", ") || "nobody"}; seized value ${fmtValue(liq.value)} at ETH ${fmtPrice(2_640n * E8)}`,
  );
  await at("keeper liquidated Carol (bounty to the keeper, bond back, rest to the fund)");

  console.log("\n[7] Carol comes back and claims her equity at the liquidation snapshot, minus the penalty");
  const carol = await TraderService.open({
    stateFile: path.join(dir, "carol.json"),
    passphrase: "carol demo passphrase",
    signer: wallet(3),
    registry: sys.addresses.registry,
    keys,
    logger: silent,
  });
  const before = await usdc.balanceOf(carol.account);
  const claim = await carol.claim();
  record("claim", (await provider.getTransactionReceipt(claim.txHash))!.gasUsed, claim.proveMs);
  const paid = (await usdc.balanceOf(carol.account)) - before;
  console.log(
    `    equity ${fmtValue(claim.equity)} - penalty ${Number(liq.penaltyBps) / 100}% of ${fmtValue(liq.value)} -> paid ${Number(paid) / 1e6} USDC`,
  );
  await at("Carol claimed her equity (Equity proof)");
  carol.close();

  console.log("\n[8] after");
  for (const name of ["alice", "bob"]) await show(name, traders[name]);
  const fundAfter = await registry.fundBalance(0);
  console.log(
    `insurance fund: ${Number(fundBefore) / 1e6} -> ${Number(fundAfter) / 1e6} USDC (+ ${Number(await registry.fundBalance(1)) / 1e18} WETH)`,
  );
  console.log("\nchallenge timeline (chain time):");
  console.log(timeline.join("\n"));
  console.log("\ngas used (median per transaction):");
  for (const [k, v] of Object.entries(gas))
    console.log(`  ${k.padEnd(12)} ${median(v).toString().padStart(8)} gas  (${v.length} tx)`);
  console.log(
    "proving time (update, claim: witness + Groth16; respond: the daemon's whole answer, proof and mined transaction; median):",
  );
  for (const [k, v] of Object.entries(proveMs)) console.log(`  ${k.padEnd(12)} ${Math.round(median(v))} ms`);
  traders.alice.close();
  traders.bob.close();
  keeperApp.close();
  await chain.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log("\ndemo complete");
}

function short(a: string): string {
  return `${a.slice(0, 6)}…${a.slice(-4)}`;
}
function median<T extends number | bigint>(v: T[]): T {
  return [...v].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[Math.floor(v.length / 2)];
}

async function show(name: string, t: TraderService): Promise<void> {
  const acc = await t.registry.accountOf(t.account);
  const v = await statusView(t);
  console.log(`\n  ${name} — PUBLIC (what anyone sees on chain):`);
  console.log(
    `    address ${t.account}  commitment ${acc.commitment.toString().slice(0, 20)}…  nonce ${acc.nonce}  collateral value ${fmtValue(await t.registry.collateralValue(t.account))}`,
  );
  console.log(`  ${name} — PRIVATE (only ${name}'s prover knows):`);
  console.log(
    renderStatus(v)
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n"),
  );
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
