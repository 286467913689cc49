/**
 * The answers the relayer holds and their fates, in memory: queued -> submitted -> answered, or skipped
 * (answered elsewhere, expired, account no longer active) or failed (with a code and a sentence). One
 * live answer per challenge (account, challenge nonce): a second post for the same challenge gets the
 * first one's id. Limits: queue.maxQueued waiting (queued or submitted), and finished fates are kept
 * queue.retainMs and at most queue.maxRecords. A restart forgets everything: a trader that polls an
 * unknown id sends the answer again or itself (core/relayerClient).
 */
import { randomUUID } from "node:crypto";
import type { AnswerStatus, Fate, RelayedAnswer } from "../core/relayerClient";
import { RelayerError, RelayerErrorCode } from "./errors";

export interface Entry {
  readonly id: string;
  readonly key: string;
  readonly answer: RelayedAnswer;
  readonly deadline: bigint;
  /** Local time (ms) and head block when accepted. */
  readonly receivedAt: number;
  readonly receivedBlock: number;
  status: AnswerStatus;
  txHash?: string;
  blockNumber?: number;
  reason?: string;
  code?: string;
  /** Batches containing it that reverted on chain. */
  reverts: number;
  finishedAt?: number;
  /** Local time (ms) the answer was mined (answered). */
  minedAt?: number;
}

export interface StoreLimits {
  readonly maxQueued: number;
  readonly retainMs: number;
  readonly maxRecords: number;
}

export function challengeKey(a: RelayedAnswer): string {
  return `${a.account.toLowerCase()}:${a.record.nonce}`;
}

const FINAL: ReadonlySet<AnswerStatus> = new Set(["answered", "skipped", "failed"]);

export class AnswerStore {
  private readonly byId = new Map<string, Entry>();
  /** The live (not skipped, not failed) answer of each challenge. */
  private readonly byKey = new Map<string, Entry>();
  private waiting = 0;

  constructor(private readonly limits: StoreLimits) {}

  /** Queued or submitted. */
  get pending(): number {
    return this.waiting;
  }

  /** The live answer for this challenge, if one was accepted already. */
  live(a: RelayedAnswer): Entry | undefined {
    return this.byKey.get(challengeKey(a));
  }

  /** Throws QUEUE_FULL (503) when maxQueued answers are waiting. */
  requireRoom(): void {
    if (this.waiting >= this.limits.maxQueued)
      throw new RelayerError(
        RelayerErrorCode.QueueFull,
        `the relayer's queue is full (${this.limits.maxQueued} answers waiting): try another relayer or send it yourself`,
        503,
      );
  }

  add(answer: RelayedAnswer, deadline: bigint, receivedBlock: number, now = Date.now()): Entry {
    if (this.byId.size >= this.limits.maxRecords + this.limits.maxQueued) this.prune(now);
    this.requireRoom();
    const e: Entry = {
      id: randomUUID(),
      key: challengeKey(answer),
      answer,
      deadline,
      receivedAt: now,
      receivedBlock,
      status: "queued",
      reverts: 0,
    };
    this.byId.set(e.id, e);
    this.byKey.set(e.key, e);
    this.waiting++;
    return e;
  }

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  /** Queued answers, earliest deadline first. */
  queued(): Entry[] {
    return [...this.byId.values()]
      .filter((e) => e.status === "queued")
      .sort((x, y) => (x.deadline < y.deadline ? -1 : x.deadline > y.deadline ? 1 : x.receivedAt - y.receivedAt));
  }

  submitted(e: Entry, txHash: string): void {
    e.status = "submitted";
    e.txHash = txHash;
  }

  requeue(e: Entry): void {
    e.status = "queued";
    e.txHash = undefined;
  }

  answered(e: Entry, txHash: string, blockNumber: number, now = Date.now()): void {
    this.finish(e, "answered", now);
    e.txHash = txHash;
    e.blockNumber = blockNumber;
    e.minedAt = now;
  }

  skipped(e: Entry, code: string, reason: string, now = Date.now()): void {
    this.finish(e, "skipped", now);
    e.code = code;
    e.reason = reason;
    this.byKey.delete(e.key);
  }

  failed(e: Entry, code: string, reason: string, now = Date.now()): void {
    this.finish(e, "failed", now);
    e.code = code;
    e.reason = reason;
    this.byKey.delete(e.key);
  }

  private finish(e: Entry, status: AnswerStatus, now: number): void {
    if (!FINAL.has(e.status)) this.waiting--;
    e.status = status;
    e.finishedAt = now;
  }

  /** Forgets finished fates older than retainMs, then the oldest beyond maxRecords. */
  prune(now = Date.now()): void {
    const finished = [...this.byId.values()].filter((e) => e.finishedAt !== undefined);
    const excess = Math.max(0, finished.length - this.limits.maxRecords);
    finished.sort((a, b) => a.finishedAt! - b.finishedAt!);
    finished.forEach((e, i) => {
      if (i < excess || now - e.finishedAt! > this.limits.retainMs) {
        this.byId.delete(e.id);
        if (this.byKey.get(e.key) === e) this.byKey.delete(e.key);
      }
    });
  }

  fate(e: Entry): Fate {
    return {
      id: e.id,
      status: e.status,
      account: e.answer.account,
      nonce: e.answer.record.nonce.toString(),
      deadline: e.deadline.toString(),
      ...(e.txHash !== undefined ? { txHash: e.txHash } : {}),
      ...(e.blockNumber !== undefined ? { blockNumber: e.blockNumber } : {}),
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
      ...(e.code !== undefined ? { code: e.code } : {}),
    };
  }
}
