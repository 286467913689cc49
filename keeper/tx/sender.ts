/**
 * Sends the keeper's transactions: own nonce tracking (one process per key; resynchronised from the
 * chain on start and after any nonce error), explicit EIP-1559 fees, and replacement of a transaction
 * that is not mined within stuckAfterMs by the same nonce with fees raised by bumpPercent, at most
 * maxAttempts sends; then TX_STUCK. Any of the replaced hashes may be the one mined.
 */
import { Transaction, type TransactionReceipt, type Wallet, isError } from "ethers";
import type { Logger } from "pino";
import { KeeperError, KeeperErrorCode, findKeeperError, messageOf } from "../errors";
import { sleep } from "../chain/retry";
import { type FeeSettings, type Fees, bumpFees } from "./fees";

export interface SenderSettings extends FeeSettings {
  readonly maxAttempts: number;
  readonly stuckAfterMs: number;
  readonly receiptPollMs: number;
}

export interface TxRequest {
  readonly to: string;
  readonly data: string;
  readonly value: bigint;
  readonly gasLimit: bigint;
}

export interface Sent {
  readonly receipt: TransactionReceipt;
  readonly attempts: number;
  readonly fees: Fees;
}

export class TxSender {
  #next: number | undefined;

  constructor(
    private readonly wallet: Wallet,
    private readonly chainId: bigint,
    private readonly s: SenderSettings,
    private readonly log: Logger,
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

  private async takeNonce(): Promise<number> {
    this.#next ??= await this.provider.getTransactionCount(this.address, "pending");
    return this.#next++;
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

  private async broadcast(raw: string): Promise<void> {
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (e) {
      if (/already known|known transaction/i.test(messageOf(e))) return; // a retry of a send that arrived
      throw e;
    }
  }

  /** Sends `req` and waits for a receipt (which may be a revert: the caller reads its status). */
  async send(req: TxRequest, fees: Fees): Promise<Sent> {
    let nonce = await this.takeNonce();
    let first = await this.sign(req, nonce, fees);
    try {
      await this.broadcast(first.raw);
    } catch (e) {
      if (!isError(e, "NONCE_EXPIRED")) return this.fail(e, nonce);
      this.#next = undefined; // another sender used this key, or the chain moved on: resynchronise once
      nonce = await this.takeNonce();
      first = await this.sign(req, nonce, fees);
      try {
        await this.broadcast(first.raw);
      } catch (e2) {
        return this.fail(e2, nonce);
      }
    }
    this.log.info({ hash: first.hash, nonce, maxFeePerGas: fees.maxFeePerGas }, "transaction sent");
    try {
      return await this.wait(req, nonce, fees, first.hash);
    } catch (e) {
      this.#next = undefined; // re-read the nonce before the next send, whatever happened
      throw e;
    }
  }

  private async wait(req: TxRequest, nonce: number, initial: Fees, firstHash: string): Promise<Sent> {
    let fees = initial;
    const hashes = [firstHash];
    let attempts = 1;
    let lastSend = Date.now();
    for (;;) {
      for (const h of hashes) {
        const receipt = await this.provider.getTransactionReceipt(h);
        if (receipt !== null) return { receipt, attempts, fees };
      }
      if (Date.now() - lastSend >= this.s.stuckAfterMs) {
        if (attempts >= this.s.maxAttempts) {
          throw new KeeperError(
            KeeperErrorCode.TxStuck,
            `transaction with nonce ${nonce} not mined after ${attempts} attempts (${hashes.join(", ")})`,
          );
        }
        attempts++;
        lastSend = Date.now();
        const bumped = bumpFees(fees, this.s);
        if (bumped.maxFeePerGas <= fees.maxFeePerGas && bumped.maxPriorityFeePerGas <= fees.maxPriorityFeePerGas) {
          this.log.warn(
            { nonce, maxFeePerGas: fees.maxFeePerGas },
            "transaction not mined and fees are at the cap: waiting",
          );
          continue;
        }
        const next = await this.sign(req, nonce, bumped);
        try {
          await this.broadcast(next.raw);
          fees = bumped;
          hashes.push(next.hash);
          this.log.warn(
            { nonce, hash: next.hash, replaces: hashes[hashes.length - 2], maxFeePerGas: bumped.maxFeePerGas },
            "transaction not mined: replaced with higher fees",
          );
        } catch (e) {
          // NONCE_EXPIRED: one of our hashes was just mined (the next receipt poll finds it);
          // REPLACEMENT_UNDERPRICED: the cap stopped the bump short of the node's minimum.
          if (
            !isError(e, "NONCE_EXPIRED") &&
            !isError(e, "REPLACEMENT_UNDERPRICED") &&
            findKeeperError(e) === undefined
          )
            throw e;
          this.log.warn({ nonce, error: messageOf(e) }, "replacement not accepted");
        }
      }
      await sleep(this.s.receiptPollMs);
    }
  }

  private fail(e: unknown, nonce: number): never {
    this.#next = undefined; // whatever happened, re-read the nonce before the next send
    if (findKeeperError(e)) throw e;
    throw new KeeperError(KeeperErrorCode.TxFailed, `sending transaction with nonce ${nonce} failed: ${messageOf(e)}`);
  }
}
