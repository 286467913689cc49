/**
 * Composition root of one deployment: connects (bounded retries, clear RPC_UNAVAILABLE), checks the
 * registry and lens exist, wires reader, index, sender and executor (and our UniswapV2Taker: the
 * configured one, or one deployed once through the executor's sender and remembered next to the
 * checkpoint), and restores the checkpoint.
 */
import * as fs from "node:fs";
import { Wallet } from "ethers";
import type { Logger } from "pino";
import { UniswapV2Taker__factory } from "../core/contracts";
import { connect, type KeeperProvider } from "./chain/provider";
import { RegistryReader } from "./chain/reader";
import { type DeploymentConfig, type SigningKey, redactUrl } from "./config";
import { KeeperError, KeeperErrorCode, messageOf } from "./errors";
import { Executor } from "./executor";
import type { Role } from "./index/events";
import { writeFileAtomic } from "./index/checkpoint";
import { Indexer } from "./index/indexer";
import { Keeper } from "./keeper";
import type { Metrics } from "./metrics";
import { quoteFees } from "./tx/fees";
import { TxSender } from "./tx/sender";

export interface App {
  readonly name: string;
  readonly keeper: Keeper;
  readonly provider: KeeperProvider;
  readonly reader: RegistryReader;
  readonly chainId: bigint;
  readonly me?: string;
  close(): void;
}

export interface OpenOptions {
  /** Send transactions (run, once); without it the keeper only reads and never writes the checkpoint. */
  readonly signer: boolean;
  readonly metrics?: Metrics;
  readonly heartbeatRounds?: number;
  /** One sender per chain and key, shared by deployments on the same chain (one nonce sequence). */
  readonly senders?: Map<string, TxSender>;
}

function takerFile(d: DeploymentConfig): string {
  return `${d.checkpointFile}.taker.json`;
}

export async function openApp(
  d: DeploymentConfig,
  key: SigningKey | undefined,
  log: Logger,
  opts: OpenOptions,
): Promise<App> {
  const dlog = log.child({ deployment: d.name });
  const provider = await connect(d.rpcUrl, d.rpc, (e, attempt, delayMs, method) =>
    dlog.debug({ rpc: redactUrl(d.rpcUrl), method, attempt, delayMs, error: messageOf(e) }, "RPC fault: retrying"),
  );
  try {
    const chainId = (await provider.getNetwork()).chainId;
    for (const [what, a] of [
      ["registry", d.registry],
      ["lens", d.lens],
    ] as const) {
      if ((await provider.getCode(a)) === "0x")
        throw new KeeperError(KeeperErrorCode.NoRegistry, `no contract at ${what} ${a} on chain ${chainId}`);
    }
    let taker = d.sales.taker;
    if (taker === undefined && fs.existsSync(takerFile(d)))
      taker = (JSON.parse(fs.readFileSync(takerFile(d), "utf8")) as { taker?: string }).taker;
    const reader = await RegistryReader.create(provider, { registry: d.registry, lens: d.lens, taker });
    const me = key === undefined ? undefined : new Wallet(key.reveal()).address;
    let executor: Executor | undefined;
    let sender: TxSender | undefined;
    if (opts.signer && key !== undefined) {
      const wallet = new Wallet(key.reveal(), provider);
      const k = `${chainId}:${wallet.address}`;
      sender = opts.senders?.get(k);
      if (sender === undefined) {
        sender = new TxSender(wallet, chainId, { ...d.gas }, dlog);
        await sender.init();
        opts.senders?.set(k, sender);
      }
      if (taker === undefined && d.sales.deployTaker && !d.dryRun) {
        taker = await deployTaker(provider, sender, wallet.address, reader.addresses.auction, d, dlog);
        writeFileAtomic(takerFile(d), JSON.stringify({ taker }));
      }
    }
    const a = { ...reader.addresses, taker };
    const roles = new Map<string, Role>([
      [a.registry.toLowerCase(), "registry"],
      [a.auction.toLowerCase(), "auction"],
      [a.fund.toLowerCase(), "fund"],
      ...(taker ? ([[taker.toLowerCase(), "taker"]] as [string, Role][]) : []),
    ]);
    const chain = taker === reader.addresses.taker ? reader : await RegistryReader.create(provider, { ...a, taker });
    if (sender !== undefined && me !== undefined)
      executor = new Executor(
        provider,
        sender,
        {
          registry: a.registry,
          auction: a.auction,
          fund: a.fund,
          risk: a.risk,
          taker,
          me,
          dryRun: d.dryRun,
          maxTxGas: BigInt(d.gas.maxTxGas),
          roles,
        },
        dlog,
      );
    const indexer = new Indexer(
      chain,
      {
        startBlock: d.startBlock,
        confirmations: d.confirmations,
        chunk: d.logChunkBlocks,
        roles,
        identity: { me, taker },
      },
      dlog,
    );
    const keeper = new Keeper({
      config: d,
      chainId,
      chain,
      indexer,
      log: dlog,
      executor,
      me,
      rpcCalls: () => provider.calls,
      rpcErrors: () => provider.errors,
      readOnly: !opts.signer,
      metrics: opts.metrics,
      heartbeatRounds: opts.heartbeatRounds,
    });
    await keeper.init();
    dlog.info(
      { chainId, registry: d.registry, keeper: me, taker, dryRun: d.dryRun, finalizedBlock: indexer.finalizedBlock },
      "keeper ready",
    );
    return { name: d.name, keeper, provider, reader: chain, chainId, me, close: () => provider.destroy() };
  } catch (e) {
    provider.destroy();
    throw e;
  }
}

/** Deploys a UniswapV2Taker owned by the keeper, through the keeper's own sender (nonce, fees). */
async function deployTaker(
  provider: KeeperProvider,
  sender: TxSender,
  owner: string,
  house: string,
  d: DeploymentConfig,
  log: Logger,
): Promise<string> {
  const tx = await new UniswapV2Taker__factory().getDeployTransaction(owner, house, d.sales.router!);
  const gas = await provider.estimateGas({ from: owner, data: tx.data });
  const head = await provider.getBlock("latest");
  const fees = quoteFees(head?.baseFeePerGas ?? null, d.gas);
  if (fees === undefined)
    throw new KeeperError(KeeperErrorCode.TxFailed, "base fee at the cap: cannot deploy the taker");
  const sent = await sender.send({ to: null, data: tx.data, value: 0n, gasLimit: (gas * 13n) / 10n }, fees);
  const address = sent.receipt.contractAddress;
  if (sent.receipt.status !== 1 || !address)
    throw new KeeperError(KeeperErrorCode.TxFailed, "taker deployment reverted");
  log.info({ taker: address, router: d.sales.router }, "UniswapV2Taker deployed (owned by the keeper)");
  return address;
}
