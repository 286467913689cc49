/**
 * Opening the trader's account for a command: secrets (key and passphrase from the environment or
 * files, never the command line), the RPC endpoints (rotating, retried), the proving keys and the
 * TraderService, which checks the registry and the verifiers and waits for the state lock.
 */
import * as fs from "node:fs";
import { NonceManager, Wallet } from "ethers";
import type { Logger } from "pino";
import { type ProverKeys, loadKeys } from "../lib/circuits";
import { RotatingProvider, type RpcEvent, redactUrl } from "../net/provider";
import { TraderService } from "../service/trader";
import { type Globals, InputError } from "./args";

export function secret(env: NodeJS.ProcessEnv, envName: string, file: string | undefined, what: string): string {
  if (file) {
    if (!fs.existsSync(file)) throw new InputError(`${what} file ${file} does not exist`);
    return fs.readFileSync(file, "utf8").trim();
  }
  const v = env[envName];
  if (!v)
    throw new InputError(
      `no ${what}: set ${envName} or pass --${what === "private key" ? "key-file" : "passphrase-file"}`,
    );
  return v;
}

export interface Secrets {
  readonly key: string;
  readonly passphrase: string;
}

/** Reads and checks both secrets (before anything connects). */
export function secrets(g: Globals, env: NodeJS.ProcessEnv): Secrets {
  const key = secret(env, "ZKMARGIN_PRIVATE_KEY", g.keyFile, "private key");
  const passphrase = secret(env, "ZKMARGIN_PASSPHRASE", g.passphraseFile, "passphrase");
  try {
    new Wallet(key);
  } catch (e) {
    throw new InputError(`invalid private key: ${(e as Error).message.split(" (")[0]}`);
  }
  return { key, passphrase };
}

/** Proving keys stay in memory (one load per process and build directory). */
const keyCache = new Map<string, Promise<ProverKeys>>();
function keysFor(build: string | undefined): Promise<ProverKeys> {
  const k = build ?? "";
  let p = keyCache.get(k);
  if (!p) {
    p = loadKeys(build);
    keyCache.set(k, p);
    p.catch(() => keyCache.delete(k));
  }
  return p;
}

export interface ConnectOptions {
  readonly create?: boolean;
  /** Keep the state lock for the whole command (commands that change the private state). */
  readonly hold?: boolean;
  readonly role: "cli" | "daemon";
  /** Keep trying while no endpoint answers (the daemon). */
  readonly persist?: boolean;
  readonly signal?: AbortSignal;
  readonly lockWaitMs?: number;
  /** Told each time no endpoint answered a round (with `persist`). */
  readonly onRpcWait?: (why: string) => void;
  /** Told once an endpoint answered. */
  readonly onRpcUp?: () => void;
}

export async function provider(g: Globals, log: Logger, o: Pick<ConnectOptions, "persist" | "signal" | "onRpcWait">) {
  let warned = false;
  return RotatingProvider.connect(g.rpcs, {
    persist: o.persist,
    signal: o.signal,
    onWait: (why) => {
      if (!warned) log.warn({ event: "rpc-wait", err: why }, "no RPC endpoint answers yet: retrying");
      warned = true;
      o.onRpcWait?.(why);
    },
    onEvent: (e: RpcEvent) =>
      e.kind === "failover"
        ? log.debug({ event: "rpc-failover", from: e.from, to: e.to, err: e.error }, "RPC endpoint failed: next one")
        : log.debug({ event: "rpc-recovered", url: e.url, downMs: e.downMs }, "RPC endpoint answers again"),
  });
}

export async function connect(
  g: Globals,
  s: Secrets,
  log: Logger,
  o: ConnectOptions,
): Promise<{ t: TraderService; provider: RotatingProvider }> {
  const p = await provider(g, log, o);
  o.onRpcUp?.();
  // NonceManager: ethers caches identical nonce queries for 250 ms, so back-to-back sends would collide
  const signer = new NonceManager(new Wallet(s.key, p));
  log.debug({ event: "rpc", url: redactUrl(p.url) }, "connected");
  const keys = await keysFor(g.build);
  const opts = {
    stateFile: g.state,
    passphrase: s.passphrase,
    signer,
    registry: g.registry,
    keys,
    logger: log,
    fromBlock: g.fromBlock,
    role: o.role,
    lockWaitMs: o.lockWaitMs,
  };
  const t = o.create ? await TraderService.init(opts) : await TraderService.open(opts, o.hold ?? true);
  return { t, provider: p };
}
