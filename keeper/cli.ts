/**
 * zkmargin keeper CLI:
 *   npx ts-node --transpile-only keeper/cli.ts run    --config keeper.json   # loop until SIGINT/SIGTERM
 *   npx ts-node --transpile-only keeper/cli.ts once   --config keeper.json   # one round, JSON summary
 *   npx ts-node --transpile-only keeper/cli.ts status --config keeper.json   # index summary (read-only)
 * The signing key comes from ZKMARGIN_KEEPER_KEY or keyFile. Logs: pino JSON lines on stderr; command
 * output on stdout. Exit codes: 0 ok, 1 unexpected, 2 bad config, 3 RPC unreachable, 4 no registry or
 * foreign checkpoint, 5 checkpoint locked by another keeper, 6 transaction failure.
 */
import { Command, Option } from "commander";
import type { Logger } from "pino";
import { type App, openApp } from "./app";
import { type ConfigFlags, type LoadedConfig, describeConfig, loadConfig } from "./config";
import { exitCodeOf, findKeeperError, messageOf } from "./errors";
import { loadCheckpoint } from "./index/checkpoint";
import { acquireLock } from "./lock";
import { createLogger, toJson } from "./log";
import { runLoop } from "./run";

interface CommonOptions {
  config?: string;
  rpcUrl?: string;
  registry?: string;
  keyFile?: string;
  startBlock?: string;
  confirmations?: string;
  pollIntervalMs?: string;
  batchSize?: string;
  checkpoint?: string;
  dryRun?: boolean;
  logLevel?: string;
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

function flagsOf(o: CommonOptions): ConfigFlags {
  return {
    rpcUrl: o.rpcUrl,
    registry: o.registry,
    keyFile: o.keyFile,
    startBlock: num(o.startBlock),
    confirmations: num(o.confirmations),
    pollIntervalMs: num(o.pollIntervalMs),
    batchSize: num(o.batchSize),
    checkpointFile: o.checkpoint,
    dryRun: o.dryRun,
    logLevel: o.logLevel,
  };
}

function withCommon(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "JSON config file (see keeper/keeper.example.json)")
    .option("--rpc-url <url>", "JSON-RPC endpoint (env ZKMARGIN_KEEPER_RPC_URL)")
    .option("--registry <address>", "ZkMarginRegistry address (env ZKMARGIN_KEEPER_REGISTRY)")
    .option("--key-file <file>", "file holding the signing key (or env ZKMARGIN_KEEPER_KEY)")
    .option("--start-block <n>", "first block to index")
    .option("--confirmations <n>", "reorg-safety depth")
    .option("--poll-interval-ms <n>", "time between rounds")
    .option("--batch-size <n>", "accounts per transaction")
    .option("--checkpoint <file>", "checkpoint file")
    .option("--dry-run", "log what would be sent, send nothing")
    .addOption(
      new Option("--log-level <level>", "log level").choices([
        "silent",
        "fatal",
        "error",
        "warn",
        "info",
        "debug",
        "trace",
      ]),
    );
}

let log: Logger | undefined;

function fail(e: unknown): never {
  const k = findKeeperError(e);
  const code = k?.code ?? "UNEXPECTED";
  if (log) log.fatal({ code, error: messageOf(e), ...(k ? {} : { stack: (e as Error).stack }) }, "keeper stopped");
  process.stderr.write(`keeper: ${code}: ${k ? k.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(exitCodeOf(e));
}

function setup(o: CommonOptions, requireKey: boolean): LoadedConfig {
  const loaded = loadConfig({ file: o.config, flags: flagsOf(o), requireKey });
  log = createLogger(loaded.config.logLevel);
  log.debug({ config: describeConfig(loaded.config) }, "config loaded");
  return loaded;
}

async function withApp<T>(loaded: LoadedConfig, signer: boolean, fn: (app: App) => Promise<T>): Promise<T> {
  const lock = signer ? acquireLock(loaded.config.checkpointFile) : undefined;
  let app: App | undefined;
  try {
    app = await openApp(loaded, log!, { signer });
    return await fn(app);
  } finally {
    app?.close();
    lock?.release();
  }
}

async function run(o: CommonOptions): Promise<void> {
  const loaded = setup(o, true);
  const ac = new AbortController();
  const onSignal = (signal: string) => {
    if (ac.signal.aborted) {
      log!.warn({ signal }, "second signal: exiting without the final checkpoint");
      process.exit(130);
    }
    log!.info({ signal }, "stopping after the current round");
    ac.abort();
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  await withApp(loaded, true, (app) => runLoop(app.keeper, loaded.config.pollIntervalMs, log!, ac.signal));
  log!.info("keeper stopped");
}

async function once(o: CommonOptions): Promise<void> {
  const loaded = setup(o, true);
  const summary = await withApp(loaded, true, async (app) => {
    const s = await app.keeper.round();
    await app.keeper.saveCheckpoint(true);
    return s;
  });
  process.stdout.write(`${toJson(summary)}\n`);
}

async function status(o: CommonOptions & { offline?: boolean }): Promise<void> {
  const loaded = setup(o, false);
  const c = loaded.config;
  const cp = loadCheckpoint(c.checkpointFile);
  const checkpoint =
    cp.kind === "ok"
      ? { file: c.checkpointFile, block: cp.checkpoint.block, accounts: cp.checkpoint.accounts.size }
      : { file: c.checkpointFile, state: cp.kind };
  if (o.offline) {
    process.stdout.write(`${toJson({ registry: c.registry, checkpoint })}\n`);
    return;
  }
  const out = await withApp(loaded, false, async (app) => {
    const s = await app.keeper.round();
    const p = app.keeper.params!;
    return {
      registry: c.registry,
      keeper: app.me ?? null,
      checkpoint,
      head: s.block,
      finalizedBlock: s.finalizedBlock,
      accounts: s.counts,
      ourOpenChallenges: s.ourOpenChallenges,
      bondsAtRiskWei: BigInt(s.ourOpenChallenges) * p.bond,
      candidates: s.candidates,
      paused: s.paused,
      params: p,
      ...(s.oracleError ? { oracleError: s.oracleError } : {}),
    };
  });
  process.stdout.write(`${toJson(out)}\n`);
}

const program = new Command()
  .name("zkmargin-keeper")
  .description("Challenges stale zkmargin accounts and liquidates expired challenges")
  .showHelpAfterError();
withCommon(program.command("run").description("run rounds until SIGINT/SIGTERM")).action((o: CommonOptions) =>
  run(o).catch(fail),
);
withCommon(program.command("once").description("run one round and print its JSON summary")).action((o: CommonOptions) =>
  once(o).catch(fail),
);
withCommon(program.command("status").description("print an index summary (read-only)"))
  .option("--offline", "only read the checkpoint file")
  .action((o: CommonOptions & { offline?: boolean }) => status(o).catch(fail));

program.parseAsync(process.argv).catch(fail);
