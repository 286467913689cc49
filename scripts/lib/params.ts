/**
 * Deployment parameters: a strict zod schema (unknown keys refused), the defaults of a local (L2-like)
 * deployment, and a check against every contract's bounds that reports all errors at once, before any
 * transaction. The bounds mirror contracts/registry/Bounds.sol, RiskEngine, AuctionHouse, InsuranceFund
 * and Governed; test/deploy/params.test.ts shows the check accepts exactly what the contracts accept.
 */
import { z } from "zod";

export const E6 = 10n ** 6n;
export const E8 = 10n ** 8n;
export const E18 = 10n ** 18n;
export const WAD = E18;
export const RAY = 10n ** 27n;

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address (0x + 40 hex digits)");
const uint = z
  .union([z.string().regex(/^\d+$/, "a non-negative integer"), z.number().int().nonnegative()])
  .transform((x) => BigInt(x));
const int = z.number().int().nonnegative();

const Market = z
  .object({
    name: z.string().min(1),
    feed: address.optional(), // real networks: the Chainlink feed
    price: uint.optional(), // local networks: the test feed's first answer (8 decimals)
    maxAge: int,
    seedVolBps: int, // annualised volatility the risk engine starts from (basis points)
    baseBps: int,
    minBps: int,
    maxBps: int,
  })
  .strict();

const Collateral = z
  .object({
    symbol: z.string().min(1),
    token: address.optional(),
    feed: address.optional(),
    decimals: int.optional(), // local test token
    price: uint.optional(), // local test feed (8 decimals)
    maxAge: int,
    haircutBps: int,
  })
  .strict();

export const ParamsSchema = z
  .object({
    markets: z.array(Market).length(4),
    collateral: z.array(Collateral).min(2).max(4),
    sequencer: z.object({ feed: address, grace: int }).strict().optional(),
    timing: z
      .object({
        freshness: int,
        responseWindow: int,
        exclusivePeriod: int,
        claimWindow: int,
        bountyRamp: int,
        maxStretchBps: int,
        refBasefee: uint,
      })
      .strict(),
    incentives: z
      .object({
        bond: uint,
        bountyMinBps: int,
        bountyMaxBps: int,
        penaltyBps: int,
        relayerShareBps: int,
        bountyCap: uint,
      })
      .strict(),
    deleverage: z.object({ targetFactorBps: int, feeBps: int, keeperShareBps: int, minValueQuote: int }).strict(),
    risk: z.object({ z: uint, tau: int, horizon: int, imFactorBps: int, stepBps: int, requiredDelay: int }).strict(),
    oracle: z.object({ requiredDelay: int }).strict(),
    fund: z.object({ cooldown: int, redeemWindow: int }).strict(),
    auction: z
      .object({ buf: uint, step: uint, cut: uint, tail: uint, cusp: uint, chost: uint, chip: uint, tip: uint })
      .strict(),
    governance: z
      .object({
        minDelay: int,
        proposers: z.array(address).min(1).optional(),
        executors: z.array(address).min(1).optional(),
        guardian: address.optional(),
      })
      .strict(),
    /** Value of 1 ETH in quote units, to check the dust rule (a liquidation's bounty covers its gas). */
    ethPriceQuote: int,
  })
  .strict();

export type Params = z.infer<typeof ParamsSchema>;

/** Bounds of contracts/registry/Bounds.sol (seconds, basis points, wei). */
export const REGISTRY_BOUNDS = {
  MIN_WINDOW: 120,
  MAX_WINDOW: 86_400,
  FRESHNESS_WINDOWS: 4,
  MAX_FRESHNESS: 30 * 86_400,
  MIN_CLAIM_WINDOW: 86_400,
  MAX_CLAIM_WINDOW: 180 * 86_400,
  MAX_BOUNTY_RAMP: 86_400,
  MAX_STRETCH_BPS: 40_000,
  RESPOND_GAS: 350_000n,
  FLOOR_GAS_PRICE: 10n ** 9n,
  MIN_BOND: 350_000n * 10n ** 9n,
  MAX_BOND: 100n * E18,
  MAX_BOUNTY_BPS: 1_000,
  MAX_PENALTY_BPS: 2_000,
  MAX_RELAYER_SHARE_BPS: 5_000,
  MAX_BOUNTY_CAP: 10n ** 24n,
  MIN_TARGET_FACTOR_BPS: 10_000,
  MAX_TARGET_FACTOR_BPS: 30_000,
  MAX_DELEVERAGE_FEE_BPS: 500,
  MAX_KEEPER_SHARE_BPS: 5_000,
  MIN_MIN_VALUE_QUOTE: 1,
  EXIT_MARGIN: 3_600,
  /** Gas of liquidating one account alone (measured, rounded up): the dust rule's bounty must pay it. */
  LIQUIDATE_GAS: 250_000n,
} as const;

/** The registry's requiredDelay(): freshness + fully stretched window + exclusive + exit margin. */
export function registryRequiredDelay(t: Params["timing"]): number {
  return (
    t.freshness +
    Math.floor((t.responseWindow * t.maxStretchBps) / 10_000) +
    t.exclusivePeriod +
    REGISTRY_BOUNDS.EXIT_MARGIN
  );
}

/** Every violated bound, in human terms (empty when the parameters are deployable). */
export function checkParams(p: Params, opts: { local: boolean }): string[] {
  const e: string[] = [];
  const B = REGISTRY_BOUNDS;
  const t = p.timing;
  const need = (ok: boolean, msg: string) => {
    if (!ok) e.push(msg);
  };
  // markets and collateral
  p.markets.forEach((m, j) => {
    const where = `markets[${j}] (${m.name})`;
    if (opts.local) need(m.price !== undefined && m.price > 0n, `${where}.price: a local test feed needs a price`);
    else need(m.feed !== undefined, `${where}.feed: a real network needs the market's Chainlink feed`);
    need(m.maxAge >= 60 && m.maxAge <= 7 * 86_400, `${where}.maxAge: ${m.maxAge} s is outside 60 s .. 7 days`);
    need(
      m.minBps >= 10 && m.minBps <= m.baseBps && m.baseBps <= m.maxBps && m.maxBps <= 10_000,
      `${where}: ratios need 10 <= minBps <= baseBps <= maxBps <= 10000 (got ${m.minBps}/${m.baseBps}/${m.maxBps})`,
    );
    need(m.seedVolBps <= 100_000, `${where}.seedVolBps: ${m.seedVolBps} is above 1000%`);
  });
  p.collateral.forEach((c, i) => {
    const where = `collateral[${i}] (${c.symbol})`;
    if (opts.local) {
      need(c.decimals !== undefined && c.decimals <= 36, `${where}.decimals: a local test token needs decimals`);
      need(c.price !== undefined && c.price > 0n, `${where}.price: a local test feed needs a price`);
    } else {
      need(c.token !== undefined, `${where}.token: a real network needs the token address`);
      need(c.feed !== undefined, `${where}.feed: a real network needs the asset's Chainlink feed`);
    }
    need(c.maxAge >= 60 && c.maxAge <= 7 * 86_400, `${where}.maxAge: ${c.maxAge} s is outside 60 s .. 7 days`);
    need(c.haircutBps > 0 && c.haircutBps <= 10_000, `${where}.haircutBps: ${c.haircutBps} is outside 1..10000`);
  });
  if (p.sequencer) need(p.sequencer.grace <= 86_400, `sequencer.grace: ${p.sequencer.grace} s is above 1 day`);
  // timing
  need(
    t.responseWindow >= B.MIN_WINDOW && t.responseWindow <= B.MAX_WINDOW,
    `timing.responseWindow: ${t.responseWindow} s is outside ${B.MIN_WINDOW} s .. 1 day`,
  );
  need(
    t.freshness <= B.MAX_FRESHNESS && t.freshness >= t.responseWindow * B.FRESHNESS_WINDOWS,
    `timing.freshness: ${t.freshness} s must be at least ${B.FRESHNESS_WINDOWS} x the response window (${t.responseWindow * B.FRESHNESS_WINDOWS} s) and at most 30 days`,
  );
  need(
    t.exclusivePeriod < t.responseWindow,
    `timing.exclusivePeriod: ${t.exclusivePeriod} s must be shorter than the response window`,
  );
  need(
    t.claimWindow >= B.MIN_CLAIM_WINDOW && t.claimWindow <= B.MAX_CLAIM_WINDOW,
    `timing.claimWindow: ${t.claimWindow} s is outside 1 .. 180 days`,
  );
  need(t.bountyRamp <= B.MAX_BOUNTY_RAMP, `timing.bountyRamp: ${t.bountyRamp} s is above 1 day`);
  need(
    t.maxStretchBps >= 10_000 && t.maxStretchBps <= B.MAX_STRETCH_BPS,
    `timing.maxStretchBps: ${t.maxStretchBps} is outside 10000..${B.MAX_STRETCH_BPS}`,
  );
  // incentives
  const i = p.incentives;
  need(
    i.bond >= B.MIN_BOND && i.bond <= B.MAX_BOND,
    `incentives.bond: ${i.bond} wei is outside ${B.MIN_BOND} (a respond's ${B.RESPOND_GAS} gas at 1 gwei) .. 100 ETH`,
  );
  need(i.penaltyBps <= B.MAX_PENALTY_BPS, `incentives.penaltyBps: ${i.penaltyBps} is above ${B.MAX_PENALTY_BPS}`);
  need(
    i.bountyMaxBps <= B.MAX_BOUNTY_BPS && i.bountyMaxBps <= i.penaltyBps,
    `incentives.bountyMaxBps: ${i.bountyMaxBps} must be at most ${B.MAX_BOUNTY_BPS} and at most the penalty (${i.penaltyBps}): self-liquidation must never pay`,
  );
  need(i.bountyMinBps <= i.bountyMaxBps, `incentives.bountyMinBps: ${i.bountyMinBps} is above bountyMaxBps`);
  need(i.bountyCap > 0n && i.bountyCap <= B.MAX_BOUNTY_CAP, `incentives.bountyCap: must be in 1 .. 1e24 value units`);
  need(
    i.relayerShareBps <= B.MAX_RELAYER_SHARE_BPS,
    `incentives.relayerShareBps: ${i.relayerShareBps} is above ${B.MAX_RELAYER_SHARE_BPS}`,
  );
  // deleverage and dust
  const d = p.deleverage;
  need(
    d.targetFactorBps >= B.MIN_TARGET_FACTOR_BPS && d.targetFactorBps <= B.MAX_TARGET_FACTOR_BPS,
    `deleverage.targetFactorBps: ${d.targetFactorBps} is outside 10000..30000`,
  );
  need(d.feeBps <= B.MAX_DELEVERAGE_FEE_BPS, `deleverage.feeBps: ${d.feeBps} is above ${B.MAX_DELEVERAGE_FEE_BPS}`);
  need(
    d.keeperShareBps <= B.MAX_KEEPER_SHARE_BPS,
    `deleverage.keeperShareBps: ${d.keeperShareBps} is above ${B.MAX_KEEPER_SHARE_BPS}`,
  );
  need(
    d.minValueQuote >= B.MIN_MIN_VALUE_QUOTE && d.minValueQuote < 2 ** 40 / 1e6,
    `deleverage.minValueQuote: ${d.minValueQuote} is outside 1 .. 1,099,511`,
  );
  const liquidationGasQuote = (Number(B.LIQUIDATE_GAS * B.FLOOR_GAS_PRICE) / 1e18) * p.ethPriceQuote;
  need(
    (d.minValueQuote * i.bountyMinBps) / 10_000 >= liquidationGasQuote,
    `deleverage.minValueQuote: ${d.minValueQuote} x bountyMinBps ${i.bountyMinBps} gives a bounty below a liquidation's gas at the floor price (${liquidationGasQuote.toFixed(2)} quote units): raise minValueQuote or bountyMinBps`,
  );
  // risk engine
  const r = p.risk;
  need(r.z >= 2n * WAD && r.z <= 10n * WAD, `risk.z: must be 2..10 (WAD)`);
  need(r.tau >= 3_600 && r.tau <= 30 * 86_400, `risk.tau: ${r.tau} s is outside 1 h .. 30 days`);
  need(r.horizon >= 300 && r.horizon <= 9 * 86_400, `risk.horizon: ${r.horizon} s is outside 5 min .. 9 days`);
  const minHorizon = t.responseWindow + t.exclusivePeriod;
  need(
    r.horizon >= minHorizon,
    `risk.horizon: ${r.horizon} s must cover the response window + exclusive period (${minHorizon} s) and a liquidation buffer`,
  );
  need(
    r.imFactorBps >= 10_000 && r.imFactorBps <= 50_000,
    `risk.imFactorBps: ${r.imFactorBps} is outside 10000..50000`,
  );
  need(r.stepBps >= 1 && r.stepBps <= 1_000, `risk.stepBps: ${r.stepBps} is outside 1..1000`);
  need(
    r.requiredDelay >= 86_400 && r.requiredDelay <= 30 * 86_400,
    `risk.requiredDelay: ${r.requiredDelay} s is outside 1 .. 30 days`,
  );
  need(
    p.oracle.requiredDelay >= 86_400 && p.oracle.requiredDelay <= 30 * 86_400,
    `oracle.requiredDelay: ${p.oracle.requiredDelay} s is outside 1 .. 30 days`,
  );
  // fund and auctions
  need(
    p.fund.cooldown >= 3_600 && p.fund.cooldown <= 30 * 86_400,
    `fund.cooldown: ${p.fund.cooldown} s is outside 1 h .. 30 days`,
  );
  need(
    p.fund.redeemWindow >= 3_600 && p.fund.redeemWindow <= 7 * 86_400,
    `fund.redeemWindow: ${p.fund.redeemWindow} s is outside 1 h .. 7 days`,
  );
  const a = p.auction;
  need(a.buf >= RAY && a.buf <= 2n * RAY, `auction.buf: must be 1..2 (RAY)`);
  need(a.step >= 1n && a.step <= 3_600n, `auction.step: must be 1 s .. 1 h`);
  need(a.cut >= RAY / 2n && a.cut < RAY, `auction.cut: must be in [0.5, 1) (RAY)`);
  need(a.tail >= 300n && a.tail <= 3n * 86_400n, `auction.tail: must be 5 min .. 3 days`);
  need(a.cusp >= RAY / 10n && a.cusp <= (95n * RAY) / 100n, `auction.cusp: must be 0.1 .. 0.95 (RAY)`);
  need(a.chip <= WAD / 100n, `auction.chip: must be at most 1% (WAD)`);
  // governance: the timelock delay covers every contract's requirement
  const required = Math.max(registryRequiredDelay(t), r.requiredDelay, p.oracle.requiredDelay, p.fund.cooldown);
  need(
    p.governance.minDelay >= required,
    `governance.minDelay: ${p.governance.minDelay} s is below what the contracts require (${required} s: freshness + stretched window + exclusive period + 1 h, and the oracle's, risk engine's and fund's delays)`,
  );
  if (!opts.local) {
    need(p.governance.proposers !== undefined, `governance.proposers: a real network needs the timelock's proposers`);
    need(p.governance.executors !== undefined, `governance.executors: a real network needs the timelock's executors`);
  }
  return e;
}

/** A local deployment's parameters (L2-like timing: a 10-minute window). */
export function localParams(): Params {
  return ParamsSchema.parse({
    markets: [
      {
        name: "ETH",
        price: (3000n * E8).toString(),
        maxAge: 3600,
        seedVolBps: 8000,
        baseBps: 300,
        minBps: 50,
        maxBps: 5000,
      },
      {
        name: "BTC",
        price: (60000n * E8).toString(),
        maxAge: 3600,
        seedVolBps: 6000,
        baseBps: 250,
        minBps: 50,
        maxBps: 5000,
      },
      {
        name: "SOL",
        price: (150n * E8).toString(),
        maxAge: 3600,
        seedVolBps: 10000,
        baseBps: 500,
        minBps: 50,
        maxBps: 5000,
      },
      {
        name: "ARB",
        price: (80n * E6).toString(),
        maxAge: 3600,
        seedVolBps: 12000,
        baseBps: 600,
        minBps: 50,
        maxBps: 5000,
      },
    ],
    collateral: [
      { symbol: "USDC", decimals: 6, price: E8.toString(), maxAge: 86_400, haircutBps: 10_000 },
      { symbol: "WETH", decimals: 18, price: (3000n * E8).toString(), maxAge: 3600, haircutBps: 8_000 },
    ],
    timing: {
      freshness: 6 * 3600,
      responseWindow: 600,
      exclusivePeriod: 120,
      claimWindow: 7 * 86_400,
      bountyRamp: 600,
      maxStretchBps: 30_000,
      refBasefee: (50n * 10n ** 9n).toString(),
    },
    incentives: {
      bond: (10n ** 15n).toString(),
      bountyMinBps: 50,
      bountyMaxBps: 200,
      penaltyBps: 500,
      relayerShareBps: 1_000,
      bountyCap: (1_000n * E18).toString(),
    },
    deleverage: { targetFactorBps: 12_500, feeBps: 50, keeperShareBps: 2_000, minValueQuote: 200 },
    risk: {
      z: (4n * WAD).toString(),
      tau: 6 * 3600,
      horizon: 900,
      imFactorBps: 20_000,
      stepBps: 25,
      requiredDelay: 2 * 86_400,
    },
    oracle: { requiredDelay: 2 * 86_400 },
    fund: { cooldown: 86_400, redeemWindow: 2 * 86_400 },
    auction: {
      buf: ((12n * RAY) / 10n).toString(),
      step: "90",
      cut: ((99n * RAY) / 100n).toString(),
      tail: "7200",
      cusp: ((4n * RAY) / 10n).toString(),
      chost: (100n * E6).toString(),
      chip: (WAD / 1000n).toString(),
      tip: (50n * E6).toString(),
    },
    governance: { minDelay: 2 * 86_400 },
    ethPriceQuote: 3000,
  });
}
