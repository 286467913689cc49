/**
 * Argument checks of the trader CLI, done before anything connects (so bad input costs nothing and is
 * tested in-process): global options and environment, markets, sides, sizes, amounts, durations.
 * Light on purpose: `zkm --help` loads this and commander only.
 */
import { z } from "zod";

/** A mistake in what the user typed (exit code 2, nothing changed). */
export class InputError extends Error {
  override name = "InputError";
}

export const MARKETS = ["ETH", "BTC", "SOL", "ARB"];
export const SIZE_DECIMALS = 10;
export const VALUE_DECIMALS = 18;

const url = z.string().refine((u) => /^(https?|wss?):\/\/[^\s]+$/.test(u), "is not an http(s) or ws(s) URL");

export const GlobalsSchema = z.object({
  rpcs: z
    .array(url)
    .min(1, "--rpc is required (or set ZKMARGIN_RPC; several endpoints: repeat --rpc or separate them with commas)"),
  ws: url.optional(),
  registry: z
    .string({ error: "--registry is required (or set ZKMARGIN_REGISTRY)" })
    .regex(/^0x[0-9a-fA-F]{40}$/, "--registry must be a 0x address (or set ZKMARGIN_REGISTRY)"),
  state: z.string().min(1),
  build: z.string().optional(),
  keyFile: z.string().optional(),
  passphraseFile: z.string().optional(),
  fromBlock: z.number().int().nonnegative(),
  json: z.boolean(),
  logFormat: z.enum(["text", "json"]),
});
export type Globals = z.infer<typeof GlobalsSchema>;

export interface RawGlobals {
  rpc?: string[];
  ws?: string;
  registry?: string;
  state?: string;
  build?: string;
  keyFile?: string;
  passphraseFile?: string;
  fromBlock?: string;
  json?: boolean;
  logFormat?: string;
}

const split = (s: string | undefined) =>
  (s ?? "")
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** Options first, then the environment (ZKMARGIN_*), then defaults. */
export function parseGlobals(o: RawGlobals, env: NodeJS.ProcessEnv): Globals {
  const rpcs = (o.rpc ?? []).flatMap(split);
  const r = GlobalsSchema.safeParse({
    rpcs: rpcs.length > 0 ? rpcs : split(env.ZKMARGIN_RPC),
    ws: o.ws ?? (env.ZKMARGIN_WS || undefined),
    registry: o.registry ?? (env.ZKMARGIN_REGISTRY || undefined),
    state: o.state ?? (env.ZKMARGIN_STATE || "zkmargin-state.json"),
    build: o.build ?? (env.ZKMARGIN_BUILD || undefined),
    keyFile: o.keyFile,
    passphraseFile: o.passphraseFile,
    fromBlock: Number(o.fromBlock ?? env.ZKMARGIN_FROM_BLOCK ?? 0),
    json: o.json ?? false,
    logFormat: o.logFormat ?? env.ZKMARGIN_LOG_FORMAT ?? "text",
  });
  if (!r.success) {
    throw new InputError(
      r.error.issues
        .map((i) =>
          i.path[0] === "rpcs" && i.code !== "too_small"
            ? `--rpc ${i.message}`
            : i.path[0] === "ws"
              ? `--ws ${i.message}`
              : i.path[0] === "fromBlock"
                ? "--from-block must be a block number"
                : i.path[0] === "logFormat"
                  ? "--log-format must be text or json"
                  : i.message,
        )
        .join("; "),
    );
  }
  return r.data;
}

export function market(s: string): number {
  const byName = MARKETS.indexOf(s.toUpperCase());
  const j = byName >= 0 ? byName : /^\d+$/.test(s) ? Number(s) : -1;
  if (j < 0 || j >= MARKETS.length)
    throw new InputError(`unknown market "${s}": use one of ${MARKETS.join(", ")} (or 0-${MARKETS.length - 1})`);
  return j;
}

export function side(s: string): 0 | 1 {
  const x = s.toLowerCase();
  if (x === "long" || x === "buy") return 0;
  if (x === "short" || x === "sell") return 1;
  throw new InputError(`side must be long or short, not "${s}"`);
}

/** A positive decimal as an integer with `decimals` decimals (exact; no float). */
export function decimal(s: string, decimals: number, what: string, unit = ""): bigint {
  if (!/^\d+(\.\d+)?$/.test(s)) throw new InputError(`${what} "${s}" is not a positive decimal number`);
  const [whole, frac = ""] = s.split(".");
  if (frac.length > decimals)
    throw new InputError(`${what} "${s}" has more than ${decimals} decimals${unit ? ` (${unit})` : ""}`);
  const v = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
  if (v <= 0n) throw new InputError(`${what} must be greater than 0`);
  return v;
}

export const size = (s: string, j?: number): bigint =>
  decimal(s, SIZE_DECIMALS, "size", j === undefined ? "" : MARKETS[j]);

/** "all", or a positive amount of quote units (USD). */
export function settleText(s: string): "all" | "exact" | bigint {
  if (s === "all" || s === "exact") return s;
  if (!/^\d+(\.\d+)?$/.test(s)) {
    throw new InputError(`settle amount "${s}" is not "all", "exact" or a positive number of USD`);
  }
  return decimal(s, VALUE_DECIMALS, "settle amount", "USD");
}

/** "30s", "15m", "1h", "24h", "7d" or plain seconds. */
export function durationSeconds(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|min|h|d)?$/.exec(s.trim());
  if (!m) throw new InputError(`${what} "${s}" is not a duration (30s, 15m, 1h, 24h, 7d)`);
  const k = { s: 1, m: 60, min: 60, h: 3600, d: 86_400 }[(m[2] ?? "s") as "s"];
  const v = Math.round(Number(m[1]) * k);
  if (v <= 0) throw new InputError(`${what} must be longer than 0`);
  return v;
}

export function positiveInt(s: string, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new InputError(`${what} must be an integer from ${min} to ${max}`);
  return n;
}
