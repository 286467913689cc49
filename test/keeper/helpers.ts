/**
 * Keeper test support: the local world (scripts/lib/keeperWorld.ts: a node, a deployment, traders, time
 * travel, an in-process keeper), and the keeper CLI as a separate process whose JSON log lines a test can
 * wait on.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../core/artifacts";

export * from "../../scripts/lib/keeperWorld";

export function writeConfig(dir: string, name: string, cfg: Record<string, unknown>): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** The keeper CLI as a separate Node process, with its JSON log lines parsed as they come. */
export class KeeperProcess {
  readonly lines: LogLine[] = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;

  constructor(readonly proc: ChildProcess) {
    let buf = "";
    proc.stderr!.on("data", (d: Buffer) => {
      const s = String(d);
      this.stderr += s;
      buf += s;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          /* not a log line */
        }
      }
    });
    proc.stdout!.on("data", (d: Buffer) => (this.stdout += String(d)));
    this.exited = new Promise((resolve) => proc.once("exit", (code) => resolve(code)));
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000): Promise<number | null> {
    if (this.proc.exitCode !== null) return this.proc.exitCode;
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** Starts `keeper/cli.ts <command> --config <file>` as a separate process. */
export function spawnKeeper(
  command: string,
  configFile: string,
  key: string | undefined,
  extra: string[] = [],
): KeeperProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ZKMARGIN_KEEPER_KEY;
  if (key !== undefined) env.ZKMARGIN_KEEPER_KEY = key;
  const proc = spawn(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join("keeper", "cli.ts"), command, "--config", configFile, ...extra],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  return new KeeperProcess(proc);
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
