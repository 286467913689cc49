/**
 * Crash simulation (issue 11): N traders with random leverage on a fresh in-process deployment, ETH (and
 * the WETH collateral) falls 40% over ROUNDS oracle rounds ROUND_S seconds apart, a keeper challenges
 * broken certificates, liquidates unanswered accounts at execution prices and buys the seized WETH through
 * the real Uniswap V2 pool with its flash taker; arbitrageurs keep the pool at the oracle price. Half of
 * the traders are online and answer challenges (certificate, else deleverage); shorts close and settle
 * their gains at the end (the fund pays, or owes).
 *
 * Figures:
 *  crash.accounts                 N
 *  crash.bad_debt_pct_of_oi       sum over liquidations of max(0, -equity at the liquidation's prices), in %
 *                                 of the open interest (notional) at the start
 *  crash.liquidations / crash.deleverages  counts
 *  auction.recovery_ratio         auction proceeds / oracle value of the lots sold, at the time of each take
 *  crash.fund_nav_start / crash.fund_nav_min / crash.fund_nav_end   the fund's NAV (USDC)
 *  crash.owed_at_end              what the fund owes after the last repay (USDC)
 * Pool: WETH/USDC with POOL_USDC of USDC on each side's value (3,000 USDC per WETH at the start).
 */
import { MaxUint256, Wallet } from "ethers";
import { type Types, UniswapV2Taker__factory } from "../core/contracts";
import { type ChallengeRecord, toLiquidation, toRecord } from "../prover/lib/chain";
import { loadKeys } from "../prover/lib/circuits";
import { Side, equity } from "../prover/model";
import { unpackPrices } from "../core/encoding";
import { E8, deployLocal, seedLocal } from "../scripts/lib/deploy";
import { localParams, RAY } from "../scripts/lib/params";
import { type Figure, figure, progress } from "./lib/figures";
import { BenchTrader, gasOf } from "./lib/trader";

const N = Number(process.env.BENCH_CRASH_ACCOUNTS ?? 50);
const ROUNDS = 8;
const ROUND_S = 600;
const POOL_USDC = 20_000_000n;
const E6 = 10n ** 6n;
const E18 = 10n ** 18n;

/** A small seeded PRNG (mulberry32) so the simulation is the same on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = n;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2n;
  }
  return x;
}

export async function crashFigures(): Promise<Figure[]> {
  const hre = await import("hardhat");
  const { ethers, network } = hre;
  const [deployer, keeperSigner, arb] = await ethers.getSigners();
  const rand = rng(20261201);
  const params = localParams();
  // faster auctions for a crash: start 10% above the oracle, 1% per minute
  params.auction.buf = (11n * RAY) / 10n;
  params.auction.step = 60n;
  const keys = await loadKeys();
  const sys = await deployLocal(deployer, params);
  const wallets = Array.from({ length: N }, () => Wallet.createRandom().connect(ethers.provider));
  for (const w of wallets) await network.provider.send("hardhat_setBalance", [w.address, "0x56BC75E2D63100000"]);
  await seedLocal(sys, deployer, {
    traders: wallets.map((w) => w.address),
    fundLiquidity: 200_000n * E6,
    poolUsdc: POOL_USDC * E6,
  });
  const [usdc, weth] = sys.tokens;
  const uni = sys.uniswap!;
  const path = [await weth.getAddress(), await usdc.getAddress()];
  const taker = await new UniswapV2Taker__factory(keeperSigner).deploy(
    keeperSigner.address,
    await sys.auction.getAddress(),
    await uni.router.getAddress(),
  );
  const increase = async (s: number) => {
    await network.provider.send("evm_increaseTime", [s]);
    await network.provider.send("evm_mine");
  };
  const refresh = async () => {
    for (const f of [...sys.marketFeeds, ...sys.assetFeeds]) await (await f.setAnswer(await f.answer())).wait();
  };

  // traders: random collateral (USDC or WETH), random leverage 2x..12x, 80% long ETH and 20% short
  progress(`crash: opening ${N} accounts`);
  const traders: { t: BenchTrader; online: boolean; short: boolean }[] = [];
  let openInterest = 0n;
  for (let k = 0; k < N; k++) {
    const t = new BenchTrader(wallets[k], sys.registry, keys);
    await (await t.registry.openAccount()).wait();
    const inWeth = rand() < 0.4;
    const valueUsd = BigInt(Math.round(5_000 + rand() * 15_000));
    const token = inWeth ? weth.connect(wallets[k]) : usdc.connect(wallets[k]);
    await (await token.approve(await sys.registry.getAddress(), MaxUint256)).wait();
    const amount = inWeth ? (valueUsd * E18) / 3_000n : valueUsd * E6;
    await (await t.registry.deposit(inWeth ? 1 : 0, amount)).wait();
    const haircut = inWeth ? 0.8 : 1;
    const leverage = 2 + rand() * 10;
    const size = BigInt(Math.floor((Number(valueUsd) * haircut * leverage * 1e10) / 3_000));
    const short = rand() < 0.2;
    await t.update({ trade: { kind: "increase", market: 0, size, side: short ? Side.Short : Side.Long } });
    openInterest += size * 3_000n * E8;
    traders.push({ t, online: rand() < 0.5, short });
  }

  // arbitrage: move the pool to the oracle price (constant product, the 0.3% fee ignored for the target)
  const arbitrage = async (price: bigint /* USDC per WETH, 8 decimals */) => {
    const pair = await uni.factory.getPair(path[0], path[1]);
    const [r0, r1] = await (await ethers.getContractAt("IUniswapV2Pair", pair)).getReserves();
    const wethIs0 = (await (await ethers.getContractAt("IUniswapV2Pair", pair)).token0()) === path[0];
    const [x, y] = wethIs0 ? [r0, r1] : [r1, r0]; // WETH, USDC reserves
    const k = x * y;
    // USDC base units per WETH base unit = price (8 decimals) x 1e6 / (1e8 x 1e18)
    const targetY = sqrt((k * price) / 10n ** 20n); // USDC reserve at the target price
    const targetX = k / targetY;
    const router = uni.router.connect(arb);
    if (targetX > x) {
      const amountIn = ((targetX - x) * 1000n) / 997n;
      await (await weth.mint(arb.address, amountIn)).wait();
      await (await weth.connect(arb).approve(await router.getAddress(), MaxUint256)).wait();
      await (await router.swapExactTokensForTokens(amountIn, 0, path, arb.address, MaxUint256)).wait();
    }
  };

  const records = new Map<string, ChallengeRecord>();
  const navs: bigint[] = [await sys.fund.totalAssets()];
  let badDebt = 0n;
  let liquidations = 0;
  let deleverages = 0;
  let proceeds = 0n;
  let soldOracleValue = 0n;
  const bond = (await sys.registry.incentives()).bond;

  const keeperTakes = async () => {
    const ids = await sys.auction.activeAuctions(0, 100);
    for (const id of ids) {
      const a = await sys.auction.auction(id);
      if (a.lot === 0n) continue;
      if (a.needsRedo) {
        await gasOf(sys.auction.connect(keeperSigner).redo(a.id, keeperSigner.address));
        continue;
      }
      try {
        await taker.takeAndSwap.staticCall(a.id, a.lot, a.price, 2n * E6, path, MaxUint256);
      } catch {
        continue; // not profitable yet
      }
      const oracle = await sys.auction.oraclePrice(a.asset); // settlement units per collateral unit, RAY
      const before = await usdc.balanceOf(await sys.fund.getAddress());
      await gasOf(taker.takeAndSwap(a.id, a.lot, a.price, 2n * E6, path, MaxUint256));
      if (process.env.BENCH_DEBUG) {
        progress(
          `crash: took ${Number(a.lot) / 1e18} WETH at ${Number((a.price * E18) / RAY) / 1e6} vs oracle ${Number((oracle * E18) / RAY) / 1e6}`,
        );
      }
      proceeds += (await usdc.balanceOf(await sys.fund.getAddress())) - before;
      soldOracleValue += (a.lot * oracle) / RAY;
    }
  };

  let price = 3_000n * E8;
  for (let round = 1; round <= ROUNDS; round++) {
    price = (price * 9381n) / 10_000n; // 0.9381^8 = 0.60: a 40% fall
    await (await sys.marketFeeds[0].setAnswer(price)).wait();
    await (await sys.assetFeeds[1].setAnswer(price)).wait();
    await refresh();
    await arbitrage(price);
    if (process.env.BENCH_DEBUG) {
      const q = await uni.router.getAmountsOut(E18, path);
      progress(`crash: pool ${Number(q[1]) / 1e6} USDC per WETH vs oracle ${Number(price) / 1e8}`);
    }
    // the keeper challenges every broken certificate (the lens answers for all accounts in one call)
    const active = traders.filter((x) => records.get(x.t.address) === undefined);
    const certs: Types.CertStruct[] = [];
    const accounts: string[] = [];
    for (const x of active) {
      const acc = await sys.registry.accountOf(x.t.address);
      if (acc.status !== 1n || acc.recordHash !== ethers.ZeroHash) continue;
      certs.push((await x.t.view.latestCert(acc.certHash))!);
      accounts.push(x.t.address);
    }
    const [flags] = await sys.lens.challengeable(accounts, certs);
    const broken = accounts.filter((_, k) => flags[k]);
    if (broken.length > 0) {
      const rc = await (
        await sys.registry.connect(keeperSigner).challengeBatch(
          broken,
          certs.filter((_, k) => flags[k]),
          { value: bond * BigInt(broken.length) },
        )
      ).wait();
      for (const l of rc!.logs) {
        try {
          const e = sys.registry.interface.parseLog(l);
          if (e?.name === "Challenged") records.set(String(e.args.account), toRecord(e.args.record as never));
        } catch {
          /* not a registry log */
        }
      }
    }
    // online traders answer
    for (const x of traders) {
      const r = records.get(x.t.address);
      if (!r || !x.online) continue;
      const kind = await x.t.answer(r);
      if (kind !== "none") records.delete(x.t.address);
      if (kind === "deleverage") deleverages++;
    }
    // the window passes (auctions run meanwhile); then the keeper liquidates what is due
    // the window (stretched at most 3x) and the exclusive period pass; the keeper watches the auctions
    for (let s = 0; s < ROUND_S + 600 * 3 + 120; s += 60) {
      await increase(60);
      await refresh();
      await keeperTakes();
    }
    const due = [...records.entries()];
    if (due.length > 0) {
      const rc = await (
        await sys.registry.connect(keeperSigner).liquidateBatch(
          due.map(([a]) => a),
          due.map(([, r]) => r),
        )
      ).wait();
      for (const l of rc!.logs) {
        try {
          const e = sys.registry.interface.parseLog(l);
          if (e?.name !== "Liquidated") continue;
          const account = String(e.args.account);
          const rec = toLiquidation(e.args.record as never);
          const x = traders.find((y) => y.t.address === account)!;
          const eq = equity(x.t.state, rec.value, unpackPrices(rec.marketPrices));
          if (eq < 0n) badDebt += -eq;
          records.delete(account);
          liquidations++;
        } catch {
          /* not a registry log */
        }
      }
    }
    await keeperTakes();
    await gasOf(sys.fund.repay(20));
    navs.push(await sys.fund.totalAssets());
    progress(
      `crash: round ${round}: ETH ${Number(price) / 1e8}, ${liquidations} liquidated, NAV ${navs[navs.length - 1] / E6} USDC`,
    );
  }
  // the auctions finish; winners close and settle their gains (the fund pays what it can, owes the rest)
  for (let s = 0; s < 3_600; s += 60) {
    await increase(60);
    await refresh();
    await keeperTakes();
  }
  for (const x of traders) {
    const acc = await sys.registry.accountOf(x.t.address);
    if (acc.status !== 1n || acc.recordHash !== ethers.ZeroHash || !x.short) continue;
    const q = x.t.state.markets[0].size;
    if (q > 0n) await x.t.update({ trade: { kind: "reduce", market: 0, size: q } });
    if (x.t.state.cash > 0n) await x.t.update({ trade: { kind: "none" }, settle: x.t.state.cash });
  }
  await gasOf(sys.fund.repay(50));
  navs.push(await sys.fund.totalAssets());
  const usd = (x: bigint) => Number(x / E6);
  return [
    figure("crash.accounts", N, "accounts"),
    figure("crash.liquidations", liquidations, "accounts"),
    figure("crash.deleverages", deleverages, "accounts"),
    figure("crash.bad_debt_pct_of_oi", Number((badDebt * 1_000_000n) / openInterest) / 10_000, "%"),
    figure(
      "auction.recovery_ratio",
      soldOracleValue === 0n ? 0 : Number((proceeds * 10_000n) / soldOracleValue) / 10_000,
      "ratio",
    ),
    figure("crash.fund_nav_start", usd(navs[0]), "USDC"),
    figure("crash.fund_nav_min", usd(navs.reduce((a, b) => (b < a ? b : a))), "USDC"),
    figure("crash.fund_nav_end", usd(navs[navs.length - 1]), "USDC"),
    figure("crash.owed_at_end", usd(await sys.fund.totalOwed()), "USDC"),
  ];
}
