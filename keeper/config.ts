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
/** The per-transaction gas cap of common nodes (hardhat, geth's RPC default): a batch must fit it. */
export const MAX_TX_GAS = 16_777_216;

const gasSchema = z
  .strictObject({
    maxFeePerGasWei: amount.default(200n * GWEI),
    priorityFeeWei: amount.default(1n * GWEI),
    bumpPercent: uint(10, 500).default(25),
    maxAttempts: uint(1, 20).default(4),
    stuckAfterMs: uint(100, 3_600_000).default(60_000),
    receiptPollMs: uint(20, 60_000).default(1_000),
    /** Gas units of the profitability rule: per transaction + per account (measured; keeper/README.md). */
    challengeBaseGas: uint(21_000, 10_000_000).default(200_000),
    challengeGasPerAccount: uint(1, 10_000_000).default(45_000),
    liquidateBaseGas: uint(21_000, 10_000_000).default(300_000),
    liquidateGasPerAccount: uint(1, 10_000_000).default(50_000),
    /** Gas limit cap of one transaction (estimate x 1.3 + 10k never exceeds it). */
    maxTxGas: uint(100_000, MAX_TX_GAS).default(MAX_TX_GAS),
  })
  .refine((g) => g.priorityFeeWei <= g.maxFeePerGasWei, {
    message: "priorityFeeWei must not exceed maxFeePerGasWei",
  });

const salesSchema = z.strictObject({
  /** A UniswapV2Taker owned by the keeper's key; or deployTaker with `router`. */
  taker: address.transform((a) => getAddress(a)).optional(),
  deployTaker: z.boolean().default(false),
  router: address.transform((a) => getAddress(a)).optional(),
  /** Swap path per collateral asset index (token addresses, ending in the settlement asset). */
  paths: z.record(z.string().regex(/^[1-3]$/), z.array(address.transform((a) => getAddress(a))).min(2)).default({}),
  /** Take only when router out - owed >= gas cost + this (wei, valued at ethPriceInQuote). */
  minProfitWei: amount.default(0n),
  /** Largest price impact of a take's swap versus the oracle (basis points): else a smaller slice. */
  maxSlippageBps: uint(1, 5_000).default(300),
  takes: z.boolean().default(true),
  redo: z.boolean().default(true),
  repay: z.boolean().default(true),
  repayEntries: uint(1, 1_000).default(20),
  poke: z.boolean().default(true),
  pokeEveryRounds: uint(1, 100_000).default(1),
});

/** Everything one deployment's keeper uses (top-level fields are defaults for every deployment). */
const deploymentFields = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, "letters, digits, . _ - (at most 40)")
    .default("main"),
  rpcUrl: z.string().regex(/^https?:\/\/\S+$/, "expected an http(s) JSON-RPC URL"),
  registry: address.transform((a) => getAddress(a)),
  /** The deployment's RegistryLens (its address book has it). */
  lens: address.transform((a) => getAddress(a)),
  /** First block to index (the registry's deployment block or earlier). */
  startBlock: uint(0, Number.MAX_SAFE_INTEGER).default(0),
  /** Reorg-safety depth: the index finalises only blocks at least this deep. */
  confirmations: uint(0, 128).default(3),
  pollIntervalMs: uint(50, 3_600_000).default(5_000),
  /** Blocks per eth_getLogs request while catching up. */
  logChunkBlocks: uint(1, 100_000).default(2_000),
  batchSize: uint(1, 200).default(50),
  maxBatchesPerRound: uint(1, 50).default(4),
  /** Accounts per RegistryLens eth_call, and at most this many such calls per round. */
  lensChunk: uint(1, 2_000).default(250),
  maxLensCallsPerRound: uint(1, 200).default(8),
  /** Cap on the total bonds of our own open challenges (wei). */
  maxBondsAtRiskWei: amount.default(10n ** 18n),
  /** Rounds to wait before re-checking a candidate that the chain refused. */
  candidateCooldownRounds: uint(0, 10_000).default(10),
  gas: gasSchema.prefault({}),
  profit: z.strictObject({
    /** Price of 1 ETH in the settlement quote currency: value units per wei (value unit = 1e-18 quote). */
    ethPriceInQuote: amount.refine((v) => v > 0n, "must be > 0"),
    /** Minimum net gain (after gas) of one account's action, in wei. */
    minProfitWei: amount.default(0n),
  }),
  rpc: z
    .strictObject({
      retries: uint(0, 20).default(6),
      retryDelayMs: uint(1, 60_000).default(100),
      timeoutMs: uint(100, 300_000).default(15_000),
    })
    .prefault({}),
  sales: salesSchema.prefault({}),
  /** Warn (and the gauge shows it) when the keeper's ETH balance falls below this (wei). */
  lowBalanceWei: amount.default(10n ** 17n),
  checkpointFile: z.string().min(1).default("keeper-checkpoint.json"),
  checkpointEveryMs: uint(0, 3_600_000).default(10_000),
  dryRun: z.boolean().default(false),
};

export const deploymentSchema = z.strictObject(deploymentFields).superRefine((d, ctx) => {
  const g = d.gas;
  for (const [kind, base, per] of [
    ["challenge", g.challengeBaseGas, g.challengeGasPerAccount],
    ["liquidate", g.liquidateBaseGas, g.liquidateGasPerAccount],
  ] as const) {
    const limit = ((base + per * d.batchSize) * 13) / 10 + 10_000;
    if (limit > g.maxTxGas)
      ctx.addIssue({
        code: "custom",
        path: ["batchSize"],
        message: `${d.batchSize} accounts per ${kind} need a gas limit of about ${Math.round(limit)} > ${g.maxTxGas} (the per-transaction cap): use at most ${Math.floor(((g.maxTxGas - 10_000) / 1.3 - base) / per)}`,
      });
  }
  if (d.sales.deployTaker && d.sales.router === undefined)
    ctx.addIssue({ code: "custom", path: ["sales", "router"], message: "deployTaker needs the router" });
});

const defaultsSchema = z.strictObject(
  Object.fromEntries(Object.entries(deploymentFields).map(([k, v]) => [k, (v as z.ZodType).optional()])),
);

export const configSchema = z.strictObject({
  ...defaultsSchema.shape,
  deployments: z.array(z.record(z.string(), z.unknown())).min(1).max(32).optional(),
  metrics: z
    .strictObject({
      /** Prometheus /metrics and /healthz on 127.0.0.1 (0 = a free port; absent = off). */
      port: uint(0, 65_535).optional(),
      host: z.enum(["127.0.0.1", "localhost", "::1"]).default("127.0.0.1"),
    })
    .prefault({}),
  /** An info-level heartbeat every this many rounds (per deployment). */
  heartbeatRounds: uint(1, 1_000_000).default(12),
  logLevel: z.enum(["silent", "fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
});

export type DeploymentConfig = z.output<typeof deploymentSchema>;

export interface KeeperConfig {
  readonly deployments: DeploymentConfig[];
  readonly metrics: { readonly port?: number; readonly host: string };
  readonly heartbeatRounds: number;
  readonly logLevel: string;
}

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

function issues(prefix: string, e: z.ZodError): string[] {
  return e.issues.map((i) => {
    const field = [prefix, ...i.path.map(String)].filter((x) => x !== "").join(".") || "(config)";
    return `${field}: ${/received undefined$/.test(i.message) ? "required" : i.message}`;
  });
}

/**
 * Merges defaults < file < environment < flags, validates everything (every error at once) and resolves
 * the key. Top-level deployment fields are defaults for each entry of `deployments`; without
 * `deployments` the top level is the one deployment.
 */
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
  const keyFile = raw.keyFile;
  delete raw.keyFile;
  if (keyFile !== undefined && (typeof keyFile !== "string" || keyFile === ""))
    throw bad(["keyFile: expected a file name"]);

  const top = configSchema.safeParse(raw);
  const errors: string[] = top.success ? [] : issues("", top.error);
  const list = Array.isArray(raw.deployments) ? (raw.deployments as Record<string, unknown>[]) : undefined;
  const entries = list ?? [{}];
  const deployments: DeploymentConfig[] = [];
  const fields = Object.keys(deploymentFields);
  const rawDefaults = Object.fromEntries(fields.filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]]));
  entries.forEach((entry, i) => {
    if (typeof entry !== "object" || entry === null) return;
    const merged: Record<string, unknown> = { ...rawDefaults, ...entry };
    for (const k of ["gas", "rpc", "sales", "profit"]) {
      const d = rawDefaults[k];
      const own = entry[k];
      if (d && typeof d === "object" && own && typeof own === "object") merged[k] = { ...d, ...own };
    }
    if (list !== undefined && entry.name === undefined) merged.name = `d${i}`;
    if (list !== undefined && entry.checkpointFile === undefined)
      merged.checkpointFile = `keeper-${String(merged.name)}.checkpoint.json`;
    const parsed = deploymentSchema.safeParse(merged);
    if (!parsed.success) {
      for (const line of issues(list === undefined ? "" : `deployments.${i}`, parsed.error))
        if (!errors.includes(line)) errors.push(line);
      return;
    }
    deployments.push({ ...parsed.data, checkpointFile: path.resolve(base, parsed.data.checkpointFile) });
  });
  if (!top.success || errors.length > 0) throw bad(errors);
  const { metrics, heartbeatRounds, logLevel } = top.data;
  const names = new Set<string>();
  const files = new Set<string>();
  for (const d of deployments) {
    if (names.has(d.name)) errors.push(`deployments: two deployments are named ${d.name}`);
    if (files.has(d.checkpointFile)) errors.push(`deployments: two deployments share ${d.checkpointFile}`);
    names.add(d.name);
    files.add(d.checkpointFile);
  }
  if (errors.length > 0) throw bad(errors);

  let key: SigningKey | undefined;
  if (env[ENV.key]) key = readKey(ENV.key, env[ENV.key] as string);
  else if (keyFile !== undefined) {
    const file = path.resolve(base, keyFile as string);
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      throw bad([`keyFile ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
    }
    key = readKey(`keyFile ${file}`, text);
  }
  if (opts.requireKey && key === undefined) throw bad([`signing key: set ${ENV.key} or keyFile (${ENV.keyFile})`]);
  return { config: { deployments, metrics, heartbeatRounds, logLevel }, key };
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

/** What may be logged about a config (the key is never part of it). */
export function describeConfig(c: KeeperConfig): Record<string, unknown> {
  return { ...c, deployments: c.deployments.map((d) => ({ ...d, rpcUrl: redactUrl(d.rpcUrl) })) };
}
