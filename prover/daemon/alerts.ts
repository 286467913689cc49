/**
 * The daemon's alerts and action history: each condition (below maintenance, cannot answer a challenge,
 * near a liquidation price, no RPC reachable, a risk level) alerts once when it starts and once when it
 * ends, never per tick; every alert goes to the log (stderr) and, when configured, to a webhook.
 *
 * Private-safe by default: a payload carries the event kind, the account, deadlines and the amounts the
 * trader must act on (a shortfall, a deposit to make); markets, sides, sizes, prices and liquidation
 * prices only with `details` (the caller passes them as `details`, dropped unless enabled).
 */
import type { Logger } from "pino";
import { toJson } from "../service/units";

export interface AlertPayload {
  readonly event: string;
  readonly [k: string]: unknown;
}

export interface HistoryEntry {
  readonly at: string;
  readonly level: "info" | "warn" | "error";
  readonly event: string;
  readonly message: string;
  readonly tx?: string;
}

export class Alerts {
  private readonly active = new Map<string, string>();
  readonly history: HistoryEntry[] = [];
  /** Bodies POSTed to the webhook (the last 50), for the dashboard's alert list. */
  readonly sent: AlertPayload[] = [];

  constructor(
    private readonly account: string,
    private readonly log: Logger,
    private readonly o: { webhook?: string; details?: boolean },
  ) {}

  /** Whether the condition `key` is on. */
  isOn(key: string): boolean {
    return this.active.has(key);
  }

  /**
   * Raises `key` if it is not on yet, or if its `state` changed (e.g. another level): logs and notifies
   * once. `details` (private) join the payload only when the daemon runs with details.
   */
  async raise(
    key: string,
    level: "warn" | "error",
    payload: AlertPayload,
    message: string,
    o: { state?: string; details?: Record<string, unknown> } = {},
  ): Promise<boolean> {
    const state = o.state ?? "on";
    if (this.active.get(key) === state) return false;
    this.active.set(key, state);
    const body = { ...payload, ...(this.o.details && o.details ? o.details : {}) };
    this.log[level](body, message);
    this.record(level, payload.event, message);
    await this.notify(body);
    return true;
  }

  /** Ends `key` (logs and notifies that it is over) if it was on. */
  async clear(key: string, payload: AlertPayload, message: string): Promise<boolean> {
    if (!this.active.has(key)) return false;
    this.active.delete(key);
    this.log.info(payload, message);
    this.record("info", payload.event, message);
    await this.notify(payload);
    return true;
  }

  /** An action the daemon took (answered, refreshed, deleveraged...): logged and kept for the dashboard. */
  action(event: string, message: string, extra: Record<string, unknown> = {}, tx?: string): void {
    this.log.info({ event, ...(tx ? { tx } : {}), ...extra }, message);
    this.record("info", event, message, tx);
  }

  private record(level: HistoryEntry["level"], event: string, message: string, tx?: string): void {
    this.history.push({ at: new Date().toISOString(), level, event, message, ...(tx ? { tx } : {}) });
    if (this.history.length > 200) this.history.shift();
  }

  async notify(body: AlertPayload): Promise<void> {
    const full = { account: this.account, at: new Date().toISOString(), ...body };
    this.sent.push(full);
    if (this.sent.length > 50) this.sent.shift();
    if (!this.o.webhook) return;
    try {
      const res = await fetch(this.o.webhook, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: toJson(full),
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) this.log.error({ event: "webhook-error", status: res.status }, "the webhook answered with an error");
    } catch (e) {
      this.log.error({ event: "webhook-error", err: (e as Error).message }, "the webhook is unreachable");
    }
  }
}
