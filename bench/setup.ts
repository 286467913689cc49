/**
 * Clean-setup figures: wall time of the whole development setup from nothing (powers of tau 2^13:
 * new + public beacon + prepare phase 2, then for every circuit groth16 setup + zkey beacon), and of
 * the per-circuit key part alone (the keys made a few at a time, as `npm run build` does). Runs once
 * (minutes, not a median), entirely in a temporary directory: the existing r1cs files are read, build/ is
 * never written. Circuit compilation and the
 * verification-key / Solidity-verifier exports are not included.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import {
  BEACON_ITERATIONS_EXP,
  CIRCUIT_NAMES,
  DEV_PTAU,
  DEV_PTAU_BEACON,
  DEV_ZKEY_BEACON,
  PTAU_POWER,
  artifacts,
} from "../scripts/lib/circuits";
import { inParallel, setupParallelism, snarkjs, snarkjsAsync } from "../scripts/lib/run";
import { type Figure, figure, progress, round } from "./lib/figures";

function sha256(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Runs `fn` and gives its wall time in seconds. */
function timeS(label: string, fn: () => void): number {
  progress(`setup: ${label}`);
  const t0 = performance.now();
  fn();
  const s = (performance.now() - t0) / 1000;
  progress(`setup: ${label} took ${s.toFixed(1)} s`);
  return s;
}

export async function setupFigures(): Promise<Figure[]> {
  for (const name of CIRCUIT_NAMES) {
    if (!fs.existsSync(artifacts(name).r1cs))
      throw new Error(`${artifacts(name).r1cs} is missing: run \`npm run build\` first`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkmargin-bench-setup-"));
  try {
    const fresh = path.join(tmp, `pot${PTAU_POWER}_0000.ptau`);
    const beacon = path.join(tmp, `pot${PTAU_POWER}_beacon.ptau`);
    const ptau = path.join(tmp, path.basename(DEV_PTAU));
    const name = "-n=zkmargin INSECURE dev beacon";
    let total = 0;
    total += timeS(`powers of tau 2^${PTAU_POWER}: new`, () =>
      snarkjs(["powersoftau", "new", "bn128", String(PTAU_POWER), fresh], { quiet: true }),
    );
    total += timeS(`powers of tau 2^${PTAU_POWER}: beacon`, () =>
      snarkjs(["powersoftau", "beacon", fresh, beacon, DEV_PTAU_BEACON, BEACON_ITERATIONS_EXP, name], { quiet: true }),
    );
    total += timeS(`powers of tau 2^${PTAU_POWER}: prepare phase2 (about 4 minutes)`, () =>
      snarkjs(["powersoftau", "prepare", "phase2", beacon, ptau], { quiet: true }),
    );
    // as `npm run build` does: the keys are independent, a few at a time (groth16 setup is single-threaded)
    progress(`setup: keys of ${CIRCUIT_NAMES.length} circuits, ${setupParallelism()} at a time`);
    const k0 = performance.now();
    await inParallel(
      CIRCUIT_NAMES.map((circuit) => async () => {
        const a = artifacts(circuit);
        const initial = path.join(tmp, `${circuit}_0000.zkey`);
        const zkey = path.join(tmp, `${circuit}.zkey`);
        const t0 = performance.now();
        await snarkjsAsync(["groth16", "setup", a.r1cs, ptau, initial]);
        await snarkjsAsync(["zkey", "beacon", initial, zkey, DEV_ZKEY_BEACON, BEACON_ITERATIONS_EXP, name]);
        progress(
          `setup: keys ${circuit}: groth16 setup + beacon took ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        // The setup is deterministic: the fresh key should equal build/'s byte for byte.
        if (fs.existsSync(a.zkey) && sha256(zkey) !== sha256(a.zkey)) {
          progress(`setup: WARNING ${circuit}.zkey differs from ${a.zkey} (stale build, or a non-deterministic setup)`);
        }
      }),
      setupParallelism(),
    );
    const keys = (performance.now() - k0) / 1000;
    progress(`setup: keys took ${keys.toFixed(1)} s`);
    total += keys;
    return [figure("setup.clean_s", round(total), "s"), figure("setup.circuit_keys_s", round(keys), "s")];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
