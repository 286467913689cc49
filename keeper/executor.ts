/**
 * Turns the keeper's decisions into transactions, each through the same path: a preflight eth_call
 * against the pending block (what the call would do now: a batch's count, a take's profit, a poke's
 * changed markets, a repay's amount; a revert that means "someone else did it" is `taken`, not an
 * error), eth_estimateGas for the gas limit (estimate x 1.3 + 10k, never above maxTxGas: a batch whose
 * estimate does not fit is `too-large` and the caller splits it), the dry-run stop, then the sender (own
 * nonce, fee bumps, lost-response lookups). A revert or a refusal keeps its decoded reason in the log.
 */
import type { Provider, TransactionReceipt } from "ethers";
import type { Logger } from "pino";
import {
  AuctionHouse__factory,
  InsuranceFund__factory,
  RiskEngine__factory,
  UniswapV2Taker__factory,
  ZkMarginRegistry__factory,
} from "../core/contracts";
import { RpcErrorKind, classifyRpcError } from "../core/rpcErrors";
import { revertName, revertReason } from "./chain/reader";
import { KeeperErrorCode, findKeeperError, messageOf } from "./errors";
import { type Roles, decodeAny } from "./index/events";
import type { Cert, ChallengeRecord } from "./index/types";
import type { Fees } from "./tx/fees";
import type { TxSender } from "./tx/sender";

export type Action = "challenge" | "liquidate" | "take" | "redo" | "repay" | "poke";

/** The per-transaction gas cap of common nodes (hardhat, geth's default RPC cap): 2^24. */
export const MAX_TX_GAS = 16_777_216n;

interface Base {
  readonly action: Action;
  readonly accounts: string[];
}

export type TxResult =
  | (Base & {
      readonly status: "mined";
      readonly handled: string[];
      readonly hash: string;
      readonly gasUsed: bigint;
      readonly gasWei: bigint;
      readonly attempts: number;
      readonly receipt: TransactionReceipt;
    })
  | (Base & {
      readonly status: "reverted";
      readonly hash: string;
      readonly gasUsed: bigint;
      readonly gasWei: bigint;
      readonly reason?: string;
    })
  | (Base & {
      readonly status: "skipped";
      readonly reason: "dry-run" | "taken" | "paused" | "unprofitable" | "too-large";
      readonly detail?: string;
      /** What the preflight returned (count, profit, mask, amount). */
      readonly preview?: bigint;
      readonly gasEstimate?: bigint;
    })
  | (Base & { readonly status: "failed" | "unknown"; readonly code: string; readonly message: string });

/** Reverts meaning "another keeper (or the owner) got there first, or it is not due yet". */
export const TAKEN_ERRORS: ReadonlySet<string> = new Set([
  "Registry__NotChallengeable",
  "Registry__Challenged",
  "Registry__BadCert",
  "Registry__NoOpenChallenge",
  "Registry__BadRecord",
  "Registry__NotActive",
  "Registry__DeadlineNotPassed",
  "Registry__ExclusivePeriod",
  "AuctionHouse__NotRunning",
  "AuctionHouse__CannotRedo",
  "AuctionHouse__NeedsRedo",
  "AuctionHouse__TooExpensive",
]);
const PAUSED = new Set(["Governed__Paused", "Oracle__SequencerDown", "Oracle__SequencerGrace"]);

const registryIface = ZkMarginRegistry__factory.createInterface();
const houseIface = AuctionHouse__factory.createInterface();
const fundIface = InsuranceFund__factory.createInterface();
const riskIface = RiskEngine__factory.createInterface();
const takerIface = UniswapV2Taker__factory.createInterface();

export interface ExecutorOptions {
  readonly registry: string;
  readonly auction: string;
  readonly fund: string;
  readonly risk: string;
  readonly taker?: string;
  readonly me: string;
  readonly dryRun: boolean;
  readonly maxTxGas: bigint;
  readonly roles: Roles;
}

interface Plan {
  readonly action: Action;
  readonly accounts: string[];
  readonly to: string;
  readonly data: string;
  readonly value: bigint;
  /** Decodes the preflight's return value (0 = nothing to do). */
  readonly preview: (ret: string) => bigint;
  /** Smallest preview worth sending (default 1). */
  readonly minPreview?: bigint;
}

/** What a round asks of the chain's write side (the Executor; an in-memory stand-in in benchmarks). */
export interface Actions {
  readonly me: string;
  readonly canTake: boolean;
  challenge(accounts: string[], certs: Cert[], bond: bigint, fees: Fees): Promise<TxResult>;
  liquidate(accounts: string[], records: ChallengeRecord[], fees: Fees): Promise<TxResult>;
  take(
    id: bigint,
    maxAmount: bigint,
    maxPrice: bigint,
    minProfit: bigint,
    path: string[],
    deadline: bigint,
    fees: Fees,
  ): Promise<TxResult>;
  redo(id: bigint, fees: Fees): Promise<TxResult>;
  repay(n: bigint, fees: Fees): Promise<TxResult>;
  poke(fees: Fees): Promise<TxResult>;
}

/** Challenge batches of one size cost the same gas (within a few units): one estimate serves a while. */
const ESTIMATE_TTL_MS = 30_000;

export class Executor implements Actions {
  readonly #estimates = new Map<string, { gas: bigint; at: number }>();

  constructor(
    private readonly provider: Provider,
    private readonly sender: TxSender,
    private readonly o: ExecutorOptions,
    private readonly log: Logger,
  ) {}

  get me(): string {
    return this.o.me;
  }

  get canTake(): boolean {
    return this.o.taker !== undefined;
  }

  challenge(accounts: string[], certs: Cert[], bond: bigint, fees: Fees): Promise<TxResult> {
    const single = accounts.length === 1;
    return this.execute(
      {
        action: "challenge",
        accounts,
        to: this.o.registry,
        data: single
          ? registryIface.encodeFunctionData("challenge", [accounts[0], certs[0]])
          : registryIface.encodeFunctionData("challengeBatch", [accounts, certs]),
        value: bond * BigInt(accounts.length),
        preview: (ret) => (single ? 1n : (registryIface.decodeFunctionResult("challengeBatch", ret)[0] as bigint)),
      },
      fees,
    );
  }

  liquidate(accounts: string[], records: ChallengeRecord[], fees: Fees): Promise<TxResult> {
    const single = accounts.length === 1;
    return this.execute(
      {
        action: "liquidate",
        accounts,
        to: this.o.registry,
        data: single
          ? registryIface.encodeFunctionData("liquidate", [accounts[0], records[0]])
          : registryIface.encodeFunctionData("liquidateBatch", [accounts, records]),
        value: 0n,
        preview: (ret) => (single ? 1n : (registryIface.decodeFunctionResult("liquidateBatch", ret)[0] as bigint)),
      },
      fees,
    );
  }

  /** A flash take through our UniswapV2Taker: sent only if the preflight's profit reaches minProfit. */
  take(
    id: bigint,
    maxAmount: bigint,
    maxPrice: bigint,
    minProfit: bigint,
    path: string[],
    deadline: bigint,
    fees: Fees,
  ): Promise<TxResult> {
    if (this.o.taker === undefined) throw new Error("no taker configured");
    return this.execute(
      {
        action: "take",
        accounts: [`auction:${id}`],
        to: this.o.taker,
        data: takerIface.encodeFunctionData("takeAndSwap", [id, maxAmount, maxPrice, minProfit, path, deadline]),
        value: 0n,
        preview: (ret) => takerIface.decodeFunctionResult("takeAndSwap", ret)[0] as bigint,
        minPreview: minProfit > 0n ? minProfit : 1n,
      },
      fees,
    );
  }

  redo(id: bigint, fees: Fees): Promise<TxResult> {
    return this.execute(
      {
        action: "redo",
        accounts: [`auction:${id}`],
        to: this.o.auction,
        data: houseIface.encodeFunctionData("redo", [id, this.o.me]),
        value: 0n,
        preview: () => 1n, // a redo restarts the auction whatever the tip
      },
      fees,
    );
  }

  repay(n: bigint, fees: Fees): Promise<TxResult> {
    return this.execute(
      {
        action: "repay",
        accounts: [`fund:${n}`],
        to: this.o.fund,
        data: fundIface.encodeFunctionData("repay", [n]),
        value: 0n,
        preview: (ret) => fundIface.decodeFunctionResult("repay", ret)[0] as bigint,
      },
      fees,
    );
  }

  poke(fees: Fees): Promise<TxResult> {
    return this.execute(
      {
        action: "poke",
        accounts: ["risk"],
        to: this.o.risk,
        data: riskIface.encodeFunctionData("pokeAll"),
        value: 0n,
        preview: (ret) => riskIface.decodeFunctionResult("pokeAll", ret)[0] as bigint,
      },
      fees,
    );
  }

  private skipped(p: Plan, reason: "taken" | "paused" | "unprofitable" | "too-large", detail: string): TxResult {
    return { status: "skipped", action: p.action, accounts: p.accounts, reason, detail };
  }

  private async preflight(p: Plan): Promise<{ gas: bigint; preview: bigint } | TxResult> {
    const tx = { to: p.to, from: this.o.me, data: p.data, value: p.value };
    try {
      const ret = await this.provider.call({ ...tx, blockTag: "pending" });
      const preview = p.preview(ret);
      if (preview < (p.minPreview ?? 1n))
        return { ...this.skipped(p, preview === 0n ? "taken" : "unprofitable", "preflight: nothing to do"), preview };
      // eth_estimateGas costs several executions on a node: a challenge batch of a size estimated
      // moments ago reuses that estimate (the 30% margin covers the variation between accounts)
      const key = `${p.action}:${p.accounts.length}`;
      const cached = p.action === "challenge" ? this.#estimates.get(key) : undefined;
      const gas =
        cached !== undefined && Date.now() - cached.at < ESTIMATE_TTL_MS
          ? cached.gas
          : await this.provider.estimateGas(tx);
      if (cached === undefined || Date.now() - cached.at >= ESTIMATE_TTL_MS)
        this.#estimates.set(key, { gas, at: Date.now() });
      if (gas > this.o.maxTxGas)
        return { ...this.skipped(p, "too-large", `estimate ${gas} > ${this.o.maxTxGas}`), preview };
      return { gas, preview };
    } catch (e) {
      const k = findKeeperError(e);
      if (k !== undefined) {
        return { status: "failed", action: p.action, accounts: p.accounts, code: k.code, message: k.message };
      }
      const name = revertName(e);
      const reason = revertReason(e) ?? messageOf(e);
      if (name !== undefined && TAKEN_ERRORS.has(name)) return this.skipped(p, "taken", reason);
      if (name !== undefined && PAUSED.has(name)) return this.skipped(p, "paused", reason);
      const code = classifyRpcError(e) === RpcErrorKind.Transient ? KeeperErrorCode.RpcUnavailable : "PREFLIGHT_REVERT";
      return { status: "failed", action: p.action, accounts: p.accounts, code, message: reason };
    }
  }

  private async execute(p: Plan, fees: Fees): Promise<TxResult> {
    const { action, accounts } = p;
    const pre = await this.preflight(p);
    if (!("gas" in pre)) {
      if (pre.status === "failed") this.log.error({ action, accounts, result: pre }, `${action}: preflight failed`);
      else if (pre.status === "skipped" && pre.reason !== "unprofitable")
        this.log.info(
          { action, accounts: accounts.length, reason: pre.reason, detail: pre.detail },
          `${action}: not sent`,
        );
      return pre;
    }
    const gasLimit = min((pre.gas * 13n) / 10n + 10_000n, this.o.maxTxGas);
    if (this.o.dryRun) {
      this.log.info(
        { action, accounts, value: p.value, gasEstimate: pre.gas, preview: pre.preview, fees },
        `dry-run: would ${action} (${accounts.length})`,
      );
      return { status: "skipped", action, accounts, reason: "dry-run", preview: pre.preview, gasEstimate: pre.gas };
    }
    try {
      const sent = await this.sender.send({ to: p.to, data: p.data, value: p.value, gasLimit }, fees);
      const r = sent.receipt;
      const gasWei = r.gasUsed * (r.gasPrice ?? 0n);
      if (r.status !== 1) {
        const reason = sent.sendError ?? (await this.replayReason(p, r.blockNumber));
        this.log.warn({ action, accounts: accounts.length, hash: r.hash, reason }, `${action}: reverted on chain`);
        return { status: "reverted", action, accounts, hash: r.hash, gasUsed: r.gasUsed, gasWei, reason };
      }
      const handled = this.handled(action, r);
      this.log.info(
        {
          action,
          accounts: accounts.length,
          handled: handled.length,
          hash: r.hash,
          gasUsed: r.gasUsed,
          attempts: sent.attempts,
        },
        `${action}: mined`,
      );
      return {
        status: "mined",
        action,
        accounts,
        handled,
        hash: r.hash,
        gasUsed: r.gasUsed,
        gasWei,
        attempts: sent.attempts,
        receipt: r,
      };
    } catch (e) {
      const k = findKeeperError(e);
      const code = k?.code ?? KeeperErrorCode.TxFailed;
      const unknown = code === KeeperErrorCode.TxStuck || code === KeeperErrorCode.RpcUnavailable;
      const message = k?.message ?? revertReason(e) ?? messageOf(e);
      this.log[unknown ? "warn" : "error"](
        { action, accounts: accounts.length, code, error: message },
        `${action}: ${unknown ? "outcome unknown (tracked)" : "transaction failed"}`,
      );
      return { status: unknown ? "unknown" : "failed", action, accounts, code, message };
    }
  }

  /** Why a mined transaction reverted: the same call replayed at its block. */
  private async replayReason(p: Plan, block: number): Promise<string | undefined> {
    try {
      await this.provider.call({ to: p.to, from: this.o.me, data: p.data, value: p.value, blockTag: block - 1 });
      return undefined;
    } catch (e) {
      return revertReason(e) ?? messageOf(e);
    }
  }

  /** Accounts this transaction challenged or liquidated for us (a batch skips the rest). */
  private handled(action: Action, r: TransactionReceipt): string[] {
    if (action !== "challenge" && action !== "liquidate") return ["done"];
    const me = this.o.me.toLowerCase();
    const out: string[] = [];
    for (const l of r.logs) {
      const ev = decodeAny(this.o.roles, l);
      if (action === "challenge" && ev?.kind === "challenged" && ev.record.challenger.toLowerCase() === me)
        out.push(ev.account);
      if (action === "liquidate" && ev?.kind === "liquidated" && ev.liquidator.toLowerCase() === me)
        out.push(ev.account);
    }
    return out;
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
