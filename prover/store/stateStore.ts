/**
 * The trader's private state on disk, encrypted at rest. It keeps:
 * - `committed`: the state whose commitment the chain held at the last reconcile;
 * - `pending`: the next state, written BEFORE the transaction that commits it is sent;
 * - `history`: every earlier committed or abandoned state (never deleted: a salt lost is an account lost).
 * On start, reconcile() makes the state whose commitment matches the chain the committed one.
 */
import * as fs from "node:fs";
import { z } from "zod";
import { type AccountState, Side, commitment } from "../model";
import { DEFAULT_KDF, type KdfParams, open, seal } from "./envelope";
import { StoreError, StoreErrorCode } from "./errors";
import { FileLock, atomicWrite } from "./files";

const big = z.string().regex(/^-?\d+$/);
const StoredState = z.object({
  commitment: big,
  salt: big,
  markets: z.array(z.object({ size: big, side: z.union([z.literal(0), z.literal(1)]), cost: big })),
  label: z.string(),
  at: z.string(),
  txHash: z.string().optional(),
});
type StoredState = z.infer<typeof StoredState>;
const Doc = z.object({
  version: z.literal(1),
  chainId: big,
  registry: z.string(),
  account: z.string(),
  committed: StoredState,
  pending: StoredState.optional(),
  history: z.array(StoredState),
});
type Doc = z.infer<typeof Doc>;

export interface Identity {
  chainId: bigint;
  registry: string;
  account: string;
}

export type ReconcileOutcome = "unchanged" | "pending-committed" | "pending-abandoned" | "recovered-from-history";

function toStored(state: AccountState, label: string, txHash?: string): StoredState {
  return {
    commitment: commitment(state).toString(),
    salt: state.salt.toString(),
    markets: state.markets.map((m) => ({ size: m.size.toString(), side: m.side as 0 | 1, cost: m.cost.toString() })),
    label,
    at: new Date().toISOString(),
    ...(txHash ? { txHash } : {}),
  };
}

function fromStored(s: StoredState): AccountState {
  const state = { salt: BigInt(s.salt), markets: s.markets.map((m) => ({ size: BigInt(m.size), side: m.side as Side, cost: BigInt(m.cost) })) };
  if (commitment(state).toString() !== s.commitment) {
    throw new StoreError(StoreErrorCode.Corrupted, `a stored state does not match its commitment (${s.label})`);
  }
  return state;
}

export class StateStore {
  private readonly lock: FileLock;

  private constructor(
    readonly file: string,
    private readonly passphrase: string,
    private doc: Doc,
    private readonly kdf: KdfParams,
  ) {
    this.lock = new FileLock(`${file}.lock`);
  }

  /** Creates a new state file (refuses to overwrite one). */
  static create(file: string, passphrase: string, id: Identity, initial: AccountState, kdf: KdfParams = DEFAULT_KDF): StateStore {
    if (fs.existsSync(file)) throw new StoreError(StoreErrorCode.AlreadyExists, `${file} already exists: refusing to overwrite a private state`);
    const doc: Doc = {
      version: 1,
      chainId: id.chainId.toString(),
      registry: id.registry,
      account: id.account,
      committed: toStored(initial, "initial"),
      history: [],
    };
    const store = new StateStore(file, passphrase, doc, kdf);
    store.lock.acquire();
    try {
      store.write();
    } finally {
      store.lock.release();
    }
    return store;
  }

  /** Decrypts and validates a state file. */
  static open(file: string, passphrase: string, kdf: KdfParams = DEFAULT_KDF): StateStore {
    if (!fs.existsSync(file)) throw new StoreError(StoreErrorCode.NotFound, `no state file at ${file} (run \`init\` first, or point --state at your backup)`);
    const text = open(fs.readFileSync(file, "utf8"), passphrase, file);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new StoreError(StoreErrorCode.Corrupted, `${file} decrypted to invalid JSON`);
    }
    const r = Doc.safeParse(parsed);
    if (!r.success) throw new StoreError(StoreErrorCode.Corrupted, `${file} holds an unexpected document: ${r.error.issues[0]?.message}`);
    const store = new StateStore(file, passphrase, r.data, kdf);
    fromStored(r.data.committed);
    if (r.data.pending) fromStored(r.data.pending);
    return store;
  }

  get identity(): Identity {
    return { chainId: BigInt(this.doc.chainId), registry: this.doc.registry, account: this.doc.account };
  }
  get committed(): AccountState {
    return fromStored(this.doc.committed);
  }
  get pending(): { state: AccountState; label: string; txHash?: string } | undefined {
    const p = this.doc.pending;
    return p ? { state: fromStored(p), label: p.label, txHash: p.txHash } : undefined;
  }
  get historyLength(): number {
    return this.doc.history.length;
  }

  /** Holds the lock for this process (CLI command or daemon lifetime). */
  acquire(): void {
    this.lock.acquire();
  }
  release(): void {
    this.lock.release();
  }

  /** Records the next state before its transaction is sent. An older pending state moves to history. */
  setPending(next: AccountState, label: string): void {
    if (this.doc.pending) this.doc.history.unshift(this.doc.pending);
    this.doc.pending = toStored(next, label);
    this.write();
  }

  setPendingTx(txHash: string): void {
    if (!this.doc.pending) throw new Error("no pending state to attach a transaction to");
    this.doc.pending = { ...this.doc.pending, txHash };
    this.write();
  }

  /** The pending state's transaction was mined: it becomes the committed state. */
  commitPending(): void {
    if (!this.doc.pending) throw new Error("no pending state to commit");
    this.doc.history.unshift(this.doc.committed);
    this.doc.committed = this.doc.pending;
    this.doc.pending = undefined;
    this.write();
  }

  /** The pending state's transaction failed for good: keep it in history, in case it lands after all. */
  abandonPending(): void {
    if (!this.doc.pending) return;
    this.doc.history.unshift({ ...this.doc.pending, label: `abandoned: ${this.doc.pending.label}` });
    this.doc.pending = undefined;
    this.write();
  }

  /** Makes the state whose commitment equals the chain's the committed one. */
  reconcile(chainCommitment: bigint): ReconcileOutcome {
    const c = chainCommitment.toString();
    if (this.doc.committed.commitment === c) {
      return "unchanged";
    }
    if (this.doc.pending?.commitment === c) {
      this.commitPending();
      return "pending-committed";
    }
    const i = this.doc.history.findIndex((s) => s.commitment === c);
    if (i >= 0) {
      const [found] = this.doc.history.splice(i, 1);
      this.doc.history.unshift(this.doc.committed);
      if (this.doc.pending) this.doc.history.unshift({ ...this.doc.pending, label: `abandoned: ${this.doc.pending.label}` });
      this.doc.committed = found;
      this.doc.pending = undefined;
      this.write();
      return "recovered-from-history";
    }
    throw new StoreError(
      StoreErrorCode.ChainMismatch,
      `the chain's commitment ${c} matches no state in ${this.file}: it was updated from another copy of this state; use that copy (nothing was changed here)`,
    );
  }

  /** When the chain has moved past the pending state's nonce without it, the pending state is abandoned. */
  dropPendingIfStale(chainCommitment: bigint): boolean {
    if (this.doc.pending && this.doc.committed.commitment === chainCommitment.toString()) {
      this.abandonPending();
      return true;
    }
    return false;
  }

  /** Writes an encrypted backup copy (a fresh envelope of the same document) to `dest`. */
  exportBackup(dest: string): void {
    if (fs.existsSync(dest)) throw new StoreError(StoreErrorCode.AlreadyExists, `${dest} already exists: refusing to overwrite`);
    atomicWrite(dest, seal(JSON.stringify(this.doc), this.passphrase, this.kdf));
    StateStore.open(dest, this.passphrase, this.kdf);
  }

  private write(): void {
    atomicWrite(this.file, seal(JSON.stringify(this.doc), this.passphrase, this.kdf));
  }
}
