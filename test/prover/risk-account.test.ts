import * as path from "node:path";
import { expect } from "chai";
import { parseGlobals } from "../../prover/cli/args";
import { connect, secrets } from "../../prover/cli/connect";
import { Alerts } from "../../prover/daemon/alerts";
import { RiskPolicyRunner } from "../../prover/daemon/policy";
import type { PublicState } from "../../prover/lib/chain";
import { valueOf } from "../../prover/lib/value";
import { type AccountState, Side, emptyState, liquidationPrice } from "../../prover/model";
import { DAY, HOUR, closedFormBreach, distanceToLiquidation, simulateBreach } from "../../prover/risk";
import { makeLogger } from "../../prover/service/log";
import { marketVolatilities, portfolioOf } from "../../prover/service/risk";
import { cliEnv } from "../helpers/cli";
import { DEV_KEYS, setPrices, tmpDir, useChain } from "./helpers/chain";
import { zkm } from "./helpers/inproc";

const E8 = 10n ** 8n;
const UNIT = 10n ** 10n;

/** A public state as ChainView reads it (local parameters: ETH mm 3% / im 6%, USDC 100%, WETH 80%). */
function view(o: { usdc: bigint; weth?: bigint; eth?: bigint }): PublicState {
  const eth = o.eth ?? 3000n * E8;
  return {
    chainId: 31337n,
    registry: "0x00000000000000000000000000000000000000a1",
    account: "0x00000000000000000000000000000000000000b2",
    status: "active",
    commitment: 0n,
    nonce: 1n,
    certHash: `0x${"00".repeat(32)}`,
    recordHash: `0x${"00".repeat(32)}`,
    collateral: [o.usdc, o.weth ?? 0n],
    marketPrices: [eth, 60000n * E8, 150n * E8, 80_000_000n],
    assetPrices: [E8, eth],
    mm: [300n, 250n, 500n, 600n],
    im: [600n, 500n, 1000n, 1200n],
    haircuts: [10_000n, 8_000n],
    decimals: [6, 18],
    symbols: ["USDC", "WETH"],
    fundAvailable: 10n ** 12n,
    minValue: 200n * 10n ** 6n,
    timing: { freshness: 21_600n, responseWindow: 600n, exclusivePeriod: 120n, claimWindow: 604_800n },
    blockTime: 1_000_000n,
    paused: false,
  };
}

function long(size: bigint, entry: bigint, cash = 0n): AccountState {
  const s = emptyState(4);
  return {
    ...s,
    salt: 1n,
    cash,
    markets: s.markets.map((m, j) => (j === 0 ? { size, side: Side.Long, cost: size * entry } : m)),
  };
}

const VOLS = { annualised: [0.8, 0.6, 1.0, 1.2], source: ["test", "test", "test", "test"] };

/**
 * The account's predictive risk (prover/service/risk.ts) on top of prover/risk: the chain's integers and
 * haircuts become the right portfolio (checked against a closed form for one market and against the
 * model's liquidation price), and the daemon's risk policy warns, tops up from the wallet and reduces,
 * each with its dry run, against a real node.
 */
describe("Predictive risk of the account and the daemon's risk policy", function () {
  this.timeout(240_000);

  describe("the account as a portfolio (no chain)", () => {
    it("one ETH long against USDC: Monte Carlo within 4 standard errors of the closed form at 1 h and 24 h", () => {
      // 10 ETH long at 3,000 with 2,400 USDC: liquidation near 2,474 (-17.5%): likely within a day at 80%
      const p = portfolioOf(long(10n * UNIT, 3000n * E8), view({ usdc: 2_400n * 10n ** 6n }), VOLS);
      const sim = simulateBreach(p, { horizonsSeconds: [HOUR, DAY], paths: 20_000, seed: 7n });
      for (const [i, h] of [HOUR, DAY].entries()) {
        const exact = closedFormBreach(p, h);
        const est = sim.horizons[i].atHorizon;
        const se = Math.max(est.standardError, Math.sqrt((exact * (1 - exact)) / est.paths), 1e-4);
        expect(Math.abs(est.probability - exact), `${h} s: ${est.probability} vs ${exact}`).to.be.below(4 * se);
      }
      expect(closedFormBreach(p, DAY)).to.be.within(0.05, 0.6);
    });

    it("finds the model's private liquidation price (the chain's rounding aside)", () => {
      const state = long(123_456n * 10n ** 5n, 3017_43000000n, 7_859_000_000_000_000_000n); // 1.23456 ETH, cash 7.859
      const v = view({ usdc: 350n * 10n ** 6n, eth: 2990n * E8 });
      const d = distanceToLiquidation(portfolioOf(state, v, VOLS), DAY).markets[0];
      const model = liquidationPrice(
        state,
        valueOf(v.collateral, v.assetPrices, v.haircuts, v.decimals),
        v.marketPrices,
        v.mm,
        0,
      )!;
      expect(d.liquidationPrice! / (Number(model) / 1e8)).to.be.closeTo(1, 1e-6);
    });

    it("counts collateral at its haircut and moves WETH with ETH (correlation 1), USDC not at all", () => {
      const state = long(10n * UNIT, 3000n * E8);
      const v = view({ usdc: 0n, weth: 2n * 10n ** 18n });
      const p = portfolioOf(state, v, VOLS);
      expect(p.collateral.map((c) => [c.name, c.haircutBps, c.amount])).to.deep.equal([["WETH", 2_000, 2]]);
      expect(p.correlation).to.deep.equal([
        [1, 1],
        [1, 1],
      ]);
      expect(p.collateral[0].volatility).to.deep.equal({ annualised: 0.8 });
      const hedged = portfolioOf(
        { ...state, markets: state.markets.map((m, j) => (j === 0 ? { ...m, side: Side.Short } : m)) },
        v,
        VOLS,
      );
      // a short ETH against WETH collateral is hedged: far safer than the long
      const sLong = distanceToLiquidation(p, DAY).portfolioSigmas;
      const sShort = distanceToLiquidation(hedged, DAY).portfolioSigmas;
      expect(sShort).to.be.greaterThan(sLong);
    });
  });

  describe("the daemon's policy on a real node", () => {
    const chain = useChain();
    let env: NodeJS.ProcessEnv;
    const lines: string[] = [];

    async function runner(config: Record<string, unknown>) {
      const g = parseGlobals({}, env);
      const log = makeLogger({ format: "json", sink: { write: (s) => lines.push(s) } });
      const { t } = await connect(g, secrets(g, env), log, { role: "daemon", hold: false });
      const alerts = new Alerts(t.account, log, {});
      return {
        t,
        alerts,
        r: new RiskPolicyRunner(t, { warn: 0.01, topUp: 0.02, reduce: 0.5, ...config }, alerts, log),
      };
    }

    before(async () => {
      const dir = tmpDir("risk");
      env = cliEnv(chain().url, chain().sys.addresses.registry, DEV_KEYS[5], path.join(dir, "state.json"));
      await setPrices(chain(), { 0: 3000n * E8 });
      for (const args of [["init"], ["deposit", "USDC", "2400"], ["open", "ETH", "long", "10"]]) {
        const r = await zkm(args, env);
        expect(r.code, r.stderr).to.equal(0);
      }
    });

    it("reads the volatilities from the risk engine", async () => {
      const { t } = await runner({});
      const v = await marketVolatilities(t);
      expect(v.source).to.deep.equal(["risk engine", "risk engine", "risk engine", "risk engine"]);
      expect(v.annualised[0]).to.be.closeTo(0.8, 0.01); // the seeded 80%
      t.close();
    });

    it("dry run: decides a top-up and only says what it would deposit (capped); the alert names no market", async () => {
      const { t, alerts, r } = await runner({ topUpCap: 500, targetMarginUsage: 0.05 });
      const before = (await t.read()).collateral[0];
      const o = await r.evaluate(await t.read(), true);
      expect(o).to.deep.include({ action: "top-up", dryRun: true, done: "would deposit 500.00 USDC" });
      expect((await t.read()).collateral[0]).to.equal(before);
      expect(alerts.sent[0]).to.deep.include({ event: "risk", level: "top-up", horizon: "1 d" });
      expect(lines.join("\n")).to.not.match(/\bETH\b|\blong\b/);
      t.close();
    });

    it("tops up from the wallet (capped) when not a dry run", async () => {
      const { t, r } = await runner({ topUpCap: 500, targetMarginUsage: 0.05, dryRun: { topUp: false, reduce: true } });
      const before = (await t.read()).collateral[0];
      const o = await r.evaluate(await t.read(), true);
      expect(o).to.deep.include({ action: "top-up", dryRun: false, done: "deposited 500.00 USDC" });
      expect((await t.read()).collateral[0]).to.equal(before + 500n * 10n ** 6n);
      t.close();
    });

    it("reduces every position to the target margin usage (an Update, under the lock) when not a dry run", async () => {
      const { t, r } = await runner({
        warn: 0.001,
        topUp: 0.002,
        reduce: 0.003,
        targetMarginUsage: 0.05,
        dryRun: false,
      });
      const o = await r.evaluate(await t.read(), true);
      expect(o?.action).to.equal("reduce");
      expect(o?.done).to.match(/^reduced 1 positions by \d+\.\d%$/);
      const f = Number(/by (\d+\.\d)%/.exec(o!.done!)![1]) / 100;
      await t.reload();
      const left = Number(t.state.markets[0].size) / 1e10;
      expect(left).to.be.closeTo(10 * (1 - f), 0.01);
      t.close();
    });
  });
});
