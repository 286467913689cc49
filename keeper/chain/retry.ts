/**
 * Bounded retries with exponential backoff of transient RPC failures, as core/rpcErrors.ts classifies
 * them (transport faults, HTTP 5xx / 429, JSON-RPC errors that are neither a revert nor a refusal).
 * Answers (a revert, a node's refusal, a bad request) are never retried here.
 */
import { isTransientRpcError } from "../../core/rpcErrors";

export interface RetryPolicy {
  /** Retries after the first attempt (so at most retries + 1 attempts). */
  readonly retries: number;
  /** Delay before the first retry; doubles each time, capped at 8x. */
  readonly retryDelayMs: number;
}

export function transportCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" || typeof code === "number" ? String(code) : "UNKNOWN";
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs `fn`, retrying transient failures up to `policy.retries` times (jittered exponential backoff).
 * On exhaustion, `onExhausted` turns the last fault into the error to throw (with the attempt count).
 */
export async function withRetries<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  onExhausted: (last: unknown, attempts: number) => Error,
  onRetry?: (e: unknown, attempt: number, delayMs: number) => void,
  transient: (e: unknown) => boolean = isTransientRpcError,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!transient(e)) throw e;
      if (attempt > policy.retries) throw onExhausted(e, attempt);
      const base = policy.retryDelayMs * Math.min(8, 2 ** (attempt - 1));
      const delay = Math.round(base * (0.75 + Math.random() / 2));
      onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
}
