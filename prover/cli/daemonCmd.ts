/**
 * `zkm daemon`: its configuration (a JSON file, then flags), a start that survives a network that is
 * down or flaky (it retries until an endpoint answers and the account opens; only a mistake, such as a
 * wrong passphrase or keys that do not match the deployment, ends it), the state lock waited for when a
 * CLI command holds it, and the optional local dashboard.
 */
import * as fs from "node:fs";
import type { Logger } from "pino";
import { Wallet } from "ethers";
import { z } from "zod";
import { isTransientRpcError } from "../../core/rpcErrors";
import { Alerts } from "../daemon/alerts";
import { DEFAULT_DAEMON, Daemon, type DaemonOptions } from "../daemon/daemon";
import { RiskPolicySchema } from "../daemon/policy";
import { startDashboard } from "../dashboard/server";
import { DashboardState } from "../dashboard/state";
import { RpcUnavailableError } from "../net/provider";
import { explainError } from "../service/explain";
import type { TraderService } from "../service/trader";
import { type Globals, InputError } from "./args";
import { type Secrets, connect } from "./connect";

export const DaemonConfigSchema = z
  .object({
    pollMs: z.number().int().min(50).optional(),
    idlePollMs: z.number().int().min(100).optional(),
    fullTickMs: z.number().int().min(1_000).optional(),
    warnPct: z.number().gt(0).lt(100).optional(),
    webhook: z.string().url().optional(),
    details: z.boolean().optional(),
    rpcDownAlertShare: z.number().gt(0).lte(1).optional(),
    dashboard: z.union([z.literal(false), z.object({ port: z.number().int().min(0).max(65_535) }).strict()]).optional(),
    risk: RiskPolicySchema.optional(),
    /** Hand certificate answers to relayers first (prover/daemon/relay.ts); the daemon falls back to itself. */
    relayers: z
      .object({
        urls: z.array(z.string().url()).min(1),
        fallbackMarginSec: z.number().int().min(0).default(120),
        timeoutMs: z.number().int().min(100).optional(),
      })
      .strict()
      .optional(),
    bumpAfterMs: z.number().int().min(100).optional(),
    maxBumps: z.number().int().min(0).max(20).optional(),
  })
  .strict();
export type DaemonConfig = z.infer<typeof DaemonConfigSchema>;

export interface DaemonFlags {
  config?: string;
  pollMs?: string;
  idlePollMs?: string;
  warnPct?: string;
  webhook?: string;
  details?: boolean;
  dashboard?: string | boolean;
  rpcDownAlertShare?: string;
}

/** The daemon's options from its config file and flags (flags win), checked before anything connects. */
export function daemonOptions(f: DaemonFlags, g: Globals): { options: DaemonOptions; dashboard?: number } {
  let c: DaemonConfig = {};
  if (f.config) {
    if (!fs.existsSync(f.config)) throw new InputError(`daemon config ${f.config} does not exist`);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(f.config, "utf8"));
    } catch (e) {
      throw new InputError(`daemon config ${f.config} is not JSON: ${(e as Error).message}`);
    }
    const r = DaemonConfigSchema.safeParse(raw);
    if (!r.success)
      throw new InputError(
        `daemon config ${f.config}: ${r.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`,
      );
    c = r.data;
  }
  const int = (s: string | undefined, what: string, min: number) => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new InputError(`${what} must be an integer >= ${min}`);
    return n;
  };
  const pollMs = int(f.pollMs, "--poll-ms", 50) ?? c.pollMs ?? DEFAULT_DAEMON.pollMs;
  const idlePollMs =
    int(f.idlePollMs, "--idle-poll-ms", 100) ?? c.idlePollMs ?? Math.max(DEFAULT_DAEMON.idlePollMs, pollMs);
  const warnPct = f.warnPct === undefined ? (c.warnPct ?? 10) : Number(f.warnPct);
  if (!(warnPct > 0 && warnPct < 100)) throw new InputError("--warn-pct must be between 0 and 100");
  const webhook = f.webhook ?? c.webhook;
  if (webhook !== undefined && !z.string().url().safeParse(webhook).success)
    throw new InputError("--webhook must be a URL");
  const share = f.rpcDownAlertShare === undefined ? c.rpcDownAlertShare : Number(f.rpcDownAlertShare);
  if (share !== undefined && !(share > 0 && share <= 1))
    throw new InputError("--rpc-down-alert-share must be in (0, 1]");
  let dashboard: number | undefined;
  if (f.dashboard !== undefined && f.dashboard !== false) {
    dashboard = f.dashboard === true ? 0 : Number(f.dashboard);
    if (!Number.isInteger(dashboard) || dashboard < 0 || dashboard > 65_535)
      throw new InputError("--dashboard takes a port number (0 or none: any free port)");
  } else if (c.dashboard) dashboard = c.dashboard.port;
  return {
    options: {
      ...DEFAULT_DAEMON,
      pollMs,
      idlePollMs,
      fullTickMs: c.fullTickMs ?? DEFAULT_DAEMON.fullTickMs,
      warnBps: Math.round(warnPct * 100),
      webhook,
      details: f.details ?? c.details ?? false,
      rpcDownAlertShare: share ?? DEFAULT_DAEMON.rpcDownAlertShare,
      ws: g.ws ?? g.rpcs.find((u) => /^wss?:/.test(u)),
      risk: c.risk,
      relayers: c.relayers,
      bumpAfterMs: c.bumpAfterMs ?? DEFAULT_DAEMON.bumpAfterMs,
      maxBumps: c.maxBumps ?? DEFAULT_DAEMON.maxBumps,
    },
    dashboard,
  };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
  });

/** Opens the account, retrying transient failures for as long as it takes (or until stopped). */
/** The response window assumed before the registry could be read (the local and L2 default). */
const ASSUMED_WINDOW_S = 600;

/**
 * Opens the account, retrying transient failures for as long as it takes (or until stopped); alerts once
 * when no endpoint has answered for the set share of the (assumed) response window meanwhile.
 */
async function start(
  g: Globals,
  s: Secrets,
  log: Logger,
  o: DaemonOptions,
  signal: AbortSignal,
): Promise<TraderService | undefined> {
  let failingSince: number | undefined;
  const alerts = new Alerts(new Wallet(s.key).address, log, { webhook: o.webhook, details: o.details });
  const limit = ASSUMED_WINDOW_S * 1000 * o.rpcDownAlertShare;
  const watch = setInterval(() => {
    if (failingSince === undefined || Date.now() - failingSince <= limit) return;
    void alerts.raise(
      "rpc-down",
      "error",
      { event: "rpc-down", downSeconds: Math.round((Date.now() - failingSince) / 1000) },
      `the daemon cannot start: no RPC endpoint has answered for ${Math.round((Date.now() - failingSince) / 1000)} s; a challenge could go unanswered: check the endpoints or add one (--rpc)`,
    );
  }, 1_000);
  try {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const { t } = await connect({ ...g, rpcs: g.rpcs.filter((u) => /^https?:/.test(u)) }, s, log, {
          role: "daemon",
          hold: false,
          persist: true,
          signal,
          lockWaitMs: Number.POSITIVE_INFINITY,
          onRpcWait: () => (failingSince ??= Date.now()),
          onRpcUp: () => {
            if (failingSince !== undefined)
              void alerts.clear("rpc-down", { event: "rpc-up" }, "an RPC endpoint answers");
            failingSince = undefined;
          },
        });
        return t;
      } catch (e) {
        if (!(e instanceof RpcUnavailableError) && !isTransientRpcError(e)) throw e;
        failingSince ??= Date.now();
        const wait = Math.min(500 * 2 ** Math.min(attempt, 5), 15_000);
        log.warn({ event: "start-retry", err: explainError(e), retryInMs: wait }, "could not start yet: retrying");
        await sleep(wait, signal);
      }
    }
    return undefined;
  } finally {
    clearInterval(watch);
  }
}

export async function runDaemon(
  g: Globals,
  s: Secrets,
  log: Logger,
  f: DaemonFlags,
  out: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const { options, dashboard } = daemonOptions(f, g);
  if (!g.rpcs.some((u) => /^https?:/.test(u))) throw new InputError("the daemon needs at least one http(s) --rpc");
  const t = await start(g, s, log, options, signal);
  if (!t) return;
  const d = new Daemon(t, options, log);
  let close: (() => Promise<void>) | undefined;
  try {
    if (dashboard !== undefined) {
      const state = new DashboardState(t, d);
      const server = await startDashboard({ port: dashboard, state: () => state.snapshot });
      close = server.close;
      d.onTick = (view) => state.update(view).catch((e) => log.debug({ err: (e as Error).message }, "dashboard"));
      out(`dashboard: ${server.url}`);
      log.info(
        { event: "dashboard", port: server.port },
        "dashboard on 127.0.0.1 (the URL with its token is on stdout)",
      );
    }
    await d.run(signal);
  } finally {
    await close?.();
    t.close();
  }
}
