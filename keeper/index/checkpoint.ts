/**
 * The index checkpoint: finalised account records up to a block, with that block's hash (a restart
 * verifies it, and rebuilds from startBlock if a reorg deeper than `confirmations` replaced it).
 * Written atomically (temporary file, fsync, rename, fsync of the directory): a crash leaves either the
 * old or the new checkpoint, never a torn one.
 */
import * as fs from "node:fs";
import { atomicWrite } from "../../core/files";
import * as path from "node:path";
import { z } from "zod";
import { KeeperError, KeeperErrorCode } from "../errors";
import type { AccountRecord } from "./types";

export const CHECKPOINT_VERSION = 1;

const int = z
  .string()
  .regex(/^\d+$/)
  .transform((v) => BigInt(v));
const prices = z.array(int).length(4);

const accountSchema = z.strictObject({
  account: z.string(),
  status: z.enum(["active", "liquidated", "closed"]),
  nonce: int,
  provenAt: int,
  provenPrices: prices,
  challenge: z.strictObject({ nonce: int, challenger: z.string(), deadline: int, prices }).optional(),
});

const checkpointSchema = z.strictObject({
  version: z.literal(CHECKPOINT_VERSION),
  chainId: z.string(),
  registry: z.string(),
  startBlock: z.number().int().nonnegative(),
  block: z.number().int(),
  blockHash: z.string(),
  savedAt: z.string(),
  accounts: z.array(accountSchema),
});

export interface Checkpoint {
  readonly chainId: bigint;
  readonly registry: string;
  readonly startBlock: number;
  /** Last block whose events are included (finalised). */
  readonly block: number;
  readonly blockHash: string;
  readonly accounts: ReadonlyMap<string, AccountRecord>;
}

function serialise(cp: Checkpoint): string {
  const s = (v: bigint) => v.toString();
  const accounts = [...cp.accounts].map(([account, r]) => ({
    account,
    status: r.status,
    nonce: s(r.nonce),
    provenAt: s(r.provenAt),
    provenPrices: r.provenPrices.map(s),
    ...(r.challenge === undefined
      ? {}
      : {
          challenge: {
            nonce: s(r.challenge.nonce),
            challenger: r.challenge.challenger,
            deadline: s(r.challenge.deadline),
            prices: r.challenge.prices.map(s),
          },
        }),
  }));
  return JSON.stringify({
    version: CHECKPOINT_VERSION,
    chainId: cp.chainId.toString(),
    registry: cp.registry,
    startBlock: cp.startBlock,
    block: cp.block,
    blockHash: cp.blockHash,
    savedAt: new Date().toISOString(),
    accounts,
  });
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
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    return { kind: "corrupt", reason: (e as Error).message };
  }
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success)
    return { kind: "corrupt", reason: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  const d = parsed.data;
  const accounts = new Map<string, AccountRecord>();
  for (const a of d.accounts) {
    const { account, ...rest } = a;
    accounts.set(
      account,
      rest.challenge === undefined
        ? { status: rest.status, nonce: rest.nonce, provenAt: rest.provenAt, provenPrices: rest.provenPrices }
        : rest,
    );
  }
  return {
    kind: "ok",
    checkpoint: {
      chainId: BigInt(d.chainId),
      registry: d.registry,
      startBlock: d.startBlock,
      block: d.block,
      blockHash: d.blockHash,
      accounts,
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
