/**
 * Every failure a trader can meet, as one sentence in human units that says what is possible: contract
 * reverts decoded against the project's ABIs (registry and its logic libraries, oracle, risk engine, fund,
 * auction house, ERC-20), node refusals (gas, nonce), transport faults, and the prover's own errors.
 * The CLI prints it; the daemon logs and alerts with it.
 */
import { ErrorDescription, Interface, type ErrorFragment } from "ethers";
import {
  AccountLogic__factory,
  AuctionHouse__factory,
  ChallengeLogic__factory,
  InsuranceFund__factory,
  LiquidationLogic__factory,
  OracleAdapter__factory,
  RiskEngine__factory,
  TestToken__factory,
  ZkMarginRegistry__factory,
} from "../../core/contracts";
import { RpcErrorKind, classifyRpcError, revertDataOf } from "../../core/rpcErrors";
import { fmtBps, fmtDuration, fmtEth, fmtTime, fmtToken, marketName } from "./units";

/** What the caller knows that makes a sentence precise (all optional). */
export interface ExplainContext {
  /** The action, for "cannot <action>: ..." ("withdraw 4,700 USDC"). */
  readonly action?: string;
  readonly symbols?: readonly string[];
  readonly decimals?: readonly number[];
  /** The token an ERC-20 error is about (a deposit's asset). */
  readonly token?: { readonly symbol: string; readonly decimals: number };
  readonly rpc?: string;
  /** The chain's time now, for "... ago" / "in ...". */
  readonly now?: bigint;
}

let errors: Interface | undefined;

/** One interface holding every custom error of every contract a trader's transaction can reach. */
export function errorInterface(): Interface {
  if (errors) return errors;
  const seen = new Set<string>();
  const fragments: ErrorFragment[] = [];
  for (const abi of [
    ZkMarginRegistry__factory.abi,
    AccountLogic__factory.abi,
    ChallengeLogic__factory.abi,
    LiquidationLogic__factory.abi,
    OracleAdapter__factory.abi,
    RiskEngine__factory.abi,
    InsuranceFund__factory.abi,
    AuctionHouse__factory.abi,
    TestToken__factory.abi,
  ]) {
    new Interface(abi as never).forEachError((f) => {
      if (!seen.has(f.selector)) {
        seen.add(f.selector);
        fragments.push(f);
      }
    });
  }
  errors = new Interface(fragments);
  return errors;
}

/** The decoded custom error (or Error(string) / Panic) of revert data, if the ABIs know it. */
export function decodeRevert(data: string): ErrorDescription | undefined {
  if (!/^0x[0-9a-fA-F]{8}/.test(data)) return undefined;
  try {
    return errorInterface().parseError(data) ?? undefined;
  } catch {
    return undefined;
  }
}

const tok = (ctx: ExplainContext, asset: bigint, raw: bigint): string => {
  const i = Number(asset);
  const sym = ctx.symbols?.[i];
  const dec = ctx.decimals?.[i];
  return sym !== undefined && dec !== undefined ? fmtToken(raw, dec, sym) : `${raw} base units of asset ${i}`;
};
const when = (ctx: ExplainContext, t: bigint): string =>
  ctx.now === undefined
    ? fmtTime(t)
    : t > ctx.now
      ? `${fmtTime(t)} (in ${fmtDuration(t - ctx.now)})`
      : `${fmtTime(t)} (${fmtDuration(ctx.now - t)} ago)`;

/** The sentence for a decoded contract error. */
export function explainRevert(d: ErrorDescription, ctx: ExplainContext = {}): string {
  const a = d.args;
  const big = (i: number): bigint => BigInt(a[i] as bigint);
  switch (d.name) {
    case "Registry__AccountExists":
      return `account ${a[0]} is already open on this registry: restore its state file (\`--state\`) instead of running init again`;
    case "Registry__NotActive":
      return `account ${a[0]} is not active on this registry (never opened, liquidated or closed): \`zkm status\` says which; after a liquidation only \`zkm claim\` is possible`;
    case "Registry__Challenged":
      return "the account is challenged: answer the challenge first (`zkm respond`, or the daemon does it); deposits are possible, trades and withdrawals wait until it is answered";
    case "Registry__NoOpenChallenge":
      return "the account has no open challenge any more (it was answered or liquidated meanwhile): `zkm status`";
    case "Registry__BadRecord":
      return "the challenge or liquidation record on chain changed meanwhile: run the command again";
    case "Registry__BadCert":
      return "the account's certificate changed on chain meanwhile: run the command again";
    case "Registry__NotChallengeable":
      return `account ${a[0]} is not challengeable: its certificate still holds`;
    case "Registry__WrongBond":
      return `the bond must be exactly ${fmtEth(big(1))} (${fmtEth(big(0))} was sent)`;
    case "Registry__DeadlinePassed":
      return `the challenge's deadline passed at ${when(ctx, big(0))}: it can no longer be answered; once it is liquidated, \`zkm claim\` pays back the equity minus the penalty`;
    case "Registry__DeadlineNotPassed":
      return `the challenge can be answered until ${when(ctx, big(0))}: it cannot be liquidated before`;
    case "Registry__ExclusivePeriod":
      return `only the challenger ${a[0]} may liquidate until ${when(ctx, big(1))}`;
    case "Registry__ProofInvalid":
      return "the proof did not verify on chain: prices, ratios or the account changed between proving and mining (run the command again); if it keeps failing, the local keys do not match this deployment (`--build`)";
    case "Registry__BatchInvalid":
      return "the batch of answers did not verify on chain: send the answers one by one";
    case "Registry__NotLiquidated":
      return `nothing to claim: account ${a[0]} is not liquidated (it was claimed already, or never liquidated): \`zkm status\` shows what was paid`;
    case "Registry__ClaimWindowOver":
      return `the claim window closed at ${when(ctx, big(0))}: the equity can no longer be claimed`;
    case "Registry__NothingToWithdraw":
      return "there is no ETH credit to withdraw";
    case "Registry__TransferFailed":
      return "the ETH transfer to the receiver failed (a contract that refuses ETH?)";
    case "Registry__BadParameter":
      return `the registry refused the parameter ${a[0]}`;
    case "Registry__BoxTooWide":
      return `the certificate's box of +/-${fmtBps(big(0))} is wider than the registry allows (+/-${fmtBps(big(1))}): prove with a smaller box`;
    case "Registry__RatioBelowRequired":
      return `the proven maintenance ratio of ${marketName(Number(a[0]))} (${fmtBps(big(1))}) is below the required ${fmtBps(big(2))}: the ratios rose since proving; run the command again`;
    case "Registry__NotInField":
    case "Registry__ValueTooLarge":
      return `a value of the proof is out of range (${d.name.replace("Registry__", "")} ${a[0]}): this prover is out of date for the deployment`;
    case "Registry__SettleOutOfRange":
      return "the settlement amount is out of range";
    case "Registry__InsufficientCollateral":
      return `the account holds ${tok(ctx, big(0), big(1))}: it cannot give ${tok(ctx, big(0), big(2))}`;
    case "Registry__UnknownAsset":
      return `there is no collateral asset ${a[0]} on this registry`;
    case "Registry__ZeroAmount":
      return "the amount must be greater than 0";
    case "Registry__LengthMismatch":
    case "Registry__BadAssets":
      return `the registry refused the arguments (${d.name.replace("Registry__", "")})`;
    case "ERC20InsufficientBalance": {
      const t = ctx.token;
      const f = (x: bigint) => (t ? fmtToken(x, t.decimals, t.symbol) : `${x} base units`);
      return `the wallet ${a[0]} holds ${f(big(1))}, less than the ${f(big(2))} needed: fund the wallet first${ctx.rpc?.includes("127.0.0.1") ? " (on a local network, `npm run localnet` mints test tokens to the dev accounts)" : ""}`;
    }
    case "ERC20InsufficientAllowance":
      return `the registry may spend ${a[1]} of the token, less than ${a[2]}: approve it first (deposit does this itself)`;
    case "Oracle__StaleAnswer":
      return `the price feed ${a[0]} was last updated at ${when(ctx, big(1))}, longer ago than its maximum age of ${fmtDuration(big(2))}: nothing can be priced until the oracle updates${ctx.rpc?.includes("127.0.0.1") ? " (on a local network: `npm run localnet -- time +0` refreshes the feeds)" : ""}`;
    case "Oracle__NonPositiveAnswer":
      return `the price feed ${a[0]} answers ${a[1]}: no price, so nothing can be priced now`;
    case "Oracle__IncompleteRound":
      return `the price feed ${a[0]} has an incomplete round: wait for the next oracle update`;
    case "Oracle__SequencerDown":
      return "the L2 sequencer is down: prices cannot be trusted and nothing can be priced until it is back";
    case "Oracle__SequencerGracePeriod":
      return `the L2 sequencer is back since ${when(ctx, big(0))}: prices are refused for its grace period of ${fmtDuration(big(1))}`;
    case "InsuranceFund__WithdrawalsBlockedWhileOwed":
      return "the insurance fund owes traders money: LP withdrawals wait until it is repaid";
    case "Panic":
      return `the contract panicked (code ${a[0]})`;
    case "Error":
      return `the contract refused: ${a[0]}`;
    default:
      return `the contract refused with ${d.name}(${a.map(String).join(", ")})`;
  }
}

const FS_ERRORS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exceeded",
  EACCES: "permission denied on a state file",
  EPERM: "permission denied on a state file",
  EROFS: "the file system is read-only",
  EIO: "an input/output error on the disk",
};

const TRANSPORT_WORDS: readonly [RegExp, string][] = [
  [/ECONNREFUSED|connection refused/i, "refused the connection"],
  [/ETIMEDOUT|timeout|timed out/i, "did not answer in time"],
  [/ENOTFOUND|EAI_AGAIN/i, "has a host name that does not resolve"],
  [/ECONNRESET|socket hang up|other side closed/i, "dropped the connection"],
];

/**
 * One sentence for anything a command or the daemon threw. Coded errors of the prover keep their own
 * message (they are written in human units already); chain failures are decoded.
 */
export function explainError(e: unknown, ctx: ExplainContext = {}): string {
  const prefix = ctx.action ? `cannot ${ctx.action}: ` : "";
  const data = revertDataOf(e);
  if (data !== undefined) {
    const d = decodeRevert(data);
    if (d) return prefix + explainRevert(d, ctx);
    return `${prefix}the contract refused with an error this prover does not know (selector ${data.slice(0, 10)}): is ${ctx.rpc ? "this RPC" : "the RPC"} pointing at a zkmargin deployment of the same version?`;
  }
  const msg = messageOf(e);
  const errno = (e as { code?: unknown })?.code;
  if (typeof errno === "string" && FS_ERRORS[errno]) {
    const file = (e as { path?: string }).path;
    return `${prefix}${FS_ERRORS[errno]}${file ? ` (${file})` : ""}: nothing was changed; fix it and run the command again`;
  }
  if (/insufficient funds/i.test(msg))
    return `${prefix}the wallet has not enough ETH to pay for gas: send it some ETH first`;
  const kind = classifyRpcError(e);
  if (/^no RPC endpoint answered/.test(msg)) {
    return `${prefix}${firstLine(msg)}: check that the node is running${/127\.0\.0\.1|localhost/.test(msg) ? " (`npm run localnet`)" : ""}, or give another endpoint with --rpc`;
  }
  if (kind === RpcErrorKind.Transient) {
    const how = TRANSPORT_WORDS.find(([re]) => re.test(msg))?.[1] ?? "failed";
    return `${prefix}the RPC endpoint${ctx.rpc ? ` ${ctx.rpc}` : ""} ${how} (${firstLine(msg).split(" | ")[0]}): check that the node is running${ctx.rpc?.includes("127.0.0.1") ? " (`npm run localnet`)" : ""}, or give another one with --rpc`;
  }
  if (kind === RpcErrorKind.Revert && /require\(false\)|missing revert data|execution reverted(?!:)/i.test(msg))
    return `${prefix}the contract refused without a reason: is the address a zkmargin registry of this version?`;
  if (kind === RpcErrorKind.NonceTooLow || kind === RpcErrorKind.AlreadyKnown)
    return `${prefix}the wallet's nonce was used meanwhile (another transaction from the same key?): run the command again`;
  if (kind === RpcErrorKind.Underpriced)
    return `${prefix}the node wants a higher fee for the replacement: run it again`;
  return prefix + firstLine(msg);
}

function messageOf(e: unknown): string {
  if (e instanceof Error) {
    const s = (e as { shortMessage?: string }).shortMessage;
    const inner = (e as { info?: { error?: { message?: string } } }).info?.error?.message;
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return [s ?? e.message, inner, cause].filter(Boolean).join(" | ");
  }
  return String(e);
}

const firstLine = (s: string) => s.split("\n")[0].replace(/ \(action=.*$/, "");
