/**
 * The daemon's watch over governance: every `everyMs` it reads the timelock's queue (prover/lib/governance)
 * and warns once per queued change that would make the certificate challengeable when it lands, with the
 * time left to exit (the timelock's delay exceeds freshness + window + exclusive period by design). A
 * change that would not touch the certificate is only logged at debug level.
 */
import type { Logger } from "pino";
import type { Cert, PublicState } from "../lib/chain";
import { queuedChanges } from "../lib/governance";
import type { TraderService } from "../service/trader";
import type { Alerts } from "./alerts";

export class GovernanceWatch {
  private last = 0;
  private readonly warned = new Set<string>();

  constructor(
    private readonly t: TraderService,
    private readonly alerts: Alerts,
    private readonly log: Logger,
    private readonly everyMs = 60_000,
    private readonly fromBlock = 0,
  ) {}

  /** Checks the queue (at most every `everyMs`); returns the threatening changes found this time. */
  async check(view: PublicState, cert: Cert | undefined, force = false): Promise<string[]> {
    if (!force && Date.now() - this.last < this.everyMs) return [];
    this.last = Date.now();
    const queued = await queuedChanges(this.t.registry, cert, this.fromBlock);
    const found: string[] = [];
    for (const q of queued) {
      if (!q.threat) {
        this.log.debug({ event: "governance-queued", call: q.call, readyAt: q.readyAt.toString() }, "queued change");
        continue;
      }
      found.push(q.threat);
      if (this.warned.has(q.id)) continue;
      this.warned.add(q.id);
      const left = q.readyAt > view.blockTime ? q.readyAt - view.blockTime : 0n;
      await this.alerts.raise(
        `governance:${q.id}`,
        "warn",
        { event: "governance-change", call: q.call, readyAt: q.readyAt.toString(), secondsLeft: left.toString() },
        `governance queued ${q.call}: ${q.threat}; it can land in ${Math.round(Number(left) / 3600)} h: the account would become challengeable then (reduce, top up, or exit before)`,
      );
    }
    return found;
  }
}
