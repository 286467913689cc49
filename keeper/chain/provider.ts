/**
 * The keeper's JSON-RPC provider: an ethers JsonRpcProvider on a fixed network (no endless network
 * detection loop) that counts every JSON-RPC call (per method, for round metrics and the benchmark)
 * and retries transport faults a bounded number of times, then fails with RPC_UNAVAILABLE.
 */
import { FetchRequest, type JsonRpcPayload, JsonRpcProvider, type JsonRpcResult, Network } from "ethers";
import { redactUrl } from "../config";
import { KeeperError, KeeperErrorCode, messageOf } from "../errors";
import { type RetryPolicy, transportCode, withRetries } from "./retry";

export interface RpcPolicy extends RetryPolicy {
  readonly timeoutMs: number;
}

export type RetryObserver = (e: unknown, attempt: number, delayMs: number) => void;

function unavailable(url: string, last: unknown, attempts: number): KeeperError {
  return new KeeperError(
    KeeperErrorCode.RpcUnavailable,
    `RPC ${redactUrl(url)} unreachable after ${attempts} attempt${attempts === 1 ? "" : "s"} (${transportCode(last)}: ${messageOf(last)})`,
  );
}

export class KeeperProvider extends JsonRpcProvider {
  #calls = 0;
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

  /** JSON-RPC calls made so far (every method, including the ones a retry repeated once). */
  get calls(): number {
    return this.#calls;
  }

  callsByMethod(): Record<string, number> {
    return Object.fromEntries(this.#byMethod);
  }

  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    this.#calls++;
    this.#byMethod.set(method, (this.#byMethod.get(method) ?? 0) + 1);
    return super.send(method, params);
  }

  override _getConnection(): FetchRequest {
    const req = super._getConnection();
    req.timeout = this.#policy.timeoutMs;
    return req;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    return withRetries(
      () => super._send(payload) as Promise<JsonRpcResult[]>,
      this.#policy,
      (last, n) => unavailable(this.#url, last, n),
      this.#onRetry,
    );
  }
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
      const body = res.bodyJson as { result?: string; error?: { message?: string } };
      if (typeof body.result !== "string") throw new Error(`eth_chainId: ${body.error?.message ?? "no result"}`);
      return BigInt(body.result);
    },
    policy,
    (last, n) => unavailable(url, last, n),
    onRetry,
  );
}

export async function connect(url: string, policy: RpcPolicy, onRetry?: RetryObserver): Promise<KeeperProvider> {
  const chainId = await probeChainId(url, policy, onRetry);
  return new KeeperProvider(url, chainId, policy, onRetry);
}
