/**
 * Several deployments in one keeper process (issue 15 items 6 and 7): the CLI (`run`, a separate
 * process) watches two `hardhat node` processes with different chain ids (31337, and 31338 through
 * test/keeper/fixtures/chain2.hardhat.config.ts), each with its own index, checkpoint, executor and
 * nonce; it serves /metrics and /healthz on 127.0.0.1; a full outage of one chain's RPC never stalls the
 * other; `status` reports both with their P&L.
 */
import * as path from "node:path";
import { expect } from "chai";
import { FaultProxy } from "../helpers/faultProxy";
import { freePort } from "../helpers/node";
import {
  KEEPER_KEY,
  type KeeperProcess,
  USDC,
  type World,
  jump,
  onChain,
  openTraders,
  rpc,
  spawnKeeper,
  startWorld,
  tmpDir,
  waitFor,
  writeConfig,
} from "./helpers";

describe("keeper v2: two chains in one process, metrics and health", function () {
  this.timeout(240_000);
  let a: World;
  let b: World;
  let proxyB: FaultProxy;
  let k: KeeperProcess | undefined;
  let port: number;
  let config: string;
  const dir = tmpDir("multi");

  before(async () => {
    [a, b] = await Promise.all([
      startWorld(),
      startWorld({ config: path.join(__dirname, "fixtures", "chain2.hardhat.config.ts") }),
    ]);
    proxyB = new FaultProxy(b.url);
    await proxyB.start();
    await Promise.all([openTraders(a, 20, { usdc: USDC(4_000) }), openTraders(b, 20, { usdc: USDC(4_000) })]);
    port = await freePort();
    const deployment = (name: string, w: World, url: string) => ({
      name,
      rpcUrl: url,
      registry: w.sys.addresses.registry,
      lens: w.sys.addresses.lens,
    });
    config = writeConfig(dir, "multi", {
      profit: { ethPriceInQuote: "3000" },
      confirmations: 2,
      pollIntervalMs: 200,
      checkpointEveryMs: 0,
      gas: { receiptPollMs: 25, stuckAfterMs: 3_000 },
      rpc: { retries: 2, retryDelayMs: 20, timeoutMs: 1_000 },
      metrics: { port },
      heartbeatRounds: 5,
      deployments: [deployment("a", a, a.url), deployment("b", b, proxyB.url)],
    });
  });
  after(async () => {
    await k?.stop("SIGKILL");
    await proxyB?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const get = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    return { status: res.status, text: await res.text() };
  };

  it("runs both chains: healthy, challenging on each, with Prometheus metrics per deployment", async () => {
    expect(BigInt(String(await rpc(b.url, "eth_chainId")))).to.equal(31338n);
    k = spawnKeeper("run", config, KEEPER_KEY);
    await waitFor(
      "both deployments healthy",
      async () => (await get("/healthz").catch(() => undefined))?.status === 200,
      60_000,
    );
    const fromA = Number(await rpc(a.url, "eth_blockNumber"));
    const fromB = Number(await rpc(b.url, "eth_blockNumber"));
    await Promise.all([jump(a, 6 * 3600 + 10), jump(b, 6 * 3600 + 10)]);
    await waitFor("challenges on both chains", async () => {
      const [x, y] = await Promise.all([onChain(a, fromA), onChain(b, fromB)]);
      return x.challenged.size === 20 && y.challenged.size === 20;
    });
    const m = await waitFor("metrics of both", async () => {
      const t = (await get("/metrics")).text;
      return (
        /zkm_keeper_challenges_total\{deployment="a"\} 20/.test(t) &&
        /zkm_keeper_challenges_total\{deployment="b"\} 20/.test(t) &&
        t
      );
    });
    for (const name of [
      "rounds_total",
      "gas_spent_eth",
      "balance_eth",
      "rpc_calls",
      "lag_blocks",
      "bonds_lost",
      "bounties_quote",
    ])
      expect(m).to.match(new RegExp(`zkm_keeper_${name}\\{deployment="a"\\}`));
    expect(k.lines.some((l) => l.msg === "heartbeat")).to.equal(true);
  });

  it("a full outage of chain b's RPC does not stall chain a; health says which one is down", async () => {
    proxyB.outage(120_000);
    await openTraders(a, 10, { usdc: USDC(4_000) });
    const fromA = Number(await rpc(a.url, "eth_blockNumber"));
    await jump(a, 6 * 3600 + 10);
    await waitFor("chain a goes on", async () => (await onChain(a, fromA)).challenged.size === 10, 60_000);
    const h = await waitFor(
      "health reports b",
      async () => {
        const r = await get("/healthz");
        return r.status === 503 && (JSON.parse(r.text) as { deployments: Record<string, { ok: boolean }> });
      },
      60_000,
    );
    expect(h.deployments.a.ok).to.equal(true);
    expect(h.deployments.b.ok).to.equal(false);
    expect(k!.alive).to.equal(true);
    proxyB.outage(0);
    await waitFor("b healthy again", async () => (await get("/healthz")).status === 200, 60_000);
  });

  it("`status` reports both deployments with their P&L; SIGTERM stops cleanly", async () => {
    expect(await k!.stop("SIGTERM")).to.equal(0);
    k = undefined;
    const s = spawnKeeper("status", config, KEEPER_KEY);
    expect(await s.exited).to.equal(0);
    const out = JSON.parse(s.stdout) as {
      deployment: string;
      chainId: string;
      ourOpenChallenges: number;
      accounts: { liquidated: number };
      pnl: { gasWei: string; bountyValue: string };
    }[];
    expect(out.map((x) => [x.deployment, x.chainId])).to.deep.equal([
      ["a", "31337"],
      ["b", "31338"],
    ]);
    // on a: the first 20 were liquidated after the second jump, the 10 new ones are open; on b: 20 open
    expect([out[0].ourOpenChallenges, out[0].accounts.liquidated, out[1].ourOpenChallenges]).to.deep.equal([
      10, 20, 20,
    ]);
    expect(BigInt(out[0].pnl.gasWei) > 0n && BigInt(out[0].pnl.bountyValue) > 0n).to.equal(true);
  });
});
