/** The keeper's view of registry accounts, rebuilt from events (bigint for every chain value). */

export type AccountStatus = "active" | "liquidated" | "closed";

/** An open challenge as its Challenged event announced it. */
export interface OpenChallenge {
  readonly nonce: bigint;
  readonly challenger: string;
  /** Deadline at challenge time; a later guardian pause extends it (read deadlineOf for candidates). */
  readonly deadline: bigint;
  /** Pinned market prices (8 decimals). */
  readonly prices: readonly bigint[];
}

export interface AccountRecord {
  readonly status: AccountStatus;
  readonly nonce: bigint;
  /** Time of the last proof's price snapshot (seconds). */
  readonly provenAt: bigint;
  /** Market prices of the last proof (8 decimals), unpacked. */
  readonly provenPrices: readonly bigint[];
  readonly challenge?: OpenChallenge;
}

/** Read access to the indexed accounts (finalised state with the unconfirmed overlay on top). */
export interface AccountsView {
  get(account: string): AccountRecord | undefined;
  entries(): Iterable<readonly [string, AccountRecord]>;
  readonly size: number;
}

/** A raw log as eth_getLogs returns it (the fields the index uses). */
export interface LogLike {
  readonly blockNumber: number;
  readonly topics: readonly string[];
  readonly data: string;
  readonly removed?: boolean;
}
