/**
 * core/groth16 verifySolidityProof accepts exactly what the on-chain verifiers accept: a real
 * Certificate proof, and not its A.y + q alias (which snarkjs accepts), a B outside G2, a point off the
 * curve, a changed signal or the wrong number of signals.
 */
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import {
  BASE_FIELD,
  type VerificationKeyJson,
  fromSolidity,
  inG2Subgroup,
  verifySolidityProof,
} from "../../core/groth16";
import { type ProverKeys, loadKeys } from "../../prover/lib/circuits";
import { certificateInputs, emptyState } from "../../prover/model";
import type { SolidityProof } from "../../core/groth16";
import { Bn254 } from "../helpers/groth16";

describe("core/groth16: off-chain verification as the chain does it", function () {
  this.timeout(120_000);
  let keys: ProverKeys;
  let vkey: VerificationKeyJson;
  let proof: SolidityProof;
  let signals: bigint[];
  let bn: Bn254;

  before(async () => {
    keys = await loadKeys();
    vkey = keys.certificate.vkey as unknown as VerificationKeyJson;
    const st = certificateInputs(emptyState(4), {
      value: 1_000n * 10n ** 18n,
      d: 100n,
      prices: [3_000n * 10n ** 8n, 60_000n * 10n ** 8n, 150n * 10n ** 8n, 80n * 10n ** 6n],
      pm: [500n, 500n, 500n, 600n],
      context: 12345n,
    });
    const p = await keys.certificate.prove(st.inputs);
    proof = p.proof;
    signals = p.publicSignals;
    bn = await Bn254.create(keys.certificate.vkey);
  });
  after(async () => bn?.terminate());

  it("accepts a real Certificate proof", async () => {
    expect(await verifySolidityProof(vkey, signals, proof)).to.equal(true);
    expect(await inG2Subgroup(proof.b)).to.equal(true);
  });

  it("refuses the A.y + q alias that snarkjs accepts", async () => {
    const alias: SolidityProof = { ...proof, a: [proof.a[0], proof.a[1] + BASE_FIELD] };
    expect(await snarkjs.groth16.verify(vkey, signals.map(String), fromSolidity(alias))).to.equal(true);
    expect(await verifySolidityProof(vkey, signals, alias)).to.equal(false);
  });

  it("refuses a B on the twist but outside the order-r subgroup, without throwing", async () => {
    const outside = bn.twistPointOutsideG2();
    expect(await inG2Subgroup(outside)).to.equal(false);
    expect(await verifySolidityProof(vkey, signals, { ...proof, b: outside })).to.equal(false);
  });

  it("refuses a point off the curve, a changed signal and a wrong signal count", async () => {
    expect(await verifySolidityProof(vkey, signals, { ...proof, a: [proof.a[0], proof.a[1] ^ 1n] })).to.equal(false);
    expect(await verifySolidityProof(vkey, [signals[0] + 1n, ...signals.slice(1)], proof)).to.equal(false);
    expect(await verifySolidityProof(vkey, signals.slice(1), proof)).to.equal(false);
  });
});
