/**
 * The trader CLI run in this process (prover/cli/main.ts main() with captured stdout and stderr and an
 * explicit environment): the same code as `node dist/prover/cli.js`, without a process start, for
 * argument checks and for commands whose process boundary a test does not need (issue 15, item 9).
 */
import { main } from "../../../prover/cli/main";
import type { CliResult } from "../../helpers/cli";

export async function zkm(args: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "zkm", ...args], {
    out: (s) => (stdout += s),
    err: (s) => (stderr += s),
    env,
    signal,
  });
  return { code, signal: null, stdout, stderr };
}
