/**
 * ZkMarginRegistry v2 replay protection: no proof verifies at an entry point it was not made for (every pair
 * of update, prove, respond, respondDeleverage and claim, one account's real proofs), nor for another account,
 * another nonce, an input + p, or as a malleated copy of a proof already used. Protection is keyed on state
 * (account, nonce, domain), never on proof bytes (docs/batch-verification.md).
 */
import { expect } from "chai";
import { FIELD_MODULUS, Domain, Side } from "../../../prover/model";
import {
  type ChallengeRecord,
  type LiquidationRecord,
  type ProofArgs,
  type Sys,
  Trader,
  type TraderSnap,
  UNIT,
  USDC,
  WETH,
  challenge,
  deploy,
  liquidate,
  loadFixture,
  negated,
  pastExclusive,
  revive,
  usdc,
  weth,
} from "../../helpers/registry";
import { ETH, pastFreshness } from "./fixtures";

interface Active {
  f: Sys;
  /** traders[0]: 10,000 USDC + 2 WETH, long 2 ETH, stale; traders[1] the same, short 1 ETH. */
  alice: TraderSnap;
  bob: TraderSnap;
}

async function activeFixture(): Promise<Active> {
  const f = await deploy();
  const out: Trader[] = [];
  for (const [k, side] of [
    [0, Side.Long],
    [1, Side.Short],
  ] as const) {
    const t = await new Trader(f, f.traders[k]).open([
      [USDC, usdc(10_000)],
      [WETH, weth(2)],
    ]);
    await t.update({ kind: "increase", market: ETH, size: (2n - BigInt(k)) * UNIT, side });
    out.push(t);
  }
  await pastFreshness(f);
  return { f, alice: out[0].snap(), bob: out[1].snap() };
}

type Kind = "update" | "prove" | "respond" | "deleverage" | "claim";

interface Proofs {
  proofs: Record<Kind, ProofArgs>;
  update: Awaited<ReturnType<Trader["planUpdate"]>>["args"];
  prove: { d: bigint; pm: bigint };
  respond: { d: bigint; pm: bigint };
  deleverage: Awaited<ReturnType<Trader["planDeleverage"]>>["args"];
  claimed: bigint;
}

/** alice's real proof for each entry point, each made in the state where it is valid. */
async function aliceProofs(): Promise<Proofs> {
  const { f, alice: snap } = await loadFixture(activeFixture);
  const [alice] = revive(f, [snap]);
  const u = await alice.planUpdate({ kind: "none" });
  const p = await alice.planProve();
  const r = await challenge(f, f.keeper, alice.address);
  const a = await alice.planRespond(r);
  const d = await alice.planDeleverage(r, { reduce: [UNIT, 0n, 0n, 0n] });
  await pastExclusive(f, r);
  const { record } = await liquidate(f, f.keeper, alice.address, r);
  const claimed = record.value - record.penalty;
  const e = await alice.planClaim(record, claimed);
  return {
    proofs: { update: u.proof, prove: p.proof, respond: a.proof, deleverage: d.proof, claim: e.proof },
    update: u.args,
    prove: { d: p.d, pm: p.pm },
    respond: { d: a.d, pm: a.pm },
    deleverage: d.args,
    claimed,
  };
}

/** alice challenged again from the active snapshot (the same pinned prices, so the same proofs answer it). */
async function challenged(): Promise<{ f: Sys; alice: Trader; record: ChallengeRecord }> {
  const { f, alice: snap } = await loadFixture(activeFixture);
  const [alice] = revive(f, [snap]);
  return { f, alice, record: await challenge(f, f.keeper, alice.address) };
}

async function liquidated(): Promise<{ f: Sys; alice: Trader; record: LiquidationRecord }> {
  const { f, alice, record: r } = await challenged();
  await pastExclusive(f, r);
  const { record } = await liquidate(f, f.keeper, alice.address, r);
  return { f, alice, record };
}

const KINDS: Kind[] = ["update", "prove", "respond", "deleverage", "claim"];
const others = (k: Kind) => KINDS.filter((x) => x !== k);

describe("ZkMarginRegistry v2: replay protection", function () {
  let P: Proofs;
  before(async () => {
    P = await aliceProofs();
  });

  describe("no proof verifies at an entry point it was not made for (every pair)", () => {
    it("update refuses the prove, respond, deleverage and claim proofs, and takes its own", async () => {
      const { f, alice: snap } = await loadFixture(activeFixture);
      const [alice] = revive(f, [snap]);
      for (const k of others("update")) {
        await expect(alice.reg.update(P.update, P.proofs[k]), k).to.be.revertedWithCustomError(
          f.registry,
          "Registry__ProofInvalid",
        );
      }
      await expect(alice.reg.update(P.update, P.proofs.update)).to.emit(f.registry, "Updated");
    });

    it("prove refuses the update, respond, deleverage and claim proofs, and takes its own", async () => {
      const { f, alice: snap } = await loadFixture(activeFixture);
      const [alice] = revive(f, [snap]);
      for (const k of others("prove")) {
        await expect(alice.reg.prove(P.prove.d, P.prove.pm, P.proofs[k]), k).to.be.revertedWithCustomError(
          f.registry,
          "Registry__ProofInvalid",
        );
      }
      await expect(alice.reg.prove(P.prove.d, P.prove.pm, P.proofs.prove)).to.emit(f.registry, "Certified");
    });

    it("respond refuses the update, prove, deleverage and claim proofs, and takes its own", async () => {
      const { f, alice, record } = await challenged();
      const r = f.registry.connect(f.relayer);
      for (const k of others("respond")) {
        await expect(
          r.respond(alice.address, record, P.respond.d, P.respond.pm, P.proofs[k]),
          k,
        ).to.be.revertedWithCustomError(f.registry, "Registry__ProofInvalid");
      }
      await expect(r.respond(alice.address, record, P.respond.d, P.respond.pm, P.proofs.respond)).to.emit(
        f.registry,
        "Responded",
      );
    });

    it("respondDeleverage refuses the update, prove, respond and claim proofs, and takes its own", async () => {
      const { f, alice, record } = await challenged();
      const r = f.registry.connect(f.relayer);
      for (const k of others("deleverage")) {
        await expect(
          r.respondDeleverage(alice.address, record, P.deleverage, P.proofs[k]),
          k,
        ).to.be.revertedWithCustomError(f.registry, "Registry__ProofInvalid");
      }
      await expect(r.respondDeleverage(alice.address, record, P.deleverage, P.proofs.deleverage)).to.emit(
        f.registry,
        "Deleveraged",
      );
    });

    it("claim refuses the update, prove, respond and deleverage proofs, and takes its own", async () => {
      const { f, alice, record } = await liquidated();
      for (const k of others("claim")) {
        await expect(alice.reg.claim(record, P.claimed, P.proofs[k]), k).to.be.revertedWithCustomError(
          f.registry,
          "Registry__ProofInvalid",
        );
      }
      await expect(alice.reg.claim(record, P.claimed, P.proofs.claim)).to.emit(f.registry, "Claimed");
    });
  });

  describe("Certificates between prove and respond: the domain alone tells them apart", () => {
    it("refuses a respond proof at prove() when everything else is equal", async () => {
      const { f, alice, record } = await challenged();
      const a = await alice.planRespond(record);
      await (await alice.reg.respond(alice.address, record, a.d, a.pm, a.proof)).wait();
      // now prove() rebuilds [C, ctx(PROVE, n), w0, w1] with the same n, prices, value, d and pm
      expect(await alice.nonce()).to.equal(record.nonce);
      const same = await alice.planProve({ d: a.d, pm: undefined });
      expect(same.signals.filter((_, i) => i !== 1)).to.deep.equal(a.signals.filter((_, i) => i !== 1));
      await expect(alice.reg.prove(a.d, a.pm, a.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
      await expect(alice.reg.prove(same.d, same.pm, same.proof)).to.emit(f.registry, "Certified");
    });

    it("refuses a Certificate made for prove() at respond() when everything else is equal", async () => {
      const { f, alice, record } = await challenged();
      const wrong = await alice.planRespond(record, { domain: Domain.Prove });
      await expect(
        f.registry.connect(f.relayer).respond(alice.address, record, wrong.d, wrong.pm, wrong.proof),
      ).to.be.revertedWithCustomError(f.registry, "Registry__ProofInvalid");
      const right = await alice.planRespond(record);
      expect(right.signals.filter((_, i) => i !== 1)).to.deep.equal(wrong.signals.filter((_, i) => i !== 1));
      await expect(
        f.registry.connect(f.relayer).respond(alice.address, record, right.d, right.pm, right.proof),
      ).to.emit(f.registry, "Responded");
    });
  });

  describe("state-keyed replay protection", () => {
    it("refuses alice's proofs for bob's account", async () => {
      const { f, alice: a, bob: b } = await loadFixture(activeFixture);
      const [, bob] = revive(f, [a, b]);
      await expect(bob.reg.update(P.update, P.proofs.update)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
      await expect(bob.reg.prove(P.prove.d, P.prove.pm, P.proofs.prove)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
      const r = await challenge(f, f.keeper, bob.address);
      await expect(
        f.registry.respond(bob.address, r, P.respond.d, P.respond.pm, P.proofs.respond),
      ).to.be.revertedWithCustomError(f.registry, "Registry__ProofInvalid");
    });

    it("refuses a respond proof for an earlier challenge (another nonce) at the same prices", async () => {
      const { f, alice, record } = await challenged();
      const a = await alice.planRespond(record);
      await (await alice.reg.respond(alice.address, record, a.d, a.pm, a.proof)).wait();
      await pastFreshness(f);
      const again = await challenge(f, f.keeper, alice.address);
      expect(again.nonce).to.equal(record.nonce + 1n);
      expect(again.marketPrices).to.equal(record.marketPrices);
      await expect(alice.reg.respond(alice.address, again, a.d, a.pm, a.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
    });

    it("refuses an update replayed after it was applied, and its malleated copy", async () => {
      const { f, alice: snap } = await loadFixture(activeFixture);
      const [alice] = revive(f, [snap]);
      // the negated proof (-A, -B, C) is a different valid proof of the same statement...
      await expect(alice.reg.update(P.update, negated(P.proofs.update))).to.emit(f.registry, "Updated");
      // ...so once the state moved, neither the original nor the copy verifies again
      await expect(alice.reg.update(P.update, P.proofs.update)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
      await expect(alice.reg.update(P.update, negated(P.proofs.update))).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      );
    });

    it("refuses a malleated respond after the challenge was answered, and a malleated claim after the claim", async () => {
      const { f, alice, record } = await challenged();
      const r = f.registry.connect(f.relayer);
      await (await r.respond(alice.address, record, P.respond.d, P.respond.pm, negated(P.proofs.respond))).wait();
      await expect(
        r.respond(alice.address, record, P.respond.d, P.respond.pm, P.proofs.respond),
      ).to.be.revertedWithCustomError(f.registry, "Registry__NoOpenChallenge");
      const l = await liquidated();
      await (await l.alice.reg.claim(l.record, P.claimed, P.proofs.claim)).wait();
      await expect(l.alice.reg.claim(l.record, P.claimed, negated(P.proofs.claim))).to.be.revertedWithCustomError(
        l.f.registry,
        "Registry__NotLiquidated",
      );
    });

    it("refuses every calldata value that enters a public signal when it is the honest one + p", async () => {
      const { f, alice, record } = await challenged();
      const p = FIELD_MODULUS;
      await expect(
        f.registry.respondDeleverage(
          alice.address,
          record,
          { ...P.deleverage, newCommitment: P.deleverage.newCommitment + p },
          P.proofs.deleverage,
        ),
      ).to.be.revertedWithCustomError(f.registry, "Registry__NotInField");
      await expect(
        f.registry.respondDeleverage(
          alice.address,
          record,
          { ...P.deleverage, fee: P.deleverage.fee + p },
          P.proofs.deleverage,
        ),
      ).to.be.revertedWithCustomError(f.registry, "Registry__ValueTooLarge");
      const l = await liquidated();
      await expect(l.alice.reg.claim(l.record, P.claimed + p, P.proofs.claim)).to.be.revertedWithCustomError(
        l.f.registry,
        "Registry__ValueTooLarge",
      );
      const { f: g, alice: snap } = await loadFixture(activeFixture);
      const [a] = revive(g, [snap]);
      await expect(
        a.reg.update({ ...P.update, newCommitment: P.update.newCommitment + p }, P.proofs.update),
      ).to.be.revertedWithCustomError(g.registry, "Registry__NotInField");
      await expect(
        a.reg.update({ ...P.update, settle: P.update.settle + p }, P.proofs.update),
      ).to.be.revertedWithCustomError(g.registry, "Registry__SettleOutOfRange");
    });
  });
});
