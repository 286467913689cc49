import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyUint } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import {
  E8,
  type Forced,
  HOUR,
  PARAMS,
  RAY,
  USDC,
  WETH,
  WETH_PRICE,
  deployForced,
  kickWeth,
  mulDivUp,
  priceAt,
  refreshFeeds,
  rpow,
  setWethPrice,
  usdc,
  weth,
  wethFeed,
} from "../../helpers/auction";
import { governed } from "../../helpers/timelock";

describe("AuctionHouse: price curve, tail and cusp", () => {
  let f: Forced;
  beforeEach(async () => {
    f = await loadFixture(deployForced);
  });

  const top = () => (wethFeed() * PARAMS.buf) / RAY;

  it("starts at oracle x buf, converted by the tokens' decimals (RAY per base unit)", async () => {
    const id = await kickWeth(f, weth(10));
    const a = await f.house.auction(id);
    // 3000 USDC per WETH = 3000e6 / 1e18 base units per base unit = 3e-9, x 1.2
    expect(await f.house.oraclePrice(WETH)).to.equal(3n * 10n ** 18n);
    expect(a.top).to.equal((3n * 10n ** 18n * 12n) / 10n);
    expect(a.top).to.equal(top());
    expect(a.lot).to.equal(weth(10));
    expect(a.asset).to.equal(WETH);
    await (await f.wethToken.mint(f.house, 1n)).wait();
    await expect(f.stub.exec(f.house, f.house.interface.encodeFunctionData("kick", [WETH, 1n])))
      .to.emit(f.house, "Kick")
      .withArgs(2n, WETH, 1n, top());
  });

  it("matches the bigint reference at and around every step boundary", async () => {
    const t = top();
    for (const k of [0n, 1n, 2n, 3n, 7n, 10n, 33n, 64n, 91n]) {
      for (const e of [k * PARAMS.step - 1n, k * PARAMS.step, k * PARAMS.step + 1n, (k + 1n) * PARAMS.step - 1n]) {
        if (e < 0n) continue;
        expect(await f.house.priceAt(t, e), `elapsed ${e}`).to.equal(priceAt(t, e));
      }
    }
    // the stairs: flat within a step, one cut at each boundary
    expect(await f.house.priceAt(t, PARAMS.step - 1n)).to.equal(t);
    expect(await f.house.priceAt(t, PARAMS.step)).to.equal((t * PARAMS.cut) / RAY);
    expect(await f.house.priceAt(t, 2n * PARAMS.step)).to.equal((t * rpow(PARAMS.cut, 2n, RAY)) / RAY);
  });

  it("sells at the curve's price of the block's own time (checked in the Take event)", async () => {
    const id = await kickWeth(f, weth(10));
    const tic = (await f.house.auction(id)).tic;
    const slice = weth(1) / 10n;
    for (const e of [PARAMS.step - 1n, PARAMS.step, 5n * PARAMS.step, 5n * PARAMS.step + 89n, 40n * PARAMS.step]) {
      const rest = (await f.house.auction(id)).lot - slice;
      await time.setNextBlockTimestamp(tic + e);
      const expected = priceAt(top(), e);
      await expect(f.house.connect(f.keeper).take(id, slice, expected, f.keeper.address, "0x"))
        .to.emit(f.house, "Take")
        .withArgs(id, f.keeper.address, f.keeper.address, expected, slice, mulDivUp(slice, expected, RAY), rest);
    }
  });

  it("needs a redo one second after tail, not at tail", async () => {
    const id = await kickWeth(f, weth(10));
    const tic = (await f.house.auction(id)).tic;
    // price at tail: 0.99^80 = 0.447 > cusp 0.4, so tail decides
    await time.increaseTo(tic + PARAMS.tail - 1n);
    expect(await f.house.needsRedo(id)).to.equal(false);
    await time.setNextBlockTimestamp(tic + PARAMS.tail);
    await expect(f.house.redo(id, f.keeper.address))
      .to.be.revertedWithCustomError(f.house, "AuctionHouse__CannotRedo")
      .withArgs(id);
    await time.increaseTo(tic + PARAMS.tail + 1n);
    expect(await f.house.needsRedo(id)).to.equal(true);
    await expect(f.house.connect(f.keeper).take(id, weth(1), RAY, f.keeper.address, "0x"))
      .to.be.revertedWithCustomError(f.house, "AuctionHouse__NeedsRedo")
      .withArgs(id);
  });

  it("needs a redo from the first step where price / top < cusp, before tail", async () => {
    // a steeper curve (governance): 0.9 per 60 s; 0.9^8 = 0.430 >= cusp 0.4 > 0.9^9 = 0.387
    const steep = { ...PARAMS, cut: (RAY * 9n) / 10n, step: 60n };
    await governed(f.timelock, f.house, f.house.interface.encodeFunctionData("setParams", [steep]));
    await refreshFeeds(f);
    expect((rpow(steep.cut, 8n, RAY) * RAY) / RAY).to.be.gte(PARAMS.cusp);
    expect(rpow(steep.cut, 9n, RAY)).to.be.lt(PARAMS.cusp);
    const id = await kickWeth(f, weth(10));
    const tic = (await f.house.auction(id)).tic;
    await time.increaseTo(tic + 9n * 60n - 1n);
    expect(await f.house.needsRedo(id)).to.equal(false);
    await time.increaseTo(tic + 9n * 60n);
    expect(9n * 60n).to.be.lt(PARAMS.tail);
    const a = await f.house.auction(id);
    expect(a.needsRedo).to.equal(true);
    expect(a.price).to.equal(priceAt(a.top, 9n * 60n, steep));
    await expect(f.house.connect(f.keeper).take(id, weth(1), RAY, f.keeper.address, "0x"))
      .to.be.revertedWithCustomError(f.house, "AuctionHouse__NeedsRedo")
      .withArgs(id);
    await expect(f.house.redo(id, f.keeper.address)).to.emit(f.house, "Redo");
    expect(await f.house.needsRedo(id)).to.equal(false);
  });

  it("redo restarts at a fresh oracle x buf and pays min(chip x lot value, tip) from the fund", async () => {
    await (await f.usdcToken.mint(f.fund, usdc(1_000))).wait();
    const id = await kickWeth(f, weth(10));
    const tic = (await f.house.auction(id)).tic;
    await time.increaseTo(tic + PARAMS.tail + 1n);
    await setWethPrice(f, 2500n * E8);
    const feed = wethFeed(2500n * E8);
    const newTop = (feed * PARAMS.buf) / RAY;
    // lot value 25,000 USDC x chip 0.1% = 25 USDC < tip 50
    const tip = (weth(10) * feed) / RAY / 1000n;
    expect(tip).to.equal(usdc(25));
    const before = await f.usdcToken.balanceOf(f.others[0].address);
    await expect(f.house.connect(f.keeper).redo(id, f.others[0].address))
      .to.emit(f.house, "Redo")
      .withArgs(id, newTop, weth(10), f.others[0].address, tip)
      .and.to.emit(f.fund, "Paid")
      .withArgs(f.house.target, f.others[0].address, tip, tip);
    expect((await f.usdcToken.balanceOf(f.others[0].address)) - before).to.equal(tip);
    const a = await f.house.auction(id);
    expect(a.top).to.equal(newTop);
    expect(a.tic).to.equal(BigInt(await time.latest()));
    expect(a.price).to.equal(newTop);
    expect(a.needsRedo).to.equal(false);
  });

  it("caps the redo tip at tip, pays only what the fund has free, and nothing for a lot below chost", async () => {
    // 100 WETH: 300,000 USDC x 0.1% = 300 > tip 50
    const big = await kickWeth(f, weth(100));
    const small = await kickWeth(f, weth(1) / 100n); // 30 USDC < chost 100
    await (await f.usdcToken.mint(f.fund, usdc(30))).wait();
    await time.increase(PARAMS.tail + 1n);
    await refreshFeeds(f);
    // the fund has 30 free: payUpTo pays 30 of the 50
    await expect(f.house.redo(big, f.others[1].address))
      .to.emit(f.house, "Redo")
      .withArgs(big, anyUint, weth(100), f.others[1].address, usdc(30));
    await expect(f.house.redo(small, f.others[1].address))
      .to.emit(f.house, "Redo")
      .withArgs(small, anyUint, weth(1) / 100n, f.others[1].address, 0n);
    // a zero tip receiver takes no tip
    await time.increase(PARAMS.tail + 1n);
    await refreshFeeds(f);
    await (await f.usdcToken.mint(f.fund, usdc(100))).wait();
    await expect(f.house.redo(big, "0x0000000000000000000000000000000000000000"))
      .to.emit(f.house, "Redo")
      .withArgs(big, anyUint, weth(100), "0x0000000000000000000000000000000000000000", 0n);
  });

  it("lists active auctions with bounded pagination and drops finished ones", async () => {
    const ids: bigint[] = [];
    for (let i = 0; i < 5; i++) ids.push(await kickWeth(f, weth(1)));
    expect(await f.house.activeCount()).to.equal(5n);
    expect(await f.house.activeAuctions(0n, 2n)).to.deep.equal([ids[0], ids[1]]);
    expect(await f.house.activeAuctions(4n, 100n)).to.deep.equal([ids[4]]);
    expect(await f.house.activeAuctions(5n, 100n)).to.deep.equal([]);
    await expect(f.house.activeAuctions(0n, 101n))
      .to.be.revertedWithCustomError(f.house, "AuctionHouse__PageTooLarge")
      .withArgs(101n);
    // buying out auction 2 moves the last one into its slot
    await (await f.house.connect(f.keeper).take(ids[1], weth(1), RAY, f.keeper.address, "0x")).wait();
    expect(await f.house.activeAuctions(0n, 100n)).to.deep.equal([ids[0], ids[4], ids[2], ids[3]]);
    await expect(f.house.auction(ids[1]))
      .to.be.revertedWithCustomError(f.house, "AuctionHouse__NotRunning")
      .withArgs(ids[1]);
    expect(await f.house.needsRedo(ids[1])).to.equal(false);
    // and the moved auction is still removable by its new position
    await (await f.house.connect(f.keeper).take(ids[4], weth(1), RAY, f.keeper.address, "0x")).wait();
    expect(await f.house.activeAuctions(0n, 100n)).to.deep.equal([ids[0], ids[3], ids[2]]);
  });

  it("values open lots at oracle x haircut in settlement units (lotValue)", async () => {
    expect(await f.house.lotValue()).to.equal(0n);
    await kickWeth(f, weth(2));
    // 2 WETH x 3000 x 80% = 4800 USDC
    expect(await f.house.lotValue()).to.equal(usdc(4800));
    expect(await f.house.inventory(WETH)).to.equal(weth(2));
    expect(await f.house.inventory(USDC)).to.equal(0n);
    await setWethPrice(f, WETH_PRICE / 2n);
    expect(await f.house.lotValue()).to.equal(usdc(2400));
  });

  it("times out at tail even when the clock ran during a guardian pause", async () => {
    const id = await kickWeth(f, weth(10));
    await (await f.house.connect(f.guardian).pause(3n * 86_400n)).wait();
    await time.increase(3n * HOUR);
    await (await f.house.connect(f.guardian).unpause()).wait();
    expect(await f.house.needsRedo(id)).to.equal(true);
  });
});
