/**
 * Starts a real `hardhat node` process on 127.0.0.1 (a free port) for end-to-end tests over JSON-RPC,
 * and deploys a local zkmargin system into it. Every test that uses it stops it in `after`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { ROOT } from "../../scripts/lib/circuits";
import { type LocalSystem, deployLocal } from "../../scripts/lib/deploy";

/** Hardhat's default dev accounts (mnemonic "test test ... junk"): public test keys, never real funds. */
export const DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca883d4ef2cb1c2ba6b9c0c",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733b5c4d5f6ad9a2d43",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d521b8d11ba4d1f1df",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface NodeProcess {
  readonly url: string;
  readonly port: number;
  readonly proc: ChildProcess;
  stop(): Promise<void>;
  /** Kills the node and starts a new one on the same port (state is lost: for RPC-loss tests use pause/resume). */
}

/** Spawns `hardhat node` and resolves once it answers eth_chainId. */
export async function startNode(port?: number): Promise<NodeProcess> {
  const p = port ?? (await freePort());
  const cli = path.join(ROOT, "node_modules", "hardhat", "internal", "cli", "cli.js");
  const proc = spawn(process.execPath, [cli, "node", "--hostname", "127.0.0.1", "--port", String(p)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HARDHAT_NETWORK: undefined },
  });
  let log = "";
  proc.stdout?.on("data", (d) => (log = (log + String(d)).slice(-4000)));
  proc.stderr?.on("data", (d) => (log = (log + String(d)).slice(-4000)));
  const url = `http://127.0.0.1:${p}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hardhat node exited (${proc.exitCode}):\n${log}`);
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`hardhat node did not start within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    port: p,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
        setTimeout(() => proc.kill("SIGKILL"), 5_000).unref();
      }),
  };
}

/** A wallet for one of the dev accounts, with a nonce manager, on `url`. */
export function devWallet(url: string, index: number): NonceManager {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 200 });
  return new NonceManager(new Wallet(DEV_KEYS[index], provider));
}

/** Deploys a local system into the node with dev account 0 as owner. */
export async function deployToNode(url: string): Promise<LocalSystem> {
  return deployLocal(devWallet(url, 0));
}

/** JSON-RPC helpers of a Hardhat node (time travel, mining). */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

export async function increaseTime(url: string, seconds: number): Promise<void> {
  await rpc(url, "evm_increaseTime", [seconds]);
  await rpc(url, "evm_mine");
}
