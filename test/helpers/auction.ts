/**
 * Fixture of the forced-sale side: settlement and collateral test tokens, Chainlink-interface feeds and
 * the project's OracleAdapter, a real TimelockController owning the InsuranceFund and the AuctionHouse,
 * and a registry stand-in (TestRegistryStub: haircuts, and a forwarder to act as the registry).
 * Plus a bigint reference of the auction price curve (the Solidity math, step for step).
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import {
  AuctionHouse__factory,
  InsuranceFund__factory,
  OracleAdapter__factory,
  TestAggregator__factory,
  TestRegistryStub__factory,
  TestToken__factory,
  type AuctionHouse,
  type InsuranceFund,
  type OracleAdapter,
  type TestAggregator,
  type TestRegistryStub,
  type TestToken,
  type TimelockController,
} from "../../core/contracts/typechain";
import type { IAuctionHouse } from "../../core/contracts/typechain/contracts/auction/AuctionHouse";
import { DAY, deployTimelock, governed } from "./timelock";

export const RAY = 10n ** 27n;
export const WAD = 10n ** 18n;
export const E8 = 10n ** 8n;
export const HOUR = 3600n;
export const usdc = (x: bigint | number) => BigInt(x) * 10n ** 6n;
export const weth = (x: bigint | number) => BigInt(x) * WAD;

/** Asset indices (the registry's order): 0 settlement (USDC, 6 decimals), 1 WETH (18 decimals). */
export const USDC = 0n;
export const WETH = 1n;
export const WETH_PRICE = 3000n * E8;
export const WETH_HAIRCUT_BPS = 8000n;
export const COOLDOWN = DAY;
export const REDEEM_WINDOW = 2n * DAY;
export const TIMELOCK_DELAY = 2n * DAY;

export type Params = IAuctionHouse.ParamsStruct;
/** Maker ETH-A-like: start 20% over the oracle, 1% off every 90 s, reset after 2 h or below 40% of top. */
export const PARAMS = {
  buf: (RAY * 12n) / 10n,
  step: 90n,
  cut: (RAY * 99n) / 100n,
  tail: 2n * HOUR,
  cusp: (RAY * 4n) / 10n,
  chost: usdc(100),
  chip: WAD / 1000n,
  tip: usdc(50),
};

export interface Forced {
  admin: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  lps: HardhatEthersSigner[];
  others: HardhatEthersSigner[];
  usdcToken: TestToken;
  wethToken: TestToken;
  feeds: TestAggregator[];
  oracle: OracleAdapter;
  timelock: TimelockController;
  stub: TestRegistryStub;
  fund: InsuranceFund;
  house: AuctionHouse;
}

/** Deploys and wires everything; the guardian is set through the timelock. */
export async function deployForced(): Promise<Forced> {
  const [admin, guardian, keeper, ...rest] = await ethers.getSigners();
  const lps = rest.slice(0, 4);
  const others = rest.slice(4);
  const usdcToken = await new TestToken__factory(admin).deploy("USD Coin", "USDC", 6);
  const wethToken = await new TestToken__factory(admin).deploy("Wrapped Ether", "WETH", 18);
  const feeds: TestAggregator[] = [];
  for (const p of [3000n * E8, 60000n * E8, 150n * E8, 80n * 10n ** 6n, E8, WETH_PRICE]) {
    feeds.push(await new TestAggregator__factory(admin).deploy(8, p));
  }
  const timelock = await deployTimelock(admin, TIMELOCK_DELAY);
  const maxAge = 7 * 86_400;
  const oracle = await new OracleAdapter__factory(admin).deploy(
    await timelock.getAddress(),
    [feeds[0], feeds[1], feeds[2], feeds[3]].map((f) => f.target as string) as [string, string, string, string],
    [maxAge, maxAge, maxAge, maxAge],
    [feeds[4].target as string, feeds[5].target as string],
    [maxAge, maxAge],
  );
  const stub = await new TestRegistryStub__factory(admin).deploy();
  await (await stub.setHaircut(USDC, 10_000n)).wait();
  await (await stub.setHaircut(WETH, WETH_HAIRCUT_BPS)).wait();
  const fund = await new InsuranceFund__factory(admin).deploy(
    usdcToken,
    "zkmargin insurance fund",
    "zkIF",
    timelock,
    COOLDOWN,
    REDEEM_WINDOW,
  );
  const house = await new AuctionHouse__factory(admin).deploy(
    timelock,
    [usdcToken.target as string, wethToken.target as string],
    oracle,
    fund,
    PARAMS,
  );
  await (await fund.initialize(stub, house)).wait();
  await (await house.initialize(stub)).wait();
  await governed(timelock, fund, fund.interface.encodeFunctionData("setGuardian", [guardian.address]));
  await governed(timelock, house, house.interface.encodeFunctionData("setGuardian", [guardian.address]));
  await refreshFeeds({ feeds });
  for (const s of [keeper, ...lps, ...others]) {
    await (await usdcToken.mint(s.address, usdc(10_000_000))).wait();
    await (await usdcToken.connect(s).approve(house, ethers.MaxUint256)).wait();
    await (await usdcToken.connect(s).approve(fund, ethers.MaxUint256)).wait();
  }
  return { admin, guardian, keeper, lps, others, usdcToken, wethToken, feeds, oracle, timelock, stub, fund, house };
}

/** Re-publishes every feed's answer at the current time (live feeds keep updating). */
export async function refreshFeeds(f: Pick<Forced, "feeds">): Promise<void> {
  for (const feed of f.feeds) await (await feed.setAnswer(await feed.answer())).wait();
}

/** Sets the WETH/USD answer (8 decimals) at the current time. */
export async function setWethPrice(f: Forced, price: bigint): Promise<void> {
  await (await f.feeds[5].setAnswer(price)).wait();
}

/** As the registry: sends `lot` WETH to the house and kicks an auction of it; returns its id. */
export async function kickWeth(f: Forced, lot: bigint): Promise<bigint> {
  await (await f.wethToken.mint(f.house, lot)).wait();
  await (await f.stub.exec(f.house, f.house.interface.encodeFunctionData("kick", [WETH, lot]))).wait();
  return f.house.kicks();
}

/** As the registry: fund.pay(to, amount, creditor). */
export async function payAsRegistry(f: Forced, to: string, amount: bigint, creditor: string = to) {
  return f.stub.exec(f.fund, f.fund.interface.encodeFunctionData("pay", [to, amount, creditor]));
}

/** Oracle price of one WETH base unit in USDC base units, as a RAY (the house's formula). */
export function wethFeed(price = WETH_PRICE): bigint {
  return (price * 10n ** 6n * RAY) / (E8 * 10n ** 18n);
}

/** Solady's rpow (Maker's): x^n in base b, rounding each product half up. */
export function rpow(x: bigint, n: bigint, b: bigint): bigint {
  if (x === 0n) return n === 0n ? b : 0n;
  let z = n % 2n === 1n ? x : b;
  const half = b / 2n;
  for (n /= 2n; n > 0n; n /= 2n) {
    x = (x * x + half) / b;
    if (n % 2n === 1n) z = (z * x + half) / b;
  }
  return z;
}

/** The stairstep exponential curve: top x cut^floor(elapsed / step), rounded down. */
export function priceAt(top: bigint, elapsed: bigint, p: { cut: bigint; step: bigint } = PARAMS): bigint {
  return (top * rpow(p.cut, elapsed / p.step, RAY)) / RAY;
}

/** ceil(a x b / d). */
export function mulDivUp(a: bigint, b: bigint, d: bigint): bigint {
  return (a * b + d - 1n) / d;
}

/** Seconds since the auction started, at the next mined block (one second after the latest). */
export async function elapsedNext(house: AuctionHouse, id: bigint): Promise<bigint> {
  const a = await house.auction(id);
  return BigInt(await time.latest()) + 1n - a.tic;
}
