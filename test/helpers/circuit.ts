/**
 * Test harness for the circuits, in the spirit of circomkit's WitnessTester: the witness calculator and
 * keys stay in memory; `accepts`/`rejects` run the honest witness generator (which asserts every
 * constraint); `satisfies` checks an arbitrary (tampered) witness against the R1CS itself, so a prover
 * with a custom witness generator is covered too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { readR1cs } from "r1csfile";
import * as snarkjs from "snarkjs";
import { type CircuitName, artifacts } from "../../scripts/lib/circuits";
import type { CircuitInputs } from "../../prover/model";

type Fr = {
  e(x: bigint | string): Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  mul(a: Uint8Array, b: Uint8Array): Uint8Array;
  eq(a: Uint8Array, b: Uint8Array): boolean;
  zero: Uint8Array;
};
type LinearCombination = Record<string, Uint8Array>;
interface R1cs {
  F: Fr;
  nConstraints: number;
  nPubInputs: number;
  nOutputs: number;
  nVars: number;
  constraints: [LinearCombination, LinearCombination, LinearCombination][];
}
interface WitnessCalculator {
  calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]>;
}

export interface Groth16Proof {
  proof: unknown;
  publicSignals: string[];
}

export class CircuitTester {
  private constructor(
    readonly name: CircuitName,
    private readonly wc: WitnessCalculator,
    readonly r1cs: R1cs,
    private readonly symbols: Map<string, number>,
    private readonly zkey: Uint8Array,
    readonly vkey: unknown,
  ) {}

  static async load(name: CircuitName): Promise<CircuitTester> {
    const a = artifacts(name);
    for (const f of [a.wasm, a.r1cs, a.sym, a.zkey, a.vkey]) {
      if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const builder = require(path.join(path.dirname(a.wasm), "witness_calculator.js"));
    const wc = (await builder(fs.readFileSync(a.wasm))) as WitnessCalculator;
    const r1cs = (await readR1cs(a.r1cs, { loadConstraints: true, loadMap: false })) as R1cs;
    const symbols = new Map<string, number>();
    for (const line of fs.readFileSync(a.sym, "utf8").split("\n")) {
      const [, varIdx, , label] = line.split(",");
      if (label && Number(varIdx) >= 0) symbols.set(label, Number(varIdx));
    }
    return new CircuitTester(
      name,
      wc,
      r1cs,
      symbols,
      fs.readFileSync(a.zkey),
      JSON.parse(fs.readFileSync(a.vkey, "utf8")),
    );
  }

  /** Honest witness; throws (an "Assert Failed" from the generated code) when a constraint fails. */
  witness(inputs: CircuitInputs): Promise<bigint[]> {
    return this.wc.calculateWitness(inputs, true);
  }

  async accepts(inputs: CircuitInputs): Promise<bigint[]> {
    const w = await this.witness(inputs);
    expect(this.satisfies(w), "honest witness must satisfy the R1CS").to.equal(true);
    return w;
  }

  async rejects(inputs: CircuitInputs): Promise<void> {
    let error: unknown;
    try {
      await this.witness(inputs);
    } catch (e) {
      error = e;
    }
    expect(error, "the circuit accepted inputs it must refuse").to.be.instanceOf(Error);
    expect(String(error)).to.match(/Assert Failed|Not enough values|Too many values|Signal not found/);
  }

  /** Checks every R1CS constraint A * B = C on a full witness (index 0 is the constant 1). */
  satisfies(witness: readonly bigint[]): boolean {
    const F = this.r1cs.F;
    const w = witness.map((x) => F.e(x));
    const evalLc = (lc: LinearCombination) => {
      let acc = F.zero;
      for (const k of Object.keys(lc)) acc = F.add(acc, F.mul(lc[k], w[Number(k)]));
      return acc;
    };
    return this.r1cs.constraints.every(([a, b, c]) => F.eq(F.mul(evalLc(a), evalLc(b)), evalLc(c)));
  }

  /** Witness index of a signal, e.g. "main.value" or "main.margin.enough.out". */
  index(label: string): number {
    const i = this.symbols.get(label.startsWith("main.") ? label : `main.${label}`);
    if (i === undefined) throw new Error(`signal ${label} is not in ${this.name}'s witness (eliminated or misspelled)`);
    return i;
  }

  /** A copy of `witness` with the named signals replaced. */
  tamper(witness: readonly bigint[], changes: Record<string, bigint>): bigint[] {
    const out = [...witness];
    for (const [label, value] of Object.entries(changes)) out[this.index(label)] = value;
    return out;
  }

  labels(prefix: string): string[] {
    return [...this.symbols.keys()].filter((l) => l.startsWith(prefix));
  }

  async prove(inputs: CircuitInputs): Promise<Groth16Proof> {
    const wtns = { type: "mem" } as { type: "mem"; data?: Uint8Array };
    const a = artifacts(this.name);
    await snarkjs.wtns.calculate(inputs, a.wasm, wtns);
    return snarkjs.groth16.prove(this.zkey, wtns) as Promise<Groth16Proof>;
  }

  verify(publicSignals: readonly (string | bigint)[], proof: unknown): Promise<boolean> {
    return snarkjs.groth16.verify(this.vkey, publicSignals.map(String), proof);
  }
}

/** Solidity calldata (a, b, c, publicSignals) for the exported verifier. */
export async function solidityCalldata(p: Groth16Proof) {
  const raw = await snarkjs.groth16.exportSolidityCallData(p.proof, p.publicSignals);
  const [a, b, c, signals] = JSON.parse(`[${raw}]`) as [string[], string[][], string[], string[]];
  return { a, b, c, signals };
}
