/**
 * ZkMarginRegistry v2: when an account is challengeable (docs/protocol-v2.md section 5: freshness, a market
 * price out of its box on either side, a collateral price below proven x (1 - d), a stricter maintenance ratio
 * or haircut), what a challenge pins, the congestion stretch, and challengeBatch.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { keccak256, AbiCoder } from "ethers";
import { ethers } from "hardhat";
import {
  type Cert,
  Governance,
  type Sys,
  Trader,
  USDC,
  WETH,
  advance,
  baseFixture,
  certOf,
  challenge,
  loadFixture,
  pack16,
  refreshFeeds,
  revive,
  setAssetPrice,
  setMarketPrice,
  unpack16,
  unpack64,
  usdc,
} from "../../helpers/registry";
import { BATCH, BATCH_FROM, ETH, ETH_PRICE, batchFixture, openedFixture, pastFreshness } from "./fixtures";

const BPS = 10_000n;

async function challengeable(f: Sys, account: string, cert?: Cert): Promise<boolean> {
  const c = cert ?? (await certOf(f, account));
  const [flags] = await f.lens.challengeable([account], [c]);
  return flags[0];
}

/** challenge() succeeds exactly when the lens says so (the revert names the reason). */
async function expectChallengeable(f: Sys, account: string, yes: boolean): Promise<void> {
  const cert = await certOf(f, account);
  expect(await challengeable(f, account, cert), `lens.challengeable(${account})`).to.equal(yes);
  const call = f.registry.connect(f.keeper).challenge(account, cert, { value: f.bond });
  if (yes) await expect(call).to.emit(f.registry, "Challenged");
  else await expect(call).to.be.revertedWithCustomError(f.registry, "Registry__NotChallengeable").withArgs(account);
}

describe("ZkMarginRegistry v2: challengeable conditions and challenges", function () {
  describe("the challenge rule", () => {
    it("does not challenge a fresh account whose box holds (Registry__NotChallengeable)", async () => {
      const { f } = await loadFixture(openedFixture);
      await expectChallengeable(f, f.traders[0].address, false);
      await expectChallengeable(f, f.traders[1].address, false);
    });

    it("challenges once the certificate is older than the freshness period, not at it", async () => {
      const { f } = await loadFixture(openedFixture);
      const a = f.traders[0].address;
      const cert = await certOf(f, a);
      const at = cert.provenAt + BigInt(f.params.timing.freshness);
      await time.increaseTo(at - 10n);
      await refreshFeeds(f);
      const k = f.registry.connect(f.keeper);
      await time.setNextBlockTimestamp(at);
      await expect(k.challenge(a, cert, { value: f.bond })).to.be.revertedWithCustomError(
        f.registry,
        "Registry__NotChallengeable",
      );
      await time.setNextBlockTimestamp(at + 1n);
      await expect(k.challenge(a, cert, { value: f.bond })).to.emit(f.registry, "Challenged");
    });

    it("challenges when a market price leaves its box on either side (one unit past the edge)", async () => {
      const { f } = await loadFixture(openedFixture);
      const a = f.traders[0].address;
      const cert = await certOf(f, a);
      const d = cert.d;
      const lo = (ETH_PRICE * (BPS - d) + BPS - 1n) / BPS; // lowest price inside the box
      const hi = (ETH_PRICE * (BPS + d)) / BPS; // highest
      for (const [price, yes] of [
        [lo, false],
        [hi, false],
        [lo - 1n, true],
        [hi + 1n, true],
      ] as const) {
        await setMarketPrice(f, ETH, price);
        expect(await challengeable(f, a, cert), `ETH at ${price}`).to.equal(yes);
      }
      await setMarketPrice(f, ETH, lo - 1n);
      await expectChallengeable(f, a, true);
    });

    it("challenges when a collateral price falls below proven x (1 - d): USDC at 0.40", async () => {
      const { f } = await loadFixture(openedFixture);
      const a = f.traders[0].address;
      await setAssetPrice(f, USDC, 4n * 10n ** 7n);
      await expectChallengeable(f, a, true);
    });

    it("does not challenge for a collateral price inside its box, nor for a rise", async () => {
      const { f } = await loadFixture(openedFixture);
      const a = f.traders[0].address;
      const cert = await certOf(f, a);
      const weth0 = unpack64(cert.assetPrices, 2)[WETH];
      await setAssetPrice(f, WETH, (weth0 * (BPS - cert.d) + BPS - 1n) / BPS);
      expect(await challengeable(f, a)).to.equal(false);
      await setAssetPrice(f, WETH, weth0 * 3n);
      expect(await challengeable(f, a)).to.equal(false);
      await setAssetPrice(f, WETH, (weth0 * (BPS - cert.d)) / BPS - 1n);
      await expectChallengeable(f, a, true);
    });

    it("challenges when the timelocked risk engine raises a maintenance ratio above the proven one", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      const gov = new Governance(f.timelock);
      const exec = await gov.schedule(
        f.risk,
        f.risk.interface.encodeFunctionData("setMarketBounds", [ETH, { baseBps: 400, minBps: 400, maxBps: 5_000 }]),
      );
      await advance(f, (await f.timelock.getMinDelay()) - 60n);
      await alice.prove(); // fresh, at pm = today's maintenance (300)
      await expectChallengeable(f, alice.address, false);
      await time.increase(60);
      await exec();
      expect(unpack16((await f.risk.packedRatios()) & ((1n << 64n) - 1n))[ETH]).to.equal(400n);
      await expectChallengeable(f, alice.address, true);
    });

    it("challenges when a permissionless poke raises a maintenance ratio (a jumpy feed)", async () => {
      const { f } = await loadFixture(openedFixture);
      const a = f.traders[0].address;
      const before = unpack16((await f.risk.packedRatios()) & ((1n << 64n) - 1n))[ETH];
      // two 10% moves that end where they began: the box holds, the volatility does not
      await setMarketPrice(f, ETH, (ETH_PRICE * 11n) / 10n);
      await setMarketPrice(f, ETH, ETH_PRICE);
      await expectChallengeable(f, a, false);
      await (await f.risk.poke(ETH)).wait();
      const after = unpack16((await f.risk.packedRatios()) & ((1n << 64n) - 1n))[ETH];
      expect(after).to.be.greaterThan(before);
      await expectChallengeable(f, a, true);
    });

    it("challenges when a haircut decreases, not when it increases", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      const gov = new Governance(f.timelock);
      const up = await gov.schedule(
        f.registry,
        f.registry.interface.encodeFunctionData("setHaircuts", [pack16([10_000n, 9_000n])]),
      );
      const down = await gov.schedule(
        f.registry,
        f.registry.interface.encodeFunctionData("setHaircuts", [pack16([10_000n, 7_000n])]),
      );
      await advance(f, (await f.timelock.getMinDelay()) - 60n);
      await alice.prove();
      await time.increase(60);
      await up();
      expect(await f.registry.haircutBps(WETH)).to.equal(9_000n);
      await expectChallengeable(f, alice.address, false);
      await down();
      await expectChallengeable(f, alice.address, true);
    });
  });

  describe("challenge", () => {
    it("pins prices, ratios, haircuts, window, exclusive period, bond and deleverage terms in a hashed record", async () => {
      const { f } = await loadFixture(openedFixture);
      await pastFreshness(f);
      const a = f.traders[0].address;
      const nonce = (await f.registry.accountOf(a)).nonce;
      const r = await challenge(f, f.keeper, a);
      const now = BigInt(await time.latest());
      const m = await f.lens.market();
      const dl = await f.registry.deleverageParams();
      expect(r).to.deep.equal({
        challenger: f.keeper.address,
        nonce: nonce + 1n,
        pinnedAt: now,
        deadline: now + BigInt(f.params.timing.responseWindow),
        pauseClockAt: 0n,
        bond: f.bond,
        exclusivePeriod: BigInt(f.params.timing.exclusivePeriod),
        targetFactorBps: dl.targetFactorBps,
        deleverageFeeBps: dl.feeBps,
        keeperShareBps: dl.keeperShareBps,
        mm: m.mm,
        haircuts: m.haircuts,
        marketPrices: m.marketPrices,
        assetPrices: m.assetPrices,
      });
      const acc = await f.registry.accountOf(a);
      const encoded = AbiCoder.defaultAbiCoder().encode(
        [
          "tuple(address,uint64,uint40,uint40,uint64,uint128,uint32,uint16,uint16,uint16,uint64,uint64,uint256,uint256)",
        ],
        [Object.values(r)],
      );
      expect(acc.recordHash).to.equal(keccak256(encoded));
      expect(acc.nonce).to.equal(nonce + 1n);
    });

    it("stretches the window with the basefee, up to maxStretchBps", async () => {
      const { f } = await loadFixture(openedFixture);
      await pastFreshness(f);
      const window = BigInt(f.params.timing.responseWindow);
      const ref = BigInt(f.params.timing.refBasefee);
      await ethers.provider.send("hardhat_setNextBlockBaseFeePerGas", [`0x${(2n * ref).toString(16)}`]);
      const r1 = await challenge(f, f.keeper, f.traders[0].address);
      expect(r1.deadline - r1.pinnedAt).to.equal(2n * window);
      await ethers.provider.send("hardhat_setNextBlockBaseFeePerGas", [`0x${(100n * ref).toString(16)}`]);
      const r2 = await challenge(f, f.keeper, f.traders[1].address);
      expect(r2.deadline - r2.pinnedAt).to.equal((window * BigInt(f.params.timing.maxStretchBps)) / BPS);
    });

    it("refuses a wrong bond, a stale certificate, a second challenge and unknown accounts", async () => {
      const { f } = await loadFixture(openedFixture);
      await pastFreshness(f);
      const a = f.traders[0].address;
      const cert = await certOf(f, a);
      const k = f.registry.connect(f.keeper);
      await expect(k.challenge(a, cert, { value: f.bond - 1n }))
        .to.be.revertedWithCustomError(f.registry, "Registry__WrongBond")
        .withArgs(f.bond - 1n, f.bond);
      await expect(k.challenge(a, { ...cert, d: cert.d + 1n }, { value: f.bond }))
        .to.be.revertedWithCustomError(f.registry, "Registry__BadCert")
        .withArgs(a);
      await expect(k.challenge(f.traders[12].address, cert, { value: f.bond }))
        .to.be.revertedWithCustomError(f.registry, "Registry__NotActive")
        .withArgs(f.traders[12].address);
      await (await k.challenge(a, cert, { value: f.bond })).wait();
      await expect(k.challenge(a, cert, { value: f.bond }))
        .to.be.revertedWithCustomError(f.registry, "Registry__Challenged")
        .withArgs(a);
    });

    it("refuses update and prove while challenged, but takes deposits", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      await pastFreshness(f);
      const plan = await alice.planUpdate({ kind: "none" });
      const p = await alice.planProve();
      await challenge(f, f.keeper, alice.address);
      await expect(alice.reg.update(plan.args, plan.proof))
        .to.be.revertedWithCustomError(f.registry, "Registry__Challenged")
        .withArgs(alice.address);
      await expect(alice.reg.prove(p.d, p.pm, p.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__Challenged",
      );
      await expect(alice.reg.deposit(USDC, usdc(100))).to.emit(f.registry, "Deposited");
    });
  });

  describe("challengeBatch", () => {
    it("challenges every challengeable account with one oracle read and refunds the bonds of the rest", async () => {
      const f = await loadFixture(baseFixture);
      const ts = [];
      for (let k = 0; k < 3; k++) ts.push(await new Trader(f, f.traders[k]).open([[USDC, usdc(1_000)]]));
      await pastFreshness(f);
      const fresh = await new Trader(f, f.traders[5]).open([[USDC, usdc(1_000)]]); // fresh: skipped
      await challenge(f, f.keeper2, ts[1].address); // already challenged: skipped
      const accounts = [ts[0].address, ts[1].address, ts[2].address, fresh.address, f.traders[14].address];
      const certs = [];
      for (const a of accounts.slice(0, 4)) certs.push(await certOf(f, a));
      certs.push(certs[0]); // unknown account: skipped
      certs[2] = { ...certs[2], provenAt: certs[2].provenAt + 1n }; // wrong certificate: skipped
      const k = f.registry.connect(f.keeper);
      const value = f.bond * BigInt(accounts.length);
      const n = await k.challengeBatch.staticCall(accounts, certs, { value });
      expect(n).to.equal(1n);
      await expect(k.challengeBatch(accounts, certs, { value })).to.changeEtherBalances(
        [f.keeper, f.registry],
        [-f.bond, f.bond],
      );
      expect((await f.registry.accountOf(ts[0].address)).recordHash).to.not.equal(ethers.ZeroHash);
      expect((await f.registry.accountOf(ts[2].address)).recordHash).to.equal(ethers.ZeroHash);
      await expect(k.challengeBatch(accounts, certs.slice(1), { value })).to.be.revertedWithCustomError(
        f.registry,
        "Registry__LengthMismatch",
      );
      certs[2] = await certOf(f, ts[2].address);
      await expect(k.challengeBatch(accounts, certs, { value: 0n }))
        .to.be.revertedWithCustomError(f.registry, "Registry__WrongBond")
        .withArgs(0n, f.bond);
    });

    it("challenges 8 accounts in one transaction", async () => {
      const b = await loadFixture(batchFixture);
      for (let k = 0; k < BATCH; k++) {
        const acc = await b.f.registry.accountOf(b.f.traders[BATCH_FROM + k].address);
        expect(acc.recordHash).to.not.equal(ethers.ZeroHash);
        expect(b.records[k].challenger).to.equal(b.f.keeper.address);
      }
      console.log(`      gas.challenge_batch8_per_account ${b.challengeGas / BigInt(BATCH)}`);
    });
  });
});
