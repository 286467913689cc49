/**
 * One trader's account: the encrypted private state, the proving keys (in memory), and the registry.
 * Every state change follows the same crash-safe order: prove -> write the next state as pending ->
 * send -> record the transaction -> wait -> commit. On start, reconcile() recovers whatever a crash left.
 */
import * as fs from "node:fs";
import type { Logger } from "pino";
import type { ContractTransactionResponse, Signer } from "ethers";
import {
  IERC20Metadata__factory,
  OracleAdapter__factory,
  type ZkMarginRegistry,
  ZkMarginRegistry__factory,
} from "../../core/contracts";
import { type AccountState, type Trade, commitment, emptyState } from "../model";
import { prepareClaim, prepareProve, prepareResponse, prepareUpdate } from "../lib/actions";
import type { ProverKeys, SolidityProof } from "../lib/circuits";
import { ProverError, ProverErrorCode } from "../lib/errors";
import { requireMatchingVerifiers } from "../lib/verifierCheck";
import { type ReconcileOutcome, StateStore } from "../store/stateStore";
import type { KdfParams } from "../store/envelope";

/** Test-only fault injection: ZKMARGIN_CRASH_AT=after-pending|after-send|after-mined kills the process there. */
function crashPoint(point: string): void {
  if (process.env.ZKMARGIN_CRASH_AT === point) process.kill(process.pid, "SIGKILL");
}

export const STATUS = ["none", "active", "liquidated", "closed"] as const;

export interface TraderOptions {
  stateFile: string;
  passphrase: string;
  signer: Signer;
  registry: string;
  keys: ProverKeys;
  logger: Logger;
  kdf?: KdfParams;
}

export class TraderService {
  private constructor(
    private _store: StateStore,
    readonly registry: ZkMarginRegistry,
    readonly account: string,
    readonly keys: ProverKeys,
    readonly log: Logger,
    private readonly opts: TraderOptions,
  ) {}

  get store(): StateStore {
    return this._store;
  }

  /** Creates the state file for a new account and opens it on chain (if it is not open yet). */
  static async init(o: TraderOptions): Promise<TraderService> {
    const registry = ZkMarginRegistry__factory.connect(o.registry, o.signer);
    await requireMatchingVerifiers(registry, o.keys);
    const account = await o.signer.getAddress();
    const chainId = (await o.signer.provider!.getNetwork()).chainId;
    const acc = await registry.accountOf(account);
    if (acc.status !== 0n) {
      throw new ProverError(
        ProverErrorCode.BadInput,
        `account ${account} is already open on this registry: restore its state file instead of creating a new one`,
      );
    }
    // a previous init that wrote the file but whose openAccount never landed is resumed, not refused
    const resumable = fs.existsSync(o.stateFile) && StateStore.open(o.stateFile, o.passphrase, o.kdf);
    const id = resumable ? resumable.identity : undefined;
    const matches =
      id &&
      id.account.toLowerCase() === account.toLowerCase() &&
      id.registry.toLowerCase() === o.registry.toLowerCase() &&
      id.chainId === chainId;
    const store =
      matches && resumable
        ? resumable
        : StateStore.create(
            o.stateFile,
            o.passphrase,
            { chainId, registry: o.registry, account },
            emptyState(4),
            o.kdf,
          );
    store.acquire();
    const svc = new TraderService(store, registry, account, o.keys, o.logger, o);
    await (await registry.openAccount()).wait();
    o.logger.info({ account, registry: o.registry }, "account opened");
    return svc;
  }

  /**
   * Opens an existing state: checks the deployed verifiers and reconciles with the chain under the lock.
   * `hold` keeps the lock until close() (commands that change the private state); read-only users (status,
   * deposit, the daemon: respond and prove never change the private state) release it at once.
   */
  static async open(o: TraderOptions, hold = true): Promise<TraderService> {
    const store = StateStore.open(o.stateFile, o.passphrase, o.kdf);
    const id = store.identity;
    const account = await o.signer.getAddress();
    if (id.account.toLowerCase() !== account.toLowerCase()) {
      throw new ProverError(
        ProverErrorCode.BadInput,
        `the state file belongs to ${id.account}, but the key is ${account}`,
      );
    }
    if (id.registry.toLowerCase() !== o.registry.toLowerCase()) {
      throw new ProverError(
        ProverErrorCode.BadInput,
        `the state file belongs to registry ${id.registry}, not ${o.registry}`,
      );
    }
    const registry = ZkMarginRegistry__factory.connect(o.registry, o.signer);
    await requireMatchingVerifiers(registry, o.keys);
    store.acquire();
    const svc = new TraderService(store, registry, account, o.keys, o.logger, o);
    try {
      await svc.reconcile();
    } catch (e) {
      store.release();
      throw e;
    }
    if (!hold) store.release();
    return svc;
  }

  /** Re-reads the state file (another process, such as the CLI, may have updated it) and reconciles. */
  async reload(): Promise<void> {
    const fresh = StateStore.open(this.opts.stateFile, this.opts.passphrase, this.opts.kdf);
    fresh.acquire();
    try {
      this._store = fresh;
      await this.reconcile();
    } finally {
      fresh.release();
    }
  }

  close(): void {
    this.store.release();
  }

  get state(): AccountState {
    return this.store.committed;
  }

  /** Makes the stored state agree with the chain; waits for a sent update that is still in flight. */
  async reconcile(): Promise<ReconcileOutcome> {
    const pending = this.store.pending;
    if (pending?.txHash) {
      const provider = this.registry.runner!.provider!;
      const tx = await provider.getTransaction(pending.txHash);
      if (tx && tx.blockNumber === null) {
        this.log.info({ tx: pending.txHash }, "a sent update is still pending: waiting for it");
        await provider.waitForTransaction(pending.txHash, 1, 10 * 60_000);
      }
    }
    const acc = await this.registry.accountOf(this.account);
    if (acc.status === 0n) {
      throw new ProverError(
        ProverErrorCode.NotOpened,
        `account ${this.account} is not open on ${await this.registry.getAddress()}`,
      );
    }
    const outcome = this.store.reconcile(acc.commitment);
    if (outcome === "unchanged" && this.store.pending) {
      this.store.abandonPending();
      this.log.warn("a prepared update never reached the chain: kept in history, current state unchanged");
    } else if (outcome !== "unchanged") {
      this.log.info({ outcome }, "state recovered to match the chain");
    }
    return outcome;
  }

  /** Deposits collateral (approving the registry first if needed). */
  async deposit(asset: bigint, amount: bigint): Promise<void> {
    const token = IERC20Metadata__factory.connect(
      (await this.registry.assets())[Number(asset)].token,
      this.registry.runner,
    );
    const registryAddr = await this.registry.getAddress();
    if ((await token.allowance(this.account, registryAddr)) < amount)
      await (await token.approve(registryAddr, amount)).wait();
    await (await this.registry.deposit(asset, amount)).wait();
    this.log.info({ asset: asset.toString(), amount: amount.toString() }, "deposited");
  }

  /** Trades and/or withdraws through an Update proof, crash-safely. */
  async update(
    trade: Trade,
    withdraw?: { asset: bigint; amount: bigint },
  ): Promise<{ pnl: bigint; txHash: string; proveMs: number }> {
    await this.requireUnchallenged();
    const p = await prepareUpdate(this.keys, this.registry, this.account, this.state, trade, withdraw);
    this.store.setPending(p.next, `${trade.kind}${withdraw?.amount ? ` + withdraw ${withdraw.amount}` : ""}`);
    crashPoint("after-pending");
    let tx: ContractTransactionResponse;
    try {
      tx = await this.registry.update(p.args, p.proof.proof);
    } catch (e) {
      // never broadcast (e.g. prices moved and the proof no longer verifies): keep the state as it was
      this.store.abandonPending();
      throw e;
    }
    this.store.setPendingTx(tx.hash);
    crashPoint("after-send");
    const receipt = await tx.wait().catch((e: { receipt?: { status: number } }) => {
      if (e.receipt?.status === 0) return e.receipt;
      throw e; // unknown outcome (RPC failure): the pending state stays for reconcile()
    });
    if (!receipt || receipt.status !== 1) {
      this.store.abandonPending();
      throw new ProverError(ProverErrorCode.TxFailed, `update transaction ${tx.hash} reverted`);
    }
    crashPoint("after-mined");
    const onChain = (await this.registry.accountOf(this.account)).commitment;
    if (onChain !== commitment(p.next))
      throw new ProverError(ProverErrorCode.TxFailed, "the update was mined but the chain holds another commitment");
    this.store.commitPending();
    this.log.info(
      { kind: trade.kind, pnl: p.args.pnl.toString(), tx: tx.hash, proveMs: Math.round(p.proof.ms) },
      "update committed",
    );
    return { pnl: p.args.pnl, txHash: tx.hash, proveMs: p.proof.ms };
  }

  /** Proactive refresh at current prices. */
  async prove(): Promise<string> {
    await this.requireUnchallenged();
    const p = await prepareProve(this.keys, this.registry, this.account, this.state);
    const tx = await this.registry.prove(p.proof);
    await this.mined(tx);
    this.log.info({ tx: tx.hash, proveMs: Math.round(p.ms) }, "solvency proven at current prices");
    return tx.hash;
  }

  /** Proof answering the open challenge (sending it is the daemon's job, with retries and gas bumps). */
  responseProof(): Promise<{ proof: SolidityProof; ms: number }> {
    return prepareResponse(this.keys, this.registry, this.account, this.state);
  }

  /** Claims equity after a liquidation. */
  async claim(): Promise<{ equity: bigint; txHash: string; proveMs: number }> {
    const { equity, proof } = await prepareClaim(this.keys, this.registry, this.account, this.state);
    const tx = await this.registry.claim(equity, proof.proof);
    await this.mined(tx);
    this.log.info({ equity: equity.toString(), tx: tx.hash }, "equity claimed");
    return { equity, txHash: tx.hash, proveMs: proof.ms };
  }

  async marketPrices(): Promise<bigint[]> {
    const oracle = OracleAdapter__factory.connect(await this.registry.oracle(), this.registry.runner);
    return (await oracle.marketPrices()).map(BigInt);
  }

  private async requireUnchallenged(): Promise<void> {
    const acc = await this.registry.accountOf(this.account);
    if (acc.status !== 1n)
      throw new ProverError(
        ProverErrorCode.Liquidated,
        `account is ${STATUS[Number(acc.status)]}: only claim is possible`,
      );
    if ((await this.registry.challengeOf(this.account)).deadline !== 0n) {
      throw new ProverError(
        ProverErrorCode.BadInput,
        "the account is challenged: answer the challenge first (the daemon does it automatically)",
      );
    }
  }

  private async mined(tx: ContractTransactionResponse): Promise<void> {
    const r = await tx.wait();
    if (!r || r.status !== 1) throw new ProverError(ProverErrorCode.TxFailed, `transaction ${tx.hash} failed`);
  }
}
