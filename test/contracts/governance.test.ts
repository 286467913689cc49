import { expect } from "chai";
import { poseidon4 } from "poseidon-lite";
import { commitment, emptyState } from "../../prover/model";
import type { Incentives, Timing } from "../../scripts/lib/deploy";
import { DEFAULTS, type System, USDC, WETH, advance, deploySystem, time } from "../helpers/system";

type Four = [number, number, number, number];
const HOUR = 3600n;
const DAY = 86_400n;
const E18 = 10n ** 18n;

const MIN_TIMING: Timing = { freshness: HOUR, responseWindow: 300n, exclusivePeriod: 0n, claimWindow: DAY };
const MAX_TIMING: Timing = {
  freshness: 30n * DAY,
  responseWindow: 7n * DAY,
  exclusivePeriod: DAY,
  claimWindow: 180n * DAY,
};
const MIN_INCENTIVES: Incentives = { bond: 10n ** 12n, bandBps: 10, bountyBps: 0, penaltyBps: 0, bountyCap: 0n };
const MAX_INCENTIVES: Incentives = {
  bond: 100n * E18,
  bandBps: 5000,
  bountyBps: 1000,
  penaltyBps: 2000,
  bountyCap: 2n ** 128n - 1n,
};

const timingArgs = (t: Timing) => [t.freshness, t.responseWindow, t.exclusivePeriod, t.claimWindow];
const incentiveArgs = (i: Incentives) => [i.bond, i.bandBps, i.bountyBps, i.penaltyBps, i.bountyCap];

describe("Registry governance (RegistryConfig)", () => {
  let sys: System;
  beforeEach(async () => {
    sys = await deploySystem();
  });
  const stranger = () => sys.traders[5];

  describe("setTiming", () => {
    for (const [label, t] of [
      ["lower", MIN_TIMING],
      ["upper", MAX_TIMING],
    ] as const) {
      it(`accepts every timing parameter at its ${label} bound and emits TimingSet`, async () => {
        await expect(sys.registry.setTiming(t))
          .to.emit(sys.registry, "TimingSet")
          .withArgs(...timingArgs(t));
        expect([...(await sys.registry.timing())]).to.deep.equal(timingArgs(t));
      });
    }

    const outside: [string, Partial<Timing>][] = [
      ["freshness", { freshness: HOUR - 1n }],
      ["freshness", { freshness: 30n * DAY + 1n }],
      ["responseWindow", { responseWindow: 299n }],
      ["responseWindow", { responseWindow: 7n * DAY + 1n }],
      ["exclusivePeriod", { exclusivePeriod: DAY + 1n }],
      ["claimWindow", { claimWindow: DAY - 1n }],
      ["claimWindow", { claimWindow: 180n * DAY + 1n }],
    ];
    for (const [name, change] of outside) {
      const [field, value] = Object.entries(change)[0];
      it(`rejects ${field} = ${value} with Registry__BadParameter("${name}")`, async () => {
        await expect(sys.registry.setTiming({ ...DEFAULTS.timing, ...change }))
          .to.be.revertedWithCustomError(sys.registry, "Registry__BadParameter")
          .withArgs(name);
      });
    }

    it("rejects a non-owner with OwnableUnauthorizedAccount", async () => {
      await expect(sys.registry.connect(stranger()).setTiming(MIN_TIMING))
        .to.be.revertedWithCustomError(sys.registry, "OwnableUnauthorizedAccount")
        .withArgs(stranger().address);
    });
  });

  describe("setIncentives", () => {
    for (const [label, i] of [
      ["lower", MIN_INCENTIVES],
      ["upper", MAX_INCENTIVES],
    ] as const) {
      it(`accepts every incentive parameter at its ${label} bound and emits IncentivesSet`, async () => {
        await expect(sys.registry.setIncentives(i))
          .to.emit(sys.registry, "IncentivesSet")
          .withArgs(...incentiveArgs(i));
        expect([...(await sys.registry.incentives())]).to.deep.equal(incentiveArgs(i).map(BigInt));
      });
    }

    const outside: [string, Partial<Incentives>][] = [
      ["bond", { bond: 10n ** 12n - 1n }],
      ["bond", { bond: 100n * E18 + 1n }],
      ["bandBps", { bandBps: 9 }],
      ["bandBps", { bandBps: 5001 }],
      ["bountyBps", { bountyBps: 1001 }],
      ["penaltyBps", { penaltyBps: 2001 }],
    ];
    for (const [name, change] of outside) {
      const [field, value] = Object.entries(change)[0];
      it(`rejects ${field} = ${value} with Registry__BadParameter("${name}")`, async () => {
        await expect(sys.registry.setIncentives({ ...DEFAULTS.incentives, ...change }))
          .to.be.revertedWithCustomError(sys.registry, "Registry__BadParameter")
          .withArgs(name);
      });
    }

    it("rejects a non-owner with OwnableUnauthorizedAccount", async () => {
      await expect(sys.registry.connect(stranger()).setIncentives(MIN_INCENTIVES))
        .to.be.revertedWithCustomError(sys.registry, "OwnableUnauthorizedAccount")
        .withArgs(stranger().address);
    });
  });

  describe("setRatios", () => {
    const cases: [string, Four, Four][] = [
      ["mm = im at the lower bound (1 bp)", [1, 1, 1, 1], [1, 1, 1, 1]],
      ["mm = im at the upper bound (100%)", [10_000, 10_000, 10_000, 10_000], [10_000, 10_000, 10_000, 10_000]],
      ["distinct ratios per market", [1, 250, 5_000, 9_999], [10_000, 250, 7_500, 10_000]],
    ];
    for (const [label, mm, im] of cases) {
      it(`accepts ${label}, stores mmHash = poseidon4(mm) and emits RatiosSet`, async () => {
        const hash = poseidon4(mm);
        await expect(sys.registry.setRatios(mm, im)).to.emit(sys.registry, "RatiosSet").withArgs(mm, im, hash);
        expect(await sys.registry.mmHash()).to.equal(hash);
        const [storedMm, storedIm] = await sys.registry.ratios();
        expect([[...storedMm], [...storedIm]]).to.deep.equal([mm.map(BigInt), im.map(BigInt)]);
      });
    }

    it("stores the deployment's mmHash as poseidon4 of the default maintenance ratios", async () => {
      expect(await sys.registry.mmHash()).to.equal(poseidon4(DEFAULTS.mmBps));
    });

    const bad: [string, Four, Four][] = [
      ["mm = 0 in market 0", [0, 400, 800, 1000], DEFAULTS.imBps],
      ["mm > im in market 3", DEFAULTS.mmBps, [1000, 800, 1600, 999]],
      ["im > 10000 in market 1", [500, 10_001, 800, 1000], [1000, 10_001, 1600, 2000]],
    ];
    for (const [label, mm, im] of bad) {
      it(`rejects ${label} with Registry__BadParameter("ratios")`, async () => {
        await expect(sys.registry.setRatios(mm, im))
          .to.be.revertedWithCustomError(sys.registry, "Registry__BadParameter")
          .withArgs("ratios");
      });
    }

    it("rejects a non-owner with OwnableUnauthorizedAccount", async () => {
      await expect(sys.registry.connect(stranger()).setRatios(DEFAULTS.mmBps, DEFAULTS.imBps))
        .to.be.revertedWithCustomError(sys.registry, "OwnableUnauthorizedAccount")
        .withArgs(stranger().address);
    });
  });

  describe("setHaircut and setGuardian", () => {
    it("accepts haircuts of 1 bp and 100%, emitting HaircutSet", async () => {
      await expect(sys.registry.setHaircut(WETH, 1)).to.emit(sys.registry, "HaircutSet").withArgs(WETH, 1);
      await expect(sys.registry.setHaircut(USDC, 10_000)).to.emit(sys.registry, "HaircutSet").withArgs(USDC, 10_000);
      expect((await sys.registry.assets())[1].haircutBps).to.equal(1n);
    });

    for (const h of [0, 10_001]) {
      it(`rejects a haircut of ${h} with Vault__BadHaircut`, async () => {
        await expect(sys.registry.setHaircut(WETH, h))
          .to.be.revertedWithCustomError(sys.registry, "Vault__BadHaircut")
          .withArgs(h);
      });
    }

    it("rejects an unknown asset with Vault__UnknownAsset", async () => {
      await expect(sys.registry.setHaircut(2, 5000))
        .to.be.revertedWithCustomError(sys.registry, "Vault__UnknownAsset")
        .withArgs(2);
    });

    it("rejects a non-owner setting a haircut or the guardian with OwnableUnauthorizedAccount", async () => {
      const r = sys.registry.connect(stranger());
      await expect(r.setHaircut(WETH, 5000)).to.be.revertedWithCustomError(sys.registry, "OwnableUnauthorizedAccount");
      await expect(r.setGuardian(stranger().address)).to.be.revertedWithCustomError(
        sys.registry,
        "OwnableUnauthorizedAccount",
      );
    });

    it("sets a new guardian with GuardianSet, and the old guardian loses the pause", async () => {
      await expect(sys.registry.setGuardian(sys.keeper.address))
        .to.emit(sys.registry, "GuardianSet")
        .withArgs(sys.keeper.address);
      expect(await sys.registry.guardian()).to.equal(sys.keeper.address);
      await expect(sys.registry.connect(sys.guardian).pauseChallenges()).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotGuardian",
      );
      await expect(sys.registry.connect(sys.keeper).pauseChallenges()).to.emit(sys.registry, "ChallengesPaused");
    });
  });

  describe("pause", () => {
    it("lets the guardian pause and the owner unpause", async () => {
      await expect(sys.registry.connect(sys.guardian).pauseChallenges())
        .to.emit(sys.registry, "ChallengesPaused")
        .withArgs(sys.guardian.address);
      expect(await sys.registry.challengesPaused()).to.equal(true);
      await expect(sys.registry.connect(sys.owner).unpauseChallenges()).to.emit(sys.registry, "ChallengesUnpaused");
      expect(await sys.registry.challengesPaused()).to.equal(false);
    });

    it("lets the owner pause and the guardian unpause", async () => {
      await expect(sys.registry.connect(sys.owner).pauseChallenges())
        .to.emit(sys.registry, "ChallengesPaused")
        .withArgs(sys.owner.address);
      await expect(sys.registry.connect(sys.guardian).unpauseChallenges()).to.emit(sys.registry, "ChallengesUnpaused");
    });

    it("rejects pause and unpause from anyone else with Registry__NotGuardian", async () => {
      await expect(sys.registry.connect(stranger()).pauseChallenges()).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotGuardian",
      );
      await sys.registry.connect(sys.guardian).pauseChallenges();
      await expect(sys.registry.connect(stranger()).unpauseChallenges()).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotGuardian",
      );
    });

    it("rejects a second pause with Registry__Paused and an unpause when not paused with Registry__NotPaused", async () => {
      await expect(sys.registry.connect(sys.guardian).unpauseChallenges()).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotPaused",
      );
      await sys.registry.connect(sys.guardian).pauseChallenges();
      await expect(sys.registry.connect(sys.owner).pauseChallenges()).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__Paused",
      );
    });

    it("rejects challenge and challengeBatch of a stale account with Registry__Paused until unpaused", async () => {
      const trader = sys.traders[0];
      await sys.registry.connect(trader).openAccount();
      await advance(sys, DEFAULTS.timing.freshness + 1n);
      expect(await sys.registry.isChallengeable(trader.address)).to.equal(true);
      await sys.registry.connect(sys.guardian).pauseChallenges();
      const keeper = sys.registry.connect(sys.keeper);
      await expect(keeper.challenge(trader.address, { value: sys.bond })).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__Paused",
      );
      await expect(keeper.challengeBatch([trader.address], { value: sys.bond })).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__Paused",
      );
      await sys.registry.connect(sys.guardian).unpauseChallenges();
      await expect(keeper.challenge(trader.address, { value: sys.bond })).to.emit(sys.registry, "Challenged");
    });

    it("counts paused time in pauseClock, including an ongoing pause, across two pauses", async () => {
      const r = sys.registry.connect(sys.guardian);
      const t0 = BigInt(await time.latest()) + 10n;
      expect(await r.pauseClock()).to.equal(0n);
      await time.setNextBlockTimestamp(t0);
      await r.pauseChallenges();
      await time.increaseTo(t0 + 100n);
      expect(await r.pauseClock()).to.equal(100n);
      await time.setNextBlockTimestamp(t0 + 250n);
      await expect(r.unpauseChallenges())
        .to.emit(sys.registry, "ChallengesUnpaused")
        .withArgs(sys.guardian.address, 250n);
      await time.increaseTo(t0 + 1000n);
      expect(await r.pauseClock()).to.equal(250n);
      await time.setNextBlockTimestamp(t0 + 2000n);
      await r.pauseChallenges();
      await time.setNextBlockTimestamp(t0 + 2040n);
      await expect(r.unpauseChallenges())
        .to.emit(sys.registry, "ChallengesUnpaused")
        .withArgs(sys.guardian.address, 40n);
      expect(await r.pauseClock()).to.equal(290n);
    });
  });

  describe("two-step ownership", () => {
    it("moves ownership only when the pending owner accepts; until then the pending owner cannot act", async () => {
      const next = sys.traders[4];
      await expect(sys.registry.transferOwnership(next.address))
        .to.emit(sys.registry, "OwnershipTransferStarted")
        .withArgs(sys.owner.address, next.address);
      expect(await sys.registry.owner()).to.equal(sys.owner.address);
      expect(await sys.registry.pendingOwner()).to.equal(next.address);
      await expect(sys.registry.connect(next).setGuardian(next.address))
        .to.be.revertedWithCustomError(sys.registry, "OwnableUnauthorizedAccount")
        .withArgs(next.address);
      await expect(sys.registry.connect(stranger()).acceptOwnership())
        .to.be.revertedWithCustomError(sys.registry, "OwnableUnauthorizedAccount")
        .withArgs(stranger().address);
      await expect(sys.registry.connect(next).acceptOwnership())
        .to.emit(sys.registry, "OwnershipTransferred")
        .withArgs(sys.owner.address, next.address);
      expect(await sys.registry.owner()).to.equal(next.address);
      await expect(sys.registry.connect(next).setTiming(MAX_TIMING)).to.emit(sys.registry, "TimingSet");
      await expect(sys.registry.connect(sys.owner).setTiming(MIN_TIMING))
        .to.be.revertedWithCustomError(sys.registry, "OwnableUnauthorizedAccount")
        .withArgs(sys.owner.address);
    });
  });

  describe("public inputs", () => {
    it("opens an account at EMPTY_COMMITMENT = commitment(emptyState(4)) of the prover model", async () => {
      const trader = sys.traders[0];
      await expect(sys.registry.connect(trader).openAccount())
        .to.emit(sys.registry, "AccountOpened")
        .withArgs(trader.address, commitment(emptyState(4)));
      expect((await sys.registry.accountOf(trader.address)).commitment).to.equal(commitment(emptyState(4)));
    });
  });
});
