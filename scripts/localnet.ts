/**
 * `npm run localnet`: a complete local zkmargin network in one command, for trying the trader's tools.
 *
 *   npm run localnet                      starts a hardhat node on 127.0.0.1:8545, deploys everything (timelock,
 *                                         oracle, risk engine, insurance fund, auction house, verifiers, registry,
 *                                         a Uniswap V2 pool), mints test tokens to dev accounts 1-9, funds the
 *                                         fund, writes an address book and prints the environment lines; runs
 *                                         until Ctrl-C
 *   npm run -s localnet -- env [--account N]   the environment lines again (for `eval "$(...)"`)
 *   npm run localnet -- price ETH 2900    sets a price (a market, or a collateral symbol; ETH also moves WETH)
 *   npm run localnet -- time +1h          moves the chain's clock (evm_increaseTime) and refreshes every feed's
 *                                         round, so nothing goes stale past its maximum age
 *
 * Options: --port N (or ZKMARGIN_LOCALNET_PORT), and ZKMARGIN_LOCALNET_DIR for where the address book and
 * the trader's state files go (default deployments/). The keys printed are Hardhat's PUBLIC dev keys.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Wallet } from "ethers";
import { ROOT } from "../core/artifacts";
import { TestAggregator__factory } from "../core/contracts";
import { DEV_KEYS, deployToNode, devWallet, rpc, startNode } from "./lib/node";

const DIR = process.env.ZKMARGIN_LOCALNET_DIR ?? path.join(ROOT, "deployments");
const BOOK = path.join(DIR, "localnet.json");
const PASSPHRASE = "localnet passphrase (insecure)";

interface Book {
  rpc: string;
  ws: string;
  chainId: string;
  deploymentBlock: number;
  addresses: Record<string, string>;
  markets: string[];
  collateral: string[];
  stateFiles: Record<string, string>;
  startedAt: string;
  pid: number;
}

class UsageError extends Error {}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

function readBook(): Book {
  if (!fs.existsSync(BOOK)) throw new UsageError(`no local network: start one with \`npm run localnet\` (no ${BOOK})`);
  return JSON.parse(fs.readFileSync(BOOK, "utf8")) as Book;
}

function envLines(b: Book, account: number): string {
  const key = DEV_KEYS[account];
  if (!key || account < 1) throw new UsageError("--account must be a dev account from 1 to 9");
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  return [
    `export ZKMARGIN_RPC=${b.rpc}`,
    `export ZKMARGIN_WS=${b.ws}`,
    `export ZKMARGIN_REGISTRY=${b.addresses.registry}`,
    `export ZKMARGIN_FROM_BLOCK=${b.deploymentBlock}`,
    `export ZKMARGIN_PRIVATE_KEY=${key}  # dev account ${account} ${new Wallet(key).address}: a PUBLIC test key, never for real funds`,
    `export ZKMARGIN_PASSPHRASE=${q(PASSPHRASE)}`,
    `export ZKMARGIN_STATE=${q(b.stateFiles[String(account)])}`,
  ].join("\n");
}

async function start(args: string[]): Promise<void> {
  const port = Number(flag(args, "--port") ?? process.env.ZKMARGIN_LOCALNET_PORT ?? 8545);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new UsageError("--port must be a port number");
  const free = await fetch(`http://127.0.0.1:${port}`, { method: "POST" }).then(
    () => false,
    () => true,
  );
  if (!free) throw new UsageError(`127.0.0.1:${port} is in use (another localnet?): stop it, or use --port`);
  process.stderr.write(`starting a hardhat node on 127.0.0.1:${port} ...\n`);
  const node = await startNode(port);
  const stop = async () => {
    await node.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  try {
    process.stderr.write("deploying zkmargin (with the insurance fund, the auction house and a Uniswap V2 pool) ...\n");
    const sys = await deployToNode(node.url);
    const chainId = (await devWallet(node.url, 0).provider!.getNetwork()).chainId;
    const head = (await rpc(node.url, "eth_getBlockByNumber", ["latest", false])) as { hash: string };
    fs.mkdirSync(DIR, { recursive: true });
    // a fresh state file per network: the node starts empty each time, an old state would not match it
    const tag = head.hash.slice(2, 10);
    const stateFiles: Record<string, string> = {};
    for (let i = 1; i < DEV_KEYS.length; i++)
      stateFiles[String(i)] = path.join(DIR, `localnet-${tag}-trader${i}.state.json`);
    const book: Book = {
      rpc: node.url,
      ws: node.url.replace(/^http/, "ws"),
      chainId: chainId.toString(),
      deploymentBlock: sys.deploymentBlock,
      addresses: sys.addresses,
      markets: sys.params.markets.map((m) => m.name),
      collateral: sys.params.collateral.map((c) => c.symbol),
      stateFiles,
      startedAt: new Date().toISOString(),
      pid: process.pid,
    };
    fs.writeFileSync(BOOK, `${JSON.stringify(book, null, 2)}\n`);
    const fund = sys.fund;
    const liquidity = await fund.totalAssets();
    process.stdout.write(
      [
        `zkmargin localnet: chain ${chainId} at ${node.url}; address book ${path.relative(process.cwd(), BOOK) || BOOK}`,
        `dev accounts 1-9 hold 1,000,000 of each test token (${book.collateral.join(", ")}); the insurance fund holds ${Number(liquidity) / 1e6} ${book.collateral[0]}`,
        `markets ${book.markets.join(", ")}; move them with \`npm run localnet -- price ETH 2900\` and time with \`npm run localnet -- time +1h\``,
        `# in another terminal: eval "$(npm run -s localnet -- env)"   (or paste:)`,
        envLines(book, 1),
        "# Ctrl-C stops the network",
        "",
      ].join("\n"),
    );
  } catch (e) {
    await node.stop();
    throw e;
  }
  await new Promise(() => undefined); // until a signal
}

async function refreshFeeds(b: Book, set: Record<string, bigint> = {}): Promise<string[]> {
  const w = devWallet(b.rpc, 0);
  const done: string[] = [];
  const feeds = [
    ...b.markets.map((m) => ({ name: m, addr: b.addresses[`feed.${m}`] })),
    ...b.collateral.map((c) => ({ name: c, addr: b.addresses[`feed.collateral.${c}`] })),
  ];
  for (const f of feeds) {
    const agg = TestAggregator__factory.connect(f.addr, w);
    const next = set[f.name] ?? (await agg.answer());
    await (await agg.setAnswer(next)).wait();
    if (set[f.name] !== undefined) done.push(`${f.name} ${(Number(next) / 1e8).toFixed(2)}`);
  }
  return done;
}

/** "2900", "2900.5" -> 8-decimal integer. */
function price8(s: string): bigint {
  if (!/^\d+(\.\d{1,8})?$/.test(s)) throw new UsageError(`price "${s}" is not a positive number (up to 8 decimals)`);
  const [w, f = ""] = s.split(".");
  const v = BigInt(w) * 10n ** 8n + BigInt(f.padEnd(8, "0"));
  if (v <= 0n) throw new UsageError("a price must be greater than 0");
  return v;
}

async function price(args: string[]): Promise<void> {
  const [name, value] = args;
  if (!name || !value) throw new UsageError("usage: npm run localnet -- price <ETH|BTC|SOL|ARB|USDC|WETH> <price>");
  const b = readBook();
  const n = name.toUpperCase();
  const p = price8(value);
  const set: Record<string, bigint> = {};
  if (b.markets.includes(n)) {
    set[n] = p;
    const wrapped = b.collateral.find((c) => c === `W${n}`);
    if (wrapped) set[wrapped] = p; // WETH collateral is ETH
  } else if (b.collateral.includes(n)) {
    set[n] = p;
  } else {
    throw new UsageError(
      `unknown price "${name}": markets ${b.markets.join(", ")}, collateral ${b.collateral.join(", ")}`,
    );
  }
  const done = await refreshFeeds(b, set);
  process.stdout.write(`price set: ${done.join(", ")} (every other feed refreshed)\n`);
}

async function time(args: string[]): Promise<void> {
  const m = /^\+?(\d+)(s|m|min|h|d)?$/.exec(args[0] ?? "");
  if (!m) throw new UsageError("usage: npm run localnet -- time +<n>[s|m|h|d], e.g. time +1h");
  const seconds = Number(m[1]) * { s: 1, m: 60, min: 60, h: 3600, d: 86_400 }[(m[2] ?? "s") as "s"];
  const b = readBook();
  if (seconds > 0) {
    await rpc(b.rpc, "evm_increaseTime", [seconds]);
    await rpc(b.rpc, "evm_mine");
  }
  await refreshFeeds(b);
  const head = (await rpc(b.rpc, "eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  process.stdout.write(
    `chain time moved by ${seconds} s to ${new Date(Number(head.timestamp) * 1000).toISOString()}; every feed refreshed\n`,
  );
}

async function main(argv: string[]): Promise<void> {
  const args = [...argv];
  if (args.includes("--help") || args[0] === "help") {
    process.stdout.write(
      "usage: npm run localnet [-- start [--port N] | env [--account N] | price NAME P | time +1h]\n",
    );
    return;
  }
  const cmd = args[0] && !args[0].startsWith("--") ? args.shift()! : "start";
  if (cmd === "start") return start(args);
  if (cmd === "env") {
    const acct = Number(flag(args, "--account") ?? 1);
    process.stdout.write(`${envLines(readBook(), acct)}\n`);
    return;
  }
  if (cmd === "price") return price(args);
  if (cmd === "time") return time(args);
  throw new UsageError(`unknown command "${cmd}": start, env, price or time`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(
      `localnet: ${e instanceof UsageError ? e.message : e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
