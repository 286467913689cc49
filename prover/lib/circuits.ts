/**
 * Proving keys kept in memory for a long-running service (snarkjs issue 523): the witness calculator
 * (wasm) and the zkey are loaded once; each proof is witness + Groth16 prove, formatted for the exported
 * Solidity verifiers.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as snarkjs from "snarkjs";
import { type CircuitName, artifacts } from "../../core/artifacts";
import type { CircuitInputs } from "../model";

interface WitnessCalculator {
  calculateWTNSBin(input: unknown, sanityCheck: boolean): Promise<Uint8Array>;
}

/** A Groth16 proof as the Solidity verifiers and the registry take it. */
export interface SolidityProof {
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
}

export interface ProofResult {
  readonly proof: SolidityProof;
  readonly publicSignals: bigint[];
  readonly raw: { proof: SnarkjsProof; publicSignals: string[] };
  readonly ms: number;
}

export interface SnarkjsProof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
}

export interface VerificationKey {
  nPublic: number;
  vk_alpha_1: string[];
  vk_beta_2: string[][];
  vk_gamma_2: string[][];
  vk_delta_2: string[][];
  IC: string[][];
}

export class CircuitKeys {
  private constructor(
    readonly name: CircuitName,
    private readonly wc: WitnessCalculator,
    private readonly zkey: Uint8Array,
    readonly vkey: VerificationKey,
  ) {}

  /** Loads one circuit's wasm, zkey and verification key from a build directory. */
  static async load(name: CircuitName, buildDir?: string): Promise<CircuitKeys> {
    const a = artifacts(name, buildDir);
    for (const f of [a.wasm, a.zkey, a.vkey]) {
      if (!fs.existsSync(f)) {
        throw new Error(
          `${f} is missing: for production keys point --build at a ceremony export (\`npm run ceremony -- export --zkey <final> --circuit ${name} --out-dir <dir>\`, docs/ceremony.md); for INSECURE development keys run \`npm run build\``,
        );
      }
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const builder = require(path.join(path.dirname(a.wasm), "witness_calculator.js")) as (
      code: Buffer,
    ) => Promise<WitnessCalculator>;
    const wc = await builder(fs.readFileSync(a.wasm));
    return new CircuitKeys(
      name,
      wc,
      fs.readFileSync(a.zkey),
      JSON.parse(fs.readFileSync(a.vkey, "utf8")) as VerificationKey,
    );
  }

  /** Witness + Groth16 proof; throws if the inputs do not satisfy the circuit. */
  async prove(inputs: CircuitInputs): Promise<ProofResult> {
    const t0 = performance.now();
    const wtns = await this.wc.calculateWTNSBin(inputs, true);
    const raw = (await snarkjs.groth16.prove(this.zkey, wtns)) as { proof: SnarkjsProof; publicSignals: string[] };
    return {
      proof: toSolidity(raw.proof),
      publicSignals: raw.publicSignals.map(BigInt),
      raw,
      ms: performance.now() - t0,
    };
  }

  verify(publicSignals: readonly bigint[], proof: SnarkjsProof): Promise<boolean> {
    return snarkjs.groth16.verify(this.vkey, publicSignals.map(String), proof) as Promise<boolean>;
  }
}

/** snarkjs proof -> Solidity calldata order (G2 coordinates swapped, projective 1s dropped). */
export function toSolidity(p: SnarkjsProof): SolidityProof {
  return {
    a: [BigInt(p.pi_a[0]), BigInt(p.pi_a[1])],
    b: [
      [BigInt(p.pi_b[0][1]), BigInt(p.pi_b[0][0])],
      [BigInt(p.pi_b[1][1]), BigInt(p.pi_b[1][0])],
    ],
    c: [BigInt(p.pi_c[0]), BigInt(p.pi_c[1])],
  };
}

/** The keys of the four v2 statements. */
export interface ProverKeys {
  readonly update: CircuitKeys;
  readonly certificate: CircuitKeys;
  readonly deleverage: CircuitKeys;
  readonly equity: CircuitKeys;
}

export async function loadKeys(buildDir?: string): Promise<ProverKeys> {
  const [update, certificate, deleverage, equity] = await Promise.all([
    CircuitKeys.load("update", buildDir),
    CircuitKeys.load("certificate", buildDir),
    CircuitKeys.load("deleverage", buildDir),
    CircuitKeys.load("equity", buildDir),
  ]);
  return { update, certificate, deleverage, equity };
}
