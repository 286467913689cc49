/**
 * Hands a Certificate answer to relayers (relayer/README.md) before the daemon sends it itself. The
 * answer holds nothing private (the account, the challenge's public record, d, pm and the proof), so it
 * goes to every configured relayer at once; the first batch mined answers it and the others skip it.
 * The daemon sends it itself when every relayer refused it or lost it (failed, skipped while the
 * challenge is still open, unknown, unreachable), or when the deadline is within fallbackMarginSec:
 * a relayer saves the owner a transaction, never a missed deadline. The proof is made once per
 * challenge and reused for the fallback.
 */
import type { Logger } from "pino";
import { type Fate, answerFate, postAnswer } from "../../core/relayerClient";
import type { Answer } from "../lib/actions";
import type { ChallengeRecord } from "../lib/chain";

export interface RelayOptions {
  /** Relayer base URLs (http://host:port). */
  readonly urls: readonly string[];
  /** Send it yourself once the deadline is this close (chain seconds). */
  readonly fallbackMarginSec: number;
  /** Per HTTP request. */
  readonly timeoutMs?: number;
}

export type CertificateAnswer = Extract<Answer, { kind: "certificate" }>;
export type RelayVerdict = "wait" | "send-self";

interface Handed {
  readonly nonce: bigint;
  readonly answer: CertificateAnswer;
  readonly accepted: readonly { url: string; id: string }[];
}

export class RelayHandoff {
  private current?: Handed;

  constructor(
    private readonly account: string,
    private readonly o: RelayOptions,
    private readonly log: Logger,
  ) {}

  /** The answer already proven for this challenge, if it was handed to relayers. */
  cached(nonce: bigint): CertificateAnswer | undefined {
    return this.current?.nonce === nonce ? this.current.answer : undefined;
  }

  /** Hands the answer over (first call per challenge) or checks on it; says whether to keep waiting. */
  async step(record: ChallengeRecord, blockTime: bigint, answer: CertificateAnswer): Promise<RelayVerdict> {
    const left = record.deadline - blockTime;
    if (left <= BigInt(this.o.fallbackMarginSec)) {
      this.log.warn(
        { event: "relay-fallback", deadlineInSec: Number(left) },
        "deadline near: sending the answer itself",
      );
      return "send-self";
    }
    if (this.current?.nonce !== record.nonce) return this.hand(record, answer);
    const fates = await Promise.all(
      this.current.accepted.map((s) => answerFate(s.url, s.id, { timeoutMs: this.o.timeoutMs })),
    );
    if (fates.some((f) => f !== undefined && alive(f))) return "wait";
    this.log.warn(
      { event: "relay-fallback", fates: fates.map((f) => f?.status ?? "unknown") },
      "no relayer is still answering: sending the answer itself",
    );
    return "send-self";
  }

  private async hand(record: ChallengeRecord, answer: CertificateAnswer): Promise<RelayVerdict> {
    const subs = await postAnswer(
      this.o.urls,
      { account: this.account, record, d: answer.d, pm: answer.pm, proof: answer.proof.proof },
      { timeoutMs: this.o.timeoutMs },
    );
    const accepted = subs.flatMap((s) => (s.accepted ? [{ url: s.url, id: s.id }] : []));
    for (const s of subs)
      if (!s.accepted)
        this.log.warn(
          { event: "relay-refused", relayer: s.url, code: s.code },
          `a relayer refused the answer: ${s.message}`,
        );
    this.current = { nonce: record.nonce, answer, accepted };
    if (accepted.length === 0) return "send-self";
    this.log.info(
      { event: "relayed", relayers: accepted.length, of: this.o.urls.length },
      "the answer was handed to relayers",
    );
    return "wait";
  }
}

/** Still on its way: queued, submitted, or answered (the chain shows it closed at the next tick). */
function alive(f: Fate): boolean {
  return f.status === "queued" || f.status === "submitted" || f.status === "answered";
}
