/**
 * Scenarios the registry tests start from (loadFixture snapshots; the proofs they make are cached, see
 * test/helpers/registry.ts). Prices at deployment: ETH 3,000, BTC 60,000, SOL 150, ARB 0.80; USDC 1 (haircut
 * 100%), WETH 3,000 (haircut 80%). Ratios (risk engine, calm): mm = 300/250/500/600 bps, im = 2 x mm.
 */
import { Side } from "../../../prover/model";
import {
  type ChallengeRecord,
  E8,
  type ProofArgs,
  type Sys,
  Trader,
  type TraderSnap,
  UNIT,
  USDC,
  WETH,
  advance,
  challenge,
  deploy,
  openMany,
  recordsIn,
  certOf,
  setMarketPrice,
  usdc,
  weth,
} from "../../helpers/registry";

export const ETH = 0;
export const BTC = 1;
export const ETH_PRICE = 3000n * E8;
export const BTC_PRICE = 60000n * E8;

/** Seconds past the freshness period (6 h in localParams). */
export async function pastFreshness(f: Sys): Promise<void> {
  await advance(f, BigInt(f.params.timing.freshness) + 1n);
}

export interface Opened {
  f: Sys;
  /** traders[0]: 10,000 USDC + 2 WETH, long 2 ETH at 3,000. traders[1]: 20,000 USDC, short 0.5 BTC at 60,000. */
  alice: TraderSnap;
  bob: TraderSnap;
}

/** Two accounts with positions (two real Update proofs). */
export async function openedFixture(): Promise<Opened> {
  const f = await deploy();
  const alice = await new Trader(f, f.traders[0]).open([
    [USDC, usdc(10_000)],
    [WETH, weth(2)],
  ]);
  await alice.update({ kind: "increase", market: ETH, size: 2n * UNIT, side: Side.Long });
  const bob = await new Trader(f, f.traders[1]).open([[USDC, usdc(20_000)]]);
  await bob.update({ kind: "increase", market: BTC, size: UNIT / 2n, side: Side.Short });
  return { f, alice: alice.snap(), bob: bob.snap() };
}

export interface Challenged extends Opened {
  /** alice's challenge (by keeper, after freshness expired, pinned at the deployment prices). */
  record: ChallengeRecord;
}

export async function challengedFixture(): Promise<Challenged> {
  const o = await openedFixture();
  await pastFreshness(o.f);
  const record = await challenge(o.f, o.f.keeper, o.f.traders[0].address);
  return { ...o, record };
}

export interface Stressed {
  f: Sys;
  /** traders[10]: 1,000 USDC, long 2 ETH at 3,000; ETH then fell to 2,550 (below maintenance) and keeper challenged. */
  carol: TraderSnap;
  record: ChallengeRecord;
}

/** An account below maintenance at the pinned prices: only a Deleverage (or a top-up) saves it. */
export async function stressedFixture(): Promise<Stressed> {
  const f = await deploy();
  const carol = await new Trader(f, f.traders[10]).open([[USDC, usdc(1_000)]]);
  await carol.update({ kind: "increase", market: ETH, size: 2n * UNIT, side: Side.Long });
  await setMarketPrice(f, ETH, 2550n * E8);
  const record = await challenge(f, f.keeper, carol.address);
  return { f, carol: carol.snap(), record };
}

export const BATCH = 8;
export const BATCH_FROM = 2;

export interface Batch {
  f: Sys;
  /** traders[2..10): empty state, 1,000 USDC each, all challenged in one challengeBatch by keeper. */
  members: TraderSnap[];
  records: ChallengeRecord[];
  /** Each member's Certificate answer (RESPOND context, pinned prices). */
  answers: { d: bigint; pm: bigint; proof: ProofArgs }[];
  challengeGas: bigint;
}

export async function batchFixture(): Promise<Batch> {
  const f = await deploy();
  const members = await openMany(f, BATCH_FROM, BATCH, [[USDC, usdc(1_000)]]);
  await pastFreshness(f);
  const accounts = members.map((m) => m.address);
  const certs = [];
  for (const a of accounts) certs.push(await certOf(f, a));
  const rc = await (
    await f.registry.connect(f.keeper).challengeBatch(accounts, certs, { value: f.bond * BigInt(BATCH) })
  ).wait();
  const byAccount = recordsIn(f, rc);
  const records = accounts.map((a) => byAccount.get(a)!);
  const answers = [];
  for (let k = 0; k < BATCH; k++) answers.push(await members[k].planRespond(records[k]));
  return {
    f,
    members: members.map((m) => m.snap()),
    records,
    answers: answers.map((a) => ({ d: a.d, pm: a.pm, proof: a.proof })),
    challengeGas: rc!.gasUsed,
  };
}

export { challenge };
