/**
 * ZkMarginRegistry v2 bookkeeping invariants over random operation sequences (fast-check): deposits, updates
 * (settled gains paid by the fund, losses taken from any asset, withdrawals), challenges, answers, deleverages,
 * liquidations (single and batch), auction takes, claims, repayments, time and price moves. After every step:
 *   - the registry holds exactly the collateral it records, per token, and the auction house its lots;
 *   - the registry's ETH is the open challenges' bonds plus the credits it owes;
 *   - per creditor of the fund, owed + held + paid = earned (everything it was ever promised).
 * The verifiers accept every proof here (contracts/test/TestAcceptingVerifier.sol over their addresses): the
 * circuits' soundness is the other suites' business, this one is about the money.
 */
import { expect } from "chai";
import type { ContractTransactionReceipt } from "ethers";
import fc from "fast-check";
import { artifacts, ethers } from "hardhat";
import {
  type Cert,
  type ChallengeRecord,
  E8,
  type LiquidationRecord,
  NO_PROOF,
  type Sys,
  USDC,
  WETH,
  advance,
  certOf,
  deploy,
  events,
  liquidationsIn,
  loadFixture,
  recordsIn,
  usdc,
  weth,
} from "../../helpers/registry";

const N = 4;
let owedSeen = false;
const BPS = 10_000n;

async function stubbedFixture(): Promise<Sys> {
  const f = await deploy({ fundLiquidity: usdc(3_000) }); // a small fund: gains and claims are often owed
  const code = (await artifacts.readArtifact("TestAcceptingVerifier")).deployedBytecode;
  for (const k of ["update", "certificate", "deleverage", "equity", "batch"]) {
    await ethers.provider.send("hardhat_setCode", [f.addresses[`verifier.${k}`], code]);
  }
  for (let k = 0; k < N; k++) {
    const reg = f.registry.connect(f.traders[k]);
    await (await reg.openAccount()).wait();
    await (await reg.deposit(USDC, usdc(2_000))).wait();
    await (await reg.deposit(WETH, weth(1))).wait();
  }
  await (await f.tokens[USDC].mint(f.keeper.address, usdc(10_000_000))).wait();
  await (await f.tokens[USDC].connect(f.keeper).approve(f.auction, ethers.MaxUint256)).wait();
  await advance(f, BigInt(f.params.timing.freshness) + 1n); // every account challengeable from the start
  return f;
}

type Op =
  | { kind: "deposit"; k: number; asset: number; units: number }
  | { kind: "gain"; k: number; quote: number; withdraw: number }
  | { kind: "loss"; k: number; quote: number }
  | { kind: "withdraw"; k: number; asset: number; frac: number }
  | { kind: "challenge"; k: number }
  | { kind: "challengeAll" }
  | { kind: "respond"; k: number; relayed: boolean }
  | { kind: "respondAll" }
  | { kind: "deleverage"; k: number; quote: number }
  | { kind: "liquidate"; k: number }
  | { kind: "liquidateAll" }
  | { kind: "claim"; k: number; frac: number }
  | { kind: "take"; frac: number }
  | { kind: "repay" }
  | { kind: "wait"; seconds: number }
  | { kind: "price"; asset: number; price: number };

const k = fc.integer({ min: 0, max: N - 1 });
const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const op: fc.Arbitrary<Op> = fc.oneof(
  w(
    1,
    fc.record({
      kind: fc.constant("deposit" as const),
      k,
      asset: fc.integer({ min: 0, max: 1 }),
      units: fc.integer({ min: 1, max: 5_000 }),
    }),
  ),
  w(
    2,
    fc.record({
      kind: fc.constant("gain" as const),
      k,
      quote: fc.integer({ min: 1, max: 3_000 }),
      withdraw: fc.integer({ min: 0, max: 100 }),
    }),
  ),
  w(2, fc.record({ kind: fc.constant("loss" as const), k, quote: fc.integer({ min: 1, max: 6_000 }) })),
  w(
    1,
    fc.record({
      kind: fc.constant("withdraw" as const),
      k,
      asset: fc.integer({ min: 0, max: 1 }),
      frac: fc.integer({ min: 1, max: 100 }),
    }),
  ),
  w(3, fc.record({ kind: fc.constant("challenge" as const), k })),
  w(1, fc.constant({ kind: "challengeAll" as const })),
  w(2, fc.record({ kind: fc.constant("respond" as const), k, relayed: fc.boolean() })),
  w(1, fc.constant({ kind: "respondAll" as const })),
  w(2, fc.record({ kind: fc.constant("deleverage" as const), k, quote: fc.integer({ min: 0, max: 2_000 }) })),
  w(2, fc.record({ kind: fc.constant("liquidate" as const), k })),
  w(1, fc.constant({ kind: "liquidateAll" as const })),
  w(2, fc.record({ kind: fc.constant("claim" as const), k, frac: fc.integer({ min: 0, max: 100 }) })),
  w(2, fc.record({ kind: fc.constant("take" as const), frac: fc.integer({ min: 1, max: 100 }) })),
  w(1, fc.constant({ kind: "repay" as const })),
  w(3, fc.record({ kind: fc.constant("wait" as const), seconds: fc.constantFrom(60, 700, 900, 30_000) })),
  w(
    1,
    fc.record({
      kind: fc.constant("price" as const),
      asset: fc.integer({ min: 0, max: 1 }),
      price: fc.integer({ min: 40, max: 150 }),
    }),
  ),
);

/** What the test remembers between steps: records in force, and the fund's promises per creditor. */
class Book {
  certs = new Map<string, Cert>();
  records = new Map<string, ChallengeRecord>();
  liquidations = new Map<string, LiquidationRecord>();
  earned = new Map<string, bigint>();
  paid = new Map<string, bigint>();
  done = 0;

  add(m: Map<string, bigint>, who: string, x: bigint) {
    m.set(who, (m.get(who) ?? 0n) + x);
  }

  /** Reads every registry and fund event of a receipt into the book. `creditor` is who a pay() was for. */
  read(f: Sys, rc: ContractTransactionReceipt | null, creditor?: string) {
    for (const e of events(f, rc, "Certified")) this.certs.set(String(e.args.account), e.args.cert as never);
    for (const [a, r] of recordsIn(f, rc)) this.records.set(a, r);
    for (const e of events(f, rc)) {
      if (["Responded", "Deleveraged", "Liquidated"].includes(e.name)) this.records.delete(String(e.args.account));
    }
    for (const [a, r] of liquidationsIn(f, rc)) this.liquidations.set(a, r);
    for (const e of events(f, rc, "Claimed")) this.liquidations.delete(String(e.args.account));
    for (const log of rc?.logs ?? []) {
      if (log.address !== f.fund.target) continue;
      const e = f.fund.interface.parseLog(log);
      if (!e) continue;
      if (e.name === "Paid" && e.args.payer === f.registryAddr) {
        const who = creditor ?? String(e.args.to);
        this.add(this.earned, who, e.args.requested as bigint);
        this.add(this.paid, who, e.args.paid as bigint);
      }
      if (e.name === "Repaid") this.add(this.paid, String(e.args.creditor), e.args.amount as bigint);
    }
    this.done++;
  }
}

async function certFor(f: Sys, b: Book, a: string): Promise<Cert> {
  return b.certs.get(a) ?? (await certOf(f, a));
}

/** The k-th entry (mod size) of a map, so an operation on "some challenged account" finds one. */
function pick<T>(m: Map<string, T>, k: number): [string, T | undefined] {
  const all = [...m];
  return all.length === 0 ? ["", undefined] : all[k % all.length];
}

/** Runs one operation; a revert is an operation the registry refused (state unchanged), not a failure. */
async function step(f: Sys, b: Book, o: Op): Promise<void> {
  const t = "k" in o ? f.traders[o.k] : f.traders[0];
  const reg = f.registry.connect(t);
  const mm = (await f.risk.packedRatios()) & 0xffffffffffffffffn;
  const upd = (settle: bigint, asset = 0, amount = 0n) => ({
    newCommitment: BigInt(ethers.keccak256(ethers.toUtf8Bytes(`${t.address}${b.done}`))) % 2n ** 250n,
    settle,
    withdrawAsset: asset,
    withdrawAmount: amount,
    d: 0,
    pm: mm,
  });
  const send = async (p: Promise<{ wait(): Promise<ContractTransactionReceipt | null> }>, creditor?: string) => {
    let rc: ContractTransactionReceipt | null;
    try {
      rc = await (await p).wait();
    } catch {
      return;
    }
    b.read(f, rc, creditor);
  };
  const bal = async (asset: number) => (await f.registry.collateralOf(t.address))[asset];
  switch (o.kind) {
    case "deposit":
      return send(reg.deposit(o.asset, o.asset === USDC ? usdc(o.units) : (weth(1) * BigInt(o.units)) / 1_000n));
    case "gain": {
      const w = (((await bal(USDC)) + usdc(o.quote)) * BigInt(o.withdraw)) / 100n;
      return send(reg.update(upd(BigInt(o.quote) * 10n ** 18n, USDC, w), NO_PROOF), t.address);
    }
    case "loss":
      return send(reg.update(upd(-BigInt(o.quote) * 10n ** 18n), NO_PROOF));
    case "withdraw":
      return send(reg.update(upd(0n, o.asset, ((await bal(o.asset)) * BigInt(o.frac)) / 100n), NO_PROOF));
    case "challenge":
      return send(f.registry.connect(f.keeper).challenge(t.address, await certFor(f, b, t.address), { value: f.bond }));
    case "challengeAll": {
      const all = f.traders.slice(0, N).map((x) => x.address);
      const certs = [];
      for (const a of all) certs.push(await certFor(f, b, a));
      return send(f.registry.connect(f.keeper2).challengeBatch(all, certs, { value: f.bond * BigInt(N) + 7n }));
    }
    case "respond": {
      const [a, r] = pick(b.records, o.k);
      if (!r) return;
      const owner = f.traders.find((x) => x.address === a)!;
      return send(f.registry.connect(o.relayed ? f.relayer : owner).respond(a, r, 0, r.mm, NO_PROOF));
    }
    case "respondAll": {
      const answers = [...b.records].map(([account, record]) => ({
        account,
        record,
        d: 0,
        pm: record.mm,
        proof: NO_PROOF,
      }));
      return send(f.registry.connect(f.relayer).respondBatch(answers));
    }
    case "deleverage": {
      const [a, r] = pick(b.records, o.k);
      if (!r) return;
      const target = [0, 1, 2, 3].reduce((w, j) => {
        const x = (r.mm >> BigInt(16 * j)) & 0xffffn;
        const v = (x * r.targetFactorBps + BPS - 1n) / BPS;
        return w | ((v > BPS ? BPS : v) << BigInt(16 * j));
      }, 0n);
      const args = { newCommitment: 1n + BigInt(b.done), fee: BigInt(o.quote) * 10n ** 18n, d: 0, pm: target };
      return send(f.registry.connect(f.relayer).respondDeleverage(a, r, args, NO_PROOF), r.challenger);
    }
    case "liquidate": {
      const [a, r] = pick(b.records, o.k);
      if (!r) return;
      return send(f.registry.connect(o.k % 2 === 0 ? f.keeper : f.keeper2).liquidate(a, r));
    }
    case "liquidateAll": {
      const list = [...b.records];
      return send(
        f.registry.connect(f.keeper2).liquidateBatch(
          list.map((x) => x[0]),
          list.map((x) => x[1]),
        ),
      );
    }
    case "claim": {
      const [a, r] = pick(b.liquidations, o.k);
      if (!r) return;
      const claimed = r.value > r.penalty ? ((r.value - r.penalty) * BigInt(o.frac)) / 100n : 0n;
      const owner = f.traders.find((x) => x.address === a)!;
      return send(f.registry.connect(owner).claim(r, claimed, NO_PROOF), a);
    }
    case "take": {
      const ids = await f.auction.activeAuctions(0, 10);
      if (ids.length === 0) return;
      const s = await f.auction.auction(ids[0]);
      const amount = (s.lot * BigInt(o.frac)) / 100n;
      return send(
        f.auction.connect(f.keeper).take(ids[0], amount === 0n ? 1n : amount, s.price, f.keeper.address, "0x"),
      );
    }
    case "repay":
      return send(f.fund.repay(10));
    case "wait":
      await advance(f, o.seconds);
      return;
    case "price": {
      const base = o.asset === USDC ? E8 : 3_000n * E8;
      await (await f.assetFeeds[o.asset].setAnswer((base * BigInt(o.price)) / 100n)).wait();
      return;
    }
  }
}

async function checkInvariants(f: Sys, b: Book): Promise<void> {
  const accounts = f.traders.slice(0, N).map((t) => t.address);
  for (let i = 0; i < 2; i++) {
    let recorded = 0n;
    for (const a of accounts) recorded += (await f.registry.collateralOf(a))[i];
    expect(await f.tokens[i].balanceOf(f.registry), `registry balance of token ${i}`).to.equal(recorded);
  }
  expect(await f.tokens[WETH].balanceOf(f.auction), "auction house WETH = its lots").to.equal(
    await f.auction.inventory(WETH),
  );
  let bonds = 0n;
  for (const a of accounts) {
    const acc = await f.registry.accountOf(a);
    const r = b.records.get(a);
    expect(acc.recordHash !== ethers.ZeroHash && acc.status === 1n, `open challenge of ${a}`).to.equal(r !== undefined);
    if (r) bonds += r.bond;
  }
  let credits = 0n;
  for (const who of [f.keeper, f.keeper2, f.relayer, ...f.traders.slice(0, N)])
    credits += await f.registry.ethCredit(who);
  expect(await ethers.provider.getBalance(f.registry), "registry ETH = bonds + credits").to.equal(bonds + credits);
  for (const [who, earned] of b.earned) {
    const owed = (await f.fund.owedOf(who)) + (await f.fund.heldFor(who));
    if (owed > 0n) owedSeen = true;
    expect((b.paid.get(who) ?? 0n) + owed, `owed + paid = earned for ${who}`).to.equal(earned);
  }
}

describe("ZkMarginRegistry v2: bookkeeping invariants over random operation sequences", function () {
  it("keeps tokens, ETH and the fund's promises balanced after every step", async () => {
    let steps = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 16, maxLength: 28 }), async (ops) => {
        const f = await loadFixture(stubbedFixture);
        const b = new Book();
        for (const o of ops) {
          const before = b.done;
          await step(f, b, o);
          if (b.done > before) accepted++;
          steps++;
          await checkInvariants(f, b);
        }
      }),
      { numRuns: 16, seed: 424_242 },
    );
    // the sequences did things: most steps were accepted by the registry
    expect(accepted).to.be.greaterThan(steps / 3);
    expect(owedSeen, "some sequence left the fund owing").to.equal(true);
    console.log(`      ${steps} steps, ${accepted} accepted; owed at some point: ${owedSeen}`);
  });
});
