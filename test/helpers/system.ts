/**
 * Contract-test fixture: a full local deployment (real verifiers, Poseidon libraries, oracle adapter over
 * settable Chainlink-interface feeds, test tokens), funded traders and insurance fund, and a Trader helper
 * that keeps its private state and proves with the real circuits (prover/lib).
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ethers } from "hardhat";
import { type AccountState, type Trade, emptyState } from "../../prover/model";
import { prepareClaim, prepareProve, prepareResponse, prepareUpdate } from "../../prover/lib/actions";
import { type ProverKeys, type SolidityProof, loadKeys } from "../../prover/lib/circuits";
import { DEFAULTS, E18, E8, type LocalSystem, deployLocal } from "../../scripts/lib/deploy";
import type { ZkMarginRegistry } from "../../core/contracts";

export { DEFAULTS, E18, E8, time };
export const USDC = 0n; // settlement asset, 6 decimals, haircut 100%
export const WETH = 1n; // 18 decimals, haircut 80%
export const UNIT = 10n ** 10n; // one unit of size: size x price (8 dec) is in value units (1e-18 USD)
export const usdc = (x: bigint | number) => BigInt(x) * 10n ** 6n;
export const weth = (x: bigint | number) => BigInt(x) * E18;

let keysPromise: Promise<ProverKeys> | undefined;
/** The three circuits' keys, loaded once per test process. */
export function keys(): Promise<ProverKeys> {
  keysPromise ??= loadKeys();
  return keysPromise;
}

export interface System extends LocalSystem {
  owner: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  keeper2: HardhatEthersSigner;
  traders: HardhatEthersSigner[];
  bond: bigint;
}

/** Deploys everything, funds the insurance fund with 1M USDC, and gives each trader tokens. */
async function systemFixture(): Promise<System> {
  const [owner, guardian, keeper, keeper2, ...traders] = await ethers.getSigners();
  const sys = await deployLocal(owner);
  await sys.registry.setGuardian(guardian.address);
  const [usdcToken, wethToken] = sys.tokens;
  const registryAddr = await sys.registry.getAddress();
  await usdcToken.mint(owner.address, usdc(1_000_000));
  await usdcToken.approve(registryAddr, ethers.MaxUint256);
  await sys.registry.fundDeposit(USDC, usdc(1_000_000));
  for (const t of traders.slice(0, 6)) {
    await usdcToken.mint(t.address, usdc(100_000));
    await wethToken.mint(t.address, weth(100));
    await usdcToken.connect(t).approve(registryAddr, ethers.MaxUint256);
    await wethToken.connect(t).approve(registryAddr, ethers.MaxUint256);
  }
  return { ...sys, owner, guardian, keeper, keeper2, traders, bond: DEFAULTS.incentives.bond };
}

export function deploySystem(): Promise<System> {
  return loadFixture(systemFixture);
}

export function proofArgs(p: SolidityProof) {
  return { a: p.a, b: p.b, c: p.c };
}

/** A trader with a private state, acting on the registry with real proofs. */
export class Trader {
  state: AccountState = emptyState(4);
  constructor(
    readonly signer: HardhatEthersSigner,
    readonly sys: System,
  ) {}

  get address(): string {
    return this.signer.address;
  }
  get registry(): ZkMarginRegistry {
    return this.sys.registry.connect(this.signer);
  }

  async open(deposits: { asset: bigint; amount: bigint }[] = []): Promise<this> {
    await this.registry.openAccount();
    for (const d of deposits) await this.registry.deposit(d.asset, d.amount);
    return this;
  }

  /** Proves and sends an update; the private state moves only once the transaction is mined. */
  async update(trade: Trade, withdraw?: { asset: bigint; amount: bigint }) {
    const prepared = await prepareUpdate(await keys(), this.registry, this.address, this.state, trade, withdraw);
    const tx = await this.registry.update(prepared.args, proofArgs(prepared.proof.proof));
    const receipt = await tx.wait();
    this.state = prepared.next;
    return { prepared, receipt };
  }

  async respondProof() {
    return prepareResponse(await keys(), this.registry, this.address, this.state);
  }

  async proveProof() {
    return prepareProve(await keys(), this.registry, this.address, this.state);
  }

  async claimProof() {
    return prepareClaim(await keys(), this.registry, this.address, this.state);
  }
}

/** Sets a market's oracle price (8 decimals) and refreshes every other feed so none goes stale. */
export async function setPrice(sys: System, market: number, price: bigint): Promise<void> {
  for (let j = 0; j < sys.marketFeeds.length; j++) {
    const f = sys.marketFeeds[j];
    await f.setAnswer(j === market ? price : await f.answer());
  }
  for (const f of sys.assetFeeds) await f.setAnswer(await f.answer());
}

/** Moves time forward and refreshes every feed (as live Chainlink feeds would keep updating). */
export async function advance(sys: System, seconds: number | bigint): Promise<void> {
  if (BigInt(seconds) > 0n) await time.increase(seconds);
  for (const f of [...sys.marketFeeds, ...sys.assetFeeds]) await f.setAnswer(await f.answer());
}
