/**
 * Contract gas figures: gasUsed from transaction receipts on Hardhat's in-process network (a fresh local
 * deployment with real verifiers and real proofs), median over several accounts where an operation is
 * per account. Every figure is the whole transaction's gasUsed (21000 intrinsic + calldata + execution,
 * after refunds) unless its name says otherwise.
 *
 *  gas.deposit        first USDC deposit of an opened account (fresh collateral slot)
 *  gas.update         first Update of an account: open a 1 ETH long (increase trade, no PnL, no transfer)
 *  gas.update_withdraw  Update with no trade that withdraws USDC (token transfer out)
 *  gas.prove          proactive Solvency proof at current prices
 *  gas.challenge      single challenge of a stale account (bond posted)
 *  gas.respond        Solvency answer sent by a relayer (the bond goes to the account)
 *  gas.challenge_batch_per_account  challengeBatch of 5 stale accounts / 5
 *  gas.liquidate      single liquidation of an expired challenge by its challenger (bounty + bond paid)
 *  gas.liquidate_batch_per_account  liquidateBatch of 5 expired challenges / 5
 *  gas.claim          Equity claim of a liquidated owner (USDC paid from the fund)
 *  gas.verify_solvency  SolvencyVerifier.verifyProof alone: eth_estimateGas of a direct call minus the
 *                     21000 intrinsic gas. What remains is the verifier's execution (4-pair ecPairing,
 *                     3 ecMul + 3 ecAdd for the public inputs, field checks) plus the call's calldata
 *                     (4 + 11 x 32 bytes, about 5.5k gas); estimateGas finds the smallest gas limit that
 *                     succeeds, which for this code equals the gas used to within a few hundred gas.
 *
 * Hardhat is imported lazily (bench/run.ts does not need it for other sections); run without
 * HARDHAT_NETWORK so the in-process network is used.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import { prepareClaim, prepareProve, prepareResponse, prepareUpdate } from "../prover/lib/actions";
import { type ProverKeys, type SolidityProof, loadKeys } from "../prover/lib/circuits";
import { type AccountState, Side, type Trade, emptyState } from "../prover/model";
import { DEFAULTS, E18, E8, type LocalSystem, deployLocal } from "../scripts/lib/deploy";
import { SolvencyVerifier__factory, type ZkMarginRegistry } from "../core/contracts";
import { type Figure, figure, median, progress } from "./lib/figures";

const USDC = 0n;
const UNIT = 10n ** 10n;
const usdc = (x: bigint) => x * 10n ** 6n;
/** Accounts per per-account figure, and the batch size. */
const ACCOUNTS = 5;

const proofArgs = (p: SolidityProof) => ({ a: p.a, b: p.b, c: p.c });

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error("transaction failed");
  return Number(receipt.gasUsed);
}

function med(name: string, samples: number[], per = 1): Figure {
  const values = samples.map((s) => s / per);
  progress(`gas: ${name}: ${values.map((v) => Math.round(v)).join(" ")}`);
  return figure(name, Math.round(median(values)), "gas");
}

/** A trader keeping its private state, proving with the real circuits. */
class BenchTrader {
  state: AccountState = emptyState(4);
  constructor(
    readonly signer: HardhatEthersSigner,
    readonly registry: ZkMarginRegistry,
    readonly keys: ProverKeys,
  ) {}

  get address(): string {
    return this.signer.address;
  }

  async update(trade: Trade, withdraw?: { asset: bigint; amount: bigint }): Promise<number> {
    const p = await prepareUpdate(this.keys, this.registry, this.address, this.state, trade, withdraw);
    const gas = await gasOf(this.registry.update(p.args, proofArgs(p.proof.proof)));
    this.state = p.next;
    return gas;
  }
}

export async function gasFigures(): Promise<Figure[]> {
  if (process.env.HARDHAT_NETWORK && process.env.HARDHAT_NETWORK !== "hardhat") {
    throw new Error(`gas figures need the in-process network: unset HARDHAT_NETWORK (${process.env.HARDHAT_NETWORK})`);
  }
  const hre = (await import("hardhat")).default;
  const { ethers } = hre;
  const provider = ethers.provider;
  const mine = async (seconds: number) => {
    await provider.send("evm_increaseTime", [seconds]);
    await provider.send("evm_mine", []);
  };

  progress("gas: loading proving keys, deploying");
  const keys = await loadKeys();
  const [owner, keeper, relayer, ...rest] = await ethers.getSigners();
  if (rest.length < 2 * ACCOUNTS) throw new Error(`need ${2 * ACCOUNTS} trader accounts, have ${rest.length}`);
  const sys: LocalSystem = await deployLocal(owner);
  const { registry, tokens, marketFeeds, assetFeeds } = sys;
  const regAddr = await registry.getAddress();
  const refreshFeeds = async () => {
    for (const f of [...marketFeeds, ...assetFeeds]) await (await f.setAnswer(await f.answer())).wait();
  };
  const setEthPrice = async (price: bigint) => {
    await (await marketFeeds[0].setAnswer(price)).wait();
    await refreshFeeds();
  };
  const bond = DEFAULTS.incentives.bond;

  await (await tokens[0].mint(owner.address, usdc(1_000_000n))).wait();
  await (await tokens[0].approve(regAddr, ethers.MaxUint256)).wait();
  await (await registry.fundDeposit(USDC, usdc(1_000_000n))).wait();

  // group A: single operations; group B: batches
  const traders = rest.slice(0, 2 * ACCOUNTS).map((s) => new BenchTrader(s, registry.connect(s), keys));
  const groupA = traders.slice(0, ACCOUNTS);
  const groupB = traders.slice(ACCOUNTS);
  for (const t of traders) {
    await (await tokens[0].mint(t.address, usdc(100_000n))).wait();
    await (await tokens[1].mint(t.address, 10n * E18)).wait();
    await (await tokens[0].connect(t.signer).approve(regAddr, ethers.MaxUint256)).wait();
    await (await tokens[1].connect(t.signer).approve(regAddr, ethers.MaxUint256)).wait();
    await (await t.registry.openAccount()).wait();
  }

  progress("gas: deposits and updates");
  const deposit: number[] = [];
  for (const t of traders) {
    deposit.push(await gasOf(t.registry.deposit(USDC, usdc(10_000n))));
    await (await t.registry.deposit(1n, E18)).wait(); // WETH too: every value sums two assets
  }
  const update: number[] = [];
  for (const t of traders) update.push(await t.update({ kind: "increase", market: 0, size: UNIT, side: Side.Long }));
  const updateWithdraw: number[] = [];
  for (const t of groupA) updateWithdraw.push(await t.update({ kind: "none" }, { asset: USDC, amount: usdc(100n) }));
  const prove: number[] = [];
  for (const t of groupA) {
    const p = await prepareProve(keys, t.registry, t.address, t.state);
    prove.push(await gasOf(t.registry.prove(proofArgs(p.proof))));
  }

  progress("gas: challenges and responses");
  await setEthPrice(2800n * E8); // -6.7%: beyond the 5% band, every account is challengeable
  const challenge: number[] = [];
  for (const t of groupA) challenge.push(await gasOf(registry.connect(keeper).challenge(t.address, { value: bond })));
  const respond: number[] = [];
  let solvencyCall: { proof: SolidityProof; signals: bigint[] } | undefined;
  for (const t of groupA) {
    const p = await prepareResponse(keys, t.registry, t.address, t.state);
    solvencyCall ??= { proof: p.proof, signals: p.publicSignals };
    respond.push(await gasOf(registry.connect(relayer).respond(t.address, proofArgs(p.proof))));
  }
  const batchChallenge = await gasOf(
    registry.connect(keeper).challengeBatch(
      groupB.map((t) => t.address),
      { value: bond * BigInt(ACCOUNTS) },
    ),
  );
  for (const t of groupB) {
    if ((await registry.challengeOf(t.address)).deadline === 0n)
      throw new Error("batch did not challenge every account");
  }

  progress("gas: liquidations and claims");
  await setEthPrice(2600n * E8); // group A answered at 2800: -7%, challengeable again
  for (const t of groupA) await (await registry.connect(keeper).challenge(t.address, { value: bond })).wait();
  await mine(Number(DEFAULTS.timing.responseWindow) + 1);
  await refreshFeeds();
  const liquidate: number[] = [];
  for (const t of groupA) liquidate.push(await gasOf(registry.connect(keeper).liquidate(t.address)));
  const batchLiquidate = await gasOf(registry.connect(keeper).liquidateBatch(groupB.map((t) => t.address)));
  for (const t of groupB) {
    if ((await registry.accountOf(t.address)).status !== 2n) throw new Error("batch did not liquidate every account");
  }
  const claim: number[] = [];
  for (const t of groupA) {
    const { equity, proof } = await prepareClaim(keys, t.registry, t.address, t.state);
    claim.push(await gasOf(t.registry.claim(equity, proofArgs(proof.proof))));
  }

  // The verifier alone: estimateGas of a direct call, minus the intrinsic 21000 (see the header).
  const verifier = SolvencyVerifier__factory.connect(await registry.solvencyVerifier(), owner);
  const { proof, signals } = solvencyCall!;
  const sig = signals as [bigint, bigint, bigint];
  if (!(await verifier.verifyProof(proof.a, proof.b, proof.c, sig))) throw new Error("solvency proof does not verify");
  const verifyEstimate = await verifier.verifyProof.estimateGas(proof.a, proof.b, proof.c, sig);
  progress(`gas: verifyProof estimateGas ${verifyEstimate}`);

  return [
    med("gas.respond", respond),
    med("gas.prove", prove),
    med("gas.update", update),
    med("gas.update_withdraw", updateWithdraw),
    med("gas.challenge", challenge),
    med("gas.challenge_batch_per_account", [batchChallenge], ACCOUNTS),
    med("gas.liquidate", liquidate),
    med("gas.liquidate_batch_per_account", [batchLiquidate], ACCOUNTS),
    med("gas.claim", claim),
    med("gas.deposit", deposit),
    figure("gas.verify_solvency", Number(verifyEstimate) - 21_000, "gas"),
  ];
}
