/**
 * Checkpoint policy of a running keeper: restore on start when the file is for this deployment and its
 * block is still canonical (else rebuild from startBlock), and write the finalised index at most every
 * checkpointEveryMs when it moved (always on shutdown).
 */
import type { Logger } from "pino";
import type { ChainReader } from "../chain/reader";
import { type Spent, loadCheckpoint, requireSameDeployment, saveCheckpoint } from "./checkpoint";
import type { Indexer } from "./indexer";

export interface PersistenceOptions {
  readonly file: string;
  readonly everyMs: number;
  readonly chainId: bigint;
  readonly registry: string;
  readonly startBlock: number;
  /** Never write (a read-only `status` next to a live keeper). */
  readonly readOnly: boolean;
  /** The gas spent so far (kept in the checkpoint; restored through onSpent). */
  readonly spent?: () => Spent;
  readonly onSpent?: (s: Spent) => void;
}

export class IndexPersistence {
  #lastSave = 0;
  #savedBlock: number | undefined;
  #savedSpent: bigint | undefined;

  constructor(
    private readonly indexer: Indexer,
    private readonly chain: Pick<ChainReader, "blockHash">,
    private readonly o: PersistenceOptions,
    private readonly log: Logger,
  ) {}

  async restore(): Promise<void> {
    const file = this.o.file;
    const log = this.log;
    const loaded = loadCheckpoint(file);
    if (loaded.kind === "ok" && loaded.checkpoint.spent !== undefined) this.o.onSpent?.(loaded.checkpoint.spent);
    if (loaded.kind === "corrupt")
      log.warn({ file, reason: loaded.reason }, "checkpoint unreadable: rebuilding the index from startBlock");
    if (loaded.kind !== "ok") return;
    const cp = loaded.checkpoint;
    requireSameDeployment(cp, this.o.chainId, this.o.registry, file);
    if (cp.startBlock !== this.o.startBlock) {
      log.warn(
        { checkpointStart: cp.startBlock, startBlock: this.o.startBlock },
        "checkpoint has another startBlock: rebuilding",
      );
      return;
    }
    const hash = await this.chain.blockHash(cp.block);
    if (hash !== cp.blockHash) {
      log.warn(
        { block: cp.block, saved: cp.blockHash, now: hash },
        "checkpoint block is no longer canonical (deep reorg): rebuilding from startBlock",
      );
      return;
    }
    this.indexer.restore(cp);
    this.#savedBlock = cp.block;
    log.info({ block: cp.block, accounts: cp.accounts.size }, "resumed from checkpoint");
  }

  /** Writes the finalised index if it moved (force: even if everyMs has not elapsed). */
  async save(force = false): Promise<void> {
    if (this.o.readOnly) return;
    if (!force && Date.now() - this.#lastSave < this.o.everyMs) return;
    const { block, accounts, global } = this.indexer.finalizedState();
    const spent = this.o.spent?.();
    if (block < 0 || (block === this.#savedBlock && spent?.gasWei === this.#savedSpent)) return;
    const blockHash = await this.chain.blockHash(block);
    if (blockHash === null) return;
    saveCheckpoint(this.o.file, {
      chainId: this.o.chainId,
      registry: this.o.registry,
      startBlock: this.o.startBlock,
      block,
      blockHash,
      accounts,
      global,
      spent,
    });
    this.#savedSpent = spent?.gasWei;
    this.#lastSave = Date.now();
    this.#savedBlock = block;
    this.log.debug({ block, accounts: accounts.size }, "checkpoint written");
  }
}
