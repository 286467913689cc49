/**
 * A JSON-RPC provider over several endpoints for a flaky network: every request that fails transiently
 * (refused or dropped connections, timeouts, HTTP 5xx/429, JSON-RPC errors that are not an answer: see
 * core/rpcErrors.ts) is retried with bounded exponential backoff, rotating to the next configured URL,
 * within a time budget per call; answers (reverts, refusals) pass through at once.
 *
 * A transaction whose send response was lost is not sent blindly again: when a retried
 * eth_sendRawTransaction is answered "already known" or "nonce too low", the transaction is looked up by
 * its hash, and if the node has it the hash is the result (the first send landed).
 *
 * It records when the endpoints were last reachable, so the daemon can alert when none has answered for
 * a set share of the response window.
 */
import {
  FetchRequest,
  JsonRpcProvider,
  type JsonRpcError,
  type JsonRpcPayload,
  type JsonRpcResult,
  Network,
  keccak256,
} from "ethers";
import { RpcErrorKind, classifyJsonRpcError, classifyRpcError } from "../../core/rpcErrors";

export interface RpcOptions {
  /** Per HTTP request (default 10 s). */
  readonly timeoutMs?: number;
  /** Give up a call after this long of transient failures (default 30 s; the daemon retries its tick). */
  readonly callBudgetMs?: number;
  /** Backoff between attempts: base and cap (default 100 ms, 3 s), with jitter. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly pollingInterval?: number;
  /** Called when an endpoint fails and the next one is tried, and when an endpoint answers again. */
  readonly onEvent?: (e: RpcEvent) => void;
}

export type RpcEvent =
  | { readonly kind: "failover"; readonly from: string; readonly to: string; readonly error: string }
  | { readonly kind: "recovered"; readonly url: string; readonly downMs: number };

/** Thrown when no endpoint answered within the call budget. */
export class RpcUnavailableError extends Error {
  readonly code = "NETWORK_ERROR";
  constructor(
    message: string,
    readonly lastError?: unknown,
  ) {
    super(message);
    this.name = "RpcUnavailableError";
  }
}

class HttpStatusError extends Error {
  readonly code = "SERVER_ERROR";
  constructor(
    readonly status: number,
    url: string,
  ) {
    super(`HTTP ${status} from ${url}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hides credentials of a hosted endpoint (an API key in the path or the user part) in messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.length > 12 ? `${u.pathname.slice(0, 8)}...` : u.pathname;
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ""}${path === "/" ? "" : path}`;
  } catch {
    return "(invalid URL)";
  }
}

/** POSTs one JSON-RPC body and returns the parsed answer (throws on transport faults and HTTP errors). */
async function post(url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    // fetch says "fetch failed"; the reason (ECONNREFUSED, a timeout...) is in its cause
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const timeout = (e as Error).name === "TimeoutError";
    const code = timeout ? "TIMEOUT" : (cause?.code ?? "NETWORK_ERROR");
    const why = timeout
      ? `no answer within ${timeoutMs / 1000} s`
      : (cause?.code ?? cause?.message ?? (e as Error).message);
    throw Object.assign(new Error(`${redactUrl(url)}: ${why}`), { code });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new HttpStatusError(res.status, redactUrl(url));
  }
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw Object.assign(new Error(`a body that is not JSON from ${redactUrl(url)}`), { code: "SERVER_ERROR" });
  }
}

export class RotatingProvider extends JsonRpcProvider {
  private current = 0;
  private failingSince?: number;
  private readonly o: Required<Omit<RpcOptions, "onEvent">> & Pick<RpcOptions, "onEvent">;

  private constructor(
    readonly urls: readonly string[],
    network: Network,
    o: RpcOptions,
  ) {
    super(new FetchRequest(urls[0]), network, {
      staticNetwork: network,
      cacheTimeout: -1,
      pollingInterval: o.pollingInterval ?? 1_000,
      batchMaxCount: 20,
    });
    this.o = {
      timeoutMs: o.timeoutMs ?? 10_000,
      callBudgetMs: o.callBudgetMs ?? 30_000,
      backoffMs: o.backoffMs ?? 100,
      maxBackoffMs: o.maxBackoffMs ?? 3_000,
      pollingInterval: o.pollingInterval ?? 1_000,
      onEvent: o.onEvent,
    };
  }

  /**
   * Connects to the first endpoint that answers eth_chainId. `persist` keeps trying (the daemon must not
   * exit because the network is down when it starts); otherwise three rounds over the endpoints decide
   * (a refused connection fails at once, so a CLI command with a wrong --rpc fails in a second).
   */
  static async connect(
    urls: readonly string[],
    o: RpcOptions & { persist?: boolean; signal?: AbortSignal; onWait?: (error: string) => void } = {},
  ): Promise<RotatingProvider> {
    if (urls.length === 0) throw new Error("no RPC endpoint given");
    const timeoutMs = o.timeoutMs ?? 10_000;
    let last: unknown;
    for (let round = 0; ; round++) {
      for (const url of urls) {
        try {
          const r = (await post(url, { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }, timeoutMs)) as {
            result?: string;
          };
          if (typeof r?.result === "string") {
            const p = new RotatingProvider(urls, Network.from(BigInt(r.result)), o);
            p.current = urls.indexOf(url);
            return p;
          }
          last = new Error(`${redactUrl(url)} gave no chain id`);
        } catch (e) {
          last = e;
        }
      }
      const why = (last as Error)?.message ?? String(last);
      if ((!o.persist && round >= 2) || o.signal?.aborted)
        throw new RpcUnavailableError(`no RPC endpoint answered (${urls.map(redactUrl).join(", ")}): ${why}`, last);
      if (o.persist) o.onWait?.(why);
      const base = o.backoffMs ?? 100;
      await sleep(
        o.persist ? Math.min(base * 2 ** Math.min(round + 3, 10), o.maxBackoffMs ?? 3_000) : base * (round + 1),
      );
    }
  }

  get url(): string {
    return this.urls[this.current];
  }

  /** How long every request has failed: since the first failure after the last answer (0 while answered). */
  unreachableMs(): number {
    return this.failingSince === undefined ? 0 : Date.now() - this.failingSince;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const batch = Array.isArray(payload) ? payload : [payload];
    const done = new Map<number, JsonRpcResult | JsonRpcError>();
    const retried = new Set<number>();
    const t0 = Date.now();
    let pending = batch;
    for (let attempt = 0; ; attempt++) {
      const url = this.urls[this.current];
      let failure: unknown;
      try {
        const answer = await post(url, pending.length === 1 ? pending[0] : pending, this.o.timeoutMs);
        const list = (Array.isArray(answer) ? answer : [answer]) as (JsonRpcResult | JsonRpcError)[];
        this.reachable(url);
        const next: JsonRpcPayload[] = [];
        for (const p of pending) {
          const r = list.find((x) => x && x.id === p.id);
          if (!r) {
            next.push(p);
            continue;
          }
          if ("error" in r && r.error) {
            const fixed = await this.lostSend(p, r, retried.has(p.id), url);
            if (fixed) {
              done.set(p.id, fixed);
              continue;
            }
            if (classifyJsonRpcError(r.error) === RpcErrorKind.Transient) {
              failure = Object.assign(new Error(String(r.error.message)), { code: r.error.code });
              next.push(p);
              continue;
            }
          }
          done.set(p.id, r);
        }
        pending = next;
        // JsonRpcProvider's declared type; its caller reads errors from the same array
        if (pending.length === 0) return batch.map((p) => done.get(p.id)!) as JsonRpcResult[];
        failure ??= new Error("the endpoint left requests unanswered");
      } catch (e) {
        if (classifyRpcError(e) !== RpcErrorKind.Transient && !(e instanceof HttpStatusError)) throw e;
        failure = e;
        this.unreachable();
      }
      for (const p of pending) retried.add(p.id);
      if (Date.now() - t0 > this.o.callBudgetMs) {
        throw new RpcUnavailableError(
          `no RPC endpoint answered ${pending.map((p) => p.method).join(", ")} within ${Math.round(this.o.callBudgetMs / 1000)} s: ${(failure as Error).message}`,
          failure,
        );
      }
      if (this.urls.length > 1) {
        const from = this.urls[this.current];
        this.current = (this.current + 1) % this.urls.length;
        this.o.onEvent?.({
          kind: "failover",
          from: redactUrl(from),
          to: redactUrl(this.urls[this.current]),
          error: (failure as Error).message,
        });
      }
      const base = Math.min(this.o.backoffMs * 2 ** Math.min(attempt, 10), this.o.maxBackoffMs);
      await sleep(base / 2 + Math.random() * (base / 2));
    }
  }

  /**
   * A retried raw send answered "already known" / "nonce too low": the first attempt may have landed.
   * Returns the hash as the result when the node knows the transaction.
   */
  private async lostSend(
    p: JsonRpcPayload,
    r: JsonRpcError,
    wasRetried: boolean,
    url: string,
  ): Promise<JsonRpcResult | undefined> {
    if (p.method !== "eth_sendRawTransaction" || !wasRetried) return undefined;
    const kind = classifyJsonRpcError(r.error);
    if (kind !== RpcErrorKind.AlreadyKnown && kind !== RpcErrorKind.NonceTooLow) return undefined;
    const raw = (p.params as string[])[0];
    const hash = keccak256(raw);
    if (kind === RpcErrorKind.AlreadyKnown) return { id: p.id, result: hash };
    try {
      const found = (await post(
        url,
        { jsonrpc: "2.0", id: 1, method: "eth_getTransactionByHash", params: [hash] },
        this.o.timeoutMs,
      )) as { result?: unknown };
      return found?.result ? { id: p.id, result: hash } : undefined;
    } catch {
      return undefined;
    }
  }

  private reachable(url: string): void {
    if (this.failingSince !== undefined) {
      this.o.onEvent?.({ kind: "recovered", url: redactUrl(url), downMs: Date.now() - this.failingSince });
    }
    this.failingSince = undefined;
  }

  private unreachable(): void {
    this.failingSince ??= Date.now();
  }
}
