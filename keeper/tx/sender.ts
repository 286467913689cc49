/**
 * Sends the keeper's transactions: own nonce tracking (one sender per key and chain; resynchronised from
 * the chain on start and after a nonce error), explicit EIP-1559 fees, and replacement of a transaction
 * that is not mined within stuckAfterMs by the same nonce with fees raised by bumpPercent, at most
 * maxAttempts sends; then TX_STUCK. Any of the hashes signed for a nonce may be the one mined.
 *
 * A lost send response is not a failed send: every hash we signed is looked up before anything is
 * signed again. "nonce too low" or "already known" after a send of ours means it may have landed: the
 * receipts of our hashes for that nonce decide (mined: that is our result), and only a nonce used by a
 * transaction that is none of ours is a failure (NONCE_CONSUMED; the caller re-checks on chain before it
 * sends anything again). A send whose fate is unknown when its wait gives up stays in flight: the next
 * send first settles it (receipt, or the same signed bytes broadcast again), so no nonce is left as a gap.
 */
import { Transaction, type TransactionReceipt, type Wallet } from "ethers";
import type { Logger } from "pino";
import { RpcErrorKind, classifyRpcError } from "../../core/rpcErrors";
import { revertReason } from "../chain/reader";
import { sleep } from "../chain/retry";
import { KeeperError, KeeperErrorCode, findKeeperError, messageOf } from "../errors";
import { type FeeSettings, type Fees, bumpFees } from "./fees";

export interface SenderSettings extends FeeSettings {
  readonly maxAttempts: number;
  readonly stuckAfterMs: number;
  readonly receiptPollMs: number;
}

export interface TxRequest {
  /** null: a contract creation. */
  readonly to: string | null;
  readonly data: string;
  readonly value: bigint;
  readonly gasLimit: bigint;
}

export interface Sent {
  readonly receipt: TransactionReceipt;
  readonly attempts: number;
  readonly fees: Fees;
  /** The node's words when it refused or reverted the send (hardhat answers a mined revert so). */
  readonly sendError?: string;
}

interface Inflight {
  readonly nonce: number;
  readonly req: TxRequest;
  readonly hashes: string[];
  raw: string;
  fees: Fees;
}

export interface SpendObserver {
  (gasWei: bigint, receipt: TransactionReceipt): void;
}

export class TxSender {
  #next: number | undefined;
  readonly #inflight = new Map<number, Inflight>();
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly wallet: Wallet,
    private readonly chainId: bigint,
    private readonly s: SenderSettings,
    private readonly log: Logger,
    private readonly onSpent?: SpendObserver,
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  private get provider() {
    return this.wallet.provider!;
  }

  /**
   * Waits (bounded) for transactions a previous run left in the mempool, so a restart does not send the
   * same action again behind them, then takes the pending nonce.
   */
  async init(): Promise<void> {
    const until = Date.now() + this.s.stuckAfterMs * this.s.maxAttempts;
    for (;;) {
      const [latest, pending] = await Promise.all([
        this.provider.getTransactionCount(this.address, "latest"),
        this.provider.getTransactionCount(this.address, "pending"),
      ]);
      if (pending <= latest || Date.now() > until) {
        if (pending > latest)
          this.log.warn(
            { latest, pending },
            "transactions from a previous run are still pending; continuing behind them",
          );
        this.#next = pending;
        return;
      }
      this.log.info({ latest, pending }, "waiting for transactions of a previous run");
      await sleep(this.s.receiptPollMs);
    }
  }

  /** Sends are serialised per sender (one nonce sequence), whoever calls. */
  send(req: TxRequest, fees: Fees): Promise<Sent> {
    const run = this.#chain.then(() => this.sendNow(req, fees));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  private async sign(req: TxRequest, nonce: number, fees: Fees): Promise<{ raw: string; hash: string }> {
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce,
      to: req.to,
      data: req.data,
      value: req.value,
      gasLimit: req.gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return { raw, hash: Transaction.from(raw).hash! };
  }

  /** Broadcasts; returns undefined when the node took it (or already had it), else what it said. */
  private async broadcast(raw: string): Promise<{ kind: RpcErrorKind; error: unknown } | undefined> {
    try {
      await this.provider.broadcastTransaction(raw);
      return undefined;
    } catch (e) {
      const kind =
        findKeeperError(e)?.code === KeeperErrorCode.RpcUnavailable ? RpcErrorKind.Transient : classifyRpcError(e);
      if (kind === RpcErrorKind.AlreadyKnown) return undefined;
      return { kind, error: e };
    }
  }

  private async receiptOf(hashes: readonly string[]): Promise<TransactionReceipt | null | "unknown"> {
    try {
      for (const h of hashes) {
        const r = await this.provider.getTransactionReceipt(h);
        if (r !== null) return r;
      }
      return null;
    } catch {
      return "unknown"; // RPC down after its retries: keep waiting
    }
  }

  private async latestNonce(): Promise<number | undefined> {
    try {
      return await this.provider.getTransactionCount(this.address, "latest");
    } catch {
      return undefined;
    }
  }

  private spent(r: TransactionReceipt): void {
    this.onSpent?.(r.gasUsed * (r.gasPrice ?? 0n), r);
  }

  /** Settles sends left in flight: receipt (done), nonce used by another (dropped), or broadcast again. */
  private async settle(): Promise<void> {
    for (const f of [...this.#inflight.values()]) {
      const r = await this.receiptOf(f.hashes);
      if (r === "unknown") continue;
      if (r !== null) {
        this.spent(r);
        this.#inflight.delete(f.nonce);
        this.log.info({ nonce: f.nonce, hash: r.hash, status: r.status }, "an earlier transaction was mined");
        continue;
      }
      const latest = await this.latestNonce();
      if (latest !== undefined && latest > f.nonce) {
        const again = await this.receiptOf(f.hashes); // mined between the two reads?
        if (again === "unknown") continue;
        this.#inflight.delete(f.nonce);
        if (again !== null) this.spent(again);
        else this.log.warn({ nonce: f.nonce }, "nonce used by a transaction that is none of ours");
        continue;
      }
      const refused = await this.broadcast(f.raw);
      if (refused?.kind === RpcErrorKind.Refused || refused?.kind === RpcErrorKind.Underpriced) {
        // its fees no longer get it in (the base fee rose): the same call at the same nonce, bumped
        const bumped = bumpFees(f.fees, this.s);
        const next = await this.sign(f.req, f.nonce, bumped);
        f.hashes.push(next.hash);
        if ((await this.broadcast(next.raw)) === undefined) {
          f.raw = next.raw;
          f.fees = bumped;
        }
      }
    }
  }

  private async sendNow(req: TxRequest, fees: Fees): Promise<Sent> {
    await this.settle();
    if (this.#next === undefined) {
      // never below a nonce still in flight (its bytes may not have reached the node yet)
      const pending = await this.provider.getTransactionCount(this.address, "pending");
      const flying = Math.max(-1, ...this.#inflight.keys()) + 1;
      this.#next = Math.max(pending, flying);
    }
    const nonce = this.#next++;
    const first = await this.sign(req, nonce, fees);
    const f: Inflight = { nonce, req, hashes: [first.hash], raw: first.raw, fees };
    this.#inflight.set(nonce, f);
    const refused = await this.broadcast(first.raw);
    let sendError: string | undefined;
    if (refused !== undefined) {
      sendError = revertReason(refused.error) ?? messageOf(refused.error);
      const k = refused.kind;
      if (k === RpcErrorKind.Refused || k === RpcErrorKind.Underpriced || k === RpcErrorKind.Fatal) {
        // refused before execution: the nonce is free again (re-read before the next send)
        this.#inflight.delete(nonce);
        this.#next = undefined;
        throw new KeeperError(KeeperErrorCode.TxFailed, `node refused the transaction (nonce ${nonce}): ${sendError}`);
      }
      // revert at once (an automining node), nonce too low, or no answer: it may have landed
      this.log.warn({ nonce, hash: first.hash, kind: k, error: sendError }, "send not confirmed: looking it up");
    } else {
      this.log.info({ hash: first.hash, nonce, maxFeePerGas: fees.maxFeePerGas }, "transaction sent");
    }
    const sent = await this.wait(f, fees, refused?.kind);
    return sendError === undefined ? sent : { ...sent, sendError };
  }

  private async wait(f: Inflight, initial: Fees, firstError: RpcErrorKind | undefined): Promise<Sent> {
    let fees = initial;
    let attempts = 1;
    let lastSend = Date.now();
    const giveUp = Date.now() + this.s.stuckAfterMs * (this.s.maxAttempts + 1);
    let checkNonce = firstError === RpcErrorKind.NonceTooLow;
    let rebroadcast = firstError === RpcErrorKind.Transient;
    for (;;) {
      const r = await this.receiptOf(f.hashes);
      if (r !== null && r !== "unknown") {
        this.#inflight.delete(f.nonce);
        this.spent(r);
        return { receipt: r, attempts, fees };
      }
      if (r === null && rebroadcast) {
        // the first send got no answer: the same signed bytes again (known, mined, or now sent)
        rebroadcast = false;
        const again = await this.broadcast(f.raw);
        if (again?.kind === RpcErrorKind.NonceTooLow) checkNonce = true;
        if (again?.kind === RpcErrorKind.Transient) rebroadcast = true;
        continue;
      }
      if (r === null && checkNonce) {
        // nonce too low and none of our hashes mined: another transaction used the nonce
        checkNonce = false;
        const latest = await this.latestNonce();
        if (latest !== undefined && latest > f.nonce) {
          const again = await this.receiptOf(f.hashes);
          if (again !== null && again !== "unknown") continue;
          this.#inflight.delete(f.nonce);
          this.#next = undefined;
          throw new KeeperError(
            KeeperErrorCode.NonceConsumed,
            `nonce ${f.nonce} was used by a transaction that is none of ours (${f.hashes.join(", ")})`,
          );
        }
      }
      if (Date.now() > giveUp) {
        throw new KeeperError(
          KeeperErrorCode.TxStuck,
          `transaction with nonce ${f.nonce} not mined after ${attempts} attempts (${f.hashes.join(", ")}); still tracked`,
        );
      }
      if (Date.now() - lastSend >= this.s.stuckAfterMs) {
        lastSend = Date.now();
        if (attempts >= this.s.maxAttempts) {
          await this.broadcast(f.raw); // same bytes again: harmless if known
        } else {
          const bumped = bumpFees(fees, this.s);
          if (bumped.maxFeePerGas <= fees.maxFeePerGas && bumped.maxPriorityFeePerGas <= fees.maxPriorityFeePerGas) {
            this.log.warn(
              { nonce: f.nonce, maxFeePerGas: fees.maxFeePerGas },
              "not mined and fees at the cap: waiting",
            );
            await this.broadcast(f.raw);
          } else {
            const next = await this.sign(f.req, f.nonce, bumped);
            attempts++;
            f.hashes.push(next.hash);
            const refused = await this.broadcast(next.raw);
            if (refused === undefined) {
              fees = bumped;
              f.raw = next.raw;
              f.fees = bumped;
              this.log.warn(
                { nonce: f.nonce, hash: next.hash, maxFeePerGas: bumped.maxFeePerGas },
                "transaction not mined: replaced with higher fees",
              );
            } else {
              if (refused.kind === RpcErrorKind.NonceTooLow) checkNonce = true;
              this.log.warn({ nonce: f.nonce, error: messageOf(refused.error) }, "replacement not accepted");
            }
          }
        }
      }
      await sleep(this.s.receiptPollMs);
    }
  }

  /** Transactions whose fate is not known yet (a lost send response, an RPC outage). */
  get inflight(): number {
    return this.#inflight.size;
  }
}
