import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as ref from "../../helpers/ewma";
import { DAY, deployTimelock, governed } from "../../helpers/timelock";
import {
  BOUNDS,
  E18,
  E8,
  type Four,
  MarketHarness,
  PARAMS,
  SEED_VOL,
  boundsArg,
  gbm,
  paramsArg,
  riskFixture,
} from "./fixtures";

const load = () => loadFixture(riskFixture);

describe("RiskEngine", () => {
  describe("deployment", () => {
    it("starts every market at the seed volatility's target ratios and anchors at each feed's latest round", async () => {
      const { engine, markets, oracle } = await load();
      const v = ref.seedVariance(SEED_VOL);
      const mm = ref.target(v, PARAMS, BOUNDS);
      const im = ref.initial(mm, PARAMS.imFactorBps);
      expect(mm).to.equal(171n); // 4 x 0.8 x sqrt(900 s / 365 d) = 1.71%
      const [mms, ims] = await engine.ratios();
      expect(mms).to.deep.equal([mm, mm, mm, mm]);
      expect(ims).to.deep.equal([im, im, im, im]);
      expect(await engine.sigmaAnnual(0)).to.equal(ref.sigmaAnnual(v));
      for (let j = 0; j < 4; j++) {
        const s = await engine.marketState(j);
        expect(s.feed).to.equal(await markets[j].getAddress());
        expect(s.roundId).to.equal(1n);
        expect(s.decimals).to.equal(8n);
        expect(s.variance).to.equal(v);
      }
      expect(await engine.oracle()).to.equal(await oracle.getAddress());
      expect([...(await engine.params())]).to.deep.equal(Object.values(paramsArg(PARAMS)));
      expect(await engine.requiredDelay()).to.equal(2n * DAY);
    });

    it("packs mm_j at bits 16j and im_j at bits 64 + 16j", async () => {
      const { engine } = await load();
      const [mm, im] = await engine.ratios();
      let packed = 0n;
      for (let j = 0; j < 4; j++) packed |= (mm[j] << BigInt(16 * j)) | (im[j] << BigInt(64 + 16 * j));
      expect(await engine.packedRatios()).to.equal(packed);
    });

    it("rejects an oracle without code with RiskEngine__BadOracle", async () => {
      const { engineFactory, timelock, stranger } = await load();
      await expect(
        engineFactory.deploy(
          await timelock.getAddress(),
          stranger.address,
          paramsArg(PARAMS),
          [BOUNDS, BOUNDS, BOUNDS, BOUNDS].map(boundsArg) as Four<ReturnType<typeof boundsArg>>,
          [SEED_VOL, SEED_VOL, SEED_VOL, SEED_VOL],
        ),
      )
        .to.be.revertedWithCustomError(engineFactory, "RiskEngine__BadOracle")
        .withArgs(stranger.address);
    });

    it("accepts a seed volatility of 1000% and rejects one wei more with RiskEngine__BadSeedVolatility", async () => {
      const { deployEngine, engineFactory } = await load();
      const max = 10n * E18;
      await expect(deployEngine(PARAMS, undefined, [SEED_VOL, max, SEED_VOL, SEED_VOL])).not.to.be.reverted;
      await expect(deployEngine(PARAMS, undefined, [SEED_VOL, SEED_VOL, max + 1n, SEED_VOL]))
        .to.be.revertedWithCustomError(engineFactory, "RiskEngine__BadSeedVolatility")
        .withArgs(2n, max + 1n);
    });
  });

  describe("parameter bounds", () => {
    const LOWER: ref.Params = { z: 2n * E18, tau: 3600n, horizon: 300n, imFactorBps: 10_000n, stepBps: 1n };
    const UPPER: ref.Params = { z: 10n * E18, tau: 30n * DAY, horizon: 9n * DAY, imFactorBps: 50_000n, stepBps: 1000n };
    const outside: [keyof ref.Params, bigint][] = [
      ["z", LOWER.z - 1n],
      ["z", UPPER.z + 1n],
      ["tau", LOWER.tau - 1n],
      ["tau", UPPER.tau + 1n],
      ["horizon", LOWER.horizon - 1n],
      ["horizon", UPPER.horizon + 1n],
      ["imFactorBps", LOWER.imFactorBps - 1n],
      ["imFactorBps", UPPER.imFactorBps + 1n],
      ["stepBps", 0n],
      ["stepBps", UPPER.stepBps + 1n],
    ];

    for (const [label, p] of [
      ["lower", LOWER],
      ["upper", UPPER],
    ] as const) {
      it(`accepts every parameter at its ${label} bound through the timelock and emits ParamsSet`, async () => {
        const { engine, timelock } = await load();
        await expect(governed(timelock, engine, engine.interface.encodeFunctionData("setParams", [paramsArg(p)])))
          .to.emit(engine, "ParamsSet")
          .withArgs(p.z, p.tau, p.horizon, p.imFactorBps, p.stepBps);
        expect([...(await engine.params())]).to.deep.equal(Object.values(paramsArg(p)));
      });
    }

    for (const [name, value] of outside) {
      it(`rejects ${name} = ${value} at deployment with RiskEngine__BadParameter("${name}")`, async () => {
        const { deployEngine, engineFactory } = await load();
        await expect(deployEngine({ ...PARAMS, [name]: value }))
          .to.be.revertedWithCustomError(engineFactory, "RiskEngine__BadParameter")
          .withArgs(name, value);
      });
    }

    it("rejects an out-of-bound setParams through the timelock with the same error", async () => {
      const { engine, timelock } = await load();
      const data = engine.interface.encodeFunctionData("setParams", [paramsArg({ ...PARAMS, tau: 59n })]);
      await expect(governed(timelock, engine, data))
        .to.be.revertedWithCustomError(engine, "RiskEngine__BadParameter")
        .withArgs("tau", 59n);
    });

    const badBounds: [string, ref.Bounds][] = [
      ["min below 10 bps", { baseBps: 50n, minBps: 9n, maxBps: 5000n }],
      ["min above base", { baseBps: 50n, minBps: 51n, maxBps: 5000n }],
      ["base above max", { baseBps: 5001n, minBps: 50n, maxBps: 5000n }],
      ["max above 100%", { baseBps: 50n, minBps: 50n, maxBps: 10_001n }],
    ];
    for (const [label, b] of badBounds) {
      it(`rejects market bounds with ${label} with RiskEngine__BadMarketBounds`, async () => {
        const { deployEngine, engineFactory, engine, timelock } = await load();
        await expect(deployEngine(PARAMS, [BOUNDS, b, BOUNDS, BOUNDS]))
          .to.be.revertedWithCustomError(engineFactory, "RiskEngine__BadMarketBounds")
          .withArgs(1n, b.baseBps, b.minBps, b.maxBps);
        const data = engine.interface.encodeFunctionData("setMarketBounds", [3, boundsArg(b)]);
        await expect(governed(timelock, engine, data))
          .to.be.revertedWithCustomError(engine, "RiskEngine__BadMarketBounds")
          .withArgs(3n, b.baseBps, b.minBps, b.maxBps);
      });
    }

    it("accepts market bounds at 10 bps and at 100%", async () => {
      const { deployEngine } = await load();
      const b = { baseBps: 10n, minBps: 10n, maxBps: 10_000n };
      await expect(deployEngine(PARAMS, [b, b, b, b])).not.to.be.reverted;
    });

    it("rejects market index 4 with RiskEngine__UnknownMarket everywhere", async () => {
      const { engine, timelock } = await load();
      for (const call of [
        () => engine.poke(4),
        () => engine.marketBounds(4),
        () => engine.marketState(4),
        () => engine.targetMaintenance(4),
        () => engine.sigmaAnnual(4),
        () =>
          governed(timelock, engine, engine.interface.encodeFunctionData("setMarketBounds", [4, boundsArg(BOUNDS)])),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(engine, "RiskEngine__UnknownMarket").withArgs(4n);
      }
    });

    it("bounds requiredDelay to [1 day, 30 days] and to the timelock's own delay", async () => {
      const { engine, timelock } = await load();
      const set = (d: bigint) =>
        governed(timelock, engine, engine.interface.encodeFunctionData("setRequiredDelay", [d]));
      await expect(set(DAY - 1n))
        .to.be.revertedWithCustomError(engine, "RiskEngine__BadParameter")
        .withArgs("requiredDelay", DAY - 1n);
      await expect(set(30n * DAY + 1n))
        .to.be.revertedWithCustomError(engine, "RiskEngine__BadParameter")
        .withArgs("requiredDelay", 30n * DAY + 1n);
      // the timelock's delay is 2 days: a 3-day requirement would lock governance out
      await expect(set(3n * DAY))
        .to.be.revertedWithCustomError(engine, "Governed__DelayTooShort")
        .withArgs(2n * DAY, 3n * DAY);
      await expect(set(DAY)).to.emit(engine, "RequiredDelaySet").withArgs(DAY);
      expect(await engine.requiredDelay()).to.equal(DAY);
    });
  });

  describe("step limit", () => {
    /** A market whose target sits far above its ratio: one clamped 5x spike. */
    async function stressed() {
      const f = await load();
      const h = await new MarketHarness(f.engine, f.markets[0], 0).init();
      await h.push([{ answer: 15_000n * E8, updatedAt: h.lastTime() + 60n }]);
      return { ...f, h };
    }

    it("raises maintenance by exactly stepBps per poke with a new round, initial following", async () => {
      const { h, engine } = await stressed();
      const mm0 = h.model.mm;
      await expect(engine.poke(0))
        .to.emit(engine, "RatiosChanged")
        .withArgs(0n, mm0 + 25n, ref.initial(mm0 + 25n, 20_000n), (s: bigint) => s > 0n);
      h.model.mm = mm0 + 25n;
      h.model.im = ref.initial(h.model.mm, 20_000n);
      expect(await engine.targetMaintenance(0)).to.equal(5000n); // clamped at max
      for (let k = 1; k <= 3; k++) {
        await h.push([{ answer: 15_000n * E8, updatedAt: h.lastTime() + 60n }]);
        await engine.poke(0);
        const [mm, im] = await engine.ratios();
        expect(mm[0]).to.equal(mm0 + 25n * BigInt(k + 1));
        expect(im[0]).to.equal(ref.initial(mm[0], 20_000n));
      }
    });

    it("a poke without a new round moves nothing, however often it is repeated", async () => {
      const { h, engine } = await stressed();
      await engine.poke(0);
      const before = await engine.packedRatios();
      for (let k = 0; k < 5; k++) await expect(engine.poke(0)).not.to.emit(engine, "RatiosChanged");
      expect(await engine.packedRatios()).to.equal(before);
      expect(h.rounds.length).to.equal(2);
    });

    it("lowers maintenance by at most stepBps per poke down to the base", async () => {
      const { engine, markets } = await load();
      const h = await new MarketHarness(engine, markets[1], 1).init();
      // a calm, long heartbeat gap: a ~ 0, the variance collapses, the target falls to base (50)
      await h.push([{ answer: 60_000n * E8, updatedAt: h.lastTime() + 10n * DAY }]);
      await h.poke();
      expect(await engine.targetMaintenance(1)).to.equal(50n);
      const seen: bigint[] = [];
      for (let k = 0; k < 6; k++) {
        await h.push([{ answer: 60_000n * E8, updatedAt: h.lastTime() + 3600n }]);
        await h.poke();
        seen.push(h.model.mm);
        expect(await h.chain()).to.deep.equal(h.model);
      }
      expect(seen).to.deep.equal([121n, 96n, 71n, 50n, 50n, 50n]);
    });

    it("governance bounds bite at once: a lower max and a higher min clamp the ratio, imFactor re-derives im", async () => {
      const { engine, timelock } = await load();
      const set = (j: number, b: ref.Bounds) =>
        governed(timelock, engine, engine.interface.encodeFunctionData("setMarketBounds", [j, boundsArg(b)]));
      await expect(set(0, { baseBps: 50n, minBps: 50n, maxBps: 150n }))
        .to.emit(engine, "RatiosChanged")
        .withArgs(0n, 150n, 300n, ref.sigmaAnnual(ref.seedVariance(SEED_VOL)));
      await expect(set(1, { baseBps: 300n, minBps: 200n, maxBps: 5000n }))
        .to.emit(engine, "MarketBoundsSet")
        .withArgs(1n, 300n, 200n, 5000n);
      // initial is capped at 100%
      await set(2, { baseBps: 6000n, minBps: 6000n, maxBps: 10_000n });
      let [mm, im] = await engine.ratios();
      expect(mm).to.deep.equal([150n, 200n, 6000n, 171n]);
      expect(im).to.deep.equal([300n, 400n, 10_000n, 342n]);
      await governed(
        timelock,
        engine,
        engine.interface.encodeFunctionData("setParams", [paramsArg({ ...PARAMS, imFactorBps: 15_000n })]),
      );
      [mm, im] = await engine.ratios();
      expect(im).to.deep.equal([225n, 300n, 9000n, 257n]);
    });
  });

  describe("anchoring", () => {
    it("re-anchors without a return after the feed's decimals change, then uses rounds from there", async () => {
      const { engine, markets } = await load();
      const before = await engine.marketState(0);
      await (await markets[0].setDecimals(18)).wait();
      await (await markets[0].setAnswer(3000n * E18)).wait();
      const id = await markets[0].roundId();
      await expect(engine.poke(0))
        .to.emit(engine, "FeedAnchored")
        .withArgs(0n, await markets[0].getAddress(), id, 18n);
      const after = await engine.marketState(0);
      expect(after.variance).to.equal(before.variance);
      expect(after.price).to.equal(3000n * E18);
      expect(after.decimals).to.equal(18n);
      const t = BigInt(await time.latest()) + 60n;
      await time.increaseTo(t);
      await (await markets[0].pushRound(3030n * E18, t)).wait();
      await engine.poke(0);
      expect((await engine.marketState(0)).variance).to.equal(
        ref.ewmaStep(after.variance, 3000n * E18, 3030n * E18, t - after.updatedAt, PARAMS.tau),
      );
    });

    it("re-anchors at the new feed after a timelocked feed swap in the adapter, keeping the variance", async () => {
      const { engine, oracle, timelock, agg } = await load();
      const fresh = await agg(8, 2900n * E8);
      const v = (await engine.marketState(0)).variance;
      await governed(
        timelock,
        oracle,
        oracle.interface.encodeFunctionData("setMarketFeed", [0, await fresh.getAddress(), 7 * 86_400]),
      );
      await expect(engine.poke(0))
        .to.emit(engine, "FeedAnchored")
        .withArgs(0n, await fresh.getAddress(), 1n, 8n);
      const s = await engine.marketState(0);
      expect([s.price, s.variance]).to.deep.equal([2900n * E8, v]);
    });

    it("does not anchor at an unusable latest round and anchors once a valid one appears", async () => {
      const { engine, oracle, timelock, agg } = await load();
      const broken = await agg(8, 0n);
      await governed(
        timelock,
        oracle,
        oracle.interface.encodeFunctionData("setMarketFeed", [1, await broken.getAddress(), 7 * 86_400]),
      );
      await expect(engine.poke(1)).not.to.emit(engine, "FeedAnchored");
      await (await broken.setAnswer(61_000n * E8)).wait();
      await expect(engine.poke(1))
        .to.emit(engine, "FeedAnchored")
        .withArgs(1n, await broken.getAddress(), 2n, 8n);
    });
  });

  describe("guardian", () => {
    it("pauses pokes for at most MAX_PAUSE and cannot change a parameter", async () => {
      const { engine, timelock, guardian } = await load();
      await governed(timelock, engine, engine.interface.encodeFunctionData("setGuardian", [guardian.address]));
      await expect(engine.connect(guardian).setParams(paramsArg({ ...PARAMS, z: 10n * E18 })))
        .to.be.revertedWithCustomError(engine, "OwnableUnauthorizedAccount")
        .withArgs(guardian.address);
      await expect(engine.connect(guardian).setMarketBounds(0, boundsArg(BOUNDS)))
        .to.be.revertedWithCustomError(engine, "OwnableUnauthorizedAccount")
        .withArgs(guardian.address);
      await expect(engine.connect(guardian).setRequiredDelay(DAY)).to.be.revertedWithCustomError(
        engine,
        "OwnableUnauthorizedAccount",
      );
      // a year's pause is cut to MAX_PAUSE (3 days)
      await engine.connect(guardian).pause(365n * DAY);
      const until = BigInt(await time.latest()) + 3n * DAY;
      expect(await engine.pausedUntil()).to.equal(until);
      await expect(engine.poke(0)).to.be.revertedWithCustomError(engine, "Governed__Paused").withArgs(until);
      await expect(engine.pokeAll()).to.be.revertedWithCustomError(engine, "Governed__Paused");
      await expect(engine.connect(guardian).pause(DAY)).to.be.revertedWithCustomError(engine, "Governed__Paused");
      await time.increaseTo(until);
      await expect(engine.poke(0)).not.to.be.reverted;
    });
  });

  describe("gas (information only: bench/risk.ts measures the figures)", () => {
    it("pokes one new round and MAX_ROUNDS new rounds", async () => {
      const { engine, markets } = await load();
      const h = await new MarketHarness(engine, markets[0], 0).init();
      await h.push(gbm(3000n * E8, h.lastTime(), 60, 1, 0.8, 1));
      const one = await h.poke();
      expect(one.used).to.equal(1);
      await h.push(gbm(3000n * E8, h.lastTime(), 60, 32, 0.8, 2));
      const max = await h.poke();
      expect(max.used).to.equal(32);
      const hs = await Promise.all(markets.map((m, j) => new MarketHarness(engine, m, j).init()));
      for (const x of hs) await x.push(gbm(E8, x.lastTime(), 60, 1, 0.8, 3));
      const all = (await (await engine.pokeAll()).wait())!.gasUsed;
      console.log(`      gas: poke 1 round ${one.gas}, poke ${max.used} rounds ${max.gas}, pokeAll 4 x 1 round ${all}`);
    });
  });
});

describe("RiskEngine governance", () => {
  it("refuses setters from an EOA owner with Governed__NotTimelock", async () => {
    const { deployEngine, admin } = await load();
    const engine = await deployEngine(PARAMS, undefined, undefined, admin.address);
    await expect(engine.setParams(paramsArg(PARAMS)))
      .to.be.revertedWithCustomError(engine, "Governed__NotTimelock")
      .withArgs(admin.address);
  });

  it("refuses setters through a timelock whose delay is below requiredDelay", async () => {
    const { deployEngine, admin } = await load();
    const short = await deployTimelock(admin, DAY);
    const engine = await deployEngine(PARAMS, undefined, undefined, await short.getAddress());
    const data = engine.interface.encodeFunctionData("setParams", [paramsArg(PARAMS)]);
    await expect(governed(short, engine, data))
      .to.be.revertedWithCustomError(engine, "Governed__DelayTooShort")
      .withArgs(DAY, 2n * DAY);
  });

  it("a raise of z cannot bite before the timelock delay: the trader sees it queued", async () => {
    const { engine, timelock, stranger } = await load();
    const data = engine.interface.encodeFunctionData("setParams", [paramsArg({ ...PARAMS, z: 10n * E18 })]);
    await expect(engine.connect(stranger).setParams(paramsArg(PARAMS))).to.be.revertedWithCustomError(
      engine,
      "OwnableUnauthorizedAccount",
    );
    const salt = "0x" + "11".repeat(32);
    const zero = "0x" + "00".repeat(32);
    await expect(timelock.schedule(await engine.getAddress(), 0, data, zero, salt, 2n * DAY)).to.emit(
      timelock,
      "CallScheduled",
    );
    await time.increase(2n * DAY - 2n);
    await expect(timelock.execute(await engine.getAddress(), 0, data, zero, salt)).to.be.revertedWithCustomError(
      timelock,
      "TimelockUnexpectedOperationState",
    );
    expect((await engine.params()).z).to.equal(4n * E18);
    await time.increase(2n);
    await timelock.execute(await engine.getAddress(), 0, data, zero, salt);
    expect((await engine.params()).z).to.equal(10n * E18);
  });
});
