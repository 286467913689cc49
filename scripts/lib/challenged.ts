/**
 * Challenged traders on a local node, with their answers ready: what the relayer's tests and bench
 * start from. Traders are fresh wallets (funded with ETH from dev account 0) that open an account and
 * deposit settlement collateral; `challengeAll` lets the freshness period run out, refreshes the test
 * feeds and challenges them in one challengeBatch; `answerAll` proves each one's Certificate at the
 * pinned prices with the trader's own prover (prover/lib/actions prepareResponse).
 */
import { HDNodeWallet, JsonRpcProvider, MaxUint256, type Signer, Wallet, parseEther } from "ethers";
import type { Types } from "../../core/contracts";
import type { SolidityProof } from "../../core/groth16";
import { prepareResponse } from "../../prover/lib/actions";
import { type ChallengeRecord, ChainView, toRecord } from "../../prover/lib/chain";
import type { ProverKeys } from "../../prover/lib/circuits";
import { type AccountState, emptyState } from "../../prover/model";
import type { System } from "./deploy";
import { DEV_MNEMONIC, devWallet, rpc } from "./node";

export interface Trader {
  readonly wallet: Wallet;
  readonly address: string;
  /** The trader's private state (empty: collateral only). */
  readonly state: AccountState;
}

export interface ReadyAnswer {
  readonly account: string;
  readonly record: ChallengeRecord;
  readonly d: bigint;
  readonly pm: bigint;
  readonly proof: SolidityProof;
}

/** A deterministic trader wallet (mnemonic path index `i`, far from Hardhat's 20 funded accounts). */
export function traderWallet(url: string, i: number): Wallet {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  return new Wallet(
    HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${1000 + i}`).privateKey,
    provider,
  );
}

/**
 * Opens `n` accounts (wallet indices first..first+n-1), each depositing `deposit` settlement units
 * (6 decimals) and holding as much again, approved to the registry.
 */
export async function openTraders(
  sys: System,
  url: string,
  n: number,
  o: { first?: number; deposit?: bigint } = {},
): Promise<Trader[]> {
  const funder = devWallet(url, 0);
  const deposit = o.deposit ?? 5_000n * 10n ** 6n;
  const out: Trader[] = [];
  for (let k = 0; k < n; k++) {
    const wallet = traderWallet(url, (o.first ?? 0) + k);
    await (await funder.sendTransaction({ to: wallet.address, value: parseEther("1") })).wait();
    // twice the deposit, approved without limit: a test can top the account up in one transaction
    await (await sys.tokens[0].connect(funder).mint(wallet.address, 2n * deposit)).wait();
    const reg = sys.registry.connect(wallet);
    await (await reg.openAccount()).wait();
    await (await sys.tokens[0].connect(wallet).approve(await reg.getAddress(), MaxUint256)).wait();
    await (await reg.deposit(0, deposit)).wait();
    out.push({ wallet, address: wallet.address, state: emptyState(4) });
  }
  return out;
}

/** Re-posts every test feed's answer so nothing is stale after a time jump. */
export async function refreshFeeds(sys: System, signer: Signer): Promise<void> {
  for (const f of [...sys.marketFeeds, ...sys.assetFeeds]) {
    const feed = f.connect(signer);
    await (await feed.setAnswer(await feed.answer())).wait();
  }
}

/**
 * Lets the freshness period run out, refreshes the feeds and challenges every trader in one batch from
 * `keeper`. Returns each trader's challenge record (from the Challenged events).
 */
export async function challengeAll(
  sys: System,
  url: string,
  traders: readonly Trader[],
  keeper: Signer = devWallet(url, 1),
): Promise<Map<string, ChallengeRecord>> {
  const freshness = Number((await sys.registry.timing()).freshness);
  await rpc(url, "evm_increaseTime", [freshness + 60]);
  await rpc(url, "evm_mine");
  await refreshFeeds(sys, devWallet(url, 0));
  const certs = await Promise.all(
    traders.map(async (t) => {
      const view = new ChainView(sys.registry, t.address, sys.deploymentBlock);
      const c = await view.latestCert((await sys.registry.accountOf(t.address)).certHash);
      if (!c) throw new Error(`no certificate found for ${t.address}`);
      return c;
    }),
  );
  const bond = (await sys.registry.incentives()).bond;
  const rc = await (
    await sys.registry.connect(keeper).challengeBatch(
      traders.map((t) => t.address),
      certs,
      { value: bond * BigInt(traders.length) },
    )
  ).wait();
  const records = new Map<string, ChallengeRecord>();
  for (const log of rc!.logs) {
    const ev = sys.registry.interface.parseLog(log);
    if (ev?.name === "Challenged")
      records.set(String(ev.args.account), toRecord(ev.args.record as unknown as Types.ChallengeRecordStructOutput));
  }
  if (records.size !== traders.length) throw new Error(`challenged ${records.size} of ${traders.length} traders`);
  return records;
}

/** Each trader's Certificate answer at its challenge's pinned prices (proved one after another). */
export async function answerAll(
  keys: ProverKeys,
  sys: System,
  traders: readonly Trader[],
  records: ReadonlyMap<string, ChallengeRecord>,
): Promise<ReadyAnswer[]> {
  const out: ReadyAnswer[] = [];
  for (const t of traders) {
    const record = records.get(t.address);
    if (!record) throw new Error(`${t.address} was not challenged`);
    const view = await new ChainView(sys.registry, t.address, sys.deploymentBlock).read();
    const r = await prepareResponse(keys, view, t.state, record);
    if (!r) throw new Error(`${t.address} cannot answer with a certificate`);
    out.push({ account: t.address, record, d: r.d, pm: r.pm, proof: r.proof.proof });
  }
  return out;
}
