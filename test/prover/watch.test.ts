import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { DEFAULT_DAEMON, Daemon } from "../../prover/daemon/daemon";
import { HeadWatcher } from "../../prover/daemon/watch";
import type { PublicState } from "../../prover/lib/chain";
import { makeLogger } from "../../prover/service/log";
import type { TraderService } from "../../prover/service/trader";
import { increaseTime, useChain } from "./helpers/chain";

/**
 * Chain watching that scales with traders (issue 16, item 7): new heads by subscription where the node
 * offers it (hardhat node serves WebSocket on its port), else one eth_blockNumber per interval, an interval
 * the daemon chooses fast near a deadline and slow otherwise. (The idle CPU of a daemon process is
 * measured in daemon.test.ts and by `npm run bench`: daemon.idle_cpu_pct.)
 */
describe("Head watching: subscription, adaptive poll", function () {
  this.timeout(60_000);
  const chain = useChain();
  const log = makeLogger({ level: "silent", sink: { write: () => undefined } });
  const ctrl = new AbortController();

  it("wakes on a new head by subscription, polling nothing while the chain is idle", async () => {
    const provider = new JsonRpcProvider(chain().url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const w = new HeadWatcher(provider, chain().url.replace("http", "ws"), log);
    try {
      expect(await w.wait(200, ctrl.signal)).to.be.oneOf(["interval", "block"]); // connects
      expect(w.subscribed).to.equal(true);
      const t0 = Date.now();
      expect(await w.wait(300, ctrl.signal)).to.equal("interval");
      setTimeout(() => void increaseTime(chain().url, 1), 200);
      expect(await w.wait(10_000, ctrl.signal)).to.equal("block");
      expect(Date.now() - t0).to.be.below(5_000);
      expect(w.polls, "no eth_blockNumber poll with a subscription").to.equal(0);
    } finally {
      await w.close();
      provider.destroy();
    }
  });

  it("without a subscription: one eth_blockNumber per interval, 'block' only when the head moved", async () => {
    const provider = new JsonRpcProvider(chain().url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const w = new HeadWatcher(provider, undefined, log);
    expect(await w.wait(50, ctrl.signal)).to.equal("block"); // the first head seen
    expect(await w.wait(50, ctrl.signal)).to.equal("interval");
    await increaseTime(chain().url, 1);
    expect(await w.wait(50, ctrl.signal)).to.equal("block");
    expect(w.polls).to.equal(3);
    provider.destroy();
  });

  it("the daemon polls fast with a challenge open, below maintenance or near staleness, slowly otherwise", () => {
    const t = {
      account: "0x00000000000000000000000000000000000000b2",
      chain: { provider: {} },
    } as unknown as TraderService;
    const d = new Daemon(t, { ...DEFAULT_DAEMON, pollMs: 500, idlePollMs: 8_000 }, log);
    const base = {
      recordHash: `0x${"00".repeat(32)}`,
      blockTime: 10_000n,
      timing: { freshness: 21_600n, responseWindow: 600n, exclusivePeriod: 120n, claimWindow: 604_800n },
    } as unknown as PublicState;
    const set = (v: Partial<PublicState>, provenAt?: bigint) =>
      Object.assign(d, {
        lastView: { ...base, ...v },
        cert: provenAt === undefined ? undefined : { hash: "0x", cert: { provenAt } },
      });
    set({}, 10_000n);
    expect(d.interval()).to.equal(8_000);
    set({ recordHash: `0x${"11".repeat(32)}` }, 10_000n);
    expect(d.interval(), "challenged").to.equal(500);
    set({}, 10_000n - 21_600n + 60n);
    expect(d.interval(), "stale in a minute").to.equal(500);
    set({}, 10_000n);
    Object.assign(d, { failures: 3 });
    expect(d.interval(), "backoff after failures").to.equal(4_000);
  });
});
