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
import { DEFAULT_KDF, type KdfParams, openEnvelope, seal } from "./envelope";
import { StoreError, StoreErrorCode } from "./errors";
import { FileLock, type WaitOptions, atomicWrite } from "./files";

const big = z.string().regex(/^-?\d+$/);
const StoredState = z.object({
  commitment: big,
  salt: big,
  cash: big,
  markets: z.array(z.object({ size: big, side: z.union([z.literal(0), z.literal(1)]), cost: big })),
  label: z.string(),
  at: z.string(),
  txHash: z.string().optional(),
});
type StoredState = z.infer<typeof StoredState>;
/** Version 2: states carry the committed cash (realised, unsettled PnL) of the v2 commitment. */
export const STATE_FORMAT_VERSION = 2;
const Doc = z.object({
  version: z.literal(STATE_FORMAT_VERSION),
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

export type ReconcileOutcome = "unchanged" | "pending-committed" | "recovered-from-history";

function toStored(state: AccountState, label: string, txHash?: string): StoredState {
  return {
    commitment: commitment(state).toString(),
    salt: state.salt.toString(),
    cash: state.cash.toString(),
    markets: state.markets.map((m) => ({ size: m.size.toString(), side: m.side as 0 | 1, cost: m.cost.toString() })),
    label,
    at: new Date().toISOString(),
    ...(txHash ? { txHash } : {}),
  };
}

function fromStored(s: StoredState): AccountState {
  const state: AccountState = {
    salt: BigInt(s.salt),
    cash: BigInt(s.cash),
    markets: s.markets.map((m) => ({ size: BigInt(m.size), side: m.side as Side, cost: BigInt(m.cost) })),
  };
  if (commitment(state).toString() !== s.commitment) {
    throw new StoreError(StoreErrorCode.Corrupted, `a stored state does not match its commitment (${s.label})`);
  }
  return state;
}

/** The salt of each state file as last read or written (rewrites keep it: one scrypt per command). */
const salts = new Map<string, string>();

function readDoc(file: string, passphrase: string): Doc {
  if (!fs.existsSync(file))
    throw new StoreError(
      StoreErrorCode.NotFound,
      `no state file at ${file} (run \`init\` first, or point --state at your backup)`,
    );
  const env = openEnvelope(fs.readFileSync(file, "utf8"), passphrase, file);
  salts.set(file, env.salt);
  const text = env.plaintext;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StoreError(StoreErrorCode.Corrupted, `${file} decrypted to invalid JSON`);
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (version === 1) {
    throw new StoreError(
      StoreErrorCode.OldFormat,
      `${file} is a zkmargin v1 state file: v2 commits hidden cash and cannot open it. Close the v1 positions and withdraw with the v1 prover (its registry is unchanged), then run \`zkm init\` against the v2 registry`,
    );
  }
  const r = Doc.safeParse(parsed);
  if (!r.success)
    throw new StoreError(
      StoreErrorCode.Corrupted,
      `${file} holds an unexpected document: ${r.error.issues[0]?.message}`,
    );
  fromStored(r.data.committed);
  if (r.data.pending) fromStored(r.data.pending);
  return r.data;
}

export class StateStore {
  private readonly lock: FileLock;

  private constructor(
    readonly file: string,
    private readonly passphrase: string,
    private doc: Doc,
    private readonly kdf: KdfParams,
    role?: string,
  ) {
    this.lock = new FileLock(`${file}.lock`, role);
  }

  /** Creates a new state file (refuses to overwrite one). */
  static create(
    file: string,
    passphrase: string,
    id: Identity,
    initial: AccountState,
    kdf: KdfParams = DEFAULT_KDF,
    role?: string,
  ): StateStore {
    if (fs.existsSync(file))
      throw new StoreError(
        StoreErrorCode.AlreadyExists,
        `${file} already exists: refusing to overwrite a private state`,
      );
    const doc: Doc = {
      version: STATE_FORMAT_VERSION,
      chainId: id.chainId.toString(),
      registry: id.registry,
      account: id.account,
      committed: toStored(initial, "initial"),
      history: [],
    };
    const store = new StateStore(file, passphrase, doc, kdf, role);
    store.lock.acquire();
    try {
      store.write();
    } finally {
      store.lock.release();
    }
    return store;
  }

  /** Decrypts and validates a state file. Writers call acquire(), which reads it again under the lock. */
  static open(file: string, passphrase: string, kdf: KdfParams = DEFAULT_KDF, role?: string): StateStore {
    return new StateStore(file, passphrase, readDoc(file, passphrase), kdf, role);
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

  /**
   * Takes the lock and re-reads the file under it, so that this process writes on top of the latest
   * state (another process may have written since open()).
   */
  acquire(): void {
    this.lock.acquire();
    try {
      this.doc = readDoc(this.file, this.passphrase);
    } catch (e) {
      this.lock.release();
      throw e;
    }
  }
  /** acquire(), waiting while another process (a CLI command, the daemon) holds the lock. */
  async acquireWait(o: WaitOptions = {}): Promise<void> {
    await this.lock.acquireWait(o);
    try {
      this.doc = readDoc(this.file, this.passphrase);
    } catch (e) {
      this.lock.release();
      throw e;
    }
  }
  release(): void {
    this.lock.release();
  }
  get holdsLock(): boolean {
    return this.lock.isHeld;
  }

  /**
   * The stored state (committed, pending or in history) whose commitment is `chainCommitment`, without
   * writing anything: what a reader (the daemon) uses while a writer holds the lock.
   */
  stateFor(chainCommitment: bigint): AccountState | undefined {
    const c = chainCommitment.toString();
    const d = this.doc;
    const found = [d.committed, ...(d.pending ? [d.pending] : []), ...d.history].find((s) => s.commitment === c);
    return found ? fromStored(found) : undefined;
  }

  /** Whether `salt` was ever used by a state of this file (the prover never reuses one). */
  usedSalt(salt: bigint): boolean {
    const s = salt.toString();
    const d = this.doc;
    return d.committed.salt === s || d.pending?.salt === s || d.history.some((h) => h.salt === s);
  }

  /**
   * Records the next state before its transaction is sent. An older pending state moves to history.
   * Refuses a salt used before (two states with one salt would let an observer link or test them).
   */
  setPending(next: AccountState, label: string): void {
    if (this.usedSalt(next.salt)) {
      throw new StoreError(StoreErrorCode.SaltReused, `refusing to record a state with a salt used before (${label})`);
    }
    this.mutate((d) => {
      if (d.pending) d.history.unshift(d.pending);
      d.pending = toStored(next, label);
    });
  }

  setPendingTx(txHash: string): void {
    this.mutate((d) => {
      if (!d.pending) throw new Error("no pending state to attach a transaction to");
      d.pending = { ...d.pending, txHash };
    });
  }

  /** The pending state's transaction was mined: it becomes the committed state. */
  commitPending(): void {
    this.mutate((d) => {
      if (!d.pending) throw new Error("no pending state to commit");
      d.history.unshift(d.committed);
      d.committed = d.pending;
      d.pending = undefined;
    });
  }

  /** The pending state's transaction failed for good: keep it in history, in case it lands after all. */
  abandonPending(): void {
    if (!this.doc.pending) return;
    this.mutate((d) => {
      d.history.unshift({ ...d.pending!, label: `abandoned: ${d.pending!.label}` });
      d.pending = undefined;
    });
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
      this.mutate((d) => {
        const [found] = d.history.splice(i, 1);
        d.history.unshift(d.committed);
        if (d.pending) d.history.unshift({ ...d.pending, label: `abandoned: ${d.pending.label}` });
        d.committed = found;
        d.pending = undefined;
      });
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
    if (fs.existsSync(dest))
      throw new StoreError(StoreErrorCode.AlreadyExists, `${dest} already exists: refusing to overwrite`);
    atomicWrite(dest, seal(JSON.stringify(this.doc), this.passphrase, this.kdf));
    StateStore.open(dest, this.passphrase, this.kdf);
  }

  /** Applies `fn` to a copy and adopts it only once it is safely on disk. */
  private mutate(fn: (d: Doc) => void): void {
    const next = structuredClone(this.doc);
    fn(next);
    this.writeDoc(next);
    this.doc = next;
  }

  private write(): void {
    this.writeDoc(this.doc);
  }

  private writeDoc(d: Doc): void {
    const text = seal(JSON.stringify(d), this.passphrase, this.kdf, salts.get(this.file));
    atomicWrite(this.file, text);
    salts.set(this.file, (JSON.parse(text) as { kdf: { salt: string } }).kdf.salt);
  }
}
