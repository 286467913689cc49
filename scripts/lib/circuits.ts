import * as fs from "node:fs";
import * as path from "node:path";
import { type CircuitName, ROOT } from "../../core/artifacts";

/** The build-artifact paths live in core/ (the prover reads them too); the build's own settings are here. */
export * from "../../core/artifacts";

/**
 * Public beacons of the INSECURE development setup: anyone can recompute every key from them, so
 * they protect nothing. They make the build reproducible byte for byte.
 */
export const DEV_PTAU_BEACON = "7a6b6d617267696e2d6465762d70746175000000000000000000000000000001";
export const DEV_ZKEY_BEACON = "7a6b6d617267696e2d6465762d7a6b6579000000000000000000000000000002";
export const BEACON_ITERATIONS_EXP = "10";

export interface CircuitInstance {
  readonly file: string;
  readonly template: string;
  readonly params: number[];
  readonly pubs: string[];
}

export function instances(): Record<CircuitName, CircuitInstance> {
  const file = path.join(ROOT, "circuits", "circuits.json");
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<CircuitName, CircuitInstance>;
}
