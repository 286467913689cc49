/**
 * ZkMarginRegistry v2 governance (issue 12): every Bounds check (each Registry__BadParameter name, at
 * deployment and through the timelock), no instant parameter change, a timelock whose delay is too short is
 * refused, a trader who sees a queued change exits before it bites, the bond floor covers a respond, and
 * self-liquidation never pays at any legal setting (fast-check over the bounds, on the contracts).
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroHash, id } from "ethers";
import fc from "fast-check";
import { ethers } from "hardhat";
import { ZkMarginRegistry__factory } from "../../../core/contracts";
import { isFlat } from "../../../prover/model";
import { REGISTRY_BOUNDS as B } from "../../../scripts/lib/params";
import {
  E8,
  Governance,
  type Sys,
  UNIT,
  USDC,
  WETH,
  baseFixture,
  certOf,
  challenge,
  liquidate,
  loadFixture,
  pack16,
  pastExclusive,
  recordsIn,
  refreshFeeds,
  revive,
  usdc,
  weth,
} from "../../helpers/registry";
import { ETH, openedFixture, pastFreshness } from "./fixtures";

const BPS = 10_000n;

type Timing = Sys["params"]["timing"];
type Incentives = Sys["params"]["incentives"];
interface Deleverage {
  targetFactorBps: number;
  feeBps: number;
  keeperShareBps: number;
  minValue: bigint;
}

/** The registry's constructor arguments of the fixture's deployment, with `patch` applied. */
function deployment(f: Sys, patch: Record<string, unknown> = {}) {
  const a = f.addresses;
  const d = f.params.deleverage;
  return {
    owner: a.timelock,
    oracle: a.oracle,
    risk: a.risk,
    fund: a.fund,
    auction: a.auction,
    updateVerifier: a["verifier.update"],
    certificateVerifier: a["verifier.certificate"],
    deleverageVerifier: a["verifier.deleverage"],
    equityVerifier: a["verifier.equity"],
    batchVerifier: a["verifier.batch"],
    tokens: [a["token.USDC"], a["token.WETH"]],
    haircuts: pack16([10_000n, 8_000n]),
    timing: f.params.timing,
    incentives: f.params.incentives,
    deleverage: {
      targetFactorBps: d.targetFactorBps,
      feeBps: d.feeBps,
      keeperShareBps: d.keeperShareBps,
      minValue: BigInt(d.minValueQuote) * 10n ** 6n,
    } as Deleverage,
    ...patch,
  };
}

function factory(f: Sys) {
  const a = f.addresses;
  return new ZkMarginRegistry__factory(
    {
      "contracts/registry/logic/AccountLogic.sol:AccountLogic": a["library.account"],
      "contracts/registry/logic/ChallengeLogic.sol:ChallengeLogic": a["library.challenge"],
      "contracts/registry/logic/LiquidationLogic.sol:LiquidationLogic": a["library.liquidation"],
    },
    f.owner,
  );
}

describe("ZkMarginRegistry v2: governance and bounds", function () {
  describe("Bounds (every setting safe on its own)", () => {
    const t = (x: Partial<Timing>) => (f: Sys) => ({ timing: { ...f.params.timing, ...x } });
    const i = (x: Partial<Incentives>) => (f: Sys) => ({ incentives: { ...f.params.incentives, ...x } });
    const dl = (x: Partial<Deleverage>) => (f: Sys) => ({ deleverage: { ...deployment(f).deleverage, ...x } });
    const day = 86_400;
    const refused: [string, (f: Sys) => Record<string, unknown>][] = [
      ["responseWindow", t({ responseWindow: B.MIN_WINDOW - 1 })],
      ["responseWindow", t({ responseWindow: B.MAX_WINDOW + 1, freshness: 30 * day })],
      ["freshness", t({ freshness: 600 * B.FRESHNESS_WINDOWS - 1 })],
      ["freshness", t({ freshness: B.MAX_FRESHNESS + 1 })],
      ["exclusivePeriod", t({ exclusivePeriod: 600 })],
      ["claimWindow", t({ claimWindow: B.MIN_CLAIM_WINDOW - 1 })],
      ["claimWindow", t({ claimWindow: B.MAX_CLAIM_WINDOW + 1 })],
      ["bountyRamp", t({ bountyRamp: B.MAX_BOUNTY_RAMP + 1 })],
      ["maxStretchBps", t({ maxStretchBps: 9_999 })],
      ["maxStretchBps", t({ maxStretchBps: B.MAX_STRETCH_BPS + 1 })],
      ["bond", i({ bond: B.MIN_BOND - 1n })],
      ["bond", i({ bond: B.MAX_BOND + 1n })],
      ["penaltyBps", i({ penaltyBps: B.MAX_PENALTY_BPS + 1 })],
      ["bountyMaxBps", i({ bountyMaxBps: B.MAX_BOUNTY_BPS + 1, penaltyBps: 2_000 })],
      ["bountyMaxBps", i({ bountyMaxBps: 200, penaltyBps: 199 })],
      ["bountyMinBps", i({ bountyMinBps: 201, bountyMaxBps: 200 })],
      ["bountyCap", i({ bountyCap: 0n })],
      ["bountyCap", i({ bountyCap: B.MAX_BOUNTY_CAP + 1n })],
      ["relayerShareBps", i({ relayerShareBps: B.MAX_RELAYER_SHARE_BPS + 1 })],
      ["targetFactorBps", dl({ targetFactorBps: B.MIN_TARGET_FACTOR_BPS - 1 })],
      ["targetFactorBps", dl({ targetFactorBps: B.MAX_TARGET_FACTOR_BPS + 1 })],
      ["deleverageFeeBps", dl({ feeBps: B.MAX_DELEVERAGE_FEE_BPS + 1 })],
      ["keeperShareBps", dl({ keeperShareBps: B.MAX_KEEPER_SHARE_BPS + 1 })],
      ["minValue", dl({ minValue: BigInt(B.MIN_MIN_VALUE_QUOTE) * 10n ** 6n - 1n })],
      ["haircuts", () => ({ haircuts: pack16([10_000n, 0n]) })],
      ["haircuts", () => ({ haircuts: pack16([10_000n, 10_001n]) })],
      ["haircuts", () => ({ haircuts: pack16([10_000n, 8_000n, 5_000n]) })],
    ];
    for (const [name, patch] of refused) {
      it(`refuses ${name} out of bounds at deployment (Registry__BadParameter("${name}"))`, async () => {
        const f = await loadFixture(baseFixture);
        await expect(factory(f).deploy(deployment(f, patch(f))))
          .to.be.revertedWithCustomError(f.registry, "Registry__BadParameter")
          .withArgs(name);
      });
    }

    it("accepts every bound exactly at its edge", async () => {
      const f = await loadFixture(baseFixture);
      const edge = deployment(f, {
        timing: { ...f.params.timing, responseWindow: 600, freshness: 600 * B.FRESHNESS_WINDOWS, exclusivePeriod: 599 },
        incentives: { ...f.params.incentives, bond: B.MIN_BOND, bountyMaxBps: 500, penaltyBps: 500, bountyMinBps: 500 },
      });
      await (await factory(f).deploy(edge)).waitForDeployment();
    });

    it("refuses collateral the oracle does not price (Registry__BadAssets)", async () => {
      const f = await loadFixture(baseFixture);
      const a = f.addresses;
      for (const tokens of [[], [a["token.USDC"]], [a["token.USDC"], a["token.WETH"], a["token.WETH"]]]) {
        await expect(factory(f).deploy(deployment(f, { tokens }))).to.be.revertedWithCustomError(
          f.registry,
          "Registry__BadAssets",
        );
      }
    });

    it("refuses an out-of-bounds setting through the timelock too", async () => {
      const f = await loadFixture(baseFixture);
      const bad = { ...f.params.timing, freshness: 2 * f.params.timing.responseWindow };
      await expect(
        new Governance(f.timelock).run(f, f.registry, f.registry.interface.encodeFunctionData("setTiming", [bad])),
      )
        .to.be.revertedWithCustomError(f.registry, "Registry__BadParameter")
        .withArgs("freshness");
    });

    it("keeps the bond above a respond's gas at the floor gas price", async () => {
      expect(B.MIN_BOND).to.equal(B.RESPOND_GAS * B.FLOOR_GAS_PRICE);
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      await pastFreshness(f);
      const r = await challenge(f, f.keeper, alice.address);
      const p = await alice.planRespond(r);
      const rc = await (await f.registry.connect(f.relayer).respond(alice.address, r, p.d, p.pm, p.proof)).wait();
      expect(rc!.gasUsed).to.be.at.most(B.RESPOND_GAS);
      expect(rc!.gasUsed * B.FLOOR_GAS_PRICE).to.be.at.most(BigInt(f.params.incentives.bond));
    });
  });

  describe("the timelock", () => {
    it("makes an instant parameter change impossible", async () => {
      const f = await loadFixture(baseFixture);
      const i = { ...f.params.incentives, bountyMaxBps: 500, penaltyBps: 500 };
      await expect(f.registry.connect(f.owner).setIncentives(i)).to.be.revertedWithCustomError(
        f.registry,
        "OwnableUnauthorizedAccount",
      );
      await expect(f.registry.connect(f.guardian).setIncentives(i)).to.be.revertedWithCustomError(
        f.registry,
        "OwnableUnauthorizedAccount",
      );
      const data = f.registry.interface.encodeFunctionData("setIncentives", [i]);
      const salt = id("instant");
      const delay = await f.timelock.getMinDelay();
      await (await f.timelock.schedule(f.registry, 0n, data, ZeroHash, salt, delay)).wait();
      await expect(f.timelock.execute(f.registry, 0n, data, ZeroHash, salt)).to.be.revertedWithCustomError(
        f.timelock,
        "TimelockUnexpectedOperationState",
      );
      await expect(
        f.timelock.schedule(f.registry, 0n, data, ZeroHash, id("short"), delay - 1n),
      ).to.be.revertedWithCustomError(f.timelock, "TimelockInsufficientDelay");
      await time.increase(delay);
      await (await f.timelock.execute(f.registry, 0n, data, ZeroHash, salt)).wait();
      expect((await f.registry.incentives()).penaltyBps).to.equal(500n);
    });

    it("refuses every change once the timelock's delay is below requiredDelay()", async () => {
      const f = await loadFixture(baseFixture);
      const gov = new Governance(f.timelock);
      await gov.run(f, f.timelock, f.timelock.interface.encodeFunctionData("updateDelay", [3_600]));
      expect(await f.timelock.getMinDelay()).to.equal(3_600n);
      const required = await f.registry.requiredDelay();
      expect(required).to.be.greaterThan(3_600n);
      await expect(
        gov.run(f, f.registry, f.registry.interface.encodeFunctionData("setHaircuts", [pack16([10_000n, 9_000n])])),
      )
        .to.be.revertedWithCustomError(f.registry, "Governed__DelayTooShort")
        .withArgs(3_600n, required);
    });

    it("refuses timing that would need a longer delay than the timelock's", async () => {
      const f = await loadFixture(baseFixture);
      const t = { ...f.params.timing, freshness: 3 * 86_400 };
      await expect(
        new Governance(f.timelock).run(f, f.registry, f.registry.interface.encodeFunctionData("setTiming", [t])),
      ).to.be.revertedWithCustomError(f.registry, "Governed__DelayTooShort");
    });

    it("requires a delay longer than freshness + the stretched window + the exclusive period", async () => {
      const f = await loadFixture(baseFixture);
      const t = f.params.timing;
      const required = await f.registry.requiredDelay();
      expect(required).to.equal(
        BigInt(t.freshness) +
          (BigInt(t.responseWindow) * BigInt(t.maxStretchBps)) / BPS +
          BigInt(t.exclusivePeriod) +
          BigInt(B.EXIT_MARGIN),
      );
      expect(await f.timelock.getMinDelay()).to.be.at.least(required);
    });

    it("lets a trader who sees a queued maintenance increase and feed swap close and withdraw in time", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      const fake = await (await ethers.getContractFactory("TestAggregator")).deploy(8, 1_000n * E8);
      await fake.waitForDeployment();
      const gov = new Governance(f.timelock);
      const hike = await gov.schedule(
        f.risk,
        f.risk.interface.encodeFunctionData("setMarketBounds", [ETH, { baseBps: 5_000, minBps: 5_000, maxBps: 5_000 }]),
      );
      const swap = await gov.schedule(
        f.oracle,
        f.oracle.interface.encodeFunctionData("setMarketFeed", [ETH, await fake.getAddress(), 3_600]),
      );
      // both are public from now on: the trader reads the timelock's CallScheduled events and leaves
      const queued = await f.timelock.queryFilter(f.timelock.filters.CallScheduled());
      expect(queued.map((e) => e.args.target)).to.include.members([f.addresses.risk, f.addresses.oracle]);
      await time.increase(3_600);
      await refreshFeeds(f);
      const usdcBefore = await f.tokens[USDC].balanceOf(alice.address);
      const wethBefore = await f.tokens[WETH].balanceOf(alice.address);
      await alice.update(
        { kind: "reduce", market: ETH, size: 2n * UNIT },
        { withdraw: { asset: USDC, amount: usdc(10_000) } },
      );
      await alice.update({ kind: "none" }, { withdraw: { asset: WETH, amount: weth(2) } });
      expect(isFlat(alice.state)).to.equal(true);
      await expect(hike()).to.be.revertedWithCustomError(f.timelock, "TimelockUnexpectedOperationState");
      await time.increase(await f.timelock.getMinDelay());
      await hike();
      await swap();
      await refreshFeeds(f);
      await (await fake.setAnswer(1_000n * E8)).wait();
      expect(await f.tokens[USDC].balanceOf(alice.address)).to.equal(usdcBefore + usdc(10_000));
      expect(await f.tokens[WETH].balanceOf(alice.address)).to.equal(wethBefore + weth(2));
      expect(await f.registry.collateralOf(alice.address)).to.deep.equal([0n, 0n, 0n, 0n]);
      // her account is now challengeable (maintenance 50% > proven), and there is nothing to seize
      const cert = await certOf(f, alice.address);
      const r = await (await f.registry.connect(f.keeper).challenge(alice.address, cert, { value: f.bond })).wait();
      expect(r!.status).to.equal(1);
    });

    it("lets the guardian only pause, for at most MAX_PAUSE, and unpause", async () => {
      const f = await loadFixture(baseFixture);
      await expect(f.registry.connect(f.guardian).setGuardian(f.keeper.address)).to.be.revertedWithCustomError(
        f.registry,
        "OwnableUnauthorizedAccount",
      );
      await expect(f.registry.connect(f.keeper).initGuardian(f.keeper.address)).to.be.revertedWithCustomError(
        f.registry,
        "Governed__NotGuardian",
      );
      await (await f.registry.connect(f.guardian).pause(0)).wait();
      expect(await f.registry.pausedUntil()).to.equal(BigInt(await time.latest()) + (await f.registry.MAX_PAUSE()));
      await time.increase(await f.registry.MAX_PAUSE());
      expect(await f.registry.paused()).to.equal(false);
    });
  });

  describe("self-liquidation never pays", () => {
    /** A legal incentive setting (Bounds), drawn uniformly per field. */
    const legal = fc
      .record({
        penaltyBps: fc.integer({ min: 0, max: B.MAX_PENALTY_BPS }),
        maxFrac: fc.integer({ min: 0, max: 10_000 }),
        minFrac: fc.integer({ min: 0, max: 10_000 }),
        bond: fc.bigInt({ min: B.MIN_BOND, max: 10n ** 17n }),
        bountyCap: fc.bigInt({ min: 1n, max: B.MAX_BOUNTY_CAP }),
        relayerShareBps: fc.integer({ min: 0, max: B.MAX_RELAYER_SHARE_BPS }),
      })
      .map((x) => {
        const maxBps = Math.floor((Math.min(x.penaltyBps, B.MAX_BOUNTY_BPS) * x.maxFrac) / 10_000);
        return {
          bond: x.bond,
          bountyMinBps: Math.floor((maxBps * x.minFrac) / 10_000),
          bountyMaxBps: maxBps,
          penaltyBps: x.penaltyBps,
          relayerShareBps: x.relayerShareBps,
          bountyCap: x.bountyCap,
        };
      });

    it("at any legal setting: bounty + the largest claim <= what withdrawing returns (property, on chain)", async () => {
      const f = await loadFixture(baseFixture);
      const gov = new Governance(f.timelock);
      const ramp = BigInt(f.params.timing.bountyRamp);
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(
          legal,
          fc.integer({ min: 1, max: 10_000 }), // WETH haircut
          fc.bigInt({ min: 0n, max: usdc(1_000_000) }),
          fc.bigInt({ min: 0n, max: weth(300) }),
          fc.bigInt({ min: 1n, max: 3n * ramp }),
          async (inc, haircut, u, w, at) => {
            runs++;
            await gov.run(f, f.registry, f.registry.interface.encodeFunctionData("setIncentives", [inc]));
            await gov.run(
              f,
              f.registry,
              f.registry.interface.encodeFunctionData("setHaircuts", [pack16([10_000n, BigInt(haircut)])]),
            );
            // the owner and a second address it controls, both fresh
            const owner = ethers.Wallet.createRandom().connect(ethers.provider);
            const self = ethers.Wallet.createRandom().connect(ethers.provider);
            for (const s of [owner, self]) {
              await ethers.provider.send("hardhat_setBalance", [s.address, "0x56bc75e2d63100000"]);
            }
            const reg = f.registry.connect(owner);
            await (await reg.openAccount()).wait();
            if (u > 0n) await fund(f, owner, USDC, u);
            if (w > 0n) await fund(f, owner, WETH, w);
            await pastFreshness(f);
            const cert = await certOf(f, owner.address);
            const rc = await (
              await f.registry.connect(self).challenge(owner.address, cert, { value: inc.bond })
            ).wait();
            const record = recordsIn(f, rc).get(owner.address)!;
            await pastExclusive(f, record, at);
            const { record: liq, receipt } = await liquidate(f, self as never, owner.address, record);
            // what the second address got, at the oracle's prices (no haircut), and the owner's largest claim
            const usdcGot = await f.tokens[USDC].balanceOf(self.address);
            const wethGot = await f.tokens[WETH].balanceOf(self.address);
            const bountyValue = usdcGot * 10n ** 12n + (wethGot * 3_000n * E8 * 10n ** 10n) / 10n ** 18n;
            const claim = liq.value > liq.penalty ? liq.value - liq.penalty : 0n;
            const withdrawn = u * 10n ** 12n + (w * 3_000n * E8 * 10n ** 10n) / 10n ** 18n;
            expect(bountyValue + claim).to.be.at.most(withdrawn);
            // and, value for value (the same haircut value V), the bounty never exceeds the penalty
            const [e] = receipt.logs
              .map((l) => f.registry.interface.parseLog(l))
              .filter((x) => x?.name === "Liquidated");
            expect(e!.args.bountyValue).to.be.at.most(liq.penalty);
          },
        ),
        { numRuns: 12, seed: 20_260_301 },
      );
      expect(runs).to.equal(12);
    });
  });
});

async function fund(
  f: Sys,
  who: import("ethers").Signer & { address: string },
  asset: number,
  amount: bigint,
): Promise<void> {
  const token = f.tokens[asset];
  await (await token.mint(who.address, amount)).wait();
  await (await token.connect(who).approve(f.registry, amount)).wait();
  await (await f.registry.connect(who).deposit(asset, amount)).wait();
}
