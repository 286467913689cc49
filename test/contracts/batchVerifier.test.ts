/**
 * BatchVerifier (contracts/verifiers-batch/) against the snarkjs single verifier of the same circuit, with real
 * proofs: a batch verifies exactly when every member does. Derivation: docs/batch-verification.md.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { AbiCoder, solidityPacked } from "ethers";
import fc from "fast-check";
import { ethers } from "hardhat";
import { BatchVerifier__factory } from "../../core/contracts";
import { type CircuitInputs, solvencyInputs } from "../../prover/model";
import {
  BASE_FIELD as Q,
  type G1,
  type G2,
  SCALAR_FIELD as R,
  batchVkHash,
  deployBatchVerifier,
  requireBatchVerifier,
  vkeyArgs,
} from "../../scripts/lib/batchVerifier";
import { type CircuitName, verifierName } from "../../scripts/lib/circuits";
import { CircuitTester } from "../helpers/circuit";
import { MM, PRICES, boundaryValue, ctx, mixedState } from "../helpers/fixtures";
import { Bn254, type Member, member, negG1, negG2 } from "../helpers/groth16";

/**
 * The statement under test, the one place to switch circuits (v2: `certificate`, 4 public inputs, with its
 * input builder): a valid input of `circuit` for each `id` (distinct ids give distinct public inputs).
 */
function statement(id: bigint): { circuit: CircuitName; inputs: CircuitInputs } {
  const s = mixedState();
  const inputs = solvencyInputs(s, { value: boundaryValue(s, PRICES, MM), prices: PRICES }, MM, ctx(id));
  return { circuit: "solvency", inputs };
}

const CIRCUIT = statement(0n).circuit;
/** Distinct valid proofs: enough for the largest batch. */
const PROOFS = 16;
const TWO_256 = 1n << 256n;

type Verify = (a: unknown, b: unknown, c: unknown, s: unknown) => Promise<boolean>;

describe(`BatchVerifier (${CIRCUIT}): k Groth16 proofs in one pairing check`, function () {
  let valid: Member[]; // proofs of statements 1..PROOFS
  let other: Member; // a proof of statement 1000
  let vkey: { nPublic: number; vk_delta_2: string[][] };
  let bn: Bn254;

  before(async function () {
    const tester = await CircuitTester.load(CIRCUIT);
    vkey = tester.vkey as typeof vkey;
    valid = [];
    for (let i = 1; i <= PROOFS; i++) valid.push(await member(await tester.prove(statement(BigInt(i)).inputs)));
    other = await member(await tester.prove(statement(1000n).inputs));
    bn = await Bn254.create(vkey);
  });
  after(async () => bn?.terminate());

  async function deployed() {
    const [signer] = await ethers.getSigners();
    const batch = await deployBatchVerifier(signer, vkey);
    const single = await ethers.deployContract(verifierName(CIRCUIT));
    return { batch, single: single.getFunction("verifyProof") as unknown as Verify };
  }
  let batch: Awaited<ReturnType<typeof deployed>>["batch"];
  let single: Verify;
  beforeEach(async () => {
    ({ batch, single } = await loadFixture(deployed));
  });

  /** The batch's verdict, through both entry points (same transcript, so they must agree). */
  async function batchVerdict(members: Member[]): Promise<boolean> {
    const [a, b, c] = [members.map((m) => m.a), members.map((m) => m.b), members.map((m) => m.c)];
    const nested = await batch.verifyBatch(
      a,
      b,
      c,
      members.map((m) => m.signals),
    );
    const flat = await batch.verifyBatchFlat(
      a,
      b,
      c,
      members.flatMap((m) => m.signals),
    );
    expect(flat, "verifyBatchFlat and verifyBatch disagree").to.equal(nested);
    return nested;
  }
  async function singleVerdict(m: Member): Promise<boolean> {
    return single(m.a, m.b, m.c, m.signals);
  }
  /** Checks the batch against the single verifier: true exactly when every member verifies alone. */
  async function expectBatchMatchesSingles(members: Member[], expected: boolean): Promise<void> {
    const singles = await Promise.all(members.map(singleVerdict));
    expect(singles.every(Boolean), "single verifier's verdict").to.equal(expected);
    expect(await batchVerdict(members), "batch verdict").to.equal(expected);
  }

  const tampered = (m: Member, j = 0): Member => ({
    ...m,
    signals: m.signals.map((s, i) => (i === j ? (s + 1n) % R : s)),
  });

  describe("deployment", () => {
    it("deploys a contract whose code and vkHash match the vkey json byte for byte", async () => {
      expect(await batch.nPublic()).to.equal(BigInt(vkey.nPublic));
      expect(await batch.vkHash()).to.equal(batchVkHash(vkey));
      await requireBatchVerifier(ethers.provider, await batch.getAddress(), vkey);
    });

    it("tells a contract holding another key apart from the vkey json", async () => {
      const [signer] = await ethers.getSigners();
      const swapped = { ...vkey, IC: [...(vkey as unknown as { IC: string[][] }).IC].reverse() };
      const wrong = await deployBatchVerifier(signer, swapped);
      await expect(requireBatchVerifier(ethers.provider, await wrong.getAddress(), vkey)).to.be.rejectedWith(
        /not a BatchVerifier for this verification key/,
      );
    });

    it("refuses a key with more than 7 public inputs, or with IC not nPublic + 1 points, before deploying", async () => {
      const ic = (vkey as unknown as { IC: string[][] }).IC;
      const eight = { ...vkey, nPublic: 8, IC: Array.from({ length: 9 }, (_, j) => ic[j % ic.length]) };
      expect(() => vkeyArgs(eight)).to.throw(/nPublic/);
      expect(() => vkeyArgs({ ...vkey, nPublic: vkey.nPublic + 1 })).to.throw(/nPublic \+ 1/);
    });

    it("refuses keys whose points the precompiles would refuse", async () => {
      const [signer] = await ethers.getSigners();
      const f = new BatchVerifier__factory(signer);
      const [alpha, beta, gamma, delta, ic] = vkeyArgs(vkey);
      const point = async (args: Parameters<typeof f.deploy>, index: number) =>
        expect(f.deploy(...args))
          .to.be.revertedWithCustomError(f, "BatchVerifier__KeyPoint")
          .withArgs(index);
      await point([[alpha[0], alpha[1] + 1n], beta, gamma, delta, ic], 0); // off the curve
      await point([[alpha[0] + Q, alpha[1]], beta, gamma, delta, ic], 0); // coordinate >= q
      await point([[0n, 0n], beta, gamma, delta, ic], 0); // infinity
      await point([alpha, [beta[0], [beta[1][0], beta[1][1] + 1n]], gamma, delta, ic], 1); // off the twist
      await point(
        [
          alpha,
          beta,
          gamma,
          [
            [0n, 0n],
            [0n, 0n],
          ],
          ic,
        ],
        3,
      ); // delta at infinity: C would be free
      await point([alpha, beta, gamma, delta, [...ic.slice(0, -1), [ic[1][0], ic[1][1] + 1n]]], 4 + ic.length - 1);
      const size = (n: number) =>
        expect(f.deploy(alpha, beta, gamma, delta, Array(n).fill(ic[0])))
          .to.be.revertedWithCustomError(f, "BatchVerifier__KeySize")
          .withArgs(n);
      await size(0);
      await size(9);
    });
  });

  describe("a batch verifies exactly when every member does", () => {
    for (const k of [1, 2, 8, 16]) {
      it(`accepts ${k} valid proofs and rejects them with one tampered public input`, async () => {
        const members = valid.slice(0, k);
        await expectBatchMatchesSingles(members, true);
        const bad = [...members];
        bad[k >> 1] = tampered(members[k >> 1], vkey.nPublic - 1);
        await expectBatchMatchesSingles(bad, false);
      });
    }

    it("rejects a batch holding a proof of another statement (its signals swapped in)", async () => {
      await expectBatchMatchesSingles([valid[0], { ...other, signals: valid[1].signals }, valid[2]], false);
      await expectBatchMatchesSingles([valid[0], other], true);
    });

    it("rejects a batch whose last member has a tampered proof point", async () => {
      const bad = { ...valid[3], c: bn.add(valid[3].c, bn.generator) };
      await expectBatchMatchesSingles([valid[0], valid[1], bad], false);
    });

    it("rejects two forged members whose errors cancel in an unweighted sum (r_i differ)", async () => {
      const d = bn.generator;
      const plus = { ...valid[0], c: bn.add(valid[0].c, d) };
      const minus = { ...valid[0], c: bn.sub(valid[0].c, d) };
      // With r_1 = r_2 = 1 the check would pass: prod e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C +- D, delta).
      expect(await unweightedPairing([plus, minus])).to.equal(true);
      await expectBatchMatchesSingles([plus], false);
      await expectBatchMatchesSingles([minus], false);
      await expectBatchMatchesSingles([plus, minus], false);
    });
  });

  describe("malleated members", () => {
    it("accepts negated (-A, -B, C) and re-randomised (A/t, tB + tu delta, C + uA) proofs, as snarkjs does", async () => {
      const neg = bn.negate(valid[0]);
      const rr = bn.rerandomise(valid[1], 0x1234567n, 0x89abcdefn);
      expect(rr.a).to.not.deep.equal(valid[1].a);
      await expectBatchMatchesSingles([neg], true);
      await expectBatchMatchesSingles([rr], true);
      await expectBatchMatchesSingles([neg, rr, valid[0], valid[1]], true);
    });

    it("rejects half-malleated proofs (-A alone, -B alone, C + uA without B's delta term)", async () => {
      const m = valid[2];
      for (const bad of [
        { ...m, a: negG1(m.a) },
        { ...m, b: negG2(m.b) },
        { ...m, c: bn.add(m.c, bn.mul(m.a, 5n)) },
      ]) {
        await expectBatchMatchesSingles([valid[0], bad], false);
      }
    });
  });

  describe("field ranges", () => {
    it("refuses every public signal + r and a signal equal to r (as the single verifier does)", async () => {
      for (let j = 0; j < vkey.nPublic; j++) {
        const plus = { ...valid[1], signals: valid[1].signals.map((s, i) => (i === j ? s + R : s)) };
        await expectBatchMatchesSingles([valid[0], plus], false);
      }
      const atR = { ...valid[1], signals: valid[1].signals.map((s, i) => (i === 0 ? R : s)) };
      await expectBatchMatchesSingles([atR], false);
    });

    it("refuses every proof coordinate + q (as the single verifier does)", async () => {
      const m = valid[4];
      const words = [...m.a, ...m.b.flat(), ...m.c];
      for (let w = 0; w < words.length; w++) {
        const changed = words.map((x, i) => (i === w ? x + Q : x));
        const bad: Member = {
          a: [changed[0], changed[1]],
          b: [
            [changed[2], changed[3]],
            [changed[4], changed[5]],
          ],
          c: [changed[6], changed[7]],
          signals: m.signals,
        };
        await expectBatchMatchesSingles([valid[0], bad], false);
      }
    });

    it("returns false, without reverting, for points off the curve or outside G2 wherever they sit", async () => {
      const offA = (m: Member): Member => ({ ...m, a: [m.a[0], (m.a[1] + 1n) % Q] });
      const offC = (m: Member): Member => ({ ...m, c: [m.c[0], (m.c[1] + 1n) % Q] });
      const outsideG2 = (m: Member): Member => ({ ...m, b: bn.twistPointOutsideG2() });
      for (const bad of [offA, offC, outsideG2]) {
        await expectBatchMatchesSingles([bad(valid[0])], false); // member 0 (r_0 = 1): checked by the pairing
        await expectBatchMatchesSingles([bad(valid[0]), valid[1]], false); // C_0: checked by the first ecAdd
        await expectBatchMatchesSingles([valid[0], bad(valid[1])], false); // A_i, C_i: checked by ecMul
      }
    });

    it("relies on the pairing precompile's G2 subgroup check: it refuses a twist point outside G2", async () => {
      const [, beta] = vkeyArgs(vkey);
      const g: G1 = [1n, 2n];
      const check = (p: G2) => pairingCheck([g, p, negG1(g), p]);
      expect(await check(beta)).to.equal(true);
      await expect(check(bn.twistPointOutsideG2())).to.be.rejected;
    });

    it("refuses the A.y >= q alias that the snarkjs verifier accepts (it negates A.y as (q - A.y) mod q)", async () => {
      // In 256-bit arithmetic q - y' wraps for y' >= q; (2^256 + q - y') mod q = q - A.y when y' = A.y + 2^256 mod q.
      const m = valid[5];
      const alias = ((m.a[1] + TWO_256) % Q) + Q;
      expect(alias < TWO_256 && alias >= Q).to.equal(true);
      const aliased = { ...m, a: [m.a[0], alias] as [bigint, bigint] };
      expect(await singleVerdict(aliased), "the snarkjs verifier accepts the alias").to.equal(true);
      expect(await batchVerdict([aliased]), "the batch verifier refuses it").to.equal(false);
    });
  });

  describe("repeated members", () => {
    it("accepts the same valid proof twice and sixteen times", async () => {
      await expectBatchMatchesSingles([valid[0], valid[0]], true);
      await expectBatchMatchesSingles(Array(16).fill(valid[7]), true);
    });

    it("rejects the same invalid proof twice, and a valid proof repeated around an invalid one", async () => {
      const bad = tampered(valid[0]);
      await expectBatchMatchesSingles([bad, bad], false);
      await expectBatchMatchesSingles([valid[0], bad, valid[0]], false);
    });
  });

  describe("malformed batches revert", () => {
    it("reverts on k = 0, mismatched lengths and a member with the wrong number of signals", async () => {
      const n = vkey.nPublic;
      const [m0, m1] = valid;
      await expect(batch.verifyBatch([], [], [], [])).to.be.revertedWithCustomError(batch, "BatchVerifier__EmptyBatch");
      await expect(batch.verifyBatchFlat([], [], [], [])).to.be.revertedWithCustomError(
        batch,
        "BatchVerifier__EmptyBatch",
      );
      await expect(batch.verifyBatch([m0.a, m1.a], [m0.b], [m0.c, m1.c], [m0.signals, m1.signals]))
        .to.be.revertedWithCustomError(batch, "BatchVerifier__LengthMismatch")
        .withArgs(2, 1, 2, 2);
      await expect(batch.verifyBatch([m0.a], [m0.b], [m0.c], [m0.signals, m1.signals]))
        .to.be.revertedWithCustomError(batch, "BatchVerifier__LengthMismatch")
        .withArgs(1, 1, 1, 2);
      await expect(batch.verifyBatch([m0.a, m1.a], [m0.b, m1.b], [m0.c, m1.c], [m0.signals, m1.signals.slice(1)]))
        .to.be.revertedWithCustomError(batch, "BatchVerifier__SignalCount")
        .withArgs(1, n - 1, n);
      await expect(batch.verifyBatch([m0.a], [m0.b], [m0.c], [[...m0.signals, 0n]]))
        .to.be.revertedWithCustomError(batch, "BatchVerifier__SignalCount")
        .withArgs(0, n + 1, n);
      await expect(batch.verifyBatchFlat([m0.a], [m0.b], [m0.c], [...m0.signals, 0n]))
        .to.be.revertedWithCustomError(batch, "BatchVerifier__LengthMismatch")
        .withArgs(1, 1, 1, n + 1);
    });
  });

  describe("property", () => {
    it("a random batch of valid and invalid members verifies exactly when every member does", async () => {
      const pool: { m: Member; ok: boolean }[] = [
        ...valid.slice(0, 4).map((m) => ({ m, ok: true })),
        { m: bn.negate(valid[4]), ok: true },
        { m: bn.rerandomise(valid[5], 3n, 7n), ok: true },
        { m: tampered(valid[6]), ok: false },
        { m: { ...other, signals: valid[7].signals }, ok: false },
        { m: { ...valid[8], a: negG1(valid[8].a) }, ok: false },
        { m: { ...valid[9], signals: valid[9].signals.map((s, i) => (i === 0 ? s + R : s)) }, ok: false },
      ];
      for (const p of pool) expect(await singleVerdict(p.m), "pool entry's single verdict").to.equal(p.ok);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 6 }), async (picks) => {
          const members = picks.map((i) => pool[i].m);
          expect(await batchVerdict(members)).to.equal(picks.every((i) => pool[i].ok));
        }),
        { numRuns: 30 },
      );
    });
  });

  describe("gas", () => {
    it("costs k + 3 pairings and two ecMul per proof: estimateGas for k = 1, 8, 16", async () => {
      const gas: Record<number, bigint> = {};
      for (const k of [1, 8, 16]) {
        const ms = valid.slice(0, k);
        const [a, b, c] = [ms.map((m) => m.a), ms.map((m) => m.b), ms.map((m) => m.c)];
        gas[k] = await batch.verifyBatch.estimateGas(
          a,
          b,
          c,
          ms.map((m) => m.signals),
        );
        const flat = await batch.verifyBatchFlat.estimateGas(
          a,
          b,
          c,
          ms.flatMap((m) => m.signals),
        );
        console.log(`      verifyBatch k=${k}: ${gas[k]} gas (flat ${flat}), ${gas[k] / BigInt(k)} per proof`);
        expect(flat).to.be.lessThanOrEqual(gas[k]);
      }
      const m = valid[0];
      const one = await (single as unknown as { estimateGas: Verify }).estimateGas(m.a, m.b, m.c, m.signals);
      console.log(`      single verifyProof: ${one} gas`);
      // Marginal cost of a proof: one pairing (34,000) + 2 ecMul (12,000) + ecAdd (150) + its calldata (about
      // 5,900 for 3 signals) + copying, hashing and range checks (about 2,500).
      const marginal = (gas[16] - gas[8]) / 8n;
      expect(marginal).to.be.within(50_000n, 58_000n);
      expect(gas[16] / 16n).to.be.lessThan(BigInt(one) / 3n);
    });
  });

  /** ecPairing (precompile 8) of [G1, G2, G1, G2, ...]; rejects when the precompile refuses its input. */
  async function pairingCheck(points: (G1 | G2)[]): Promise<boolean> {
    const words = points.flatMap((p) => p.flat());
    const data = solidityPacked(
      words.map(() => "uint256"),
      words,
    );
    const out = await ethers.provider.call({ to: "0x0000000000000000000000000000000000000008", data });
    return AbiCoder.defaultAbiCoder().decode(["bool"], out)[0] as boolean;
  }

  /** The pairing product with every r_i = 1 (what an unweighted batch would check). */
  function unweightedPairing(members: Member[]): Promise<boolean> {
    const [alpha, beta, gamma, delta, ic] = vkeyArgs(vkey);
    return pairingCheck(
      members.flatMap((m) => {
        const vkx = m.signals.reduce((acc, s, j) => bn.add(acc, bn.mul(ic[j + 1], s)), ic[0]);
        return [negG1(m.a), m.b, alpha, beta, vkx, gamma, m.c, delta];
      }),
    );
  }
});
