/**
 * Bounded retries with exponential backoff for transport faults (connection refused or reset, timeouts,
 * HTTP 5xx / 429). JSON-RPC errors (a revert, a bad request) are answers, never retried here.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (so at most retries + 1 attempts). */
  readonly retries: number;
  /** Delay before the first retry; doubles each time, capped at 8x. */
  readonly retryDelayMs: number;
}

const TRANSPORT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "TIMEOUT", // ethers FetchRequest timeout
  "SERVER_ERROR", // ethers: non-2xx HTTP status
]);

export function isTransportError(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && typeof x === "object" && depth < 4; depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string" && TRANSPORT_CODES.has(code)) return true;
    x = (x as { cause?: unknown; error?: unknown }).cause ?? (x as { error?: unknown }).error;
  }
  return false;
}

export function transportCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "UNKNOWN";
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
 * Runs `fn`, retrying transport faults up to `policy.retries` times. On exhaustion, `onExhausted`
 * turns the last fault into the error to throw (with the attempt count).
 */
export async function withRetries<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  onExhausted: (last: unknown, attempts: number) => Error,
  onRetry?: (e: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransportError(e)) throw e;
      if (attempt > policy.retries) throw onExhausted(e, attempt);
      const delay = policy.retryDelayMs * Math.min(8, 2 ** (attempt - 1));
      onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
}
