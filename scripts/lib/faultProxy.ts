/**
 * A fault-injection JSON-RPC proxy on 127.0.0.1 in front of a node: what a flaky hosted RPC does to a
 * client, per method and at set rates, reproducibly (seeded):
 * - drop: the connection is closed before the request reaches the node (nothing executed);
 * - http5xx: a 502 before the node sees the request;
 * - rpcError: a JSON-RPC error without revert data (-32603 internal error, -32000 header not found,
 *   -32005 limit exceeded), nothing executed;
 * - lostAfter: the request is executed by the node, then the connection is closed without the answer
 *   (the case that makes a sent transaction look unsent);
 * - delay: the request waits delayMs (a random value in the range) before it is forwarded;
 * - outage: every request is refused (connection closed) until it ends.
 * Counts what it did, per fault and per method, and every forwarded eth_sendRawTransaction.
 * Used by the keeper tests (test/helpers/faultProxy.ts re-exports it) and by bench/keeper.ts.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FaultRates {
  readonly drop: number;
  readonly http5xx: number;
  readonly rpcError: number;
  readonly lostAfter: number;
  readonly delay: number;
}

export interface FaultConfig {
  readonly seed?: number;
  readonly rates?: Partial<FaultRates>;
  /** Per-method overrides (merged over `rates`). */
  readonly perMethod?: Record<string, Partial<FaultRates>>;
  /** Range of an injected delay, ms. */
  readonly delayMs?: readonly [number, number];
}

export type Fault = keyof FaultRates | "outage";

const NONE: FaultRates = { drop: 0, http5xx: 0, rpcError: 0, lostAfter: 0, delay: 0 };
const RPC_ERRORS = [
  { code: -32603, message: "internal error" },
  { code: -32000, message: "header not found" },
  { code: -32005, message: "limit exceeded" },
];

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultProxy {
  private server?: http.Server;
  private cfg: FaultConfig;
  private rand: () => number;
  private outageUntil = 0;
  private readonly sockets = new Set<import("node:net").Socket>();
  readonly faults: Record<Fault, number> = { drop: 0, http5xx: 0, rpcError: 0, lostAfter: 0, delay: 0, outage: 0 };
  readonly faultsByMethod = new Map<string, number>();
  readonly requests = new Map<string, number>();
  /** Raw transactions the node received through this proxy (a lost-after send is here too). */
  readonly forwardedSends: string[] = [];
  port = 0;

  constructor(
    readonly target: string,
    cfg: FaultConfig = {},
  ) {
    this.cfg = cfg;
    this.rand = prng(cfg.seed ?? 1);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Replaces the rates (the seed's sequence goes on). */
  configure(cfg: Omit<FaultConfig, "seed">): void {
    this.cfg = { ...cfg, seed: this.cfg.seed };
  }

  /** No request gets through for `ms` milliseconds (open connections are cut). */
  outage(ms: number): void {
    this.outageUntil = Date.now() + ms;
    for (const s of this.sockets) s.destroy();
  }

  get totalFaults(): number {
    return Object.values(this.faults).reduce((a, b) => a + b, 0);
  }

  private rates(method: string): FaultRates {
    return { ...NONE, ...this.cfg.rates, ...this.cfg.perMethod?.[method] };
  }

  private pick(method: string): keyof FaultRates | undefined {
    const r = this.rates(method);
    let x = this.rand();
    for (const k of ["drop", "http5xx", "rpcError", "lostAfter", "delay"] as const) {
      if (x < r[k]) return k;
      x -= r[k];
    }
    return undefined;
  }

  private count(f: Fault, method: string): void {
    this.faults[f]++;
    this.faultsByMethod.set(`${method}:${f}`, (this.faultsByMethod.get(`${method}:${f}`) ?? 0) + 1);
  }

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void this.handle(Buffer.concat(chunks).toString("utf8"), req, res));
    });
    this.server.keepAliveTimeout = 1_000;
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(body: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let parsed: { id?: unknown; method?: string; params?: unknown[] } | { method?: string }[];
    try {
      parsed = JSON.parse(body);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    const method = first?.method ?? "unknown";
    this.requests.set(method, (this.requests.get(method) ?? 0) + 1);
    if (Date.now() < this.outageUntil) {
      this.count("outage", method);
      req.socket.destroy();
      return;
    }
    const fault = this.pick(method);
    if (fault !== undefined) this.count(fault, method);
    if (fault === "drop") return void req.socket.destroy();
    if (fault === "http5xx") return void res.writeHead(502, { "content-type": "text/plain" }).end("bad gateway");
    if (fault === "rpcError") {
      const err = RPC_ERRORS[Math.floor(this.rand() * RPC_ERRORS.length)];
      const id = Array.isArray(parsed) ? null : (parsed as { id?: unknown }).id;
      return void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ jsonrpc: "2.0", id, error: err }));
    }
    if (fault === "delay") {
      const [lo, hi] = this.cfg.delayMs ?? [200, 1_000];
      await new Promise((r) => setTimeout(r, lo + this.rand() * (hi - lo)));
    }
    if (method === "eth_sendRawTransaction" && !Array.isArray(parsed))
      this.forwardedSends.push(String((parsed as { params?: unknown[] }).params?.[0]));
    let upstream: Response;
    let text: string;
    try {
      upstream = await fetch(this.target, { method: "POST", headers: { "content-type": "application/json" }, body });
      text = await upstream.text();
    } catch {
      return void req.socket.destroy();
    }
    if (fault === "lostAfter") return void req.socket.destroy();
    if (res.destroyed) return;
    res.writeHead(upstream.status, { "content-type": "application/json" }).end(text);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * 5% of requests fail, mixed: 1.5% dropped, 1% 502, 1% JSON-RPC errors, 1.5% lost after execution; and
 * 5% more are delayed (delayMs).
 */
export const MIXED_5: Partial<FaultRates> = {
  drop: 0.015,
  http5xx: 0.01,
  rpcError: 0.01,
  lostAfter: 0.015,
  delay: 0.05,
};

/** The rates of issue 16's measurement: 5% dropped, 5% 502, 2% JSON-RPC errors, 5% lost, 10% delayed. */
export const ISSUE_16_MIX: Partial<FaultRates> = {
  drop: 0.05,
  http5xx: 0.05,
  rpcError: 0.02,
  lostAfter: 0.05,
  delay: 0.1,
};
