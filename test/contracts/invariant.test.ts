/**
 * Stateful property test of the registry's custody: random sequences of deposits, insurance-fund
 * deposits, trades and withdrawals proven with the real circuits, price moves, challenges answered with
 * real Solvency proofs, challenges left to expire and liquidated, and claims with real Equity proofs.
 *
 * After every operation:
 *  - for each asset i: token.balanceOf(registry) == sum over every signer of collateralOf(signer, i)
 *    + fundBalance(i) (the CollateralVault invariant), and collateralOf never reverts;
 *  - collateral and fund balances equal an independent ledger model kept here (deposits, PnL settled at
 *    the settlement asset's price with the contract's rounding, withdrawals, seizures and bounty shares
 *    at the pinned prices, claims);
 *  - the registry's ETH == sum of the open challenges' bonds + sum of ethCredit;
 *  - each account's status and open challenge match the model.
 *
 * Every run starts from the same deploySystem() snapshot. Proofs take ~0.3-0.6 s, so runs are few and
 * short; fast-check prints the seed and the shrunk counterexample on failure.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { marketPrices } from "../../prover/lib/actions";
import { ModelError, Side, type Trade, applyTrade } from "../../prover/model";
import type { ContractTransactionReceipt } from "ethers";
import {
  DEFAULTS,
  E8,
  type System,
  Trader,
  UNIT,
  USDC,
  WETH,
  advance,
  deploySystem,
  proofArgs,
  setPrice,
  time,
  usdc,
  weth,
} from "../helpers/system";

const N = 4; // traders taking part (of the fixture's six funded ones)
const ASSETS = [USDC, WETH];
const BPS = 10_000n;
const DUMMY_PROOF = {
  a: [0n, 0n] as [bigint, bigint],
  b: [
    [0n, 0n],
    [0n, 0n],
  ] as [[bigint, bigint], [bigint, bigint]],
  c: [0n, 0n] as [bigint, bigint],
};
const NO_UPDATE = { newCommitment: 0n, pnl: 0n, withdrawAsset: 0n, withdrawAmount: 0n };

// ---------------------------------------------------------------- operations

type Op =
  | { op: "deposit"; t: number; asset: number; permille: number }
  | { op: "fundDeposit"; asset: number; amount: number }
  | { op: "trade"; t: number; market: number; kind: "increase" | "reduce"; k: number; side: Side | null }
  | { op: "withdraw"; t: number; asset: number; permille: number }
  | { op: "price"; feed: number; permille: number; against: number | null }
  | { op: "challengeRespond"; t: number; forceStale: boolean; batch: boolean }
  | { op: "challengeLiquidate"; t: number; forceStale: boolean; byChallenger: boolean; batch: boolean }
  | { op: "respondOpen"; t: number }
  | { op: "claim"; t: number }
  | { op: "advance"; seconds: number };

const trader = fc.nat(N - 1);
const asset = fc.nat(ASSETS.length - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("deposit" as const),
      t: trader,
      asset,
      permille: fc.integer({ min: 0, max: 300 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("fundDeposit" as const),
      asset,
      amount: fc.integer({ min: 1, max: 10_000 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("trade" as const),
      t: trader,
      market: fc.nat(3),
      kind: fc.constantFrom("increase" as const, "increase" as const, "reduce" as const),
      // increase: notional of k x 100 quote units; reduce: k / 200 of the position (k >= 200: all of it)
      k: fc.integer({ min: 1, max: 250 }),
      side: fc.option(fc.constantFrom(Side.Long, Side.Short), { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("withdraw" as const),
      t: trader,
      asset,
      permille: fc.integer({ min: 0, max: 1000 }),
    }),
  },
  // feeds 0..3 are the markets, 4 is the WETH collateral feed
  // `against`: move instead the first market trader `against` holds, sharply against its position
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("price" as const),
      feed: fc.nat(4),
      permille: fc.oneof(fc.integer({ min: 900, max: 1100 }), fc.integer({ min: 400, max: 1600 })),
      against: fc.option(trader, { nil: null }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("challengeRespond" as const),
      t: trader,
      forceStale: fc.boolean(),
      batch: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("challengeLiquidate" as const),
      t: trader,
      forceStale: fc.constant(true),
      byChallenger: fc.boolean(),
      batch: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("respondOpen" as const), t: trader }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("claim" as const), t: trader }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      seconds: fc.oneof(fc.integer({ min: 1, max: 7_200 }), fc.constant(86_401)),
    }),
  },
);
const initialArb = fc.array(
  fc.record({
    usdc: fc.integer({ min: 0, max: 20_000 }),
    wethMilli: fc.integer({ min: 0, max: 3_000 }),
    // an opening position (proven like any trade) so that price moves matter from the first operation
    position: fc.option(
      fc.record({
        market: fc.nat(3),
        k: fc.integer({ min: 10, max: 250 }),
        side: fc.constantFrom(Side.Long, Side.Short),
      }),
      { nil: null },
    ),
  }),
  { minLength: N, maxLength: N },
);

type Initial = { usdc: number; wethMilli: number; position: { market: number; k: number; side: Side } | null };

// ---------------------------------------------------------------- model

type Status = "active" | "liquidated" | "closed";
interface OpenChallenge {
  bond: bigint;
  challenger: string;
}
interface Ledger {
  coll: bigint[][]; // [trader][asset]
  fund: bigint[];
  status: Status[];
  open: (OpenChallenge | undefined)[];
}

/** What happened to each kind of operation over all runs (printed at the end). */
const stats = new Map<string, number>();
function note(what: string): void {
  stats.set(what, (stats.get(what) ?? 0) + 1);
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

class Run {
  readonly ledger: Ledger;
  readonly traders: Trader[];
  readonly holders: string[];
  decimals: bigint[] = [];
  haircuts: bigint[] = [];

  constructor(
    readonly sys: System,
    readonly registryAddr: string,
    signers: HardhatEthersSigner[],
  ) {
    this.traders = sys.traders.slice(0, N).map((s) => new Trader(s, sys));
    this.holders = signers.map((s) => s.address);
    this.ledger = {
      coll: this.traders.map(() => ASSETS.map(() => 0n)),
      fund: ASSETS.map(() => 0n),
      status: this.traders.map(() => "active"),
      open: this.traders.map(() => undefined),
    };
  }

  get registry() {
    return this.sys.registry;
  }

  async init(initial: Initial[]): Promise<void> {
    const { registry, tokens, owner } = this.sys;
    // a fresh snapshot may carry feed timestamps older than the adapter's max age: refresh them
    await advance(this.sys, 1);
    const assets = await registry.assets();
    this.decimals = assets.map((a) => BigInt(a.decimals));
    this.haircuts = assets.map((a) => BigInt(a.haircutBps));
    for (let i = 0; i < ASSETS.length; i++) this.ledger.fund[i] = await registry.fundBalance(i);
    await tokens[1].connect(owner).approve(this.registryAddr, ethers.MaxUint256);
    for (let t = 0; t < N; t++) {
      const deposits: { asset: bigint; amount: bigint }[] = [];
      if (initial[t].usdc > 0) deposits.push({ asset: USDC, amount: usdc(initial[t].usdc) });
      if (initial[t].wethMilli > 0)
        deposits.push({ asset: WETH, amount: (weth(1) * BigInt(initial[t].wethMilli)) / 1000n });
      await this.traders[t].open(deposits);
      for (const d of deposits) this.ledger.coll[t][Number(d.asset)] += d.amount;
    }
    for (let t = 0; t < N; t++) {
      const p = initial[t].position;
      if (p) await this.trade({ op: "trade", t, market: p.market, kind: "increase", k: p.k, side: p.side });
    }
  }

  // ------------------------------------------------------------ checks

  async check(after: string): Promise<void> {
    const { registry, tokens } = this.sys;
    const reg = this.registryAddr;
    for (let i = 0; i < ASSETS.length; i++) {
      // collateralOf must answer (never revert) for every signer; uint256 cannot be negative
      const balances = await Promise.all(this.holders.map((h) => registry.collateralOf(h, i)));
      const fund = await registry.fundBalance(i);
      const held = await tokens[i].balanceOf(reg);
      const sum = balances.reduce((a, b) => a + b, 0n);
      expect(held, `after ${after}: asset ${i} token balance vs sum of collateral + fund`).to.equal(sum + fund);
      expect(fund, `after ${after}: fund ${i} vs model`).to.equal(this.ledger.fund[i]);
      for (let h = 0; h < this.holders.length; h++) {
        const t = this.traders.findIndex((x) => x.address === this.holders[h]);
        const expected = t >= 0 ? this.ledger.coll[t][i] : 0n;
        expect(balances[h] >= 0n).to.equal(true);
        expect(balances[h], `after ${after}: collateral of ${this.holders[h]} asset ${i} vs model`).to.equal(expected);
      }
    }
    let owed = 0n;
    for (const h of this.holders) {
      const ch = await registry.challengeOf(h);
      if (ch.deadline !== 0n) owed += ch.bond;
      owed += await registry.ethCredit(h);
    }
    expect(await ethers.provider.getBalance(reg), `after ${after}: registry ETH vs open bonds + credits`).to.equal(
      owed,
    );
    for (let t = 0; t < N; t++) {
      const acc = await registry.accountOf(this.traders[t].address);
      const status = { active: 1n, liquidated: 2n, closed: 3n }[this.ledger.status[t]];
      expect(acc.status, `after ${after}: status of trader ${t}`).to.equal(status);
      const ch = await registry.challengeOf(this.traders[t].address);
      const open = this.ledger.open[t];
      expect(ch.deadline !== 0n, `after ${after}: open challenge of trader ${t}`).to.equal(open !== undefined);
      if (open) {
        expect(ch.bond).to.equal(open.bond);
        expect(ch.challenger).to.equal(open.challenger);
      }
    }
  }

  // ------------------------------------------------------------ helpers

  /** V at the given asset prices from the model's balances, as CollateralVault._value rounds it. */
  valueOf(t: number, assetPrices: bigint[]): bigint {
    let v = 0n;
    for (let i = 0; i < ASSETS.length; i++) {
      const b = this.ledger.coll[t][i];
      if (b === 0n) continue;
      v += (b * assetPrices[i] * this.haircuts[i] * 10n ** 10n) / (BPS * 10n ** this.decimals[i]);
    }
    return v;
  }

  async assetPrices(): Promise<bigint[]> {
    return (await this.sys.oracle.assetPrices()).map(BigInt);
  }

  tokensFor(value: bigint, price: bigint, up: boolean): bigint {
    const num = value * 10n ** this.decimals[0];
    const den = price * 10n ** 10n;
    return up ? ceilDiv(num, den) : num / den;
  }

  /** Pins the next block's timestamp so a time-dependent outcome is decided here, not by wall time. */
  async nextBlockAt(): Promise<number> {
    const ts = (await time.latest()) + 1;
    await time.setNextBlockTimestamp(ts);
    return ts;
  }

  async expectRevert(p: Promise<unknown>, error: string): Promise<void> {
    await expect(p).to.be.revertedWithCustomError(this.registry, error);
  }

  /** Dummy-proof update: must fail on the status / open-challenge check before any proof matters. */
  async expectUpdateRefused(t: number): Promise<boolean> {
    const reg = this.registry.connect(this.traders[t].signer);
    if (this.ledger.status[t] !== "active") {
      await this.expectRevert(reg.update(NO_UPDATE, DUMMY_PROOF), "Registry__NotActive");
      note("update refused: not active");
      return true;
    }
    if (this.ledger.open[t]) {
      await this.expectRevert(reg.update(NO_UPDATE, DUMMY_PROOF), "Registry__Challenged");
      note("update refused: challenged");
      return true;
    }
    return false;
  }

  /** Settles an update's realised PnL and withdrawal in the model (contract rounding). */
  settle(t: number, pnl: bigint, settlementPrice: bigint, withdraw?: { asset: bigint; amount: bigint }): void {
    const l = this.ledger;
    if (pnl > 0n) {
      const tokens = this.tokensFor(pnl, settlementPrice, false);
      l.fund[0] -= tokens;
      l.coll[t][0] += tokens;
    } else if (pnl < 0n) {
      const tokens = this.tokensFor(-pnl, settlementPrice, true);
      l.coll[t][0] -= tokens;
      l.fund[0] += tokens;
    }
    if (withdraw && withdraw.amount > 0n) l.coll[t][Number(withdraw.asset)] -= withdraw.amount;
  }

  /** The t-th (cyclically) trader satisfying `pred`, or t itself when none does. */
  pick(t: number, pred: (k: number) => boolean): number {
    const candidates = this.traders.map((_, k) => k).filter(pred);
    return candidates.length > 0 ? candidates[t % candidates.length] : t;
  }

  // ------------------------------------------------------------ operations

  async apply(o: Op): Promise<void> {
    switch (o.op) {
      case "deposit":
        return this.deposit(o.t, o.asset, o.permille);
      case "fundDeposit":
        return this.fundDeposit(o.asset, o.amount);
      case "trade":
        return this.trade(o);
      case "withdraw":
        return this.withdraw(o.t, o.asset, o.permille);
      case "price":
        return this.price(o.feed, o.permille, o.against);
      case "challengeRespond": {
        if (!this.ledger.open[o.t] && !(await this.challenge(o.t, o.forceStale, o.batch))) return;
        return this.respond(o.t);
      }
      case "challengeLiquidate":
        return this.challengeLiquidate(o);
      case "respondOpen": {
        const t = this.pick(o.t, (k) => this.ledger.open[k] !== undefined);
        if (!this.ledger.open[t]) {
          await this.expectRevert(
            this.registry.connect(this.sys.keeper2).respond(this.traders[t].address, DUMMY_PROOF),
            "Registry__NoOpenChallenge",
          );
          note("respond refused: no open challenge");
          return;
        }
        return this.respond(t);
      }
      case "claim":
        return this.claim(this.pick(o.t, (k) => this.ledger.status[k] === "liquidated"));
      case "advance":
        await advance(this.sys, o.seconds);
        note("advance");
        return;
    }
  }

  async deposit(t: number, assetIdx: number, permille: number): Promise<void> {
    const tr = this.traders[t];
    const token = this.sys.tokens[assetIdx];
    const reg = this.registry.connect(tr.signer);
    if (this.ledger.status[t] !== "active") {
      await this.expectRevert(reg.deposit(assetIdx, 1n), "Registry__NotActive");
      note("deposit refused: not active");
      return;
    }
    const amount = ((await token.balanceOf(tr.address)) * BigInt(permille)) / 1000n;
    if (amount === 0n) {
      await this.expectRevert(reg.deposit(assetIdx, 0n), "Vault__ZeroAmount");
      note("deposit refused: zero");
      return;
    }
    await (await reg.deposit(assetIdx, amount)).wait();
    this.ledger.coll[t][assetIdx] += amount;
    note("deposit");
  }

  async fundDeposit(assetIdx: number, whole: number): Promise<void> {
    const { owner, tokens } = this.sys;
    const amount = BigInt(whole) * 10n ** this.decimals[assetIdx];
    await (await tokens[assetIdx].mint(owner.address, amount)).wait();
    await (await this.registry.connect(owner).fundDeposit(assetIdx, amount)).wait();
    this.ledger.fund[assetIdx] += amount;
    note("fundDeposit");
  }

  async trade(o: Extract<Op, { op: "trade" }>): Promise<void> {
    if (await this.expectUpdateRefused(o.t)) return;
    const tr = this.traders[o.t];
    const prices = await marketPrices(this.registry);
    let trade: Trade;
    if (o.kind === "increase") {
      // notional of k x 100 quote units at the current price
      const size = (BigInt(o.k) * 100n * UNIT * E8) / prices[o.market];
      if (size === 0n) return;
      trade =
        o.side === null
          ? { kind: "increase", market: o.market, size }
          : { kind: "increase", market: o.market, size, side: o.side };
    } else {
      // reduce one of the markets the trader holds (market o.market if it holds none)
      const open = [0, 1, 2, 3].filter((j) => tr.state.markets[j].size > 0n);
      const market = open.length > 0 ? open[o.market % open.length] : o.market;
      const held = tr.state.markets[market].size;
      const size = o.k >= 200 ? held : (held * BigInt(o.k)) / 200n;
      trade = { kind: "reduce", market, size: size === 0n ? 1n : size };
    }
    await this.sendUpdate(o.t, trade, undefined, `${o.kind}`);
  }

  async withdraw(t: number, assetIdx: number, permille: number): Promise<void> {
    if (await this.expectUpdateRefused(t)) return;
    const amount = (this.ledger.coll[t][assetIdx] * BigInt(permille)) / 1000n;
    if (amount === 0n) {
      note("withdraw skipped: zero");
      return;
    }
    const tr = this.traders[t];
    const token = this.sys.tokens[assetIdx];
    const before = await token.balanceOf(tr.address);
    if (await this.sendUpdate(t, { kind: "none" }, { asset: BigInt(assetIdx), amount }, "withdraw")) {
      expect(await token.balanceOf(tr.address)).to.equal(before + amount);
    }
  }

  /** Proves and sends an update; skips what the model refuses. Returns whether it was applied. */
  async sendUpdate(
    t: number,
    trade: Trade,
    withdraw: { asset: bigint; amount: bigint } | undefined,
    label: string,
  ): Promise<boolean> {
    const tr = this.traders[t];
    const settlementPrice = (await this.assetPrices())[0];
    let pnl: bigint;
    try {
      pnl = applyTrade(tr.state, trade, await marketPrices(this.registry), 0n).pnl;
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      note(`${label} skipped: ${e.code}`);
      return false;
    }
    // A realised loss is settled in the settlement asset only: without enough of it the update cannot
    // go through (previewUpdate underflows, update reverts), whatever the other collateral is worth.
    if (pnl < 0n && this.tokensFor(-pnl, settlementPrice, true) > this.ledger.coll[t][0]) {
      await expect(this.registry.previewUpdate(tr.address, pnl, withdraw?.asset ?? 0n, withdraw?.amount ?? 0n)).to.be
        .reverted;
      note(`${label} skipped: loss exceeds settlement-asset collateral`);
      return false;
    }
    if (pnl > 0n && this.tokensFor(pnl, settlementPrice, false) > this.ledger.fund[0]) {
      note(`${label} skipped: fund cannot pay the gain`);
      return false;
    }
    let prepared;
    try {
      ({ prepared } = await tr.update(trade, withdraw));
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      note(`${label} skipped: ${e.code}`);
      return false;
    }
    expect(prepared.args.pnl).to.equal(pnl);
    this.settle(t, pnl, settlementPrice, withdraw);
    note(label);
    return true;
  }

  async price(feed: number, permille: number, against: number | null): Promise<void> {
    const { marketFeeds, assetFeeds } = this.sys;
    if (against !== null) {
      const held = this.traders[against].state.markets.findIndex((m) => m.size > 0n);
      if (held >= 0) {
        const move = 200 + (Math.abs(permille - 1000) % 600); // longs: -20% .. -80%; shorts: +40% .. +160%
        const long = this.traders[against].state.markets[held].side === Side.Long;
        feed = held;
        permille = long ? 1000 - move : 1000 + 2 * move;
        note("price: against a position");
      }
    }
    const f = feed < 4 ? marketFeeds[feed] : assetFeeds[1];
    const current = await f.answer();
    let next = (current * BigInt(permille)) / 1000n;
    if (next < 1n) next = 1n;
    if (feed < 4) {
      await setPrice(this.sys, feed, next);
    } else {
      await (await f.setAnswer(next)).wait();
      await setPrice(this.sys, 0, await marketFeeds[0].answer()); // refreshes every other feed
    }
    note(feed < 4 ? "price: market" : "price: collateral");
  }

  /**
   * Keeper challenges trader t (alone, or in a batch over every trader with an overpaid bond). A
   * non-stale account may first be made stale by waiting out the freshness period. Returns whether t
   * now has an open challenge.
   */
  async challenge(t: number, forceStale: boolean, batch: boolean): Promise<boolean> {
    const { keeper, bond } = this.sys;
    const addr = this.traders[t].address;
    const eligible = this.ledger.status[t] === "active" && !this.ledger.open[t];
    let challengeable = await this.registry.isChallengeable(addr);
    if (!eligible) expect(challengeable).to.equal(false);
    if (!challengeable && eligible && forceStale) {
      await advance(this.sys, DEFAULTS.timing.freshness + 1n);
      challengeable = await this.registry.isChallengeable(addr);
      expect(challengeable, "stale after the freshness period").to.equal(true);
    }
    const reg = this.registry.connect(keeper);
    if (!batch) {
      if (!challengeable) {
        await this.expectRevert(reg.challenge(addr, { value: bond }), "Registry__NotStale");
        note("challenge refused: not stale");
        return false;
      }
      await this.expectRevert(reg.challenge(addr, { value: bond - 1n }), "Registry__WrongBond");
      await (await reg.challenge(addr, { value: bond })).wait();
      this.ledger.open[t] = { bond, challenger: keeper.address };
      note("challenge");
      return true;
    }
    const all = this.traders.map((x) => x.address);
    const expected = new Set<number>();
    for (let k = 0; k < N; k++) if (await this.registry.isChallengeable(all[k])) expected.add(k);
    await this.nextBlockAt();
    const receipt = (await (await reg.challengeBatch([...all, addr], { value: bond * BigInt(N + 1) })).wait())!;
    const challenged = this.events(receipt, "Challenged").map((ev) => this.indexOf(ev.args[0] as string));
    for (const k of challenged) {
      expect(this.ledger.status[k]).to.equal("active");
      expect(this.ledger.open[k]).to.equal(undefined);
      this.ledger.open[k] = { bond, challenger: keeper.address };
    }
    expect(new Set(challenged).size, "a duplicate in the batch is challenged once").to.equal(challenged.length);
    expect(challenged.length).to.equal(expected.size);
    note(`challengeBatch (${challenged.length})`);
    return this.ledger.open[t] !== undefined;
  }

  indexOf(address: string): number {
    const k = this.traders.findIndex((x) => x.address.toLowerCase() === address.toLowerCase());
    expect(k, `event for unknown account ${address}`).to.be.greaterThanOrEqual(0);
    return k;
  }

  events(receipt: ContractTransactionReceipt, name: string) {
    return receipt.logs
      .map((l) => {
        try {
          return this.registry.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .filter((e): e is NonNullable<typeof e> => e !== null && e.name === name);
  }

  async respond(t: number): Promise<void> {
    const tr = this.traders[t];
    const relayer = this.registry.connect(this.sys.keeper2);
    const deadline = await this.registry.deadlineOf(tr.address);
    let proof;
    try {
      proof = await tr.respondProof();
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      note("respond impossible: below maintenance at pinned prices");
      return; // the challenge stays open
    }
    const at = await this.nextBlockAt();
    if (BigInt(at) > deadline) {
      await this.expectRevert(relayer.respond(tr.address, proofArgs(proof.proof)), "Registry__DeadlinePassed");
      note("respond refused: deadline passed");
      return;
    }
    const bond = this.ledger.open[t]!.bond;
    const before = await ethers.provider.getBalance(tr.address);
    await (await relayer.respond(tr.address, proofArgs(proof.proof))).wait();
    expect(await ethers.provider.getBalance(tr.address), "the bond goes to the account").to.equal(before + bond);
    this.ledger.open[t] = undefined;
    note("respond");
  }

  async challengeLiquidate(o: Extract<Op, { op: "challengeLiquidate" }>): Promise<void> {
    const { keeper, keeper2, bond } = this.sys;
    const addr = this.traders[o.t].address;
    if (!this.ledger.open[o.t] && !(await this.challenge(o.t, o.forceStale, false))) {
      if (this.ledger.status[o.t] !== "active") {
        await this.expectRevert(this.registry.connect(keeper2).liquidate(addr), "Registry__NoOpenChallenge");
        note("liquidate refused: no open challenge");
      }
      return;
    }
    const challenger = this.ledger.open[o.t]!.challenger;
    expect(challenger).to.equal(keeper.address);
    const liquidator = o.byChallenger ? keeper : keeper2;
    const reg = this.registry.connect(liquidator);
    const deadline = await this.registry.deadlineOf(addr);
    const { exclusivePeriod } = DEFAULTS.timing;
    // before the deadline nobody may liquidate (a few seconds of margin: estimateGas runs at wall time)
    if (BigInt(await time.latest()) + 5n < deadline) {
      await this.expectRevert(reg.liquidate(addr), "Registry__DeadlineNotPassed");
    }
    const target = deadline + (o.byChallenger ? 1n : exclusivePeriod + 1n);
    if (!o.byChallenger) {
      // inside the exclusive period only the challenger may liquidate
      if (BigInt(await time.latest()) < deadline) await time.increaseTo(deadline);
      if (BigInt(await time.latest()) + 5n < deadline + exclusivePeriod) {
        await this.expectRevert(reg.liquidate(addr), "Registry__ExclusivePeriod");
      }
    }
    const now = BigInt(await time.latest());
    if (now < target) await advance(this.sys, target - now);
    // pinned asset prices of every open challenge, before the liquidation deletes them
    const pinned = new Map<number, bigint[]>();
    for (let k = 0; k < N; k++) {
      if (!this.ledger.open[k]) continue;
      const ch = await this.registry.challengeOf(this.traders[k].address);
      pinned.set(
        k,
        ASSETS.map((_, i) => (ch.assetPrices >> (64n * BigInt(i))) & ((1n << 64n) - 1n)),
      );
    }
    const deadlines = new Map<number, bigint>();
    for (const k of pinned.keys()) deadlines.set(k, await this.registry.deadlineOf(this.traders[k].address));
    const tokenBefore = await Promise.all(this.sys.tokens.map((tk) => tk.balanceOf(liquidator.address)));
    const challengerEthBefore = await ethers.provider.getBalance(keeper.address);
    const at = BigInt(await this.nextBlockAt());
    const tx = o.batch ? reg.liquidateBatch(this.traders.map((x) => x.address)) : reg.liquidate(addr);
    const receipt = (await (await tx).wait())!;
    const liquidated = this.events(receipt, "Liquidated");
    // which accounts the batch should have taken: expired, and past the exclusive period unless the
    // liquidator is the challenger
    const expected = [...pinned.keys()].filter((k) => {
      if (!o.batch && k !== o.t) return false;
      const d = deadlines.get(k)!;
      return at > d && (at > d + exclusivePeriod || this.ledger.open[k]!.challenger === liquidator.address);
    });
    expect(liquidated.map((ev) => this.indexOf(ev.args[0] as string)).sort()).to.deep.equal(expected.sort());
    const { bountyBps, bountyCap } = DEFAULTS.incentives;
    const bounty = ASSETS.map(() => 0n);
    for (const ev of liquidated) {
      const k = this.indexOf(ev.args[0] as string);
      const value = this.valueOf(k, pinned.get(k)!);
      expect(ev.args[3], "seized value at the pinned prices").to.equal(value);
      let bountyValue = (value * BigInt(bountyBps)) / BPS;
      if (bountyValue > bountyCap) bountyValue = bountyCap;
      expect(ev.args[4]).to.equal(bountyValue);
      for (let i = 0; i < ASSETS.length; i++) {
        const b = this.ledger.coll[k][i];
        const share = value === 0n ? 0n : (b * bountyValue) / value;
        this.ledger.fund[i] += b - share;
        bounty[i] += share;
        this.ledger.coll[k][i] = 0n;
      }
      const rec = await this.registry.liquidationOf(this.traders[k].address);
      expect(rec.value).to.equal(value);
      expect(rec.claimUntil).to.equal(at + DEFAULTS.timing.claimWindow);
      this.ledger.status[k] = "liquidated";
      this.ledger.open[k] = undefined;
      note(o.batch ? "liquidateBatch: account" : "liquidate");
    }
    for (let i = 0; i < ASSETS.length; i++) {
      expect(await this.sys.tokens[i].balanceOf(liquidator.address), `bounty in asset ${i}`).to.equal(
        tokenBefore[i] + bounty[i],
      );
    }
    if (liquidator !== keeper) {
      // the challenger (not the sender here) gets each liquidated account's bond back
      expect(await ethers.provider.getBalance(keeper.address), "bonds back to the challenger").to.equal(
        challengerEthBefore + bond * BigInt(liquidated.length),
      );
    }
  }

  async claim(t: number): Promise<void> {
    const tr = this.traders[t];
    const reg = this.registry.connect(tr.signer);
    if (this.ledger.status[t] !== "liquidated") {
      await this.expectRevert(reg.claim(0n, DUMMY_PROOF), "Registry__NotLiquidated");
      note("claim refused: not liquidated");
      return;
    }
    const liq = await this.registry.liquidationOf(tr.address);
    let claimProof;
    try {
      claimProof = await tr.claimProof();
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      note(`claim skipped: ${e.code}`);
      return;
    }
    const { equity, proof } = claimProof;
    expect(equity >= 0n).to.equal(true);
    const at = BigInt(await this.nextBlockAt());
    if (at > liq.claimUntil) {
      await this.expectRevert(reg.claim(equity, proofArgs(proof.proof)), "Registry__ClaimWindowOver");
      note("claim refused: window over");
      return;
    }
    expect(liq.penaltyBps).to.equal(BigInt(DEFAULTS.incentives.penaltyBps));
    const penalty = (liq.value * liq.penaltyBps) / BPS;
    const payout = equity > penalty ? equity - penalty : 0n;
    const tokens = this.tokensFor(payout, liq.assetPrices & ((1n << 64n) - 1n), false);
    if (tokens > this.ledger.fund[0]) {
      await expect(reg.claim(equity, proofArgs(proof.proof))).to.be.revertedWithCustomError(
        this.registry,
        "Vault__FundInsufficient",
      );
      note("claim refused: fund insufficient");
      return;
    }
    const before = await this.sys.tokens[0].balanceOf(tr.address);
    await (await reg.claim(equity, proofArgs(proof.proof))).wait();
    expect(await this.sys.tokens[0].balanceOf(tr.address)).to.equal(before + tokens);
    this.ledger.fund[0] -= tokens;
    this.ledger.status[t] = "closed";
    note("claim");
  }
}

describe("Registry custody invariants under random operations (real proofs)", function () {
  this.timeout(900_000);

  after(() => {
    const lines = [...stats.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `        ${k}: ${v}`);
    console.log(`      operation outcomes over all runs:\n${lines.join("\n")}`);
  });

  it("token balances == collateral + fund, ETH == open bonds + credits, ledger matches the model", async () => {
    const signers = await ethers.getSigners();
    await fc.assert(
      fc.asyncProperty(initialArb, fc.array(opArb, { minLength: 6, maxLength: 10 }), async (initial, ops) => {
        const sys = await deploySystem();
        const run = new Run(sys, await sys.registry.getAddress(), signers);
        await run.init(initial);
        await run.check("setup");
        for (const [n, o] of ops.entries()) {
          await run.apply(o);
          await run.check(`op ${n} ${JSON.stringify(o)}`);
        }
        note("run");
      }),
      { numRuns: Number(process.env.INVARIANT_RUNS ?? 20) },
    );
  });
});
