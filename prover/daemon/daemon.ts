/**
 * The trader's daemon. Every tick it reads the account's public state once, then:
 * 1. answers an open challenge: a Certificate at the pinned prices when solvent there, else the smallest
 *    private Deleverage that reaches the target margin at current prices, else it alerts once (per
 *    challenge) with the collateral a top-up must add before the deadline;
 * 2. refreshes its certificate before the account becomes challengeable (a price has used most of its
 *    box, the certificate is old, a ratio or haircut got stricter than proven);
 * 3. alerts once per state change when the account is below maintenance before any challenge, and warns
 *    near a private liquidation price.
 * Logs and webhooks are private-safe by default: an event kind, the account and a deadline; markets,
 * sides, sizes and prices only with `details`. The reads of a tick are the same whether or not the
 * account can answer (every proof is computed locally), so the RPC provider cannot tell them apart.
 */
import { NonceManager, type Signer } from "ethers";
import type { Logger } from "pino";
import { BPS, boxMargin, boxShortfall, commitment, liquidationPrice } from "../model";
import { fmtQuote } from "../lib/actions";
import { type Cert, type ChallengeRecord, type PublicState, unpack16, unpackPrices } from "../lib/chain";
import { valueOf } from "../lib/value";
import type { TraderService } from "../service/trader";
import { type RelayOptions, RelayHandoff } from "./relay";
import { type BumpOptions, sendWithBumps } from "./send";

export interface DaemonOptions extends BumpOptions {
  pollMs: number;
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
}

export const DEFAULT_DAEMON: DaemonOptions = {
  pollMs: 500,
  refreshAtBoxShareBps: 7_000,
  refreshAtAgeShareBps: 8_000,
  warnBps: 1_000,
  bumpAfterMs: 15_000,
  maxBumps: 5,
  bumpPercent: 125,
  maxBackoffMs: 10_000,
};

export type TickAction =
  "responded" | "deleveraged" | "cannot-answer" | "refreshed" | "below-maintenance" | "idle" | "inactive" | "relayed";

export class Daemon {
  private warned = new Set<number>();
  private alerted = new Set<string>();
  private failures = 0;
  private cert?: { hash: string; cert: Cert };
  private lastProveAt = 0;
  private handoff?: RelayHandoff;

  constructor(
    private readonly t: TraderService,
    private readonly o: DaemonOptions,
    private readonly log: Logger,
  ) {}

  async tick(): Promise<TickAction> {
    let view = await this.t.read();
    if (view.commitment !== commitment(this.t.state)) {
      await this.t.reload(); // the CLI traded since the last tick
      view = await this.t.read();
    }
    if (view.status !== "active") {
      await this.alertOnce(
        `inactive:${view.status}`,
        "error",
        {
          event: view.status === "liquidated" ? "liquidated" : "inactive",
          status: view.status,
        },
        view.status === "liquidated"
          ? "the account was liquidated: run `zkm claim` within the claim window"
          : `the account is ${view.status}`,
      );
      return "inactive";
    }
    if (!/^0x0+$/.test(view.recordHash)) {
      const record = await this.t.openChallenge(view);
      if (record) return this.answer(view, record);
    }
    const acted = await this.maybeRefresh(view);
    if (acted) return "refreshed";
    return this.checkMargin(view);
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.log.info({ event: "started", account: this.t.account, pollMs: this.o.pollMs }, "daemon started");
    while (!signal.aborted) {
      let wait = this.o.pollMs;
      try {
        await this.tick();
        if (this.failures > 0) this.log.info({ event: "rpc-back", after: this.failures }, "RPC reachable again");
        this.failures = 0;
      } catch (e) {
        this.failures++;
        wait = Math.min(this.o.pollMs * 2 ** Math.min(this.failures, 10), this.o.maxBackoffMs);
        this.log.error(
          { event: "tick-failed", err: (e as Error).message, failures: this.failures, retryInMs: wait },
          "tick failed",
        );
      }
      await new Promise<void>((res) => {
        const onAbort = () => (clearTimeout(timer), res());
        const timer = setTimeout(() => (signal.removeEventListener("abort", onAbort), res()), wait);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    this.log.info({ event: "stopped" }, "daemon stopped");
  }

  private async answer(view: PublicState, record: ChallengeRecord): Promise<TickAction> {
    const deadline = record.deadline.toString();
    const a = this.handoff?.cached(record.nonce) ?? (await this.t.answer(record, view));
    if (a.kind === "none") {
      await this.alertOnce(
        `cannot:${record.nonce}`,
        "error",
        { event: "cannot-answer", deadline, shortfall: fmtQuote(a.shortfall) },
        `cannot answer the challenge: ${a.reason}`,
      );
      return "cannot-answer";
    }
    this.log.warn({ event: "challenged", deadline, answer: a.kind }, `challenged: answering with a ${a.kind}`);
    if (a.kind === "deleverage") {
      const tx = await this.t.sendAnswer(record, a);
      this.log.info(
        { event: "deleveraged", tx, proveMs: Math.round(a.proof.ms) },
        "challenge answered by a deleverage",
      );
      await this.notify({ event: "deleveraged", tx });
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
      receipt = await sendWithBumps(
        wallet,
        (ov) => reg.connect(wallet).respond(this.t.account, record, a.d, a.pm, a.proof.proof, ov),
        this.o,
        (n, fee) =>
          this.log.warn(
            { event: "bump", bump: n, maxFeePerGas: fee.toString() },
            "respond not mined yet: bumping the fee",
          ),
      );
    } finally {
      if (runner instanceof NonceManager) runner.reset();
    }
    if (receipt.status !== 1) throw new Error(`respond transaction ${receipt.hash} reverted`);
    this.log.info(
      { event: "answered", tx: receipt.hash, proveMs: Math.round(a.proof.ms), gas: receipt.gasUsed.toString() },
      "challenge answered",
    );
    return "responded";
  }

  private async currentCert(view: PublicState): Promise<Cert | undefined> {
    if (this.cert?.hash === view.certHash) return this.cert.cert;
    const c = await this.t.chain.latestCert(view.certHash);
    if (c) this.cert = { hash: view.certHash, cert: c };
    return c;
  }

  /** Re-proves before a price leaves the box, the certificate ages out, or ratios get stricter. */
  private async maybeRefresh(view: PublicState): Promise<boolean> {
    const cert = await this.currentCert(view);
    if (!cert) return false;
    const reason = refreshReason(cert, view, this.o);
    if (!reason) return false;
    // a certificate with a tiny box would be re-proven at every price update: at most one a minute
    if (reason !== "age" && Date.now() - this.lastProveAt < 60_000) return false;
    if (
      !boxMargin(
        this.t.state,
        valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals),
        view.marketPrices,
        0n,
        view.mm,
      )
    ) {
      return false; // below maintenance: a certificate cannot be made (checkMargin alerts)
    }
    this.log.info({ event: "refresh", reason }, "refreshing the certificate before the account becomes challengeable");
    this.lastProveAt = Date.now();
    await this.t.prove();
    return true;
  }

  private async checkMargin(view: PublicState): Promise<TickAction> {
    const state = this.t.state;
    const value = valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals);
    const below = !boxMargin(state, value, view.marketPrices, 0n, view.mm);
    if (below) {
      const short = boxShortfall(state, value, view.marketPrices, 0n, view.mm) ?? 0n;
      await this.alertOnce(
        `below:${view.nonce}`,
        "error",
        { event: "below-maintenance", shortfall: fmtQuote(short) },
        `below maintenance margin: deposit at least ${fmtQuote(short)} of collateral value or reduce before a keeper challenges`,
      );
      return "below-maintenance";
    }
    state.markets.forEach((m, j) => {
      if (m.size === 0n) return this.warned.delete(j);
      const lp = liquidationPrice(state, value, view.marketPrices, view.mm, j);
      const p = view.marketPrices[j];
      const distance = lp === undefined || lp === 0n ? undefined : ((m.side === 0 ? p - lp : lp - p) * BPS) / p;
      const near = distance !== undefined && distance < BigInt(this.o.warnBps);
      if (near && !this.warned.has(j)) {
        this.warned.add(j);
        const detail = this.o.details
          ? { market: j, side: m.side === 0 ? "long" : "short", price: p.toString(), liquidationPrice: lp?.toString() }
          : {};
        this.log.warn(
          { event: "near-liquidation", ...detail },
          "a price is near a private liquidation price: add collateral or reduce",
        );
        void this.notify({ event: "near-liquidation", ...detail });
      } else if (!near) {
        this.warned.delete(j);
      }
    });
    return "idle";
  }

  private async alertOnce(key: string, level: "error" | "warn", detail: Record<string, unknown>, msg: string) {
    if (this.alerted.has(key)) return;
    this.alerted.add(key);
    this.log[level](detail, msg);
    await this.notify(detail);
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
      if (!res.ok) this.log.error({ event: "webhook-error", status: res.status }, "webhook answered with an error");
    } catch (e) {
      this.log.error({ event: "webhook-error", err: (e as Error).message }, "webhook unreachable");
    }
  }
}

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
  if (view.mm.some((m, j) => m > pm[j])) return "ratios";
  const h = unpack16(cert.haircuts, view.haircuts.length);
  if (view.haircuts.some((x, i) => x < h[i])) return "haircuts";
  return undefined;
}
