/**
 * The `run` loop over every configured deployment: each has its own loop (connect, rounds, backoff), so
 * a fault on one deployment never stalls another. A deployment whose RPC is unreachable at start is
 * retried with a capped backoff (no exit); a failed round is logged and retried with a capped backoff;
 * only a configuration mistake (no registry, a foreign checkpoint) stops that deployment's loop. On stop
 * every deployment's finalised index is checkpointed.
 */
import type { Logger } from "pino";
import { type App, type OpenOptions, openApp } from "./app";
import { sleep } from "./chain/retry";
import type { DeploymentConfig, SigningKey } from "./config";
import { KeeperErrorCode, findKeeperError, messageOf } from "./errors";
import type { Health } from "./metrics";
import type { TxSender } from "./tx/sender";

const MAX_BACKOFF_MS = 30_000;

export interface Fleet {
  readonly apps: Map<string, App>;
  health(): Health;
  /** Resolves when every loop has stopped (after the signal aborts). */
  readonly done: Promise<void>;
}

/** Errors that no retry fixes: the loop of that deployment stops (the others go on). */
function permanent(e: unknown): boolean {
  const code = findKeeperError(e)?.code;
  return code === KeeperErrorCode.NoRegistry || code === KeeperErrorCode.BadCheckpoint;
}

export function runFleet(
  deployments: readonly DeploymentConfig[],
  key: SigningKey | undefined,
  log: Logger,
  opts: Omit<OpenOptions, "senders">,
  signal: AbortSignal,
): Fleet {
  const apps = new Map<string, App>();
  const stopped = new Map<string, string>();
  const senders = new Map<string, TxSender>();
  const loop = async (d: DeploymentConfig) => {
    let failures = 0;
    while (!signal.aborted) {
      const started = Date.now();
      let app = apps.get(d.name);
      if (app === undefined) {
        try {
          app = await openApp(d, key, log, { ...opts, senders });
          apps.set(d.name, app);
          failures = 0;
        } catch (e) {
          if (permanent(e)) {
            stopped.set(d.name, messageOf(e));
            log.error({ deployment: d.name, error: messageOf(e) }, "deployment stopped (fix its config)");
            return;
          }
          failures++;
          log.warn({ deployment: d.name, error: messageOf(e), failures }, "cannot start yet: retrying");
          await sleep(Math.min(MAX_BACKOFF_MS, d.pollIntervalMs * 2 ** Math.min(failures, 8)), signal);
          continue;
        }
      }
      const r = await app.keeper.safeRound();
      failures = r === undefined ? failures + 1 : 0;
      const wait =
        failures === 0
          ? Math.max(0, d.pollIntervalMs - (Date.now() - started))
          : Math.min(MAX_BACKOFF_MS, d.pollIntervalMs * 2 ** Math.min(failures, 8));
      await sleep(wait, signal);
    }
    const app = apps.get(d.name);
    if (app !== undefined) {
      try {
        await app.keeper.saveCheckpoint(true);
      } catch (e) {
        log.warn({ deployment: d.name, error: messageOf(e) }, "final checkpoint not written (the last one stays)");
      }
      app.close();
    }
  };
  const done = Promise.all(deployments.map((d) => loop(d))).then(() => undefined);
  const health = (): Health => {
    const out: Health["deployments"] = {};
    let ok = true;
    for (const d of deployments) {
      const h = apps.get(d.name)?.keeper.health;
      const ago = h?.lastOk === undefined ? null : Date.now() - h.lastOk;
      // unhealthy: stopped, no round for a while, or the last rounds failed (RPC down)
      const fine =
        !stopped.has(d.name) && ago !== null && ago < Math.max(30_000, 5 * d.pollIntervalMs) && (h?.failures ?? 0) < 3;
      ok &&= fine;
      out[d.name] = { ok: fine, lastRoundAgoMs: ago, failures: h?.failures ?? 0 };
    }
    return { ok, deployments: out };
  };
  return { apps, health, done };
}
