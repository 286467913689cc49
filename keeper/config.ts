/**
 * Keeper configuration: one zod schema, filled from (lowest to highest precedence) defaults, a JSON
 * file, environment variables and CLI flags. The signing key never lives in the config file or in the
 * parsed config object: it comes from ZKMARGIN_KEEPER_KEY or a key file and is wrapped in a SigningKey
 * that serialises as "[redacted]" (so no log line can print it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { inspect } from "node:util";
import { getAddress } from "ethers";
import { z } from "zod";
import { KeeperError, KeeperErrorCode } from "./errors";

const uint = (min: number, max: number) => z.number().int().min(min).max(max);
const amount = z
  .union([
    z.string().regex(/^\d+$/, "expected a non-negative integer as a decimal string"),
    z.number().int().nonnegative(),
  ])
  .transform((v) => BigInt(v));
const address = z.string().refine((a) => {
  try {
    getAddress(a);
    return true;
  } catch {
    return false;
  }
}, "expected a 0x-prefixed 20-byte address (valid checksum if mixed case)");

const GWEI = 10n ** 9n;

export const configSchema = z.strictObject({
  rpcUrl: z.string().regex(/^https?:\/\/\S+$/, "expected an http(s) JSON-RPC URL"),
  registry: address.transform((a) => getAddress(a)),
  keyFile: z.string().min(1).optional(),
  /** First block to index (the registry's deployment block or earlier). */
  startBlock: uint(0, Number.MAX_SAFE_INTEGER).default(0),
  /** Reorg-safety depth: the index finalises only blocks at least this deep. */
  confirmations: uint(0, 128).default(3),
  pollIntervalMs: uint(50, 3_600_000).default(5_000),
  /** Blocks per eth_getLogs request while catching up. */
  logChunkBlocks: uint(1, 100_000).default(2_000),
  batchSize: uint(1, 200).default(20),
  maxBatchesPerRound: uint(1, 50).default(2),
  /** Cap on the total bonds of our own open challenges (wei). */
  maxBondsAtRiskWei: amount.default(10n ** 18n),
  /** Rounds to wait before re-reading a candidate that the chain refused or that did not pay. */
  candidateCooldownRounds: uint(0, 10_000).default(10),
  /** Protocol parameters are re-read on their events, and at least every this many rounds. */
  paramsRefreshRounds: uint(1, 100_000).default(100),
  gas: z
    .strictObject({
      maxFeePerGasWei: amount.default(200n * GWEI),
      priorityFeeWei: amount.default(1n * GWEI),
      bumpPercent: uint(10, 500).default(25),
      maxAttempts: uint(1, 20).default(4),
      stuckAfterMs: uint(100, 3_600_000).default(60_000),
      receiptPollMs: uint(20, 60_000).default(1_000),
      /** Gas units of the profitability rule: per transaction + per account (measured; keeper/README.md). */
      challengeBaseGas: uint(21_000, 10_000_000).default(210_000),
      challengeGasPerAccount: uint(1, 10_000_000).default(170_000),
      liquidateBaseGas: uint(21_000, 10_000_000).default(80_000),
      liquidateGasPerAccount: uint(1, 10_000_000).default(120_000),
    })
    .prefault({})
    .refine((g) => g.priorityFeeWei <= g.maxFeePerGasWei, {
      message: "priorityFeeWei must not exceed maxFeePerGasWei",
    }),
  profit: z.strictObject({
    /** Price of 1 ETH in the settlement quote currency: value units per wei (value unit = 1e-18 quote). */
    ethPriceInQuote: amount.refine((v) => v > 0n, "must be > 0"),
    /** Minimum net gain (after gas) of a liquidation, in wei. */
    minProfitWei: amount.default(0n),
  }),
  rpc: z
    .strictObject({
      retries: uint(0, 20).default(4),
      retryDelayMs: uint(1, 60_000).default(250),
      timeoutMs: uint(100, 300_000).default(15_000),
    })
    .prefault({}),
  checkpointFile: z.string().min(1).default("keeper-checkpoint.json"),
  checkpointEveryMs: uint(0, 3_600_000).default(10_000),
  dryRun: z.boolean().default(false),
  logLevel: z.enum(["silent", "fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
});

export type KeeperConfig = z.output<typeof configSchema>;

/** A private key that cannot leak through JSON.stringify, util.inspect or template strings. */
export class SigningKey {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return "[redacted]";
  }
  toString(): string {
    return "[redacted]";
  }
  [inspect.custom](): string {
    return "SigningKey([redacted])";
  }
}

export interface LoadedConfig {
  readonly config: KeeperConfig;
  readonly key?: SigningKey;
}

/** CLI flags (already named like the schema's fields). */
export type ConfigFlags = Partial<Record<string, unknown>>;

export const ENV = {
  key: "ZKMARGIN_KEEPER_KEY",
  keyFile: "ZKMARGIN_KEEPER_KEY_FILE",
  rpcUrl: "ZKMARGIN_KEEPER_RPC_URL",
  registry: "ZKMARGIN_KEEPER_REGISTRY",
} as const;

function bad(lines: string[]): KeeperError {
  return new KeeperError(
    KeeperErrorCode.BadConfig,
    `invalid keeper config:\n${lines.map((l) => `  - ${l}`).join("\n")}`,
  );
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw bad([`config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw bad([`config file ${file}: not valid JSON (${(e as Error).message})`]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw bad([`config file ${file}: expected a JSON object`]);
  return raw as Record<string, unknown>;
}

function readKey(source: string, text: string): SigningKey {
  const v = text.trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(v)) throw bad([`${source}: expected a 32-byte hex private key (value not shown)`]);
  return new SigningKey(v.startsWith("0x") ? v : `0x${v}`);
}

/** Merges defaults < file < environment < flags, validates everything and resolves the key. */
export function loadConfig(opts: {
  file?: string;
  flags?: ConfigFlags;
  env?: NodeJS.ProcessEnv;
  requireKey?: boolean;
}): LoadedConfig {
  const env = opts.env ?? process.env;
  const fromFile = opts.file === undefined ? {} : readJson(opts.file);
  if ("privateKey" in fromFile || "key" in fromFile) {
    throw bad([`privateKey: keys are not accepted in the config file; set ${ENV.key} or keyFile`]);
  }
  const base = opts.file === undefined ? process.cwd() : path.dirname(path.resolve(opts.file));
  const raw: Record<string, unknown> = { ...fromFile };
  if (env[ENV.rpcUrl]) raw.rpcUrl = env[ENV.rpcUrl];
  if (env[ENV.registry]) raw.registry = env[ENV.registry];
  if (env[ENV.keyFile]) raw.keyFile = env[ENV.keyFile];
  for (const [k, v] of Object.entries(opts.flags ?? {})) if (v !== undefined) raw[k] = v;

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw bad(
      parsed.error.issues.map((i) => {
        const field = i.path.length > 0 ? i.path.join(".") : "(config)";
        return `${field}: ${/received undefined$/.test(i.message) ? "required" : i.message}`;
      }),
    );
  }
  const config: KeeperConfig = {
    ...parsed.data,
    keyFile: parsed.data.keyFile === undefined ? undefined : path.resolve(base, parsed.data.keyFile),
    checkpointFile: path.resolve(base, parsed.data.checkpointFile),
  };

  let key: SigningKey | undefined;
  if (env[ENV.key]) key = readKey(ENV.key, env[ENV.key] as string);
  else if (config.keyFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(config.keyFile, "utf8");
    } catch (e) {
      throw bad([`keyFile ${config.keyFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
    }
    key = readKey(`keyFile ${config.keyFile}`, text);
  }
  if (opts.requireKey && key === undefined) throw bad([`signing key: set ${ENV.key} or keyFile (${ENV.keyFile})`]);
  return { config, key };
}

/** An RPC URL fit for logs: provider URLs often carry an API key in the path or user info. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 || u.search ? "/[redacted]" : ""}`;
  } catch {
    return "[unparseable url]";
  }
}

/** What may be logged about a config (the key is never part of it; the key file's path is). */
export function describeConfig(c: KeeperConfig): Record<string, unknown> {
  return { ...c, rpcUrl: redactUrl(c.rpcUrl) };
}
