/**
 * The daemon's risk policies (docs/risk.md, "Policy"): every `everyMs` (and when prices moved) the
 * account's breach probability per horizon is estimated locally (prover/service/risk.ts), and by the
 * configured thresholds the daemon
 *   - warns (p >= warn): an alert, once per level change;
 *   - tops up from the wallet (p >= topUp): deposits what brings margin usage to the target, at most
 *     `topUpCap` (quote units) of the settlement asset, at most once per cooldown;
 *   - reduces (p >= reduce): closes the same fraction of every position (one Update each, under the
 *     state lock) so that margin usage falls to the target, at most once per cooldown.
 * Each action has a dry-run mode that only logs what it would do. The alerts carry the level and the
 * probability (no market, side or size).
 */
import type { Logger } from "pino";
import { z } from "zod";
import { IERC20Metadata__factory } from "../../core/contracts";
import type { PublicState } from "../lib/chain";
import { decideAction, type RiskAction, type RiskPolicy } from "../risk";
import { type AccountRisk, type Volatilities, accountRisk, marketVolatilities } from "../service/risk";
import type { TraderService } from "../service/trader";
import { fmtDuration, fmtToken } from "../service/units";
import type { Alerts } from "./alerts";

export const RiskPolicySchema = z
  .object({
    /** Probability thresholds, 0 < warn < topUp < reduce <= 1. */
    warn: z.number().gt(0).lt(1),
    topUp: z.number().gt(0).lt(1),
    reduce: z.number().gt(0).lte(1),
    /** Margin usage (maintenance / equity) a top-up or reduce aims for, in (0, 1). */
    targetMarginUsage: z.number().gt(0).lt(1).default(0.5),
    /** Largest top-up in quote units (USD). */
    topUpCap: z.number().nonnegative().default(0),
    horizonsSeconds: z.array(z.number().int().positive()).min(1).max(8).default([3_600, 86_400]),
    paths: z.number().int().min(100).max(1_000_000).default(10_000),
    seed: z.number().int().nonnegative().default(1),
    correlation: z.number().min(-1).max(1).default(0.7),
    everyMs: z.number().int().min(1_000).default(60_000),
    cooldownMs: z.number().int().min(0).default(300_000),
    /** Act on Wilson's upper 95% bound instead of the point estimate. */
    pessimistic: z.boolean().default(false),
    /** true: log what top-up and reduce would do, do nothing; or per action. */
    dryRun: z.union([z.boolean(), z.object({ topUp: z.boolean(), reduce: z.boolean() }).strict()]).default(true),
  })
  .strict()
  .refine((p) => p.warn < p.topUp && p.topUp < p.reduce, {
    message: "the thresholds must rise: warn < topUp < reduce",
  });
export type RiskPolicyConfig = z.input<typeof RiskPolicySchema>;

export interface PolicyOutcome {
  readonly action: RiskAction;
  readonly dryRun: boolean;
  readonly done?: string;
}

export class RiskPolicyRunner {
  private readonly c: z.output<typeof RiskPolicySchema>;
  private lastAt = 0;
  private lastPrices = "";
  private lastActionAt: Record<string, number> = {};
  private vols?: { at: number; v: Volatilities };
  latest?: AccountRisk;
  lastOutcome?: PolicyOutcome;

  constructor(
    private readonly t: TraderService,
    config: RiskPolicyConfig,
    private readonly alerts: Alerts,
    private readonly log: Logger,
  ) {
    this.c = RiskPolicySchema.parse(config);
  }

  private dry(kind: "topUp" | "reduce"): boolean {
    return typeof this.c.dryRun === "boolean" ? this.c.dryRun : this.c.dryRun[kind];
  }

  private policy(): RiskPolicy {
    return {
      thresholds: { warn: this.c.warn, topUp: this.c.topUp, reduce: this.c.reduce },
      targetMarginUsage: this.c.targetMarginUsage,
      topUpCap: this.c.topUpCap,
    };
  }

  /** Estimates (when due) and acts; returns what it decided, or undefined when not due. */
  async evaluate(view: PublicState, force = false): Promise<PolicyOutcome | undefined> {
    const prices = view.marketPrices.join(",") + "|" + view.assetPrices.join(",") + "|" + view.commitment;
    const due = force || Date.now() - this.lastAt >= this.c.everyMs || prices !== this.lastPrices;
    if (!due) return undefined;
    this.lastAt = Date.now();
    this.lastPrices = prices;
    if (!this.vols || Date.now() - this.vols.at > 10 * 60_000) {
      this.vols = { at: Date.now(), v: await marketVolatilities(this.t) };
    }
    const r = await accountRisk(
      this.t,
      view,
      {
        paths: this.c.paths,
        seed: this.c.seed,
        horizonsSeconds: this.c.horizonsSeconds,
        correlation: this.c.correlation,
      },
      this.vols.v,
    );
    this.latest = r;
    const probs = r.report.horizons.map((h) => ({
      horizonSeconds: h.horizonSeconds,
      probability: this.c.pessimistic ? h.atHorizon.interval95[1] : h.atHorizon.probability,
    }));
    const d = decideAction(probs, this.policy(), { equity: r.report.equity, maintenance: r.report.maintenance });
    const level = d.action;
    if (level === "none") {
      await this.alerts.clear("risk", { event: "risk-normal" }, "the breach probability is below the warning level");
      return (this.lastOutcome = { action: "none", dryRun: false });
    }
    const trig = d.trigger!;
    const pct = `${(trig.probability * 100).toFixed(2)}%`;
    await this.alerts.raise(
      "risk",
      level === "warn" ? "warn" : "error",
      { event: "risk", level, horizon: fmtDuration(trig.horizonSeconds), probability: trig.probability },
      `risk ${level}: ${pct} chance of falling below maintenance within ${fmtDuration(trig.horizonSeconds)} (threshold ${(trig.threshold * 100).toFixed(2)}%)`,
      { state: level },
    );
    if (level === "warn") return (this.lastOutcome = { action: "warn", dryRun: false });
    const kind = level === "top-up" ? "topUp" : "reduce";
    const dryRun = this.dry(kind);
    if (!dryRun && Date.now() - (this.lastActionAt[kind] ?? 0) < this.c.cooldownMs) {
      return (this.lastOutcome = { action: level, dryRun, done: "cooling down" });
    }
    const done =
      level === "top-up"
        ? await this.topUp(view, d.topUpAmount ?? 0, dryRun)
        : await this.reduce(d.reduceFraction ?? 0, dryRun);
    if (!dryRun) this.lastActionAt[kind] = Date.now();
    return (this.lastOutcome = { action: level, dryRun, done });
  }

  /** Deposits `quote` USD of the settlement asset (rounded up to a token unit) from the wallet. */
  private async topUp(view: PublicState, quote: number, dryRun: boolean): Promise<string> {
    const dec = view.decimals[0];
    const sym = view.symbols[0];
    const price = Number(view.assetPrices[0]) / 1e8;
    const haircut = Number(view.haircuts[0]) / 10_000;
    const tokens =
      BigInt(Math.ceil((quote / (price * haircut)) * 10 ** Math.min(dec, 15))) * 10n ** BigInt(Math.max(0, dec - 15));
    if (tokens <= 0n) return "nothing to deposit";
    const text = fmtToken(tokens, dec, sym);
    if (dryRun) {
      this.log.warn(
        { event: "risk-top-up", dryRun: true, deposit: text },
        `dry run: would deposit ${text} from the wallet`,
      );
      return `would deposit ${text}`;
    }
    const [tokensAddr] = await this.t.registry.assets();
    const held = await IERC20Metadata__factory.connect(tokensAddr[0], this.t.chain.provider).balanceOf(this.t.account);
    const amount = held < tokens ? held : tokens;
    if (amount === 0n) {
      this.log.error({ event: "risk-top-up-failed" }, `cannot top up: the wallet holds no ${sym}`);
      return "the wallet is empty";
    }
    await this.t.deposit(0n, amount);
    this.alerts.action("topped-up", `deposited ${fmtToken(amount, dec, sym)} from the wallet (risk policy)`);
    return `deposited ${fmtToken(amount, dec, sym)}`;
  }

  /** Reduces every position by `fraction` (one Update each, under the state lock). */
  private async reduce(fraction: number, dryRun: boolean): Promise<string> {
    const pct = `${(fraction * 100).toFixed(1)}%`;
    if (fraction <= 0) return "nothing to reduce";
    if (dryRun) {
      this.log.warn(
        { event: "risk-reduce", dryRun: true, fraction: pct },
        `dry run: would reduce every position by ${pct}`,
      );
      return `would reduce every position by ${pct}`;
    }
    const scaled = BigInt(Math.round(Math.min(1, fraction) * 1e6));
    let n = 0;
    await this.t.withLock(async () => {
      for (let j = 0; j < this.t.state.markets.length; j++) {
        const q = this.t.state.markets[j].size;
        if (q === 0n) continue;
        let dq = (q * scaled + 999_999n) / 1_000_000n;
        if (dq > q) dq = q;
        await this.t.update({ trade: { kind: "reduce", market: j, size: dq } });
        n++;
      }
    });
    this.alerts.action("reduced", `reduced every position by ${pct} (risk policy, ${n} updates)`);
    return `reduced ${n} positions by ${pct}`;
  }
}
