import { expect } from "chai";
import { ethers } from "hardhat";
import {
  Domain,
  certificateInputs,
  deleverageInputs,
  equityInputs,
  planDeleverage,
  updateInputs,
} from "../../prover/model";
import { type CircuitName, verifierName } from "../../scripts/lib/circuits";
import { CircuitTester, solidityCalldata } from "../helpers/circuit";
import { IM, MM, P, PRICES, QUOTE, UNIT, ctx, mixedState, randomSalt } from "./fixtures";

type Verifier = { verifyProof(a: string[], b: string[][], c: string[], s: string[]): Promise<boolean> };

const NAMES = ["certificate", "update", "deleverage", "equity"] as const;

describe("Exported Solidity verifiers on Hardhat's EVM (real proofs)", function () {
  this.timeout(120_000);
  const cases: Record<CircuitName, () => { inputs: Record<string, bigint | bigint[]>; publicSignals: bigint[] }> = {
    certificate: () =>
      certificateInputs(mixedState(), {
        value: 10_000n * QUOTE,
        d: 300n,
        prices: PRICES,
        pm: MM,
        context: ctx(Domain.Respond, 2n),
      }),
    update: () =>
      updateInputs(mixedState(), {
        trade: { kind: "reduce", market: 0, size: 4n * UNIT },
        settle: -100n * QUOTE,
        withdrawing: true,
        value: 10_000n * QUOTE,
        prices: PRICES,
        mm: MM,
        im: IM,
        d: 100n,
        pm: MM,
        minValue: 1_000_000n,
        context: ctx(Domain.Update, 5n),
        newSalt: randomSalt(),
      }),
    deleverage: () => {
      const s = mixedState();
      const params = { prices: PRICES, pm: MM.map((m) => m * 2n), d: 0n, feeBps: 50n };
      const plan = planDeleverage(s, 1_000n * QUOTE, params)!;
      return deleverageInputs(s, {
        ...params,
        reduce: plan.reduce,
        value: plan.value,
        context: ctx(Domain.Deleverage, 2n),
        newSalt: randomSalt(),
      });
    },
    equity: () =>
      equityInputs(mixedState(), {
        value: 2_000n * QUOTE,
        claimed: 1_000n * QUOTE,
        penalty: 100n * QUOTE,
        prices: PRICES,
        context: ctx(Domain.Claim, 3n),
      }),
  };

  const calls: Partial<Record<CircuitName, Awaited<ReturnType<typeof solidityCalldata>>>> = {};

  for (const name of NAMES) {
    describe(verifierName(name), () => {
      let verifier: Verifier;
      let tester: CircuitTester;
      let call: Awaited<ReturnType<typeof solidityCalldata>>;
      let expected: bigint[];
      before(async () => {
        tester = await CircuitTester.load(name);
        verifier = (await ethers.deployContract(verifierName(name))) as unknown as Verifier;
        const st = cases[name]();
        expected = st.publicSignals;
        const proof = await tester.prove(st.inputs);
        call = await solidityCalldata(proof);
        calls[name] = call;
      });

      it("a real proof verifies with snarkjs and on chain; its public signals are the model's", async () => {
        expect(call.signals.map(BigInt)).to.deep.equal(expected);
        const proof = await tester.prove(cases[name]().inputs);
        expect(await tester.verify(proof.publicSignals, proof.proof)).to.equal(true);
        expect(await verifier.verifyProof(call.a, call.b, call.c, call.signals)).to.equal(true);
      });

      it("rejects every public signal + p (field aliasing)", async () => {
        for (let i = 0; i < call.signals.length; i++) {
          const aliased = [...call.signals];
          aliased[i] = (BigInt(aliased[i]) + P).toString();
          expect(await verifier.verifyProof(call.a, call.b, call.c, aliased), `signal ${i}`).to.equal(false);
        }
      });

      it("rejects each public signal changed by one, and a tampered proof point", async () => {
        for (let i = 0; i < call.signals.length; i++) {
          const changed = [...call.signals];
          changed[i] = (BigInt(changed[i]) + 1n).toString();
          expect(await verifier.verifyProof(call.a, call.b, call.c, changed), `signal ${i}`).to.equal(false);
        }
        const a = [call.a[0], ((BigInt(call.a[1]) + 1n) % P).toString()];
        expect(await verifier.verifyProof(a, call.b, call.c, call.signals)).to.equal(false);
      });
    });
  }

  describe("distinct keys", () => {
    it("an Update proof does not verify as a Deleverage proof (same signal count)", async () => {
      const dv = (await ethers.deployContract("DeleverageVerifier")) as unknown as Verifier;
      const call = calls.update!;
      expect(await dv.verifyProof(call.a, call.b, call.c, call.signals)).to.equal(false);
    });
  });
});
