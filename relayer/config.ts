/**
 * Relayer configuration: one strict zod schema (unknown keys are errors), filled from defaults, a JSON
 * file and a few CLI flags. The signing key never lives in the file or in the parsed object: it comes
 * from ZKMARGIN_RELAYER_KEY or `keyFile` (relayer/cli.ts). Defaults and their reasons: relayer/README.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { artifacts } from "../core/artifacts";
import { RelayerError, RelayerErrorCode } from "./errors";

/** The per-transaction gas cap of common nodes (hardhat, geth's RPC default): a batch must fit it. */
export const MAX_TX_GAS = 16_777_216;
/** Gas a respondBatch member adds (measured about 110k by bench/relayer.ts), with room: bounds batch.maxSize. */
export const GAS_PER_MEMBER = 130_000;
/** Fixed gas of a respondBatch (intrinsic, 3 key pairings, the MSM; measured about 225k), with room. */
export const GAS_PER_BATCH = 300_000;

const GWEI = 10n ** 9n;
const uint = (min: number, max: number) => z.number().int().min(min).max(max);
const wei = z
  .union([z.string().regex(/^\d+$/, "expected a non-negative integer as a decimal string"), z.number().int().min(0)])
  .transform((v) => BigInt(v));
const address = z
  .string()
  .refine((a) => isAddress(a), "expected a 0x-prefixed 20-byte address (valid checksum if mixed case)")
  .transform((a) => getAddress(a));

const httpSchema = z.strictObject({
  /** Interface to listen on: loopback by default (put a reverse proxy in front to serve the public). */
  host: z.string().min(1).default("127.0.0.1"),
  /** 0 = a free port (tests). */
  port: uint(0, 65_535).default(8_645),
  /** Largest request body (an answer is about 2.5 KB of JSON). */
  bodyLimitBytes: uint(1_024, 1_048_576).default(16_384),
  /** POST /answers per client IP per window. */
  postsPerWindow: uint(1, 1_000_000).default(30),
  /** GET requests (fates, health) per client IP per window. */
  getsPerWindow: uint(1, 1_000_000).default(600),
  rateWindowMs: uint(100, 3_600_000).default(60_000),
  /** Answers being checked at once (chain reads + a pairing each); beyond it POST /answers answers 503. */
  maxConcurrentChecks: uint(1, 1_000).default(16),
  /** Take the client IP from X-Forwarded-For (only behind a reverse proxy you run). */
  trustProxy: z.boolean().default(false),
});

const queueSchema = z.strictObject({
  /** Answers waiting for a batch (queued or in flight); beyond it POST /answers answers 503. */
  maxQueued: uint(1, 100_000).default(1_024),
  /** How long a finished answer's fate stays readable. */
  retainMs: uint(1_000, 7 * 86_400_000).default(3_600_000),
  /** Finished fates kept at most (the oldest are forgotten first). */
  maxRecords: uint(1, 1_000_000).default(10_000),
});

const batchSchema = z.strictObject({
  /** Members of one respondBatch at most (the gas cap bounds it: see superRefine). */
  maxSize: uint(1, 256).default(64),
  /** Send when the oldest queued answer has waited this long, even if no new block came (automining nodes). */
  maxWaitMs: uint(0, 600_000).default(2_000),
  /** Send at once when a queued answer's deadline is this close (chain seconds). */
  deadlineMarginSec: uint(0, 86_400).default(120),
  /** Refuse an answer whose deadline is closer than this: a batch could not land in time. */
  minTimeLeftSec: uint(0, 86_400).default(24),
  /** How often the head block is read (a new block sends what is queued). */
  blockPollMs: uint(20, 60_000).default(500),
  /** Sends of one answer in batches that reverted on chain, before it fails. */
  maxReverts: uint(1, 20).default(3),
});

const gasSchema = z
  .strictObject({
    /** Highest maxFeePerGas the relayer pays (wei); replacements stop rising there. */
    maxFeePerGasWei: wei.default(200n * GWEI),
    priorityFeeWei: wei.default(1n * GWEI),
    /** Raise both fees by this much per replacement (nodes require at least 10). */
    bumpPercent: uint(10, 500).default(25),
    /** Signed versions of one transaction at most (the first and its replacements). */
    maxAttempts: uint(1, 20).default(5),
    /** Replace a transaction not mined after this long. */
    stuckAfterMs: uint(100, 3_600_000).default(30_000),
    receiptPollMs: uint(20, 60_000).default(500),
    /** Gas limit = estimate x (100 + headroom) / 100, at most maxTxGas. */
    headroomPercent: uint(0, 100).default(20),
    maxTxGas: uint(100_000, MAX_TX_GAS).default(MAX_TX_GAS),
  })
  .refine((g) => g.priorityFeeWei <= g.maxFeePerGasWei, {
    message: "priorityFeeWei must not exceed maxFeePerGasWei",
    path: ["priorityFeeWei"],
  });

export const configSchema = z
  .strictObject({
    rpcUrl: z.string().regex(/^https?:\/\/\S+$/, "expected an http(s) JSON-RPC URL"),
    /** Refuse to start on another chain. */
    chainId: uint(1, Number.MAX_SAFE_INTEGER).optional(),
    registry: address,
    /** The deployment's RegistryLens (rebuilds each answer's public signals). */
    lens: address,
    /** File holding the signing key (else env ZKMARGIN_RELAYER_KEY). */
    keyFile: z.string().min(1).optional(),
    /** The certificate verification key (snarkjs json); checked against the deployed batch verifier. */
    vkey: z.string().min(1).default(artifacts("certificate").vkey),
    http: httpSchema.prefault({}),
    queue: queueSchema.prefault({}),
    batch: batchSchema.prefault({}),
    gas: gasSchema.prefault({}),
    rpcTimeoutMs: uint(100, 300_000).default(10_000),
    logLevel: z.enum(["silent", "fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
  })
  .superRefine((c, ctx) => {
    const need = Math.ceil(((GAS_PER_BATCH + GAS_PER_MEMBER * c.batch.maxSize) * (100 + c.gas.headroomPercent)) / 100);
    if (need > c.gas.maxTxGas) {
      const most = Math.floor(
        ((c.gas.maxTxGas * 100) / (100 + c.gas.headroomPercent) - GAS_PER_BATCH) / GAS_PER_MEMBER,
      );
      ctx.addIssue({
        code: "custom",
        path: ["batch", "maxSize"],
        message: `${c.batch.maxSize} members need a gas limit of about ${need} > ${c.gas.maxTxGas} (the per-transaction cap): use at most ${most}`,
      });
    }
    if (c.batch.minTimeLeftSec > c.batch.deadlineMarginSec) {
      ctx.addIssue({
        code: "custom",
        path: ["batch", "minTimeLeftSec"],
        message: "minTimeLeftSec must not exceed deadlineMarginSec (an accepted answer must still be sent in time)",
      });
    }
  });

export type RelayerConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Parses a config object; throws BAD_CONFIG listing every problem with its path. */
export function parseConfig(input: unknown): RelayerConfig {
  const r = configSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new RelayerError(RelayerErrorCode.BadConfig, `invalid relayer config:\n  - ${lines.join("\n  - ")}`);
  }
  return r.data;
}

/** Reads and parses a JSON config file; relative paths in it (keyFile, vkey) are relative to the file. */
export function loadConfig(file: string, overrides: Record<string, unknown> = {}): RelayerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new RelayerError(RelayerErrorCode.BadConfig, `cannot read the config file ${file}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new RelayerError(RelayerErrorCode.BadConfig, `the config file ${file} must hold a JSON object`);
  const o = { ...(raw as Record<string, unknown>) };
  const dir = path.dirname(path.resolve(file));
  for (const k of ["keyFile", "vkey"] as const)
    if (typeof o[k] === "string" && !path.isAbsolute(o[k] as string)) o[k] = path.join(dir, o[k] as string);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (k.includes(".")) {
      const [a, b] = k.split(".");
      o[a] = { ...((o[a] as Record<string, unknown> | undefined) ?? {}), [b]: v };
    } else o[k] = v;
  }
  return parseConfig(o);
}

/** The signing key: ZKMARGIN_RELAYER_KEY, else the key file. Never logged, never in the config object. */
export function loadKey(c: RelayerConfig, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.ZKMARGIN_RELAYER_KEY?.trim();
  if (fromEnv) return fromEnv;
  if (!c.keyFile)
    throw new RelayerError(
      RelayerErrorCode.BadConfig,
      "no signing key: set ZKMARGIN_RELAYER_KEY or keyFile in the config",
    );
  try {
    return fs.readFileSync(c.keyFile, "utf8").trim();
  } catch (e) {
    throw new RelayerError(
      RelayerErrorCode.BadConfig,
      `cannot read the key file ${c.keyFile}: ${(e as Error).message}`,
    );
  }
}
