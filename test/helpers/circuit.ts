/**
 * Test harness for the circuits, in the spirit of circomkit's WitnessTester: the witness calculator and
 * keys stay in memory; `accepts`/`rejects` run the honest witness generator (which asserts every `===`
 * constraint); `satisfies`/`violates` check an arbitrary (tampered) witness against the R1CS itself, so a
 * prover with a custom witness generator is covered too.
 *
 * `rejects` is strict: it names the check the test is about (the numbered `// Check (n)` section of the
 * statement's source, docs/protocol-v2.md) and fails when the circuit refuses anywhere else, or for a
 * reason that is not a failed constraint (a wrongly shaped input).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { readR1cs } from "r1csfile";
import * as snarkjs from "snarkjs";
import { type CircuitName, ROOT, artifacts, instances } from "../../scripts/lib/circuits";
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

/** Which check must refuse a witness. */
export interface Refusal {
  /** The statement's numbered check: the refusing line lies in its `// Check (n)` section. */
  readonly check: number;
  /** The innermost failing template, without circom's instance suffix (e.g. "Num2Bits", "SaltRule"). */
  readonly template?: string;
}

/** One frame of the witness calculator's "Error in template X_n line: L" trace. */
interface Frame {
  readonly template: string;
  readonly line: number;
}

/** Line ranges [from, to] of each `// Check (n)` section of a statement template's source. */
function checkSections(file: string, template: string): Map<number, [number, number]> {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const start = lines.findIndex((l) => l.startsWith(`template ${template}(`));
  if (start < 0) throw new Error(`template ${template} is not in ${file}`);
  const sections = new Map<number, [number, number]>();
  let open: number | undefined;
  let from = 0;
  for (let i = start; i < lines.length; i++) {
    const m = /^\s*\/\/ Check \((\d+)\)/.exec(lines[i]);
    const end = lines[i] === "}";
    if ((m || end) && open !== undefined) sections.set(open, [from, i]);
    if (end) break;
    if (m) {
      open = Number(m[1]);
      from = i + 1;
    }
  }
  return sections;
}

export class CircuitTester {
  /** The witness calculator never clears its error trace: what earlier failures left in it. */
  private trace = "";

  private constructor(
    readonly name: CircuitName,
    private readonly wc: WitnessCalculator,
    readonly r1cs: R1cs,
    private readonly symbols: Map<string, number>,
    private readonly zkey: Uint8Array,
    readonly vkey: unknown,
    private readonly template: string,
    private readonly sections: Map<number, [number, number]>,
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
    const inst = instances()[name];
    const source = path.join(ROOT, "circuits", inst.file);
    return new CircuitTester(
      name,
      wc,
      r1cs,
      symbols,
      fs.readFileSync(a.zkey),
      JSON.parse(fs.readFileSync(a.vkey, "utf8")),
      inst.template,
      checkSections(source, inst.template),
    );
  }

  /** Honest witness; throws (an "Assert Failed" from the generated code) when a constraint fails. */
  witness(inputs: CircuitInputs): Promise<bigint[]> {
    return this.wc.calculateWitness(inputs, true);
  }

  async accepts(inputs: CircuitInputs): Promise<bigint[]> {
    let w: bigint[];
    try {
      w = await this.witness(inputs);
    } catch (e) {
      throw new Error(`${this.name} refused inputs it must accept: ${this.describe(e)}`);
    }
    expect(this.satisfies(w), "honest witness must satisfy the R1CS").to.equal(true);
    return w;
  }

  /**
   * The witness generator must refuse `inputs` with a failed constraint inside Check (expected.check) of
   * the statement (and, if given, in the named innermost template). Any other refusal fails the test.
   */
  async rejects(inputs: CircuitInputs, expected: Refusal): Promise<void> {
    const range = this.sections.get(expected.check);
    if (!range) throw new Error(`${this.template} has no "// Check (${expected.check})" section`);
    let error: unknown;
    try {
      await this.witness(inputs);
    } catch (e) {
      error = e;
    }
    expect(error, `the circuit accepted inputs Check (${expected.check}) must refuse`).to.be.instanceOf(Error);
    const message = String(error);
    expect(message, `refused for another reason than a failed constraint: ${message}`).to.match(/Assert Failed/);
    const frames = this.newFrames(message);
    const top = [...frames].reverse().find((f) => f.template === this.template);
    expect(top, `no ${this.template} frame in the trace: ${message}`).to.not.equal(undefined);
    const at = this.checkOf(top!.line);
    expect(at, `refused at line ${top!.line} (Check (${at ?? "?"})), not in Check (${expected.check})`).to.equal(
      expected.check,
    );
    if (expected.template) {
      expect(frames[0]?.template, `innermost failing template`).to.equal(expected.template);
    }
  }

  /** The frames this failure added to the calculator's (never cleared) trace. */
  private newFrames(message: string): Frame[] {
    const trace = message.slice(
      message.indexOf("Error in template") >= 0 ? message.indexOf("Error in template") : message.length,
    );
    const fresh = trace.startsWith(this.trace) ? trace.slice(this.trace.length) : trace;
    this.trace = trace;
    return [...fresh.matchAll(/Error in template (\w+?)_\d+ line: (\d+)/g)].map((m) => ({
      template: m[1],
      line: Number(m[2]),
    }));
  }

  private checkOf(line: number): number | undefined {
    for (const [n, [from, to]] of this.sections) if (line >= from && line <= to) return n;
    return undefined;
  }

  private describe(e: unknown): string {
    const frames = this.newFrames(String(e));
    const top = [...frames].reverse().find((f) => f.template === this.template);
    return top ? `Check (${this.checkOf(top.line) ?? "?"}) at line ${top.line}, in ${frames[0].template}` : String(e);
  }

  /** Checks every R1CS constraint A * B = C on a full witness (index 0 is the constant 1). */
  satisfies(witness: readonly bigint[]): boolean {
    return this.violated(witness).length === 0;
  }

  /** Indices of the R1CS constraints a full witness violates. */
  violated(witness: readonly bigint[]): number[] {
    const F = this.r1cs.F;
    const w = witness.map((x) => F.e(x));
    const evalLc = (lc: LinearCombination) => {
      let acc = F.zero;
      for (const k of Object.keys(lc)) acc = F.add(acc, F.mul(lc[k], w[Number(k)]));
      return acc;
    };
    const out: number[] = [];
    this.r1cs.constraints.forEach(([a, b, c], i) => {
      if (!F.eq(F.mul(evalLc(a), evalLc(b)), evalLc(c))) out.push(i);
    });
    return out;
  }

  /**
   * A tampered full witness must violate the R1CS, and some violated constraint must involve the named
   * signal (e.g. "settleRange.bits.in" or "contextSquared"): the check that only the R1CS enforces.
   */
  violates(witness: readonly bigint[], label: string): void {
    const bad = this.violated(witness);
    expect(bad.length, "the tampered witness satisfies the R1CS").to.be.greaterThan(0);
    const idx = this.index(label);
    const touches = bad.some((i) => this.r1cs.constraints[i].some((lc) => Object.keys(lc).includes(String(idx))));
    expect(touches, `no violated constraint involves ${label}`).to.equal(true);
  }

  /** Witness index of a signal, e.g. "main.word[0]" or "main.box.enough.out". */
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
