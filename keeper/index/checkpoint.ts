/**
 * The index checkpoint: finalised account records up to a block, with that block's hash (a restart
 * verifies it, and rebuilds from startBlock if a reorg deeper than `confirmations` replaced it).
 * Also keeps the deployment-wide state (parameters, auctions, our P&L) and the gas we spent.
 * Written atomically (temporary file, fsync, rename, fsync of the directory): a crash leaves either the
 * old or the new checkpoint, never a torn one.
 */
import * as fs from "node:fs";
import { atomicWrite } from "../../core/files";
import * as path from "node:path";
import { z } from "zod";
import { KeeperError, KeeperErrorCode } from "../errors";
import { type AccountRecord, EMPTY_LEDGER, type GlobalState } from "./types";

export const CHECKPOINT_VERSION = 2;

/** bigints are written as "123n" strings (no address or hash looks like that) and read back. */
const big = z.bigint();
const cert = z.strictObject({
  provenAt: big,
  d: big,
  pm: big,
  haircuts: big,
  marketPrices: big,
  assetPrices: big,
});
const record = z.strictObject({
  challenger: z.string(),
  nonce: big,
  pinnedAt: big,
  deadline: big,
  pauseClockAt: big,
  bond: big,
  exclusivePeriod: big,
  targetFactorBps: big,
  deleverageFeeBps: big,
  keeperShareBps: big,
  mm: big,
  haircuts: big,
  marketPrices: big,
  assetPrices: big,
});
const accountSchema = z.strictObject({
  status: z.enum(["active", "liquidated", "closed"]),
  nonce: big,
  cert: cert.optional(),
  challenge: record.optional(),
  balances: z.array(big),
  approx: z.boolean().optional(),
});
const globalSchema = z.strictObject({
  timing: z.record(z.string(), big).optional(),
  incentives: z.record(z.string(), big).optional(),
  haircuts: big.optional(),
  pausedUntil: big,
  pauseEvents: z.number(),
  auctions: z.array(z.tuple([z.string(), z.strictObject({ asset: big, lot: big, top: big })])),
  owedEntries: big,
  repaidEntries: big,
  owedTotal: big,
  ledger: z.record(z.string(), z.union([big, z.array(big)])),
});

const checkpointSchema = z.strictObject({
  version: z.literal(CHECKPOINT_VERSION),
  chainId: z.string(),
  registry: z.string(),
  startBlock: z.number().int().nonnegative(),
  block: z.number().int(),
  blockHash: z.string(),
  savedAt: z.string(),
  accounts: z.array(z.tuple([z.string(), accountSchema])),
  global: globalSchema,
  /** What the executor paid (gas, wei), which events do not show. */
  spent: z.strictObject({ gasWei: big, txs: z.number() }).optional(),
});

export interface Spent {
  readonly gasWei: bigint;
  readonly txs: number;
}

export interface Checkpoint {
  readonly chainId: bigint;
  readonly registry: string;
  readonly startBlock: number;
  /** Last block whose events are included (finalised). */
  readonly block: number;
  readonly blockHash: string;
  readonly accounts: ReadonlyMap<string, AccountRecord>;
  readonly global: GlobalState;
  readonly spent?: Spent;
}

function serialise(cp: Checkpoint): string {
  return JSON.stringify(
    {
      version: CHECKPOINT_VERSION,
      chainId: cp.chainId.toString(),
      registry: cp.registry,
      startBlock: cp.startBlock,
      block: cp.block,
      blockHash: cp.blockHash,
      savedAt: new Date().toISOString(),
      accounts: [...cp.accounts],
      global: { ...cp.global, auctions: [...cp.global.auctions] },
      ...(cp.spent ? { spent: cp.spent } : {}),
    },
    (_k, v) => (typeof v === "bigint" ? `${v}n` : v),
  );
}

export function writeFileAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  atomicWrite(file, text);
}

export function saveCheckpoint(file: string, cp: Checkpoint): void {
  writeFileAtomic(file, serialise(cp));
}

export type LoadResult =
  { kind: "none" } | { kind: "corrupt"; reason: string } | { kind: "ok"; checkpoint: Checkpoint };

/** Reads a checkpoint; a missing file is "none", an unreadable one "corrupt" (the index is rebuilt). */
export function loadCheckpoint(file: string): LoadResult {
  if (!fs.existsSync(file)) return { kind: "none" };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"), (_k, v) =>
      typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
    );
  } catch (e) {
    return { kind: "corrupt", reason: (e as Error).message };
  }
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success)
    return { kind: "corrupt", reason: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  const d = parsed.data;
  const accounts = new Map<string, AccountRecord>(d.accounts as [string, AccountRecord][]);
  const g = d.global;
  const global = {
    ...g,
    auctions: new Map(g.auctions),
    ledger: { ...EMPTY_LEDGER, ...g.ledger },
  } as unknown as GlobalState;
  return {
    kind: "ok",
    checkpoint: {
      chainId: BigInt(d.chainId),
      registry: d.registry,
      startBlock: d.startBlock,
      block: d.block,
      blockHash: d.blockHash,
      accounts,
      global,
      spent: d.spent,
    },
  };
}

/** A checkpoint of another chain or registry is a configuration mistake, not something to overwrite. */
export function requireSameDeployment(cp: Checkpoint, chainId: bigint, registry: string, file: string): void {
  if (cp.chainId !== chainId || cp.registry.toLowerCase() !== registry.toLowerCase()) {
    throw new KeeperError(
      KeeperErrorCode.BadCheckpoint,
      `checkpoint ${file} is for registry ${cp.registry} on chain ${cp.chainId}, not ${registry} on chain ${chainId}: use another checkpointFile`,
    );
  }
}
