/**
 * One keeper round over one deployment: head -> index sync (one eth_getLogs for the registry, auction
 * house, fund and taker) -> one market read through the lens -> in-memory scan and ranking by expected
 * profit -> batched lens checks of the best candidates (hundreds per eth_call) -> liquidations ->
 * challenges -> forced sales (pokes, redos, takes, repays) -> checkpoint. RPC calls grow with what is
 * sent, never with the number of accounts or candidates that need nothing.
 */
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { ChainReader, ProtocolParams } from "./chain/reader";
import type { DeploymentConfig } from "./config";
import { KeeperErrorCode, findKeeperError, messageOf } from "./errors";
import type { Actions, TxResult } from "./executor";
import type { Spent } from "./index/checkpoint";
import type { Indexer } from "./index/indexer";
import { IndexPersistence } from "./index/persistence";
import type { AccountsView, Incentives, Timing } from "./index/types";
import { type Metrics, eth, observeRound, quote } from "./metrics";
import { type Pnl, pnlOf } from "./pnl";
import { type PickContext, pickChallenges, pickLiquidations } from "./pick";
import type { Market } from "./rule";
import { type SalesSummary, runSales } from "./sales";
import * as strategy from "./strategy";
import { type Fees, quoteFees } from "./tx/fees";

export interface KeeperDeps {
  readonly config: DeploymentConfig;
  readonly chainId: bigint;
  readonly chain: ChainReader;
  readonly indexer: Indexer;
  readonly log: Logger;
  /** Absent for a read-only keeper (`status`). */
  readonly executor?: Actions;
  readonly me?: string;
  /** JSON-RPC requests and transient errors so far (for the per-round count and the metrics). */
  readonly rpcCalls?: () => number;
  readonly rpcErrors?: () => number;
  /** Never writes the checkpoint (`status` may run next to a live keeper). */
  readonly readOnly?: boolean;
  readonly metrics?: Metrics;
  readonly heartbeatRounds?: number;
}

export interface TxSummary {
  action: string;
  status: string;
  accounts: number;
  handled?: number;
  hash?: string;
  gasUsed?: bigint;
  reason?: string;
}

export type { Pnl };

export interface RoundSummary {
  deployment: string;
  round: number;
  block: number;
  finalizedBlock: number;
  timestamp: bigint;
  paused: boolean;
  counts: strategy.Counts;
  ourOpenChallenges: number;
  candidates: { challenge: number; liquidate: number };
  /** Expected profit of everything actionable this round (value units): the dry run's P&L view. */
  expectedProfit: bigint;
  challenged: string[];
  liquidated: string[];
  sales: SalesSummary;
  txs: TxSummary[];
  lensCalls: number;
  oracleError?: string;
  gasAboveCap?: boolean;
  dryRun: boolean;
  rpcCalls: number;
  ms: number;
}

export class Keeper {
  #round = 0;
  #params: ProtocolParams | undefined;
  #fromStart = true;
  #spent: Spent = { gasWei: 0n, txs: 0 };
  #lowBalance = false;
  #balance: bigint | undefined;
  #failures = 0;
  #lastOk: number | undefined;
  readonly #persistence: IndexPersistence;
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
        spent: () => this.#spent,
        onSpent: (s) => (this.#spent = s),
      },
      d.log,
    );
  }

  get name(): string {
    return this.d.config.name;
  }

  get view(): AccountsView {
    return this.d.indexer.view();
  }

  get health(): { lastOk: number | undefined; failures: number } {
    return { lastOk: this.#lastOk, failures: this.#failures };
  }

  /** Gas paid by a mined transaction of ours (the sender reports it). */
  addSpent(gasWei: bigint): void {
    this.#spent = { gasWei: this.#spent.gasWei + gasWei, txs: this.#spent.txs + 1 };
    this.d.metrics?.gasSpentEth.set({ deployment: this.name }, eth(this.#spent.gasWei));
  }

  private calls(): number {
    return this.d.rpcCalls?.() ?? 0;
  }

  /** Resumes from the checkpoint when it is for this deployment and its block is still canonical. */
  async init(): Promise<void> {
    await this.#persistence.restore();
    this.#fromStart = this.d.config.startBlock === 0;
  }

  saveCheckpoint(force = false): Promise<void> {
    return this.#persistence.save(force);
  }

  /** Our P&L on this deployment from the index (events) and the gas we paid. */
  pnl(market?: Market): Pnl {
    return pnlOf(this.d.indexer.view().global.ledger, this.#spent.gasWei, this.d.config.profit.ethPriceInQuote, market);
  }

  private cooling(account: string, nonce: bigint): boolean {
    const until = this.#cooldown.get(`${account}:${nonce}`);
    return until !== undefined && until >= this.#round;
  }

  private cool(account: string, rounds = this.d.config.candidateCooldownRounds): void {
    const r = this.d.indexer.view().get(account);
    if (r !== undefined) this.#cooldown.set(`${account}:${r.nonce}`, this.#round + rounds);
  }

  private async params(changed: boolean): Promise<{ timing: Timing; incentives: Incentives; pausedUntil: bigint }> {
    const g = this.d.indexer.view().global;
    if (g.timing !== undefined && g.incentives !== undefined && (this.#fromStart || this.#params !== undefined)) {
      if (changed && !this.#fromStart) this.#params = await this.d.chain.params();
      return {
        timing: g.timing,
        incentives: g.incentives,
        pausedUntil: g.pauseEvents > 0 || this.#params === undefined ? g.pausedUntil : this.#params.pausedUntil,
      };
    }
    // indexing started after the deployment: read what the first events would have said
    if (this.#params === undefined || changed) this.#params = await this.d.chain.params();
    return {
      timing: g.timing ?? this.#params.timing,
      incentives: g.incentives ?? this.#params.incentives,
      pausedUntil: g.pauseEvents > 0 ? g.pausedUntil : this.#params.pausedUntil,
    };
  }

  /** A round that fails (RPC down after its retries) is counted and logged; the caller tries again. */
  async safeRound(): Promise<RoundSummary | undefined> {
    try {
      return await this.round();
    } catch (e) {
      this.#failures++;
      this.d.metrics?.roundFailures.inc({ deployment: this.name });
      const k = findKeeperError(e);
      const transient = k?.code === KeeperErrorCode.RpcUnavailable;
      this.d.log[transient ? "warn" : "error"](
        {
          deployment: this.name,
          code: k?.code ?? "UNEXPECTED",
          error: messageOf(e),
          failures: this.#failures,
          ...(k ? {} : { stack: (e as Error).stack }),
        },
        "round failed (will retry)",
      );
      return undefined;
    }
  }

  async round(): Promise<RoundSummary> {
    const t0 = performance.now();
    const c0 = this.calls();
    const { chain, indexer, config: c, log } = this.d;
    const n = ++this.#round;
    if (n % 100 === 0) for (const [k, until] of this.#cooldown) if (until < n) this.#cooldown.delete(k);

    const head = await chain.head();
    const sync = await indexer.sync(head);
    const p = await this.params(sync.paramsChanged);
    const view = indexer.view();
    let market: Market | undefined;
    let oracleError: string | undefined;
    try {
      market = await chain.market();
    } catch (e) {
      if (findKeeperError(e)) throw e;
      oracleError = messageOf(e);
      log.warn({ deployment: this.name, error: oracleError }, "oracle read failed: no challenge or liquidation");
    }
    const paused = head.timestamp < p.pausedUntil;
    let pauseClock = 0n;
    if ((view.global.pauseEvents > 0 || !this.#fromStart) && hasOpenChallenge(view))
      pauseClock = await chain.pauseClock();
    const fees = quoteFees(head.baseFeePerGas, c.gas);
    const econ = this.economics(fees);
    const s = strategy.scan(view, {
      market,
      now: head.timestamp,
      me: this.d.me,
      timing: p.timing,
      incentives: p.incentives,
      paused,
      pauseClock,
      econ,
      coolingDown: (a, nonce) => this.cooling(a, nonce),
    });
    const summary: RoundSummary = {
      deployment: this.name,
      round: n,
      block: head.number,
      finalizedBlock: indexer.finalizedBlock,
      timestamp: head.timestamp,
      paused,
      counts: s.counts,
      ourOpenChallenges: s.ourOpenChallenges,
      candidates: { challenge: s.challenge.length, liquidate: s.liquidate.length },
      expectedProfit: s.expectedProfit,
      challenged: [],
      liquidated: [],
      sales: { takes: 0, redos: 0, repays: 0, pokes: 0, openAuctions: view.global.auctions.size },
      txs: [],
      lensCalls: 0,
      ...(oracleError ? { oracleError } : {}),
      dryRun: c.dryRun,
      rpcCalls: 0,
      ms: 0,
    };
    if (this.d.executor !== undefined) {
      if (fees === undefined) {
        summary.gasAboveCap = true;
        log.warn(
          { baseFeePerGas: head.baseFeePerGas, cap: c.gas.maxFeePerGasWei },
          "base fee at the cap: sending nothing",
        );
      } else if (market !== undefined) {
        const lens = { left: c.maxLensCallsPerRound };
        const pick: PickContext = {
          chain,
          now: head.timestamp,
          timing: p.timing,
          incentives: p.incentives,
          econ,
          lensChunk: c.lensChunk,
          lens,
          log,
        };
        await this.liquidations(pick, s.liquidate, fees, summary, pauseClock);
        // bonds of our challenges liquidated just now are back: they no longer count against the cap
        const me = this.d.me?.toLowerCase();
        const freed = summary.liquidated.filter((a) => view.get(a)?.challenge?.challenger.toLowerCase() === me).length;
        await this.challenges(pick, s.challenge, s.ourOpenChallenges - freed, fees, summary);
        summary.lensCalls = c.maxLensCallsPerRound - lens.left;
        summary.sales = await runSales(
          {
            config: c,
            chain,
            executor: this.d.executor,
            view,
            market,
            head,
            fees,
            round: n,
            log,
            record: (r) => this.record(r, summary),
          },
          paused,
        );
      }
    }
    if (c.dryRun && (s.challenge.length > 0 || s.liquidate.length > 0)) {
      const would = summary.txs.filter((t) => t.reason === "dry-run");
      log.info(
        {
          deployment: this.name,
          expectedProfitQuote: quote(s.expectedProfit),
          wouldSend: would.map((t) => `${t.action} x${t.accounts}`),
          pnl: this.pnl(market),
        },
        "dry run: expected profit of what would be sent (value units; nothing sent)",
      );
    }
    await this.checkBalance(n);
    await this.saveCheckpoint();
    summary.rpcCalls = this.calls() - c0;
    summary.ms = Math.round((performance.now() - t0) * 10) / 10;
    this.#failures = 0;
    this.#lastOk = Date.now();
    this.observe(summary, market);
    const acted = summary.txs.length > 0;
    const beat = n % (this.d.heartbeatRounds ?? 12) === 1;
    if (acted || beat)
      log.info(
        beat && !acted ? { ...brief(summary), pnl: this.pnl(market) } : brief(summary),
        acted ? "round" : "heartbeat",
      );
    else log.debug(brief(summary), "round");
    return summary;
  }

  private economics(fees: (Fees & { expectedGasPrice: bigint }) | undefined): strategy.Economics {
    const c = this.d.config;
    return {
      gasPriceWei: fees?.expectedGasPrice ?? c.gas.maxFeePerGasWei,
      challengeBaseGas: BigInt(c.gas.challengeBaseGas),
      challengeGasPerAccount: BigInt(c.gas.challengeGasPerAccount),
      liquidateBaseGas: BigInt(c.gas.liquidateBaseGas),
      liquidateGasPerAccount: BigInt(c.gas.liquidateGasPerAccount),
      ethPriceInQuote: c.profit.ethPriceInQuote,
      minProfitValue: c.profit.minProfitWei * c.profit.ethPriceInQuote,
      batchSize: c.batchSize,
    };
  }

  private get limit(): number {
    return this.d.config.batchSize * this.d.config.maxBatchesPerRound;
  }

  private async liquidations(
    x: PickContext,
    cands: strategy.LiquidationCandidate[],
    fees: Fees,
    summary: RoundSummary,
    pauseClock: bigint,
  ): Promise<void> {
    const chosen = await pickLiquidations(x, cands, this.limit, pauseClock);
    for (const b of strategy.batches(chosen, this.d.config.batchSize))
      await this.send(
        b,
        (xs) =>
          this.d.executor!.liquidate(
            xs.map((c) => c.account),
            xs.map((c) => c.record),
            fees,
          ),
        summary,
      );
  }

  private async challenges(
    x: PickContext,
    cands: strategy.ChallengeCandidate[],
    ourOpen: number,
    fees: Fees,
    summary: RoundSummary,
  ): Promise<void> {
    if (cands.length === 0) return;
    const c = this.d.config;
    const bond = x.incentives.bond;
    const capacity = Math.min(this.limit, strategy.bondCapacity(ourOpen, bond, c.maxBondsAtRiskWei));
    if (capacity === 0) {
      this.d.log.debug({ ourOpen, candidates: cands.length }, "bond cap reached: no new challenges");
      return;
    }
    const chosen = await pickChallenges(x, cands, capacity, (a) => this.cool(a));
    for (const b of strategy.batches(chosen, c.batchSize))
      await this.send(
        b,
        (xs) =>
          this.d.executor!.challenge(
            xs.map((k) => k.account),
            xs.map((k) => k.cert),
            bond,
            fees,
          ),
        summary,
      );
  }

  /** Sends one batch; a batch too large for the gas cap is halved until it fits. */
  private async send<T extends { account: string }>(
    batch: T[],
    fn: (xs: T[]) => Promise<TxResult>,
    summary: RoundSummary,
  ): Promise<void> {
    const r = await fn(batch);
    if (r.status === "skipped" && r.reason === "too-large" && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await this.send(batch.slice(0, half), fn, summary);
      await this.send(batch.slice(half), fn, summary);
      return;
    }
    this.record(r, summary);
  }

  /** Records a transaction's outcome; accounts tried and not done by us cool down briefly. */
  private record(r: TxResult, summary: RoundSummary): void {
    const done = r.status === "mined" ? r.handled : [];
    const m = this.d.metrics;
    const dep = { deployment: this.name };
    if (r.action === "challenge") {
      summary.challenged.push(...done);
      m?.challenges.inc(dep, done.length);
    } else if (r.action === "liquidate") {
      summary.liquidated.push(...done);
      m?.liquidations.inc(dep, done.length);
    }
    if (r.action === "challenge" || r.action === "liquidate") {
      // a failed or unknown send: leave the accounts for a round (the index will show what landed)
      const rounds = r.status === "failed" || r.status === "unknown" || r.status === "reverted" ? 1 : 0;
      if (rounds > 0 || r.status === "mined")
        for (const a of r.accounts) if (!done.includes(a)) this.cool(a, Math.max(rounds, 1));
    }
    if (r.status === "mined" || r.status === "reverted") this.addSpent(r.gasWei);
    m?.txs.inc({ ...dep, action: r.action, status: r.status });
    // a sale or fund action with nothing to do is not news (its preflight said so)
    if (r.status === "skipped" && r.reason === "taken" && r.action !== "challenge" && r.action !== "liquidate") return;
    summary.txs.push({
      action: r.action,
      status: r.status,
      accounts: r.accounts.length,
      ...(r.status === "mined" ? { handled: r.handled.length, hash: r.hash, gasUsed: r.gasUsed } : {}),
      ...(r.status === "reverted" ? { hash: r.hash, reason: r.reason } : {}),
      ...(r.status === "skipped" ? { reason: r.detail ?? r.reason } : {}),
      ...(r.status === "failed" || r.status === "unknown" ? { reason: `${r.code}: ${r.message}` } : {}),
    });
  }

  private async checkBalance(n: number): Promise<void> {
    const me = this.d.me;
    if (me === undefined || this.d.executor === undefined) return;
    if (this.#balance !== undefined && n % (this.d.heartbeatRounds ?? 12) !== 1) return;
    try {
      this.#balance = await this.d.chain.balance(me);
    } catch {
      return;
    }
    const low = this.#balance < this.d.config.lowBalanceWei;
    this.d.metrics?.balanceEth.set({ deployment: this.name }, eth(this.#balance));
    this.d.metrics?.lowBalance.set({ deployment: this.name }, low ? 1 : 0);
    if (low && !this.#lowBalance)
      this.d.log.warn(
        { deployment: this.name, balanceWei: this.#balance, lowBalanceWei: this.d.config.lowBalanceWei },
        "LOW BALANCE: top up the keeper's ETH (bonds and gas)",
      );
    this.#lowBalance = low;
  }

  get balance(): bigint | undefined {
    return this.#balance;
  }

  private observe(s: RoundSummary, market: Market | undefined): void {
    if (this.d.metrics === undefined) return;
    observeRound(this.d.metrics, this.name, s, this.d.indexer.view().global.ledger, this.pnl(market), {
      calls: this.calls(),
      errors: this.d.rpcErrors?.() ?? 0,
    });
  }
}

function hasOpenChallenge(view: ReturnType<Indexer["view"]>): boolean {
  for (const [, r] of view.entries()) if (r.challenge !== undefined) return true;
  return false;
}

/** The round summary as logged (account lists shortened to counts). */
function brief(s: RoundSummary): Record<string, unknown> {
  return { ...s, challenged: s.challenged.length, liquidated: s.liquidated.length };
}
