/**
 * A JSON-RPC proxy on 127.0.0.1 in front of a node, for the daemon's tests: it records every method it
 * sees (batches unpacked), and injects seeded faults per request: dropped connections, HTTP 502,
 * JSON-RPC errors, responses lost after the node executed the request, delays; or a full outage
 * (connections refused) with `down()` / `up()`.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface Faults {
  /** Probabilities per request (they add up; the rest is forwarded). */
  readonly drop?: number;
  readonly http502?: number;
  readonly rpcError?: number;
  /** Forwarded, executed, and the answer lost. */
  readonly lostAfter?: number;
  readonly delay?: number;
  readonly delayMs?: readonly [number, number];
  /** Only requests holding one of these methods get faults (default: every request). */
  readonly only?: readonly string[];
}

/** mulberry32: the same faults for the same seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RpcProxy {
  private server?: http.Server;
  private port = 0;
  private readonly random: () => number;
  faults: Faults = {};
  /** Methods seen, in order of arrival (a batch adds each of its methods). */
  readonly methods: string[] = [];
  readonly injected = { drop: 0, http502: 0, rpcError: 0, lostAfter: 0, delay: 0 };
  requests = 0;

  constructor(
    readonly target: string,
    seed = 1,
  ) {
    this.random = rng(seed);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port || this.port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  /** A full outage: connections are refused until up(). */
  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  up(): Promise<string> {
    return this.start(this.port);
  }

  stop(): Promise<void> {
    return this.down();
  }

  /** Clears the recorded methods. */
  reset(): void {
    this.methods.length = 0;
  }

  private pick(): keyof RpcProxy["injected"] | undefined {
    const f = this.faults;
    let x = this.random();
    for (const k of ["drop", "http502", "rpcError", "lostAfter", "delay"] as const) {
      const p = f[k] ?? 0;
      if (x < p) return k;
      x -= p;
    }
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) body += String(chunk);
    this.requests++;
    let parsed: { id?: unknown; method?: string } | { id?: unknown; method?: string }[];
    try {
      parsed = JSON.parse(body);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    for (const p of list) this.methods.push(String(p.method));
    const eligible = !this.faults.only || list.some((p) => this.faults.only!.includes(String(p.method)));
    const fault = eligible ? this.pick() : undefined;
    if (fault) this.injected[fault]++;
    if (fault === "drop") return void req.socket.destroy();
    if (fault === "http502") return void res.writeHead(502).end("bad gateway (injected)");
    if (fault === "rpcError") {
      const err = (p: { id?: unknown }) => ({
        jsonrpc: "2.0",
        id: p.id,
        error: { code: -32603, message: "internal error (injected)" },
      });
      const out = Array.isArray(parsed) ? list.map(err) : err(list[0]);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
      return;
    }
    if (fault === "delay") {
      const [lo, hi] = this.faults.delayMs ?? [200, 2_000];
      await new Promise((r) => setTimeout(r, lo + this.random() * (hi - lo)));
    }
    let answer: string;
    try {
      const r = await fetch(this.target, { method: "POST", headers: { "content-type": "application/json" }, body });
      answer = await r.text();
    } catch {
      return void req.socket.destroy();
    }
    if (fault === "lostAfter") return void req.socket.destroy();
    res.writeHead(200, { "content-type": "application/json" }).end(answer);
  }
}
