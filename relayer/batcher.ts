/**
 * Turns the queue into respondBatch transactions, one in flight at a time.
 *
 * When: as soon as a block newer than the one an answer arrived in is seen (a batch per block), or
 * batch.maxSize answers are queued, or the oldest has waited batch.maxWaitMs (automining nodes make no
 * blocks of their own), or a queued deadline is within batch.deadlineMarginSec.
 *
 * What: the queued answers with the earliest deadlines, at most maxSize. Before anything is signed,
 * (1) each member is re-read on chain: a challenge no longer open is skipped (answered elsewhere,
 * expired, or the account is no longer active), so a member answered on chain is never sent again;
 * (2) the batch is simulated (eth_estimateGas). If it reverts, it is bisected by simulation down to the
 * members that fail alone: those fail with the decoded reason, the others go together in one
 * transaction, so one bad member never delays the rest; (3) a batch whose estimate does not fit the
 * per-transaction gas cap (with headroom) is split.
 *
 * After: from the receipt, members with a Responded event submitted by us are answered; the others are
 * looked up again (skipped). A batch that reverted on chain (the state changed between the simulation
 * and the block) puts its members back in the queue, to be simulated and bisected again, at most
 * batch.maxReverts times each.
 */
import type { TransactionReceipt } from "ethers";
import type { Logger } from "pino";
import type { RelayedAnswer } from "../core/relayerClient";
import { type Head, RelayerChain } from "./chain";
import type { RelayerConfig } from "./config";
import { RelayerErrorCode, messageOf } from "./errors";
import { NotSent, type TxSender } from "./sender";
import type { AnswerStore, Entry } from "./store";

type BatchSettings = RelayerConfig["batch"] & Pick<RelayerConfig["gas"], "headroomPercent" | "maxTxGas">;

export interface BatchOutcome {
  readonly txHash: string;
  readonly status: number;
  readonly members: number;
  readonly answered: number;
  readonly gasUsed: bigint;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Batcher {
  private head?: Head;
  private busy = false;
  private stopped = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private failures = 0;
  /** The batch in flight (its latest hash), for health reports. */
  inflight?: { hash: string; since: number; members: number };
  /** Every batch sent, newest last (bounded): the bench and the health report read it. */
  readonly history: BatchOutcome[] = [];

  constructor(
    private readonly chain: RelayerChain,
    private readonly sender: TxSender,
    private readonly store: AnswerStore,
    private readonly s: BatchSettings,
    private readonly log: Logger,
  ) {}

  get lastHead(): Head | undefined {
    return this.head;
  }

  /** Starts polling the head block and sending batches. */
  start(head: Head): void {
    this.head = head;
    this.loop = this.run();
  }

  /** Re-evaluates at once (a new answer came in). */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sender.stop();
    this.wake?.();
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    let lastPoll = 0;
    while (!this.stopped) {
      const now = Date.now();
      if (now - lastPoll >= this.s.blockPollMs) {
        lastPoll = now;
        await this.pollHead();
      }
      if (!this.busy && this.due(Date.now())) {
        this.busy = true;
        try {
          await this.flush();
          this.failures = 0;
        } catch (e) {
          this.failures++;
          this.log.error({ err: messageOf(e), failures: this.failures }, "batch round failed: will retry");
          await sleep(Math.min(250 * 2 ** Math.min(this.failures, 6), 10_000));
        } finally {
          this.busy = false;
        }
        continue;
      }
      await new Promise<void>((res) => {
        const t = setTimeout(() => ((this.wake = undefined), res()), Math.min(100, this.s.blockPollMs));
        this.wake = () => (clearTimeout(t), (this.wake = undefined), res());
      });
    }
  }

  private async pollHead(): Promise<void> {
    try {
      const h = await this.chain.head();
      // keep the first sighting of a block: chainNow() extrapolates from it
      if (!this.head || h.number !== this.head.number) this.head = h;
    } catch (e) {
      this.log.warn({ err: messageOf(e) }, "cannot read the head block");
    }
  }

  /** Chain time now, from the last head and the local clock since it was read. */
  chainNow(now = Date.now()): bigint {
    const h = this.head;
    if (!h) return BigInt(Math.floor(now / 1000));
    return h.timestamp + BigInt(Math.max(0, Math.floor((now - h.seenAt) / 1000)));
  }

  private due(now: number): boolean {
    const q = this.store.queued();
    if (q.length === 0) return false;
    if (q.length >= this.s.maxSize) return true;
    const head = this.head?.number ?? 0;
    if (q.some((e) => head > e.receivedBlock)) return true;
    if (q.some((e) => now - e.receivedAt >= this.s.maxWaitMs)) return true;
    const chainNow = this.chainNow(now);
    return q.some((e) => e.deadline - chainNow <= BigInt(this.s.deadlineMarginSec));
  }

  /** One round: up to maxSize queued answers, earliest deadline first. */
  private async flush(): Promise<void> {
    const members = this.store.queued().slice(0, this.s.maxSize);
    const live = await this.stillOpen(members);
    if (live.length > 0) await this.submit(live);
  }

  /** (1) Skips members whose challenge is no longer open; returns the rest. */
  private async stillOpen(members: Entry[]): Promise<Entry[]> {
    const [head, pauseClock, states] = await Promise.all([
      this.chain.head(),
      this.chain.pauseClock(),
      Promise.all(members.map((e) => this.chain.openState(e.answer.account))),
    ]);
    this.head = head;
    const live: Entry[] = [];
    members.forEach((e, i) => {
      const skip = this.skipReason(e, states[i], head.timestamp, pauseClock);
      if (skip) {
        this.store.skipped(e, skip.code, skip.reason);
        this.log.info({ id: e.id, account: e.answer.account, code: skip.code }, "answer skipped");
      } else live.push(e);
    });
    return live;
  }

  private skipReason(
    e: Entry,
    open: { status: string; recordHash: string },
    now: bigint,
    pauseClock: bigint,
  ): { code: string; reason: string } | undefined {
    if (open.status !== "active")
      return { code: "not-active", reason: `the account is no longer active (${open.status})` };
    if (open.recordHash !== this.chain.recordHash(e.answer.record))
      return { code: "answered-elsewhere", reason: "the challenge was closed by another transaction" };
    if (now > RelayerChain.deadlineOf(e.answer.record, pauseClock))
      return { code: "expired", reason: "the challenge's deadline passed before a batch could include it" };
    return undefined;
  }

  /** (2) and (3): isolates members that fail alone, splits by gas, sends the rest. */
  private async submit(members: Entry[]): Promise<void> {
    const { good, gas } = await this.isolate(members);
    if (good.length === 0) return;
    const limit = (gas * BigInt(100 + this.s.headroomPercent)) / 100n;
    if (limit > BigInt(this.s.maxTxGas) && good.length > 1) {
      const half = Math.ceil(good.length / 2);
      this.log.info({ members: good.length, gas }, "batch above the per-transaction gas cap: splitting");
      await this.submit(good.slice(0, half));
      await this.submit(good.slice(half));
      return;
    }
    await this.send(good, limit > BigInt(this.s.maxTxGas) ? BigInt(this.s.maxTxGas) : limit);
  }

  private answers(members: readonly Entry[]): RelayedAnswer[] {
    return members.map((e) => e.answer);
  }

  /** Bisects by simulation: the members that verify together, and their gas estimate. */
  private async isolate(members: Entry[]): Promise<{ good: Entry[]; gas: bigint }> {
    const from = this.sender.address;
    const first = await this.chain.simulate(from, this.answers(members));
    if (first.ok) return { good: members, gas: first.gas };
    const bad: Entry[] = [];
    const search = async (part: Entry[], verdict?: { ok: false; reason: string }): Promise<void> => {
      const sim = verdict ?? (await this.chain.simulate(from, this.answers(part)));
      if (sim.ok) return;
      if (part.length === 1) {
        this.fail(part[0], sim.reason);
        bad.push(part[0]);
        return;
      }
      const half = Math.ceil(part.length / 2);
      await search(part.slice(0, half));
      await search(part.slice(half));
    };
    this.log.warn({ members: members.length, reason: first.reason }, "batch would revert: bisecting");
    await search(members, first);
    const good = members.filter((e) => !bad.includes(e));
    if (good.length === 0) return { good, gas: 0n };
    const again = await this.chain.simulate(from, this.answers(good));
    if (!again.ok) {
      // members that pass alone but not together: cannot happen with independent members; send singly
      this.log.error({ reason: again.reason }, "members that verify alone fail together: sending one by one");
      for (const e of good) await this.submit([e]);
      return { good: [], gas: 0n };
    }
    return { good, gas: again.gas };
  }

  private fail(e: Entry, reason: string): void {
    const why = /BatchInvalid/.test(reason)
      ? "the proof no longer verifies at the current state (the account's collateral or commitment changed since it was made)"
      : `respondBatch would revert: ${reason}`;
    this.store.failed(e, RelayerErrorCode.Reverted, why);
    this.log.warn({ id: e.id, account: e.answer.account, reason }, "answer failed");
  }

  private async send(members: Entry[], gasLimit: bigint): Promise<void> {
    const data = this.chain.encodeBatch(this.answers(members));
    const to = await this.chain.registry.getAddress();
    const since = Date.now();
    let receipt: TransactionReceipt;
    try {
      receipt = await this.sender.send({ to, data, gasLimit }, (hash) => {
        this.inflight = { hash, since, members: members.length };
        for (const e of members) this.store.submitted(e, hash);
      });
    } catch (e) {
      this.inflight = undefined;
      if (e instanceof NotSent) {
        // nothing of ours executed: back to the queue (re-read and re-simulated next round)
        for (const m of members) this.store.requeue(m);
        this.log.error({ code: e.code, err: e.message, members: members.length }, "batch not sent");
        if (e.code === RelayerErrorCode.TxRefused) await sleep(1_000);
        return;
      }
      throw e;
    }
    this.inflight = undefined;
    await this.settle(members, receipt);
  }

  /** Fates from a receipt. */
  private async settle(members: Entry[], receipt: TransactionReceipt): Promise<void> {
    const me = this.sender.address.toLowerCase();
    const answeredKeys = new Set<string>();
    if (receipt.status === 1) {
      for (const log of receipt.logs) {
        let ev;
        try {
          ev = this.chain.registry.interface.parseLog(log);
        } catch {
          continue;
        }
        if (ev?.name !== "Responded" || String(ev.args.submitter).toLowerCase() !== me) continue;
        answeredKeys.add(`${String(ev.args.account).toLowerCase()}:${BigInt(ev.args.nonce)}`);
      }
    }
    const rest: Entry[] = [];
    for (const e of members) {
      if (answeredKeys.has(e.key)) this.store.answered(e, receipt.hash, receipt.blockNumber);
      else rest.push(e);
    }
    this.record(receipt, members.length, answeredKeys.size);
    const shareBps = await this.chain.registry
      .incentives()
      .then((i) => i.relayerShareBps)
      .catch(() => undefined);
    const rewardWei =
      shareBps === undefined
        ? undefined
        : members
            .filter((e) => answeredKeys.has(e.key))
            .reduce((sum, e) => sum + (e.answer.record.bond * shareBps) / 10_000n, 0n);
    this.log.info(
      {
        tx: receipt.hash,
        block: receipt.blockNumber,
        status: receipt.status,
        members: members.length,
        answered: answeredKeys.size,
        gasUsed: receipt.gasUsed,
        costWei: receipt.gasUsed * receipt.gasPrice,
        rewardWei,
      },
      receipt.status === 1 ? "batch mined" : "batch reverted on chain",
    );
    if (rest.length === 0) return;
    if (receipt.status === 1) {
      // not answered by us: the contract skipped them (closed or expired when it ran); re-read to say why
      for (const e of await this.stillOpen(rest)) this.store.requeue(e);
      return;
    }
    for (const e of rest) {
      e.reverts++;
      if (e.reverts >= this.s.maxReverts)
        this.store.failed(
          e,
          RelayerErrorCode.Reverted,
          `batches containing it reverted on chain ${e.reverts} times (last ${receipt.hash})`,
        );
      else this.store.requeue(e);
    }
  }

  private record(r: TransactionReceipt, members: number, answered: number): void {
    this.history.push({ txHash: r.hash, status: r.status ?? 0, members, answered, gasUsed: r.gasUsed });
    if (this.history.length > 100) this.history.shift();
  }
}
