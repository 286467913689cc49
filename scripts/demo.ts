/**
 * npm run demo [-- --rpc URL]: the whole v2 protocol on a local chain. By default Hardhat's in-process
 * network is served over JSON-RPC on 127.0.0.1 (every component talks JSON-RPC to it); `--rpc URL` uses a
 * running `hardhat node` instead (the demo moves time and prices, so it needs a Hardhat-compatible chain).
 *
 * A liquidity provider funds the insurance fund; three traders open private positions; ETH (and WETH)
 * falls 12%; the keeper challenges the accounts whose certificates broke. Alice's daemon answers with a
 * certificate at the pinned prices; Bob is below maintenance, and his daemon deleverages him privately
 * to the target margin, after which he keeps trading; Carol is offline: she is liquidated at the oracle's
 * prices at liquidation time, her seized WETH is auctioned and bought by the keeper through the Uniswap
 * V2 pool in one transaction, and she later claims her equity minus the penalty.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import pino from "pino";
import { openApp } from "../keeper/app";
import { SigningKey, loadConfig } from "../keeper/config";
import { DEFAULT_DAEMON, Daemon } from "../prover/daemon/daemon";
import { loadKeys } from "../prover/lib/circuits";
import { Side, type Trade } from "../prover/model";
import { fmtValue, renderStatus, statusView } from "../prover/service/status";
import { TraderService } from "../prover/service/trader";
import { valueOf } from "../prover/lib/value";
import { E8, E18, deployLocal, seedLocal } from "./lib/deploy";
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
  })) as { listen(): Promise<unknown>; close(): Promise<void> };
  await server.listen();
  return { url: `http://127.0.0.1:${port}`, embedded: true, close: () => server.close() };
}

const usd = (x: bigint, decimals = 6) =>
  (Number(x) / 10 ** decimals).toLocaleString("en-US", { maximumFractionDigits: 2 });

async function main(): Promise<void> {
  const chain = await chainUrl();
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, pollingInterval: 100 });
  const wallet = (i: number) => new NonceManager(new Wallet(DEV_KEYS[i], provider));
  const rpc = (method: string, params: unknown[] = []) => provider.send(method, params);
  const now = async () => Number((await provider.getBlock("latest"))!.timestamp);
  const t0 = await now();
  const at = async (what: string) => timeline.push(`  t+${String((await now()) - t0).padStart(5)} s  ${what}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkmargin-demo-"));

  console.log("zkmargin demo (v2): private positions, public solvency (INSECURE development keys)");
  console.log(`chain: ${chain.embedded ? "embedded Hardhat network served" : "node"} at ${chain.url} (JSON-RPC)\n`);

  const owner = wallet(0);
  const sys = await deployLocal(owner);
  await seedLocal(sys, owner, { traders: [], fundLiquidity: 0n, poolUsdc: 6_000_000n * USDC });
  const registry = sys.registry;
  const [usdc, weth] = sys.tokens;
  const t = sys.params.timing;
  console.log(
    `[1] deployed behind a ${sys.params.governance.minDelay / 3600} h timelock: registry ${sys.addresses.registry}`,
  );
  console.log(
    `    window ${t.responseWindow / 60} min (stretched up to ${t.maxStretchBps / 10_000}x under congestion), exclusive ${t.exclusivePeriod / 60} min, freshness ${t.freshness / 3600} h`,
  );
  // a liquidity provider deposits into the ERC-4626 insurance fund
  const lp = wallet(5);
  await (await usdc.connect(owner).mint(await lp.getAddress(), 300_000n * USDC)).wait();
  await (await usdc.connect(lp).approve(sys.addresses.fund, 2n ** 255n)).wait();
  await (await sys.fund.connect(lp).deposit(300_000n * USDC, await lp.getAddress())).wait();
  const fundLine = async () => {
    const [nav, shares, owed, lots] = await Promise.all([
      sys.fund.totalAssets(),
      sys.fund.totalSupply(),
      sys.fund.totalOwed(),
      sys.auction.lotValue(),
    ]);
    return `NAV ${usd(nav)} USDC (of which open lots ${usd(lots)}), ${usd(shares, 12)} shares, owed ${usd(owed)} USDC`;
  };
  const fundBefore = await fundLine();
  console.log(`    insurance fund: ${fundBefore}`);
  console.log("    Uniswap V2 WETH/USDC pool: 6,000,000 USDC deep, from the npm packages' bytecode\n");

  const keys = await loadKeys();
  const traders: Record<string, TraderService> = {};
  const plan: Record<string, { key: number; usdc: bigint; weth: bigint; trades: Trade[] }> = {
    alice: {
      key: 1,
      usdc: 6_000n,
      weth: 0n,
      trades: [
        { kind: "increase", market: 0, size: 2n * UNIT, side: Side.Long },
        { kind: "increase", market: 1, size: UNIT / 20n, side: Side.Short },
      ],
    },
    bob: {
      key: 2,
      usdc: 3_000n,
      weth: 0n,
      trades: [{ kind: "increase", market: 0, size: 7n * UNIT, side: Side.Long }],
    },
    carol: { key: 3, usdc: 0n, weth: 2n, trades: [{ kind: "increase", market: 0, size: 8n * UNIT, side: Side.Long }] },
  };
  console.log("[2] traders open private positions (Update proofs; the chain sees commitments and certificates)");
  for (const [name, p] of Object.entries(plan)) {
    const w = wallet(p.key);
    const addr = await w.getAddress();
    if (p.usdc) await (await usdc.connect(owner).mint(addr, p.usdc * USDC)).wait();
    if (p.weth) await (await weth.connect(owner).mint(addr, p.weth * E18)).wait();
    const svc = await TraderService.init({
      stateFile: path.join(dir, `${name}.json`),
      passphrase: `${name} demo passphrase`,
      signer: w,
      registry: sys.addresses.registry,
      keys,
      logger: silent,
      fromBlock: sys.deploymentBlock,
    });
    traders[name] = svc;
    if (p.usdc) await svc.deposit(0n, p.usdc * USDC);
    if (p.weth) await svc.deposit(1n, p.weth * E18);
    for (const tr of p.trades) {
      const r = await svc.trade(tr);
      record("update", (await provider.getTransactionReceipt(r.txHash))!.gasUsed, r.proveMs);
    }
  }
  for (const [name, svc] of Object.entries(traders)) await show(name, svc);
  // the traders' commands end (their state locks are released); Alice and Bob leave their daemons
  // running, Carol goes offline: no daemon will answer for her
  for (const svc of Object.values(traders)) svc.close();

  console.log("\n[3] ETH and WETH fall 12%: 3,000 -> 2,640");
  await (await sys.marketFeeds[0].connect(owner).setAnswer(2_640n * E8)).wait();
  await (await sys.assetFeeds[1].connect(owner).setAnswer(2_640n * E8)).wait();
  await at("oracle: ETH 2,640 (every certificate's box was +/-10% or narrower)");

  const keeperCfg = loadConfig({
    flags: {
      rpcUrl: chain.url,
      registry: sys.addresses.registry,
      lens: sys.addresses.lens,
      confirmations: 0,
      pollIntervalMs: 100,
      checkpointFile: path.join(dir, "keeper.json"),
      checkpointEveryMs: 0,
      profit: { ethPriceInQuote: "3000" },
      sales: { deployTaker: true, router: sys.addresses["uniswap.router"], maxSlippageBps: 200 },
    },
    env: {},
  }).config.deployments[0];
  const keeper = await openApp(keeperCfg, new SigningKey(DEV_KEYS[4]), silent, { signer: true });
  const round = async () => {
    const r = await keeper.keeper.round();
    for (const tx of r.txs) if (tx.hash) record(tx.action, (await provider.getTransactionReceipt(tx.hash))!.gasUsed);
    return r;
  };
  const r1 = await round();
  console.log(`[4] keeper: challenged ${r1.challenged.map(short).join(", ") || "nobody"} (broken boxes), one batch`);
  await at(`keeper challenged ${r1.challenged.length} accounts in one challengeBatch`);

  console.log("[5] the traders' daemons answer (Carol is offline)");
  for (const name of ["alice", "bob"]) {
    const svc = traders[name];
    const start = performance.now();
    const action = await new Daemon(svc, DEFAULT_DAEMON, silent).tick();
    const ms = performance.now() - start;
    const ev =
      action === "responded" ? registry.filters.Responded(svc.account) : registry.filters.Deleveraged(svc.account);
    const logs = await registry.queryFilter(ev);
    const receipt = await logs[logs.length - 1]?.getTransactionReceipt();
    if (receipt) record(action === "responded" ? "respond" : "respondDeleverage", receipt.gasUsed, ms);
    console.log(`    ${name}: ${action} in ${Math.round(ms)} ms (gas ${receipt?.gasUsed ?? "-"})`);
    await at(
      action === "responded"
        ? `${name}'s daemon answered with a certificate at the pinned prices`
        : `${name}'s daemon deleveraged privately to the target margin (fee public, sizes not)`,
    );
  }
  await show("bob", traders.bob);
  // Bob keeps trading after his deleverage
  const more = await traders.bob.withLock(() => traders.bob.trade({ kind: "reduce", market: 0, size: UNIT }));
  record("update", (await provider.getTransactionReceipt(more.txHash))!.gasUsed, more.proveMs);
  console.log(
    "    bob keeps trading: reduces his ETH long by 1 (between maintenance and initial margin a reduce needs only maintenance)",
  );
  await at("bob traded again after the deleverage");

  const wait = Math.ceil((t.responseWindow * t.maxStretchBps) / 10_000 / 60) * 60 + t.exclusivePeriod + 1;
  console.log(`\n[6] ${Math.round(wait / 60)} minutes pass: Carol's challenge expires (window + exclusive period)`);
  await rpc("evm_increaseTime", [wait]);
  await rpc("evm_mine");
  const refresh = async () => {
    for (const f of [...sys.marketFeeds, ...sys.assetFeeds])
      await (await f.connect(owner).setAnswer(await f.answer())).wait();
  };
  await refresh(); // live feeds keep updating
  const carolValueBefore = valueOf(
    (await registry.collateralOf(traders.carol.account)).slice(0, 2).map(BigInt),
    [E8, 2_640n * E8],
    [10_000n, 8_000n],
    [6, 18],
  );
  const r2 = await round();
  console.log(
    `    keeper: liquidated ${r2.liquidated.map(short).join(", ") || "nobody"} at the oracle's prices now (seized value ${fmtValue(carolValueBefore)})`,
  );
  await at("keeper liquidated Carol at execution prices; her WETH went to an auction");
  console.log(`    fund: ${await fundLine()}`);

  console.log("\n[7] the auction price falls until the pool pays; the keeper takes through Uniswap in one transaction");
  let taken = 0;
  const daemons = ["alice", "bob"].map((n) => new Daemon(traders[n], DEFAULT_DAEMON, silent));
  for (let step = 0; step < 80 && taken === 0; step++) {
    await rpc("evm_increaseTime", [90]);
    await rpc("evm_mine");
    await refresh();
    // the online traders' daemons keep their certificates ahead of the risk engine's pokes
    for (const d of daemons) await d.tick();
    const r = await round();
    taken = r.sales.takes;
    if (taken > 0) {
      console.log(
        `    keeper: took the lot after ${step + 1} price steps (flash take: WETH -> pool -> USDC -> auction)`,
      );
      await at("keeper bought Carol's WETH through the Uniswap pool (proceeds to the fund)");
    }
  }
  console.log(`    fund: ${await fundLine()}`);

  console.log("\n[8] Carol comes back and claims her equity at the liquidation's prices, minus the penalty");
  const carol = await TraderService.open({
    stateFile: path.join(dir, "carol.json"),
    passphrase: "carol demo passphrase",
    signer: wallet(3),
    registry: sys.addresses.registry,
    keys,
    logger: silent,
    fromBlock: sys.deploymentBlock,
  });
  const before = await usdc.balanceOf(carol.account);
  const claim = await carol.claim();
  record("claim", (await provider.getTransactionReceipt(claim.txHash))!.gasUsed, claim.proof.ms);
  const paid = (await usdc.balanceOf(carol.account)) - before;
  console.log(
    `    claimable ${fmtValue(claim.claimable)}, claimed ${fmtValue(claim.claimed)} (rounded to 2 significant digits so the claim does not publish her equity): paid ${usd(paid)} USDC`,
  );
  await at("Carol claimed (Equity proof)");
  carol.close();

  console.log("\n[9] after");
  for (const name of ["alice", "bob"]) await show(name, traders[name]);
  console.log(`\ninsurance fund before: ${fundBefore}`);
  console.log(`insurance fund after:  ${await fundLine()}`);
  console.log("\ntimeline (chain time):");
  console.log(timeline.join("\n"));
  console.log("\ngas used (median per transaction):");
  for (const [k, v] of Object.entries(gas))
    console.log(`  ${k.padEnd(18)} ${median(v).toString().padStart(8)} gas  (${v.length} tx)`);
  console.log("proving time (update, claim: witness + Groth16; answers: the daemon's whole tick; median):");
  for (const [k, v] of Object.entries(proveMs)) console.log(`  ${k.padEnd(18)} ${Math.round(median(v))} ms`);
  keeper.close();
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

async function show(name: string, svc: TraderService): Promise<void> {
  const acc = await svc.registry.accountOf(svc.account);
  const v = await statusView(svc);
  console.log(`\n  ${name}: PUBLIC (what anyone sees on chain):`);
  console.log(
    `    address ${svc.account}  commitment ${acc.commitment.toString().slice(0, 20)}…  nonce ${acc.nonce}  collateral value ${fmtValue(v.collateralValue)}`,
  );
  console.log(`  ${name}: PRIVATE (only ${name}'s prover knows):`);
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
