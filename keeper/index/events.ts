/**
 * Deployment logs -> the keeper's domain events. Every event the keeper reads has only static fields
 * (address, uintN, intN, bool, and structs of those: Types.Cert, Types.ChallengeRecord, ...), so each
 * indexed field is one topic and each other field (a struct's fields inline, in order) one 32-byte data
 * word. The layouts are derived from the ABIs at load time; decoding words directly is ~100x faster than
 * Interface.parseLog, and test/keeper/index.test.ts checks both agree.
 */
import { type EventFragment, type Interface, type ParamType, getAddress } from "ethers";
import {
  AuctionHouse__factory,
  InsuranceFund__factory,
  UniswapV2Taker__factory,
  ZkMarginRegistry__factory,
} from "../../core/contracts";
import type { Cert, ChallengeRecord, Incentives, LogLike, Timing } from "./types";

export type Role = "registry" | "auction" | "fund" | "taker";

export interface LiquidationRecord {
  readonly nonce: bigint;
  readonly claimUntil: bigint;
  readonly value: bigint;
  readonly penalty: bigint;
  readonly marketPrices: bigint;
  readonly assetPrices: bigint;
}

export type DomainEvent =
  | { readonly kind: "opened"; readonly account: string }
  | { readonly kind: "deposited"; readonly account: string; readonly asset: bigint; readonly amount: bigint }
  | {
      readonly kind: "updated";
      readonly account: string;
      readonly nonce: bigint;
      readonly settle: bigint;
      readonly withdrawAsset: bigint;
      readonly withdrawAmount: bigint;
    }
  | { readonly kind: "certified"; readonly account: string; readonly nonce: bigint; readonly cert: Cert }
  | { readonly kind: "challenged"; readonly account: string; readonly record: ChallengeRecord }
  | { readonly kind: "responded"; readonly account: string; readonly nonce: bigint; readonly submitter: string }
  | { readonly kind: "deleveraged"; readonly account: string; readonly nonce: bigint; readonly fee: bigint }
  | {
      readonly kind: "liquidated";
      readonly account: string;
      readonly liquidator: string;
      readonly record: LiquidationRecord;
      readonly bountyValue: bigint;
    }
  | { readonly kind: "claimed"; readonly account: string }
  | { readonly kind: "lossCovered"; readonly account: string; readonly asset: bigint; readonly amount: bigint }
  | { readonly kind: "timing"; readonly timing: Timing }
  | { readonly kind: "incentives"; readonly incentives: Incentives }
  | { readonly kind: "haircuts"; readonly haircuts: bigint }
  | { readonly kind: "paused"; readonly until: bigint }
  | { readonly kind: "unpaused" }
  | { readonly kind: "kick"; readonly id: bigint; readonly asset: bigint; readonly lot: bigint; readonly top: bigint }
  | {
      readonly kind: "take";
      readonly id: bigint;
      readonly taker: string;
      readonly slice: bigint;
      readonly owe: bigint;
      readonly rest: bigint;
    }
  | {
      readonly kind: "redo";
      readonly id: bigint;
      readonly top: bigint;
      readonly tipReceiver: string;
      readonly tipPaid: bigint;
    }
  | { readonly kind: "auctionParams" }
  | { readonly kind: "owed"; readonly index: bigint; readonly amount: bigint }
  | { readonly kind: "repaid"; readonly index: bigint; readonly amount: bigint; readonly remaining: bigint }
  | { readonly kind: "takeAndSwap"; readonly id: bigint; readonly slice: bigint; readonly profit: bigint };

/** A decoded event with the block it is in (timestamps come from the block when a rule needs them). */
export type Located = DomainEvent & { readonly blockNumber: number };

export const registryInterface = ZkMarginRegistry__factory.createInterface();
export const auctionInterface = AuctionHouse__factory.createInterface();
export const fundInterface = InsuranceFund__factory.createInterface();
export const takerInterface = UniswapV2Taker__factory.createInterface();

const INTERFACES: Record<Role, Interface> = {
  registry: registryInterface,
  auction: auctionInterface,
  fund: fundInterface,
  taker: takerInterface,
};

const KNOWN: Record<Role, readonly string[]> = {
  registry: [
    "AccountOpened",
    "Deposited",
    "Updated",
    "Certified",
    "Challenged",
    "Responded",
    "Deleveraged",
    "Liquidated",
    "Claimed",
    "LossCovered",
    "TimingSet",
    "IncentivesSet",
    "HaircutsSet",
    "Paused",
    "Unpaused",
  ],
  auction: ["Kick", "Take", "Redo", "ParamsSet"],
  fund: ["Owed", "Repaid"],
  taker: ["TakeAndSwap"],
};

/** One static field: its name and type, or a struct's fields (each one word, in order). */
type Field = { readonly name: string; readonly type: string } | { readonly name: string; readonly fields: Field[] };

interface Layout {
  readonly name: string;
  readonly topics: readonly Field[];
  readonly words: readonly Field[];
  readonly wordCount: number;
}

function field(p: ParamType, where: string): Field {
  if (p.baseType === "tuple") return { name: p.name, fields: (p.components ?? []).map((c) => field(c, where)) };
  if (!/^(address|bool|u?int\d*)$/.test(p.type)) throw new Error(`${where}.${p.name}: ${p.type} is not static`);
  return { name: p.name, type: p.type };
}

function width(f: Field): number {
  return "fields" in f ? f.fields.reduce((n, x) => n + width(x), 0) : 1;
}

function layouts(role: Role): Map<string, Layout> {
  const iface = INTERFACES[role];
  return new Map(
    KNOWN[role].map((name) => {
      const ev = iface.getEvent(name) as EventFragment;
      const topics = ev.inputs.filter((i) => i.indexed).map((i) => field(i, name));
      const words = ev.inputs.filter((i) => !i.indexed).map((i) => field(i, name));
      return [ev.topicHash, { name, topics, words, wordCount: words.reduce((n, f) => n + width(f), 0) }];
    }),
  );
}

const LAYOUTS: Record<Role, Map<string, Layout>> = {
  registry: layouts("registry"),
  auction: layouts("auction"),
  fund: layouts("fund"),
  taker: layouts("taker"),
};

const checksummed = new Map<string, string>();
function address(word: string): string {
  const lower = `0x${word.slice(24).toLowerCase()}`;
  let a = checksummed.get(lower);
  if (a === undefined) {
    a = getAddress(lower);
    checksummed.set(lower, a);
  }
  return a;
}

function scalar(type: string, word: string): unknown {
  if (type === "address") return address(word);
  if (type === "bool") return BigInt(`0x${word}`) !== 0n;
  const v = BigInt(`0x${word}`);
  if (type.startsWith("int")) {
    const bits = BigInt(type.slice(3) || "256");
    return v >= 1n << (bits - 1n) ? v - (1n << 256n) : v;
  }
  return v;
}

function read(f: Field, words: string[], at: { i: number }): unknown {
  if (!("fields" in f)) return scalar(f.type, words[at.i++]);
  const o: Record<string, unknown> = {};
  for (const x of f.fields) o[x.name] = read(x, words, at);
  return o;
}

/** The named arguments of a known event of `role`, or undefined for other logs. */
export function decodeArgs(role: Role, log: LogLike): { name: string; args: Record<string, unknown> } | undefined {
  const layout = LAYOUTS[role].get(log.topics[0] ?? "");
  if (layout === undefined) return undefined;
  const hex = log.data.startsWith("0x") ? log.data.slice(2) : log.data;
  if (log.topics.length !== layout.topics.length + 1 || hex.length !== 64 * layout.wordCount) {
    throw new Error(`malformed ${layout.name} log in block ${log.blockNumber}`);
  }
  const args: Record<string, unknown> = {};
  layout.topics.forEach((f, i) => (args[f.name] = read(f, [log.topics[i + 1].slice(2)], { i: 0 })));
  const words: string[] = [];
  for (let i = 0; i < layout.wordCount; i++) words.push(hex.slice(64 * i, 64 * i + 64));
  const at = { i: 0 };
  for (const f of layout.words) args[f.name] = read(f, words, at);
  return { name: layout.name, args };
}

/** Decodes one log of `role`, or undefined for logs the keeper ignores (and for removed logs). */
export function decodeLog(role: Role, log: LogLike): DomainEvent | undefined {
  if (log.removed) return undefined;
  const d = decodeArgs(role, log);
  if (d === undefined) return undefined;
  const a = d.args as Record<string, never>;
  switch (d.name) {
    case "AccountOpened":
      return { kind: "opened", account: a.account };
    case "Deposited":
      return { kind: "deposited", account: a.account, asset: a.asset, amount: a.amount };
    case "Updated":
      return {
        kind: "updated",
        account: a.account,
        nonce: a.nonce,
        settle: a.settle,
        withdrawAsset: a.withdrawAsset,
        withdrawAmount: a.withdrawAmount,
      };
    case "Certified":
      return { kind: "certified", account: a.account, nonce: a.nonce, cert: a.cert };
    case "Challenged":
      return { kind: "challenged", account: a.account, record: a.record };
    case "Responded":
      return { kind: "responded", account: a.account, nonce: a.nonce, submitter: a.submitter };
    case "Deleveraged":
      return { kind: "deleveraged", account: a.account, nonce: a.nonce, fee: a.fee };
    case "Liquidated":
      return {
        kind: "liquidated",
        account: a.account,
        liquidator: a.liquidator,
        record: a.record,
        bountyValue: a.bountyValue,
      };
    case "Claimed":
      return role === "registry" ? { kind: "claimed", account: a.account } : undefined;
    case "LossCovered":
      return { kind: "lossCovered", account: a.account, asset: a.asset, amount: a.amount };
    case "TimingSet":
      return { kind: "timing", timing: a.timing };
    case "IncentivesSet":
      return { kind: "incentives", incentives: a.incentives };
    case "HaircutsSet":
      return { kind: "haircuts", haircuts: a.haircuts };
    case "Paused":
      return { kind: "paused", until: a.until };
    case "Unpaused":
      return { kind: "unpaused" };
    case "Kick":
      return { kind: "kick", id: a.id, asset: a.asset, lot: a.lot, top: a.top };
    case "Take":
      return { kind: "take", id: a.id, taker: a.taker, slice: a.slice, owe: a.owe, rest: a.rest };
    case "Redo":
      return { kind: "redo", id: a.id, top: a.top, tipReceiver: a.tipReceiver, tipPaid: a.tipPaid };
    case "ParamsSet":
      return { kind: "auctionParams" };
    case "Owed":
      return { kind: "owed", index: a.index, amount: a.amount };
    case "Repaid":
      return { kind: "repaid", index: a.index, amount: a.amount, remaining: a.remaining };
    case "TakeAndSwap":
      return { kind: "takeAndSwap", id: a.id, slice: a.slice, profit: a.profit };
    default:
      return undefined;
  }
}

/** Which contract of the deployment a log came from (lowercase address -> role). */
export type Roles = ReadonlyMap<string, Role>;

export function decodeAny(roles: Roles, log: LogLike): DomainEvent | undefined {
  const role = log.address === undefined ? "registry" : roles.get(log.address.toLowerCase());
  return role === undefined ? undefined : decodeLog(role, log);
}
