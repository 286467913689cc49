import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";
import { sendWithBumps } from "../../prover/daemon/send";
import { TestToken__factory } from "../../core/contracts";
import { DEV_KEYS, rpc, useChain } from "./helpers/chain";

describe("Daemon transactions: replacement with bumped fees while not mined (real node)", function () {
  const chain = useChain();
  const node = {
    get url() {
      return chain().url;
    },
  };

  it("replaces an unmined transaction with the same nonce and higher fees; exactly one lands", async () => {
    const provider = new JsonRpcProvider(node.url, undefined, {
      staticNetwork: true,
      pollingInterval: 50,
      cacheTimeout: -1,
    });
    const wallet = new Wallet(DEV_KEYS[7], provider);
    const token = await new TestToken__factory(wallet).deploy("T", "T", 6);
    await token.waitForDeployment();
    await rpc(node.url, "evm_setAutomine", [false]);
    const bumps: bigint[] = [];
    const sending = sendWithBumps(
      wallet,
      (ov) => token.mint(wallet.address, 1n, ov),
      { bumpAfterMs: 400, maxBumps: 3, bumpPercent: 125 },
      (_n, fee) => bumps.push(fee),
    );
    // let two replacements go out, then mine
    while (bumps.length < 2) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    const pool = (await rpc(node.url, "eth_getBlockByNumber", ["pending", false])) as { transactions: string[] };
    expect(pool.transactions, "replacements share the nonce: one transaction in the pool").to.have.length(1);
    await rpc(node.url, "evm_mine");
    const receipt = await sending;
    await rpc(node.url, "evm_setAutomine", [true]);
    expect(receipt.status).to.equal(1);
    expect(bumps[1]).to.be.greaterThan(bumps[0]);
    expect(await token.balanceOf(wallet.address)).to.equal(1n);
    const mined = await provider.getTransaction(receipt.hash);
    expect(mined!.maxFeePerGas).to.be.at.least(bumps[0]);
  });

  it("gives up after the bounded number of bumps with a clear error", async () => {
    const provider = new JsonRpcProvider(node.url, undefined, {
      staticNetwork: true,
      pollingInterval: 50,
      cacheTimeout: -1,
    });
    const wallet = new Wallet(DEV_KEYS[8], provider);
    const token = await new TestToken__factory(wallet).deploy("T", "T", 6);
    await token.waitForDeployment();
    await rpc(node.url, "evm_setAutomine", [false]);
    try {
      await expect(
        sendWithBumps(wallet, (ov) => token.mint(wallet.address, 1n, ov), {
          bumpAfterMs: 200,
          maxBumps: 1,
          bumpPercent: 125,
        }),
      ).to.be.rejectedWith(/not mined after 1 fee bumps/);
    } finally {
      await rpc(node.url, "evm_mine");
      await rpc(node.url, "evm_setAutomine", [true]);
    }
  });
});
