import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { ethers } from "hardhat";
import { UniswapV2Taker__factory, type UniswapV2Taker } from "../../../core/contracts/typechain";
import {
  PAIR_INIT_CODE_HASH,
  type UniswapV2,
  addLiquidity,
  deployUniswapV2,
  pairFor,
  routerMatchesPair,
} from "../../../scripts/lib/uniswap";
import {
  type Forced,
  PARAMS,
  RAY,
  deployForced,
  kickWeth,
  mulDivUp,
  refreshFeeds,
  usdc,
  weth,
} from "../../helpers/auction";

/** The published v2 pair's init code hash (the one mainnet's Router02 uses). */
const MAINNET_INIT_CODE_HASH = "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f";

interface WithPool extends Forced {
  uni: UniswapV2;
  pair: string;
  taker: UniswapV2Taker;
  id: bigint;
}

/** The forced-sale fixture plus a real Uniswap V2 WETH/USDC pool (1000 WETH + 3,000,000 USDC) and a taker. */
async function withPool(): Promise<WithPool> {
  const f = await deployForced();
  const lp = f.others[5];
  const uni = await deployUniswapV2(f.admin);
  await (await f.wethToken.mint(lp.address, weth(1000))).wait();
  const pair = await addLiquidity(
    uni,
    lp,
    f.wethToken.target as string,
    f.usdcToken.target as string,
    weth(1000),
    usdc(3_000_000),
  );
  const taker = await new UniswapV2Taker__factory(f.admin).deploy(f.keeper.address, f.house, uni.router);
  const id = await kickWeth(f, weth(10));
  return { ...f, uni, pair, taker, id };
}

describe("AMM: Uniswap V2 from the npm artifacts and the flash taker", () => {
  let f: WithPool;
  const path = () => [f.wethToken.target as string, f.usdcToken.target as string];
  beforeEach(async () => {
    f = await loadFixture(withPool);
  });

  /** Lets the auction fall 30 steps (0.99^30 = 0.74: 2,664 USDC per WETH against the pool's ~3,000). */
  async function fall(): Promise<bigint> {
    await time.increase(30n * PARAMS.step);
    await refreshFeeds(f);
    return (await f.house.auction(f.id)).price;
  }

  it("deploys the published bytecode whose pairs match Router02's baked init code hash", async () => {
    expect(PAIR_INIT_CODE_HASH).to.equal(MAINNET_INIT_CODE_HASH);
    expect(routerMatchesPair()).to.equal(true);
    expect(f.pair).to.equal(pairFor(await f.uni.factory.getAddress(), path()[0], path()[1]));
    expect(await f.uni.router.factory()).to.equal(await f.uni.factory.getAddress());
    expect(await f.uni.router.WETH()).to.equal(f.uni.weth);
    const quote = await f.uni.router.getAmountsOut(weth(1), path());
    // 1 WETH into 1000 / 3,000,000 with the 0.3% fee
    expect(quote[1]).to.equal((weth(1) * 997n * usdc(3_000_000)) / (weth(1000) * 1000n + weth(1) * 997n));
  });

  it("takes through the pool in one transaction and sends the profit to the keeper", async () => {
    const price = await fall();
    const slice = weth(5);
    const owe = mulDivUp(slice, price, RAY);
    const out = (await f.uni.router.getAmountsOut(slice, path()))[1];
    expect(out).to.be.gt(owe);
    const keeper0 = await f.usdcToken.balanceOf(f.keeper.address);
    const fund0 = await f.usdcToken.balanceOf(f.fund);
    await expect(f.taker.connect(f.keeper).takeAndSwap(f.id, slice, price, usdc(100), path(), MaxUint256))
      .to.emit(f.taker, "TakeAndSwap")
      .withArgs(f.id, slice, owe, out - owe)
      .and.to.emit(f.house, "Take");
    expect((await f.usdcToken.balanceOf(f.keeper.address)) - keeper0).to.equal(out - owe);
    expect((await f.usdcToken.balanceOf(f.fund)) - fund0).to.equal(owe);
    expect(await f.usdcToken.balanceOf(f.taker)).to.equal(0n);
    expect(await f.wethToken.balanceOf(f.taker)).to.equal(0n);
    expect((await f.house.auction(f.id)).lot).to.equal(weth(5));
  });

  it("reverts, moving nothing, when the pool cannot pay owe + minProfit", async () => {
    const price = await fall();
    const slice = weth(5);
    const out = (await f.uni.router.getAmountsOut(slice, path()))[1];
    const owe = mulDivUp(slice, price, RAY);
    const fund0 = await f.usdcToken.balanceOf(f.fund);
    await expect(
      f.taker.connect(f.keeper).takeAndSwap(f.id, slice, price, out - owe + 1n, path(), MaxUint256),
    ).to.be.revertedWith("UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT");
    expect(await f.usdcToken.balanceOf(f.fund)).to.equal(fund0);
    expect((await f.house.auction(f.id)).lot).to.equal(weth(10));
  });

  it("refuses a stale deadline (the router's EXPIRED)", async () => {
    const price = await fall();
    const past = BigInt(await time.latest());
    await expect(f.taker.connect(f.keeper).takeAndSwap(f.id, weth(1), price, 0n, path(), past)).to.be.revertedWith(
      "UniswapV2Router: EXPIRED",
    );
  });

  it("is the owner's only (OwnableUnauthorizedAccount)", async () => {
    await expect(f.taker.connect(f.others[0]).takeAndSwap(f.id, weth(1), RAY, 0n, path(), MaxUint256))
      .to.be.revertedWithCustomError(f.taker, "OwnableUnauthorizedAccount")
      .withArgs(f.others[0].address);
  });

  it("refuses a path that does not start at the lot's token or end at the settlement asset (Taker__BadPath)", async () => {
    const w = f.wethToken.target as string;
    const u = f.usdcToken.target as string;
    for (const p of [[w], [w, w], [u, u], [u, w]]) {
      await expect(
        f.taker.connect(f.keeper).takeAndSwap(f.id, weth(1), RAY, 0n, p, MaxUint256),
      ).to.be.revertedWithCustomError(f.taker, "Taker__BadPath");
    }
  });

  it("accepts onAuctionTake only from the auction house (Taker__NotAuctionHouse)", async () => {
    await expect(f.taker.onAuctionTake(f.taker, f.id, 1n, 1n, "0x"))
      .to.be.revertedWithCustomError(f.taker, "Taker__NotAuctionHouse")
      .withArgs(f.admin.address);
  });

  it("accepts onAuctionTake only during its own take (Taker__NotTaking)", async () => {
    const price = await fall();
    const data = ethers.AbiCoder.defaultAbiCoder().encode(
      ["address[]", "uint256", "uint256"],
      [path(), 0n, MaxUint256],
    );
    // someone else's take naming the taker as receiver cannot make it swap or approve
    await expect(f.house.connect(f.others[0]).take(f.id, weth(1), price, f.taker, data))
      .to.be.revertedWithCustomError(f.taker, "Taker__NotTaking")
      .withArgs(f.others[0].address, f.id);
  });

  it("sweeps strays to the owner's choice; refuses zero addresses (Taker__ZeroAddress)", async () => {
    await (await f.usdcToken.mint(f.taker, 7n)).wait();
    await expect(f.taker.connect(f.keeper).sweep(f.usdcToken, f.others[0].address))
      .to.emit(f.taker, "Swept")
      .withArgs(f.usdcToken.target, f.others[0].address, 7n);
    await expect(f.taker.connect(f.keeper).sweep(f.usdcToken, ZeroAddress)).to.be.revertedWithCustomError(
      f.taker,
      "Taker__ZeroAddress",
    );
    await expect(
      new UniswapV2Taker__factory(f.admin).deploy(f.keeper.address, f.house, ZeroAddress),
    ).to.be.revertedWithCustomError(f.taker, "Taker__ZeroAddress");
  });
});
