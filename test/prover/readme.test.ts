import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { ROOT } from "../../core/artifacts";
import { freePort } from "../../scripts/lib/node";
import { tmpDir, waitFor } from "./helpers/chain";

/** The README's trader walkthrough: the ```bash blocks between the trader markers, with their terminal. */
export function walkthrough(): { terminal: number; script: string }[] {
  const text = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const a = text.indexOf("<!-- trader:begin -->");
  const b = text.indexOf("<!-- trader:end -->");
  if (a < 0 || b < a) throw new Error("README.md has no trader:begin / trader:end markers");
  return [...text.slice(a, b).matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => {
    const t = /^# terminal (\d)/.exec(m[1]);
    if (!t) throw new Error(`a walkthrough block does not say its terminal:\n${m[1]}`);
    return { terminal: Number(t[1]), script: m[1] };
  });
}

/**
 * Runs the README's trader walkthrough literally: terminal 1's block (`npm run localnet`) and terminal
 * 3's (the daemon) as background processes, every terminal-2 block with `bash -e` (each command must
 * succeed), in the README's order. Only where things go is changed, through the environment: the
 * network's port and the directory of the address book and state files.
 */
describe("README trader walkthrough (run as written)", function () {
  this.timeout(400_000);
  const blocks = walkthrough();
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const bg: { proc: ChildProcess; out: string }[] = [];

  before(async () => {
    dir = tmpDir("readme");
    env = {
      ...process.env,
      ZKMARGIN_LOCALNET_DIR: dir,
      ZKMARGIN_LOCALNET_PORT: String(await freePort()),
      LOG_LEVEL: "info",
    };
    for (const k of [
      "ZKMARGIN_RPC",
      "ZKMARGIN_REGISTRY",
      "ZKMARGIN_PRIVATE_KEY",
      "ZKMARGIN_STATE",
      "ZKMARGIN_PASSPHRASE",
    ])
      delete env[k];
  });
  after(async () => {
    for (const b of bg.reverse()) {
      b.proc.kill("SIGTERM");
      await new Promise((r) => (b.proc.exitCode !== null ? r(undefined) : b.proc.once("exit", r)));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function background(script: string): { proc: ChildProcess; out: string } {
    const proc = spawn("bash", ["-O", "expand_aliases", "-c", script], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const b = { proc, out: "" };
    proc.stdout!.on("data", (d) => (b.out += String(d)));
    proc.stderr!.on("data", (d) => (b.out += String(d)));
    const kill = proc.kill.bind(proc);
    proc.kill = (sig?: NodeJS.Signals | number) => {
      try {
        process.kill(-proc.pid!, sig ?? "SIGTERM"); // the whole group: bash, npm, node, hardhat
        return true;
      } catch {
        return kill(sig);
      }
    };
    bg.push(b);
    return b;
  }

  function run(script: string): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
      // -x: the failing command is the last one echoed
      const p = spawn("bash", ["-e", "-x", "-O", "expand_aliases", "-c", script], {
        cwd: ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      p.stdout.on("data", (d) => (out += String(d)));
      p.stderr.on("data", (d) => (out += String(d)));
      p.on("exit", (code) => resolve({ code, out }));
    });
  }

  it("has a terminal-1 block starting the network, terminal-2 blocks trading and a terminal-3 daemon", () => {
    expect(blocks.map((b) => b.terminal)).to.deep.equal([1, 2, 3, 2]);
    expect(blocks[0].script).to.include("npm run localnet");
    expect(blocks[2].script).to.include("zkm daemon");
  });

  it("runs every block as written", async () => {
    const seen: string[] = [];
    // a terminal keeps its environment and aliases: later blocks of terminal 2 run after them
    let shell = "";
    for (const [i, b] of blocks.entries()) {
      if (b.terminal === 1) {
        const net = background(b.script);
        await waitFor(
          "the network",
          () => net.out.includes("Ctrl-C stops the network"),
          180_000,
          () => net.out,
        );
        expect(net.out).to.match(/export ZKMARGIN_REGISTRY=0x[0-9a-fA-F]{40}/);
        expect(net.out).to.include("the insurance fund holds 1000000 USDC");
      } else if (b.terminal === 3) {
        const d = background(b.script);
        await waitFor(
          "the daemon",
          () => d.out.includes("daemon started"),
          120_000,
          () => d.out,
        );
        expect(d.out).to.match(/dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}/);
      } else {
        const r = await run(`${shell}${b.script}`);
        expect(r.code, `block ${i + 1} (terminal 2) failed:\n${r.out.slice(-4000)}`).to.equal(0);
        seen.push(r.out);
        shell += b.script
          .split("\n")
          .filter((l) => /^(eval|alias|export) /.test(l))
          .map((l) => `${l}\n`)
          .join("");
      }
    }
    const [trade, later] = seen;
    expect(trade).to.include("deposited 5,000.00 USDC");
    expect(trade).to.match(/open long 2\.0000 ETH: done/);
    expect(trade).to.match(/liquidation \d[\d,]*\.\d\d USD \(\d+\.\d\d% away\)/);
    expect(trade).to.match(/reduce ETH by 0\.5000 ETH: done .* realised PnL 75\.00 USD/);
    expect(trade).to.match(/withdrew 1,000\.00 USDC .* settled 75\.00 USD of gains: the fund paid 75\.00 USDC/);
    expect(trade).to.match(/P\(below maintenance\) = \d+\.\d+%/);
    expect(later).to.match(/certificate: \+\/-\d+\.\d\d% box/);
    const daemon = bg[1].out;
    expect(daemon).to.include("daemon started");
  });
});
