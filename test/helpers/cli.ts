/** Runs the trader CLI as a separate process (as a user would), with secrets in the environment. */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../../core/artifacts";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function cliEnv(
  rpc: string,
  registry: string,
  key: string,
  state: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ZKMARGIN_RPC: rpc,
    ZKMARGIN_REGISTRY: registry,
    ZKMARGIN_PRIVATE_KEY: key,
    ZKMARGIN_PASSPHRASE: "test passphrase (insecure)",
    ZKMARGIN_STATE: state,
    LOG_LEVEL: "warn",
    ...extra,
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
    const p = spawn(process.execPath, [tsNode, "--transpile-only", "prover/cli.ts", ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += String(d)));
    p.stderr.on("data", (d) => (stderr += String(d)));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`cli ${args.join(" ")} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    p.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
