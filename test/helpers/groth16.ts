/**
 * Groth16 proofs as the Solidity verifiers take them (bigint calldata words), and the group operations the
 * malleability tests need (ffjavascript's BN254, single-threaded so it leaves no worker threads behind).
 *
 * Malleability of Groth16 (the verification equation e(A, B) = e(alpha, beta) e(vk_x, gamma) e(C, delta)):
 *   negation         (-A, -B, C)                        verifies: e(-A, -B) = e(A, B)
 *   re-randomisation (A / t, t B + t u delta, C + u A)  verifies: e(A / t, t B + t u delta) = e(A, B) e(u A, delta)
 */
import { buildBn128 } from "ffjavascript";
import { BASE_FIELD as Q, SCALAR_FIELD as R } from "../../scripts/lib/batchVerifier";
import type { G1, G2 } from "../../scripts/lib/batchVerifier";
import { type Groth16Proof, solidityCalldata } from "./circuit";

/** One batch member: the calldata of verifyProof (a, b, c) and its public signals. */
export interface Member {
  a: G1;
  b: G2;
  c: G1;
  signals: bigint[];
}

export async function member(p: Groth16Proof): Promise<Member> {
  const call = await solidityCalldata(p);
  return {
    a: [BigInt(call.a[0]), BigInt(call.a[1])],
    b: [
      [BigInt(call.b[0][0]), BigInt(call.b[0][1])],
      [BigInt(call.b[1][0]), BigInt(call.b[1][1])],
    ],
    c: [BigInt(call.c[0]), BigInt(call.c[1])],
    signals: call.signals.map(BigInt),
  };
}

/** Scalar field inverse (Fermat). */
function inverse(x: bigint): bigint {
  let result = 1n;
  let base = ((x % R) + R) % R;
  for (let e = R - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % R;
    base = (base * base) % R;
  }
  return result;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- ffjavascript is untyped */
type Point = any;
interface Field {
  fromObject(o: unknown): Point;
  toObject(a: Point): any;
  add(a: Point, b: Point): Point;
  mul(a: Point, b: Point): Point;
  square(a: Point): Point;
  isSquare(a: Point): boolean;
  sqrt(a: Point): Point;
}
interface Group {
  F: Field;
  b: Point;
  isZero(p: Point): boolean;
  fromObject(o: unknown): Point;
  toObject(p: Point): any;
  toAffine(p: Point): Point;
  add(a: Point, b: Point): Point;
  sub(a: Point, b: Point): Point;
  neg(a: Point): Point;
  timesScalar(a: Point, s: bigint): Point;
  g: Point;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** BN254 group operations on calldata-ordered points. */
export class Bn254 {
  private constructor(
    private readonly curve: { G1: Group; G2: Group; terminate(): Promise<void> },
    readonly delta: G2,
  ) {}

  /** `vkey` is a snarkjs verification key json (for delta). */
  static async create(vkey: { vk_delta_2: string[][] }): Promise<Bn254> {
    const d = vkey.vk_delta_2.map((c) => c.map(BigInt));
    return new Bn254(await buildBn128(true), [
      [d[0][1], d[0][0]],
      [d[1][1], d[1][0]],
    ]);
  }

  terminate(): Promise<void> {
    return this.curve.terminate();
  }

  private g1(p: G1): Point {
    return p[0] === 0n && p[1] === 0n ? this.curve.G1.fromObject([0n, 1n, 0n]) : this.curve.G1.fromObject([...p, 1n]);
  }
  private fromG1(p: Point): G1 {
    const [x, y, z] = this.curve.G1.toObject(this.curve.G1.toAffine(p)) as bigint[];
    return z === 0n ? [0n, 0n] : [x, y];
  }
  private g2(p: G2): Point {
    return this.curve.G2.fromObject([
      [p[0][1], p[0][0]],
      [p[1][1], p[1][0]],
      [1n, 0n],
    ]);
  }
  private fromG2(p: Point): G2 {
    const [x, y] = this.curve.G2.toObject(this.curve.G2.toAffine(p)) as bigint[][];
    return [
      [x[1], x[0]],
      [y[1], y[0]],
    ];
  }

  /** s * P in G1. */
  mul(p: G1, s: bigint): G1 {
    return this.fromG1(this.curve.G1.timesScalar(this.g1(p), ((s % R) + R) % R));
  }
  add(p: G1, q: G1): G1 {
    return this.fromG1(this.curve.G1.add(this.g1(p), this.g1(q)));
  }
  sub(p: G1, q: G1): G1 {
    return this.fromG1(this.curve.G1.sub(this.g1(p), this.g1(q)));
  }
  /** The G1 generator (1, 2). */
  get generator(): G1 {
    return [1n, 2n];
  }

  /**
   * A point on the twist y^2 = x^3 + b' (so every coordinate is in range and the curve equation holds) that is
   * not in the order-r subgroup G2: what the pairing precompile's subgroup check must refuse.
   */
  twistPointOutsideG2(): G2 {
    const G2g = this.curve.G2;
    const F = G2g.F;
    for (let i = 1n; ; i++) {
      const x = F.fromObject([i, 0n]);
      const x3b = F.add(F.mul(F.square(x), x), G2g.b);
      if (!F.isSquare(x3b)) continue;
      const p = G2g.fromObject([F.toObject(x), F.toObject(F.sqrt(x3b)), [1n, 0n]]);
      if (!G2g.isZero(G2g.timesScalar(p, R))) return this.fromG2(p);
    }
  }

  /** (-A, -B, C): valid exactly when the proof is. */
  negate(m: Member): Member {
    return { ...m, a: negG1(m.a), b: negG2(m.b) };
  }

  /** (A / t, t B + t u delta, C + u A): valid exactly when the proof is. */
  rerandomise(m: Member, t: bigint, u: bigint): Member {
    const G2g = this.curve.G2;
    const b = G2g.timesScalar(G2g.add(this.g2(m.b), G2g.timesScalar(this.g2(this.delta), u % R)), t % R);
    return {
      ...m,
      a: this.mul(m.a, inverse(t)),
      b: this.fromG2(b),
      c: this.add(m.c, this.mul(m.a, u)),
    };
  }
}

export function negG1(p: G1): G1 {
  return [p[0], (Q - p[1]) % Q];
}

export function negG2(p: G2): G2 {
  return [p[0], [(Q - p[1][0]) % Q, (Q - p[1][1]) % Q]];
}
