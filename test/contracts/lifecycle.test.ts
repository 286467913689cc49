import { expect } from "chai";
import { Side } from "../../prover/model";
import {
  DEFAULTS,
  E18,
  E8,
  Trader,
  UNIT,
  USDC,
  WETH,
  advance,
  deploySystem,
  proofArgs,
  setPrice,
  usdc,
  weth,
} from "../helpers/system";

describe("Full lifecycle with real proofs", () => {
  it("two traders trade privately; prices move; one answers its challenge, the other is liquidated and claims equity", async () => {
    const sys = await deploySystem();
    const k = sys.registry.connect(sys.keeper);
    const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(6_000) }]);
    const bob = await new Trader(sys.traders[1], sys).open([
      { asset: USDC, amount: usdc(2_000) },
      { asset: WETH, amount: weth(1) },
    ]);

    // Alice: long ETH and short BTC; Bob: a big long ETH
    await alice.update({ kind: "increase", market: 0, size: 5n * UNIT, side: Side.Long });
    await alice.update({ kind: "increase", market: 1, size: UNIT / 10n, side: Side.Short });
    await bob.update({ kind: "increase", market: 0, size: 12n * UNIT, side: Side.Long });
    // Alice takes some profit on a partial close after ETH rises
    await setPrice(sys, 0, 3_200n * E8);
    const partial = await alice.update({ kind: "reduce", market: 0, size: 2n * UNIT });
    expect(partial.prepared.args.pnl).to.equal(2n * UNIT * 200n * E8);

    // ETH falls 15%: both are stale; the keeper challenges both in one batch
    await setPrice(sys, 0, 2_720n * E8);
    expect(await k.challengeBatch.staticCall([alice.address, bob.address], { value: 2n * sys.bond })).to.equal(2n);
    await k.challengeBatch([alice.address, bob.address], { value: 2n * sys.bond });

    // Alice answers in time; Bob is offline
    await sys.registry.connect(sys.keeper2).respond(alice.address, proofArgs((await alice.respondProof()).proof));
    expect((await sys.registry.accountOf(alice.address)).status).to.equal(1n);
    await advance(sys, DEFAULTS.timing.responseWindow + DEFAULTS.timing.exclusivePeriod + 1n);
    const fundBefore = await sys.registry.fundBalance(USDC);
    await sys.registry.connect(sys.keeper2).liquidate(bob.address);
    expect((await sys.registry.accountOf(bob.address)).status).to.equal(2n);
    expect(await sys.registry.fundBalance(USDC)).to.be.greaterThan(fundBefore);

    // Bob comes back and claims equity at the snapshot minus the penalty
    const { equity, proof } = await bob.claimProof();
    const liq = await sys.registry.liquidationOf(bob.address);
    // V = $2,000 + 1 WETH x $3,000 x 80% = $4,400; loss 12 x $280 = $3,360 -> equity $1,040
    expect(liq.value).to.equal(4_400n * E18);
    expect(equity).to.equal(1_040n * E18);
    const penalty = (liq.value * 500n) / 10_000n;
    await expect(bob.registry.claim(equity, proofArgs(proof.proof)))
      .to.emit(sys.registry, "Claimed")
      .withArgs(bob.address, equity, equity - penalty, (equity - penalty) / 10n ** 12n);
    expect((await sys.registry.accountOf(bob.address)).status).to.equal(3n);

    // Alice keeps trading afterwards
    await alice.update({ kind: "reduce", market: 1, size: UNIT / 10n });
    expect(alice.state.markets[1].size).to.equal(0n);
  });
});
