/**
 * The prover computes the post-update collateral value and every public input locally (so the RPC
 * provider never sees a trade's values): the same numbers as the registry's own logic, read through the
 * RegistryLens, for settlements paid by a short fund, losses taken past the settlement asset, withdrawals.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { ChainView } from "../../prover/lib/chain";
import { valueAfterUpdate, valueOf } from "../../prover/lib/value";
import { deployLocal, seedLocal } from "../../scripts/lib/deploy";

const E6 = 10n ** 6n;
const E18 = 10n ** 18n;

describe("local collateral arithmetic = the registry's (through the lens)", function () {
  this.timeout(120_000);

  it("agrees on V' for gains, short fund, losses into WETH, withdrawals", async () => {
    const [deployer, trader] = await ethers.getSigners();
    const sys = await deployLocal(deployer, undefined, { amm: false });
    await seedLocal(sys, deployer, { traders: [trader.address], fundLiquidity: 500n * E6 });
    const registry = sys.registry.connect(trader);
    await (await registry.openAccount()).wait();
    for (const [i, t] of sys.tokens.entries()) {
      await (await t.connect(trader).approve(await registry.getAddress(), 2n ** 255n)).wait();
      await (await registry.deposit(i, i === 0 ? 1_234_567_891n : 3n * E18 + 12_345n)).wait();
    }
    await (await sys.assetFeeds[1].setAnswer(2_987_654_321_00n)).wait(); // WETH at a non-round price
    const view = await new ChainView(registry, trader.address).read();
    expect(valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals)).to.equal(
      (await sys.lens.values([trader.address]))[0],
    );
    const cases: { settle: bigint; withdraw?: { asset: number; amount: bigint } }[] = [
      { settle: 0n },
      { settle: 123n * E18 + 456n }, // a gain the fund pays in full
      { settle: 2_000n * E18 }, // more than the fund has: partly owed
      { settle: -(100n * E18 + 1n) }, // a loss from USDC
      { settle: -(5_000n * E18) }, // a loss past the USDC balance, into WETH
      { settle: 0n, withdraw: { asset: 1, amount: E18 } },
      { settle: 10n * E18, withdraw: { asset: 0, amount: 100n * E6 } },
    ];
    for (const c of cases) {
      const local = valueAfterUpdate(view, c.settle, c.withdraw);
      const args = {
        newCommitment: 1n,
        settle: c.settle,
        withdrawAsset: c.withdraw?.asset ?? 0,
        withdrawAmount: c.withdraw?.amount ?? 0n,
        d: 0,
        pm: 0n,
      };
      const [, onChain] = await sys.lens.updateSignals(trader.address, args);
      expect(
        local.value,
        JSON.stringify(c, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      ).to.equal(onChain);
    }
  });
});
