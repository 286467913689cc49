/**
 * Fixed, valid inputs for the default circuit instances (M = 4), built with the reference model.
 * Deterministic (fixed salts and contexts) so every run proves the same statements. The numbers follow
 * test/circuits/fixtures.ts (copied, so the bench does not depend on the test tree).
 */
import {
  type AccountState,
  type CircuitInputs,
  DEFAULT_MARKETS,
  Domain,
  Side,
  boxMargin,
  certificateInputs,
  contextOf,
  deleverageInputs,
  equityInputs,
  maxBoxBps,
  planDeleverage,
  updateInputs,
} from "../../prover/model";
import type { CircuitName } from "../../scripts/lib/circuits";

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

const context = (domain: Domain, nonce: bigint) => contextOf(domain, CHAIN_ID, REGISTRY, ACCOUNT, nonce);

/** Long 10 ETH at 2900 and short 1 BTC at 61000 (both in profit at PRICES), cash -500. */
function twoMarketState(): AccountState {
  const markets = [
    { size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 2900_00000000n },
    { size: UNIT, side: Side.Short, cost: UNIT * 61000_00000000n },
  ];
  while (markets.length < DEFAULT_MARKETS) markets.push({ size: 0n, side: Side.Long, cost: 0n });
  return { salt: SALT, cash: -500n * QUOTE, markets };
}

/** Certificate: the two-market account with 5,000 of collateral, at the widest box it can prove. */
function certificate(): CircuitInputs {
  const s = twoMarketState();
  const value = 5_000n * QUOTE;
  const d = maxBoxBps(s, value, PRICES, MM);
  if (d === undefined) throw new Error("bench certificate input does not meet maintenance: fix bench/lib/inputs.ts");
  return certificateInputs(s, { value, d, prices: PRICES, pm: MM, context: context(Domain.Respond, 1n) }).inputs;
}

/** Update: reduce the ETH long by 4 at 3000 (PnL into cash), settle 100 with a withdrawal, box d = 1%. */
function update(): CircuitInputs {
  const s = twoMarketState();
  return updateInputs(s, {
    trade: { kind: "reduce", market: 0, size: 4n * UNIT },
    settle: -100n * QUOTE,
    withdrawing: true,
    value: 10_000n * QUOTE,
    prices: PRICES,
    mm: MM,
    im: IM,
    d: 100n,
    pm: MM,
    minValue: 1_000_000n,
    context: context(Domain.Update, 7n),
    newSalt: NEW_SALT,
  }).inputs;
}

/** Deleverage: the two-market account under water with 1,000 of collateral, reduced to twice maintenance. */
function deleverage(): CircuitInputs {
  const s = twoMarketState();
  const params = { prices: PRICES, pm: MM.map((m) => m * 2n), d: 0n, feeBps: 50n };
  const value = 1_000n * QUOTE;
  if (boxMargin(s, value, PRICES, 0n, params.pm)) throw new Error("bench deleverage input needs no deleverage");
  const plan = planDeleverage(s, value, params);
  if (!plan) throw new Error("bench deleverage input cannot be saved: fix bench/lib/inputs.ts");
  return deleverageInputs(s, {
    ...params,
    reduce: plan.reduce,
    value: plan.value,
    context: context(Domain.Deleverage, 2n),
    newSalt: NEW_SALT,
  }).inputs;
}

/** Equity: the two-market account claims 1,000 with a 100 penalty at the same prices. */
function equity(): CircuitInputs {
  return equityInputs(twoMarketState(), {
    value: 2_000n * QUOTE,
    claimed: 1_000n * QUOTE,
    penalty: 100n * QUOTE,
    prices: PRICES,
    context: context(Domain.Claim, 3n),
  }).inputs;
}

export function benchInputs(name: CircuitName): CircuitInputs {
  switch (name) {
    case "certificate":
      return certificate();
    case "update":
      return update();
    case "deleverage":
      return deleverage();
    case "equity":
      return equity();
  }
}
