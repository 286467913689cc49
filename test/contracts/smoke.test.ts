import { expect } from "chai";
import { Side } from "../../prover/model";
import { E8, Trader, UNIT, USDC, deploySystem, proofArgs, setPrice, usdc } from "../helpers/system";

describe("Registry smoke: open, trade, challenge, respond with real proofs", () => {
  it("answers a challenge after a price move", async () => {
    const sys = await deploySystem();
    const alice = await new Trader(sys.traders[0], sys).open([{ asset: USDC, amount: usdc(10_000) }]);
    await alice.update({ kind: "increase", market: 0, size: 10n * UNIT, side: Side.Long });
    await setPrice(sys, 0, 2800n * E8);
    await sys.registry.connect(sys.keeper).challenge(alice.address, { value: sys.bond });
    const p = await alice.respondProof();
    const tx = await sys.registry.connect(sys.keeper2).respond(alice.address, proofArgs(p.proof));
    const r = await tx.wait();
    console.log("      respond gas", r!.gasUsed.toString());
    expect((await sys.registry.challengeOf(alice.address)).deadline).to.equal(0n);
  });
});
