/**
 * What a trader (the daemon) needs to hand a Certificate answer to one or more relayers (relayer/README.md)
 * and follow its fate: the JSON wire format (bigints as decimal strings), `postAnswer` to every configured
 * relayer at once, and `answerFate` to poll one. An answer holds no private data (the account, its open
 * challenge's public record, d, pm and the proof), so it may go to any number of relayers; the first
 * batch mined answers it and the others skip it.
 */
import type { SolidityProof } from "./groth16";

/** The fields of Types.ChallengeRecord (the Challenged event), in ABI order. */
export const RECORD_FIELDS = [
  "challenger",
  "nonce",
  "pinnedAt",
  "deadline",
  "pauseClockAt",
  "bond",
  "exclusivePeriod",
  "targetFactorBps",
  "deleverageFeeBps",
  "keeperShareBps",
  "mm",
  "haircuts",
  "marketPrices",
  "assetPrices",
] as const;

type RecordNumberField = Exclude<(typeof RECORD_FIELDS)[number], "challenger">;

/** A challenge record with its numbers as bigints (prover/lib/chain ChallengeRecord has this shape). */
export type RecordFields = { challenger: string } & { [K in RecordNumberField]: bigint };

/** One Certificate answer of respondBatch (Types.Answer). */
export interface RelayedAnswer {
  readonly account: string;
  readonly record: RecordFields;
  readonly d: bigint;
  readonly pm: bigint;
  readonly proof: SolidityProof;
}

/** The body of POST /answers. */
export interface AnswerJson {
  account: string;
  record: { challenger: string } & { [K in RecordNumberField]: string };
  d: string;
  pm: string;
  proof: { a: [string, string]; b: [[string, string], [string, string]]; c: [string, string] };
}

export function encodeAnswer(a: RelayedAnswer): AnswerJson {
  const s = (x: bigint) => x.toString();
  const record = { challenger: a.record.challenger } as AnswerJson["record"];
  for (const k of RECORD_FIELDS) if (k !== "challenger") record[k] = s(a.record[k]);
  return {
    account: a.account,
    record,
    d: s(a.d),
    pm: s(a.pm),
    proof: {
      a: [s(a.proof.a[0]), s(a.proof.a[1])],
      b: [
        [s(a.proof.b[0][0]), s(a.proof.b[0][1])],
        [s(a.proof.b[1][0]), s(a.proof.b[1][1])],
      ],
      c: [s(a.proof.c[0]), s(a.proof.c[1])],
    },
  };
}

/** What happened to an answer (GET /answers/:id). */
export type AnswerStatus = "queued" | "submitted" | "answered" | "skipped" | "failed";

export interface Fate {
  readonly id: string;
  readonly status: AnswerStatus;
  readonly account: string;
  /** The challenge nonce the answer is for. */
  readonly nonce: string;
  /** The effective deadline (chain seconds) the relayer schedules by. */
  readonly deadline: string;
  /** The transaction (the latest replacement while submitted, the mined one when answered). */
  readonly txHash?: string;
  readonly blockNumber?: number;
  /** skipped and failed: why, in a sentence. */
  readonly reason?: string;
  /** failed: the relayer's error code; skipped: answered-elsewhere | expired | not-active. */
  readonly code?: string;
}

/** One relayer's reply to a POST. */
export type Submission =
  | { readonly url: string; readonly accepted: true; readonly id: string; readonly status: AnswerStatus }
  | {
      readonly url: string;
      readonly accepted: false;
      /** HTTP status, or 0 when the relayer could not be reached. */
      readonly httpStatus: number;
      readonly code: string;
      readonly message: string;
    };

export interface ClientOptions {
  /** Per request. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

function trimUrl(u: string): string {
  return u.replace(/\/+$/, "");
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof body.error?.code === "string" ? body.error.code : `HTTP_${res.status}`;
    const message = typeof body.error?.message === "string" ? body.error.message : res.statusText;
    return { code, message };
  } catch {
    return { code: `HTTP_${res.status}`, message: res.statusText };
  }
}

/** Posts `answer` to one relayer. Never throws: an unreachable relayer is `accepted: false, httpStatus: 0`. */
export async function postAnswerTo(url: string, answer: RelayedAnswer, o: ClientOptions = {}): Promise<Submission> {
  try {
    const res = await fetch(`${trimUrl(url)}/answers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(encodeAnswer(answer)),
      signal: AbortSignal.timeout(o.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    if (!res.ok) return { url, accepted: false, httpStatus: res.status, ...(await errorOf(res)) };
    const body = (await res.json()) as { id?: unknown; status?: unknown };
    if (typeof body.id !== "string") {
      return { url, accepted: false, httpStatus: res.status, code: "BAD_REPLY", message: "the reply has no answer id" };
    }
    return { url, accepted: true, id: body.id, status: (body.status as AnswerStatus) ?? "queued" };
  } catch (e) {
    return { url, accepted: false, httpStatus: 0, code: "UNREACHABLE", message: (e as Error).message };
  }
}

/** Posts `answer` to every relayer in parallel; one Submission per URL, in order. */
export function postAnswer(
  urls: readonly string[],
  answer: RelayedAnswer,
  o: ClientOptions = {},
): Promise<Submission[]> {
  return Promise.all(urls.map((u) => postAnswerTo(u, answer, o)));
}

/** The fate of answer `id` at relayer `url`; undefined when the relayer does not know it (404) or cannot be reached. */
export async function answerFate(url: string, id: string, o: ClientOptions = {}): Promise<Fate | undefined> {
  try {
    const res = await fetch(`${trimUrl(url)}/answers/${encodeURIComponent(id)}`, {
      signal: AbortSignal.timeout(o.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    if (!res.ok) return undefined;
    return (await res.json()) as Fate;
  } catch {
    return undefined;
  }
}

/** A fate after which nothing more will happen at that relayer. */
export function isFinal(status: AnswerStatus): boolean {
  return status === "answered" || status === "skipped" || status === "failed";
}
