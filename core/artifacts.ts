/**
 * Where the build puts its outputs (`npm run build`: circuits, keys, the development powers of tau) and
 * where the exported verifiers go. The prover and keeper read keys from here; scripts/ writes them.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The nearest folder above `dir` holding package.json: the repository root from core/ and dist/core/. */
function findRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "package.json"))) return d;
    if (path.dirname(d) === d) return path.resolve(__dirname, "..");
  }
}

/** Repository root (core/ -> .., and dist/core/ -> ../.. when compiled). */
export const ROOT = findRoot(path.resolve(__dirname, ".."));
export const BUILD_DIR = path.join(ROOT, "build");
export const VERIFIER_DIR = path.join(ROOT, "contracts", "verifiers");
/** Where the development powers of tau are cached (made only when missing). */
export const PTAU_DIR = process.env.ZKMARGIN_PTAU_DIR ?? path.join(BUILD_DIR, "ptau");
/** 2^13 serves every default instance (largest: Deleverage, 5,645 constraints). */
export const PTAU_POWER = 13;
export const DEV_PTAU = path.join(PTAU_DIR, `zkmargin_dev_pot${PTAU_POWER}_final.ptau`);

export type CircuitName = "certificate" | "update" | "deleverage" | "equity";
export const CIRCUIT_NAMES: readonly CircuitName[] = ["certificate", "update", "deleverage", "equity"];

/** Paths of one circuit's build outputs. */
export function artifacts(name: CircuitName, buildDir = BUILD_DIR) {
  const dir = path.join(buildDir, "circuits", name);
  return {
    dir,
    main: path.join(dir, "main.circom"),
    r1cs: path.join(dir, "main.r1cs"),
    sym: path.join(dir, "main.sym"),
    wasm: path.join(dir, "main_js", "main.wasm"),
    zkey: path.join(buildDir, "keys", `${name}.zkey`),
    vkey: path.join(buildDir, "keys", `${name}.vkey.json`),
  };
}

/** Solidity contract name of a circuit's exported verifier. */
export function verifierName(name: CircuitName): string {
  return `${name[0].toUpperCase()}${name.slice(1)}Verifier`;
}
