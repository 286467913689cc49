import { CodedError } from "../core/errors";

/**
 * What the relayer's callers must tell apart: traders (the HTTP status and code of a refused answer, the
 * code of a failed one), and the operator (the CLI's exit code). Every refusal carries a sentence that
 * names what is wrong.
 */
export enum RelayerErrorCode {
  /** The configuration (file, flags or environment) is invalid; the message lists every field. */
  BadConfig = "BAD_CONFIG",
  /** The deployment does not match the configuration (no registry, another lens, another key). */
  BadDeployment = "BAD_DEPLOYMENT",
  /** The JSON-RPC endpoint did not answer. */
  ChainUnavailable = "CHAIN_UNAVAILABLE",

  // --- refusals of POST /answers (nothing is queued)
  /** The body is not JSON or does not have the answer's shape. */
  BadRequest = "BAD_REQUEST",
  /** The body is larger than http.bodyLimitBytes. */
  BodyTooLarge = "BODY_TOO_LARGE",
  /** The client sent more than its share of requests in the window. */
  RateLimited = "RATE_LIMITED",
  /** queue.maxQueued answers are waiting already. */
  QueueFull = "QUEUE_FULL",
  /** http.maxConcurrentChecks answers are being checked already. */
  Busy = "BUSY",
  /** The account is not active on the registry (never opened, liquidated or closed). */
  NotActive = "NOT_ACTIVE",
  /** The account has no open challenge (answered already, or never challenged). */
  NoOpenChallenge = "NO_OPEN_CHALLENGE",
  /** The record is not the account's open challenge (its hash differs from the stored one). */
  BadRecord = "BAD_RECORD",
  /** The deadline has passed, or is too close for a batch (the trader must send it itself). */
  TooLate = "TOO_LATE",
  /** d or pm outside what respond accepts (d <= 5000, pinned mm <= pm <= 10000). */
  BadCertificate = "BAD_CERTIFICATE",
  /** The proof does not verify for the public signals the registry will rebuild. */
  ProofInvalid = "PROOF_INVALID",
  /** GET /answers/:id: no such answer (never seen, or forgotten after queue.retainMs). */
  NotFound = "NOT_FOUND",

  // --- fates of accepted answers
  /** The batch transaction reverted or could not be sent, for this member (reason in the fate). */
  Reverted = "REVERTED",
  /** Our nonce was used by a transaction that is none of ours (another process with this key?). */
  NonceConsumed = "NONCE_CONSUMED",
  /** The node refused the transaction (funds, fee cap below the base fee, ...). */
  TxRefused = "TX_REFUSED",
}

export class RelayerError extends CodedError<RelayerErrorCode> {
  constructor(
    code: RelayerErrorCode,
    message: string,
    /** HTTP status of a refusal. */
    readonly httpStatus = 500,
  ) {
    super(code, message);
  }
}

const EXIT_CODES: Partial<Record<RelayerErrorCode, number>> = {
  [RelayerErrorCode.BadConfig]: 2,
  [RelayerErrorCode.ChainUnavailable]: 3,
  [RelayerErrorCode.BadDeployment]: 4,
};

export function exitCodeOf(e: unknown): number {
  return e instanceof RelayerError ? (EXIT_CODES[e.code] ?? 1) : 1;
}

export function messageOf(e: unknown): string {
  if (e instanceof Error) return (e as { shortMessage?: string }).shortMessage ?? e.message;
  return String(e);
}
