import { expect } from "chai";
import { NonceManager, Wallet } from "ethers";
import { TestToken__factory } from "../../core/contracts";
import { RotatingProvider, RpcUnavailableError } from "../../prover/net/provider";
import { freePort } from "../../scripts/lib/node";
import { DEV_KEYS, useChain } from "./helpers/chain";
import { RpcProxy } from "./helpers/rpcProxy";

/**
 * The daemon's and CLI's RPC over several endpoints (prover/net/provider.ts) against a real node behind
 * fault-injecting proxies: transient failures are retried across endpoints with bounded backoff, answers
 * pass through, and a send whose response was lost is found by its hash instead of failing or being
 * signed again.
 */
describe("RPC over several endpoints: retries, rotation, lost sends", function () {
  this.timeout(120_000);
  const chain = useChain();
  const proxies: RpcProxy[] = [];
  after(async () => {
    for (const p of proxies) await p.stop();
  });
  async function proxy(seed = 1): Promise<RpcProxy> {
    const p = new RpcProxy(chain().url, seed);
    await p.start();
    proxies.push(p);
    return p;
  }

  it("skips a dead endpoint and one that answers 502, and rotates back when they return", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const bad = await proxy();
    bad.faults = { http502: 1 };
    const good = await proxy();
    const events: string[] = [];
    const p = await RotatingProvider.connect([dead, bad.url, good.url], {
      onEvent: (e) => events.push(e.kind),
      backoffMs: 10,
    });
    expect(await p.getBlockNumber()).to.be.a("number");
    expect(p.url).to.equal(good.url);
    good.faults = { drop: 1 };
    bad.faults = {};
    expect(await p.getBlockNumber()).to.be.a("number"); // good drops: back to dead (refused), then bad works
    expect(p.url).to.equal(bad.url);
    expect(events).to.include("failover");
    p.destroy();
  });

  it("gets every answer right through 10% mixed faults (drops, 502, JSON-RPC errors, lost answers, delays)", async () => {
    const f = await proxy(7);
    f.faults = { drop: 0.03, http502: 0.02, rpcError: 0.02, lostAfter: 0.02, delay: 0.03, delayMs: [50, 400] };
    const p = await RotatingProvider.connect([f.url], { backoffMs: 10 });
    const token = TestToken__factory.connect(chain().sys.addresses["token.USDC"], p);
    const direct = TestToken__factory.connect(chain().sys.addresses["token.USDC"], chain().sys.registry.runner);
    const who = new Wallet(DEV_KEYS[1]).address;
    const want = await direct.balanceOf(who);
    for (let i = 0; i < 100; i++) expect(await token.balanceOf(who)).to.equal(want); // one request each
    expect(f.requests).to.be.at.least(100);
    expect(Object.values(f.injected).reduce((a, b) => a + b, 0)).to.be.greaterThan(5);
    p.destroy();
  });

  it("a reverting call is an answer: it is not retried", async () => {
    const f = await proxy();
    const p = await RotatingProvider.connect([f.url]);
    const token = TestToken__factory.connect(chain().sys.addresses["token.USDC"], new Wallet(DEV_KEYS[1], p));
    f.reset();
    await expect(token.transfer.staticCall(token.target, 10n ** 30n)).to.be.rejected;
    expect(f.methods.filter((m) => m === "eth_call")).to.have.length(1);
    p.destroy();
  });

  it("half of the send responses lost after execution: every transaction lands once, none is reported failed or signed again", async () => {
    const f = await proxy(3);
    const p = await RotatingProvider.connect([f.url], { backoffMs: 10 });
    const w = new NonceManager(new Wallet(DEV_KEYS[8], p));
    const token = TestToken__factory.connect(chain().sys.addresses["token.USDC"], w);
    const me = await w.getAddress();
    const nonce0 = await p.getTransactionCount(me);
    const bal0 = await token.balanceOf(me);
    f.faults = { lostAfter: 0.5, only: ["eth_sendRawTransaction"] };
    for (let i = 0; i < 8; i++) {
      const tx = await token.mint(me, 1n);
      expect((await tx.wait())!.status).to.equal(1);
    }
    f.faults = {};
    expect(f.injected.lostAfter).to.be.greaterThan(0);
    expect(await p.getTransactionCount(me)).to.equal(nonce0 + 8);
    expect(await token.balanceOf(me)).to.equal(bal0 + 8n);
    p.destroy();
  });

  it("no endpoint reachable: a call fails within its budget, and the outage is measured until one answers", async () => {
    const f = await proxy();
    const p = await RotatingProvider.connect([f.url], { callBudgetMs: 800, backoffMs: 50 });
    await f.down();
    const t0 = Date.now();
    const e = await p.getBlockNumber().catch((x: unknown) => x);
    expect(e).to.be.instanceOf(RpcUnavailableError);
    expect(Date.now() - t0).to.be.below(5_000);
    expect(p.unreachableMs()).to.be.greaterThan(500);
    await f.up();
    await p.getBlockNumber();
    expect(p.unreachableMs()).to.equal(0);
    const e2 = await RotatingProvider.connect([`http://127.0.0.1:${await freePort()}`]).catch((x: unknown) => x);
    expect((e2 as Error).message).to.match(/^no RPC endpoint answered \(http:\/\/127\.0\.0\.1:\d+\): .*ECONNREFUSED/);
    p.destroy();
  });
});
