/**
 * A local development chain: starts a real `hardhat node` process on 127.0.0.1 (a free port), with
 * Hardhat's public dev accounts, and deploys a local zkmargin system into it. The demo, the benchmarks and
 * the end-to-end tests use it; whoever starts a node stops it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { HDNodeWallet, JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { ROOT } from "../../core/artifacts";
import { type System, deployLocal, seedLocal } from "./deploy";
import { type Params, localParams } from "./params";

/** Hardhat's default dev accounts (mnemonic "test test ... junk"): public test keys, never real funds. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const DEV_KEYS: string[] = Array.from(
  { length: 10 },
  (_, i) => HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey,
);

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
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
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

/**
 * Deploys a local system into the node with dev account 0 as deployer (the timelock owns it, dev account
 * 0 proposes and executes), mints test tokens to dev accounts 1..9, funds the insurance fund and seeds the
 * Uniswap pool.
 */
export async function deployToNode(url: string, params: Params = localParams()): Promise<System> {
  const deployer = devWallet(url, 0);
  const sys = await deployLocal(deployer, params);
  const traders = await Promise.all(DEV_KEYS.slice(1).map((k) => new Wallet(k).getAddress()));
  await seedLocal(sys, deployer, { traders });
  return sys;
}

/** One JSON-RPC call (dev-chain methods too: evm_mine, evm_increaseTime, ...). */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
