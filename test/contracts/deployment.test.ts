import { expect } from "chai";
import { ethers } from "hardhat";
import { deployRegistry, DEFAULTS, E8 } from "../../scripts/lib/deploy";
import { Trader, USDC, deploySystem } from "../helpers/system";

describe("Registry deployment checks and value bounds", () => {
  async function oracleWith(assets: number) {
    const [owner] = await ethers.getSigners();
    const feed = async (p: bigint) => (await ethers.deployContract("TestAggregator", [8, p])).getAddress();
    const markets = (await Promise.all(DEFAULTS.marketPrices.map(feed))) as [string, string, string, string];
    const assetFeeds = await Promise.all(Array.from({ length: assets }, () => feed(E8)));
    return ethers.deployContract("OracleAdapter", [
      owner.address,
      markets,
      [3600, 3600, 3600, 3600],
      assetFeeds,
      assetFeeds.map(() => 3600),
    ]);
  }
  async function params(tokens: string[], haircuts: number[], oracle: string) {
    const [owner] = await ethers.getSigners();
    return {
      owner: owner.address,
      oracle,
      tokens,
      haircutsBps: haircuts,
      timing: DEFAULTS.timing,
      incentives: DEFAULTS.incentives,
      mmBps: DEFAULTS.mmBps,
      imBps: DEFAULTS.imBps,
    };
  }

  it("rejects no collateral assets, more than four, and mismatched haircuts (Vault__BadAssets)", async () => {
    const [owner] = await ethers.getSigners();
    const oracle = await (await oracleWith(1)).getAddress();
    const token = await (await ethers.deployContract("TestToken", ["T", "T", 6])).getAddress();
    const factory = await ethers.getContractFactory("ZkMarginRegistry", {
      libraries: {
        "poseidon-solidity/PoseidonT4.sol:PoseidonT4": await (await ethers.deployContract("PoseidonT4")).getAddress(),
        "poseidon-solidity/PoseidonT5.sol:PoseidonT5": await (await ethers.deployContract("PoseidonT5")).getAddress(),
      },
    });
    const base = {
      ...(await params([token], [10_000], oracle)),
      solvencyVerifier: owner.address,
      updateVerifier: owner.address,
      equityVerifier: owner.address,
    };
    await expect(factory.deploy({ ...base, tokens: [], haircutsBps: [] })).to.be.revertedWithCustomError(
      factory,
      "Vault__BadAssets",
    );
    await expect(
      factory.deploy({ ...base, tokens: Array(5).fill(token), haircutsBps: Array(5).fill(10_000) }),
    ).to.be.revertedWithCustomError(factory, "Vault__BadAssets");
    await expect(factory.deploy({ ...base, haircutsBps: [10_000, 10_000] })).to.be.revertedWithCustomError(
      factory,
      "Vault__BadAssets",
    );
  });

  it("rejects an oracle whose collateral feeds do not match the collateral assets", async () => {
    const [owner] = await ethers.getSigners();
    const oracle = await (await oracleWith(2)).getAddress();
    const token = await (await ethers.deployContract("TestToken", ["T", "T", 6])).getAddress();
    await expect(deployRegistry(owner, await params([token], [10_000], oracle))).to.be.rejectedWith(
      /Registry__BadParameter|oracle assets/,
    );
  });

  it("refuses a collateral value at or above 2^128 value units (the circuits' value range)", async () => {
    const sys = await deploySystem();
    const whale = await new Trader(sys.traders[0], sys).open();
    const huge = (1n << 128n) / 10n ** 12n + 1n; // USDC units whose value is just over 2^128 value units
    await sys.tokens[0].mint(whale.address, huge);
    await whale.registry.deposit(USDC, huge);
    await expect(sys.registry.collateralValue(whale.address)).to.be.revertedWithCustomError(
      sys.registry,
      "Vault__ValueTooLarge",
    );
  });
});
