/**
 * The trader's daemon. On every new block (by subscription, or an adaptive poll: fast near a deadline,
 * slow otherwise) it reads the account's public state once, then:
 * 1. answers an open challenge: a Certificate at the pinned prices when solvent there, else the smallest
 *    private Deleverage that reaches the target margin at current prices (under the state lock), else it
 *    alerts once (per challenge) with the deposit that would let it answer before the deadline;
 * 2. alerts once when the account falls below maintenance (and once when it recovers), with the shortfall;
 * 3. refreshes its certificate before the account becomes challengeable (a price has used most of its
 *    box, the certificate is old, a ratio or haircut got stricter than proven);
 * 4. warns near a private liquidation price, and acts on the predicted breach probability by policy
 *    (warn, top up from the wallet up to a cap, reduce to a target margin usage; each with a dry run).
 * It never exits on a transient RPC failure: calls are retried across the configured endpoints with
 * bounded backoff, a failed tick is retried, and when no endpoint answers for a set share of the response
 * window it alerts. Logs and webhooks are private-safe by default (alerts.ts). The reads of a tick are the
 * same whether or not the account can answer (every proof is computed locally), so the RPC provider
 * cannot tell them apart.
 */
import { NonceManager, type Signer } from "ethers";
import type { Logger } from "pino";
import { BPS, ModelError, Side, boxMargin, boxShortfall, commitment, liquidationPrice } from "../model";
import { type Cert, type ChallengeRecord, type PublicState, unpack16, unpackPrices } from "../lib/chain";
import { valueOf } from "../lib/value";
import type { TraderService } from "../service/trader";
import { explainError } from "../service/explain";
import {
  amount,
  fmtDuration,
  fmtPrice,
  fmtTime,
  fmtToken,
  fmtValue,
  marketName,
  priceAmount,
  valueAmount,
} from "../service/units";
import { Alerts } from "./alerts";
import { type RiskPolicyConfig, RiskPolicyRunner } from "./policy";
import { type RelayOptions, RelayHandoff } from "./relay";
import { GovernanceWatch } from "./governance";
import { type BumpOptions, sendWithBumps } from "./send";
import { HeadWatcher } from "./watch";

export interface DaemonOptions extends BumpOptions {
  /** How often to read the timelock's queue for changes that would make the account challengeable (ms). */
  governanceEveryMs?: number;
  /** The fast interval: with a challenge open, near staleness, below maintenance, after a failure. */
  pollMs: number;
  /** The slow interval when nothing is near. */
  idlePollMs: number;
  /** A full tick at least this often even without a new block. */
  fullTickMs: number;
  /** Refresh when a price has used this share of its box (basis points of d). */
  refreshAtBoxShareBps: number;
  /** Refresh when the certificate is this share of the freshness period old (basis points). */
  refreshAtAgeShareBps: number;
  /** Warn when a price is within this distance of its liquidation price (basis points of the price). */
  warnBps: number;
  webhook?: string;
  /** Put markets, sides, sizes and prices in logs and webhooks (off by default: they are private). */
  details?: boolean;
  maxBackoffMs: number;
  /** Hand certificate answers to these relayers first (relay.ts); unset: the daemon sends them itself. */
  relayers?: RelayOptions;
  /** Alert when no RPC endpoint answered for this share of the response window. */
  rpcDownAlertShare: number;
  /** WebSocket endpoint for new heads (else polling). */
  ws?: string;
  risk?: RiskPolicyConfig;
}

export const DEFAULT_DAEMON: DaemonOptions = {
  pollMs: 500,
  idlePollMs: 5_000,
  fullTickMs: 60_000,
  refreshAtBoxShareBps: 7_000,
  refreshAtAgeShareBps: 8_000,
  warnBps: 1_000,
  bumpAfterMs: 15_000,
  maxBumps: 5,
  bumpPercent: 125,
  maxBackoffMs: 10_000,
  rpcDownAlertShare: 0.25,
};

export type TickAction =
  | "responded"
  | "deleveraged"
  | "cannot-answer"
  | "refreshed"
  | "below-maintenance"
  | "idle"
  | "inactive"
  | "waiting"
  | "relayed";

/** What a provider can tell about its reachability (prover/net/provider.ts). */
interface Reachability {
  unreachableMs(): number;
}

/** Settlement tokens worth at least `v` value units of collateral (haircut and price of asset 0). */
export function depositFor(view: PublicState, v: bigint): bigint {
  const den = view.assetPrices[0] * view.haircuts[0] * 10n ** 10n;
  if (den === 0n) return 0n;
  return (v * BPS * 10n ** BigInt(view.decimals[0]) + den - 1n) / den;
}

export class Daemon {
  readonly alerts: Alerts;
  /** Warns when a queued timelock change would make the certificate challengeable. */
  readonly governance: GovernanceWatch;
  private failures = 0;
  private cert?: { hash: string; cert: Cert };
  private lastProveAt = 0;
  private handoff?: RelayHandoff;
  private lastView?: PublicState;
  private lastTickAt = 0;
  private readonly policy?: RiskPolicyRunner;
  readonly watcher: HeadWatcher;
  /** Called after every successful tick with the view it used (the dashboard listens). */
  onTick?: (view: PublicState, action: TickAction) => Promise<void> | void;
  ticks = 0;

  constructor(
    private readonly t: TraderService,
    private readonly o: DaemonOptions,
    private readonly log: Logger,
  ) {
    this.alerts = new Alerts(t.account, log, { webhook: o.webhook, details: o.details });
    this.governance = new GovernanceWatch(t, this.alerts, log, o.governanceEveryMs ?? 60_000);
    this.watcher = new HeadWatcher(t.chain.provider, o.ws, log);
    if (o.risk) this.policy = new RiskPolicyRunner(t, o.risk, this.alerts, log);
  }

  get riskRunner(): RiskPolicyRunner | undefined {
    return this.policy;
  }

  async tick(): Promise<TickAction> {
    const view = await this.t.read();
    this.lastView = view;
    if (view.commitment !== commitment(this.t.state) && !this.t.refresh(view.commitment)) {
      // a CLI command is between sending its update and recording it: its state appears shortly
      this.log.debug({ event: "waiting-for-state" }, "the chain holds a state the file does not show yet");
      return "waiting";
    }
    if (view.status !== "active") {
      const liquidated = view.status === "liquidated";
      await this.alerts.raise(
        `inactive`,
        "error",
        { event: liquidated ? "liquidated" : "inactive", status: view.status },
        liquidated
          ? "the account was liquidated: run `zkm claim` within the claim window"
          : `the account is ${view.status}: nothing to watch`,
        { state: view.status },
      );
      return "inactive";
    }
    if (!/^0x0+$/.test(view.recordHash)) {
      const record = await this.t.openChallenge(view);
      if (record) return this.answer(view, record);
    }
    if (this.alerts.isOn("challenge")) {
      await this.alerts.clear("challenge", { event: "challenge-over" }, "the challenge is over");
    }
    const below = await this.checkMargin(view);
    if (below) return "below-maintenance";
    const acted = await this.maybeRefresh(view);
    await this.warnNear(view);
    await this.governance.check(view, await this.currentCert(view));
    if (this.policy) await this.policy.evaluate(view);
    return acted ? "refreshed" : "idle";
  }

  /** The interval to wait now: fast near a deadline (or after a failure), slow otherwise. */
  interval(): number {
    if (this.failures > 0) {
      return Math.min(this.o.pollMs * 2 ** Math.min(this.failures, 10), this.o.maxBackoffMs);
    }
    const v = this.lastView;
    if (!v) return this.o.pollMs;
    const challenged = !/^0x0+$/.test(v.recordHash);
    const age = this.cert ? v.blockTime - this.cert.cert.provenAt : 0n;
    const staleIn = v.timing.freshness - age;
    const near =
      challenged || this.alerts.isOn("below-maintenance") || staleIn * 1000n < BigInt(4 * this.o.idlePollMs) + 120_000n;
    return near ? this.o.pollMs : this.o.idlePollMs;
  }

  /** Runs until `signal` aborts. Never throws for a failed tick. */
  async run(signal: AbortSignal): Promise<void> {
    this.log.info({ event: "started", account: this.t.account }, "daemon started");
    // reachability is watched beside the loop: a call that keeps failing blocks a tick for its budget
    const watch = setInterval(() => void this.checkReachability().catch(() => undefined), 1_000);
    signal.addEventListener("abort", () => clearInterval(watch), { once: true });
    while (!signal.aborted) {
      let wake: string;
      try {
        wake = await this.watcher.wait(this.interval(), signal);
      } catch (e) {
        wake = "error";
        this.failed(e);
      }
      if (signal.aborted) break;
      const due = Date.now() - this.lastTickAt >= this.o.fullTickMs;
      if (wake !== "block" && !due && this.failures === 0) continue;
      if (wake === "error") continue;
      try {
        this.lastTickAt = Date.now();
        const action = await this.tick();
        this.ticks++;
        if (this.failures > 0)
          this.log.info({ event: "rpc-back", after: this.failures }, "the RPC answers again: ticking normally");
        this.failures = 0;
        if (this.onTick && this.lastView) await this.onTick(this.lastView, action);
      } catch (e) {
        this.failed(e);
      }
    }
    clearInterval(watch);
    await this.watcher.close();
    this.log.info({ event: "stopped" }, "daemon stopped");
  }

  private failed(e: unknown): void {
    this.failures++;
    const retryInMs = this.interval();
    // a model error may quote sizes or prices: private unless the trader asked for details
    const msg =
      e instanceof ModelError && !this.o.details
        ? `${e.code} (the message holds private values: run with --details to log it)`
        : explainError(e);
    // the first failure and then every tenth: not one line per tick
    if (this.failures === 1 || this.failures % 10 === 0)
      this.log.warn({ event: "tick-failed", err: msg, failures: this.failures, retryInMs }, `tick failed: ${msg}`);
  }

  private async checkReachability(): Promise<void> {
    const p = this.t.chain.provider as unknown as Partial<Reachability>;
    if (typeof p.unreachableMs !== "function") return;
    const down = p.unreachableMs();
    const window = Number(this.lastView?.timing.responseWindow ?? 600n) * 1000;
    const limit = window * this.o.rpcDownAlertShare;
    if (down > limit) {
      await this.alerts.raise(
        "rpc-down",
        "error",
        { event: "rpc-down", downSeconds: Math.round(down / 1000), windowSeconds: window / 1000 },
        `no RPC endpoint has answered for ${fmtDuration(down / 1000)} (${+(this.o.rpcDownAlertShare * 100).toFixed(1)}% of the ${fmtDuration(window / 1000)} response window): a challenge could go unanswered; check the endpoints or add one (--rpc)`,
      );
    } else if (down === 0) {
      await this.alerts.clear("rpc-down", { event: "rpc-up" }, "an RPC endpoint answers again");
    }
  }

  private async answer(view: PublicState, record: ChallengeRecord): Promise<TickAction> {
    const deadline = record.deadline;
    const when = { deadline: fmtTime(deadline), deadlineIn: fmtDuration(deadline - view.blockTime) };
    await this.alerts.raise(
      "challenge",
      "warn",
      { event: "challenged", ...when },
      `challenged: answering before ${when.deadline} (in ${when.deadlineIn})`,
      { state: record.nonce.toString() },
    );
    const a = this.handoff?.cached(record.nonce) ?? (await this.t.answer(record, view));
    if (a.kind === "none") {
      const tokens = depositFor(view, a.shortfall);
      await this.alerts.raise(
        "cannot-answer",
        "error",
        {
          event: "cannot-answer",
          ...when,
          shortfall: valueAmount(a.shortfall),
          depositAtLeast: amount(tokens, view.decimals[0], view.symbols[0]),
        },
        `cannot answer the challenge: deposit at least ${fmtValue(a.shortfall)} of collateral value (${fmtToken(tokens, view.decimals[0], view.symbols[0])}) before ${when.deadline} (in ${when.deadlineIn}), e.g. \`zkm deposit ${view.symbols[0]} ${fmtToken(tokens, view.decimals[0], "").trim().replace(/,/g, "")}\``,
        { state: record.nonce.toString() },
      );
      return "cannot-answer";
    }
    if (a.kind === "deleverage") {
      // a deleverage changes the private state: under the lock, re-prepared on the latest state
      const tx = await this.t.withLock(async () => {
        const again = await this.t.answer(record, await this.t.read());
        return this.t.sendAnswer(record, again);
      });
      this.alerts.action("deleveraged", "challenge answered by a private deleverage", {}, tx);
      await this.alerts.clear("cannot-answer", { event: "answered", tx }, "the challenge was answered");
      await this.alerts.notify({ event: "deleveraged", tx });
      return "deleveraged";
    }
    if (this.o.relayers && this.o.relayers.urls.length > 0) {
      this.handoff ??= new RelayHandoff(this.t.account, this.o.relayers, this.log);
      if ((await this.handoff.step(record, view.blockTime, a)) === "wait") return "relayed";
    }
    const reg = this.t.registry;
    // replacements need the same nonce: send through the wallet itself, not a NonceManager around it
    const runner = reg.runner as Signer;
    const wallet = runner instanceof NonceManager ? runner.signer : runner;
    let receipt;
    try {
      this.log.info({ event: "sending" }, "sending the answer");
      receipt = await sendWithBumps(
        wallet,
        (ov) => reg.connect(wallet).respond(this.t.account, record, a.d, a.pm, a.proof.proof, ov),
        this.o,
        (n, fee) =>
          this.log.warn(
            { event: "bump", bump: n, maxFeePerGas: `${fee / 10n ** 9n} gwei` },
            "the answer is not mined yet: bumping the fee",
          ),
      );
    } finally {
      if (runner instanceof NonceManager) runner.reset();
    }
    if (receipt.status !== 1) throw new Error(`the respond transaction ${receipt.hash} reverted`);
    this.alerts.action(
      "answered",
      "challenge answered with a certificate",
      { proveMs: Math.round(a.proof.ms) },
      receipt.hash,
    );
    await this.alerts.clear("cannot-answer", { event: "answered", tx: receipt.hash }, "the challenge was answered");
    return "responded";
  }

  private async currentCert(view: PublicState): Promise<Cert | undefined> {
    if (this.cert?.hash === view.certHash) return this.cert.cert;
    const c = await this.t.chain.latestCert(view.certHash);
    if (c) this.cert = { hash: view.certHash, cert: c };
    return c;
  }

  /** Alerts once when below maintenance at current prices (and once when back above). */
  private async checkMargin(view: PublicState): Promise<boolean> {
    const state = this.t.state;
    const value = valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals);
    if (boxMargin(state, value, view.marketPrices, 0n, view.mm)) {
      await this.alerts.clear(
        "below-maintenance",
        { event: "above-maintenance" },
        "the account is above maintenance margin again",
      );
      return false;
    }
    const short = boxShortfall(state, value, view.marketPrices, 0n, view.mm) ?? 0n;
    const tokens = depositFor(view, short);
    await this.alerts.raise(
      "below-maintenance",
      "error",
      {
        event: "below-maintenance",
        shortfall: valueAmount(short),
        depositAtLeast: amount(tokens, view.decimals[0], view.symbols[0]),
      },
      `below maintenance margin: deposit at least ${fmtValue(short)} of collateral value (${fmtToken(tokens, view.decimals[0], view.symbols[0])}) or reduce before a keeper challenges`,
    );
    return true;
  }

  /** Re-proves before a price leaves the box, the certificate ages out, or ratios get stricter. */
  private async maybeRefresh(view: PublicState): Promise<boolean> {
    const cert = await this.currentCert(view);
    if (!cert) return false;
    const reason = refreshReason(cert, view, this.o);
    if (!reason) return false;
    // a certificate with a tiny box would be re-proven at every price update: at most one a minute
    if (reason !== "age" && Date.now() - this.lastProveAt < 60_000) return false;
    this.lastProveAt = Date.now();
    this.log.info({ event: "refresh", reason }, "refreshing the certificate before the account becomes challengeable");
    const tx = await this.t.prove();
    this.alerts.action("refreshed", `certificate refreshed (${reason})`, { reason }, tx);
    return true;
  }

  private async warnNear(view: PublicState): Promise<void> {
    const state = this.t.state;
    const value = valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals);
    for (let j = 0; j < state.markets.length; j++) {
      const m = state.markets[j];
      const key = `near:${j}`;
      const lp = m.size === 0n ? undefined : liquidationPrice(state, value, view.marketPrices, view.mm, j);
      const p = view.marketPrices[j];
      const distance = lp === undefined || lp === 0n ? undefined : ((m.side === Side.Long ? p - lp : lp - p) * BPS) / p;
      if (distance !== undefined && distance < BigInt(this.o.warnBps)) {
        await this.alerts.raise(
          key,
          "warn",
          { event: "near-liquidation" },
          this.o.details
            ? `${marketName(j)} at ${fmtPrice(p)} is near its private liquidation price ${fmtPrice(lp!)}: add collateral or reduce`
            : "a price is near a private liquidation price: add collateral or reduce (`zkm status` shows which)",
          {
            details: {
              market: marketName(j),
              side: m.side === Side.Long ? "long" : "short",
              price: priceAmount(p),
              liquidationPrice: priceAmount(lp!),
            },
          },
        );
      } else {
        await this.alerts.clear(key, { event: "near-liquidation-over" }, "no longer near a liquidation price");
      }
    }
  }
}

/** Re-prove when a current maintenance ratio comes within this of the proven one (basis points). */
export const RATIO_REFRESH_MARGIN_BPS = 25n;

/** Why the certificate should be refreshed now (undefined: it is fine). */
export function refreshReason(
  cert: Cert,
  view: PublicState,
  o: Pick<DaemonOptions, "refreshAtBoxShareBps" | "refreshAtAgeShareBps">,
): string | undefined {
  const age = view.blockTime - cert.provenAt;
  if (age * BPS >= view.timing.freshness * BigInt(o.refreshAtAgeShareBps)) return "age";
  const proven = unpackPrices(cert.marketPrices);
  const used = (cert.d * BigInt(o.refreshAtBoxShareBps)) / BPS;
  for (let j = 0; j < view.marketPrices.length; j++) {
    const p = view.marketPrices[j];
    const move = p > proven[j] ? p - proven[j] : proven[j] - p;
    if (move > 0n && move * BPS >= used * proven[j]) return "price";
  }
  const assets = unpackPrices(cert.assetPrices);
  for (let i = 0; i < view.assetPrices.length; i++) {
    const fall = view.assetPrices[i] < assets[i] ? assets[i] - view.assetPrices[i] : 0n;
    if (fall > 0n && fall * BPS >= used * assets[i]) return "collateral";
  }
  const pm = unpack16(cert.pm);
  // the risk engine moves a ratio by at most its step per poke: re-prove before it passes the proven one
  if (view.mm.some((m, j) => m + RATIO_REFRESH_MARGIN_BPS > pm[j])) return "ratios";
  const h = unpack16(cert.haircuts, view.haircuts.length);
  if (view.haircuts.some((x, i) => x < h[i])) return "haircuts";
  return undefined;
}
