/**
 * Starts a relayer: connects to the chain and checks the deployment (relayer/chain.ts), loads the
 * certificate verification key (checked against the deployed batch verifier) and warms the curve, takes
 * the signing key's nonce, starts the batcher and the HTTP server. `close()` stops accepting, stops the
 * batcher (a transaction in flight may still be mined) and closes the RPC connection.
 */
import { Wallet } from "ethers";
import type { Logger } from "pino";
import { warmUp } from "../core/groth16";
import { Batcher } from "./batcher";
import { RelayerChain, readVkey } from "./chain";
import type { RelayerConfig } from "./config";
import { RelayerError, RelayerErrorCode } from "./errors";
import { buildApp } from "./http";
import { Intake } from "./intake";
import { TxSender } from "./sender";
import { AnswerStore } from "./store";

export interface Relayer {
  /** http://host:port */
  readonly url: string;
  /** The address that submits (and is paid the relayer share). */
  readonly address: string;
  readonly store: AnswerStore;
  readonly batcher: Batcher;
  close(): Promise<void>;
}

export async function startRelayer(c: RelayerConfig, privateKey: string, log: Logger): Promise<Relayer> {
  const vkey = readVkey(c.vkey);
  const chain = await RelayerChain.connect(c, vkey);
  let wallet: Wallet;
  try {
    wallet = new Wallet(privateKey, chain.provider);
  } catch {
    chain.destroy();
    throw new RelayerError(RelayerErrorCode.BadConfig, "the signing key is not a valid secp256k1 private key");
  }
  // the first snarkjs verification builds the curve (about a second): not on a trader's request
  await warmUp();
  const sender = new TxSender(wallet, chain.chainId, c.gas, log.child({ part: "sender" }));
  await sender.init();
  const store = new AnswerStore(c.queue);
  const batcher = new Batcher(chain, sender, store, { ...c.batch, ...c.gas }, log.child({ part: "batcher" }));
  const intake = new Intake(chain, vkey, c.batch.minTimeLeftSec);
  const app = await buildApp({ http: c.http, store, intake, batcher, chain, relayer: wallet.address, log });
  batcher.start(await chain.head());
  const prune = setInterval(() => store.prune(), 10_000);
  prune.unref();
  let url: string;
  try {
    await app.listen({ host: c.http.host, port: c.http.port });
    const addr = app.server.address();
    const port = typeof addr === "object" && addr ? addr.port : c.http.port;
    url = `http://${c.http.host.includes(":") ? `[${c.http.host}]` : c.http.host}:${port}`;
  } catch (e) {
    clearInterval(prune);
    await batcher.stop();
    chain.destroy();
    throw e;
  }
  log.info(
    { url, relayer: wallet.address, registry: c.registry, chainId: chain.chainId, maxBatch: c.batch.maxSize },
    "relayer started",
  );
  return {
    url,
    address: wallet.address,
    store,
    batcher,
    close: async () => {
      clearInterval(prune);
      await app.close();
      await batcher.stop();
      chain.destroy();
      log.info({ event: "stopped" }, "relayer stopped");
    },
  };
}
