/**
 * Dashboard figure: `dashboard.first_paint_ms`, the median first-contentful-paint of the daemon's local
 * page (prover/dashboard) in headless Chromium (Debian's `chromium`, through playwright-core), each load
 * in a fresh browser context (cold cache), the page served by the real server on 127.0.0.1 with a state
 * document of the daemon's shape (one position, a 2,000-point price history, risk, history, alerts).
 *
 * Register in bench/run.ts as { name: "dashboard", run: async () => (await import("./dashboard")).dashboardFigures() };
 * standalone: `npx ts-node --transpile-only bench/dashboard.ts`.
 */
import { chromium } from "playwright-core";
import { startDashboard } from "../prover/dashboard/server";
import { CHROMIUM_ARGS, chromiumPath } from "../scripts/lib/chromium";
import { type Figure, figure, median, progress, round } from "./lib/figures";

const RUNS = 7;

/** A state document as the daemon builds it (prover/dashboard/state.ts). */
export function sampleState(): unknown {
  const now = Date.now() / 1000;
  const t = Array.from({ length: 2_000 }, (_, i) => now - (2_000 - i) * 5);
  const mark = t.map((_, i) => 3000 + 50 * Math.sin(i / 100));
  return {
    generatedAt: new Date().toISOString(),
    status: { account: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", phase: "active" },
    text: {
      phase: "active",
      banner: "",
      equity: "5,000.00 USD",
      maintenance: "180.00 USD",
      initial: "360.00 USD",
      collateralValue: "5,000.00 USD",
      cash: "0.00 USD",
      marginUsage: "3.60%",
      collateral: [{ asset: "USDC", amount: "5,000.00 USDC", value: "5,000.00 USD", maxWithdraw: "4,640.00 USDC" }],
      positions: [
        {
          market: "ETH",
          side: "long",
          size: "2.0000 ETH",
          entry: "3,000.00 USD",
          mark: "3,000.00 USD",
          pnl: "0.00 USD",
          liquidation: "515.46 USD",
          distance: "82.81%",
        },
      ],
      certificate: { box: "+/-10.00%", staleIn: "6 h" },
    },
    countdowns: { staleInSeconds: 21_600, deadlineInSeconds: null },
    charts: [{ market: "ETH", t, mark, liquidation: 515.46, boxLow: 2700, boxHigh: 3300 }],
    risk: {
      horizons: [
        { horizon: "1 h", probability: 0, interval95: [0, 0.0004], paths: 10_000, portfolioSigmas: 120.1 },
        { horizon: "1 d", probability: 0.0002, interval95: [0, 0.0006], paths: 10_000, portfolioSigmas: 24.5 },
      ],
      seed: "1",
      volatilities: [{ market: "ETH", annualised: 0.8, source: "risk engine" }],
      correlation: 0.7,
    },
    history: [
      { at: new Date().toISOString(), level: "info", event: "refreshed", message: "certificate refreshed (price)" },
    ],
    alerts: [],
  };
}

export async function dashboardFirstPaintMs(): Promise<number> {
  const exe = chromiumPath();
  if (!exe) throw new Error("no chromium: apt-get install -y chromium");
  const state = sampleState();
  const board = await startDashboard({ state: () => state });
  const browser = await chromium.launch({ executablePath: exe, headless: true, args: CHROMIUM_ARGS });
  try {
    const samples: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(board.url, { waitUntil: "load" });
      // browser-side expressions as strings: this file is type-checked without the DOM library
      await page.waitForFunction(`document.querySelector('[data-field="equity"]').textContent !== ""`);
      const fcp = (await page.evaluate(
        `performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint")?.startTime ?? NaN`,
      )) as number;
      await ctx.close();
      if (i > 0) samples.push(fcp); // the first load warms the browser
    }
    progress(`dashboard: first contentful paint ${samples.map((s) => s.toFixed(0)).join(" ")} ms`);
    return round(median(samples));
  } finally {
    await browser.close();
    await board.close();
  }
}

export async function dashboardFigures(): Promise<Figure[]> {
  return [figure("dashboard.first_paint_ms", await dashboardFirstPaintMs(), "ms")];
}

if (require.main === module) {
  dashboardFigures()
    .then((fs) => fs.forEach((f) => process.stdout.write(`${f.name}: ${f.value} ${f.unit}\n`)))
    .catch((e: unknown) => {
      progress(`failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    });
}
