import { CodedError } from "../../core/errors";

/** What the CLI and daemon must tell apart when the private state cannot be used. */
export enum StoreErrorCode {
  NotFound = "STATE_NOT_FOUND",
  AlreadyExists = "STATE_EXISTS",
  WrongPassphrase = "WRONG_PASSPHRASE",
  Corrupted = "STATE_CORRUPTED",
  Locked = "STATE_LOCKED",
  ChainMismatch = "CHAIN_MISMATCH",
  OldFormat = "STATE_OLD_FORMAT",
  SaltReused = "SALT_REUSED",
  KdfTooExpensive = "KDF_TOO_EXPENSIVE",
}

export class StoreError extends CodedError<StoreErrorCode> {}
