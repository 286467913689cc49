import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { parseGlobals } from "../../prover/cli/args";
import { connect, secrets } from "../../prover/cli/connect";
import { DEFAULT_DAEMON, Daemon, type DaemonOptions } from "../../prover/daemon/daemon";
import { liquidationPrice } from "../../prover/model";
import { valueOf } from "../../prover/lib/value";
import { makeLogger } from "../../prover/service/log";
import type { TraderService } from "../../prover/service/trader";
import { exact, grouped } from "../../prover/service/units";
import { cliEnv } from "../helpers/cli";
import { DEV_KEYS, challenge, setPrices, tmpDir, unchallenged, useChain } from "./helpers/chain";
import { zkm } from "./helpers/inproc";
import { RpcProxy } from "./helpers/rpcProxy";

const usd = (x: number) => BigInt(Math.round(x * 1e8));

/** Methods a proxy sees only when a transaction is sent (the transaction itself is public on chain). */
const SENDING = new Set([
  "eth_estimateGas",
  "eth_sendRawTransaction",
  "eth_getTransactionReceipt",
  "eth_getTransactionCount",
  "eth_getTransactionByHash",
  "eth_maxPriorityFeePerGas",
  "eth_gasPrice",
  "eth_feeHistory",
  "eth_getBlockByNumber",
  "eth_blockNumber",
  "eth_chainId",
]);

/** Every way a private value may be written: raw integer, exact decimal, grouped with 2 or 4 decimals. */
function forms(raw: bigint, decimals: number): string[] {
  const a = raw < 0n ? -raw : raw;
  return [
    a.toString(),
    exact(a, decimals),
    grouped(a, decimals, 2),
    grouped(a, decimals, 4),
    grouped(a, decimals, 2).replace(/,/g, ""),
  ];
}

/**
 * Private by default (issue 9, item 6), measured: two daemons (in this process) whose accounts hold the
 * same position, one able to answer its challenge and one not. Every webhook body and every log line is
 * captured and searched for each private value (sizes, sides, entry prices, liquidation prices, cash,
 * the market); and the JSON-RPC methods each daemon's provider sees while it decides are identical in both
 * cases (every proof and every preview is computed locally): only the answer's transaction, public on
 * chain anyway, follows in the one that can answer.
 */
describe("Privacy of the daemon: webhooks, logs and the RPC pattern", function () {
  this.timeout(240_000);
  const chain = useChain();
  let dir: string;
  let hook: http.Server;
  const bodies: string[] = [];
  const logs: string[] = [];
  const proxies: RpcProxy[] = [];
  const accounts: { t: TraderService; daemon: Daemon; proxy: RpcProxy; env: NodeJS.ProcessEnv }[] = [];
  const secretsFound: string[] = [];

  async function account(i: number, collateral: string, o: Partial<DaemonOptions>) {
    const c = chain();
    const proxy = new RpcProxy(c.url);
    await proxy.start();
    proxies.push(proxy);
    const env = cliEnv(proxy.url, c.sys.addresses.registry, DEV_KEYS[i], path.join(dir, `state${i}.json`));
    const direct = { ...env, ZKMARGIN_RPC: c.url };
    for (const args of [["init"], ["deposit", "USDC", collateral], ["open", "ETH", "long", "1.2345"]]) {
      const r = await zkm(args, direct);
      expect(r.code, r.stderr).to.equal(0);
    }
    const g = parseGlobals({}, env);
    const log = makeLogger({ format: "json", level: "debug", sink: { write: (s) => logs.push(s) } });
    const t = (await connect(g, secrets(g, env), log, { role: "daemon", hold: false })).t;
    const port = (hook.address() as AddressInfo).port;
    const daemon = new Daemon(t, { ...DEFAULT_DAEMON, webhook: `http://127.0.0.1:${port}/`, ...o }, log);
    accounts.push({ t, daemon, proxy, env });
    return accounts[accounts.length - 1];
  }

  before(async () => {
    dir = tmpDir("privacy");
    hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += String(d)));
      req.on("end", () => (bodies.push(body), res.end("ok")));
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    await setPrices(chain(), { 0: usd(3017.43) }); // a non-round entry
  });
  after(async () => {
    for (const a of accounts) a.t.close();
    for (const p of proxies) await p.stop();
    await new Promise((r) => hook.close(() => r(undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the RPC pattern of the deciding tick is the same whether the account can answer or not", async () => {
    // the same position (1.2345 ETH long at 3,017.43, then 0.1111 reduced at 3,088.17: 1.1234 ETH and
    // 7.86 USD of private cash); A holds 3,000 USDC, B 350: at 2,690 (out of the box) A is solvent and
    // answers, B is under water (no certificate, no deleverage) and cannot
    const a = await account(7, "3000", { warnBps: 9_000 });
    const b = await account(8, "350", { warnBps: 9_000 });
    await setPrices(chain(), { 0: usd(3088.17) });
    for (const x of [a, b]) {
      const r = await zkm(["reduce", "ETH", "0.1111"], { ...x.env, ZKMARGIN_RPC: chain().url });
      expect(r.code, r.stderr).to.equal(0);
      expect(await x.daemon.tick()).to.be.oneOf(["idle", "refreshed"]);
    }
    await setPrices(chain(), { 0: usd(2690) });
    for (const x of [b, a]) {
      await challenge(chain(), x.t.account);
      x.proxy.reset();
    }
    expect(await b.daemon.tick()).to.equal("cannot-answer");
    expect(await a.daemon.tick()).to.equal("responded");
    expect(await unchallenged(chain(), a.t.account)).to.equal(true);
    expect(await unchallenged(chain(), b.t.account)).to.equal(false);
    const reads = b.proxy.methods;
    const all = a.proxy.methods;
    expect(reads.length).to.be.greaterThan(5);
    expect(all.slice(0, reads.length), "the same reads, in the same order").to.deep.equal(reads);
    const after = all.slice(reads.length);
    expect(
      after.filter((m) => !SENDING.has(m)),
      "after the reads: only what sending a transaction takes",
    ).to.deep.equal([]);
    expect(after).to.include("eth_sendRawTransaction");
    expect(reads).to.not.include("eth_estimateGas");
  });

  it("webhook bodies and logs hold none of the private values (sizes, side, entry, liquidation prices, cash, market)", async () => {
    const [a, b] = accounts;
    // more ticks: B still challenged and unable to answer, A near its liquidation price (warn at 90%)
    for (let k = 0; k < 3; k++) {
      await setPrices(chain(), { 0: usd(2690 - k) });
      await b.daemon.tick();
      await a.daemon.tick();
    }
    await new Promise((r) => setTimeout(r, 500)); // webhooks are in flight
    const view = await a.t.read();
    const values: string[] = [];
    for (const x of accounts) {
      const s = x.t.state;
      const m = s.markets[0];
      values.push(...forms(m.size, 10), ...forms(m.cost / m.size, 8));
      if (s.cash !== 0n) values.push(...forms(s.cash, 18));
      const v = await x.t.read();
      const lp = liquidationPrice(
        s,
        valueOf(v.collateral, v.assetPrices, v.haircuts, v.decimals),
        v.marketPrices,
        v.mm,
        0,
      );
      if (lp) values.push(...forms(lp, 8));
    }
    values.push(...forms(view.marketPrices[0], 8), ...forms(usd(3017.43), 8));
    expect(new Set(values).size, "private values searched for").to.be.greaterThan(15);
    expect(bodies.length, "webhooks were sent").to.be.greaterThan(3);
    expect(bodies.map((x) => JSON.parse(x).event)).to.include.members([
      "challenged",
      "cannot-answer",
      "near-liquidation",
      "challenge-over",
    ]);
    expect(logs.length).to.be.greaterThan(10);
    const text = [...bodies, ...logs].join("\n");
    for (const v of new Set(values.filter((x) => x.replace(/[.,0]/g, "").length >= 3))) {
      if (text.includes(v)) secretsFound.push(v);
    }
    for (const word of [/\blong\b/i, /\bshort\b/i, /\bETH\b/, /"market"/, /"side"/, /"size"/, /liquidationPrice/]) {
      if (word.test(text)) secretsFound.push(String(word));
    }
    expect(secretsFound, "private values in webhooks or logs").to.deep.equal([]);
    // what they do carry: the event, the account, the deadline, the amounts to act on
    const cannot = bodies.map((x) => JSON.parse(x)).find((x) => x.event === "cannot-answer");
    expect(cannot.account).to.equal(new Wallet(DEV_KEYS[8]).address);
    expect(cannot.deadline).to.match(/^20\d\d-/);
    expect(cannot.depositAtLeast.unit).to.equal("USDC");
  });

  it("with --details (the trader's choice) the same alerts carry market, side and prices", async () => {
    const [a] = accounts;
    const port = (hook.address() as AddressInfo).port;
    const log = makeLogger({ format: "json", sink: { write: () => undefined } });
    const detailed = new Daemon(
      a.t,
      { ...DEFAULT_DAEMON, warnBps: 9_000, details: true, webhook: `http://127.0.0.1:${port}/` },
      log,
    );
    bodies.length = 0;
    await detailed.tick();
    await new Promise((r) => setTimeout(r, 300));
    const near = bodies.map((x) => JSON.parse(x)).find((x) => x.event === "near-liquidation");
    expect(near).to.deep.include({ market: "ETH", side: "long" });
    expect(near.price.unit).to.equal("USD");
    expect(near.liquidationPrice.unit).to.equal("USD");
  });
});
