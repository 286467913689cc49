/**
 * The answered paths, with real proofs (prover/lib/actions): two traders with ETH longs on a hardhat
 * node; ETH falls 15%, out of both certificates' boxes; the keeper challenges both; Alice answers with a
 * Certificate at the pinned prices (our bond goes to her: a bond lost), Bob (below maintenance after the
 * move) with a private Deleverage (our bond comes back with keeperShareBps of his fee). The keeper's
 * index follows both answers, counts the P&L, and challenges neither again.
 */
import { expect } from "chai";
import { JsonRpcProvider, MaxUint256, Wallet, parseEther } from "ethers";
import { ZkMarginRegistry__factory, TestToken__factory } from "../../core/contracts";
import type { App } from "../../keeper/app";
import { prepareAnswer, prepareUpdate } from "../../prover/lib/actions";
import { ChainView } from "../../prover/lib/chain";
import { type ProverKeys, loadKeys } from "../../prover/lib/circuits";
import { type AccountState, Side, emptyState } from "../../prover/model";
import { type World, USDC, deploymentConfig, jump, keeperApp, refreshFeeds, rpc, startWorld, tmpDir } from "./helpers";

const SIZE = 10n ** 10n; // one unit of a market

interface Trader {
  wallet: Wallet;
  state: AccountState;
  view: ChainView;
}

describe("keeper v2: answered challenges (certificate and deleverage, real proofs)", function () {
  this.timeout(300_000);
  let w: World;
  let app: App;
  let keys: ProverKeys;
  const traders: Trader[] = [];

  before(async () => {
    [w, keys] = await Promise.all([startWorld(), loadKeys()]);
    const provider = new JsonRpcProvider(w.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    for (const units of [2n, 20n]) {
      const wallet = new Wallet(Wallet.createRandom().privateKey, provider);
      await rpc(w.url, "hardhat_setBalance", [wallet.address, `0x${parseEther("10").toString(16)}`]);
      const registry = ZkMarginRegistry__factory.connect(w.sys.addresses.registry, wallet);
      const usdc = TestToken__factory.connect(w.sys.addresses["token.USDC"], wallet);
      await (await usdc.mint(wallet.address, USDC(10_000))).wait();
      await (await usdc.approve(w.sys.addresses.registry, MaxUint256)).wait();
      await (await registry.openAccount()).wait();
      await (await registry.deposit(0, USDC(10_000))).wait();
      const view = new ChainView(registry, wallet.address);
      const up = await prepareUpdate(keys, await view.read(), emptyState(4), {
        trade: { kind: "increase", market: 0, size: units * SIZE, side: Side.Long },
      });
      await (await registry.update(up.args, up.proof.proof)).wait();
      traders.push({ wallet, state: up.next, view });
    }
    app = await keeperApp(deploymentConfig(w, tmpDir("answers")));
  });
  after(async () => {
    app?.close();
    await w?.stop();
  });

  it("challenges both once ETH leaves their boxes; Alice certifies, Bob deleverages", async () => {
    expect((await app.keeper.round()).candidates.challenge).to.equal(0);
    const eth = await w.sys.marketFeeds[0].answer();
    await refreshFeeds(w, { 0: (eth * 85n) / 100n });
    const r = await app.keeper.round();
    expect(r.challenged).to.have.length(2);
    const kinds: string[] = [];
    for (const t of traders) {
      const pub = await t.view.read();
      const record = await t.view.openChallenge(pub.recordHash);
      const answer = await prepareAnswer(keys, pub, t.state, record!);
      kinds.push(answer.kind);
      const registry = ZkMarginRegistry__factory.connect(w.sys.addresses.registry, t.wallet);
      if (answer.kind === "certificate")
        await (await registry.respond(t.wallet.address, record!, answer.d, answer.pm, answer.proof.proof)).wait();
      else if (answer.kind === "deleverage") {
        await (await registry.respondDeleverage(t.wallet.address, record!, answer.args, answer.proof.proof)).wait();
        t.state = answer.next;
      }
    }
    expect(kinds).to.deep.equal(["certificate", "deleverage"]);
  });

  it("follows both answers: bond lost to Alice, bond back and a fee share from Bob, no new challenge", async () => {
    await jump(w, 1);
    const r = await app.keeper.round();
    expect(r.counts.challenged).to.equal(0);
    expect(r.candidates).to.deep.equal({ challenge: 0, liquidate: 0 });
    const l = app.keeper.view.global.ledger;
    const bond = app.keeper.view.global.incentives!.bond;
    expect([l.challenges, l.bondsLost, l.bondsLostWei, l.bondsReturnedWei]).to.deep.equal([2n, 1n, bond, bond]);
    expect(l.feeShareValue > 0n).to.equal(true);
    const pnl = app.keeper.pnl();
    expect(pnl.feeShareValue).to.equal(l.feeShareValue);
    expect(pnl.bondsLostWei).to.equal(bond);
    await jump(w, 60);
    expect((await app.keeper.round()).challenged).to.have.length(0);
  });
});
