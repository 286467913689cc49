/**
 * Reads a deployment's public record over plain JSON-RPC (no archive state needed): every log of the
 * registry, the insurance fund and the risk engine, every registry transaction those logs point to (and,
 * for short ranges, every registry transaction of every block, reverted ones too), and rebuilds each
 * account's history: deposits, updates with their settlement and withdrawal, certificates with the
 * collateral they were proven with, challenges with their top-ups and outcomes, liquidations, claims.
 * Balances are rebuilt from the events with the registry's own arithmetic (prover/lib/value.ts) and
 * checked against collateralOf at the last block.
 */
import { type Interface, type Log, type Provider, type TransactionResponse, getAddress } from "ethers";
import {
  IERC20Metadata__factory,
  InsuranceFund__factory,
  RiskEngine__factory,
  ZkMarginRegistry__factory,
} from "../../../core/contracts";
import type { Types } from "../../../core/contracts";
import { toLiquidation, toRecord, unpack16, unpackPrices } from "../../../prover/lib/chain";
import { afterLoss, valueOf } from "../../../prover/lib/value";
import type { AccountHistory, AssetInfo, CertFact, CertSource, ChallengeFact, Deployment, Ref, TxFact } from "./types";

export interface DecodeOptions {
  readonly fromBlock?: number;
  readonly toBlock?: number;
  /** eth_getLogs range per request (hosted RPCs cap it). */
  readonly logChunk?: number;
  /** Also scan every block for registry calls without logs (reverted): default when the range is short. */
  readonly scanBlocks?: boolean;
  readonly progress?: (line: string) => void;
}

const SCAN_BLOCKS_DEFAULT_MAX = 5_000;

interface ParsedLog {
  readonly source: "registry" | "fund" | "risk";
  readonly name: string;
  readonly args: Record<string, unknown> & unknown[];
  readonly log: Log;
}

async function logsOf(provider: Provider, address: string, from: number, to: number, chunk: number): Promise<Log[]> {
  const out: Log[] = [];
  for (let a = from; a <= to; a += chunk) {
    const b = Math.min(to, a + chunk - 1);
    out.push(...(await provider.getLogs({ address, fromBlock: a, toBlock: b })));
  }
  return out;
}

/** Runs `fn` over `items` with at most `n` calls in flight. */
async function pool<T, R>(items: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await fn(items[k]);
      }
    }),
  );
  return out;
}

/** 21,000 + 16 gas per non-zero calldata byte + 4 per zero byte. */
export function intrinsicGas(data: string): bigint {
  let g = 21_000n;
  for (let i = 2; i < data.length; i += 2) g += data.slice(i, i + 2) === "00" ? 4n : 16n;
  return g;
}

function parse(iface: Interface, source: ParsedLog["source"], log: Log): ParsedLog | undefined {
  try {
    const p = iface.parseLog(log);
    if (!p) return undefined;
    return { source, name: p.name, args: p.args as unknown as ParsedLog["args"], log };
  } catch {
    return undefined;
  }
}

function addr(x: unknown): string {
  return getAddress(String(x));
}

/** The account a registry call acts on: its first address argument, else the sender. */
function callAccount(fn: string, args: readonly unknown[], from: string): string | undefined {
  switch (fn) {
    case "challenge":
    case "respond":
    case "respondDeleverage":
    case "liquidate":
      return addr(args[0]);
    case "update":
    case "prove":
    case "claim":
    case "deposit":
    case "openAccount":
      return from;
    default:
      return undefined;
  }
}

function callArgs(fn: string, args: readonly unknown[]): Record<string, string> {
  const a = args as unknown as Record<number, Record<string, unknown>>;
  switch (fn) {
    case "update":
      return {
        settle: String(a[0].settle),
        withdrawAsset: String(a[0].withdrawAsset),
        withdrawAmount: String(a[0].withdrawAmount),
        d: String(a[0].d),
      };
    case "prove":
      return { d: String(args[0]) };
    case "respond":
      return { account: String(args[0]), d: String(args[2]) };
    case "respondDeleverage":
      return { account: String(args[0]), fee: String(a[2].fee), d: String(a[2].d) };
    case "claim":
      return { claimed: String(args[1]) };
    case "deposit":
      return { asset: String(args[0]), amount: String(args[1]) };
    default:
      return {};
  }
}

/** Reads and rebuilds every account's public history. */
export async function decodeDeployment(
  provider: Provider,
  registryAddress: string,
  o: DecodeOptions = {},
): Promise<Deployment> {
  const progress = o.progress ?? (() => undefined);
  const registry = ZkMarginRegistry__factory.connect(registryAddress, provider);
  const regAddr = getAddress(registryAddress);
  const [fundAddr, riskAddr, [tokens, decimals], net, head] = await Promise.all([
    registry.fund(),
    registry.risk(),
    registry.assets(),
    provider.getNetwork(),
    provider.getBlockNumber(),
  ]);
  const fromBlock = o.fromBlock ?? 0;
  const toBlock = Math.min(o.toBlock ?? head, head);
  const notes: string[] = [];
  const assets: AssetInfo[] = await Promise.all(
    tokens.map(async (t, i) => ({
      token: t,
      decimals: Number(decimals[i]),
      symbol: await IERC20Metadata__factory.connect(t, provider)
        .symbol()
        .catch(() => `asset${i}`),
    })),
  );
  const dec = assets.map((a) => a.decimals);
  const chunk = o.logChunk ?? 10_000;

  const regIface = ZkMarginRegistry__factory.createInterface();
  const fundIface = InsuranceFund__factory.createInterface();
  const riskIface = RiskEngine__factory.createInterface();
  const [regLogs, fundLogs, riskLogs] = await Promise.all([
    logsOf(provider, regAddr, fromBlock, toBlock, chunk),
    logsOf(provider, fundAddr, fromBlock, toBlock, chunk),
    logsOf(provider, riskAddr, fromBlock, toBlock, chunk),
  ]);
  progress(`audit: ${regLogs.length} registry, ${fundLogs.length} fund, ${riskLogs.length} risk logs`);
  const parsed = [
    ...regLogs.map((l) => parse(regIface, "registry", l)),
    ...fundLogs.map((l) => parse(fundIface, "fund", l)),
    ...riskLogs.map((l) => parse(riskIface, "risk", l)),
  ]
    .filter((p): p is ParsedLog => p !== undefined)
    .sort((x, y) => x.log.blockNumber - y.log.blockNumber || x.log.index - y.log.index);

  // block times and transactions
  const blocks = [...new Set(parsed.map((p) => p.log.blockNumber))];
  const times = new Map<number, number>();
  await pool(blocks, 8, async (b) => {
    const blk = await provider.getBlock(b);
    times.set(b, blk?.timestamp ?? 0);
  });
  const txHashes = [...new Set(parsed.filter((p) => p.source === "registry").map((p) => p.log.transactionHash))];
  const txs = new Map<string, TxFact>();
  const toFact = async (tx: TransactionResponse): Promise<TxFact | undefined> => {
    const receipt = await provider.getTransactionReceipt(tx.hash);
    if (!receipt || !tx.to || getAddress(tx.to) !== regAddr) return undefined;
    let fn = "unknown";
    let args: readonly unknown[] = [];
    try {
      const d = regIface.parseTransaction({ data: tx.data, value: tx.value });
      if (d) {
        fn = d.name;
        args = d.args;
      }
    } catch {
      /* not a registry call */
    }
    const from = getAddress(tx.from);
    return {
      hash: tx.hash,
      block: receipt.blockNumber,
      from,
      fn,
      status: receipt.status ?? 0,
      gasUsed: receipt.gasUsed,
      executionGas: receipt.gasUsed - intrinsicGas(tx.data),
      account: callAccount(fn, args, from),
      args: callArgs(fn, args),
    };
  };
  await pool(txHashes, 8, async (h) => {
    const tx = await provider.getTransaction(h);
    const f = tx ? await toFact(tx) : undefined;
    if (f) txs.set(h, f);
  });
  const scan = o.scanBlocks ?? toBlock - fromBlock <= SCAN_BLOCKS_DEFAULT_MAX;
  if (scan) {
    const range = Array.from({ length: toBlock - fromBlock + 1 }, (_, k) => fromBlock + k);
    await pool(range, 8, async (b) => {
      const blk = await provider.getBlock(b, true);
      for (const tx of blk?.prefetchedTransactions ?? []) {
        if (!tx.to || getAddress(tx.to) !== regAddr || txs.has(tx.hash)) continue;
        const f = await toFact(tx);
        if (f) {
          txs.set(tx.hash, f);
          if (!times.has(b)) times.set(b, blk?.timestamp ?? 0);
        }
      }
    });
  } else {
    notes.push(
      `blocks ${fromBlock}..${toBlock} were not scanned for reverted registry calls (range above ${SCAN_BLOCKS_DEFAULT_MAX}; pass --scan-blocks): their calldata is public too`,
    );
  }

  // ratios in force: initial from a read at the first block (needs archive state), then RatiosChanged
  let mm: (bigint | undefined)[] = [undefined, undefined, undefined, undefined];
  let im: (bigint | undefined)[] = [undefined, undefined, undefined, undefined];
  try {
    const packed = await RiskEngine__factory.connect(riskAddr, provider).packedRatios({
      blockTag: Math.max(fromBlock - 1, 0),
    });
    if (packed !== 0n) {
      mm = unpack16(packed & ((1n << 64n) - 1n));
      im = unpack16(packed >> 64n);
    }
  } catch {
    /* no archive state, or the risk engine is younger than fromBlock: RatiosChanged events give them */
  }

  // rebuild
  const accounts = new Map<string, AccountHistory>();
  const hist = (a: string): AccountHistory => {
    const k = getAddress(a);
    let h = accounts.get(k);
    if (!h) {
      h = {
        account: k,
        deposits: [],
        updates: [],
        certs: [],
        challenges: [],
        claims: [],
        txs: [],
        balances: assets.map(() => 0n),
      };
      accounts.set(k, h);
    }
    return h;
  };
  const byTx = new Map<string, ParsedLog[]>();
  for (const p of parsed) {
    const list = byTx.get(p.log.transactionHash) ?? [];
    list.push(p);
    byTx.set(p.log.transactionHash, list);
  }
  const ref = (p: ParsedLog): Ref => ({
    block: p.log.blockNumber,
    logIndex: p.log.index,
    tx: p.log.transactionHash,
    time: times.get(p.log.blockNumber) ?? 0,
  });
  const openChallenge = (h: AccountHistory): ChallengeFact | undefined => {
    const c = h.challenges[h.challenges.length - 1];
    return c && !c.outcome ? c : undefined;
  };
  const known = <T>(xs: (T | undefined)[]): T[] | undefined =>
    xs.every((x) => x !== undefined) ? (xs as T[]) : undefined;

  for (const p of parsed) {
    const a = p.args;
    if (p.source === "risk") {
      if (p.name === "RatiosChanged") {
        const j = Number(a.market);
        mm = mm.map((x, i) => (i === j ? BigInt(a.mm as bigint) : x));
        im = im.map((x, i) => (i === j ? BigInt(a.im as bigint) : x));
      }
      continue;
    }
    if (p.source === "fund") continue;
    const sameTx = byTx.get(p.log.transactionHash) ?? [];
    const certIn = sameTx.find((x) => x.source === "registry" && x.name === "Certified");
    const certPrices = () => {
      const c = certIn?.args.cert as unknown as Types.CertStructOutput | undefined;
      if (!c) throw new Error(`transaction ${p.log.transactionHash}: no Certified event beside ${p.name}`);
      return unpackPrices(BigInt(c.assetPrices)).slice(0, assets.length);
    };
    switch (p.name) {
      case "AccountOpened":
        hist(String(a.account)).opened = ref(p);
        break;
      case "Deposited": {
        const h = hist(String(a.account));
        const dep = { ...ref(p), asset: Number(a.asset), amount: BigInt(a.amount as bigint) };
        h.balances[dep.asset] += dep.amount;
        h.deposits.push(dep);
        openChallenge(h)?.deposits.push(dep);
        break;
      }
      case "Updated": {
        const h = hist(String(a.account));
        const settle = BigInt(a.settle as bigint);
        const prices = certPrices();
        let paidTokens = 0n;
        let owedTokens = 0n;
        if (settle > 0n) {
          for (const f of sameTx.filter((x) => x.source === "fund")) {
            if (f.name === "Paid" && addr(f.args.to) === regAddr) paidTokens += BigInt(f.args.paid as bigint);
            if (f.name === "Owed" && addr(f.args.creditor) === h.account) owedTokens += BigInt(f.args.amount as bigint);
          }
          h.balances[0] += paidTokens;
        } else if (settle < 0n) {
          h.balances = afterLoss(h.balances, -settle, prices, dec);
        }
        const wa = Number(a.withdrawAsset);
        const wAmount = BigInt(a.withdrawAmount as bigint);
        if (wAmount > 0n) h.balances[wa] -= wAmount;
        const tx = txs.get(p.log.transactionHash);
        h.updates.push({
          ...ref(p),
          nonce: BigInt(a.nonce as bigint),
          commitment: BigInt(a.commitment as bigint),
          settle,
          withdrawAsset: wa,
          withdrawAmount: wAmount,
          cert: undefined as unknown as CertFact, // set by the Certified event that follows
          from: tx?.from ?? h.account,
          gasUsed: tx?.gasUsed ?? 0n,
          executionGas: tx?.executionGas ?? 0n,
          paidTokens,
          owedTokens,
          mm: known(mm),
          im: known(im),
        });
        break;
      }
      case "Certified": {
        const h = hist(String(a.account));
        const c = a.cert as unknown as Types.CertStructOutput;
        const names = new Set(sameTx.filter((x) => x.source === "registry").map((x) => x.name));
        const source: CertSource = names.has("AccountOpened")
          ? "open"
          : names.has("Updated")
            ? "update"
            : names.has("Responded")
              ? "respond"
              : names.has("Deleveraged")
                ? "deleverage"
                : "prove";
        const assetPrices = unpackPrices(BigInt(c.assetPrices)).slice(0, assets.length);
        const haircuts = unpack16(BigInt(c.haircuts), assets.length);
        const ch = h.challenges[h.challenges.length - 1];
        let required: bigint[] | undefined;
        if (source === "update" || source === "prove") required = known(mm);
        else if (source === "respond" && ch) required = ch.mm;
        else if (source === "deleverage" && ch) {
          required = ch.mm.map((m) => {
            const t = (m * ch.record.targetFactorBps + 9_999n) / 10_000n;
            return t > 10_000n ? 10_000n : t;
          });
        }
        const cert: CertFact = {
          ...ref(p),
          source,
          nonce: BigInt(a.nonce as bigint),
          provenAt: BigInt(c.provenAt),
          d: BigInt(c.d),
          pm: unpack16(BigInt(c.pm)),
          haircuts,
          marketPrices: unpackPrices(BigInt(c.marketPrices)),
          assetPrices,
          balances: [...h.balances],
          value: valueOf(h.balances, assetPrices, haircuts, dec),
          required,
        };
        h.certs.push(cert);
        if (source === "update") {
          const u = h.updates[h.updates.length - 1];
          (u as { cert: CertFact }).cert = cert;
        } else if (ch?.outcome && ch.outcome.kind !== "liquidated" && ch.outcome.tx === p.log.transactionHash) {
          ch.outcome.cert = cert;
        }
        break;
      }
      case "Challenged": {
        const h = hist(String(a.account));
        const record = toRecord(a.record as unknown as Types.ChallengeRecordStructOutput);
        const pinnedAssetPrices = unpackPrices(record.assetPrices).slice(0, assets.length);
        const haircuts = unpack16(record.haircuts, assets.length);
        h.challenges.push({
          ...ref(p),
          challenger: addr(a.challenger),
          record,
          pinnedPrices: unpackPrices(record.marketPrices),
          pinnedAssetPrices,
          mm: unpack16(record.mm),
          haircuts,
          balancesAtPin: [...h.balances],
          valueAtPin: valueOf(h.balances, pinnedAssetPrices, haircuts, dec),
          deposits: [],
        });
        break;
      }
      case "Responded": {
        const ch = openChallenge(hist(String(a.account)));
        if (ch) ch.outcome = { ...ref(p), kind: "responded", submitter: addr(a.submitter) };
        break;
      }
      case "Deleveraged": {
        const h = hist(String(a.account));
        const fee = BigInt(a.fee as bigint);
        h.balances = afterLoss(h.balances, fee, certPrices(), dec);
        const ch = openChallenge(h);
        if (ch) {
          ch.outcome = {
            ...ref(p),
            kind: "deleveraged",
            submitter: addr(a.submitter),
            fee,
            feeBps: ch.record.deleverageFeeBps,
          };
        }
        break;
      }
      case "Liquidated": {
        const h = hist(String(a.account));
        const record = toLiquidation(a.record as unknown as Types.LiquidationRecordStructOutput);
        h.balances = h.balances.map(() => 0n);
        const ch = openChallenge(h);
        if (ch) {
          ch.outcome = {
            ...ref(p),
            kind: "liquidated",
            liquidator: addr(a.liquidator),
            record,
            marketPrices: unpackPrices(record.marketPrices),
            assetPrices: unpackPrices(record.assetPrices).slice(0, assets.length),
            bounty: BigInt(a.bountyValue as bigint),
          };
        }
        break;
      }
      case "Claimed": {
        hist(String(a.account)).claims.push({
          ...ref(p),
          claimed: BigInt(a.claimed as bigint),
          tokens: BigInt(a.tokens as bigint),
          paid: BigInt(a.paid as bigint),
        });
        break;
      }
      default:
        break;
    }
  }
  for (const t of [...txs.values()].sort((x, y) => x.block - y.block)) {
    if (t.account) hist(t.account).txs.push(t);
  }

  if ([...accounts.values()].some((h) => h.updates.some((u) => !u.mm))) {
    notes.push(
      "the ratios in force at some updates are unknown (no archive state before the first block read, no RatiosChanged since): pass --from-block at or before the risk engine's deployment",
    );
  }

  // the rebuilt balances must be the registry's
  const list = [...accounts.values()].filter((h) => h.opened || h.updates.length > 0 || h.deposits.length > 0);
  await pool(list, 8, async (h) => {
    try {
      const onChain = (await registry.collateralOf(h.account, { blockTag: toBlock })).slice(0, assets.length);
      if (onChain.some((b, i) => BigInt(b) !== h.balances[i])) {
        notes.push(
          `${h.account}: rebuilt balances ${h.balances.join("/")} differ from collateralOf ${onChain.join("/")}`,
        );
        h.balances = onChain.map(BigInt);
      }
    } catch {
      notes.push(`${h.account}: collateralOf at block ${toBlock} could not be read; balances rebuilt from events`);
    }
  });
  return {
    chainId: net.chainId,
    registry: regAddr,
    fund: getAddress(fundAddr),
    risk: getAddress(riskAddr),
    fromBlock,
    toBlock,
    assets,
    accounts: list.sort((x, y) => (x.opened?.block ?? 0) - (y.opened?.block ?? 0)),
    notes,
  };
}
