/**
 * Turns the strategy's batches into transactions. Before sending, a preflight against the chain
 * (eth_call for a batch's count, eth_estimateGas for the gas limit) drops what another keeper already
 * did: a reverted preflight with Registry__NotStale / NoOpenChallenge / NotActive / DeadlineNotPassed /
 * ExclusivePeriod, or a batch that would handle no account, is "taken" (someone else did it), not an
 * error. One account uses challenge()/liquidate(), several the batch functions (which skip what is no
 * longer actionable and refund unused bonds). A transaction mined with status 0 lost a race; dry-run
 * stops after the preflight and logs what it would send.
 */
import type { Provider } from "ethers";
import type { Logger } from "pino";
import { ZkMarginRegistry__factory } from "../core/contracts";
import { revertName } from "./chain/reader";
import { KeeperErrorCode, findKeeperError, messageOf } from "./errors";
import { decodeLog } from "./index/events";
import type { LogLike } from "./index/types";
import type { Fees } from "./tx/fees";
import type { TxSender } from "./tx/sender";

export type Action = "challenge" | "liquidate";

export type TxResult =
  | {
      readonly status: "mined";
      readonly action: Action;
      readonly accounts: string[];
      readonly handled: string[];
      readonly hash: string;
      readonly gasUsed: bigint;
      readonly attempts: number;
    }
  | {
      readonly status: "reverted";
      readonly action: Action;
      readonly accounts: string[];
      readonly hash: string;
      readonly gasUsed: bigint;
    }
  | {
      readonly status: "skipped";
      readonly action: Action;
      readonly accounts: string[];
      readonly reason: "dry-run" | "taken" | "paused";
      readonly detail?: string;
    }
  | {
      readonly status: "failed";
      readonly action: Action;
      readonly accounts: string[];
      readonly code: string;
      readonly message: string;
    };

/** Reverts meaning "another keeper (or the owner) got there first, or it is not due yet". */
export const TAKEN_ERRORS: ReadonlySet<string> = new Set([
  "Registry__NotStale",
  "Registry__NoOpenChallenge",
  "Registry__NotActive",
  "Registry__DeadlineNotPassed",
  "Registry__ExclusivePeriod",
]);

const iface = ZkMarginRegistry__factory.createInterface();

export interface ExecutorOptions {
  readonly registry: string;
  readonly me: string;
  readonly dryRun: boolean;
}

export class Executor {
  constructor(
    private readonly provider: Provider,
    private readonly sender: TxSender,
    private readonly opts: ExecutorOptions,
    private readonly log: Logger,
  ) {}

  challenge(accounts: string[], bond: bigint, fees: Fees): Promise<TxResult> {
    const data =
      accounts.length === 1
        ? iface.encodeFunctionData("challenge", [accounts[0]])
        : iface.encodeFunctionData("challengeBatch", [accounts]);
    return this.execute("challenge", accounts, data, bond * BigInt(accounts.length), fees);
  }

  liquidate(accounts: string[], fees: Fees): Promise<TxResult> {
    const data =
      accounts.length === 1
        ? iface.encodeFunctionData("liquidate", [accounts[0]])
        : iface.encodeFunctionData("liquidateBatch", [accounts]);
    return this.execute("liquidate", accounts, data, 0n, fees);
  }

  private async preflight(action: Action, accounts: string[], data: string, value: bigint): Promise<bigint | TxResult> {
    const tx = { to: this.opts.registry, from: this.opts.me, data, value };
    try {
      if (accounts.length > 1) {
        // against the pending block: a competitor's transaction still in the mempool counts as done
        const ret = await this.provider.call({ ...tx, blockTag: "pending" });
        const [count] =
          action === "challenge"
            ? iface.decodeFunctionResult("challengeBatch", ret)
            : iface.decodeFunctionResult("liquidateBatch", ret);
        if (count === 0n)
          return {
            status: "skipped",
            action,
            accounts,
            reason: "taken",
            detail: "no account of the batch is still actionable",
          };
      }
      return await this.provider.estimateGas(tx);
    } catch (e) {
      if (findKeeperError(e)) throw e; // RPC unreachable: the round fails and is retried
      const name = revertName(e);
      if (name !== undefined && TAKEN_ERRORS.has(name))
        return { status: "skipped", action, accounts, reason: "taken", detail: name };
      if (name === "Registry__Paused") return { status: "skipped", action, accounts, reason: "paused", detail: name };
      return { status: "failed", action, accounts, code: "PREFLIGHT_REVERT", message: name ?? messageOf(e) };
    }
  }

  private async execute(
    action: Action,
    accounts: string[],
    data: string,
    value: bigint,
    fees: Fees,
  ): Promise<TxResult> {
    const pre = await this.preflight(action, accounts, data, value);
    if (typeof pre !== "bigint") {
      if (pre.status === "failed")
        this.log.error({ action, accounts, result: pre }, `${action}: preflight failed (${pre.message})`);
      else if (pre.status === "skipped")
        this.log.info({ action, accounts, result: pre }, `${action}: not sent (${pre.reason})`);
      return pre;
    }
    if (this.opts.dryRun) {
      this.log.info(
        { action, accounts, value, gasEstimate: pre, fees },
        `dry-run: would ${action} ${accounts.length} account(s)`,
      );
      return { status: "skipped", action, accounts, reason: "dry-run" };
    }
    try {
      const sent = await this.sender.send(
        { to: this.opts.registry, data, value, gasLimit: (pre * 13n) / 10n + 10_000n },
        fees,
      );
      const r = sent.receipt;
      if (r.status !== 1) {
        this.log.warn({ action, accounts, hash: r.hash }, `${action}: transaction reverted on chain (lost a race)`);
        return { status: "reverted", action, accounts, hash: r.hash, gasUsed: r.gasUsed };
      }
      const handled = this.handled(action, r.logs);
      if (handled.length < accounts.length) {
        this.log.info(
          { action, taken: accounts.filter((a) => !handled.includes(a)) },
          `${action}: ${accounts.length - handled.length} of ${accounts.length} taken by others`,
        );
      }
      this.log.info(
        { action, accounts, handled, hash: r.hash, gasUsed: r.gasUsed, attempts: sent.attempts },
        `${action}: mined`,
      );
      return { status: "mined", action, accounts, handled, hash: r.hash, gasUsed: r.gasUsed, attempts: sent.attempts };
    } catch (e) {
      const k = findKeeperError(e);
      if (k?.code === KeeperErrorCode.RpcUnavailable) throw k;
      const code = k?.code ?? KeeperErrorCode.TxFailed;
      this.log.error({ action, accounts, code, error: messageOf(e) }, `${action}: transaction failed`);
      return { status: "failed", action, accounts, code, message: messageOf(e) };
    }
  }

  /** Accounts this transaction challenged or liquidated for us (a batch skips the rest). */
  private handled(action: Action, logs: readonly (LogLike & { address: string })[]): string[] {
    const me = this.opts.me.toLowerCase();
    const out: string[] = [];
    for (const l of logs) {
      if (l.address.toLowerCase() !== this.opts.registry.toLowerCase()) continue;
      const ev = decodeLog(l);
      if (action === "challenge" && ev?.kind === "challenged" && ev.challenger.toLowerCase() === me)
        out.push(ev.account);
      if (action === "liquidate" && ev?.kind === "liquidated" && ev.liquidator.toLowerCase() === me)
        out.push(ev.account);
    }
    return out;
  }
}
