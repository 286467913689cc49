import { CodedError } from "../core/errors";

/**
 * What callers of the keeper (the CLI, tests, an operator's supervisor) must tell apart, and the process
 * exit code each maps to. Anything else is a bug (exit 1).
 */
export enum KeeperErrorCode {
  /** The configuration (file, flags or environment) is invalid; the message lists every field. */
  BadConfig = "BAD_CONFIG",
  /** The JSON-RPC endpoint did not answer after the bounded retries. */
  RpcUnavailable = "RPC_UNAVAILABLE",
  /** No registry contract at the configured address on this chain. */
  NoRegistry = "NO_REGISTRY",
  /** The checkpoint file belongs to another chain or registry, or cannot be parsed. */
  BadCheckpoint = "BAD_CHECKPOINT",
  /** Another keeper process holds the checkpoint's lock. */
  Locked = "LOCKED",
  /** A transaction was not mined after every gas bump. */
  TxStuck = "TX_STUCK",
  /** Our nonce was used by a transaction that is none of ours (another process with this key?). */
  NonceConsumed = "NONCE_CONSUMED",
  /** A transaction could not be sent (rejected by the node for a reason other than a lost race). */
  TxFailed = "TX_FAILED",
}

export class KeeperError extends CodedError<KeeperErrorCode> {}

const EXIT_CODES: Record<KeeperErrorCode, number> = {
  [KeeperErrorCode.BadConfig]: 2,
  [KeeperErrorCode.RpcUnavailable]: 3,
  [KeeperErrorCode.NoRegistry]: 4,
  [KeeperErrorCode.BadCheckpoint]: 4,
  [KeeperErrorCode.Locked]: 5,
  [KeeperErrorCode.TxStuck]: 6,
  [KeeperErrorCode.TxFailed]: 6,
  [KeeperErrorCode.NonceConsumed]: 6,
};

export function exitCodeOf(e: unknown): number {
  const k = findKeeperError(e);
  return k === undefined ? 1 : EXIT_CODES[k.code];
}

/** The KeeperError inside `e` (ethers wraps what a provider throws in `error` / `cause`), if any. */
export function findKeeperError(e: unknown, depth = 0): KeeperError | undefined {
  if (e instanceof KeeperError) return e;
  if (depth > 4 || typeof e !== "object" || e === null) return undefined;
  const o = e as { error?: unknown; cause?: unknown };
  return findKeeperError(o.error, depth + 1) ?? findKeeperError(o.cause, depth + 1);
}

export function messageOf(e: unknown): string {
  if (e instanceof Error) return (e as { shortMessage?: string }).shortMessage ?? e.message;
  return String(e);
}
