/**
 * How the daemon learns that the chain moved, cheaply enough for many traders on one machine:
 * - with a WebSocket endpoint (`--ws`, ZKMARGIN_WS), new heads arrive by subscription (eth_subscribe
 *   newHeads): nothing is polled while the chain is idle; a dropped socket falls back to polling and is
 *   retried a minute later;
 * - otherwise one eth_blockNumber per interval, an interval the daemon adapts (fast near a deadline,
 *   slow otherwise).
 * The full tick (about a dozen reads) runs only when a new block arrived, or as a safety net every
 * `fullTickMs`.
 */
import { type Provider, WebSocketProvider } from "ethers";
import type { Logger } from "pino";

export type WakeReason = "block" | "interval" | "aborted";

export class HeadWatcher {
  private ws?: WebSocketProvider;
  private wsRetryAt = 0;
  private lastBlock = -1;
  private waiter?: () => void;
  private pendingHead = false;
  polls = 0;

  constructor(
    private readonly provider: Provider,
    private readonly wsUrl: string | undefined,
    private readonly log: Logger,
  ) {}

  get subscribed(): boolean {
    return this.ws !== undefined;
  }

  private async connectWs(): Promise<void> {
    if (!this.wsUrl || this.ws || Date.now() < this.wsRetryAt) return;
    try {
      const ws = new WebSocketProvider(this.wsUrl, undefined, { staticNetwork: await this.provider.getNetwork() });
      const socket = ws.websocket as unknown as {
        on?: (ev: string, f: (...a: unknown[]) => void) => void;
        onclose?: unknown;
      };
      const drop = (why: string) => {
        if (this.ws !== ws) return;
        this.ws = undefined;
        this.wsRetryAt = Date.now() + 60_000;
        this.log.warn({ event: "subscription-lost", why }, "the head subscription was lost: polling until it is back");
        void ws.destroy().catch?.(() => undefined);
        this.wake();
      };
      socket.on?.("close", () => drop("closed"));
      socket.on?.("error", () => drop("error"));
      await Promise.race([
        ws.getBlockNumber(),
        new Promise((_, rej) => setTimeout(() => rej(new Error("no answer within 5 s")), 5_000)),
      ]);
      await ws.on("block", (n: number) => {
        if (n !== this.lastBlock) {
          this.lastBlock = n;
          this.pendingHead = true;
          this.wake();
        }
      });
      this.ws = ws;
      this.log.info({ event: "subscribed" }, "new heads by subscription");
    } catch (e) {
      this.wsRetryAt = Date.now() + 60_000;
      this.log.warn(
        { event: "subscription-failed", err: (e as Error).message },
        "no head subscription: polling instead",
      );
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /**
   * Waits for a new head (subscription) or `intervalMs`; in polling mode checks the head once after the
   * interval. Resolves with why it woke.
   */
  async wait(intervalMs: number, signal: AbortSignal): Promise<WakeReason> {
    await this.connectWs();
    if (this.ws && this.pendingHead) {
      this.pendingHead = false;
      return "block";
    }
    const reason = await new Promise<WakeReason>((resolve) => {
      const done = (r: WakeReason) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.waiter = undefined;
        resolve(r);
      };
      const onAbort = () => done("aborted");
      const timer = setTimeout(() => done("interval"), intervalMs);
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiter = () => done("block");
    });
    if (reason !== "interval" || this.ws) {
      if (reason === "block") this.pendingHead = false;
      return reason;
    }
    // polling: one cheap call per interval
    this.polls++;
    const n = await this.provider.getBlockNumber();
    if (n !== this.lastBlock) {
      this.lastBlock = n;
      return "block";
    }
    return "interval";
  }

  async close(): Promise<void> {
    const ws = this.ws;
    this.ws = undefined;
    await ws?.destroy();
  }
}
