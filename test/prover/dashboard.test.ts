import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { expect } from "chai";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { ROOT } from "../../core/artifacts";
import { parseGlobals } from "../../prover/cli/args";
import { connect, secrets } from "../../prover/cli/connect";
import { DEFAULT_DAEMON, Daemon } from "../../prover/daemon/daemon";
import { type Dashboard, startDashboard } from "../../prover/dashboard/server";
import { DashboardState } from "../../prover/dashboard/state";
import { makeLogger } from "../../prover/service/log";
import type { TraderService } from "../../prover/service/trader";
import { fmtPrice, fmtValue, fmtBps } from "../../prover/service/units";
import { cliEnv } from "../helpers/cli";
import { DEV_KEYS, setPrices, tmpDir, useChain, waitFor } from "./helpers/chain";
import { CHROMIUM_ARGS, chromiumPath } from "../../scripts/lib/chromium";
import { zkm } from "./helpers/inproc";

const usd = (x: number) => BigInt(Math.round(x * 1e8));

/**
 * The daemon's dashboard in a real headless Chromium: served on 127.0.0.1 only, the random token required
 * on every request, nothing fetched from anywhere else, read-only; it shows the numbers `zkm status`
 * shows and follows a price move; a screenshot goes to test-artifacts/.
 */
describe("Dashboard (the daemon's local page, real headless Chromium)", function () {
  this.timeout(240_000);
  const chain = useChain();
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let t: TraderService;
  let daemon: Daemon;
  let board: Dashboard;
  let ctx: BrowserContext;
  let page: Page;
  const ctrl = new AbortController();
  let running: Promise<void>;
  const requests: string[] = [];

  before(async function () {
    const exe = chromiumPath();
    if (!exe) throw new Error("no chromium: apt-get install -y chromium (.ci/run does it)");
    dir = tmpDir("dashboard");
    env = cliEnv(chain().url, chain().sys.addresses.registry, DEV_KEYS[6], path.join(dir, "state.json"));
    await setPrices(chain(), { 0: usd(3017.43) });
    for (const args of [["init"], ["deposit", "USDC", "400"], ["open", "ETH", "long", "1.2345"]]) {
      const r = await zkm(args, env);
      expect(r.code, r.stderr).to.equal(0);
    }
    const g = parseGlobals({}, env);
    const log = makeLogger({ level: "warn", sink: { write: () => undefined } });
    t = (await connect(g, secrets(g, env), log, { role: "daemon", hold: false })).t;
    daemon = new Daemon(t, { ...DEFAULT_DAEMON, pollMs: 200, idlePollMs: 300 }, log);
    const state = new DashboardState(t, daemon);
    daemon.onTick = (view) => state.update(view);
    board = await startDashboard({ state: () => state.snapshot });
    running = daemon.run(ctrl.signal);
    ctx = await chromium.launchPersistentContext(path.join(dir, "profile"), {
      executablePath: exe,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1100 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on("request", (r) => requests.push(r.url()));
  });

  after(async () => {
    ctrl.abort();
    await running?.catch(() => undefined);
    await ctx?.close();
    await board?.close();
    t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const text = (sel: string) => page.locator(sel).first().innerText();

  it("refuses every request without the token, from another Host, and anything but GET", async () => {
    const base = `http://127.0.0.1:${board.port}`;
    for (const p of ["/", "/app.js", "/uplot.js", "/api/state", `/api/state?token=${"0".repeat(48)}`]) {
      const res = await page.goto(`${base}${p}`);
      expect(res!.status(), p).to.equal(401);
      expect(await page.content(), p).to.not.include("equity");
    }
    const raw = (method: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: "127.0.0.1", port: board.port, path: `/api/state?token=${board.token}`, method, headers: { host } },
          (res) => (res.resume(), resolve(res.statusCode!)),
        );
        req.on("error", reject);
        req.end();
      });
    expect(await raw("GET", `evil.example:${board.port}`), "another Host (DNS rebinding)").to.equal(421);
    expect(await raw("POST", `127.0.0.1:${board.port}`), "read-only").to.equal(405);
    expect(await raw("GET", `127.0.0.1:${board.port}`)).to.equal(200);
  });

  it("loads with the token and shows what `zkm status` shows, with no request anywhere else", async () => {
    requests.length = 0;
    const res = await page.goto(board.url);
    expect(res!.status()).to.equal(200);
    expect(res!.headers()["content-security-policy"]).to.include("default-src 'none'");
    await waitFor("the first render", async () => (await text('[data-field="equity"]')).includes("USD"), 30_000);
    const s = JSON.parse((await zkm(["status", "--json"], env)).stdout);
    expect(await text('[data-field="equity"]')).to.equal(fmtValue(BigInt(s.equity.raw)));
    expect(await text('[data-field="maintenance"]')).to.equal(fmtValue(BigInt(s.maintenance.raw)));
    expect(await text('[data-field="initial"]')).to.equal(fmtValue(BigInt(s.initial.raw)));
    expect(await text('[data-field="marginUsage"]')).to.equal(fmtBps(BigInt(s.marginUsage.raw)));
    const row = (await text("#positions tbody tr")).split("\t").map((x) => x.trim());
    const p = s.positions[0];
    expect(row).to.deep.equal([
      "ETH",
      "long",
      "1.2345 ETH",
      fmtPrice(BigInt(p.entryPrice.raw)),
      fmtPrice(BigInt(p.markPrice.raw)),
      fmtPrice(BigInt(p.liquidationPrice.raw)),
      fmtBps(BigInt(p.distance.raw)),
      fmtValue(BigInt(p.unrealisedPnl.raw)),
    ]);
    expect(await text("#stale")).to.match(/^(5 h \d+ min|6 h)$/);
    expect(await text("#deadline")).to.equal("no challenge");
    expect(await page.locator(".chart canvas").count(), "a uPlot chart per market").to.be.at.least(1);
    await waitFor("the breach probabilities", async () => (await page.locator("#risk tbody tr").count()) === 2, 30_000);
    expect(await text("#risk tbody tr")).to.match(/^1 h\t\d+\.\d\d%/);
    const base = `http://127.0.0.1:${board.port}/`;
    expect(
      requests.filter((u) => !u.startsWith(base)),
      "third-party requests",
    ).to.deep.equal([]);
    expect(
      requests.every((u) => u.includes(`token=${board.token}`) || u === base || u.startsWith(`${base}api/`)),
    ).to.equal(true);
    expect(page.url(), "the token leaves the address bar").to.equal(base);
  });

  it("follows a price move; the screenshot is saved as a test artifact", async () => {
    await setPrices(chain(), { 0: usd(3123.45) });
    await waitFor("the new mark", async () => (await text("#positions tbody tr")).includes("3,123.45 USD"), 30_000);
    const out = path.join(ROOT, "test-artifacts");
    fs.mkdirSync(out, { recursive: true });
    const file = path.join(out, "dashboard.png");
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).to.be.greaterThan(10_000);
  });
});
