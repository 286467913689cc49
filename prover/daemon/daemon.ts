/**
 * The trader's daemon: every tick it (1) answers an open challenge well inside the deadline, (2) refreshes
 * the proof proactively before prices leave the band or the proof ages out, and (3) warns (log, optional
 * webhook) when a market's private liquidation price is near. RPC failures are logged and retried with
 * bounded backoff; the next tick starts from the chain's state, so a lost connection loses nothing.
 */
import { NonceManager, type Signer } from "ethers";
import { unpackPrices } from "../../core/encoding";
import type { Logger } from "pino";
import { BPS, ModelError, ModelErrorCode, commitment } from "../model";
import type { TraderService } from "../service/trader";
import { statusView } from "../service/status";
import { type BumpOptions, sendWithBumps } from "./send";

export interface DaemonOptions extends BumpOptions {
  pollMs: number;
  /** Refresh when any price has moved this share of the band since the last proof (basis points of it). */
  refreshAtBandShareBps: number;
  /** Refresh when the proof is this share of the freshness period old (basis points). */
  refreshAtAgeShareBps: number;
  /** Warn when a price is within this distance of its liquidation price (basis points of the price). */
  warnBps: number;
  webhook?: string;
  maxBackoffMs: number;
}

export const DEFAULT_DAEMON: DaemonOptions = {
  pollMs: 500,
  refreshAtBandShareBps: 8_000,
  refreshAtAgeShareBps: 8_000,
  warnBps: 1_000,
  bumpAfterMs: 15_000,
  maxBumps: 5,
  bumpPercent: 125,
  maxBackoffMs: 10_000,
};

export type TickAction = "responded" | "cannot-answer" | "refreshed" | "idle" | "inactive";

export class Daemon {
  private warned = new Set<string>();
  private unanswerable?: bigint;
  private failures = 0;

  constructor(
    private readonly t: TraderService,
    private readonly o: DaemonOptions,
    private readonly log: Logger,
  ) {}

  async tick(): Promise<TickAction> {
    const reg = this.t.registry;
    let acc = await reg.accountOf(this.t.account);
    if (acc.commitment !== commitment(this.t.state)) {
      await this.t.reload(); // the CLI traded since the last tick
      acc = await reg.accountOf(this.t.account);
    }
    if (acc.status !== 1n) return "inactive";
    const ch = await reg.challengeOf(this.t.account);
    if (ch.deadline !== 0n) {
      try {
        await this.respond(ch.nonce);
        return "responded";
      } catch (e) {
        if (!(e instanceof ModelError && e.code === ModelErrorCode.MarginBreached)) throw e;
        // below maintenance at the pinned prices: only a top-up can save the account; keep polling
        if (this.unanswerable !== ch.nonce) {
          this.unanswerable = ch.nonce;
          const deadline = (await reg.deadlineOf(this.t.account)).toString();
          this.log.error(
            { nonce: ch.nonce.toString(), deadline },
            "cannot answer the challenge: below maintenance at the pinned prices; deposit collateral before the deadline",
          );
          await this.notify({ event: "cannot-answer", deadline });
        }
        return "cannot-answer";
      }
    }
    const prices = await this.t.marketPrices(); // one oracle read serves both checks
    const acted = await this.maybeRefresh(acc.provenAt, acc.provenPrices, prices);
    await this.warnNearLiquidation(prices);
    return acted ? "refreshed" : "idle";
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.log.info({ account: this.t.account, pollMs: this.o.pollMs }, "daemon started");
    while (!signal.aborted) {
      let wait = this.o.pollMs;
      try {
        const action = await this.tick();
        if (this.failures > 0) this.log.info({ after: this.failures }, "RPC reachable again");
        this.failures = 0;
        if (action === "inactive") this.log.warn("account is not active (liquidated?): run `claim` to recover equity");
      } catch (e) {
        this.failures++;
        wait = Math.min(this.o.pollMs * 2 ** Math.min(this.failures, 10), this.o.maxBackoffMs);
        this.log.error({ err: (e as Error).message, failures: this.failures, retryInMs: wait }, "tick failed");
      }
      await new Promise<void>((res) => {
        const onAbort = () => (clearTimeout(timer), res());
        const timer = setTimeout(() => (signal.removeEventListener("abort", onAbort), res()), wait);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    this.log.info("daemon stopped");
  }

  private async respond(nonce: bigint): Promise<void> {
    const reg = this.t.registry;
    const deadline = await reg.deadlineOf(this.t.account);
    this.log.warn(
      { nonce: nonce.toString(), deadline: deadline.toString() },
      "challenged: proving solvency at the pinned prices",
    );
    const { proof, ms } = await this.t.responseProof();
    // replacements need the same nonce: send through the wallet itself, not a NonceManager around it
    const runner = reg.runner as Signer;
    const wallet = runner instanceof NonceManager ? runner.signer : runner;
    let receipt;
    try {
      receipt = await sendWithBumps(
        wallet,
        (ov) => reg.connect(wallet).respond(this.t.account, proof, ov),
        this.o,
        (n, fee) => this.log.warn({ bump: n, maxFeePerGas: fee.toString() }, "respond not mined yet: bumping the fee"),
      );
    } finally {
      if (runner instanceof NonceManager) runner.reset();
    }
    if (receipt.status !== 1) throw new Error(`respond transaction ${receipt.hash} reverted`);
    this.log.info({ tx: receipt.hash, proveMs: Math.round(ms), gas: receipt.gasUsed.toString() }, "challenge answered");
  }

  private async maybeRefresh(provenAt: bigint, provenPacked: bigint, prices: readonly bigint[]): Promise<boolean> {
    const reg = this.t.registry;
    const [timing, inc] = await Promise.all([reg.timing(), reg.incentives()]);
    const proven = unpackPrices(provenPacked);
    const threshold = (BigInt(inc.bandBps) * BigInt(this.o.refreshAtBandShareBps)) / BPS;
    const moved = prices.some((p, j) => (p > proven[j] ? p - proven[j] : proven[j] - p) * BPS > threshold * proven[j]);
    const block = await reg.runner!.provider!.getBlock("latest");
    const age = BigInt(block!.timestamp) - provenAt;
    const old = age * BPS > timing.freshness * BigInt(this.o.refreshAtAgeShareBps);
    if (!moved && !old) return false;
    this.log.info(
      { moved, ageSeconds: age.toString() },
      "refreshing the proof before the account becomes challengeable",
    );
    await this.t.prove();
    return true;
  }

  private async warnNearLiquidation(prices: bigint[]): Promise<void> {
    const v = await statusView(this.t, prices);
    for (const m of v.markets) {
      const near = m.distanceBps !== undefined && m.distanceBps < BigInt(this.o.warnBps);
      if (near && !this.warned.has(m.market)) {
        this.warned.add(m.market);
        const detail = {
          market: m.market,
          side: m.side,
          price: m.markPrice.toString(),
          liquidationPrice: m.liquidationPrice?.toString(),
          distanceBps: m.distanceBps?.toString(),
        };
        this.log.warn(detail, "price is near the private liquidation price: add collateral or reduce");
        await this.notify({ event: "near-liquidation", ...detail });
      } else if (!near) {
        this.warned.delete(m.market);
      }
    }
  }

  private async notify(detail: Record<string, unknown>): Promise<void> {
    if (!this.o.webhook) return;
    try {
      const res = await fetch(this.o.webhook, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ account: this.t.account, ...detail }),
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) this.log.error({ status: res.status }, "webhook answered with an error");
    } catch (e) {
      this.log.error({ err: (e as Error).message }, "webhook unreachable");
    }
  }
}
