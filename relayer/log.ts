/**
 * Structured logs: pino JSON lines on stderr. Bigints are written as decimal strings. An answer holds no
 * private data, but proofs are never logged (they are large and say nothing an operator needs): any
 * field named `proof` or `body` is censored, and so is anything named like a key.
 */
import pino, { type Logger } from "pino";

export type { Logger };

function plain(v: unknown, depth = 0): unknown {
  if (typeof v === "bigint") return v.toString();
  if (depth > 6 || v === null || typeof v !== "object") return v;
  if (v instanceof Error) return v;
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x, depth + 1);
  return out;
}

export const REDACTED_PATHS = [
  "proof",
  "*.proof",
  "*.*.proof",
  "body",
  "*.body",
  "privateKey",
  "key",
  "*.privateKey",
  "*.key",
];

export function createLogger(
  level: string,
  destination: pino.DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino(
    {
      level,
      base: { svc: "relayer", pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (o) => plain(o) as Record<string, unknown> },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    destination,
  );
}
