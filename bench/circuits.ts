/**
 * Circuit figures: constraint counts (r1cs header), proving-key sizes, and median proving time
 * (witness calculation + Groth16 prove, wasm and zkey already in memory) of every default instance;
 * median verification time of a certificate proof.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as snarkjs from "snarkjs";
import { type CircuitName, artifacts } from "../scripts/lib/circuits";
import { type Figure, figure, medianMs, progress } from "./lib/figures";
import { benchInputs } from "./lib/inputs";
import { readR1csHeader } from "./lib/r1cs";

interface WitnessCalculator {
  calculateWTNSBin(input: unknown, sanityCheck: boolean): Promise<Uint8Array>;
}

interface Proof {
  proof: unknown;
  publicSignals: string[];
}

interface Loaded {
  readonly name: CircuitName;
  readonly wc: WitnessCalculator;
  readonly zkey: Uint8Array;
  readonly vkey: unknown;
}

async function load(name: CircuitName): Promise<Loaded> {
  const a = artifacts(name);
  for (const f of [a.r1cs, a.wasm, a.zkey, a.vkey]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const builder = require(path.join(path.dirname(a.wasm), "witness_calculator.js")) as (
    code: Buffer,
  ) => Promise<WitnessCalculator>;
  const wc = await builder(fs.readFileSync(a.wasm));
  return { name, wc, zkey: fs.readFileSync(a.zkey), vkey: JSON.parse(fs.readFileSync(a.vkey, "utf8")) };
}

async function prove(c: Loaded, inputs: unknown): Promise<Proof> {
  const wtns = await c.wc.calculateWTNSBin(inputs, true);
  return (await snarkjs.groth16.prove(c.zkey, wtns)) as Proof;
}

/** The order the figures print in: the two challenge answers first. */
const ORDER: readonly CircuitName[] = ["certificate", "deleverage", "update", "equity"];

export async function circuitFigures(): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const name of ORDER) {
    out.push(figure(`${name}.constraints`, readR1csHeader(artifacts(name).r1cs).nConstraints, "constraints"));
  }
  let certificate: { c: Loaded; inputs: unknown } | undefined;
  for (const name of ORDER) {
    progress(`${name}: loading wasm and zkey`);
    const c = await load(name);
    const inputs = benchInputs(name);
    if (name === "certificate") certificate = { c, inputs };
    out.push(figure(`${name}.prove_ms`, await medianMs(`${name} witness+prove`, () => prove(c, inputs)), "ms"));
  }
  if (certificate) {
    const { c, inputs } = certificate;
    const p = await prove(c, inputs);
    const verify = async () => {
      if (!(await snarkjs.groth16.verify(c.vkey, p.publicSignals, p.proof))) {
        throw new Error("certificate proof does not verify");
      }
    };
    out.push(figure("certificate.verify_ms", await medianMs("certificate verify", verify), "ms"));
  }
  for (const name of ORDER) {
    out.push(figure(`${name}.zkey_bytes`, fs.statSync(artifacts(name).zkey).size, "bytes"));
  }
  return out;
}
