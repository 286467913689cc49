/**
 * Composition root: connects (bounded retries, clear RPC_UNAVAILABLE), checks the registry exists,
 * wires reader, index, sender and executor, and restores the checkpoint.
 */
import { Wallet } from "ethers";
import type { Logger } from "pino";
import { connect, type KeeperProvider } from "./chain/provider";
import { RegistryReader } from "./chain/reader";
import type { LoadedConfig } from "./config";
import { redactUrl } from "./config";
import { KeeperError, KeeperErrorCode, messageOf } from "./errors";
import { Executor } from "./executor";
import { Indexer } from "./index/indexer";
import { Keeper } from "./keeper";
import { TxSender } from "./tx/sender";

export interface App {
  readonly keeper: Keeper;
  readonly provider: KeeperProvider;
  readonly me?: string;
  close(): void;
}

/** signer: send transactions (run, once); without it the keeper only reads and never writes the checkpoint. */
export async function openApp(loaded: LoadedConfig, log: Logger, opts: { signer: boolean }): Promise<App> {
  const c = loaded.config;
  const provider = await connect(c.rpcUrl, c.rpc, (e, attempt, delayMs) =>
    log.warn({ rpc: redactUrl(c.rpcUrl), attempt, delayMs, error: messageOf(e) }, "RPC fault: retrying"),
  );
  try {
    const chainId = (await provider.getNetwork()).chainId;
    if ((await provider.getCode(c.registry)) === "0x") {
      throw new KeeperError(KeeperErrorCode.NoRegistry, `no contract at registry ${c.registry} on chain ${chainId}`);
    }
    const reader = await RegistryReader.create(provider, c.registry);
    const indexer = new Indexer(
      reader,
      { startBlock: c.startBlock, confirmations: c.confirmations, chunk: c.logChunkBlocks },
      log,
    );
    let executor: Executor | undefined;
    let me: string | undefined;
    if (loaded.key !== undefined) me = new Wallet(loaded.key.reveal()).address;
    if (opts.signer && loaded.key !== undefined) {
      const wallet = new Wallet(loaded.key.reveal(), provider);
      const sender = new TxSender(wallet, chainId, { ...c.gas }, log);
      await sender.init();
      executor = new Executor(provider, sender, { registry: c.registry, me: wallet.address, dryRun: c.dryRun }, log);
    }
    const keeper = new Keeper({
      config: c,
      chainId,
      chain: reader,
      indexer,
      log,
      executor,
      me,
      rpcCalls: () => provider.calls,
      readOnly: !opts.signer,
    });
    await keeper.init();
    log.info(
      { chainId, registry: c.registry, keeper: me, dryRun: c.dryRun, finalizedBlock: indexer.finalizedBlock },
      "keeper ready",
    );
    return { keeper, provider, me, close: () => provider.destroy() };
  } catch (e) {
    provider.destroy();
    throw e;
  }
}
