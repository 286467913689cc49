/**
 * The prover library against a real in-process deployment: every action's proof verifies at its entry
 * point, with public inputs computed locally (never asked of the chain with the trade's values).
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import type { Signer } from "ethers";
import { deployLocal, seedLocal, E6, E8, type System } from "../../scripts/lib/deploy";
import { type ProverKeys, loadKeys } from "../../prover/lib/circuits";
import { ChainView, toRecord, toLiquidation } from "../../prover/lib/chain";
import { prepareAnswer, prepareClaim, prepareProve, prepareUpdate } from "../../prover/lib/actions";
import { type AccountState, Side, emptyState } from "../../prover/model";
import type { Types } from "../../core/contracts";

const SIZE = 10n ** 10n; // one unit of a market

async function increaseTime(s: number) {
  await network.provider.send("evm_increaseTime", [s]);
  await network.provider.send("evm_mine");
}

describe("prover actions (in-process chain, real proofs)", function () {
  this.timeout(600_000);
  let keys: ProverKeys;
  let sys: System;
  let trader: Signer;
  let keeper: Signer;
  let me: string;

  before(async () => {
    keys = await loadKeys();
    const [deployer, a, k] = await ethers.getSigners();
    trader = a;
    keeper = k;
    me = await a.getAddress();
    sys = await deployLocal(deployer);
    await seedLocal(sys, deployer, { traders: [me] });
  });

  async function refreshFeeds() {
    for (const f of [...sys.marketFeeds, ...sys.assetFeeds]) await (await f.setAnswer(await f.answer())).wait();
  }

  it("opens, proves, is challenged, answers, and later is liquidated and claims", async () => {
    const registry = sys.registry.connect(trader);
    await (await registry.openAccount()).wait();
    const usdc = sys.tokens[0].connect(trader);
    await (await usdc.approve(await registry.getAddress(), 10_000n * E6)).wait();
    await (await registry.deposit(0, 10_000n * E6)).wait();
    const view = new ChainView(registry, me);
    let state: AccountState = emptyState(4);

    // open 2 ETH long (6,000 notional on 10,000 collateral)
    let pub = await view.read();
    const up = await prepareUpdate(keys, pub, state, {
      trade: { kind: "increase", market: 0, size: 2n * SIZE, side: Side.Long },
    });
    const tx = await registry.update(up.args, up.proof.proof);
    const rc = await tx.wait();
    state = up.next;
    expect((await registry.accountOf(me)).commitment).to.equal(up.args.newCommitment);
    console.log("      update gas", rc!.gasUsed.toString(), "d", up.cert.d.toString());

    // proactive certificate
    pub = await view.read();
    const pr = await prepareProve(keys, pub, state);
    const rp = await (await registry.prove(pr.d, pr.pm, pr.proof.proof)).wait();
    console.log("      prove gas", rp!.gasUsed.toString());

    // freshness runs out: a keeper challenges with the account's latest certificate
    await increaseTime(7 * 3600);
    await refreshFeeds();
    const cert = await view.latestCert((await registry.accountOf(me)).certHash);
    expect(cert).to.not.equal(undefined);
    const bond = (await sys.registry.incentives()).bond;
    await (await sys.registry.connect(keeper).challenge(me, cert!, { value: bond })).wait();
    pub = await view.read();
    const record = await view.openChallenge(pub.recordHash);
    expect(record).to.not.equal(undefined);
    const answer = await prepareAnswer(keys, pub, state, record!);
    expect(answer.kind).to.equal("certificate");
    if (answer.kind !== "certificate") throw new Error("unreachable");
    const rr = await (
      await sys.registry.connect(keeper).respond(me, record!, answer.d, answer.pm, answer.proof.proof)
    ).wait();
    console.log("      respond gas", rr!.gasUsed.toString());
    expect((await registry.accountOf(me)).recordHash).to.equal(ethers.ZeroHash);

    // the price falls; the owner stays silent; liquidation at execution prices, then a claim
    await increaseTime(7 * 3600);
    await (await sys.marketFeeds[0].setAnswer(2500n * E8)).wait();
    await refreshFeeds();
    const cert2 = await view.latestCert((await registry.accountOf(me)).certHash);
    const rcC = await (await sys.registry.connect(keeper).challenge(me, cert2!, { value: bond })).wait();
    const ev = rcC!.logs
      .map((l) => {
        try {
          return sys.registry.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((e) => e?.name === "Challenged");
    const rec2 = toRecord(ev!.args.record as unknown as Types.ChallengeRecordStructOutput);
    await increaseTime(600 * 3 + 200);
    await refreshFeeds();
    const rl = await (await sys.registry.connect(keeper).liquidate(me, rec2)).wait();
    console.log("      liquidate gas", rl!.gasUsed.toString());
    const liqEv = rl!.logs
      .map((l) => {
        try {
          return sys.registry.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((e) => e?.name === "Liquidated");
    const liq = toLiquidation(liqEv!.args.record as unknown as Types.LiquidationRecordStructOutput);
    pub = await view.read();
    const cl = await prepareClaim(keys, pub, state, liq);
    const before = await usdc.balanceOf(me);
    const rcl = await (await registry.claim(liq, cl.claimed, cl.proof.proof)).wait();
    console.log(
      "      claim gas",
      rcl!.gasUsed.toString(),
      "claimed",
      cl.claimed.toString(),
      "of",
      cl.claimable.toString(),
    );
    expect(await usdc.balanceOf(me)).to.be.greaterThan(before);
  });
});
