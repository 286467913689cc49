/**
 * Sends the relayer's transactions, one at a time, with its own nonce: explicit EIP-1559 fees
 * (maxFee = min(cap, 2 x baseFee + tip)), and replacement by the same nonce with both fees raised by
 * bumpPercent when a transaction is not mined within stuckAfterMs (at most maxAttempts signed versions;
 * then the last one is broadcast again until it is mined).
 *
 * A lost send response is not a failed send. Every hash signed for the nonce is looked up before
 * anything is signed again, and the same signed bytes are broadcast again when the node's answer was
 * lost; "nonce too low" or "already known" mean it may have landed, and the receipts decide. A new nonce
 * is never used while an earlier one is unresolved, so members of a batch whose fate is unknown are
 * never put in a second transaction. Only two outcomes release the members: a receipt (ours), or
 * NotSent: the node refused every version before execution, or the nonce was used by a transaction that
 * is none of ours (the batcher re-reads the chain before it sends them again).
 */
import { Transaction, type TransactionReceipt, type Wallet } from "ethers";
import type { Logger } from "pino";
import { RpcErrorKind, classifyRpcError } from "../core/rpcErrors";
import { RelayerErrorCode, messageOf } from "./errors";

export interface SenderSettings {
  readonly maxFeePerGasWei: bigint;
  readonly priorityFeeWei: bigint;
  readonly bumpPercent: number;
  readonly maxAttempts: number;
  readonly stuckAfterMs: number;
  readonly receiptPollMs: number;
}

export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

export interface TxRequest {
  readonly to: string;
  readonly data: string;
  readonly gasLimit: bigint;
}

/** Nothing of ours was executed: the caller may send the same content again (after re-reading the chain). */
export class NotSent extends Error {
  constructor(
    readonly code: RelayerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "NotSent";
  }
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** maxFee = min(cap, 2 x baseFee + tip); undefined when the base fee reaches the cap. */
export function quoteFees(baseFee: bigint, s: SenderSettings): Fees | undefined {
  if (baseFee >= s.maxFeePerGasWei) return undefined;
  const maxFeePerGas = min(s.maxFeePerGasWei, 2n * baseFee + s.priorityFeeWei);
  return { maxFeePerGas, maxPriorityFeePerGas: min(s.priorityFeeWei, maxFeePerGas) };
}

/** Both fees raised by bumpPercent (rounded up, at least +1 wei), capped at the maximum fee. */
export function bumpFees(f: Fees, s: SenderSettings): Fees {
  const up = (v: bigint) => {
    const raised = (v * BigInt(100 + s.bumpPercent) + 99n) / 100n;
    return raised > v ? raised : v + 1n;
  };
  const maxFeePerGas = min(s.maxFeePerGasWei, up(f.maxFeePerGas));
  return { maxFeePerGas, maxPriorityFeePerGas: min(maxFeePerGas, up(f.maxPriorityFeePerGas)) };
}

export class TxSender {
  #next: number | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #stopped = false;

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

  /** Waits (bounded) for transactions a previous run left pending, then takes the pending nonce. */
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
            "transactions of a previous run are still pending: continuing behind them",
          );
        this.#next = pending;
        return;
      }
      this.log.info({ latest, pending }, "waiting for transactions of a previous run");
      await sleep(this.s.receiptPollMs);
    }
  }

  /** Stops waiting: a send in progress throws (its transaction may still be mined). */
  stop(): void {
    this.#stopped = true;
  }

  /** Sends are serialised (one nonce sequence). `onHash` hears every hash signed for it. */
  send(req: TxRequest, onHash: (hash: string) => void): Promise<TransactionReceipt> {
    const run = this.#chain.then(() => this.sendNow(req, onHash));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  private async fees(): Promise<Fees> {
    const block = await this.provider.getBlock("latest");
    const f = quoteFees(block?.baseFeePerGas ?? 0n, this.s);
    if (!f)
      throw new NotSent(
        RelayerErrorCode.TxRefused,
        `the base fee (${block?.baseFeePerGas} wei) reaches the fee cap gas.maxFeePerGasWei (${this.s.maxFeePerGasWei} wei)`,
      );
    return f;
  }

  private async sign(req: TxRequest, nonce: number, fees: Fees): Promise<{ raw: string; hash: string }> {
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce,
      to: req.to,
      data: req.data,
      value: 0n,
      gasLimit: req.gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return { raw, hash: Transaction.from(raw).hash! };
  }

  /** undefined when the node took it (or has it already); else the kind of refusal. */
  private async broadcast(raw: string): Promise<{ kind: RpcErrorKind; error: unknown } | undefined> {
    try {
      await this.provider.broadcastTransaction(raw);
      return undefined;
    } catch (e) {
      const kind = classifyRpcError(e);
      return kind === RpcErrorKind.AlreadyKnown ? undefined : { kind, error: e };
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
      return "unknown";
    }
  }

  private async latestNonce(): Promise<number | undefined> {
    try {
      return await this.provider.getTransactionCount(this.address, "latest");
    } catch {
      return undefined;
    }
  }

  private async sendNow(req: TxRequest, onHash: (hash: string) => void): Promise<TransactionReceipt> {
    if (this.#next === undefined) this.#next = await this.provider.getTransactionCount(this.address, "pending");
    const nonce = this.#next;
    let fees = await this.fees();
    let current = await this.sign(req, nonce, fees);
    const hashes = [current.hash];
    const first = await this.broadcast(current.raw);
    if (first && [RpcErrorKind.Refused, RpcErrorKind.Underpriced, RpcErrorKind.Fatal].includes(first.kind)) {
      this.#next = undefined; // refused before execution: the nonce is free (re-read before the next send)
      throw new NotSent(RelayerErrorCode.TxRefused, `the node refused the transaction: ${messageOf(first.error)}`);
    }
    onHash(current.hash); // sent, or its fate unknown: either way it is looked up from now on
    if (first) this.log.warn({ nonce, hash: current.hash, kind: first.kind }, "send not confirmed: looking it up");
    else this.log.info({ nonce, hash: current.hash, maxFeePerGas: fees.maxFeePerGas }, "transaction sent");

    let rebroadcast = first?.kind === RpcErrorKind.Transient;
    let checkNonce = first?.kind === RpcErrorKind.NonceTooLow;
    let attempts = 1;
    let lastSign = Date.now();
    for (;;) {
      if (this.#stopped) throw new Error(`stopped while transaction ${hashes.join(", ")} (nonce ${nonce}) was pending`);
      const r = await this.receiptOf(hashes);
      if (r !== null && r !== "unknown") {
        this.#next = nonce + 1;
        return r;
      }
      if (r === null && rebroadcast) {
        // the node's answer was lost: the same signed bytes again (already known, mined, or now sent)
        const again = await this.broadcast(current.raw);
        rebroadcast = again?.kind === RpcErrorKind.Transient;
        if (again?.kind === RpcErrorKind.NonceTooLow) checkNonce = true;
        if (!rebroadcast) continue;
      }
      if (r === null && checkNonce) {
        checkNonce = false;
        const latest = await this.latestNonce();
        if (latest !== undefined && latest > nonce) {
          const late = await this.receiptOf(hashes);
          if (late !== null && late !== "unknown") continue;
          this.#next = undefined;
          throw new NotSent(
            RelayerErrorCode.NonceConsumed,
            `nonce ${nonce} was used by a transaction that is none of ours (${hashes.join(", ")}): is another process using this key?`,
          );
        }
      }
      if (Date.now() - lastSign >= this.s.stuckAfterMs) {
        lastSign = Date.now();
        const bumped = bumpFees(fees, this.s);
        if (attempts >= this.s.maxAttempts || bumped.maxFeePerGas <= fees.maxFeePerGas) {
          this.log.warn({ nonce, hashes, maxFeePerGas: fees.maxFeePerGas }, "not mined, no more replacements: waiting");
          const again = await this.broadcast(current.raw);
          if (again?.kind === RpcErrorKind.NonceTooLow) checkNonce = true;
        } else {
          const next = await this.sign(req, nonce, bumped);
          const refused = await this.broadcast(next.raw);
          if (refused === undefined) {
            attempts++;
            fees = bumped;
            current = next;
            hashes.push(next.hash);
            onHash(next.hash);
            this.log.warn(
              { nonce, hash: next.hash, maxFeePerGas: bumped.maxFeePerGas, attempt: attempts },
              "transaction not mined: replaced with higher fees",
            );
          } else {
            if (refused.kind === RpcErrorKind.NonceTooLow) checkNonce = true;
            if (refused.kind === RpcErrorKind.Transient) {
              hashes.push(next.hash); // it may have arrived: look it up too
              current = next;
              fees = bumped;
              attempts++;
              onHash(next.hash);
              rebroadcast = true;
            }
            this.log.warn({ nonce, error: messageOf(refused.error) }, "replacement not accepted");
          }
        }
      }
      await sleep(this.s.receiptPollMs);
    }
  }
}
