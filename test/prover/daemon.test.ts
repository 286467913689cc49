import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { FileLock } from "../../core/files";
import { freePort } from "../../scripts/lib/node";
import { cliEnv, spawnCli } from "../helpers/cli";
import { DEV_KEYS, challenge, setPrices, tmpDir, unchallenged, useChain, waitFor } from "./helpers/chain";
import { zkm } from "./helpers/inproc";
import { RpcProxy } from "./helpers/rpcProxy";

const usd = (x: number) => BigInt(Math.round(x * 1e8));

/** CPU seconds (user + system) of a process so far, from /proc. */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
}

/**
 * The trader daemon as separate processes against a real node, every RPC call through a proxy that
 * injects 10% faults (drops, 502, JSON-RPC errors, lost answers, delays), with a dead endpoint listed
 * first: it starts (waiting for the state lock a CLI command holds), answers a burst of challenges before
 * the deadline, alerts once per state change (below maintenance, cannot answer: with the deposit needed),
 * survives a total outage (alerting once no endpoint has answered for the set share of the window) and
 * idles at well under a few percent of a core.
 */
describe("Prover daemon (processes, real node, 10% RPC faults)", function () {
  this.timeout(300_000);
  const chain = useChain();
  const traders = [4, 5].map((i) => ({ key: DEV_KEYS[i], address: new Wallet(DEV_KEYS[i]).address }));
  let dir: string;
  let proxy: RpcProxy;
  let dead: string;
  let hook: http.Server;
  const hooks: Record<string, unknown>[] = [];
  const daemons: { proc: ChildProcess; log: string }[] = [];
  const envs: NodeJS.ProcessEnv[] = [];
  const FAULTS = {
    drop: 0.03,
    http502: 0.02,
    rpcError: 0.02,
    lostAfter: 0.01,
    delay: 0.02,
    delayMs: [200, 2_000] as const,
  };

  const logOf = (i: number) => () => daemons[i]?.log ?? "";
  const webhooks = (event: string, account: string) => hooks.filter((h) => h.event === event && h.account === account);

  before(async () => {
    dir = tmpDir("daemon");
    const c = chain();
    proxy = new RpcProxy(c.url, 11);
    await proxy.start();
    dead = `http://127.0.0.1:${await freePort()}`;
    hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += String(d)));
      req.on("end", () => {
        hooks.push(JSON.parse(body));
        res.end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    for (const [k, t] of traders.entries()) {
      // the daemon's endpoints: a dead one first, then the faulty proxy
      const e = cliEnv(`${dead},${proxy.url}`, c.sys.addresses.registry, t.key, path.join(dir, `state${k}.json`), {
        LOG_LEVEL: "info",
      });
      envs.push(e);
      const direct = { ...e, ZKMARGIN_RPC: c.url };
      for (const args of [["init"], ["deposit", "USDC", "6000"], ["open", "ETH", "long", "10"]]) {
        const r = await zkm(args, direct);
        expect(r.code, r.stderr).to.equal(0);
      }
    }
  });

  after(async () => {
    for (const d of daemons) d.proc.kill("SIGKILL");
    await proxy?.stop();
    await new Promise((r) => hook?.close(() => r(undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(i: number): ChildProcess {
    const port = (hook.address() as AddressInfo).port;
    const config = path.join(dir, "daemon.json");
    fs.writeFileSync(config, JSON.stringify({ fullTickMs: 600_000 })); // no safety-net tick in the idle window
    const proc = spawnCli(
      [
        "daemon",
        "--config",
        config,
        "--poll-ms",
        "200",
        "--idle-poll-ms",
        "1000",
        "--webhook",
        `http://127.0.0.1:${port}/hook`,
        "--rpc-down-alert-share",
        "0.005", // 3 s of the 600 s window
      ],
      envs[i],
    );
    const d = { proc, log: "" };
    proc.stdout!.on("data", (x) => (d.log += String(x)));
    proc.stderr!.on("data", (x) => (d.log += String(x)));
    daemons[i] = d;
    return proc;
  }

  it("starts under 10% faults with a dead endpoint first, waiting for the state lock a CLI command holds", async () => {
    proxy.faults = FAULTS;
    const lock = new FileLock(`${envs[0].ZKMARGIN_STATE}.lock`, "cli");
    lock.acquire(); // as `zkm open` would, in another process
    try {
      start(0);
      start(1);
      await waitFor(
        "daemon 0 to wait for the lock",
        () => /waiting for the state lock held by pid \d+ \(cli\)/.test(logOf(0)()),
        60_000,
        logOf(0),
      );
      await new Promise((r) => setTimeout(r, 1_000));
      expect(logOf(0)()).to.not.include("daemon started");
      expect(daemons[0].proc.exitCode).to.equal(null);
    } finally {
      lock.release();
    }
    for (const i of [0, 1])
      await waitFor(`daemon ${i} to start`, () => logOf(i)().includes("daemon started"), 60_000, logOf(i));
  });

  it("answers a burst of challenges (both accounts) before the deadline, through the faults", async () => {
    const c = chain();
    await setPrices(c, { 0: usd(2650) }); // -11.7%: outside the +/-10% box, still solvent at 2,650
    const t0 = Date.now();
    const recs = [];
    for (const t of traders) recs.push(await challenge(c, t.address)); // one keeper, one nonce at a time
    for (const [i, t] of traders.entries()) {
      await waitFor(`daemon ${i}'s answer`, () => unchallenged(c, t.address), 240_000, logOf(i));
      expect(Date.now() / 1000, "before the deadline").to.be.below(Number(recs[i].deadline));
      await waitFor(
        "the log line",
        () => logOf(i)().includes("challenge answered with a certificate"),
        30_000,
        logOf(i),
      );
    }
    console.log(
      `      both answered ${((Date.now() - t0) / 1000).toFixed(1)} s after the challenges; faults injected: ${JSON.stringify(proxy.injected)}`,
    );
    expect(Object.values(proxy.injected).reduce((a, b) => a + b, 0)).to.be.greaterThan(0);
    for (const d of daemons) expect(d.proc.exitCode).to.equal(null);
  });

  it("below maintenance: one alert with the shortfall and the deposit, not one per tick; one when it is over", async () => {
    const c = chain();
    const me = traders[0].address;
    await setPrices(c, { 0: usd(2450) }); // equity 6,000 - 5,500 = 500 < 3% of 24,500 = 735
    await waitFor("a below-maintenance alert", () => webhooks("below-maintenance", me).length > 0, 60_000, logOf(0));
    for (let k = 0; k < 3; k++) await setPrices(c, { 0: usd(2450) }); // more blocks, more ticks
    await new Promise((r) => setTimeout(r, 2_000));
    const alerts = webhooks("below-maintenance", me);
    expect(alerts).to.have.length(1);
    expect(alerts[0].shortfall).to.deep.include({ value: "235", unit: "USD" });
    expect(alerts[0].depositAtLeast).to.deep.include({ value: "235", unit: "USDC" });
    expect(logOf(0)().match(/below maintenance margin: deposit at least 235\.00 USD/g)).to.have.length(1);
    const r = await zkm(["deposit", "USDC", "300"], envs[0]); // beside the daemon, through the faulty proxy
    expect(r.code, r.stderr).to.equal(0);
    await waitFor("the all-clear", () => webhooks("above-maintenance", me).length === 1, 60_000, logOf(0));
  });

  it("cannot answer: one alert with the deposit that would let it answer before the deadline; answers after the top-up", async () => {
    const c = chain();
    const me = traders[1].address;
    await setPrices(c, { 0: usd(2300) }); // equity 6,000 - 7,000 < 0: no certificate, no deleverage
    const rec = await challenge(c, me);
    await waitFor("a cannot-answer alert", () => webhooks("cannot-answer", me).length > 0, 60_000, logOf(1));
    const a = webhooks("cannot-answer", me)[0];
    expect(a.deadline).to.match(/^20\d\d-\d\d-\d\dT/);
    expect(a.shortfall).to.deep.include({ unit: "USD" });
    expect(a.depositAtLeast).to.deep.include({ unit: "USDC" });
    const need = Number((a.depositAtLeast as { value: string }).value);
    expect(need).to.be.within(1_600, 1_800); // 7,000 - 6,000 + 3% of 23,000 (pinned at 2,300)
    for (let k = 0; k < 3; k++) await setPrices(c, { 0: usd(2300) });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(webhooks("cannot-answer", me)).to.have.length(1);
    expect(logOf(1)().match(/cannot answer the challenge/g)).to.have.length(1);
    const r = await zkm(["deposit", "USDC", String(Math.ceil(need))], envs[1]);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor("the answer after the top-up", () => unchallenged(c, me), 120_000, logOf(1));
    expect(Date.now() / 1000).to.be.below(Number(rec.deadline));
  });

  it("every endpoint down: keeps running, alerts once when none answered for the set share of the window, recovers", async () => {
    proxy.faults = {};
    // only the alerts of this outage count: a start under 10% faults with a dead first endpoint may
    // already have raised (and cleared) one, which is right
    const since = hooks.length;
    const during = (account?: string) =>
      hooks.slice(since).filter((h) => h.event === "rpc-down" && (account === undefined || h.account === account));
    await proxy.down();
    await waitFor("the rpc-down alert", () => during().length >= 2, 60_000, logOf(0));
    await new Promise((r) => setTimeout(r, 2_000));
    for (const t of traders) expect(during(t.address)).to.have.length(1);
    expect(logOf(0)()).to.match(/no RPC endpoint has answered for \d+ s \(0\.5% of the 10 min response window\)/);
    for (const d of daemons) expect(d.proc.exitCode, "still running").to.equal(null);
    await proxy.up();
    await waitFor(
      "the all-clear",
      () => hooks.slice(since).filter((h) => h.event === "rpc-up").length >= 2,
      60_000,
      logOf(0),
    );
  });

  it("started while every endpoint is down: keeps trying, alerts once after the set share of the window, starts when one answers", async () => {
    const down = new RpcProxy(chain().url);
    await down.start();
    await down.down();
    const port = (hook.address() as AddressInfo).port;
    const ctrl = new AbortController();
    const env = { ...envs[0], ZKMARGIN_RPC: down.url, LOG_LEVEL: "info" };
    const args = ["daemon", "--webhook", `http://127.0.0.1:${port}/`, "--rpc-down-alert-share", "0.005"];
    const running = zkm(args, env, ctrl.signal); // in this process: the same main() as `zkm daemon`
    const me = traders[0].address;
    try {
      await waitFor(
        "the rpc-down alert at start",
        () => hooks.some((h) => h.event === "rpc-down" && h.account === me && !("windowSeconds" in h)),
        30_000,
      );
      await down.up();
      await waitFor(
        "the all-clear",
        () => hooks.filter((h) => h.event === "rpc-up" && h.account === me).length >= 2,
        60_000,
      );
    } finally {
      ctrl.abort();
    }
    const r = await running;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include("no RPC endpoint answers yet: retrying").and.to.include("daemon started");
    await down.stop();
  });

  it("idles at a small share of one core (no challenge, no new blocks)", async () => {
    await setPrices(chain(), { 0: usd(2650) }); // healthy again: nothing near, the slow interval
    const me = traders[0].address;
    await waitFor(
      "the all-clear at the new price",
      () => webhooks("above-maintenance", me).length === 2,
      60_000,
      logOf(0),
    );
    await new Promise((r) => setTimeout(r, 2_000));
    const pid = daemons[0].proc.pid!;
    const c0 = cpuSeconds(pid);
    const t0 = Date.now();
    proxy.reset();
    await new Promise((r) => setTimeout(r, 6_000));
    const pct = ((cpuSeconds(pid) - c0) / ((Date.now() - t0) / 1000)) * 100;
    const calls = proxy.methods.length;
    console.log(
      `      idle daemon: ${pct.toFixed(2)}% of a core, ${calls} RPC calls in 6 s (two daemons, 1 s idle poll)`,
    );
    expect(pct).to.be.below(5);
    expect(calls, "one eth_blockNumber per idle interval and daemon").to.be.below(20);
    expect(new Set(proxy.methods)).to.deep.equal(new Set(["eth_blockNumber"]));
  });
});
