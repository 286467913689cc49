/**
 * Auction gas figures: gasUsed from transaction receipts on Hardhat's in-process network, median over
 * RUNS auctions. Each auction is a fresh 10 WETH lot (USDC settlement, oracle 3,000 USD, the test
 * deployment's Maker-like curve: buf 1.2, 1% off every 90 s) left to fall 30 steps (about 2,664 USDC per
 * WETH) before both takes; the Uniswap V2 pool (deployed from the npm artifacts) holds 1,000 WETH and
 * 3,000,000 USDC. Every figure is the whole transaction's gasUsed (21000 intrinsic + calldata + execution,
 * after refunds).
 *
 *  gas.auction_take        plain take of 1 WETH of a running lot (partial: the rest stays on sale):
 *                          USDC pulled from the buyer into the fund, WETH sent to the buyer
 *  gas.auction_take_flash  flash take of 1 WETH through UniswapV2Taker.takeAndSwap: WETH sent to the
 *                          taker, onAuctionTake swaps it on Router02 (one pair), USDC pulled into the
 *                          fund, the profit forwarded to the keeper
 *
 * Hardhat is imported lazily; run without HARDHAT_NETWORK so the in-process network is used.
 */
import { MaxUint256 } from "ethers";
import {
  AuctionHouse__factory,
  InsuranceFund__factory,
  OracleAdapter__factory,
  TestAggregator__factory,
  TestRegistryStub__factory,
  TestToken__factory,
  UniswapV2Taker__factory,
  type TestAggregator,
} from "../core/contracts";
import { addLiquidity, deployUniswapV2 } from "../scripts/lib/uniswap";
import { type Figure, RUNS, figure, median, progress } from "./lib/figures";

const E8 = 10n ** 8n;
const E18 = 10n ** 18n;
const RAY = 10n ** 27n;
const usdc = (x: bigint) => x * 10n ** 6n;
const PARAMS = {
  buf: (RAY * 12n) / 10n,
  step: 90n,
  cut: (RAY * 99n) / 100n,
  tail: 7200n,
  cusp: (RAY * 4n) / 10n,
  chost: usdc(100n),
  chip: E18 / 1000n,
  tip: usdc(50n),
};
const LOT = 10n * E18;
const SLICE = E18;

async function gasOf(tx: Promise<{ wait(): Promise<{ status: number | null; gasUsed: bigint } | null> }>) {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error("transaction failed");
  return Number(receipt.gasUsed);
}

function med(name: string, samples: number[]): Figure {
  progress(`gas: ${name}: ${samples.join(" ")}`);
  return figure(name, Math.round(median(samples)), "gas");
}

/** Deploys a fund, an auction house and a Uniswap V2 pool; returns the median gas of both kinds of take. */
export async function auctionGasFigures(): Promise<Figure[]> {
  const hre = (await import("hardhat")).default;
  const { ethers } = hre;
  const [deployer, keeper, buyer, lp] = await ethers.getSigners();
  progress("gas: auction: deploying fund, auction house, Uniswap V2");

  const usdcToken = await new TestToken__factory(deployer).deploy("USD Coin", "USDC", 6);
  const wethToken = await new TestToken__factory(deployer).deploy("Wrapped Ether", "WETH", 18);
  const feeds: TestAggregator[] = [];
  for (const p of [3000n * E8, 60000n * E8, 150n * E8, 80n * 10n ** 6n, E8, 3000n * E8]) {
    feeds.push(await new TestAggregator__factory(deployer).deploy(8, p));
  }
  const addr = (i: number) => feeds[i].target as string;
  const oracle = await new OracleAdapter__factory(deployer).deploy(
    deployer.address,
    [addr(0), addr(1), addr(2), addr(3)],
    [3600, 3600, 3600, 3600],
    [addr(4), addr(5)],
    [3600, 3600],
  );
  const stub = await new TestRegistryStub__factory(deployer).deploy();
  await (await stub.setHaircut(1n, 8000n)).wait();
  // parameters are fixed at deployment here: no setter is called, so the owner need not be a timelock
  const fund = await new InsuranceFund__factory(deployer).deploy(
    usdcToken,
    "IF",
    "IF",
    deployer.address,
    86_400n,
    86_400n,
  );
  const house = await new AuctionHouse__factory(deployer).deploy(
    deployer.address,
    [usdcToken.target as string, wethToken.target as string],
    oracle,
    fund,
    PARAMS,
  );
  await (await fund.initialize(stub, house)).wait();
  await (await house.initialize(stub)).wait();

  const uni = await deployUniswapV2(deployer);
  await (await wethToken.mint(lp.address, 1000n * E18)).wait();
  await (await usdcToken.mint(lp.address, usdc(3_000_000n))).wait();
  await addLiquidity(uni, lp, wethToken.target as string, usdcToken.target as string, 1000n * E18, usdc(3_000_000n));
  const taker = await new UniswapV2Taker__factory(deployer).deploy(keeper.address, house, uni.router);
  await (await usdcToken.mint(buyer.address, usdc(10_000_000n))).wait();
  await (await usdcToken.connect(buyer).approve(house, MaxUint256)).wait();
  const path = [wethToken.target as string, usdcToken.target as string];

  const plain: number[] = [];
  const flash: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await (await wethToken.mint(house, LOT)).wait();
    await (await stub.exec(house, house.interface.encodeFunctionData("kick", [1n, LOT]))).wait();
    const id = await house.kicks();
    await ethers.provider.send("evm_increaseTime", [Number(30n * PARAMS.step)]);
    for (const f of feeds) await (await f.setAnswer(await f.answer())).wait();
    const price = (await house.auction(id)).price;
    plain.push(await gasOf(house.connect(buyer).take(id, SLICE, price, buyer.address, "0x")));
    flash.push(await gasOf(taker.connect(keeper).takeAndSwap(id, SLICE, price, 0n, path, MaxUint256)));
  }
  return [med("gas.auction_take", plain), med("gas.auction_take_flash", flash)];
}
