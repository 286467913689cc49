/**
 * One keeper round: head -> index sync -> (parameters on change) -> one oracle read -> in-memory scan
 * -> per-candidate checks -> liquidations (they pay) -> challenges -> checkpoint. RPC calls grow with
 * the number of candidates (bounded per round), never with the number of accounts needing nothing.
 */
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { type ChainReader, type Head, type ProtocolParams, revertName } from "./chain/reader";
import type { KeeperConfig } from "./config";
import { findKeeperError, messageOf } from "./errors";
import type { Executor, TxResult } from "./executor";
import type { Indexer } from "./index/indexer";
import { IndexPersistence } from "./index/persistence";
import * as strategy from "./strategy";
import { type Fees, quoteFees } from "./tx/fees";

export interface KeeperDeps {
  readonly config: KeeperConfig;
  readonly chainId: bigint;
  readonly chain: ChainReader;
  readonly indexer: Indexer;
  readonly log: Logger;
  /** Absent for a read-only keeper (`status`). */
  readonly executor?: Executor;
  readonly me?: string;
  /** Total JSON-RPC calls so far (for the per-round count). */
  readonly rpcCalls?: () => number;
  /** Never writes the checkpoint (`status` may run next to a live keeper). */
  readonly readOnly?: boolean;
}

export interface RoundSummary {
  round: number;
  block: number;
  finalizedBlock: number;
  timestamp: bigint;
  paused: boolean;
  counts: strategy.Scan["counts"];
  ourOpenChallenges: number;
  candidates: { challenge: number; liquidate: number };
  challenged: string[];
  liquidated: string[];
  txs: { action: string; status: string; accounts: string[]; hash?: string; reason?: string }[];
  skipped: strategy.Skip[];
  oracleError?: string;
  gasAboveCap?: boolean;
  dryRun: boolean;
  rpcCalls: number;
  ms: number;
}

export class Keeper {
  #round = 0;
  #params: ProtocolParams | undefined;
  #paramsRound = 0;
  readonly #persistence: IndexPersistence;
  readonly #hints = new Map<string, bigint>();
  readonly #cooldown = new Map<string, number>();

  constructor(private readonly d: KeeperDeps) {
    const c = d.config;
    this.#persistence = new IndexPersistence(
      d.indexer,
      d.chain,
      {
        file: c.checkpointFile,
        everyMs: c.checkpointEveryMs,
        chainId: d.chainId,
        registry: c.registry,
        startBlock: c.startBlock,
        readOnly: d.readOnly ?? false,
      },
      d.log,
    );
  }

  get params(): ProtocolParams | undefined {
    return this.#params;
  }

  private calls(): number {
    return this.d.rpcCalls?.() ?? 0;
  }

  /** Resumes from the checkpoint when it is for this deployment and its block is still canonical. */
  init(): Promise<void> {
    return this.#persistence.restore();
  }

  /** Writes the finalised index if it moved (force: even if checkpointEveryMs has not elapsed). */
  saveCheckpoint(force = false): Promise<void> {
    return this.#persistence.save(force);
  }

  private cooling(account: string, nonce: bigint): boolean {
    const until = this.#cooldown.get(strategy.hintKey(account, nonce));
    return until !== undefined && until >= this.#round;
  }

  private cool(account: string): void {
    const r = this.d.indexer.view().get(account);
    if (r !== undefined)
      this.#cooldown.set(strategy.hintKey(account, r.nonce), this.#round + this.d.config.candidateCooldownRounds);
  }

  async round(): Promise<RoundSummary> {
    const t0 = performance.now();
    const c0 = this.calls();
    const { chain, indexer, config: c, log } = this.d;
    const n = ++this.#round;
    if (n % 100 === 0) {
      for (const [k, until] of this.#cooldown) if (until < n) this.#cooldown.delete(k);
      this.#hints.clear(); // pause-extended deadlines are re-read (one call per candidate) when needed
    }

    const head = await chain.head();
    const sync = await indexer.sync(head);
    if (this.#params === undefined || sync.paramsChanged || n - this.#paramsRound >= c.paramsRefreshRounds) {
      this.#params = await chain.params();
      this.#paramsRound = n;
    }
    const params = this.#params;
    let prices: bigint[] | undefined;
    let oracleError: string | undefined;
    if (!params.paused) {
      try {
        prices = await chain.marketPrices();
      } catch (e) {
        if (findKeeperError(e)) throw e;
        oracleError = revertName(e) ?? messageOf(e);
        log.warn({ error: oracleError }, "oracle read failed: no challenges this round");
      }
    }
    const s = strategy.scan(indexer.view(), {
      prices,
      now: head.timestamp,
      me: this.d.me,
      params,
      deadlineHints: this.#hints,
      coolingDown: (a, nonce) => this.cooling(a, nonce),
    });
    const summary: RoundSummary = {
      round: n,
      block: head.number,
      finalizedBlock: indexer.finalizedBlock,
      timestamp: head.timestamp,
      paused: params.paused,
      counts: s.counts,
      ourOpenChallenges: s.ourOpenChallenges,
      candidates: { challenge: s.challenge.length, liquidate: s.liquidate.length },
      challenged: [],
      liquidated: [],
      txs: [],
      skipped: [],
      oracleError,
      dryRun: c.dryRun,
      rpcCalls: 0,
      ms: 0,
    };
    if (this.d.executor !== undefined && (s.liquidate.length > 0 || s.challenge.length > 0)) {
      const fees = quoteFees(head.baseFeePerGas, c.gas);
      if (fees === undefined) {
        summary.gasAboveCap = true;
        log.warn(
          { baseFeePerGas: head.baseFeePerGas, cap: c.gas.maxFeePerGasWei },
          "base fee at or above maxFeePerGasWei: sending nothing",
        );
      } else {
        const econ: strategy.Economics = {
          gasPriceWei: fees.expectedGasPrice,
          challengeBaseGas: BigInt(c.gas.challengeBaseGas),
          challengeGasPerAccount: BigInt(c.gas.challengeGasPerAccount),
          liquidateBaseGas: BigInt(c.gas.liquidateBaseGas),
          liquidateGasPerAccount: BigInt(c.gas.liquidateGasPerAccount),
          ethPriceInQuote: c.profit.ethPriceInQuote,
          minProfitWei: c.profit.minProfitWei,
        };
        await this.liquidations(s.liquidate, head, params, econ, fees, summary);
        await this.challenges(s.challenge, s.ourOpenChallenges, params, econ, fees, summary);
      }
    }
    await this.saveCheckpoint();
    summary.rpcCalls = this.calls() - c0;
    summary.ms = Math.round((performance.now() - t0) * 10) / 10;
    const acted = summary.txs.length > 0 || summary.skipped.length > 0;
    log[acted ? "info" : "debug"](summary, "round");
    return summary;
  }

  private get limits(): strategy.Limits {
    return { batchSize: this.d.config.batchSize, maxBatches: this.d.config.maxBatchesPerRound };
  }

  private async liquidations(
    cands: strategy.LiquidationCandidate[],
    head: Head,
    p: ProtocolParams,
    e: strategy.Economics,
    fees: Fees,
    summary: RoundSummary,
  ): Promise<void> {
    if (cands.length === 0) return;
    const chain = this.d.chain;
    const take = cands.slice(0, this.limits.batchSize * this.limits.maxBatches);
    const checked = await Promise.all(
      take.map(async (candidate) => {
        const deadline = await chain.deadlineOf(candidate.account);
        return {
          candidate,
          deadline,
          pinnedValue: deadline === null ? 0n : await chain.pinnedValue(candidate.account),
        };
      }),
    );
    const sel = strategy.selectLiquidations(checked, head.timestamp, p, e, this.limits);
    for (const c of checked) {
      if (c.deadline !== null && c.deadline > c.candidate.deadline)
        this.#hints.set(strategy.hintKey(c.candidate.account, c.candidate.nonce), c.deadline);
    }
    this.skip(sel.skipped, summary);
    for (const b of sel.batches) this.record(await this.d.executor!.liquidate(b, fees), summary);
  }

  private async challenges(
    cands: strategy.ChallengeCandidate[],
    ourOpen: number,
    p: ProtocolParams,
    e: strategy.Economics,
    fees: Fees,
    summary: RoundSummary,
  ): Promise<void> {
    if (cands.length === 0) return;
    const capacity = strategy.bondCapacity(ourOpen, p.bond, this.d.config.maxBondsAtRiskWei);
    if (capacity === 0) {
      this.d.log.debug({ ourOpen, candidates: cands.length }, "bond cap reached: no new challenges");
      return;
    }
    const chain = this.d.chain;
    const take = cands.slice(0, Math.min(capacity, this.limits.batchSize * this.limits.maxBatches));
    const checked = await Promise.all(
      take.map(async (candidate) => {
        const challengeable = await chain.isChallengeable(candidate.account);
        return { candidate, challengeable, value: challengeable ? await chain.collateralValue(candidate.account) : 0n };
      }),
    );
    const sel = strategy.selectChallenges(checked, p, e, capacity, this.limits);
    this.skip(sel.skipped, summary);
    for (const b of sel.batches) this.record(await this.d.executor!.challenge(b, p.bond, fees), summary);
  }

  private skip(skipped: strategy.Skip[], summary: RoundSummary): void {
    for (const s of skipped) {
      if (s.reason === "round-limit" || s.reason === "bond-cap" || s.reason === "not-due") continue;
      summary.skipped.push(s);
      this.cool(s.account);
    }
  }

  /** Records a transaction's outcome; whatever was tried and not done by us cools down for a while. */
  private record(r: TxResult, summary: RoundSummary): void {
    const done = r.status === "mined" ? r.handled : [];
    if (r.action === "challenge") summary.challenged.push(...done);
    else summary.liquidated.push(...done);
    for (const a of r.accounts) if (!done.includes(a)) this.cool(a);
    summary.txs.push({
      action: r.action,
      status: r.status,
      accounts: r.accounts,
      ...(r.status === "mined" || r.status === "reverted" ? { hash: r.hash } : {}),
      ...(r.status === "skipped"
        ? { reason: r.detail ?? r.reason }
        : r.status === "failed"
          ? { reason: `${r.code}: ${r.message}` }
          : {}),
    });
  }
}
