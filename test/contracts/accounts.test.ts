import { expect } from "chai";
import { ethers } from "hardhat";
import { Side, commitment, emptyState } from "../../prover/model";
import { prepareUpdate } from "../../prover/lib/actions";
import {
  E18,
  E8,
  Trader,
  UNIT,
  USDC,
  WETH,
  deploySystem,
  keys,
  proofArgs,
  setPrice,
  usdc,
  weth,
} from "../helpers/system";

describe("Registry: accounts, collateral and private updates", () => {
  describe("accounts and collateral", () => {
    it("opens an account at the public empty state and refuses a second open", async () => {
      const sys = await deploySystem();
      const t = sys.traders[0];
      await expect(sys.registry.connect(t).openAccount())
        .to.emit(sys.registry, "AccountOpened")
        .withArgs(t.address, commitment(emptyState(4)));
      await expect(sys.registry.connect(t).openAccount()).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__AccountExists",
      );
    });

    it("values multi-tier collateral on chain: USDC at 100%, WETH at 80% of its oracle price", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([
        { asset: USDC, amount: usdc(1_000) },
        { asset: WETH, amount: weth(2) },
      ]);
      // 1,000 USDC x $1 + 2 WETH x $3,000 x 0.8 = $5,800 in value units (1e-18)
      expect(await sys.registry.collateralValue(alice.address)).to.equal(5_800n * E18);
      await sys.assetFeeds[1].setAnswer(2_500n * E8);
      expect(await sys.registry.collateralValue(alice.address)).to.equal(5_000n * E18);
    });

    it("rejects deposits to an unopened account, of an unknown asset, and of zero", async () => {
      const sys = await deploySystem();
      const r = sys.registry.connect(sys.traders[0]);
      await expect(r.deposit(USDC, 1n)).to.be.revertedWithCustomError(sys.registry, "Registry__NotActive");
      await r.openAccount();
      await expect(r.deposit(7n, 1n)).to.be.revertedWithCustomError(sys.registry, "Vault__UnknownAsset");
      await expect(r.deposit(USDC, 0n)).to.be.revertedWithCustomError(sys.registry, "Vault__ZeroAmount");
      await expect(r.deposit(USDC, usdc(5)))
        .to.emit(sys.registry, "Deposited")
        .withArgs(sys.traders[0].address, USDC, usdc(5));
    });

    it("lets anyone add to the insurance fund", async () => {
      const sys = await deploySystem();
      const before = await sys.registry.fundBalance(USDC);
      await expect(sys.registry.connect(sys.traders[0]).fundDeposit(USDC, usdc(10)))
        .to.emit(sys.registry, "FundDeposited")
        .withArgs(sys.traders[0].address, USDC, usdc(10));
      expect(await sys.registry.fundBalance(USDC)).to.equal(before + usdc(10));
    });
  });

  describe("updates (Update proofs)", () => {
    it("opens a long with a real proof: commitment and nonce move, nothing about the position is emitted", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(5_000) }]);
      const { prepared, receipt } = await alice.update({
        kind: "increase",
        market: 0,
        size: 10n * UNIT,
        side: Side.Long,
      });
      const acc = await sys.registry.accountOf(alice.address);
      expect(acc.commitment).to.equal(prepared.args.newCommitment);
      expect(acc.nonce).to.equal(1n);
      // events carry the commitment, the nonce and the (zero) realised pnl only
      const logs = receipt!.logs.map((l) => sys.registry.interface.parseLog(l)).filter((l) => l?.name === "Updated");
      expect(logs[0]!.args.toArray()).to.deep.equal([alice.address, 1n, prepared.args.newCommitment, 0n, 0n, 0n]);
    });

    it("settles a realised gain from the fund and a realised loss into it, in USDC", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(5_000) }]);
      await alice.update({ kind: "increase", market: 0, size: 10n * UNIT, side: Side.Long });
      await setPrice(sys, 0, 3_100n * E8);
      const fund0 = await sys.registry.fundBalance(USDC);
      const { prepared } = await alice.update({ kind: "reduce", market: 0, size: 5n * UNIT });
      expect(prepared.args.pnl).to.equal(5n * UNIT * 100n * E8); // +$500
      expect(await sys.registry.collateralOf(alice.address, USDC)).to.equal(usdc(5_500));
      expect(await sys.registry.fundBalance(USDC)).to.equal(fund0 - usdc(500));
      await setPrice(sys, 0, 2_900n * E8);
      const loss = await alice.update({ kind: "reduce", market: 0, size: 5n * UNIT });
      expect(loss.prepared.args.pnl).to.equal(-5n * UNIT * 100n * E8); // -$500
      expect(await sys.registry.collateralOf(alice.address, USDC)).to.equal(usdc(5_000));
      expect(await sys.registry.fundBalance(USDC)).to.equal(fund0);
      expect(alice.state.markets[0].size).to.equal(0n);
    });

    it("withdraws with a proof that the remaining collateral meets initial margin", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(5_000) }]);
      await alice.update({ kind: "increase", market: 0, size: 10n * UNIT, side: Side.Long });
      const token = sys.tokens[0];
      const before = await token.balanceOf(alice.address);
      await alice.update({ kind: "none" }, { asset: USDC, amount: usdc(1_000) });
      expect(await token.balanceOf(alice.address)).to.equal(before + usdc(1_000));
      // 10 ETH at $3,000 needs $3,000 initial margin: withdrawing $1,001 more is refused by the prover
      await expect(alice.update({ kind: "none" }, { asset: USDC, amount: usdc(1_001) })).to.be.rejectedWith(
        /initial margin/,
      );
    });

    it("rejects a proof built for a withdrawal below initial margin (the circuit cannot prove it)", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(5_000) }]);
      await alice.update({ kind: "increase", market: 0, size: 10n * UNIT, side: Side.Long });
      // a valid proof for a $1,000 withdrawal submitted with a $2,500 withdrawal: V' differs
      const p = await prepareUpdate(
        await keys(),
        alice.registry,
        alice.address,
        alice.state,
        { kind: "none" },
        { asset: USDC, amount: usdc(1_000) },
      );
      await expect(
        alice.registry.update({ ...p.args, withdrawAmount: usdc(2_500) }, proofArgs(p.proof.proof)),
      ).to.be.revertedWithCustomError(sys.registry, "Registry__ProofInvalid");
    });

    it("rejects a changed pnl, a changed new commitment, and a new commitment >= p", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(5_000) }]);
      await alice.update({ kind: "increase", market: 0, size: 10n * UNIT, side: Side.Long });
      await setPrice(sys, 0, 3_100n * E8);
      const p = await prepareUpdate(await keys(), alice.registry, alice.address, alice.state, {
        kind: "reduce",
        market: 0,
        size: UNIT,
      });
      const proof = proofArgs(p.proof.proof);
      await expect(
        alice.registry.update({ ...p.args, pnl: p.args.pnl + 10n ** 18n }, proof),
      ).to.be.revertedWithCustomError(sys.registry, "Registry__ProofInvalid");
      await expect(
        alice.registry.update({ ...p.args, newCommitment: p.args.newCommitment + 1n }, proof),
      ).to.be.revertedWithCustomError(sys.registry, "Registry__ProofInvalid");
      const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
      await expect(
        alice.registry.update({ ...p.args, newCommitment: p.args.newCommitment + P }, proof),
      ).to.be.revertedWithCustomError(sys.registry, "PublicInputs__NotInField");
      await expect(alice.registry.update({ ...p.args, pnl: 1n << 200n }, proof)).to.be.revertedWithCustomError(
        sys.registry,
        "PublicInputs__SignedOutOfRange",
      );
      await alice.registry.update(p.args, proof); // the untampered one still goes through
    });

    it("rejects another account's proof, and a proof whose prices moved before it landed", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(5_000) }]);
      const bob = await new Trader(sys.traders[1], sys).open([{ asset: USDC, amount: usdc(5_000) }]);
      const trade = { kind: "increase", market: 1, size: UNIT / 10n, side: Side.Short } as const;
      const p = await prepareUpdate(await keys(), alice.registry, alice.address, alice.state, trade);
      await expect(bob.registry.update(p.args, proofArgs(p.proof.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ProofInvalid",
      );
      await setPrice(sys, 1, 61_000n * E8);
      await expect(alice.registry.update(p.args, proofArgs(p.proof.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__ProofInvalid",
      );
    });

    it("previewUpdate refuses a withdrawal or loss the collateral cannot cover, and an unknown asset", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(100) }]);
      const r = sys.registry;
      await expect(r.previewUpdate(alice.address, 0n, USDC, usdc(101)))
        .to.be.revertedWithCustomError(r, "Vault__InsufficientCollateral")
        .withArgs(USDC, usdc(100), usdc(101));
      await expect(r.previewUpdate(alice.address, 0n, 7n, 1n))
        .to.be.revertedWithCustomError(r, "Vault__UnknownAsset")
        .withArgs(7n);
      // a $101 realised loss needs 101 USDC (rounded up) of the 100 held
      await expect(r.previewUpdate(alice.address, -101n * E18, 0n, 0n))
        .to.be.revertedWithCustomError(r, "Vault__InsufficientCollateral")
        .withArgs(USDC, usdc(100), usdc(101));
      const [value] = await r.previewUpdate(alice.address, -40n * E18, USDC, usdc(10));
      expect(value).to.equal(50n * E18);
    });

    it("rejects a withdrawal larger than the balance and a gain the fund cannot pay", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(5_000) }]);
      const p = await prepareUpdate(
        await keys(),
        alice.registry,
        alice.address,
        alice.state,
        { kind: "none" },
        { asset: WETH, amount: 0n },
      );
      await expect(
        alice.registry.update({ ...p.args, withdrawAsset: WETH, withdrawAmount: 1n }, proofArgs(p.proof.proof)),
      ).to.be.revertedWithCustomError(sys.registry, "Vault__InsufficientCollateral");
      await expect(
        alice.registry.update({ ...p.args, pnl: 10n ** 30n }, proofArgs(p.proof.proof)),
      ).to.be.revertedWithCustomError(sys.registry, "Vault__FundInsufficient");
      await expect(
        alice.registry.update({ ...p.args, pnl: -(10n ** 30n) }, proofArgs(p.proof.proof)),
      ).to.be.revertedWithCustomError(sys.registry, "Vault__InsufficientCollateral");
    });

    it("rejects updates while challenged and from an unopened account", async () => {
      const sys = await deploySystem();
      const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(5_000) }]);
      const p = await prepareUpdate(await keys(), alice.registry, alice.address, alice.state, { kind: "none" });
      await expect(
        sys.registry.connect(sys.traders[2]).update(p.args, proofArgs(p.proof.proof)),
      ).to.be.revertedWithCustomError(sys.registry, "Registry__NotActive");
      await sys.marketFeeds[0].setAnswer(3_500n * E8); // beyond the 5% band
      await sys.registry.connect(sys.keeper).challenge(alice.address, { value: sys.bond });
      await expect(alice.registry.update(p.args, proofArgs(p.proof.proof))).to.be.revertedWithCustomError(
        sys.registry,
        "Registry__Challenged",
      );
      expect(await ethers.provider.getBalance(await sys.registry.getAddress())).to.equal(sys.bond);
    });
  });
});
