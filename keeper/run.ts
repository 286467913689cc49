/**
 * The `run` loop: a round every pollIntervalMs until the signal aborts. A failed round (RPC down,
 * oracle outage, a node hiccup) is logged and retried with a capped exponential backoff: the keeper
 * survives RPC faults. On stop the finalised index is checkpointed.
 */
import type { Logger } from "pino";
import { sleep } from "./chain/retry";
import { findKeeperError, messageOf } from "./errors";
import type { Keeper } from "./keeper";

const MAX_BACKOFF_MS = 60_000;

export async function runLoop(keeper: Keeper, pollIntervalMs: number, log: Logger, signal: AbortSignal): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    const started = Date.now();
    try {
      await keeper.round();
      failures = 0;
    } catch (e) {
      failures++;
      const k = findKeeperError(e);
      log.error(
        { code: k?.code ?? "UNEXPECTED", error: messageOf(e), failures, ...(k ? {} : { stack: (e as Error).stack }) },
        "round failed",
      );
    }
    const wait =
      failures === 0
        ? Math.max(0, pollIntervalMs - (Date.now() - started))
        : Math.min(MAX_BACKOFF_MS, pollIntervalMs * 2 ** Math.min(failures, 10));
    await sleep(wait, signal);
  }
  try {
    await keeper.saveCheckpoint(true);
  } catch (e) {
    log.warn({ error: messageOf(e) }, "could not write the final checkpoint (the previous one stays valid)");
  }
}
