/**
 * One trader's account: the encrypted private state, the proving keys (in memory), and the registry.
 * Every state change follows the same crash-safe order: prove -> write the next state as pending ->
 * send -> record the transaction -> wait -> commit. On start, reconcile() recovers whatever a crash left.
 */
import * as fs from "node:fs";
import type { Logger } from "pino";
import type { ContractTransactionResponse, Signer } from "ethers";
import { IERC20Metadata__factory, type ZkMarginRegistry, ZkMarginRegistry__factory } from "../../core/contracts";
import { type AccountState, type Trade, commitment, emptyState } from "../model";
import {
  type Answer,
  type CertPolicy,
  DEFAULT_CERT_POLICY,
  type PreparedClaim,
  type UpdateRequest,
  freshSalt,
  prepareAnswer,
  prepareClaim,
  prepareProve,
  prepareUpdate,
} from "../lib/actions";
import { type ChallengeRecord, ChainView, type LiquidationRecord, type PublicState } from "../lib/chain";
import type { ProverKeys } from "../lib/circuits";
import { ProverError, ProverErrorCode } from "../lib/errors";
import { requireMatchingVerifiers } from "../lib/verifierCheck";
import { type ReconcileOutcome, StateStore } from "../store/stateStore";
import type { KdfParams } from "../store/envelope";
import type { LockOwner } from "../../core/files";
import { fmtToken } from "./units";

/** Test-only fault injection: ZKMARGIN_CRASH_AT=after-pending|after-send|after-mined kills the process there. */
function crashPoint(point: string): void {
  if (process.env.ZKMARGIN_CRASH_AT === point) process.kill(process.pid, "SIGKILL");
}

export const STATUS = ["none", "active", "liquidated", "closed"] as const;

export interface TraderOptions {
  /** First block to scan for the account's events (the address book's deployment block). */
  fromBlock?: number;
  /** How certificates choose their box and proven ratios. */
  certPolicy?: CertPolicy;
  stateFile: string;
  passphrase: string;
  signer: Signer;
  registry: string;
  keys: ProverKeys;
  logger: Logger;
  kdf?: KdfParams;
  /** Who holds the state lock ("cli", "daemon"): written into the lock file, never anything private. */
  role?: string;
  /** How long to wait for the state lock held by another process (default: 2 minutes; daemon: for ever). */
  lockWaitMs?: number;
  /** Told when the wait for the lock starts (and every 10 s after). */
  onLockWait?: (owner: LockOwner | undefined, waitedMs: number) => void;
}

/**
 * Registries whose code and verifiers this process checked against these keys: a long-running process
 * (the daemon, or many commands in one process) checks once.
 */
const checked = new WeakMap<ProverKeys, Set<string>>();

async function requireDeployment(registry: ZkMarginRegistry, keys: ProverKeys): Promise<void> {
  const id = `${(await registry.runner!.provider!.getNetwork()).chainId}:${(await registry.getAddress()).toLowerCase()}`;
  const seen = checked.get(keys) ?? new Set<string>();
  if (seen.has(id)) return;
  await requireRegistry(registry);
  await requireMatchingVerifiers(registry, keys);
  seen.add(id);
  checked.set(keys, seen);
}

/** Checks that `address` holds a zkmargin registry (before anything else is asked of it). */
export async function requireRegistry(registry: ZkMarginRegistry): Promise<void> {
  const provider = registry.runner!.provider!;
  const address = await registry.getAddress();
  const code = await provider.getCode(address);
  if (code === "0x") {
    throw new ProverError(
      ProverErrorCode.BadInput,
      `${address} is not a zkmargin registry: there is no contract at that address on chain ${(await provider.getNetwork()).chainId} (check --registry / ZKMARGIN_REGISTRY and --rpc)`,
    );
  }
  try {
    await Promise.all([registry.timing(), registry.updateVerifier(), registry.assets()]);
  } catch (e) {
    if ((e as { code?: string }).code === "CALL_EXCEPTION" || (e as { code?: string }).code === "BAD_DATA") {
      throw new ProverError(
        ProverErrorCode.BadInput,
        `${address} is not a zkmargin registry (it does not answer the registry's views): check --registry / ZKMARGIN_REGISTRY`,
      );
    }
    throw e;
  }
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

  private _chain?: ChainView;

  get store(): StateStore {
    return this._store;
  }

  /** Creates the state file for a new account and opens it on chain (if it is not open yet). */
  static async init(o: TraderOptions): Promise<TraderService> {
    const registry = ZkMarginRegistry__factory.connect(o.registry, o.signer);
    await requireDeployment(registry, o.keys);
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
    const resumable = fs.existsSync(o.stateFile) && StateStore.open(o.stateFile, o.passphrase, o.kdf, o.role);
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
            o.role,
          );
    await store.acquireWait(TraderService.waitOptions(o));
    const svc = new TraderService(store, registry, account, o.keys, o.logger, o);
    o.logger.info({ event: "opening" }, "opening the account on chain");
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
    const store = StateStore.open(o.stateFile, o.passphrase, o.kdf, o.role);
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
    await requireDeployment(registry, o.keys);
    await store.acquireWait(TraderService.waitOptions(o));
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

  private static waitOptions(o: TraderOptions) {
    return {
      timeoutMs: o.lockWaitMs ?? 120_000,
      onWait:
        o.onLockWait ??
        ((owner: LockOwner | undefined) =>
          o.logger.warn(
            { event: "lock-wait", pid: owner?.pid, role: owner?.role },
            `waiting for the state lock held by ${owner?.pid ? `pid ${owner.pid}${owner.role ? ` (${owner.role})` : ""}` : "another process"}`,
          )),
    };
  }

  /** Re-reads the state file (another process, such as the CLI, may have updated it) and reconciles. */
  async reload(): Promise<void> {
    const fresh = StateStore.open(this.opts.stateFile, this.opts.passphrase, this.opts.kdf, this.opts.role);
    await fresh.acquireWait(TraderService.waitOptions(this.opts));
    try {
      this._store = fresh;
      await this.reconcile();
    } finally {
      fresh.release();
    }
  }

  /**
   * For a reader beside a writer (the daemon beside the CLI): re-reads the state file without the lock
   * and adopts the stored state whose commitment the chain holds (committed, pending or earlier). Returns
   * false when none matches yet (a writer is between sending and recording): the caller retries later.
   */
  refresh(chainCommitment: bigint): boolean {
    if (commitment(this.state) === chainCommitment) return true;
    const fresh = StateStore.open(this.opts.stateFile, this.opts.passphrase, this.opts.kdf, this.opts.role);
    const match = fresh.stateFor(chainCommitment);
    if (!match) return false;
    this._store = fresh;
    this.adopted = match;
    return true;
  }

  /** Runs `fn` holding the state lock (waiting for it), reloading and reconciling first. */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const fresh = StateStore.open(this.opts.stateFile, this.opts.passphrase, this.opts.kdf, this.opts.role);
    await fresh.acquireWait(TraderService.waitOptions(this.opts));
    this._store = fresh;
    this.adopted = undefined;
    try {
      await this.reconcile();
      return await fn();
    } finally {
      fresh.release();
    }
  }

  private adopted?: AccountState;

  close(): void {
    this.store.release();
  }

  get state(): AccountState {
    return this.adopted ?? this.store.committed;
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

  /** The chain's public view for this account (prices, ratios, collateral, records). */
  get chain(): ChainView {
    this._chain ??= new ChainView(this.registry, this.account, this.opts.fromBlock ?? 0);
    return this._chain;
  }

  /** Everything public the next proof depends on. */
  read(): Promise<PublicState> {
    return this.chain.read();
  }

  /** Deposits collateral (approving the registry first if needed). */
  async deposit(asset: bigint, amount: bigint): Promise<void> {
    const [tokens, decimals] = await this.registry.assets();
    const token = IERC20Metadata__factory.connect(tokens[Number(asset)], this.registry.runner);
    const registryAddr = await this.registry.getAddress();
    const [held, symbol] = await Promise.all([token.balanceOf(this.account), token.symbol().catch(() => "?")]);
    if (held < amount) {
      const d = Number(decimals[Number(asset)]);
      throw new ProverError(
        ProverErrorCode.BadInput,
        `cannot deposit ${fmtToken(amount, d, symbol)}: the wallet ${this.account} holds ${fmtToken(held, d, symbol)}`,
      );
    }
    if ((await token.allowance(this.account, registryAddr)) < amount) {
      this.log.info({ event: "approving" }, `approving the registry to take ${symbol}`);
      await (await token.approve(registryAddr, amount)).wait();
    }
    this.log.info({ event: "sending" }, "sending the deposit");
    await (await this.registry.deposit(asset, amount)).wait();
    this.log.info({ event: "deposited" }, "deposited");
  }

  /** A salt this state file never used (the prover never reuses one). */
  private salt(): bigint {
    for (;;) {
      const s = freshSalt();
      if (!this.store.usedSalt(s)) return s;
    }
  }

  /**
   * Trades, settles and/or withdraws through an Update proof, crash-safely: prove -> write the next state
   * as pending -> send -> record the transaction -> wait -> commit.
   */
  async update(
    req: UpdateRequest,
  ): Promise<{ txHash: string; proveMs: number; paidTokens: bigint; owedTokens: bigint }> {
    const view = await this.requireUnchallenged();
    this.log.info({ event: "proving", statement: "update" }, "proving the update (Update circuit)");
    const p = await prepareUpdate(this.keys, view, this.state, req, this.policy, this.salt());
    this.log.info({ event: "proven", ms: Math.round(p.proof.ms) }, `proof ready in ${Math.round(p.proof.ms)} ms`);
    const label = `${req.trade.kind}${req.settle ? " + settle" : ""}${req.withdraw?.amount ? " + withdraw" : ""}`;
    const txHash = await this.commitTransition(p.next, label, () => this.registry.update(p.args, p.proof.proof));
    this.log.info({ event: "update-committed", tx: txHash, proveMs: Math.round(p.proof.ms) }, "update committed");
    return { txHash, proveMs: p.proof.ms, paidTokens: p.paidTokens, owedTokens: p.owedTokens };
  }

  /** Trade helper (no settlement, no withdrawal). */
  trade(trade: Trade): ReturnType<TraderService["update"]> {
    return this.update({ trade });
  }

  /** Proactive certificate at current prices. */
  async prove(): Promise<string> {
    const view = await this.requireUnchallenged();
    this.log.info({ event: "proving", statement: "certificate" }, "proving a certificate at current prices");
    const p = await prepareProve(this.keys, view, this.state, this.policy);
    this.log.info({ event: "sending" }, `proof ready in ${Math.round(p.proof.ms)} ms: sending it`);
    const tx = await this.registry.prove(p.d, p.pm, p.proof.proof);
    this.log.info({ event: "sent", tx: tx.hash }, `transaction ${tx.hash} sent: waiting for it to be mined`);
    await this.mined(tx);
    this.log.info({ event: "certified", tx: tx.hash, proveMs: Math.round(p.proof.ms) }, "certificate proven");
    return tx.hash;
  }

  /** The open challenge's record, or undefined. */
  async openChallenge(view?: PublicState): Promise<ChallengeRecord | undefined> {
    const v = view ?? (await this.read());
    return this.chain.openChallenge(v.recordHash);
  }

  /** The answer to the open challenge: certificate, deleverage, or none with the shortfall. */
  async answer(record: ChallengeRecord, view?: PublicState): Promise<Answer> {
    this.log.info({ event: "proving", statement: "answer" }, "preparing the answer to the challenge");
    return prepareAnswer(this.keys, view ?? (await this.read()), this.state, record, this.policy);
  }

  /**
   * Sends an answer (respond or respondDeleverage). A deleverage changes the private state, so it goes
   * through the same crash-safe order as an update.
   */
  async sendAnswer(record: ChallengeRecord, a: Answer): Promise<string> {
    if (a.kind === "certificate") {
      const tx = await this.registry.respond(this.account, record, a.d, a.pm, a.proof.proof);
      await this.mined(tx);
      return tx.hash;
    }
    if (a.kind === "deleverage") {
      return this.commitTransition(a.next, "deleverage", () =>
        this.registry.respondDeleverage(this.account, record, a.args, a.proof.proof),
      );
    }
    throw new ProverError(ProverErrorCode.BadInput, a.reason);
  }

  /** The liquidation record, if the account was liquidated. */
  async liquidation(view?: PublicState): Promise<LiquidationRecord | undefined> {
    const v = view ?? (await this.read());
    if (v.status !== "liquidated") return undefined;
    return this.chain.liquidation(v.recordHash);
  }

  /** Claims after a liquidation: `amount` in value units, default the most, rounded to `digits`. */
  async claim(
    o: { amount?: bigint; digits?: number } = {},
  ): Promise<PreparedClaim & { txHash: string; tokens: bigint; paid: bigint }> {
    const view = await this.read();
    const rec = await this.liquidation(view);
    if (!rec) throw new ProverError(ProverErrorCode.BadInput, `account is ${view.status}: nothing to claim`);
    this.log.info({ event: "proving", statement: "equity" }, "proving the claim (Equity circuit)");
    const p = await prepareClaim(this.keys, view, this.state, rec, o);
    this.log.info({ event: "sending" }, `proof ready in ${Math.round(p.proof.ms)} ms: sending the claim`);
    const tx = await this.registry.claim(rec, p.claimed, p.proof.proof);
    const r = await tx.wait();
    if (!r || r.status !== 1) throw new ProverError(ProverErrorCode.TxFailed, `claim transaction ${tx.hash} failed`);
    const ev = r.logs
      .map((l) => {
        try {
          return this.registry.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((e) => e?.name === "Claimed");
    const paid = ev ? BigInt(ev.args.paid) : 0n;
    const tokens = ev ? BigInt(ev.args.tokens) : 0n;
    this.log.info({ event: "claimed", tx: tx.hash }, "claimed");
    return { ...p, txHash: tx.hash, tokens, paid };
  }

  private get policy(): CertPolicy {
    return this.opts.certPolicy ?? DEFAULT_CERT_POLICY;
  }

  /** prove -> pending -> send -> record tx -> wait -> commit, recovering what a crash leaves (reconcile). */
  private async commitTransition(
    next: AccountState,
    label: string,
    send: () => Promise<ContractTransactionResponse>,
  ): Promise<string> {
    this.store.setPending(next, label);
    crashPoint("after-pending");
    let tx: ContractTransactionResponse;
    try {
      tx = await send();
    } catch (e) {
      // never broadcast (e.g. prices moved and the proof no longer verifies): keep the state as it was
      this.store.abandonPending();
      throw e;
    }
    this.store.setPendingTx(tx.hash);
    this.log.info({ event: "sent", tx: tx.hash }, `transaction ${tx.hash} sent: waiting for it to be mined`);
    crashPoint("after-send");
    const receipt = await tx.wait().catch((e: { receipt?: { status: number } }) => {
      if (e.receipt?.status === 0) return e.receipt;
      throw e; // unknown outcome (RPC failure): the pending state stays for reconcile()
    });
    if (!receipt || receipt.status !== 1) {
      this.store.abandonPending();
      throw new ProverError(ProverErrorCode.TxFailed, `transaction ${tx.hash} reverted`);
    }
    crashPoint("after-mined");
    const onChain = (await this.registry.accountOf(this.account)).commitment;
    if (onChain !== commitment(next))
      throw new ProverError(
        ProverErrorCode.TxFailed,
        "the transaction was mined but the chain holds another commitment",
      );
    this.store.commitPending();
    this.adopted = undefined;
    return tx.hash;
  }

  private async requireUnchallenged(): Promise<PublicState> {
    const view = await this.read();
    if (view.status !== "active")
      throw new ProverError(ProverErrorCode.Liquidated, `account is ${view.status}: only claim is possible`);
    if (!/^0x0+$/.test(view.recordHash)) {
      throw new ProverError(
        ProverErrorCode.BadInput,
        "the account is challenged: answer the challenge first (`zkm respond`, or the daemon does it)",
      );
    }
    return view;
  }

  private async mined(tx: ContractTransactionResponse): Promise<void> {
    const r = await tx.wait();
    if (!r || r.status !== 1) throw new ProverError(ProverErrorCode.TxFailed, `transaction ${tx.hash} failed`);
  }
}
