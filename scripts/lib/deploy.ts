/**
 * Deploys a complete zkmargin system with ethers v6 and the typechain factories, so it runs the same
 * in-process (Hardhat network) and against any JSON-RPC node. Local deployments get test tokens and
 * settable Chainlink-interface aggregators; real networks pass their own feeds and tokens.
 */
import type { Signer } from "ethers";
import * as poseidonSolidity from "poseidon-solidity";
import {
  EquityVerifier__factory,
  OracleAdapter__factory,
  SolvencyVerifier__factory,
  TestAggregator__factory,
  TestToken__factory,
  UpdateVerifier__factory,
  ZkMarginRegistry__factory,
} from "../../core/contracts";
import type { OracleAdapter, TestAggregator, TestToken, ZkMarginRegistry } from "../../core/contracts";

export const E8 = 10n ** 8n;
export const E18 = 10n ** 18n;

export interface Timing {
  freshness: bigint;
  responseWindow: bigint;
  exclusivePeriod: bigint;
  claimWindow: bigint;
}
export interface Incentives {
  bond: bigint;
  bandBps: number;
  bountyBps: number;
  penaltyBps: number;
  bountyCap: bigint;
}

/** Parameters of a local or test deployment (all overridable). */
export const DEFAULTS = {
  marketNames: ["ETH", "BTC", "SOL", "ARB"],
  marketPrices: [3000n * E8, 60000n * E8, 150n * E8, 80n * 10n ** 6n],
  assets: [
    { symbol: "USDC", decimals: 6, haircutBps: 10_000, price: E8 },
    { symbol: "WETH", decimals: 18, haircutBps: 8_000, price: 3000n * E8 },
  ],
  feedMaxAge: 3600,
  timing: { freshness: 86_400n, responseWindow: 3_600n, exclusivePeriod: 600n, claimWindow: 7n * 86_400n } as Timing,
  incentives: {
    bond: 10n ** 16n,
    bandBps: 500,
    bountyBps: 100,
    penaltyBps: 500,
    bountyCap: 1_000n * E18,
  } as Incentives,
  mmBps: [500, 400, 800, 1000] as [number, number, number, number],
  imBps: [1000, 800, 1600, 2000] as [number, number, number, number],
};
export type DeployOptions = typeof DEFAULTS;

export interface LocalSystem {
  registry: ZkMarginRegistry;
  oracle: OracleAdapter;
  marketFeeds: TestAggregator[];
  assetFeeds: TestAggregator[];
  tokens: TestToken[];
  addresses: Record<string, string>;
}

/** Deploys verifiers, Poseidon libraries, test feeds and tokens, the oracle adapter and the registry. */
export async function deployLocal(deployer: Signer, overrides: Partial<DeployOptions> = {}): Promise<LocalSystem> {
  const o = { ...DEFAULTS, ...overrides };
  const owner = await deployer.getAddress();
  const wait = async <T extends { waitForDeployment(): Promise<unknown> }>(p: Promise<T>) => {
    const c = await p;
    await c.waitForDeployment();
    return c;
  };
  const marketFeeds: TestAggregator[] = [];
  for (const p of o.marketPrices) marketFeeds.push(await wait(new TestAggregator__factory(deployer).deploy(8, p)));
  const assetFeeds: TestAggregator[] = [];
  const tokens: TestToken[] = [];
  for (const a of o.assets) {
    assetFeeds.push(await wait(new TestAggregator__factory(deployer).deploy(8, a.price)));
    tokens.push(await wait(new TestToken__factory(deployer).deploy(`Test ${a.symbol}`, a.symbol, a.decimals)));
  }
  const maxAges = o.marketPrices.map(() => o.feedMaxAge) as [number, number, number, number];
  const oracle = await wait(
    new OracleAdapter__factory(deployer).deploy(
      owner,
      (await Promise.all(marketFeeds.map((f) => f.getAddress()))) as [string, string, string, string],
      maxAges,
      await Promise.all(assetFeeds.map((f) => f.getAddress())),
      o.assets.map(() => o.feedMaxAge),
    ),
  );
  const registry = await deployRegistry(deployer, {
    owner,
    oracle: await oracle.getAddress(),
    tokens: await Promise.all(tokens.map((t) => t.getAddress())),
    haircutsBps: o.assets.map((a) => a.haircutBps),
    timing: o.timing,
    incentives: o.incentives,
    mmBps: o.mmBps,
    imBps: o.imBps,
  });
  const addresses: Record<string, string> = {
    registry: await registry.getAddress(),
    oracle: await oracle.getAddress(),
  };
  for (let j = 0; j < marketFeeds.length; j++)
    addresses[`feed.${o.marketNames[j]}`] = await marketFeeds[j].getAddress();
  for (let i = 0; i < tokens.length; i++) {
    addresses[`token.${o.assets[i].symbol}`] = await tokens[i].getAddress();
    addresses[`feed.collateral.${o.assets[i].symbol}`] = await assetFeeds[i].getAddress();
  }
  return { registry, oracle, marketFeeds, assetFeeds, tokens, addresses };
}

export interface RegistryParams {
  owner: string;
  oracle: string;
  tokens: string[];
  haircutsBps: number[];
  timing: Timing;
  incentives: Incentives;
  mmBps: [number, number, number, number];
  imBps: [number, number, number, number];
}

/**
 * poseidon-solidity's own build of a Poseidon library: the canonical deterministic deployment when the
 * chain has it, else the package's shipped bytecode (same outputs as compiling the source here, at about
 * half the gas: 56k for T4 and 73k for T5 against 99k and 138k with our compiler settings).
 */
async function poseidonLibrary(deployer: Signer, name: "PoseidonT4" | "PoseidonT5"): Promise<string> {
  const shipped = poseidonSolidity[name];
  const provider = deployer.provider!;
  if ((await provider.getCode(shipped.address)) !== "0x") return shipped.address;
  const receipt = await (await deployer.sendTransaction({ data: shipped.bytecode })).wait();
  if (!receipt?.contractAddress) throw new Error(`deploying ${name} failed`);
  return receipt.contractAddress;
}

/** Deploys the three verifiers, the Poseidon libraries and a registry over an existing oracle adapter. */
export async function deployRegistry(deployer: Signer, p: RegistryParams): Promise<ZkMarginRegistry> {
  const deployed = async <T extends { waitForDeployment(): Promise<unknown>; getAddress(): Promise<string> }>(
    c: Promise<T>,
  ) => {
    const x = await c;
    await x.waitForDeployment();
    return x.getAddress();
  };
  const solvencyVerifier = await deployed(new SolvencyVerifier__factory(deployer).deploy());
  const updateVerifier = await deployed(new UpdateVerifier__factory(deployer).deploy());
  const equityVerifier = await deployed(new EquityVerifier__factory(deployer).deploy());
  const t4 = await poseidonLibrary(deployer, "PoseidonT4");
  const t5 = await poseidonLibrary(deployer, "PoseidonT5");
  const factory = new ZkMarginRegistry__factory(
    { "poseidon-solidity/PoseidonT4.sol:PoseidonT4": t4, "poseidon-solidity/PoseidonT5.sol:PoseidonT5": t5 },
    deployer,
  );
  const registry = await factory.deploy({
    owner: p.owner,
    oracle: p.oracle,
    solvencyVerifier,
    updateVerifier,
    equityVerifier,
    tokens: p.tokens,
    haircutsBps: p.haircutsBps,
    timing: p.timing,
    incentives: p.incentives,
    mmBps: p.mmBps,
    imBps: p.imBps,
  });
  await registry.waitForDeployment();
  return registry;
}
