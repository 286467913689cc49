/**
 * A multi-trader scenario for the privacy audit, over real JSON-RPC (a `hardhat node` with a deployed
 * v2 system: scripts/lib/node.ts), with real proofs (prover/lib/actions.ts) and non-round prices and
 * sizes. It records every trader's true private state after each action, so a test can check that the
 * audit's bounds hold for the real states and that no attack recovers a size, entry or liquidation price.
 *
 * Careful traders (always): Alice (two ETH lots, a BTC short closed, partial reduces, withdrawals that
 * settle cash rounded to 2 significant digits, a close, a certificate answer), Bob (a SOL short, a
 * proactive certificate, a top-up during a challenge answered by a relayer, a close that settles a loss),
 * Carol (an ARB long liquidated at execution prices after a missed challenge, a default-rounded claim).
 * With `leaks`, three traders who use the protocol in ways that still reveal something (docs/privacy.md):
 * Dave settles exactly the cash of one close, Erin is deleveraged in one market (the fee gives the reduced
 * size), Frank claims the exact maximum after his liquidation.
 */
import { MaxUint256, type Signer } from "ethers";
import type { ZkMarginRegistry } from "../../../core/contracts";
import {
  type Answer,
  prepareAnswer,
  prepareClaim,
  prepareProve,
  prepareResponse,
  prepareUpdate,
  responseShortfall,
  type UpdateRequest,
} from "../../../prover/lib/actions";
import { ChainView, type ChallengeRecord } from "../../../prover/lib/chain";
import type { ProverKeys } from "../../../prover/lib/circuits";
import { type AccountState, Side, emptyState, roundClaim } from "../../../prover/model";
import type { System } from "../deploy";
import { devWallet, rpc } from "../node";

/** One private state in force from `block` on. */
export interface TruthStep {
  readonly block: number;
  readonly state: AccountState;
  readonly label: string;
}

export interface TraderTruth {
  readonly name: string;
  readonly address: string;
  readonly steps: TruthStep[];
  /** Reductions of each deleverage (per market). */
  readonly deleverages: Array<{ block: number; reduce: readonly bigint[] }>;
  /** Lots opened: market, side, size, price (what the audit must not recover). */
  readonly lots: Array<{ market: number; side: Side; size: bigint; price: bigint; block: number }>;
}

export interface ScenarioResult {
  readonly traders: TraderTruth[];
  /** The careful traders' addresses (the audit must recover nothing of them). */
  readonly careful: string[];
  readonly leaky: { dave?: string; erin?: string; frank?: string };
}

/** The state in force at the end of `block`. */
export function stateAt(t: TraderTruth, block: number): AccountState {
  let s: AccountState = emptyState(4);
  for (const step of t.steps) if (step.block <= block) s = step.state;
  return s;
}

const E6 = 10n ** 6n;

/** Prices (8 decimals) of the scenario's phases: markets ETH, BTC, SOL, ARB; assets USDC, WETH. */
const PHASES = {
  start: { m: [301234567891n, 6123456789012n, 15123456789n, 81234567n], a: [99991234n, 301187654321n] },
  step1: { m: [308765432109n, 6098765432101n, 14987654321n, 82345678n], a: [100003456n, 302345678901n] },
  step2: { m: [314159265358n, 6172839506172n, 15246913578n, 80123456n], a: [99997531n, 303456789012n] },
  step3: { m: [310123456789n, 6150617283950n, 15312345678n, 80654321n], a: [100001357n, 301975308642n] },
  crash: { m: [295061728395n, 5802468024680n, 16666666666n, 71234567n], a: [99987654n, 286172839506n] },
  liquidation: { m: [295308641975n, 5809876543210n, 16654320987n, 71987654n], a: [99989012n, 286543209876n] },
  end: { m: [297777777777n, 5833333333333n, 16543209876n, 72345678n], a: [99995678n, 288888888888n] },
} as const;

type Phase = keyof typeof PHASES;

class Trader {
  state: AccountState = emptyState(4);
  readonly truth: TraderTruth;
  readonly registry: ZkMarginRegistry;
  readonly view: ChainView;

  constructor(
    readonly name: string,
    readonly signer: Signer,
    readonly address: string,
    readonly sys: System,
    readonly keys: ProverKeys,
  ) {
    this.registry = sys.registry.connect(signer);
    this.view = new ChainView(this.registry, address, sys.deploymentBlock);
    this.truth = { name, address, steps: [], deleverages: [], lots: [] };
  }

  private record(block: number, label: string): void {
    this.truth.steps.push({ block, state: this.state, label });
  }

  async open(deposits: Array<[number, bigint]>): Promise<void> {
    const r = await (await this.registry.openAccount()).wait();
    this.record(r!.blockNumber, "open");
    for (const [asset, amount] of deposits) await this.deposit(asset, amount);
  }

  async deposit(asset: number, amount: bigint): Promise<void> {
    const token = this.sys.tokens[asset].connect(this.signer);
    await (await token.approve(await this.registry.getAddress(), MaxUint256)).wait();
    await (await this.registry.deposit(asset, amount)).wait();
  }

  async update(req: UpdateRequest, label: string): Promise<number> {
    const view = await this.view.read();
    const p = await prepareUpdate(this.keys, view, this.state, req);
    const r = await (await this.registry.update(p.args, p.proof.proof)).wait();
    if (req.trade.kind === "increase") {
      const j = req.trade.market;
      this.truth.lots.push({
        market: j,
        side: this.state.markets[j].size === 0n ? (req.trade.side ?? Side.Long) : this.state.markets[j].side,
        size: req.trade.size,
        price: view.marketPrices[j],
        block: r!.blockNumber,
      });
    }
    this.state = p.next;
    this.record(r!.blockNumber, label);
    return r!.blockNumber;
  }

  /** The cash rounded toward zero to `digits` significant digits (what a careful trader settles). */
  roundedCash(digits = 2, extra = 0n): bigint {
    const c = this.state.cash + extra;
    return c >= 0n ? roundClaim(c, digits) : -roundClaim(-c, digits);
  }

  async prove(): Promise<void> {
    const view = await this.view.read();
    const p = await prepareProve(this.keys, view, this.state);
    await (await this.registry.prove(p.d, p.pm, p.proof.proof)).wait();
  }

  async challenge(): Promise<ChallengeRecord> {
    const view = await this.view.read();
    const rec = await this.view.openChallenge(view.recordHash);
    if (!rec) throw new Error(`${this.name} is not challenged`);
    return rec;
  }

  /** Answers the open challenge (certificate, else deleverage), submitted by `via` (default: the owner). */
  async answer(via?: Signer): Promise<Answer["kind"]> {
    const record = await this.challenge();
    const view = await this.view.read();
    const a = await prepareAnswer(this.keys, view, this.state, record);
    const reg = via ? this.sys.registry.connect(via) : this.registry;
    if (a.kind === "certificate") {
      await (await reg.respond(this.address, record, a.d, a.pm, a.proof.proof)).wait();
    } else if (a.kind === "deleverage") {
      const r = await (await reg.respondDeleverage(this.address, record, a.args, a.proof.proof)).wait();
      this.state = a.next;
      this.record(r!.blockNumber, "deleverage");
      this.truth.deleverages.push({ block: r!.blockNumber, reduce: a.reduce });
    } else {
      throw new Error(`${this.name} cannot answer: ${a.reason}`);
    }
    return a.kind;
  }

  /** Tops up the settlement asset by the shortfall at the pinned prices (plus 3%), then answers. */
  async topUpAndAnswer(via?: Signer): Promise<bigint> {
    const record = await this.challenge();
    const view = await this.view.read();
    const short = responseShortfall(view, this.state, record);
    if (short === 0n) throw new Error(`${this.name} needs no top-up: the scenario is broken`);
    const price = BigInt(record.assetPrices & ((1n << 64n) - 1n));
    const tokens = (short * 103n * E6) / (100n * price * 10n ** 10n) + 1n;
    await this.deposit(0, tokens);
    const after = await this.view.read();
    if (!(await prepareResponse(this.keys, after, this.state, record))) {
      throw new Error(`${this.name}'s top-up did not restore a certificate`);
    }
    await this.answer(via);
    return tokens;
  }

  async claim(exact: boolean): Promise<bigint> {
    const view = await this.view.read();
    const rec = await this.view.liquidation(view.recordHash);
    if (!rec) throw new Error(`${this.name} is not liquidated`);
    const first = await prepareClaim(this.keys, view, this.state, rec);
    const p = exact ? await prepareClaim(this.keys, view, this.state, rec, { amount: first.claimable }) : first;
    await (await this.registry.claim(rec, p.claimed, p.proof.proof)).wait();
    return p.claimed;
  }
}

async function setPrices(sys: System, phase: Phase): Promise<void> {
  const p = PHASES[phase];
  for (let j = 0; j < sys.marketFeeds.length; j++) await (await sys.marketFeeds[j].setAnswer(p.m[j])).wait();
  for (let i = 0; i < sys.assetFeeds.length; i++) await (await sys.assetFeeds[i].setAnswer(p.a[i])).wait();
}

async function increaseTime(url: string, seconds: number): Promise<void> {
  await rpc(url, "evm_increaseTime", [seconds]);
  await rpc(url, "evm_mine");
}

async function latestTime(url: string): Promise<number> {
  const b = (await rpc(url, "eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  return Number(BigInt(b.timestamp));
}

/**
 * Runs the scenario on a node at `url` with a system from deployToNode(url) (dev accounts 1..6 trade,
 * 8 relays, 9 keeps). Returns every trader's true history.
 */
export async function runScenario(
  url: string,
  sys: System,
  keys: ProverKeys,
  o: { leaks?: boolean; log?: (line: string) => void } = {},
): Promise<ScenarioResult> {
  const log = o.log ?? (() => undefined);
  const make = async (name: string, index: number) => {
    const w = devWallet(url, index);
    return new Trader(name, w, await w.getAddress(), sys, keys);
  };
  const relayer = devWallet(url, 8);
  const keeper = devWallet(url, 9);
  const keeperRegistry = sys.registry.connect(keeper);
  const bond = (await sys.registry.incentives()).bond;
  const alice = await make("alice", 1);
  const bob = await make("bob", 2);
  const carol = await make("carol", 3);
  const leaky = o.leaks
    ? { dave: await make("dave", 4), erin: await make("erin", 5), frank: await make("frank", 6) }
    : undefined;
  const everyone = [alice, bob, carol, ...(leaky ? [leaky.dave, leaky.erin, leaky.frank] : [])];

  log("scenario: accounts and first trades");
  await setPrices(sys, "start");
  await alice.open([[0, 24_813_570_000n]]);
  await bob.open([
    [0, 1_234_567_891n],
    [1, 401_234_567_890_123_456n],
  ]);
  await carol.open([[0, 1_987_654_321n]]);
  await alice.update(
    { trade: { kind: "increase", market: 0, size: 31_415_926_535n, side: Side.Long } },
    "open ETH lot 1",
  );
  await alice.update(
    { trade: { kind: "increase", market: 1, size: 271_828_182n, side: Side.Short } },
    "open BTC short",
  );
  await bob.update(
    { trade: { kind: "increase", market: 2, size: 1_012_345_678_901n, side: Side.Short } },
    "open SOL short",
  );
  await carol.update(
    { trade: { kind: "increase", market: 3, size: 150_001_234_567_890n, side: Side.Long } },
    "open ARB long",
  );
  if (leaky) {
    await leaky.dave.open([[0, 4_321_098_765n]]);
    await leaky.erin.open([[0, 2_468_135_791n]]);
    await leaky.frank.open([[0, 1_357_924_680n]]);
    await leaky.dave.update(
      { trade: { kind: "increase", market: 0, size: 14_142_135_623n, side: Side.Long } },
      "open ETH",
    );
    await leaky.erin.update(
      { trade: { kind: "increase", market: 1, size: 6_180_339_887n, side: Side.Long } },
      "open BTC 15x",
    );
  }

  log("scenario: a second lot, a close, partial reduces");
  await setPrices(sys, "step1");
  await alice.update({ trade: { kind: "increase", market: 0, size: 17_320_508_075n } }, "add ETH lot 2");
  await alice.update({ trade: { kind: "reduce", market: 1, size: 271_828_182n } }, "close BTC short");
  if (leaky) {
    const dave = leaky.dave;
    const size = dave.state.markets[0].size;
    // the whole cash of one close settled at once: the v1 attack's algebra applies unchanged
    const view = await dave.view.read();
    const gain = size * view.marketPrices[0] - dave.state.markets[0].cost;
    await dave.update(
      { trade: { kind: "reduce", market: 0, size }, settle: gain, withdraw: { asset: 0, amount: 1_000_123_456n } },
      "close ETH, settle all, withdraw",
    );
    await leaky.frank.update(
      { trade: { kind: "increase", market: 0, size: 62_831_853_071n, side: Side.Long } },
      "open ETH 14x",
    );
  }
  await setPrices(sys, "step2");
  await alice.update({ trade: { kind: "reduce", market: 0, size: 22_360_679_775n } }, "reduce ETH");
  await bob.update({ trade: { kind: "reduce", market: 2, size: 12_345_678_901n } }, "reduce SOL");
  await bob.prove();

  log("scenario: a withdrawal that settles rounded cash");
  await setPrices(sys, "step3");
  await alice.update(
    { trade: { kind: "none" }, settle: alice.roundedCash(), withdraw: { asset: 0, amount: 5_000_123_456n } },
    "withdraw + settle",
  );

  log("scenario: freshness runs out, prices crash, the keeper challenges");
  const t = (await sys.registry.timing()).freshness;
  await increaseTime(url, Number(t) + 60);
  await setPrices(sys, "crash");
  const challenged = [alice, bob, carol, ...(leaky ? [leaky.erin, leaky.frank] : [])];
  for (const tr of challenged) {
    const cert = await tr.view.latestCert((await tr.registry.accountOf(tr.address)).certHash);
    await (await keeperRegistry.challenge(tr.address, cert!, { value: bond })).wait();
  }
  if ((await alice.answer()) !== "certificate") throw new Error("alice should answer with a certificate");
  await bob.topUpAndAnswer(relayer);
  if (leaky && (await leaky.erin.answer()) !== "deleverage") throw new Error("erin should be deleveraged");

  log("scenario: the silent accounts are liquidated at execution prices and claim");
  const carolRecord = await carol.challenge();
  const frankRecord = leaky ? await leaky.frank.challenge() : undefined;
  const now = await latestTime(url);
  const due = Number(carolRecord.deadline) + Number(carolRecord.exclusivePeriod) + 30;
  await increaseTime(url, Math.max(due - now, 1));
  await setPrices(sys, "liquidation");
  await (await keeperRegistry.liquidate(carol.address, carolRecord)).wait();
  if (leaky && frankRecord) await (await keeperRegistry.liquidate(leaky.frank.address, frankRecord)).wait();
  await carol.claim(false);
  if (leaky) await leaky.frank.claim(true);

  log("scenario: a close with a withdrawal, a close that settles a loss");
  await setPrices(sys, "end");
  const rest = alice.state.markets[0].size;
  const view = await alice.view.read();
  const gain = rest * view.marketPrices[0] - alice.state.markets[0].cost;
  await alice.update(
    {
      trade: { kind: "reduce", market: 0, size: rest },
      settle: alice.roundedCash(2, gain),
      withdraw: { asset: 0, amount: 1_234_567_891n },
    },
    "close ETH + withdraw + settle",
  );
  const bobRest = bob.state.markets[2].size;
  const bobView = await bob.view.read();
  const bobLoss = bobRest * bobView.marketPrices[2] - bob.state.markets[2].cost;
  await bob.update(
    { trade: { kind: "reduce", market: 2, size: bobRest }, settle: bob.roundedCash(2, -bobLoss) },
    "close SOL + settle loss",
  );
  return {
    traders: everyone.map((x) => x.truth),
    careful: [alice.address, bob.address, carol.address],
    leaky: leaky ? { dave: leaky.dave.address, erin: leaky.erin.address, frank: leaky.frank.address } : {},
  };
}
