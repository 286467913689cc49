/**
 * What the trader proves, built from what the registry will rebuild: each builder reads the public
 * inputs the contract will use (its own views), builds the circuit inputs from the reference model, and
 * proves. Nothing here sends a transaction; the caller persists the next state first, then sends.
 */
import { randomBytes } from "node:crypto";
import { unpackPrices } from "../../core/encoding";
import { OracleAdapter__factory, type ZkMarginRegistry } from "../../core/contracts";
import {
  type AccountState,
  FIELD_MODULUS,
  ModelError,
  ModelErrorCode,
  type Trade,
  applyTrade,
  contextOf,
  equityInputs,
  meetsMargin,
  solvencyInputs,
  updateInputs,
} from "../model";
import type { ProofResult, ProverKeys } from "./circuits";

export function freshSalt(): bigint {
  return BigInt(`0x${randomBytes(32).toString("hex")}`) % FIELD_MODULUS;
}

async function chainContext(registry: ZkMarginRegistry, account: string, nonce: bigint): Promise<bigint> {
  const chainId = (await registry.runner!.provider!.getNetwork()).chainId;
  return contextOf(chainId, await registry.getAddress(), account, nonce);
}

async function ratios(registry: ZkMarginRegistry): Promise<{ mm: bigint[]; im: bigint[] }> {
  const [mm, im] = await registry.ratios();
  return { mm: mm.map(BigInt), im: im.map(BigInt) };
}

/** Current oracle market prices, as the registry reads them. */
export async function marketPrices(registry: ZkMarginRegistry): Promise<bigint[]> {
  const oracle = OracleAdapter__factory.connect(await registry.oracle(), registry.runner);
  return (await oracle.marketPrices()).map(BigInt);
}

export interface PreparedUpdate {
  readonly next: AccountState;
  readonly args: { newCommitment: bigint; pnl: bigint; withdrawAsset: bigint; withdrawAmount: bigint };
  readonly proof: ProofResult;
  readonly valueAfter: bigint;
  readonly prices: bigint[];
}

/** Proves a trade and/or a withdrawal at the current oracle prices. */
export async function prepareUpdate(
  keys: ProverKeys,
  registry: ZkMarginRegistry,
  account: string,
  state: AccountState,
  trade: Trade,
  withdraw: { asset: bigint; amount: bigint } = { asset: 0n, amount: 0n },
  salt = freshSalt(),
): Promise<PreparedUpdate> {
  if (withdraw.amount > 0n) {
    const have = await registry.collateralOf(account, withdraw.asset);
    if (have < withdraw.amount) {
      throw new ModelError(
        ModelErrorCode.OutOfRange,
        `cannot withdraw ${withdraw.amount} of asset ${withdraw.asset}: the account holds ${have}`,
      );
    }
  }
  const current = await marketPrices(registry);
  const { pnl } = applyTrade(state, trade, current, salt);
  const [valueAfter, pricesRaw, ctx] = await registry.previewUpdate(account, pnl, withdraw.asset, withdraw.amount);
  const prices = pricesRaw.map(BigInt);
  const { im } = await ratios(registry);
  const w = updateInputs(state, trade, { value: valueAfter, prices }, im, ctx, salt);
  if (!meetsMargin(w.result.next.markets, { value: valueAfter, prices }, im)) {
    throw new ModelError(
      ModelErrorCode.MarginBreached,
      `the new state would be below initial margin (collateral value ${valueAfter})`,
    );
  }
  const proof = await keys.update.prove(w.inputs);
  return {
    next: w.result.next,
    args: {
      newCommitment: w.newCommitment,
      pnl: w.result.pnl,
      withdrawAsset: withdraw.asset,
      withdrawAmount: withdraw.amount,
    },
    proof,
    valueAfter,
    prices,
  };
}

/** Proves solvency at the open challenge's pinned snapshot (for respond). */
export async function prepareResponse(
  keys: ProverKeys,
  registry: ZkMarginRegistry,
  account: string,
  state: AccountState,
): Promise<ProofResult> {
  const ch = await registry.challengeOf(account);
  if (ch.deadline === 0n) throw new Error(`account ${account} has no open challenge`);
  const prices = unpackPrices(ch.marketPrices);
  const value = await registry.pinnedValue(account);
  const { mm } = await ratios(registry);
  if (!meetsMargin(state.markets, { value, prices }, mm)) {
    throw new ModelError(ModelErrorCode.MarginBreached, `below maintenance margin at the pinned prices: cannot answer`);
  }
  const ctx = await chainContext(registry, account, ch.nonce);
  return keys.solvency.prove(solvencyInputs(state, { value, prices }, mm, ctx));
}

/** Proves solvency at current prices (for the proactive prove()). */
export async function prepareProve(
  keys: ProverKeys,
  registry: ZkMarginRegistry,
  account: string,
  state: AccountState,
): Promise<ProofResult> {
  const prices = await marketPrices(registry);
  const value = await registry.collateralValue(account);
  const { mm } = await ratios(registry);
  if (!meetsMargin(state.markets, { value, prices }, mm)) {
    throw new ModelError(ModelErrorCode.MarginBreached, `below maintenance margin at current prices`);
  }
  const acc = await registry.accountOf(account);
  const ctx = await chainContext(registry, account, acc.nonce);
  return keys.solvency.prove(solvencyInputs(state, { value, prices }, mm, ctx));
}

/** Proves equity at the liquidation snapshot (for claim). */
export async function prepareClaim(
  keys: ProverKeys,
  registry: ZkMarginRegistry,
  account: string,
  state: AccountState,
): Promise<{ equity: bigint; proof: ProofResult }> {
  const liq = await registry.liquidationOf(account);
  if (liq.claimUntil === 0n) throw new Error(`account ${account} was not liquidated`);
  const prices = unpackPrices(liq.marketPrices);
  const ctx = await chainContext(registry, account, liq.nonce);
  const { inputs, equity } = equityInputs(state, { value: liq.value, prices }, ctx);
  if (equity < 0n)
    throw new ModelError(
      ModelErrorCode.NegativeEquity,
      `equity at the liquidation snapshot is negative: nothing to claim`,
    );
  return { equity, proof: await keys.equity.prove(inputs) };
}
