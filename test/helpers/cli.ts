/**
 * Runs the trader CLI as a separate process (as a user would), with secrets in the environment: the
 * compiled CLI (`npm run build:cli`, dist/prover/cli.js) when it exists, else through ts-node.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../core/artifacts";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const COMPILED_CLI = path.join(ROOT, "dist", "prover", "cli.js");

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

/** The command line that starts the CLI with `args`. */
export function cliCommand(args: string[]): [string, string[]] {
  if (fs.existsSync(COMPILED_CLI)) return [process.execPath, [COMPILED_CLI, ...args]];
  const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
  return [process.execPath, [tsNode, "--transpile-only", "prover/cli.ts", ...args]];
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const [cmd, argv] = cliCommand(args);
  return spawn(cmd, argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawnCli(args, env);
    let stdout = "";
    let stderr = "";
    p.stdout!.on("data", (d) => (stdout += String(d)));
    p.stderr!.on("data", (d) => (stderr += String(d)));
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
