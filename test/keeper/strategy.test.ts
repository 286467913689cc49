/**
 * Ranking and per-round bounds on an in-memory deployment (keeper/chain/memory.ts: ABI-encoded logs, the
 * registry's rule in the lens views, four JSON-RPC requests per transaction): expected profit is known
 * for every candidate before any bound, dust never takes a funded account's place, the lens is asked
 * in batches, and a round at 10,000 candidates makes a few dozen requests.
 */
import { expect } from "chai";
import { getAddress } from "ethers";
import { MEMORY_INCENTIVES, MemoryChain, memoryKeeper } from "../../keeper/chain/memory";
import type { Actions, TxResult } from "../../keeper/executor";
import * as strategy from "../../keeper/strategy";

const addr = (i: number) => getAddress(`0x${(0x100000 + i).toString(16).padStart(40, "0")}`);
const USDC = (x: bigint) => x * 10n ** 6n;

function staleChain(funded: number, dust: number): MemoryChain {
  const chain = new MemoryChain();
  for (let i = 0; i < dust; i++) chain.open(addr(i), USDC(1n));
  for (let i = 0; i < funded; i++) chain.open(addr(100_000 + i), USDC(4_000n) + BigInt(i));
  chain.mine(6n * 3600n + 10n); // every certificate is past its freshness
  return chain;
}

describe("keeper v2 strategy", () => {
  it("ranks by expected profit: the best collateral first, gas shared over a full batch", () => {
    const e: strategy.Economics = {
      gasPriceWei: 10n ** 9n,
      challengeBaseGas: 200_000n,
      challengeGasPerAccount: 45_000n,
      liquidateBaseGas: 300_000n,
      liquidateGasPerAccount: 50_000n,
      ethPriceInQuote: 3000n,
      minProfitValue: 0n,
      batchSize: 50,
    };
    const gas = (200_000n / 50n + 45_000n + 300_000n / 50n + 50_000n) * 10n ** 9n * 3000n;
    expect(strategy.challengeProfit(4_000n * 10n ** 18n, MEMORY_INCENTIVES, e)).to.equal(20n * 10n ** 18n - gas);
    expect(strategy.challengeProfit(10n ** 18n, MEMORY_INCENTIVES, e) < 0n).to.equal(true);
    expect(strategy.challengeProfit(10n ** 30n, MEMORY_INCENTIVES, e)).to.equal(MEMORY_INCENTIVES.bountyCap - gas);
  });

  it("600 dust + 100 funded: all 100 challenged in the first round, no dust looked at on chain", async () => {
    const chain = staleChain(100, 600);
    const k = memoryKeeper(chain, { overrides: { batchSize: 50, maxBatchesPerRound: 2 } });
    await k.init();
    const r = await k.round();
    expect(r.counts.challengeable).to.equal(700);
    expect(r.counts.unprofitable).to.equal(600);
    expect(r.challenged).to.have.length(100);
    expect(r.lensCalls).to.equal(1);
    expect(new Set(r.challenged).size).to.equal(100);
    expect(r.challenged.every((a) => BigInt(a) >= BigInt(addr(100_000)))).to.equal(true);
  });

  it("a per-round bound is filled with the most profitable candidates, the rest wait their turn", async () => {
    const chain = staleChain(100, 600);
    const k = memoryKeeper(chain, { overrides: { batchSize: 20, maxBatchesPerRound: 2, lensChunk: 25 } });
    await k.init();
    const r1 = await k.round();
    expect(r1.challenged).to.have.length(40);
    // the largest deposits (4000 + i) first
    const best = Array.from({ length: 40 }, (_, j) => addr(100_000 + 99 - j)).sort();
    expect([...r1.challenged].sort()).to.deep.equal(best);
    chain.mine();
    const r2 = await k.round();
    chain.mine();
    const r3 = await k.round();
    expect(r2.challenged.length + r3.challenged.length).to.equal(60);
  });

  it("a round at 10,000 candidates makes a few dozen JSON-RPC requests (batched lens checks)", async () => {
    const chain = staleChain(10_000, 0);
    const k = memoryKeeper(chain);
    await k.init();
    const before = chain.totalCalls;
    const r = await k.round();
    expect(r.candidates.challenge).to.equal(10_000);
    expect(r.challenged).to.have.length(200);
    expect(r.rpcCalls).to.equal(chain.totalCalls - before);
    expect(r.rpcCalls).to.be.at.most(50);
    expect(Object.fromEntries(chain.calls)).to.include({ eth_sendRawTransaction: 4, eth_getLogs: 1 });
  });

  it("liquidates after the window, ours at once, highest bounty first; the bond cap bounds challenges", async () => {
    const chain = staleChain(30, 0);
    const k = memoryKeeper(chain, { overrides: { maxBondsAtRiskWei: (10n ** 15n * 25n).toString() } });
    await k.init();
    const r1 = await k.round();
    expect(r1.challenged).to.have.length(25); // bond cap: 25 x 0.001 ETH
    chain.mine(601n);
    const r2 = await k.round();
    expect(r2.liquidated).to.have.length(25);
    expect(r2.challenged).to.have.length(5);
    chain.mine();
    await k.round();
    expect(k.pnl().bountyValue / 10n ** 18n).to.equal(500n); // 25 x 0.5% of ~4,000
  });

  it("a batch whose gas estimate passes the per-transaction cap is halved until it fits", async () => {
    const chain = staleChain(40, 0);
    const k = memoryKeeper(chain, { overrides: { batchSize: 40, maxBatchesPerRound: 1 } });
    await k.init();
    const inner = (k as unknown as { d: { executor: Actions } }).d.executor;
    const sizes: number[] = [];
    (k as unknown as { d: { executor: Actions } }).d.executor = {
      ...inner,
      challenge: (accounts, certs, bond, fees) => {
        sizes.push(accounts.length);
        if (accounts.length > 15)
          return Promise.resolve({ status: "skipped", action: "challenge", accounts, reason: "too-large" } as TxResult);
        return inner.challenge(accounts, certs, bond, fees);
      },
    };
    const r = await k.round();
    expect(sizes).to.deep.equal([40, 20, 10, 10, 20, 10, 10]);
    expect(r.challenged).to.have.length(40);
  });

  it("a sequencer outage after the challenge extends its deadline: no liquidation before it", async () => {
    const chain = staleChain(5, 0);
    const k = memoryKeeper(chain);
    await k.init();
    expect((await k.round()).challenged).to.have.length(5);
    chain.downtime = 900n; // an outage of 15 minutes with its grace, after the challenges were pinned
    chain.mine(601n);
    const r1 = await k.round();
    expect(r1.counts.due).to.equal(5); // due by the pinned deadline alone...
    expect(r1.liquidated).to.have.length(0); // ...but not by the registry's, which adds the outage
    chain.mine(900n);
    expect((await k.round()).liquidated).to.have.length(5);
  });

  it("a lens check that fails leaves the candidates for the next round; the round itself goes on", async () => {
    const chain = new MemoryChain();
    for (let i = 0; i < 10; i++) chain.open(addr(i), USDC(4_000n));
    chain.mine();
    const k = memoryKeeper(chain);
    await k.init();
    expect((await k.round()).challenged).to.have.length(0);
    chain.mine(6n * 3600n + 10n);
    const real = chain.checkChallenges.bind(chain);
    let fail = true;
    chain.checkChallenges = async (a, c) => {
      if (fail) throw Object.assign(new Error("RPC down"), { code: "ECONNRESET" });
      return real(a, c);
    };
    chain.mine();
    const r1 = await k.round();
    expect(r1.challenged).to.have.length(0);
    fail = false;
    chain.mine();
    const r2 = await k.round();
    expect(r2.challenged).to.have.length(10);
  });
});

describe("keeper v2 operator signals (in memory)", () => {
  it("a low balance raises the gauge and one warning; metrics carry the round's figures", async () => {
    const { Metrics } = await import("../../keeper/metrics");
    const metrics = new Metrics();
    const chain = staleChain(5, 0);
    const k = memoryKeeper(chain, { metrics, overrides: { lowBalanceWei: (10n ** 21n).toString() } });
    await k.init();
    await k.round();
    const text = await metrics.registry.metrics();
    expect(text).to.match(/zkm_keeper_low_balance\{deployment="memory"\} 1/);
    expect(text).to.match(/zkm_keeper_balance_eth\{deployment="memory"\} 100/);
    expect(text).to.match(/zkm_keeper_challenges_total\{deployment="memory"\} 5/);
    expect(text).to.match(/zkm_keeper_candidates\{deployment="memory",kind="challenge"\} 5/);
  });

  it("a fleet keeps retrying a deployment whose RPC is down at start, and says so in its health", async () => {
    const { runFleet } = await import("../../keeper/run");
    const { loadConfig } = await import("../../keeper/config");
    const { freePort } = await import("../helpers/node");
    const pino = (await import("pino")).default;
    const port = await freePort();
    const d = loadConfig({
      flags: {
        rpcUrl: `http://127.0.0.1:${port}`,
        registry: addr(1),
        lens: addr(2),
        pollIntervalMs: 50,
        rpc: { retries: 0, retryDelayMs: 1 },
        checkpointFile: "/dev/null",
        profit: { ethPriceInQuote: "1" },
      },
      env: {},
    }).config.deployments;
    const ac = new AbortController();
    const fleet = runFleet(d, undefined, pino({ level: "silent" }), { signer: false }, ac.signal);
    await new Promise((r) => setTimeout(r, 600));
    expect(fleet.health().ok).to.equal(false);
    expect(fleet.health().deployments.main.lastRoundAgoMs).to.equal(null);
    ac.abort();
    await fleet.done; // the loop ends on the signal, not before
  });
});

describe("keeper v2 estimates", () => {
  it("an account whose collateral is only an estimate is still asked of the lens, after the profitable ones", async () => {
    const chain = new MemoryChain();
    const [rich, poor, dust] = [addr(1), addr(2), addr(3)];
    chain.open(rich, USDC(4_000n));
    chain.open(poor, USDC(1n));
    chain.open(dust, USDC(1n));
    chain.settleGain(poor, USDC(5_000n)); // the events say only that a settlement happened
    chain.mine(6n * 3600n + 10n);
    const k = memoryKeeper(chain);
    await k.init();
    const r = await k.round();
    expect(r.counts.unprofitable).to.equal(2); // poor and dust by their estimates
    expect(r.candidates.challenge).to.equal(2); // rich, and poor (approximate) ranked after it
    expect([...r.challenged].sort()).to.deep.equal([rich, poor].sort()); // the lens found poor's 5,001
  });
});
