/**
 * The one log stream of every trader command and of the daemon: stderr (stdout carries results only),
 * as human text or as JSON lines (`--log-format json`, or ZKMARGIN_LOG_FORMAT). Log lines are
 * private-safe by construction in the callers: event kinds, the account, transaction hashes, deadlines and
 * amounts the trader must act on; never markets, sides, sizes or prices unless asked for (`--details`).
 */
import pino, { type Logger } from "pino";

export type LogFormat = "text" | "json";

export interface Sink {
  write(s: string): void;
}

const LEVEL: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const SKIP = new Set(["level", "time", "msg", "pid", "hostname"]);

/** One pino line as text: `12:00:01 WARN  message  key=value ...`. */
export function textLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof o.time === "string" ? o.time.slice(11, 19) : new Date().toISOString().slice(11, 19);
  const level = typeof o.level === "number" ? LEVEL[o.level] : String(o.level ?? "").toUpperCase();
  const fields = Object.entries(o)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${time} ${level.padEnd(5)} ${String(o.msg ?? "")}${fields ? `  ${fields}` : ""}\n`;
}

export function makeLogger(o: { format?: LogFormat; level?: string; sink?: Sink } = {}): Logger {
  const sink: Sink = o.sink ?? { write: (s) => process.stderr.write(s) };
  const format = o.format ?? (process.env.ZKMARGIN_LOG_FORMAT === "json" ? "json" : "text");
  const dest = format === "json" ? sink : { write: (s: string) => sink.write(textLine(s)) };
  return pino(
    {
      level: o.level ?? process.env.LOG_LEVEL ?? "info",
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: format === "json" ? { level: (label) => ({ level: label }) } : undefined,
    },
    dest,
  );
}
