/**
 * What governance has queued: every call scheduled in the timelock that owns the registry and is neither
 * executed nor cancelled, decoded against the contracts it targets, and whether it would make the
 * account's certificate challengeable when it lands (a haircut below the proven one, a maintenance
 * floor or base above the proven ratio, a feed swap). The daemon warns with the time left to exit.
 */
import { type EventLog, type Interface, type Provider } from "ethers";
import {
  OracleAdapter__factory,
  RiskEngine__factory,
  TimelockController__factory,
  ZkMarginRegistry__factory,
  type ZkMarginRegistry,
} from "../../core/contracts";
import { type Cert, unpack16 } from "./chain";

export interface QueuedChange {
  readonly id: string;
  readonly target: string;
  /** Contract and function, e.g. "registry.setHaircuts". */
  readonly call: string;
  /** When it can execute (seconds); 0 when unknown. */
  readonly readyAt: bigint;
  /** Why it threatens the certificate, or undefined. */
  readonly threat?: string;
}

interface Targets {
  registry: string;
  risk: string;
  oracle: string;
}

const IFACES: Record<keyof Targets, Interface> = {
  registry: ZkMarginRegistry__factory.createInterface(),
  risk: RiskEngine__factory.createInterface(),
  oracle: OracleAdapter__factory.createInterface(),
};

/** Whether a decoded call would make `cert` challengeable once executed (for markets and assets held). */
export function threatOf(which: keyof Targets, name: string, args: readonly unknown[], cert: Cert): string | undefined {
  const pm = unpack16(cert.pm);
  const proven = unpack16(cert.haircuts);
  if (which === "registry" && name === "setHaircuts") {
    const next = unpack16(BigInt(args[0] as bigint));
    const i = next.findIndex((h, k) => proven[k] !== 0n && h < proven[k]);
    return i >= 0 ? `asset ${i}'s haircut falls from ${proven[i]} to ${next[i]} bps` : undefined;
  }
  if (which === "risk" && name === "setMarketBounds") {
    const j = Number(args[0] as bigint);
    const b = args[1] as { baseBps: bigint; minBps: bigint };
    const floor = BigInt(b.minBps) > BigInt(b.baseBps) ? BigInt(b.minBps) : BigInt(b.baseBps);
    return floor > pm[j] ? `market ${j}'s maintenance rises to at least ${floor} bps (proven ${pm[j]})` : undefined;
  }
  if (which === "risk" && name === "setParams") return "the risk model's parameters change (z, horizon, step)";
  if (which === "oracle" && (name === "setMarketFeed" || name === "setAssetFeed")) {
    return `a price feed is replaced (${name}): prices may jump when it lands`;
  }
  return undefined;
}

/** Pending timelock calls against the registry, its risk engine and its oracle adapter. */
export async function queuedChanges(
  registry: ZkMarginRegistry,
  cert: Cert | undefined,
  fromBlock = 0,
): Promise<QueuedChange[]> {
  const provider = registry.runner?.provider as Provider;
  const timelock = TimelockController__factory.connect(await registry.owner(), provider);
  const targets: Targets = {
    registry: (await registry.getAddress()).toLowerCase(),
    risk: (await registry.risk()).toLowerCase(),
    oracle: (await registry.oracle()).toLowerCase(),
  };
  const [scheduled, executed, cancelled] = await Promise.all([
    timelock.queryFilter(timelock.filters.CallScheduled(), fromBlock),
    timelock.queryFilter(timelock.filters.CallExecuted(), fromBlock),
    timelock.queryFilter(timelock.filters.Cancelled(), fromBlock),
  ]);
  const done = new Set([...executed, ...cancelled].map((l) => (l as unknown as EventLog).args.id as string));
  const out: QueuedChange[] = [];
  for (const l of scheduled as unknown as EventLog[]) {
    const { id, target, data } = l.args as unknown as { id: string; target: string; data: string };
    if (done.has(id)) continue;
    const which = (Object.keys(targets) as (keyof Targets)[]).find((k) => targets[k] === target.toLowerCase());
    if (!which) continue;
    let call = `${which}.?`;
    let threat: string | undefined;
    try {
      const tx = IFACES[which].parseTransaction({ data });
      if (tx) {
        call = `${which}.${tx.name}`;
        threat = cert ? threatOf(which, tx.name, tx.args, cert) : undefined;
      }
    } catch {
      /* not a call of this contract's ABI */
    }
    out.push({ id, target, call, readyAt: await timelock.getTimestamp(id), threat });
  }
  return out;
}
