/**
 * Helpers of the relayer tests: a config for a local deployment, an in-process relayer (fastify on
 * 127.0.0.1, a free port) whose log lines are kept, fate polling, mining control, and a JSON-RPC proxy
 * that loses the node's answer to a transaction send (the node executes it; the client hears nothing).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { type Fate, answerFate, isFinal } from "../../core/relayerClient";
import { type ConfigInput, parseConfig } from "../../relayer/config";
import { type Relayer, startRelayer } from "../../relayer/relayer";
import type { System } from "../../scripts/lib/deploy";
import { DEV_KEYS, rpc } from "../helpers/node";

/** Dev account 3 submits the relayer's batches. */
export const RELAYER_KEY = DEV_KEYS[3];

export function relayerConfig(sys: System, rpcUrl: string, over: Partial<ConfigInput> = {}): ConfigInput {
  return {
    rpcUrl,
    registry: sys.addresses.registry,
    lens: sys.addresses.lens,
    ...over,
    http: { port: 0, ...over.http },
    batch: { blockPollMs: 50, maxWaitMs: 300, minTimeLeftSec: 0, ...over.batch },
    gas: { receiptPollMs: 50, ...over.gas },
    logLevel: over.logLevel ?? "debug",
  };
}

export interface TestRelayer extends Relayer {
  /** Every log line (JSON) the relayer wrote. */
  readonly logs: string[];
}

export async function startTestRelayer(
  sys: System,
  rpcUrl: string,
  over: Partial<ConfigInput> = {},
  key = RELAYER_KEY,
): Promise<TestRelayer> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split("\n").filter(Boolean));
      cb();
    },
  });
  const c = parseConfig(relayerConfig(sys, rpcUrl, over));
  const log = pino({ level: c.logLevel }, sink);
  const r = await startRelayer(c, key, log);
  return Object.assign(r, { logs });
}

/** Polls each answer's fate until every one is final (or `until` accepts it). */
export async function waitForFates(
  url: string,
  ids: readonly string[],
  until: (f: Fate) => boolean = (f) => isFinal(f.status),
  ms = 60_000,
): Promise<Fate[]> {
  const end = Date.now() + ms;
  for (;;) {
    const fates = await Promise.all(ids.map((id) => answerFate(url, id)));
    if (fates.every((f) => f !== undefined && until(f))) return fates as Fate[];
    if (Date.now() > end) throw new Error(`fates not reached in ${ms} ms: ${JSON.stringify(fates)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function setAutomine(url: string, on: boolean): Promise<void> {
  await rpc(url, "evm_setAutomine", [on]);
}

export async function mine(url: string): Promise<void> {
  await rpc(url, "evm_mine");
}

/**
 * A JSON-RPC proxy in front of `target`. While `loseSends` > 0, a request carrying eth_sendRawTransaction
 * is forwarded to the node and its answer is read, then the client's connection is destroyed without a
 * reply. Records every raw transaction the node received through it.
 */
export class LossyProxy {
  private server?: http.Server;
  loseSends = 0;
  lost = 0;
  readonly sends: string[] = [];
  port = 0;

  constructor(readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let calls: { method?: string; params?: unknown[] }[] = [];
        try {
          const parsed = JSON.parse(body) as unknown;
          calls = (Array.isArray(parsed) ? parsed : [parsed]) as typeof calls;
        } catch {
          /* forwarded as is */
        }
        const sends = calls.filter((c) => c.method === "eth_sendRawTransaction");
        for (const s of sends) this.sends.push(String(s.params?.[0]));
        const upstream = await fetch(this.target, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const text = await upstream.text();
        if (sends.length > 0 && this.loseSends > 0) {
          this.loseSends--;
          this.lost++;
          req.socket.destroy();
          return;
        }
        res.writeHead(upstream.status, { "content-type": "application/json" });
        res.end(text);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
