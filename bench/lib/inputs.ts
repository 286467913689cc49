/**
 * Fixed, valid inputs for the default circuit instances (M = 4), built with the reference model.
 * Deterministic (fixed salts and context) so every run proves the same statements. The numbers
 * follow test/helpers/fixtures.ts (copied, so the bench does not depend on the test tree).
 */
import {
  type AccountState,
  type CircuitInputs,
  DEFAULT_MARKETS,
  Side,
  type Trade,
  contextOf,
  equityInputs,
  meetsMargin,
  solvencyInputs,
  updateInputs,
} from "../../prover/model";
import type { CircuitName } from "../../core/artifacts";

const REGISTRY = "0x00000000000000000000000000000000000000a1";
const ACCOUNT = "0x00000000000000000000000000000000000000b2";
const CHAIN_ID = 31337n;
/** Prices with 8 decimals: ETH 3000, BTC 60000, SOL 150, ARB 0.80. */
const PRICES = [3000_00000000n, 60000_00000000n, 150_00000000n, 80000000n];
/** Maintenance and initial margin ratios, basis points. */
const MM = [500n, 400n, 800n, 1000n];
const IM = [1000n, 800n, 1600n, 2000n];
/** One unit of size (size x 8-decimal price is in 1e-18 quote units). */
const UNIT = 10_000_000_000n;
/** One quote unit (e.g. 1 USD) in value units. */
const QUOTE = 10n ** 18n;

const SALT = 0x2a5eed_0001n;
const NEW_SALT = 0x2a5eed_0002n;

/** Long 10 ETH at 2900 and short 1 BTC at 61000: two open markets, both in profit at PRICES. */
function twoMarketState(): AccountState {
  const markets = [
    { size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 2900_00000000n },
    { size: UNIT, side: Side.Short, cost: UNIT * 61000_00000000n },
  ];
  while (markets.length < DEFAULT_MARKETS) markets.push({ size: 0n, side: Side.Long, cost: 0n });
  return { salt: SALT, markets };
}

function requireMargin(what: string, s: AccountState, value: bigint, ratios: readonly bigint[]): void {
  if (!meetsMargin(s.markets, { value, prices: PRICES }, ratios)) {
    throw new Error(`bench input ${what} does not meet margin: fix bench/lib/inputs.ts`);
  }
}

/** Solvency: the two-market account with 5,000 of collateral against maintenance margin. */
function solvency(): CircuitInputs {
  const s = twoMarketState();
  const value = 5_000n * QUOTE;
  requireMargin("solvency", s, value, MM);
  return solvencyInputs(s, { value, prices: PRICES }, MM, contextOf(CHAIN_ID, REGISTRY, ACCOUNT, 1n));
}

/** Update: reduce the ETH long by 4 at 3000 (realised PnL +400), initial margin after the trade. */
function update(): CircuitInputs {
  const s = twoMarketState();
  const trade: Trade = { kind: "reduce", market: 0, size: 4n * UNIT };
  const probe = updateInputs(s, trade, { value: 0n, prices: PRICES }, IM, 0n, NEW_SALT);
  if (probe.result.pnl <= 0n) throw new Error("bench update input must realise a positive PnL");
  const value = 10_000n * QUOTE + probe.result.pnl;
  requireMargin("update", probe.result.next, value, IM);
  const context = contextOf(CHAIN_ID, REGISTRY, ACCOUNT, 7n);
  return updateInputs(s, trade, { value, prices: PRICES }, IM, context, NEW_SALT).inputs;
}

/** Equity: the two-market account at the same price snapshot. */
function equity(): CircuitInputs {
  const s = twoMarketState();
  const context = contextOf(CHAIN_ID, REGISTRY, ACCOUNT, 2n);
  return equityInputs(s, { value: 5_000n * QUOTE, prices: PRICES }, context).inputs;
}

export function benchInputs(name: CircuitName): CircuitInputs {
  switch (name) {
    case "solvency":
      return solvency();
    case "update":
      return update();
    case "equity":
      return equity();
  }
}
