#!/usr/bin/env node
/**
 * zkmargin trader CLI: every trader action, the private status view, backups and the daemon.
 * Secrets never go on the command line: the key comes from ZKMARGIN_PRIVATE_KEY or --key-file, the
 * passphrase from ZKMARGIN_PASSPHRASE or --passphrase-file. Exit codes: 0 ok, 1 failure, 2 bad input.
 */
import * as fs from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { JsonRpcProvider, NonceManager, Wallet, parseUnits } from "ethers";
import pino from "pino";
import { z } from "zod";
import { ModelError, SIZE_DECIMALS, Side, type Trade, VALUE_DECIMALS } from "./model";
import { loadKeys } from "./lib/circuits";
import { ProverError, ProverErrorCode } from "./lib/errors";
import { DEFAULT_DAEMON, Daemon } from "./daemon/daemon";
import { MARKET_NAMES, fmtValue, renderStatus, statusView } from "./service/status";
import { TraderService } from "./service/trader";
import { StoreError, StoreErrorCode } from "./store/errors";

const BAD_INPUT_CODES = new Set<string>([
  ProverErrorCode.BadInput,
  StoreErrorCode.NotFound,
  StoreErrorCode.AlreadyExists,
  StoreErrorCode.WrongPassphrase,
]);

class InputError extends Error {}

const Globals = z.object({
  rpc: z
    .string({ error: "--rpc is required (or set ZKMARGIN_RPC)" })
    .url({ message: "--rpc must be a URL (or set ZKMARGIN_RPC)" }),
  registry: z
    .string({ error: "--registry is required (or set ZKMARGIN_REGISTRY)" })
    .regex(/^0x[0-9a-fA-F]{40}$/, "--registry must be a 0x address (or set ZKMARGIN_REGISTRY)"),
  state: z.string().min(1),
  build: z.string().optional(),
  keyFile: z.string().optional(),
  passphraseFile: z.string().optional(),
});
type Globals = z.infer<typeof Globals>;

function secret(envName: string, file: string | undefined, what: string): string {
  if (file) {
    if (!fs.existsSync(file)) throw new InputError(`${what} file ${file} does not exist`);
    return fs.readFileSync(file, "utf8").trim();
  }
  const v = process.env[envName];
  if (!v)
    throw new InputError(
      `no ${what}: set ${envName} or pass --${what === "private key" ? "key-file" : "passphrase-file"}`,
    );
  return v;
}

function globals(cmd: Command): Globals {
  const o = cmd.optsWithGlobals();
  const r = Globals.safeParse({
    rpc: o.rpc ?? process.env.ZKMARGIN_RPC,
    registry: o.registry ?? process.env.ZKMARGIN_REGISTRY,
    state: o.state ?? process.env.ZKMARGIN_STATE ?? "zkmargin-state.json",
    build: o.build,
    keyFile: o.keyFile,
    passphraseFile: o.passphraseFile,
  });
  if (!r.success) throw new InputError(r.error.issues.map((i) => i.message).join("; "));
  return r.data;
}

async function connect(cmd: Command, create = false, hold = true): Promise<TraderService> {
  const g = globals(cmd);
  const key = secret("ZKMARGIN_PRIVATE_KEY", g.keyFile, "private key");
  const passphrase = secret("ZKMARGIN_PASSPHRASE", g.passphraseFile, "passphrase");
  let wallet: Wallet;
  try {
    wallet = new Wallet(key);
  } catch (e) {
    throw new InputError(`invalid private key: ${(e as Error).message.split(" (")[0]}`);
  }
  // NonceManager: ethers caches identical nonce queries for 250 ms, so back-to-back sends would collide
  const signer = new NonceManager(
    wallet.connect(
      new JsonRpcProvider(g.rpc, undefined, {
        staticNetwork: await network(g.rpc),
        pollingInterval: 250,
        cacheTimeout: -1,
      }),
    ),
  );
  const logger = pino({ level: process.env.LOG_LEVEL ?? "info" }, pino.destination(2));
  const keys = await loadKeys(g.build);
  const o = { stateFile: g.state, passphrase, signer, registry: g.registry, keys, logger };
  return create ? TraderService.init(o) : TraderService.open(o, hold);
}

async function network(rpc: string) {
  const probe = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
  try {
    return await Promise.race([
      probe.getNetwork(),
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(new Error(`the RPC endpoint ${rpc} did not answer within 10 s`)), 10_000),
      ),
    ]);
  } finally {
    probe.destroy();
  }
}

function market(s: string): number {
  const byName = MARKET_NAMES.indexOf(s.toUpperCase());
  const j = byName >= 0 ? byName : /^\d+$/.test(s) ? Number(s) : -1;
  if (j < 0 || j >= MARKET_NAMES.length)
    throw new InputError(
      `unknown market "${s}": use one of ${MARKET_NAMES.join(", ")} or 0-${MARKET_NAMES.length - 1}`,
    );
  return j;
}

function size(s: string): bigint {
  if (!/^\d+(\.\d+)?$/.test(s)) throw new InputError(`size "${s}" is not a positive decimal number`);
  if ((s.split(".")[1]?.length ?? 0) > SIZE_DECIMALS)
    throw new InputError(`size "${s}" has more than ${SIZE_DECIMALS} decimals`);
  const q = parseUnits(s, SIZE_DECIMALS);
  if (q <= 0n) throw new InputError("size must be greater than 0");
  return q;
}

async function asset(
  t: TraderService,
  s: string,
  amount: string,
): Promise<{ asset: bigint; amount: bigint; symbol: string }> {
  const view = await t.read();
  const symbols = view.symbols;
  const i = symbols.findIndex((x) => x.toUpperCase() === s.toUpperCase());
  const idx = i >= 0 ? i : /^\d+$/.test(s) && Number(s) < symbols.length ? Number(s) : -1;
  if (idx < 0) throw new InputError(`unknown asset "${s}": use one of ${symbols.join(", ")}`);
  if (!/^\d+(\.\d+)?$/.test(amount)) throw new InputError(`amount "${amount}" is not a positive decimal number`);
  const decimals = view.decimals[idx];
  if ((amount.split(".")[1]?.length ?? 0) > decimals)
    throw new InputError(`amount "${amount}" has more than ${decimals} decimals (${symbols[idx]})`);
  const a = parseUnits(amount, decimals);
  if (a <= 0n) throw new InputError("amount must be greater than 0");
  return { asset: BigInt(idx), amount: a, symbol: symbols[idx] };
}

/**
 * Runs a command with the account open, closing (unlocking) it afterwards. Commands that change the
 * private state hold the lock throughout; read-only ones (`hold` false) run beside a daemon.
 */
function withTrader(fn: (t: TraderService, ...args: string[]) => Promise<void>, hold = true) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const t = await connect(cmd, false, hold);
    try {
      await fn(t, ...(args.slice(0, -2) as string[]));
    } finally {
      t.close();
    }
  };
}

async function trade(t: TraderService, tr: Trade, what: string): Promise<void> {
  const r = await t.update({ trade: tr });
  console.log(`${what}: done (tx ${r.txHash}, proof ${Math.round(r.proveMs)} ms; realised PnL stays private in cash)`);
}

/** A settlement amount in quote units ("all" settles the whole cash balance), signed like the cash. */
function settleAmount(t: TraderService, text: string): bigint {
  const cash = t.state.cash;
  if (text === "all") return cash;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new InputError(`settle amount "${text}" is not "all" or a positive number`);
  const v = parseUnits(text, VALUE_DECIMALS);
  if (v > (cash < 0n ? -cash : cash)) {
    throw new InputError(`cannot settle ${text}: the cash balance is ${fmtValue(cash)}`);
  }
  return cash < 0n ? -v : v;
}

export function program(): Command {
  const p = new Command("zkmargin-prover")
    .description("Keep a private zkmargin account alive: trade, prove, answer challenges.")
    .option("--rpc <url>", "JSON-RPC endpoint (env ZKMARGIN_RPC)")
    .option("--registry <address>", "registry address (env ZKMARGIN_REGISTRY)")
    .option("--state <file>", "encrypted private state file (env ZKMARGIN_STATE)", undefined)
    .option("--build <dir>", "directory with circuits and keys (default: ./build)")
    .option("--key-file <file>", "file holding the private key (else env ZKMARGIN_PRIVATE_KEY)")
    .option("--passphrase-file <file>", "file holding the state passphrase (else env ZKMARGIN_PASSPHRASE)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  p.command("init")
    .description("create the encrypted state file and open the account on chain")
    .action(async (_o, cmd: Command) => {
      const t = await connect(cmd, true);
      console.log(
        `account ${t.account} opened; private state in ${t.store.file} (back it up: losing it loses the account)`,
      );
      t.close();
    });
  p.command("deposit <asset> <amount>")
    .description("deposit collateral, e.g. `deposit USDC 1000`")
    .action(
      withTrader(async (t, a, amt) => {
        const x = await asset(t, a, amt);
        await t.deposit(x.asset, x.amount);
        console.log(`deposited ${amt} ${x.symbol}`);
      }, false),
    );
  p.command("withdraw <asset> <amount>")
    .description("withdraw collateral (proves the rest still meets initial margin)")
    .option("--settle <amount>", "also settle this much cash (quote units, or `all`) into collateral")
    .action(async (a: string, amt: string, o: { settle?: string }, cmd: Command) =>
      withTrader(async (t) => {
        const x = await asset(t, a, amt);
        const settle = o.settle ? settleAmount(t, o.settle) : 0n;
        const r = await t.update({
          trade: { kind: "none" },
          settle,
          withdraw: { asset: Number(x.asset), amount: x.amount },
        });
        console.log(`withdrew ${amt} ${x.symbol} (tx ${r.txHash})`);
      })(cmd, cmd),
    );
  p.command("settle [amount]")
    .description("settle realised cash into collateral (gains paid by the fund, losses taken); default all")
    .action(async (amount: string | undefined, _o: unknown, cmd: Command) =>
      withTrader(async (t) => {
        const settle = settleAmount(t, amount ?? "all");
        if (settle === 0n) throw new InputError("the cash balance is 0: nothing to settle");
        const r = await t.update({ trade: { kind: "none" }, settle });
        const owed =
          r.owedTokens > 0n
            ? ` (the fund is short: ${r.owedTokens} base units are owed and paid to this address later)`
            : "";
        console.log(`settled ${fmtValue(settle)} (tx ${r.txHash})${owed}`);
      })(cmd, cmd),
    );
  p.command("open <market> <side> <size>")
    .description("open a position at the oracle price, e.g. `open ETH long 1.5`")
    .action(
      withTrader(async (t, m, sideText, s) => {
        if (!["long", "short"].includes(sideText))
          throw new InputError(`side must be long or short, not "${sideText}"`);
        const j = market(m);
        if (t.state.markets[j].size !== 0n)
          throw new InputError(`a ${MARKET_NAMES[j]} position is already open: use increase, reduce or close`);
        await trade(
          t,
          { kind: "increase", market: j, size: size(s), side: sideText === "long" ? Side.Long : Side.Short },
          `open ${sideText} ${s} ${MARKET_NAMES[j]}`,
        );
      }),
    );
  p.command("increase <market> <size>")
    .description("add to an open position at the oracle price")
    .action(
      withTrader(async (t, m, s) =>
        trade(t, { kind: "increase", market: market(m), size: size(s) }, `increase ${m} by ${s}`),
      ),
    );
  p.command("reduce <market> <size>")
    .description("reduce an open position at the oracle price (realises PnL)")
    .action(
      withTrader(async (t, m, s) =>
        trade(t, { kind: "reduce", market: market(m), size: size(s) }, `reduce ${m} by ${s}`),
      ),
    );
  p.command("close <market>")
    .description("close a position completely")
    .action(
      withTrader(async (t, m) => {
        const j = market(m);
        const q = t.state.markets[j].size;
        if (q === 0n) throw new InputError(`no ${MARKET_NAMES[j]} position to close`);
        await trade(t, { kind: "reduce", market: j, size: q }, `close ${MARKET_NAMES[j]}`);
      }),
    );
  p.command("prove")
    .description("refresh the certificate at current prices")
    .action(withTrader(async (t) => console.log(`certificate proven (tx ${await t.prove()})`), false));
  p.command("respond")
    .description("answer an open challenge by hand: a certificate, else a private deleverage")
    .action(
      withTrader(async (t) => {
        const view = await t.read();
        const rec = await t.openChallenge(view);
        if (!rec) throw new InputError("the account has no open challenge");
        const a = await t.answer(rec, view);
        if (a.kind === "none") throw new ProverError(ProverErrorCode.BadInput, a.reason);
        console.log(`answered with a ${a.kind} (tx ${await t.sendAnswer(rec, a)})`);
      }),
    );
  p.command("claim")
    .description("after a liquidation: claim up to equity minus the penalty (rounded, so it does not publish equity)")
    .option("--amount <quote>", "claim exactly this much (quote units)")
    .option("--digits <n>", "round the default claim down to n significant digits", "2")
    .action(async (o: { amount?: string; digits: string }, cmd: Command) =>
      withTrader(async (t) => {
        const digits = Number(o.digits);
        if (!Number.isInteger(digits) || digits < 1) throw new InputError("--digits must be a positive integer");
        const amount = o.amount === undefined ? undefined : parseUnits(o.amount, VALUE_DECIMALS);
        const r = await t.claim({ amount, digits });
        console.log(
          `claimed ${fmtValue(r.claimed)} of at most ${fmtValue(r.claimable)}; paid ${r.paid} settlement base units now (tx ${r.txHash})`,
        );
      }, false)(cmd, cmd),
    );
  p.command("status")
    .description("the private view: positions, equity, margin ratio, liquidation prices")
    .option("--json", "machine-readable output")
    .action(
      withTrader(async (t) => {
        const v = await statusView(t);
        const json = (p.commands.find((c) => c.name() === "status")!.opts() as { json?: boolean }).json;
        console.log(
          json ? JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 1) : renderStatus(v),
        );
      }, false),
    );
  p.command("export <file>")
    .description("write an encrypted backup of the private state (verified after writing)")
    .action(
      withTrader(async (t, file) => {
        t.store.exportBackup(file);
        console.log(`backup written to ${file}`);
      }, false),
    );
  p.command("daemon")
    .description("answer challenges, refresh proofs and warn near liquidation, until stopped")
    .addOption(new Option("--poll-ms <ms>", "tick interval").default(String(DEFAULT_DAEMON.pollMs)))
    .addOption(new Option("--warn-pct <percent>", "warn within this distance of the liquidation price").default("10"))
    .option("--webhook <url>", "POST warnings to this URL")
    .action(async (o: { pollMs: string; warnPct: string; webhook?: string }, cmd: Command) => {
      const pollMs = Number(o.pollMs);
      const warnPct = Number(o.warnPct);
      if (!Number.isInteger(pollMs) || pollMs < 50) throw new InputError("--poll-ms must be an integer >= 50");
      if (!(warnPct > 0 && warnPct < 100)) throw new InputError("--warn-pct must be between 0 and 100");
      if (o.webhook && !z.string().url().safeParse(o.webhook).success) throw new InputError("--webhook must be a URL");
      const t = await connect(cmd, false, false);
      const log = pino({ level: process.env.LOG_LEVEL ?? "info" });
      const ctrl = new AbortController();
      for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => ctrl.abort());
      try {
        await new Daemon(
          t,
          { ...DEFAULT_DAEMON, pollMs, warnBps: Math.round(warnPct * 100), webhook: o.webhook },
          log,
        ).run(ctrl.signal);
      } finally {
        t.close();
      }
    });
  return p;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const code = e instanceof StoreError || e instanceof ProverError || e instanceof ModelError ? e.code : undefined;
    console.error(`error${code ? ` [${code}]` : ""}: ${(e as Error).message}`);
    return e instanceof InputError || (code !== undefined && BAD_INPUT_CODES.has(code)) || e instanceof ModelError
      ? 2
      : 1;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
    // snarkjs keeps worker threads: leave once the command is done
    setTimeout(() => process.exit(code), 50).unref();
  });
}
