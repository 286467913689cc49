/**
 * The project's version (package.json), for every CLI's `--version` (prover, keeper, relayer), read at
 * run time so that the compiled CLIs in dist/ and the sources report the same.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./artifacts";

export function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}
