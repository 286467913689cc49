/**
 * The trader CLI's commands and options. Arguments are checked before anything connects; the heavy
 * modules (ethers, snarkjs, the contract types) load only when a command runs, so `--help` and
 * `--version` answer at once. Results go to stdout (text, or one JSON document with --json); progress
 * and logs to stderr (text or JSON lines, --log-format). Exit codes: 0 ok, 1 failure, 2 bad input.
 */
import { Command, CommanderError, Option } from "commander";
import { packageVersion } from "../../core/version";
import {
  InputError,
  MARKETS,
  type RawGlobals,
  durationSeconds,
  market,
  parseGlobals,
  positiveInt,
  side,
  size,
} from "./args";
import type { Ctx, Result } from "./commands";

export interface Io {
  out(s: string): void;
  err(s: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** Stops the daemon (SIGINT/SIGTERM in a real process). */
  readonly signal?: AbortSignal;
}

export const processIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
});

export const version = packageVersion;

/** Codes of the prover's errors that mean the input was wrong (exit 2). */
const BAD_INPUT = new Set([
  "BAD_INPUT",
  "STATE_NOT_FOUND",
  "STATE_EXISTS",
  "WRONG_PASSPHRASE",
  "STATE_OLD_FORMAT",
  "ACCOUNT_NOT_OPENED",
  "ACCOUNT_LIQUIDATED",
  "OUT_OF_RANGE",
  "BAD_SHAPE",
  "REDUCE_TOO_LARGE",
  "SIDE_FLIP",
  "SETTLE_TOO_LARGE",
  "MARGIN_BREACHED",
  "NEGATIVE_EQUITY",
]);

/** ethers' and Node's codes: explained in a sentence instead of shown as a code. */
const ETHERS_OR_ERRNO =
  /^(CALL_EXCEPTION|SERVER_ERROR|NETWORK_ERROR|TIMEOUT|UNKNOWN_ERROR|BAD_DATA|INSUFFICIENT_FUNDS|NONCE_EXPIRED|REPLACEMENT_UNDERPRICED|TRANSACTION_REPLACED|ACTION_REJECTED|E[A-Z]+|UND_ERR_[A-Z_]+)$/;

type Action = (ctx: Ctx, cmd: Command) => Promise<Result>;

export function program(io: Io, done: (r: Result) => void): Command {
  const p = new Command("zkm")
    .description("Keep a private zkmargin account alive: trade, prove, answer challenges.")
    .version(version(), "-V, --version", "print the version")
    .option(
      "--rpc <url>",
      "JSON-RPC endpoint; repeat it (or separate with commas) for fallbacks tried in turn (env ZKMARGIN_RPC)",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option("--ws <url>", "WebSocket endpoint for new heads (daemon; env ZKMARGIN_WS)")
    .option("--registry <address>", "registry address (env ZKMARGIN_REGISTRY)")
    .option("--state <file>", "encrypted private state file (env ZKMARGIN_STATE)")
    .option("--build <dir>", "directory with circuits and keys (default: ./build)")
    .option("--key-file <file>", "file holding the private key (else env ZKMARGIN_PRIVATE_KEY)")
    .option("--passphrase-file <file>", "file holding the state passphrase (else env ZKMARGIN_PASSPHRASE)")
    .option("--from-block <n>", "first block of the deployment (env ZKMARGIN_FROM_BLOCK)")
    .option("--json", "print the result as one JSON document (human units beside raw integers)")
    .addOption(
      new Option("--log-format <format>", "stderr log lines (env ZKMARGIN_LOG_FORMAT)").choices(["text", "json"]),
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError("(run `zkm --help` or `zkm <command> --help`)");

  /**
   * Runs `action` with the account open (the lock held throughout for commands that change the private
   * state: `hold`), after `check` validated the arguments.
   */
  const withAccount =
    (hold: boolean, action: Action, create = false) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const g = parseGlobals(cmd.optsWithGlobals() as RawGlobals, io.env);
      const { secrets, connect } = await import("./connect");
      const s = secrets(g, io.env);
      const { makeLogger } = await import("../service/log");
      const log = makeLogger({ format: g.logFormat, level: io.env.LOG_LEVEL, sink: { write: io.err } });
      const { t } = await connect(g, s, log, { create, hold, role: "cli" });
      try {
        if (create) {
          const { initResult } = await import("./commands");
          return done(initResult(t));
        }
        done(await action({ t, log }, cmd));
      } finally {
        t.close();
      }
    };
  const cmds = () => import("./commands");

  p.command("init")
    .description("create the encrypted state file and open the account on chain")
    .action(withAccount(true, async () => ({ text: "", json: {} }), true));
  p.command("deposit <asset> <amount>")
    .description("deposit collateral from the wallet, e.g. `deposit USDC 1000`")
    .action(withAccount(false, async (c, cmd) => (await cmds()).deposit(c, cmd.args[0], cmd.args[1])));
  p.command("withdraw <asset> <amount>")
    .description("withdraw collateral (what stays must meet initial margin)")
    .option(
      "--settle <amount>",
      "also settle cash into collateral: USD, `all` (rounded to 2 significant digits, private) or `exact`",
    )
    .action(
      withAccount(true, async (c, cmd) =>
        (await cmds()).withdraw(c, cmd.args[0], cmd.args[1], cmd.opts() as { settle?: string }),
      ),
    );
  p.command("settle [amount]")
    .description(
      "settle realised cash into collateral (USD, `all` rounded to 2 significant digits by default, or `exact`): gains paid by the fund, losses taken",
    )
    .action(withAccount(true, async (c, cmd) => (await cmds()).settle(c, cmd.args[0])));
  p.command("open <market> <side> <size>")
    .description(`open a position at the oracle price, e.g. \`open ETH long 1.5\` (markets: ${MARKETS.join(", ")})`)
    .hook("preAction", (_p, cmd) => void (market(cmd.args[0]), side(cmd.args[1]), size(cmd.args[2])))
    .action(
      withAccount(true, async (c, cmd) => {
        const j = market(cmd.args[0]);
        return (await cmds()).open(c, j, side(cmd.args[1]), size(cmd.args[2], j));
      }),
    );
  p.command("increase <market> <size>")
    .description("add to an open position at the oracle price")
    .hook("preAction", (_p, cmd) => void (market(cmd.args[0]), size(cmd.args[1])))
    .action(withAccount(true, async (c, cmd) => (await cmds()).increase(c, market(cmd.args[0]), size(cmd.args[1]))));
  p.command("reduce <market> <size>")
    .description("reduce an open position at the oracle price (realised PnL goes into private cash)")
    .hook("preAction", (_p, cmd) => void (market(cmd.args[0]), size(cmd.args[1])))
    .action(withAccount(true, async (c, cmd) => (await cmds()).reduce(c, market(cmd.args[0]), size(cmd.args[1]))));
  p.command("close <market>")
    .description("close a position completely")
    .hook("preAction", (_p, cmd) => void market(cmd.args[0]))
    .action(withAccount(true, async (c, cmd) => (await cmds()).close(c, market(cmd.args[0]))));
  p.command("prove")
    .description("refresh the certificate at current prices")
    .action(withAccount(false, async (c) => (await cmds()).prove(c)));
  p.command("respond")
    .description("answer an open challenge by hand: a certificate, else a private deleverage")
    .action(withAccount(true, async (c) => (await cmds()).respond(c)));
  p.command("claim")
    .description("after a liquidation: claim up to equity minus the penalty (rounded, so it does not publish equity)")
    .option("--amount <usd>", "claim exactly this much (USD)")
    .option("--digits <n>", "round the default claim down to n significant digits", "2")
    .hook("preAction", (_p, cmd) => void positiveInt((cmd.opts() as { digits: string }).digits, "--digits", 1, 30))
    .action(
      withAccount(false, async (c, cmd) => (await cmds()).claim(c, cmd.opts() as { amount?: string; digits: string })),
    );
  p.command("status")
    .description("the private view: state, collateral, equity, margin usage, positions, liquidation prices")
    .action(withAccount(false, async (c) => (await cmds()).status(c)));
  p.command("risk")
    .description("probability of falling below maintenance within 1 h and 24 h (Monte Carlo), distance in sigmas")
    .option("--paths <n>", "Monte Carlo paths", "10000")
    .option("--seed <n>", "random seed (results are reproducible)", "1")
    .option("--horizons <list>", "comma-separated horizons", "1h,24h")
    .option("--correlation <rho>", "correlation between markets", "0.7")
    .hook("preAction", (_p, cmd) => void riskOpts(cmd.opts()))
    .action(withAccount(false, async (c, cmd) => (await cmds()).risk(c, riskOpts(cmd.opts()))));
  p.command("export <file>")
    .description("write an encrypted backup of the private state (verified after writing)")
    .action(withAccount(false, async (c, cmd) => (await cmds()).exportBackup(c, cmd.args[0])));
  p.command("daemon")
    .description("answer challenges, refresh proofs, alert and act on risk, until stopped")
    .option("--config <file>", "daemon config (JSON: intervals, alerts, dashboard, risk policy)")
    .option("--poll-ms <ms>", "fast interval (near a deadline)")
    .option("--idle-poll-ms <ms>", "slow interval (nothing near)")
    .option("--warn-pct <percent>", "warn within this distance of a liquidation price")
    .option("--webhook <url>", "POST alerts to this URL (private-safe unless --details)")
    .option("--details", "put markets, sides, sizes and prices in logs and webhooks (private!)")
    .option("--dashboard [port]", "serve the local dashboard on 127.0.0.1 (port: any free one by default)")
    .option("--rpc-down-alert-share <fraction>", "alert when no RPC answered for this share of the response window")
    .action(async (_o: unknown, cmd: Command) => {
      const g = parseGlobals(cmd.optsWithGlobals() as RawGlobals, io.env);
      const { daemonOptions, runDaemon } = await import("./daemonCmd");
      daemonOptions(cmd.opts(), g); // bad flags fail before anything connects
      const { secrets } = await import("./connect");
      const s = secrets(g, io.env);
      const { makeLogger } = await import("../service/log");
      const log = makeLogger({ format: g.logFormat, level: io.env.LOG_LEVEL, sink: { write: io.err } });
      const ctrl = new AbortController();
      io.signal?.addEventListener("abort", () => ctrl.abort(), { once: true });
      await runDaemon(g, s, log, cmd.opts(), (line) => io.out(`${line}\n`), ctrl.signal);
      done({ text: "", json: {} });
    });
  return p;
}

function riskOpts(o: { paths: string; seed: string; horizons: string; correlation: string }) {
  const correlation = Number(o.correlation);
  if (!(correlation >= -1 && correlation <= 1)) throw new InputError("--correlation must be between -1 and 1");
  return {
    paths: positiveInt(o.paths, "--paths", 100, 10_000_000),
    seed: positiveInt(o.seed, "--seed", 0),
    horizons: o.horizons.split(",").map((h) => durationSeconds(h, "horizon")),
    correlation,
  };
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let result: Result | undefined;
  const wantsJson = argv.includes("--json");
  try {
    await program(io, (r) => (result = r)).parseAsync(argv);
    if (result && (result.text || Object.keys(result.json).length > 0)) {
      io.out(wantsJson ? `${JSON.stringify({ ok: true, ...result.json }, null, 1)}\n` : `${result.text}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const code = (e as { code?: unknown }).code;
    const coded =
      typeof code === "string" && /^[A-Z][A-Z_]+$/.test(code) && !ETHERS_OR_ERRNO.test(code) ? code : undefined;
    let message = (e as Error).message;
    if (!(e instanceof InputError) && !coded) {
      const { explainError } = await import("../service/explain");
      message = explainError(e, { rpc: io.env.ZKMARGIN_RPC });
    }
    io.err(`error${coded ? ` [${coded}]` : ""}: ${message}\n`);
    const exit = e instanceof InputError || (coded !== undefined && BAD_INPUT.has(coded)) ? 2 : 1;
    if (wantsJson) io.out(`${JSON.stringify({ ok: false, error: { code: coded ?? null, message } })}\n`);
    return exit;
  }
}
