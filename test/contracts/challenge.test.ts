import { expect } from "chai";
import { ethers } from "hardhat";
import { Side, contextOf, solvencyInputs } from "../../prover/model";
import { unpackPrices } from "../../core/encoding";
import type { SolidityProof } from "../../prover/lib/circuits";
import {
  DEFAULTS,
  E8,
  Trader,
  UNIT,
  USDC,
  advance,
  deploySystem,
  keys,
  proofArgs,
  setPrice,
  time,
  usdc,
  type System,
} from "../helpers/system";

const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n; // BN254 base field

/** Groth16 malleability: (-A, -B, C) verifies for the same public inputs. */
function malleate(p: SolidityProof): SolidityProof {
  return {
    a: [p.a[0], (Q - p.a[1]) % Q],
    b: [p.b[0], [(Q - p.b[1][0]) % Q, (Q - p.b[1][1]) % Q]],
    c: p.c,
  };
}

async function longEth(sys: System, i = 0, collateral = usdc(5_000)): Promise<Trader> {
  const t = await new Trader(sys.traders[i], sys).open([{ asset: USDC, amount: collateral }]);
  await t.update({ kind: "increase", market: 0, size: 10n * UNIT, side: Side.Long });
  return t;
}

describe("Registry: challenge, respond and prove", () => {
  describe("challenge", () => {
    it("refuses to challenge a fresh account and one whose prices moved within the band", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys);
      const k = sys.registry.connect(sys.keeper);
      await expect(k.challenge(alice.address, { value: sys.bond })).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotStale",
      );
      await setPrice(sys, 0, 3_149n * E8); // +4.97% < 5%
      await expect(k.challenge(alice.address, { value: sys.bond })).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotStale",
      );
      expect(await sys.registry.isChallengeable(alice.address)).to.equal(false);
    });

    it("challenges after a move beyond the band: pins prices, bumps the nonce, sets the deadline", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys);
      await setPrice(sys, 0, 3_151n * E8); // +5.03%
      expect(await sys.registry.isChallengeable(alice.address)).to.equal(true);
      const tx = sys.registry.connect(sys.keeper).challenge(alice.address, { value: sys.bond });
      await expect(tx).to.emit(sys.registry, "Challenged");
      const ch = await sys.registry.challengeOf(alice.address);
      expect(unpackPrices(ch.marketPrices)).to.deep.equal([3_151n * E8, ...DEFAULTS.marketPrices.slice(1)]);
      expect(ch.nonce).to.equal(2n);
      expect(ch.challenger).to.equal(sys.keeper.address);
      expect(ch.deadline).to.equal(BigInt(await time.latest()) + DEFAULTS.timing.responseWindow);
    });

    it("challenges an account whose proof is older than the freshness period", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys);
      await advance(sys, DEFAULTS.timing.freshness - 10n);
      expect(await sys.registry.isChallengeable(alice.address)).to.equal(false);
      await advance(sys, 20);
      await sys.registry.connect(sys.keeper).challenge(alice.address, { value: sys.bond });
    });

    it("rejects a wrong bond, a second challenge, an unopened account and a paused registry", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys);
      await setPrice(sys, 0, 3_500n * E8);
      const k = sys.registry.connect(sys.keeper);
      await expect(k.challenge(alice.address, { value: sys.bond - 1n })).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__WrongBond",
      );
      await expect(k.challenge(sys.traders[5].address, { value: sys.bond })).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotStale",
      );
      await sys.registry.connect(sys.guardian).pauseChallenges();
      await expect(k.challenge(alice.address, { value: sys.bond })).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__Paused",
      );
      await sys.registry.connect(sys.guardian).unpauseChallenges();
      await k.challenge(alice.address, { value: sys.bond });
      await expect(k.challenge(alice.address, { value: sys.bond })).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotStale",
      );
    });
  });

  describe("respond", () => {
    it("accepts a relayed answer: the challenge closes, the bond goes to the owner, the snapshot refreshes", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys);
      await setPrice(sys, 0, 2_800n * E8);
      await sys.registry.connect(sys.keeper).challenge(alice.address, { value: sys.bond });
      const ch = await sys.registry.challengeOf(alice.address);
      const p = await alice.respondProof();
      const before = await ethers.provider.getBalance(alice.address);
      await expect(sys.registry.connect(sys.keeper2).respond(alice.address, proofArgs(p.proof)))
        .to.emit(sys.registry, "Responded")
        .withArgs(alice.address, ch.nonce, sys.keeper2.address)
        .and.to.emit(sys.registry, "Proven")
        .withArgs(alice.address, ch.nonce, ch.marketPrices, ch.pinnedAt);
      expect(await ethers.provider.getBalance(alice.address)).to.equal(before + sys.bond);
      const acc = await sys.registry.accountOf(alice.address);
      expect(acc.provenPrices).to.equal(ch.marketPrices);
      expect((await sys.registry.challengeOf(alice.address)).deadline).to.equal(0n);
      expect(await sys.registry.isChallengeable(alice.address)).to.equal(false);
    });

    it("lets an owner below maintenance top up while challenged and then answer", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys, 0, usdc(3_000));
      await setPrice(sys, 0, 2_700n * E8); // loss $3,000: equity 0 < 5% of $27,000
      await sys.registry.connect(sys.keeper).challenge(alice.address, { value: sys.bond });
      await expect(alice.respondProof()).to.be.rejectedWith(/below maintenance/);
      await alice.registry.deposit(USDC, usdc(1_500));
      const p = await alice.respondProof();
      await sys.registry.connect(sys.keeper).respond(alice.address, proofArgs(p.proof));
    });

    it("rejects an answer after the deadline, without a challenge, and from another account's proof", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys, 0);
      const bob = await longEth(sys, 1);
      await setPrice(sys, 0, 2_800n * E8);
      const k = sys.registry.connect(sys.keeper);
      await expect(k.respond(alice.address, proofArgs((await bob.proveProof()).proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NoOpenChallenge",
      );
      await k.challenge(alice.address, { value: sys.bond });
      await k.challenge(bob.address, { value: sys.bond });
      const bobs = await bob.respondProof();
      await expect(k.respond(alice.address, proofArgs(bobs.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ProofInvalid",
      );
      const alices = await alice.respondProof();
      await time.increase(DEFAULTS.timing.responseWindow + 1n);
      await expect(k.respond(alice.address, proofArgs(alices.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__DeadlinePassed",
      );
    });

    it("rejects a proof made for another chain or another deployment", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys);
      await setPrice(sys, 0, 2_800n * E8);
      await sys.registry.connect(sys.keeper).challenge(alice.address, { value: sys.bond });
      const ch = await sys.registry.challengeOf(alice.address);
      const value = await sys.registry.pinnedValue(alice.address);
      const [mm] = await sys.registry.ratios();
      const prices = unpackPrices(ch.marketPrices);
      const k = await keys();
      const registry = await sys.registry.getAddress();
      for (const ctx of [
        contextOf(1n, registry, alice.address, ch.nonce),
        contextOf(31337n, sys.keeper.address, alice.address, ch.nonce),
      ]) {
        const p = await k.solvency.prove(solvencyInputs(alice.state, { value, prices }, mm.map(BigInt), ctx));
        await expect(sys.registry.respond(alice.address, proofArgs(p.proof))).to.be.revertedWithCustomError(
          sys.registry,
          "Registry__ProofInvalid",
        );
      }
    });

    it("keys replay protection on (account, challenge): a malleated proof is valid Groth16 but cannot be replayed", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys);
      await setPrice(sys, 0, 2_800n * E8);
      const k = sys.registry.connect(sys.keeper);
      await k.challenge(alice.address, { value: sys.bond });
      const p = await alice.respondProof();
      const mal = malleate(p.proof);
      const verifier = await ethers.getContractAt("SolvencyVerifier", await sys.registry.solvencyVerifier());
      expect(await verifier.verifyProof(mal.a, mal.b, mal.c, p.publicSignals as [bigint, bigint, bigint])).to.equal(
        true,
      );
      await k.respond(alice.address, proofArgs(p.proof));
      await expect(k.respond(alice.address, proofArgs(mal))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NoOpenChallenge",
      );
      await setPrice(sys, 0, 2_500n * E8);
      await k.challenge(alice.address, { value: sys.bond });
      await expect(k.respond(alice.address, proofArgs(mal))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ProofInvalid",
      );
      await expect(k.respond(alice.address, proofArgs(p.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ProofInvalid",
      );
    });
  });

  describe("prove (proactive refresh)", () => {
    it("refreshes the snapshot at current prices and bumps the nonce, so the account is no longer stale", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys);
      await setPrice(sys, 0, 2_900n * E8);
      await advance(sys, DEFAULTS.timing.freshness + 1n);
      expect(await sys.registry.isChallengeable(alice.address)).to.equal(true);
      const p = await alice.proveProof();
      await expect(alice.registry.prove(proofArgs(p.proof))).to.emit(sys.registry, "Proven");
      expect(await sys.registry.isChallengeable(alice.address)).to.equal(false);
      expect((await sys.registry.accountOf(alice.address)).nonce).to.equal(2n);
      // the same proof cannot be used again (the nonce moved)
      await expect(alice.registry.prove(proofArgs(p.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ProofInvalid",
      );
    });

    it("rejects another account's proof and a refresh while challenged", async () => {
      const sys = await deploySystem();
      const alice = await longEth(sys, 0);
      const bob = await longEth(sys, 1);
      const p = await alice.proveProof();
      await expect(bob.registry.prove(proofArgs(p.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ProofInvalid",
      );
      await setPrice(sys, 0, 3_500n * E8);
      const q = await alice.proveProof();
      await sys.registry.connect(sys.keeper).challenge(alice.address, { value: sys.bond });
      await expect(alice.registry.prove(proofArgs(q.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__Challenged",
      );
      await expect(sys.registry.connect(sys.traders[5]).prove(proofArgs(q.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__NotActive",
      );
    });
  });
});
