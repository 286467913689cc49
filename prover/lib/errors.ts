import { CodedError } from "../../core/errors";

/** What the prover's callers (CLI, daemon) must tell apart. */
export enum ProverErrorCode {
  VerifierMismatch = "VERIFIER_MISMATCH",
  NotOpened = "ACCOUNT_NOT_OPENED",
  Liquidated = "ACCOUNT_LIQUIDATED",
  BadInput = "BAD_INPUT",
  TxFailed = "TX_FAILED",
}

export class ProverError extends CodedError<ProverErrorCode> {}
