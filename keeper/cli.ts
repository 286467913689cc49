/**
 * zkmargin keeper CLI:
 *   npx ts-node --transpile-only keeper/cli.ts run    --config keeper.json   # loop until SIGINT/SIGTERM
 *   npx ts-node --transpile-only keeper/cli.ts once   --config keeper.json   # one round each, JSON summary
 *   npx ts-node --transpile-only keeper/cli.ts status --config keeper.json   # index, auctions, P&L (read-only)
 * The signing key comes from ZKMARGIN_KEEPER_KEY or keyFile. Logs: pino JSON lines on stderr; command
 * output on stdout. Exit codes: 0 ok, 1 unexpected, 2 bad config, 3 RPC unreachable (once/status), 4 no
 * registry or foreign checkpoint, 5 checkpoint locked by another keeper, 6 transaction failure.
 */
import { packageVersion } from "../core/version";
import { Command, Option } from "commander";
import type { Logger } from "pino";
import { type App, openApp } from "./app";
import { type ConfigFlags, type LoadedConfig, describeConfig, loadConfig } from "./config";
import { exitCodeOf, findKeeperError, messageOf } from "./errors";
import { loadCheckpoint } from "./index/checkpoint";
import { acquireLock } from "./lock";
import { createLogger, toJson } from "./log";
import { Metrics, serveMetrics } from "./metrics";
import { runFleet } from "./run";
import { type StatusReport, statusOf } from "./status";

interface CommonOptions {
  config?: string;
  rpcUrl?: string;
  registry?: string;
  lens?: string;
  keyFile?: string;
  startBlock?: string;
  confirmations?: string;
  pollIntervalMs?: string;
  batchSize?: string;
  checkpoint?: string;
  deployment?: string;
  metricsPort?: string;
  dryRun?: boolean;
  logLevel?: string;
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

function flagsOf(o: CommonOptions): ConfigFlags {
  return {
    rpcUrl: o.rpcUrl,
    registry: o.registry,
    lens: o.lens,
    keyFile: o.keyFile,
    startBlock: num(o.startBlock),
    confirmations: num(o.confirmations),
    pollIntervalMs: num(o.pollIntervalMs),
    batchSize: num(o.batchSize),
    checkpointFile: o.checkpoint,
    dryRun: o.dryRun,
    logLevel: o.logLevel,
    metrics: o.metricsPort === undefined ? undefined : { port: Number(o.metricsPort) },
  };
}

function withCommon(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "JSON config file (see keeper/keeper.example.json)")
    .option("--rpc-url <url>", "JSON-RPC endpoint (env ZKMARGIN_KEEPER_RPC_URL)")
    .option("--registry <address>", "ZkMarginRegistry address (env ZKMARGIN_KEEPER_REGISTRY)")
    .option("--lens <address>", "RegistryLens address")
    .option("--key-file <file>", "file holding the signing key (or env ZKMARGIN_KEEPER_KEY)")
    .option("--start-block <n>", "first block to index")
    .option("--confirmations <n>", "reorg-safety depth")
    .option("--poll-interval-ms <n>", "time between rounds")
    .option("--batch-size <n>", "accounts per transaction")
    .option("--checkpoint <file>", "checkpoint file")
    .option("--deployment <name>", "only this deployment of the config")
    .option("--metrics-port <n>", "serve /metrics and /healthz on 127.0.0.1:<n> (run)")
    .option("--dry-run", "log what would be sent and its expected profit, send nothing")
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
  if (o.deployment !== undefined) {
    const d = loaded.config.deployments.filter((x) => x.name === o.deployment);
    if (d.length === 0) fail(new Error(`no deployment named ${o.deployment}`));
    return { ...loaded, config: { ...loaded.config, deployments: d } };
  }
  return loaded;
}

function locks(loaded: LoadedConfig) {
  const held = loaded.config.deployments.map((d) => acquireLock(d.checkpointFile));
  return { release: () => held.forEach((l) => l.release()) };
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
  const lock = locks(loaded);
  const metrics = new Metrics();
  try {
    const c = loaded.config;
    const fleet = runFleet(
      c.deployments,
      loaded.key,
      log!,
      { signer: true, metrics, heartbeatRounds: c.heartbeatRounds },
      ac.signal,
    );
    const server =
      c.metrics.port === undefined
        ? undefined
        : await serveMetrics(metrics, fleet.health, c.metrics.port, c.metrics.host);
    if (server) log!.info({ port: server.port, host: c.metrics.host }, "metrics on /metrics, health on /healthz");
    await fleet.done;
    await server?.close();
  } finally {
    lock.release();
  }
  log!.info("keeper stopped");
}

async function eachApp<T>(loaded: LoadedConfig, signer: boolean, fn: (app: App) => Promise<T>): Promise<T[]> {
  const lock = signer ? locks(loaded) : undefined;
  const apps: App[] = [];
  try {
    for (const d of loaded.config.deployments)
      apps.push(await openApp(d, loaded.key, log!, { signer, heartbeatRounds: loaded.config.heartbeatRounds }));
    return await Promise.all(apps.map(fn));
  } finally {
    for (const a of apps) a.close();
    lock?.release();
  }
}

async function once(o: CommonOptions): Promise<void> {
  const loaded = setup(o, true);
  const out = await eachApp(loaded, true, async (app) => {
    const s = await app.keeper.round();
    await app.keeper.saveCheckpoint(true);
    return { ...s, pnl: app.keeper.pnl() };
  });
  process.stdout.write(`${toJson(out.length === 1 ? out[0] : out)}\n`);
}

async function status(o: CommonOptions & { offline?: boolean }): Promise<void> {
  const loaded = setup(o, false);
  if (o.offline) {
    const out = loaded.config.deployments.map((d) => {
      const cp = loadCheckpoint(d.checkpointFile);
      return cp.kind === "ok"
        ? {
            deployment: d.name,
            registry: d.registry,
            block: cp.checkpoint.block,
            accounts: cp.checkpoint.accounts.size,
          }
        : { deployment: d.name, registry: d.registry, checkpoint: cp.kind };
    });
    process.stdout.write(`${toJson(out.length === 1 ? out[0] : out)}\n`);
    return;
  }
  const out: StatusReport[] = await eachApp(loaded, false, (app) => statusOf(app));
  process.stdout.write(`${toJson(out.length === 1 ? out[0] : out)}\n`);
}

const program = new Command()
  .name("zkmargin-keeper")
  .version(packageVersion(), "-V, --version", "print the version")
  .description("Challenges broken certificates, liquidates expired challenges, takes auctions, repays and pokes")
  .showHelpAfterError();
withCommon(program.command("run").description("run rounds until SIGINT/SIGTERM")).action((o: CommonOptions) =>
  run(o).catch(fail),
);
withCommon(program.command("once").description("run one round and print its JSON summary")).action((o: CommonOptions) =>
  once(o).catch(fail),
);
withCommon(program.command("status").description("print the index, auctions and P&L (read-only)"))
  .option("--offline", "only read the checkpoint files")
  .action((o: CommonOptions & { offline?: boolean }) => status(o).catch(fail));

program.parseAsync(process.argv).catch(fail);
