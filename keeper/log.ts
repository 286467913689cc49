/**
 * Structured logs: pino JSON lines on stderr (stdout carries command output only: the `once` and
 * `status` summaries). Bigints are written as decimal strings; any field named like a key is redacted.
 */
import pino, { type Logger } from "pino";

export type { Logger };

function plain(v: unknown, depth = 0): unknown {
  if (typeof v === "bigint") return v.toString();
  if (depth > 6 || v === null || typeof v !== "object") return v;
  if (v instanceof Error) return v;
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x, depth + 1);
  return out;
}

export function createLogger(
  level: string,
  destination: pino.DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino(
    {
      level,
      base: { svc: "keeper", pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (o) => plain(o) as Record<string, unknown> },
      redact: { paths: ["privateKey", "key", "*.privateKey", "*.key", "config.privateKey"], censor: "[redacted]" },
    },
    destination,
  );
}

/** JSON with bigints as decimal strings (command output). */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2);
}
