/**
 * ZkMarginRegistry v2 as deployed: contract sizes (issue 15: every deployed contract at most 19,660 bytes),
 * the wiring of deployLocal, the lens against the verifiers (its signals verify with the same proofs the
 * registry accepts), and a check that every custom error of IZkMarginRegistry and every Bounds parameter name
 * is triggered by some registry test.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import { Side } from "../../../prover/model";
import {
  E8,
  Trader,
  UNIT,
  USDC,
  baseFixture,
  challenge,
  liquidate,
  loadFixture,
  pastExclusive,
  revive,
  setMarketPrice,
  usdc,
} from "../../helpers/registry";
import { ETH, challengedFixture, openedFixture, stressedFixture } from "./fixtures";

const LIMIT = 19_660;
const ROOT = path.resolve(__dirname, "../../..");

type Verifier = { verifyProof(a: unknown, b: unknown, c: unknown, s: unknown): Promise<boolean> };
async function verifier(name: string, address: string): Promise<Verifier> {
  return (await ethers.getContractAt(name, address)) as unknown as Verifier;
}

describe("ZkMarginRegistry v2: deployment, sizes, lens and error coverage", function () {
  it(`keeps every deployed contract at most ${LIMIT} bytes`, async () => {
    const names = (await artifacts.getAllFullyQualifiedNames()).filter(
      (n) => n.startsWith("contracts/") && !n.startsWith("contracts/test/"),
    );
    const sizes: [string, number][] = [];
    for (const n of names) {
      const a = await artifacts.readArtifact(n);
      const bytes = (a.deployedBytecode.length - 2) / 2;
      if (bytes > 0) sizes.push([n, bytes]);
    }
    expect(sizes.map(([n]) => n)).to.include.members([
      "contracts/registry/ZkMarginRegistry.sol:ZkMarginRegistry",
      "contracts/registry/logic/ChallengeLogic.sol:ChallengeLogic",
      "contracts/lens/RegistryLens.sol:RegistryLens",
    ]);
    sizes.sort((x, y) => y[1] - x[1]);
    console.log(`      largest: ${sizes[0][0].split(":")[1]} ${sizes[0][1]} bytes`);
    for (const [n, bytes] of sizes) expect(bytes, n).to.be.at.most(LIMIT);
  });

  it("wires the registry to the system deployLocal built, owned by the timelock", async () => {
    const f = await loadFixture(baseFixture);
    expect(await f.registry.owner()).to.equal(f.addresses.timelock);
    expect(await f.registry.oracle()).to.equal(f.addresses.oracle);
    expect(await f.registry.risk()).to.equal(f.addresses.risk);
    expect(await f.registry.fund()).to.equal(f.addresses.fund);
    expect(await f.registry.auction()).to.equal(f.addresses.auction);
    expect(await f.registry.updateVerifier()).to.equal(f.addresses["verifier.update"]);
    expect(await f.registry.batchVerifier()).to.equal(f.addresses["verifier.batch"]);
    expect(await f.registry.guardian()).to.equal(f.guardian.address);
    const [tokens, decimals] = await f.registry.assets();
    expect(tokens).to.deep.equal([f.addresses["token.USDC"], f.addresses["token.WETH"]]);
    expect(decimals).to.deep.equal([6n, 18n]);
    expect(await f.registry.haircutBps(1)).to.equal(8_000n);
    expect(await f.fund.registry()).to.equal(f.registryAddr);
    expect(await f.auction.registry()).to.equal(f.registryAddr);
    expect(await f.lens.registry()).to.equal(f.registryAddr);
  });

  describe("the lens rebuilds what the registry verifies", () => {
    it("update and prove: the lens's signals verify with the proofs update() and prove() accept", async () => {
      const { f, alice: snap } = await loadFixture(openedFixture);
      const [alice] = revive(f, [snap]);
      const u = await alice.planUpdate({ kind: "reduce", market: ETH, size: UNIT / 2n });
      const sig = [...(await f.lens.updateSignals(alice.address, u.args))[0]];
      const uv = await verifier("UpdateVerifier", await f.registry.updateVerifier());
      expect(await uv.verifyProof(u.proof.a, u.proof.b, u.proof.c, sig)).to.equal(true);
      expect(
        await uv.verifyProof(u.proof.a, u.proof.b, u.proof.c, [sig[0], sig[1], sig[2] + 1n, ...sig.slice(3)]),
      ).to.equal(false);
      const p = await alice.planProve();
      const ps = [...(await f.lens.proveSignals(alice.address, p.d, p.pm))];
      const cv = await verifier("CertificateVerifier", await f.registry.certificateVerifier());
      expect(await cv.verifyProof(p.proof.a, p.proof.b, p.proof.c, ps)).to.equal(true);
      await expect(alice.reg.prove(p.d, p.pm, p.proof)).to.emit(f.registry, "Certified");
      await expect(alice.reg.update(u.args, u.proof)).to.be.revertedWithCustomError(
        f.registry,
        "Registry__ProofInvalid",
      ); // nonce moved
    });

    it("respond: the lens's signals verify with the proof respond() accepts", async () => {
      const { f, alice: snap, record } = await loadFixture(challengedFixture);
      const [alice] = revive(f, [snap]);
      const a = await alice.planRespond(record);
      const sig = [...(await f.lens.respondSignals(alice.address, record, a.d, a.pm))];
      const cv = await verifier("CertificateVerifier", await f.registry.certificateVerifier());
      expect(await cv.verifyProof(a.proof.a, a.proof.b, a.proof.c, sig)).to.equal(true);
      await expect(f.registry.respond(alice.address, record, a.d, a.pm, a.proof)).to.emit(f.registry, "Responded");
    });

    it("respondDeleverage: the lens's signals (and V' after the fee) verify with the accepted proof", async () => {
      const { f, carol: snap, record } = await loadFixture(stressedFixture);
      const [carol] = revive(f, [snap], 10);
      const p = await carol.planDeleverage(record);
      const sig = [...(await f.lens.deleverageSignals(carol.address, record, p.args))[0]];
      const dv = await verifier("DeleverageVerifier", await f.registry.deleverageVerifier());
      expect(await dv.verifyProof(p.proof.a, p.proof.b, p.proof.c, sig)).to.equal(true);
      await expect(f.registry.respondDeleverage(carol.address, record, p.args, p.proof)).to.emit(
        f.registry,
        "Deleveraged",
      );
    });

    it("claim: the lens's signals verify with the proof claim() accepts", async () => {
      const f = await loadFixture(baseFixture);
      const t = await new Trader(f, f.traders[13]).open([[USDC, usdc(3_000)]]);
      await t.update({ kind: "increase", market: ETH, size: UNIT, side: Side.Short });
      await setMarketPrice(f, ETH, 4_500n * E8); // out of the box: challengeable
      const r = await challenge(f, f.keeper, t.address);
      await pastExclusive(f, r);
      const { record } = await liquidate(f, f.keeper, t.address, r);
      const claimed = record.value - record.penalty - 1_500n * 10n ** 18n; // equity: 3,000 - 1,500
      const e = await t.planClaim(record, claimed);
      const sig = [...(await f.lens.claimSignals(t.address, record, claimed))];
      const ev = await verifier("EquityVerifier", await f.registry.equityVerifier());
      expect(await ev.verifyProof(e.proof.a, e.proof.b, e.proof.c, sig)).to.equal(true);
      await expect(t.reg.claim(record, claimed, e.proof)).to.emit(f.registry, "Claimed");
    });
  });

  describe("error coverage", () => {
    const sources = fs
      .readdirSync(__dirname)
      .filter((n) => n.endsWith(".test.ts"))
      .map((n) => fs.readFileSync(path.join(__dirname, n), "utf8"))
      .join("\n");

    it("triggers every custom error of IZkMarginRegistry in some registry test", async () => {
      const abi = (await artifacts.readArtifact("IZkMarginRegistry")).abi as { type: string; name: string }[];
      const errors = abi.filter((x) => x.type === "error").map((x) => x.name);
      expect(errors.length).to.be.greaterThan(25);
      const untested = errors.filter(
        (e) => !sources.includes(`"${e}"`) || !new RegExp(`revertedWithCustomError\\([^)]*\\s*"${e}"`).test(sources),
      );
      expect(untested, "errors no test expects").to.deep.equal([]);
    });

    it("triggers every Bounds parameter name in the governance test", () => {
      const bounds = fs.readFileSync(path.join(ROOT, "contracts/registry/Bounds.sol"), "utf8");
      const names = [...bounds.matchAll(/_bad\("(\w+)"\)/g)].map((m) => m[1]);
      expect(names.length).to.be.greaterThan(15);
      const gov = fs.readFileSync(path.join(__dirname, "governance.test.ts"), "utf8");
      expect(names.filter((n) => !gov.includes(`["${n}",`))).to.deep.equal([]);
    });
  });
});
