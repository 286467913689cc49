import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type CircuitName, VERIFIER_DIR, verifierName } from "./circuits";
import { snarkjs } from "./run";

/**
 * Exports the Solidity Groth16 verifier of `zkey` to contracts/verifiers/<Name>Verifier.sol, renamed
 * after the circuit and marked generated with the command that regenerates it.
 */
export function exportVerifier(
  name: CircuitName,
  zkey: string,
  command: string,
  keysLabel: string,
  outDir = VERIFIER_DIR,
): string {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-verifier-"));
  try {
    const tmp = path.join(tmpDir, "v.sol");
    snarkjs(["zkey", "export", "solidityverifier", zkey, tmp], { quiet: true });
    const contract = verifierName(name);
    const source = fs.readFileSync(tmp, "utf8").replace("contract Groth16Verifier", `contract ${contract}`);
    const [spdx, ...rest] = source.split("\n");
    const header = [
      spdx,
      `// GENERATED FILE: do not edit by hand. Regenerate with \`${command}\`.`,
      `// Groth16 verifier of the ${name} circuit, exported by snarkjs. Keys: ${keysLabel}.`,
    ];
    fs.mkdirSync(outDir, { recursive: true });
    const out = path.join(outDir, `${contract}.sol`);
    fs.writeFileSync(out, [...header, ...rest].join("\n"));
    return out;
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}
