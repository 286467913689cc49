/**
 * Forced sales through the keeper on a real hardhat node with a real Uniswap V2 pool (issue 11 item 6,
 * issue 12 item 6): WETH-only accounts are challenged and liquidated; their seized WETH is one auction;
 * the keeper deploys its UniswapV2Taker once and takes the lot through the pool when router out - owed
 * pays the gas (not before: the auction starts 20% above the oracle); a deficit the fund recorded is
 * repaid from the proceeds; a stale auction is restarted; a new oracle round that moves a ratio is
 * poked. `status` shows the open auctions, the lots bought and the profit.
 */
import { expect } from "chai";
import { InsuranceFund__factory } from "../../core/contracts";
import type { App } from "../../keeper/app";
import { statusOf } from "../../keeper/status";
import {
  type World,
  WETH,
  deploymentConfig,
  jump,
  keeperApp,
  openTraders,
  refreshFeeds,
  rpc,
  startWorld,
  tmpDir,
} from "./helpers";

describe("keeper v2 forced sales: takes through the AMM, redo, repay, poke", function () {
  this.timeout(240_000);
  let w: World;
  let app: App;

  before(async () => {
    w = await startWorld();
    app = await keeperApp(
      deploymentConfig(w, tmpDir("sales"), {
        sales: { deployTaker: true, router: w.sys.addresses["uniswap.router"], maxSlippageBps: 100 },
      }),
    );
  });
  after(async () => {
    app?.close();
    await w?.stop();
  });

  it("liquidates WETH-only accounts into one auction, and takes it only once the pool pays", async () => {
    await openTraders(w, 6, { weth: WETH(2) });
    await app.keeper.round();
    await jump(w, 6 * 3600 + 10);
    expect((await app.keeper.round()).challenged).to.have.length(6);
    await jump(w, 600 + 1);
    const r = await app.keeper.round();
    expect(r.liquidated).to.have.length(6);
    await jump(w, 1);
    const early = await app.keeper.round();
    expect(early.sales.openAuctions).to.equal(1);
    expect(early.sales.takes).to.equal(0); // 20% above the oracle: the pool does not pay
    const st = await statusOf(app);
    expect(st.auctions).to.have.length(1);
    expect(st.auctions[0].lot > WETH(11)).to.equal(true);
  });

  it("takes the lot through its own UniswapV2Taker once the price fell, and repays a recorded deficit", async () => {
    // a deficit: the fund was asked (as by a claim) to pay more than it holds
    const fund = InsuranceFund__factory.connect(w.sys.addresses.fund, null);
    const registry = w.sys.addresses.registry;
    await rpc(w.url, "hardhat_impersonateAccount", [registry]);
    await rpc(w.url, "hardhat_setBalance", [registry, "0x56bc75e2d63100000"]);
    const available = await InsuranceFund__factory.connect(w.sys.addresses.fund, w.sys.registry.runner).available();
    await rpc(w.url, "eth_sendTransaction", [
      {
        from: registry,
        to: w.sys.addresses.fund,
        data: fund.interface.encodeFunctionData("pay", [
          w.sys.addresses.lens,
          available + 1_000n * 10n ** 6n,
          registry,
        ]),
      },
    ]);
    await rpc(w.url, "hardhat_stopImpersonatingAccount", [registry]);
    await jump(w, 1_800); // 20 steps of 1%: 1.2 x 0.99^20 = 0.98 of the oracle
    const r = await app.keeper.round();
    expect(r.sales.takes).to.equal(1);
    expect(r.sales.repays).to.equal(1);
    await jump(w, 1);
    const st = await statusOf(app);
    expect(st.auctions).to.have.length(0);
    expect(st.auctionTakes).to.equal(1n);
    expect(st.bought[1] > WETH(11)).to.equal(true);
    expect(st.pnl.takeProfitValue > 0n).to.equal(true);
    expect(st.fund.owedEntries).to.equal(1n);
    expect(st.fund.repaidEntries).to.equal(1n);
    expect(st.pnl.bountyValue > 0n).to.equal(true);
  });

  it("restarts an auction past its tail, and pokes the risk engine when a new round moves a ratio", async () => {
    await openTraders(w, 2, { weth: WETH(1) });
    await jump(w, 6 * 3600 + 10);
    await app.keeper.round();
    await jump(w, 600 + 1);
    expect((await app.keeper.round()).liquidated).to.have.length(2);
    await jump(w, 7_300); // past the 2 h tail, never profitable in between (the keeper did not look)
    // ETH moves 8%: the EWMA rises and the engine's eth_call says a ratio would move
    const eth = await w.sys.marketFeeds[0].answer();
    await refreshFeeds(w, { 0: (eth * 108n) / 100n });
    const r = await app.keeper.round();
    expect(r.sales.redos).to.equal(1);
    expect(r.sales.pokes).to.equal(1);
    expect(r.txs.filter((t) => t.action === "redo" || t.action === "poke").every((t) => t.status === "mined")).to.equal(
      true,
    );
  });
});
