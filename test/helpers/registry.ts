/**
 * The v2 registry's test fixture: a whole local system (scripts/lib/deploy.ts deployLocal + seedLocal, owned
 * by a real OpenZeppelin timelock), funded and approved traders, and a Trader that keeps its private state
 * (prover/model) and proves every statement with the real circuit keys (test/helpers/circuit.ts).
 *
 * Proofs are expensive, so they are made once and reused: salts are deterministic (an account's address and
 * a counter), so a test that replays the same steps from the same loadFixture snapshot builds the same
 * circuit inputs, and `proveOnce` returns the proof it made the first time.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { AbiCoder, type BytesLike, type ContractTransactionReceipt, type Log, ZeroHash, id, keccak256 } from "ethers";
import { ethers } from "hardhat";
import type { TimelockController, ZkMarginRegistry } from "../../core/contracts";
import {
  type AccountState,
  BPS,
  Domain,
  FIELD_MODULUS,
  type Trade,
  applyDeleverage,
  applyTrade,
  certificateInputs,
  commitment,
  deleverageInputs,
  emptyState,
  equityInputs,
  maxBoxBps,
  planDeleverage,
  updateInputs,
} from "../../prover/model";
import {
  type Cert,
  type ChallengeRecord,
  type LiquidationRecord,
  toCert,
  toLiquidation,
  toRecord,
} from "../../prover/lib/chain";
import { type System, deployLocal, seedLocal } from "../../scripts/lib/deploy";
import { type Params, localParams } from "../../scripts/lib/params";
import { CircuitTester, type Groth16Proof, solidityCalldata } from "./circuit";

export { time };

export const USDC = 0;
export const WETH = 1;
/** One unit of size (10 decimals): size x price (8 decimals) is in value units. */
export const UNIT = 10n ** 10n;
/** One quote unit (1 USD) in value units (18 decimals). */
export const QUOTE = 10n ** 18n;
export const E8 = 10n ** 8n;
/** Widest box the registry accepts (Shared.MAX_BOX_BPS). */
export const MAX_BOX_BPS = 5_000n;
export const usdc = (x: number | bigint): bigint => BigInt(x) * 10n ** 6n;
export const weth = (x: number | bigint): bigint => BigInt(x) * 10n ** 18n;
export const quote = (x: number | bigint): bigint => BigInt(x) * QUOTE;

// ------------------------------------------------------------------------------------------------ proofs

/** A Groth16 proof as the registry's entry points take it. */
export interface ProofArgs {
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
}

export type Circuit = "update" | "certificate" | "deleverage" | "equity";

const testers = new Map<Circuit, Promise<CircuitTester>>();
/** The circuit's keys and witness calculator, loaded once per process. */
export function tester(name: Circuit): Promise<CircuitTester> {
  let t = testers.get(name);
  if (!t) {
    t = CircuitTester.load(name);
    testers.set(name, t);
  }
  return t;
}

export async function toProofArgs(p: Groth16Proof): Promise<ProofArgs> {
  const call = await solidityCalldata(p);
  const n = (x: string) => BigInt(x);
  return {
    a: [n(call.a[0]), n(call.a[1])],
    b: [
      [n(call.b[0][0]), n(call.b[0][1])],
      [n(call.b[1][0]), n(call.b[1][1])],
    ],
    c: [n(call.c[0]), n(call.c[1])],
  };
}

const proofs = new Map<string, Promise<ProofArgs>>();
let proofsMade = 0;
/** How many proofs this process made (the rest came from the cache). */
export const proofCount = (): number => proofsMade;

const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

/** Proves `inputs` once per process: the same inputs return the same proof. */
export function proveOnce(name: Circuit, inputs: Record<string, bigint | bigint[]>): Promise<ProofArgs> {
  const key = `${name}:${json(inputs)}`;
  let p = proofs.get(key);
  if (!p) {
    p = (async () => {
      const t = await tester(name);
      proofsMade++;
      return toProofArgs(await t.prove(inputs));
    })();
    proofs.set(key, p);
    p.catch(() => proofs.delete(key));
  }
  return p;
}

const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** The negated proof (-A, -B, C): it verifies exactly when the original does (Groth16 malleability). */
export function negated(p: ProofArgs): ProofArgs {
  const neg = (y: bigint) => (y === 0n ? 0n : Q - y);
  return {
    a: [p.a[0], neg(p.a[1])],
    b: [p.b[0], [neg(p.b[1][0]), neg(p.b[1][1])]],
    c: p.c,
  };
}

/** A well-formed proof of nothing (for calls that must fail before, or at, verification). */
export const NO_PROOF: ProofArgs = {
  a: [0n, 0n],
  b: [
    [0n, 0n],
    [0n, 0n],
  ],
  c: [0n, 0n],
};

/** A proof that verifies nothing (A moved to another point of the curve). */
export function garbled(p: ProofArgs): ProofArgs {
  return { a: p.c, b: p.b, c: p.a };
}

// ------------------------------------------------------------------------------------------------ system

export interface Sys extends System {
  owner: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  keeper2: HardhatEthersSigner;
  relayer: HardhatEthersSigner;
  traders: HardhatEthersSigner[];
  registryAddr: string;
  chainId: bigint;
  bond: bigint;
}

export interface DeployOptions {
  params?: Params;
  /** Settlement tokens an LP deposits into the insurance fund (default 100,000 USDC). */
  fundLiquidity?: bigint;
}

/** Deploys and seeds a system: every trader holds 1,000,000 USDC and WETH and has approved the registry. */
export async function deploy(o: DeployOptions = {}): Promise<Sys> {
  const [owner, guardian, keeper, keeper2, relayer, ...traders] = await ethers.getSigners();
  const params = o.params ?? localParams();
  params.governance.guardian = guardian.address;
  const sys = await deployLocal(owner, params, { amm: false });
  await seedLocal(sys, owner, {
    traders: traders.map((t) => t.address),
    fundLiquidity: o.fundLiquidity ?? usdc(100_000),
  });
  const registryAddr = await sys.registry.getAddress();
  for (const t of traders) {
    for (const token of sys.tokens) await (await token.connect(t).approve(registryAddr, ethers.MaxUint256)).wait();
  }
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return {
    ...sys,
    owner,
    guardian,
    keeper,
    keeper2,
    relayer,
    traders,
    registryAddr,
    chainId,
    bond: sys.params.incentives.bond,
  };
}

/** The default system (fund with 100,000 USDC). */
export function baseFixture(): Promise<Sys> {
  return deploy();
}

/** A system whose insurance fund holds nothing. */
export function emptyFundFixture(): Promise<Sys> {
  return deploy({ fundLiquidity: 0n });
}

// ------------------------------------------------------------------------------------------------ chain

/** Advances time and writes a fresh round on every feed (live feeds keep updating). */
export async function advance(f: Sys, seconds: number | bigint): Promise<void> {
  if (BigInt(seconds) > 0n) await time.increase(seconds);
  await refreshFeeds(f);
}

export async function refreshFeeds(f: Sys): Promise<void> {
  for (const feed of [...f.marketFeeds, ...f.assetFeeds]) await (await feed.setAnswer(await feed.answer())).wait();
}

export async function setMarketPrice(f: Sys, market: number, price: bigint): Promise<void> {
  await (await f.marketFeeds[market].setAnswer(price)).wait();
}

export async function setAssetPrice(f: Sys, asset: number, price: bigint): Promise<void> {
  await (await f.assetFeeds[asset].setAnswer(price)).wait();
}

/** The timelock's two halves, for changes that must be queued before and land during a test's window. */
export class Governance {
  private static salt = 0;
  constructor(private readonly timelock: TimelockController) {}

  /** Schedules `target.call(data)`; returns the executor. */
  async schedule(target: { getAddress(): Promise<string> }, data: BytesLike): Promise<() => Promise<unknown>> {
    const to = await target.getAddress();
    const s = id(`registry-test-${Governance.salt++}`);
    const delay = await this.timelock.getMinDelay();
    await (await this.timelock.schedule(to, 0n, data, ZeroHash, s, delay)).wait();
    return async () => (await this.timelock.execute(to, 0n, data, ZeroHash, s)).wait();
  }

  /** Schedule, wait the minimum delay, execute (test/helpers/timelock.ts `governed`, feeds refreshed). */
  async run(f: Sys, target: { getAddress(): Promise<string> }, data: BytesLike): Promise<void> {
    const exec = await this.schedule(target, data);
    await time.increase(await this.timelock.getMinDelay());
    await exec();
    await refreshFeeds(f);
  }
}

// ------------------------------------------------------------------------------------------------ records

// the record types and their decoding are the prover's (prover/lib/chain.ts); the hashes below are
// re-derived here from the ABI tuple on purpose, as an independent check of the contracts' encoding
export type { Cert, ChallengeRecord, LiquidationRecord };
type Fields = { [k: string]: unknown };
const CERT_KEYS: (keyof Cert)[] = ["provenAt", "d", "pm", "haircuts", "marketPrices", "assetPrices"];

/** The registry's events of a receipt, decoded. */
export function events(f: Sys, receipt: ContractTransactionReceipt | null, name?: string) {
  const out: { name: string; args: Fields; log: Log }[] = [];
  for (const log of receipt?.logs ?? []) {
    if (log.address.toLowerCase() !== f.registryAddr.toLowerCase()) continue;
    const parsed = f.registry.interface.parseLog(log);
    if (parsed && (!name || parsed.name === name)) out.push({ name: parsed.name, args: parsed.args as never, log });
  }
  return out;
}

/** The latest certificate of `account` (its latest Certified event). */
export async function certOf(f: Sys, account: string): Promise<Cert> {
  const logs = await f.registry.queryFilter(f.registry.filters.Certified(account));
  const last = logs[logs.length - 1];
  if (!last) throw new Error(`no certificate for ${account}`);
  return toCert(last.args.cert as never);
}

export function recordsIn(f: Sys, receipt: ContractTransactionReceipt | null): Map<string, ChallengeRecord> {
  const out = new Map<string, ChallengeRecord>();
  for (const e of events(f, receipt, "Challenged")) {
    out.set(String(e.args.account), toRecord(e.args.record as never));
  }
  return out;
}

export function liquidationsIn(f: Sys, receipt: ContractTransactionReceipt | null): Map<string, LiquidationRecord> {
  const out = new Map<string, LiquidationRecord>();
  for (const e of events(f, receipt, "Liquidated")) {
    out.set(String(e.args.account), toLiquidation(e.args.record as never));
  }
  return out;
}

export const certHash = (c: Cert): string =>
  keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["tuple(uint40,uint16,uint64,uint64,uint256,uint256)"],
      [CERT_KEYS.map((k) => c[k])],
    ),
  );

/** Challenges `account` with its latest certificate; returns the pinned record. */
export async function challenge(f: Sys, by: HardhatEthersSigner, account: string): Promise<ChallengeRecord> {
  const cert = await certOf(f, account);
  const rc = await (await f.registry.connect(by).challenge(account, cert, { value: f.bond })).wait();
  const r = recordsIn(f, rc).get(account);
  if (!r) throw new Error(`no Challenged event for ${account}`);
  return r;
}

/** Advances past a challenge's deadline and exclusive period (feeds refreshed). */
export async function pastExclusive(f: Sys, r: ChallengeRecord, extra = 1n): Promise<void> {
  const now = BigInt(await time.latest());
  const target = r.deadline + r.exclusivePeriod + extra;
  if (target > now) await time.increaseTo(target);
  await refreshFeeds(f);
}

export async function liquidate(f: Sys, by: HardhatEthersSigner, account: string, r: ChallengeRecord) {
  const rc = await (await f.registry.connect(by).liquidate(account, r)).wait();
  const rec = liquidationsIn(f, rc).get(account);
  if (!rec) throw new Error(`no Liquidated event for ${account}`);
  return { receipt: rc!, record: rec };
}

// ------------------------------------------------------------------------------------------------ market

export interface MarketNow {
  prices: bigint[];
  assetPrices: bigint[];
  mm: bigint[];
  im: bigint[];
  haircuts: bigint[];
  decimals: number[];
}

export const unpack64 = (w: bigint, n = 4): bigint[] =>
  Array.from({ length: n }, (_, j) => (w >> (64n * BigInt(j))) & ((1n << 64n) - 1n));
export const unpack16 = (w: bigint, n = 4): bigint[] =>
  Array.from({ length: n }, (_, j) => (w >> (16n * BigInt(j))) & 0xffffn);
export const pack16 = (xs: readonly bigint[]): bigint => xs.reduce((w, x, j) => w | (x << (16n * BigInt(j))), 0n);

/** Prices, ratios and haircuts as the registry reads them now (RegistryLens.market). */
export async function marketNow(f: Sys): Promise<MarketNow> {
  const m = await f.lens.market();
  const n = m.decimals.length;
  return {
    prices: unpack64(m.marketPrices),
    assetPrices: unpack64(m.assetPrices, n),
    mm: unpack16(m.mm),
    im: unpack16(m.im),
    haircuts: unpack16(m.haircuts, n),
    decimals: m.decimals.map(Number),
  };
}

/** The registry's collateral value (Shared.value): sum of balance x price x haircut, rounded down per asset. */
export function valueOf(
  bal: readonly bigint[],
  assetPrices: readonly bigint[],
  haircuts: readonly bigint[],
  decimals: readonly number[],
): bigint {
  let v = 0n;
  decimals.forEach((dec, i) => {
    if (bal[i] > 0n) v += (bal[i] * assetPrices[i] * haircuts[i] * 10n ** 10n) / (BPS * 10n ** BigInt(dec));
  });
  return v;
}

/** Balances after a loss of `v` value units taken at oracle prices, settlement asset first (Shared.takeValue). */
export function afterLoss(
  bal: readonly bigint[],
  v: bigint,
  assetPrices: readonly bigint[],
  decimals: readonly number[],
): bigint[] {
  const out = [...bal];
  for (let i = 0; i < decimals.length && v > 0n; i++) {
    const scale = 10n ** BigInt(decimals[i]);
    const unit = assetPrices[i] * 10n ** 10n;
    const need = (v * scale + unit - 1n) / unit;
    const take = out[i] < need ? out[i] : need;
    out[i] -= take;
    const got = (take * unit) / scale;
    v -= got < v ? got : v;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ traders

export interface UpdateOptions {
  settle?: bigint;
  withdraw?: { asset: number; amount: bigint };
  /** Box of the certificate the update proves (default: the widest that holds, at most MAX_BOX_BPS). */
  d?: bigint;
  /** Proven maintenance ratios (default: the current ones). */
  pm?: bigint[];
}

export interface PlannedUpdate {
  args: {
    newCommitment: bigint;
    settle: bigint;
    withdrawAsset: bigint;
    withdrawAmount: bigint;
    d: bigint;
    pm: bigint;
  };
  proof: ProofArgs;
  next: AccountState;
  realised: bigint;
  value: bigint;
  signals: bigint[];
}

export interface TraderSnap {
  readonly state: AccountState;
  readonly seq: number;
}

/** The widest box (<= MAX_BOX_BPS) a state passes with pm, or 0 when none does (a proof will then fail). */
export function widestBox(
  state: AccountState,
  value: bigint,
  prices: readonly bigint[],
  pm: readonly bigint[],
): bigint {
  const d = maxBoxBps(state, value, prices, pm);
  if (d === undefined) return 0n;
  return d > MAX_BOX_BPS ? MAX_BOX_BPS : d;
}

/** A trader: its signer, its private state (the opening of its commitment) and a salt counter. */
export class Trader {
  state: AccountState;
  seq: number;

  constructor(
    readonly f: Sys,
    readonly signer: HardhatEthersSigner,
    snap: TraderSnap = { state: emptyState(4), seq: 0 },
  ) {
    this.state = snap.state;
    this.seq = snap.seq;
  }

  get address(): string {
    return this.signer.address;
  }

  get reg(): ZkMarginRegistry {
    return this.f.registry.connect(this.signer);
  }

  snap(): TraderSnap {
    return { state: this.state, seq: this.seq };
  }

  /** A fresh non-zero salt, deterministic per account and step (so fixtures replay to the same proofs). */
  nextSalt(): bigint {
    const h = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [this.address, this.seq++])));
    return (h % (FIELD_MODULUS - 1n)) + 1n;
  }

  context(domain: Domain, nonce: bigint): Promise<bigint> {
    return this.f.registry.contextOf(domain, this.address, nonce);
  }

  async nonce(): Promise<bigint> {
    return (await this.f.registry.accountOf(this.address)).nonce;
  }

  async balances(): Promise<bigint[]> {
    return [...(await this.f.registry.collateralOf(this.address))];
  }

  async open(deposits: [number, bigint][] = []): Promise<this> {
    await (await this.reg.openAccount()).wait();
    for (const [asset, amount] of deposits) await this.deposit(asset, amount);
    return this;
  }

  async deposit(asset: number, amount: bigint): Promise<void> {
    await (await this.reg.deposit(asset, amount)).wait();
  }

  /** Builds an update's arguments and circuit inputs from the current state (no proof, nothing sent). */
  async buildUpdate(trade: Trade, o: UpdateOptions = {}) {
    const m = await marketNow(this.f);
    const settle = o.settle ?? 0n;
    const saltSeq = this.seq;
    const salt = this.nextSalt();
    this.seq = saltSeq;
    const { next, realised } = applyTrade(this.state, trade, m.prices, settle, salt);
    const pm = o.pm ?? m.mm;
    const base = {
      newCommitment: commitment(next),
      settle,
      withdrawAsset: BigInt(o.withdraw?.asset ?? 0),
      withdrawAmount: o.withdraw?.amount ?? 0n,
      d: 0n,
      pm: pack16(pm),
    };
    const [, value] = await this.f.lens.updateSignals(this.address, base);
    const d = o.d ?? widestBox(next, value, m.prices, pm);
    const args = { ...base, d };
    const [sig] = await this.f.lens.updateSignals(this.address, args);
    const st = updateInputs(this.state, {
      trade,
      settle,
      withdrawing: args.withdrawAmount > 0n,
      value,
      prices: m.prices,
      mm: m.mm,
      im: m.im,
      d,
      pm,
      minValue: (await this.f.registry.deleverageParams()).minValue,
      context: await this.context(Domain.Update, await this.nonce()),
      newSalt: salt,
    });
    expect(st.publicSignals, "the lens and the model build the same Update signals").to.deep.equal([...sig]);
    return { args, inputs: st.inputs, signals: st.publicSignals, next, realised, value };
  }

  /** Builds and proves an update from the current state; nothing is sent. */
  async planUpdate(trade: Trade, o: UpdateOptions = {}): Promise<PlannedUpdate> {
    const b = await this.buildUpdate(trade, o);
    const proof = await proveOnce("update", b.inputs);
    this.seq++;
    return { args: b.args, proof, next: b.next, realised: b.realised, value: b.value, signals: b.signals };
  }

  /** Proves and sends an update; the private state moves once it is mined. */
  async update(trade: Trade, o: UpdateOptions = {}) {
    const plan = await this.planUpdate(trade, o);
    const receipt = await (await this.reg.update(plan.args, plan.proof)).wait();
    this.state = plan.next;
    return { plan, receipt: receipt! };
  }

  /** A Certificate for prove() at current prices (PROVE context, or `domain` to build a wrong one). */
  async planProve(o: { d?: bigint; pm?: bigint[]; domain?: Domain; nonce?: bigint } = {}) {
    const m = await marketNow(this.f);
    const pm = o.pm ?? m.mm;
    const value = valueOf(await this.balances(), m.assetPrices, m.haircuts, m.decimals);
    const d = o.d ?? widestBox(this.state, value, m.prices, pm);
    const ctx = await this.context(o.domain ?? Domain.Prove, o.nonce ?? (await this.nonce()));
    const st = certificateInputs(this.state, { value, d, prices: m.prices, pm, context: ctx });
    if (o.domain === undefined && o.nonce === undefined) {
      const sig = await this.f.lens.proveSignals(this.address, d, pack16(pm));
      expect(st.publicSignals, "the lens and the model build the same prove signals").to.deep.equal([...sig]);
    }
    return { d, pm: pack16(pm), proof: await proveOnce("certificate", st.inputs), signals: st.publicSignals };
  }

  async prove(o: { d?: bigint; pm?: bigint[] } = {}) {
    const p = await this.planProve(o);
    return (await (await this.reg.prove(p.d, p.pm, p.proof)).wait())!;
  }

  /** The circuit inputs of a Certificate answering `r` at its pinned prices and haircuts (no proof). */
  async buildRespond(r: ChallengeRecord, o: { d?: bigint; pm?: bigint[]; domain?: Domain } = {}) {
    const decimals = (await this.f.registry.assets())[1].map(Number); // no oracle read: the record is enough
    const n = decimals.length;
    const prices = unpack64(r.marketPrices);
    const pm = o.pm ?? unpack16(r.mm);
    const value = valueOf(await this.balances(), unpack64(r.assetPrices, n), unpack16(r.haircuts, n), decimals);
    const d = o.d ?? widestBox(this.state, value, prices, pm);
    const ctx = await this.context(o.domain ?? Domain.Respond, r.nonce);
    const st = certificateInputs(this.state, { value, d, prices, pm, context: ctx });
    if (o.domain === undefined) {
      const sig = await this.f.lens.respondSignals(this.address, r, d, pack16(pm));
      expect(st.publicSignals, "the lens and the model build the same respond signals").to.deep.equal([...sig]);
    }
    return { d, pm: pack16(pm), inputs: st.inputs, signals: st.publicSignals };
  }

  /** A Certificate answering `r` (RESPOND context unless `domain`), proven. */
  async planRespond(r: ChallengeRecord, o: { d?: bigint; pm?: bigint[]; domain?: Domain } = {}) {
    const b = await this.buildRespond(r, o);
    return { d: b.d, pm: b.pm, proof: await proveOnce("certificate", b.inputs), signals: b.signals };
  }

  /**
   * A Deleverage answering `r` at current prices: `reduce` per market, or the model's smallest plan that
   * meets the pinned target (pm = ceil(mm x targetFactor), box d).
   */
  async planDeleverage(r: ChallengeRecord, o: { reduce?: bigint[]; d?: bigint; pm?: bigint[] } = {}) {
    const m = await marketNow(this.f);
    const bal = await this.balances();
    const target = unpack16(r.mm).map((x) => {
      const t = (x * r.targetFactorBps + BPS - 1n) / BPS;
      return t > BPS ? BPS : t;
    });
    const pm = o.pm ?? target;
    const d = o.d ?? 0n;
    const after = (fee: bigint) =>
      valueOf(afterLoss(bal, fee, m.assetPrices, m.decimals), m.assetPrices, m.haircuts, m.decimals);
    let reduce = o.reduce;
    if (!reduce) {
      const value = valueOf(bal, m.assetPrices, m.haircuts, m.decimals);
      const plan = planDeleverage(this.state, value, {
        prices: m.prices,
        pm,
        d,
        feeBps: r.deleverageFeeBps,
        valueAfterFee: after,
      });
      if (!plan) throw new Error("no deleverage reaches the target");
      reduce = [...plan.reduce];
    }
    const saltSeq = this.seq;
    const salt = this.nextSalt();
    const fee = applyDeleverage(this.state, reduce, m.prices, r.deleverageFeeBps, salt).fee;
    const st = deleverageInputs(this.state, {
      reduce,
      prices: m.prices,
      feeBps: r.deleverageFeeBps,
      d,
      pm,
      value: after(fee),
      context: await this.context(Domain.Deleverage, r.nonce),
      newSalt: salt,
    });
    const args = { newCommitment: st.newCommitment, fee: st.result.fee, d, pm: pack16(pm) };
    const [sig] = await this.f.lens.deleverageSignals(this.address, r, args);
    expect(st.publicSignals, "the lens and the model build the same deleverage signals").to.deep.equal([...sig]);
    this.seq = saltSeq + 1;
    return { args, proof: await proveOnce("deleverage", st.inputs), next: st.result.next, result: st.result };
  }

  /** An Equity proof claiming `claimed` at the liquidation record's prices (CLAIM context). */
  async planClaim(rec: LiquidationRecord, claimed: bigint) {
    const st = equityInputs(this.state, {
      value: rec.value,
      claimed,
      penalty: rec.penalty,
      prices: unpack64(rec.marketPrices),
      context: await this.context(Domain.Claim, rec.nonce),
    });
    const sig = await this.f.lens.claimSignals(this.address, rec, claimed);
    expect(st.publicSignals, "the lens and the model build the same claim signals").to.deep.equal([...sig]);
    return { proof: await proveOnce("equity", st.inputs), signals: st.publicSignals };
  }
}

/** Opens `n` accounts of traders[from..from+n) with the given deposits (no proof needed). */
export async function openMany(f: Sys, from: number, n: number, deposits: [number, bigint][]): Promise<Trader[]> {
  const out: Trader[] = [];
  for (let k = 0; k < n; k++) out.push(await new Trader(f, f.traders[from + k]).open(deposits));
  return out;
}

/** A fixture's traders rebuilt from their snapshots (a test may move them freely). */
export function revive(f: Sys, snaps: readonly TraderSnap[], from = 0): Trader[] {
  return snaps.map((s, k) => new Trader(f, f.traders[from + k], s));
}

export { loadFixture };
