/**
 * The keeper's JSON-RPC provider: an ethers JsonRpcProvider on a fixed network (no endless network
 * detection loop) that counts every JSON-RPC call (per method, for round metrics and the benchmark)
 * and retries each call that fails transiently (core/rpcErrors.ts: transport faults, HTTP 5xx, JSON-RPC
 * errors that are not answers) a bounded number of times, before ethers interprets the error (so an
 * injected `-32603 internal error` on eth_call never becomes a "missing revert data" revert). After the
 * retries it fails with RPC_UNAVAILABLE, which the round treats as "try again later", never as an exit.
 */
import { FetchRequest, type JsonRpcPayload, JsonRpcProvider, type JsonRpcResult, Network } from "ethers";
import { RpcErrorKind, classifyJsonRpcError } from "../../core/rpcErrors";
import { redactUrl } from "../config";
import { KeeperError, KeeperErrorCode, messageOf } from "../errors";
import { type RetryPolicy, transportCode, withRetries } from "./retry";

export interface RpcPolicy extends RetryPolicy {
  readonly timeoutMs: number;
}

export type RetryObserver = (e: unknown, attempt: number, delayMs: number, method?: string) => void;

function unavailable(url: string, last: unknown, attempts: number): KeeperError {
  return new KeeperError(
    KeeperErrorCode.RpcUnavailable,
    `RPC ${redactUrl(url)} unreachable after ${attempts} attempt${attempts === 1 ? "" : "s"} (${transportCode(last)}: ${messageOf(last)})`,
  );
}

/** A JSON-RPC error response that is transient (thrown inside the retry loop, never seen by ethers). */
export class TransientRpcResponse extends Error {
  constructor(
    readonly method: string,
    readonly error: { code?: unknown; message?: unknown },
  ) {
    super(`${method}: JSON-RPC error ${String(error.code)} ${String(error.message)}`);
    this.name = "TransientRpcResponse";
  }
}

export class KeeperProvider extends JsonRpcProvider {
  #calls = 0;
  #errors = 0;
  readonly #byMethod = new Map<string, number>();
  readonly #url: string;
  readonly #policy: RpcPolicy;
  readonly #onRetry?: RetryObserver;

  constructor(url: string, chainId: bigint, policy: RpcPolicy, onRetry?: RetryObserver) {
    const network = Network.from(chainId);
    // cacheTimeout -1: ethers would otherwise answer identical requests within 250 ms from a cache
    // (a nonce or head read right after a transaction would be stale).
    super(url, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
    this.#url = url;
    this.#policy = policy;
    this.#onRetry = onRetry;
  }

  /** JSON-RPC requests made so far (each retry counts: that is what a rate limit sees). */
  get calls(): number {
    return this.#calls;
  }

  /** Transient failures seen so far (each retried). */
  get errors(): number {
    return this.#errors;
  }

  callsByMethod(): Record<string, number> {
    return Object.fromEntries(this.#byMethod);
  }

  override _getConnection(): FetchRequest {
    const req = super._getConnection();
    req.timeout = this.#policy.timeoutMs;
    return req;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const method = Array.isArray(payload) ? (payload[0]?.method ?? "batch") : payload.method;
    return withRetries(
      async () => {
        this.#calls++;
        this.#byMethod.set(method, (this.#byMethod.get(method) ?? 0) + 1);
        const results = (await super._send(payload)) as JsonRpcResult[];
        for (const r of results) {
          const err = (r as { error?: { code?: unknown; message?: unknown; data?: unknown } }).error;
          if (err !== undefined && classifyJsonRpcError(err) === RpcErrorKind.Transient)
            throw new TransientRpcResponse(method, err);
        }
        return results;
      },
      this.#policy,
      (last, n) => unavailable(this.#url, last, n),
      (e, attempt, delay) => {
        this.#errors++;
        this.#onRetry?.(e, attempt, delay, method);
      },
      (e) => e instanceof TransientRpcResponse || isTransport(e),
    );
  }
}

function isTransport(e: unknown): boolean {
  // what super._send throws: a FetchRequest failure (timeout, connection, HTTP status, bad body)
  return !(e instanceof KeeperError);
}

/** eth_chainId with the same bounded retries: the first contact, with a clear error when it fails. */
export async function probeChainId(url: string, policy: RpcPolicy, onRetry?: RetryObserver): Promise<bigint> {
  return withRetries(
    async () => {
      const req = new FetchRequest(url);
      req.timeout = policy.timeoutMs;
      req.setHeader("content-type", "application/json");
      req.body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
      const res = await req.send();
      res.assertOk();
      const body = res.bodyJson as { result?: string; error?: { code?: unknown; message?: unknown } };
      if (typeof body.result !== "string") throw new TransientRpcResponse("eth_chainId", body.error ?? {});
      return BigInt(body.result);
    },
    policy,
    (last, n) => unavailable(url, last, n),
    onRetry,
    () => true,
  );
}

export async function connect(url: string, policy: RpcPolicy, onRetry?: RetryObserver): Promise<KeeperProvider> {
  const chainId = await probeChainId(url, policy, onRetry);
  return new KeeperProvider(url, chainId, policy, onRetry);
}
