/** Constraint-count regression (issue 9 and 10 limits) and the fit in the 2^13 powers of tau. */
import { expect } from "chai";
import { readR1csHeader } from "../../bench/lib/r1cs";
import { type CircuitName, PTAU_POWER, artifacts } from "../../scripts/lib/circuits";

/** The limits of the issues, and the counts measured when the circuits were written (a change shows here). */
const LIMITS: Record<CircuitName, { limit: number; measured: number }> = {
  certificate: { limit: 6_000, measured: 2_293 },
  update: { limit: 8_000, measured: 3_862 },
  deleverage: { limit: 8_000, measured: 4_088 },
  equity: { limit: 8_000, measured: 2_436 },
};

/** The public signals of each statement: [C, (C',) ctx, words...], Deleverage [C, C', ctx, V', fee, P_j, w]. */
const PUBLIC: Record<CircuitName, number> = { certificate: 4, update: 6, deleverage: 6, equity: 5 };

describe("Constraint counts (M = 4)", () => {
  for (const name of Object.keys(LIMITS) as CircuitName[]) {
    it(`${name}: at most ${LIMITS[name].limit} constraints, ${PUBLIC[name]} public inputs, within 2^${PTAU_POWER}`, () => {
      const h = readR1csHeader(artifacts(name).r1cs);
      expect(h.nConstraints).to.be.at.most(LIMITS[name].limit);
      expect(h.nConstraints, "changed: update LIMITS.measured and the README").to.equal(LIMITS[name].measured);
      expect(h.nPubIn + h.nPubOut).to.equal(PUBLIC[name]);
      expect(h.nPubOut).to.equal(0);
      // Groth16 needs the domain to hold the constraints plus one per public input and the constant
      expect(h.nConstraints + h.nPubIn + 1).to.be.at.most(2 ** PTAU_POWER);
    });
  }
});
