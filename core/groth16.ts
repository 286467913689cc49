/**
 * Groth16 over BN254 as the contracts see it: the proof in the exported verifiers' calldata order, the
 * snarkjs verification key, the batch verifier's key hash, and an off-chain check that accepts exactly
 * what the on-chain verifiers accept (snarkjs's pairing check, plus the range and subgroup checks the
 * batch verifier and the EIP-197 precompile make and snarkjs does not: docs/batch-verification.md).
 * The relayer verifies every answer with it before batching; scripts/ deploys and checks with vkeyArgs.
 */
import { AbiCoder, keccak256 } from "ethers";
import * as snarkjs from "snarkjs";
import { z } from "zod";
import { FIELD_MODULUS } from "./encoding";

/** BN254 scalar field (group order r): every public signal is below it. */
export const SCALAR_FIELD = FIELD_MODULUS;
/** BN254 base field (q): every proof and key coordinate is below it. */
export const BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** IC points the batch verifier holds at most (nPublic + 1): circuits with up to 7 public inputs. */
export const MAX_IC = 8;

/** Affine G1 point (x, y); (0, 0) is the point at infinity. */
export type G1 = [bigint, bigint];
/** G2 point in the precompile's (and verifyProof's `_pB`) order: [[x.c1, x.c0], [y.c1, y.c0]]. */
export type G2 = [[bigint, bigint], [bigint, bigint]];
/** BatchVerifier's constructor arguments. */
export type BatchVerifierArgs = [alpha: G1, beta: G2, gamma: G2, delta: G2, ic: G1[]];

/** A Groth16 proof as the Solidity verifiers and the registry take it (snarkjs exportSolidityCallData). */
export interface SolidityProof {
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
}

/** A proof as snarkjs writes it (projective coordinates, F_q^2 elements as [c0, c1]). */
export interface SnarkjsProof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
}

/** The constructor's parameter types: vkHash is keccak256 of these, ABI-encoded. */
export const CONSTRUCTOR_TYPES = ["uint256[2]", "uint256[2][2]", "uint256[2][2]", "uint256[2][2]", "uint256[2][]"];

const fq = z
  .string()
  .regex(/^[0-9]+$/, "a decimal integer")
  .transform((x) => BigInt(x))
  .refine((x) => x < BASE_FIELD, "a coordinate must be < q");
/** snarkjs writes G1 points projectively: [x, y, "1"], or [0, 1, 0] for the point at infinity. */
const g1 = z
  .tuple([fq, fq, z.enum(["0", "1"])])
  .refine(([x, y, zc]) => zc === "1" || (x === 0n && y === 1n), "a G1 point must be affine ([x, y, 1]) or [0, 1, 0]")
  .transform(([x, y, zc]): G1 => (zc === "1" ? [x, y] : [0n, 0n]));
/** G2 as [[x.c0, x.c1], [y.c0, y.c1], [1, 0]]; the precompile takes each F_q^2 element as (c1, c0). */
const g2 = z
  .tuple([z.tuple([fq, fq]), z.tuple([fq, fq]), z.tuple([z.literal("1"), z.literal("0")])])
  .transform(([x, y]): G2 => [
    [x[1], x[0]],
    [y[1], y[0]],
  ]);
const VerificationKey = z
  .object({
    protocol: z.literal("groth16"),
    curve: z.literal("bn128"),
    nPublic: z
      .number()
      .int()
      .min(0)
      .max(MAX_IC - 1),
    vk_alpha_1: g1,
    vk_beta_2: g2,
    vk_gamma_2: g2,
    vk_delta_2: g2,
    IC: z.array(g1).min(1).max(MAX_IC),
  })
  .refine((v) => v.IC.length === v.nPublic + 1, "IC must hold nPublic + 1 points");

/** Constructor arguments of a BatchVerifier for a snarkjs vkey json (parsed or not); throws on a bad key. */
export function vkeyArgs(vkeyJson: unknown): BatchVerifierArgs {
  const parsed = VerificationKey.safeParse(typeof vkeyJson === "string" ? JSON.parse(vkeyJson) : vkeyJson);
  if (!parsed.success) {
    throw new Error(
      `not a BN254 Groth16 verification key for the batch verifier: ${parsed.error.issues
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}`,
    );
  }
  const v = parsed.data;
  return [v.vk_alpha_1, v.vk_beta_2, v.vk_gamma_2, v.vk_delta_2, v.IC];
}

/** What BatchVerifier.vkHash() returns for this key. */
export function batchVkHash(vkeyJson: unknown): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(CONSTRUCTOR_TYPES, vkeyArgs(vkeyJson)));
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

/** Solidity calldata order -> the snarkjs form (affine points with z = 1). */
export function fromSolidity(p: SolidityProof): SnarkjsProof {
  const s = (x: bigint) => x.toString();
  return {
    pi_a: [s(p.a[0]), s(p.a[1]), "1"],
    pi_b: [
      [s(p.b[0][1]), s(p.b[0][0])],
      [s(p.b[1][1]), s(p.b[1][0])],
      ["1", "0"],
    ],
    pi_c: [s(p.c[0]), s(p.c[1]), "1"],
  };
}

/** The eight coordinates of a proof in calldata order. */
export function proofWords(p: SolidityProof): bigint[] {
  return [p.a[0], p.a[1], p.b[0][0], p.b[0][1], p.b[1][0], p.b[1][1], p.c[0], p.c[1]];
}

/** Why a proof is refused before any pairing, or undefined. */
export function proofShapeError(p: SolidityProof, signals: readonly bigint[], nPublic: number): string | undefined {
  if (signals.length !== nPublic) return `expected ${nPublic} public signals, got ${signals.length}`;
  const bad = signals.findIndex((x) => x < 0n || x >= SCALAR_FIELD);
  if (bad >= 0) return `public signal ${bad} is not below the scalar field modulus`;
  const word = proofWords(p).findIndex((x) => x < 0n || x >= BASE_FIELD);
  if (word >= 0) return `proof coordinate ${word} is not below the base field modulus q`;
  return undefined;
}

interface Bn128 {
  G2: {
    fromObject(o: unknown): Uint8Array;
    timesScalar(p: Uint8Array, e: bigint): Uint8Array;
    isZero(p: Uint8Array): boolean;
  };
}

async function bn128(): Promise<Bn128> {
  return (await snarkjs.curves.getCurveFromName("bn128")) as Bn128;
}

/** Builds the curve once (about a second), so the first verification of a service is not slow. */
export async function warmUp(): Promise<void> {
  await bn128();
}

/** A snarkjs verification key json (what `snarkjs zkey export verificationkey` writes). */
export interface VerificationKeyJson {
  protocol: string;
  curve: string;
  nPublic: number;
  [k: string]: unknown;
}

/**
 * True exactly when the on-chain verifiers (single and batch) accept `proof` for `signals`: every signal
 * < r and every coordinate < q (the batch verifier refuses the A.y >= q alias that snarkjs accepts), the
 * snarkjs pairing check, and B in the order-r subgroup of the twist (the EIP-197 precompile refuses any
 * other point, which snarkjs does not check). A point off its curve is `false`, never a throw.
 */
export async function verifySolidityProof(
  vkey: VerificationKeyJson,
  signals: readonly bigint[],
  proof: SolidityProof,
): Promise<boolean> {
  if (proofShapeError(proof, signals, vkey.nPublic) !== undefined) return false;
  const p = fromSolidity(proof);
  try {
    const ok = (await snarkjs.groth16.verify(vkey, signals.map(String), p)) as boolean;
    return ok && (await inG2Subgroup(proof.b));
  } catch {
    return false;
  }
}

/** True when `b` (calldata order) is in the order-r subgroup of the twist: r·B is the point at infinity. */
export async function inG2Subgroup(b: G2): Promise<boolean> {
  const curve = await bn128();
  const point = curve.G2.fromObject([
    [b[0][1], b[0][0]],
    [b[1][1], b[1][0]],
    [1n, 0n],
  ]);
  return curve.G2.isZero(curve.G2.timesScalar(point, SCALAR_FIELD));
}
