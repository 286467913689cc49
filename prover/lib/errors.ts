/** What the prover's callers (CLI, daemon) must tell apart. */
export enum ProverErrorCode {
  VerifierMismatch = "VERIFIER_MISMATCH",
  NotOpened = "ACCOUNT_NOT_OPENED",
  Liquidated = "ACCOUNT_LIQUIDATED",
  BadInput = "BAD_INPUT",
  TxFailed = "TX_FAILED",
}

export class ProverError extends Error {
  constructor(
    readonly code: ProverErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ProverError";
  }
}
