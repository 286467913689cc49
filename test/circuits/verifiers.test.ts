import { expect } from "chai";
import { ethers } from "hardhat";
import { equityInputs, solvencyInputs, updateInputs } from "../../prover/model";
import { type CircuitName, verifierName } from "../../scripts/lib/circuits";
import { CircuitTester, solidityCalldata } from "../helpers/circuit";
import { IM, MM, P, PRICES, UNIT, boundaryValue, ctx, mixedState, randomSalt } from "../helpers/fixtures";

type Verifier = { verifyProof(a: string[], b: string[][], c: string[], s: string[]): Promise<boolean> };

describe("Exported Solidity verifiers on Hardhat's EVM", function () {
  const cases: Record<CircuitName, () => Record<string, bigint | bigint[]>> = {
    solvency: () => {
      const s = mixedState();
      return solvencyInputs(s, { value: boundaryValue(s, PRICES, MM), prices: PRICES }, MM, ctx(1n));
    },
    update: () => {
      const t = { kind: "reduce", market: 0, size: 4n * UNIT } as const;
      return updateInputs(mixedState(), t, { value: 10n ** 22n, prices: PRICES }, IM, ctx(2n), randomSalt()).inputs;
    },
    equity: () => equityInputs(mixedState(), { value: 10n ** 21n, prices: PRICES }, ctx(3n)).inputs,
  };

  for (const name of ["solvency", "update", "equity"] as const) {
    describe(verifierName(name), () => {
      let verifier: Verifier;
      let call: Awaited<ReturnType<typeof solidityCalldata>>;
      before(async () => {
        const tester = await CircuitTester.load(name);
        verifier = (await ethers.deployContract(verifierName(name))) as unknown as Verifier;
        call = await solidityCalldata(await tester.prove(cases[name]()));
      });

      it("accepts a real snarkjs proof", async () => {
        expect(await verifier.verifyProof(call.a, call.b, call.c, call.signals)).to.equal(true);
      });

      it("rejects every public signal + p (field aliasing)", async () => {
        for (let i = 0; i < call.signals.length; i++) {
          const aliased = [...call.signals];
          aliased[i] = (BigInt(aliased[i]) + P).toString();
          expect(await verifier.verifyProof(call.a, call.b, call.c, aliased), `signal ${i}`).to.equal(false);
        }
      });

      it("rejects a changed public signal and a tampered proof point", async () => {
        const changed = [...call.signals];
        changed[0] = (BigInt(changed[0]) + 1n).toString();
        expect(await verifier.verifyProof(call.a, call.b, call.c, changed)).to.equal(false);
        const a = [call.a[0], ((BigInt(call.a[1]) + 1n) % P).toString()];
        expect(await verifier.verifyProof(a, call.b, call.c, call.signals)).to.equal(false);
      });
    });
  }

  it("uses distinct verifiers: a solvency proof does not verify as an equity proof", async () => {
    const tester = await CircuitTester.load("solvency");
    const call = await solidityCalldata(await tester.prove(cases.solvency()));
    const eq = (await ethers.deployContract("EquityVerifier")) as unknown as Verifier;
    const padded = [...call.signals, "0", "0", "0", "0", "0"].slice(0, 8);
    expect(await eq.verifyProof(call.a, call.b, call.c, padded)).to.equal(false);
  });
});
