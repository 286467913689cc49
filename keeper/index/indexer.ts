/**
 * Builds the account index from registry logs, reorg-safe:
 * - blocks up to head - confirmations are finalised into `finalized` (and checkpointed);
 * - the last `confirmations` blocks are re-read every time the head changes and applied to a
 *   copy-on-write overlay that is thrown away and rebuilt, so a shallow reorg simply disappears;
 * - catching up is chunked (`chunk` blocks per eth_getLogs); an unchanged head costs no request.
 */
import type { Logger } from "pino";
import { type Identity, applyEvent, changesParams } from "./apply";
import type { Checkpoint } from "./checkpoint";
import { type DomainEvent, type Roles, decodeAny } from "./events";
import { type AccountRecord, type AccountsView, EMPTY_GLOBAL, type GlobalState, type LogLike } from "./types";

export interface LogSource {
  logs(fromBlock: number, toBlock: number): Promise<readonly LogLike[]>;
}

export interface HeadRef {
  readonly number: number;
  readonly hash: string;
}

export interface IndexerOptions {
  readonly startBlock: number;
  readonly confirmations: number;
  readonly chunk: number;
  /** Lowercase address -> role of every contract whose logs are read (the registry at least). */
  readonly roles: Roles;
  readonly identity?: Identity;
}

export interface SyncResult {
  /** A pause or auction-parameter event was seen (the caller re-reads what events do not carry). */
  readonly paramsChanged: boolean;
  readonly logs: number;
  /** The chain went back below the finalised block (node reset or deep reorg): the index was rebuilt. */
  readonly reset: boolean;
}

/** The finalised records and deployment-wide state. */
export class Finalized implements AccountsView {
  constructor(
    readonly records: Map<string, AccountRecord> = new Map(),
    public global: GlobalState = EMPTY_GLOBAL,
  ) {}
  get(account: string): AccountRecord | undefined {
    return this.records.get(account);
  }
  set(account: string, record: AccountRecord): void {
    this.records.set(account, record);
  }
  entries(): Iterable<readonly [string, AccountRecord]> {
    return this.records.entries();
  }
  get size(): number {
    return this.records.size;
  }
}

class Overlay implements AccountsView {
  readonly changed = new Map<string, AccountRecord>();
  global: GlobalState;
  constructor(private readonly base: Finalized) {
    this.global = base.global;
  }
  get(account: string): AccountRecord | undefined {
    return this.changed.get(account) ?? this.base.get(account);
  }
  set(account: string, record: AccountRecord): void {
    this.changed.set(account, record);
  }
  *entries(): Iterable<readonly [string, AccountRecord]> {
    yield* this.changed;
    for (const e of this.base.records) if (!this.changed.has(e[0])) yield e;
  }
  get size(): number {
    let n = this.base.size;
    for (const k of this.changed.keys()) if (!this.base.records.has(k)) n++;
    return n;
  }
}

export class Indexer {
  #finalized = new Finalized();
  #finalBlock: number;
  #overlay: Overlay;
  #overlayHead: string | undefined;

  constructor(
    private readonly source: LogSource,
    private readonly opts: IndexerOptions,
    private readonly log?: Logger,
  ) {
    this.#finalBlock = opts.startBlock - 1;
    this.#overlay = new Overlay(this.#finalized);
  }

  /** Last block included in the finalised state. */
  get finalizedBlock(): number {
    return this.#finalBlock;
  }

  view(): AccountsView {
    return this.#overlay;
  }

  /** Resumes from a verified checkpoint (the caller checked its chain, registry and block hash). */
  restore(cp: Checkpoint): void {
    this.#finalized = new Finalized(new Map(cp.accounts), cp.global);
    this.#finalBlock = cp.block;
    this.#overlay = new Overlay(this.#finalized);
    this.#overlayHead = undefined;
  }

  reset(): void {
    this.#finalized = new Finalized();
    this.#finalBlock = this.opts.startBlock - 1;
    this.#overlay = new Overlay(this.#finalized);
    this.#overlayHead = undefined;
  }

  /** The finalised state, for a checkpoint (the caller adds the block hash). */
  finalizedState(): { block: number; accounts: ReadonlyMap<string, AccountRecord>; global: GlobalState } {
    return { block: this.#finalBlock, accounts: this.#finalized.records, global: this.#finalized.global };
  }

  private decode(l: LogLike): DomainEvent | undefined {
    return decodeAny(this.opts.roles, l);
  }

  async sync(head: HeadRef): Promise<SyncResult> {
    let reset = false;
    if (head.number < this.#finalBlock) {
      this.log?.warn(
        { head: head.number, finalized: this.#finalBlock },
        "chain is behind the finalised index (node reset or deep reorg): rebuilding",
      );
      this.reset();
      reset = true;
    }
    const target = head.number - this.opts.confirmations;
    if (target <= this.#finalBlock && head.hash === this.#overlayHead) return { paramsChanged: false, logs: 0, reset };

    let paramsChanged = false;
    let count = 0;
    let overlayEvents: DomainEvent[] | undefined;
    const who = this.opts.identity;
    const onEvent = (ev: DomainEvent) => {
      if (changesParams(ev)) paramsChanged = true;
    };

    // Catch up the finalised state in chunks; the last chunk also brings the overlay's logs when the
    // whole remaining range fits in one request.
    while (target > this.#finalBlock) {
      const from = this.#finalBlock + 1;
      const to = Math.min(target, from + this.opts.chunk - 1);
      const withOverlay = to === target && head.number - from + 1 <= this.opts.chunk;
      const logs = await this.source.logs(from, withOverlay ? head.number : to);
      count += logs.length;
      const tail: DomainEvent[] = [];
      for (const l of logs) {
        const ev = this.decode(l);
        if (ev === undefined) continue;
        onEvent(ev);
        if (l.blockNumber <= to) applyEvent(this.#finalized, ev, who);
        else tail.push(ev);
      }
      this.#finalBlock = to;
      if (withOverlay) overlayEvents = tail;
    }

    if (overlayEvents === undefined) {
      overlayEvents = [];
      if (head.number > this.#finalBlock) {
        const logs = await this.source.logs(this.#finalBlock + 1, head.number);
        count += logs.length;
        for (const l of logs) {
          const ev = this.decode(l);
          if (ev === undefined) continue;
          onEvent(ev);
          overlayEvents.push(ev);
        }
      }
    }
    const overlay = new Overlay(this.#finalized);
    for (const ev of overlayEvents) applyEvent(overlay, ev, who);
    this.#overlay = overlay;
    this.#overlayHead = head.hash;
    return { paramsChanged, logs: count, reset };
  }
}
