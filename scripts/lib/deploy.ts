/**
 * Deploys a complete zkmargin v2 system with ethers v6 and the typechain factories, so it runs the same
 * in-process (Hardhat network) and against any JSON-RPC node: the timelock that owns everything, the
 * oracle adapter, the risk engine, the insurance fund, the auction house, the four generated verifiers and
 * the batch verifier, the registry (with its logic libraries linked) and its lens. Local deployments also
 * get test tokens, settable Chainlink-interface aggregators, a real Uniswap V2 pool and a funded fund.
 */
import * as fs from "node:fs";
import { type Signer, MaxUint256 } from "ethers";
import { artifacts as circuitArtifacts } from "../../core/artifacts";
import {
  AccountLogic__factory,
  AuctionHouse__factory,
  CertificateVerifier__factory,
  ChallengeLogic__factory,
  DeleverageVerifier__factory,
  EquityVerifier__factory,
  InsuranceFund__factory,
  LiquidationLogic__factory,
  OracleAdapter__factory,
  RegistryLens__factory,
  RiskEngine__factory,
  TestAggregator__factory,
  TestToken__factory,
  TimelockController__factory,
  UpdateVerifier__factory,
  ZkMarginRegistry__factory,
} from "../../core/contracts";
import type {
  AuctionHouse,
  InsuranceFund,
  OracleAdapter,
  RegistryLens,
  RiskEngine,
  TestAggregator,
  TestToken,
  TimelockController,
  ZkMarginRegistry,
} from "../../core/contracts";
import { deployBatchVerifier } from "./batchVerifier";
import { type Params, checkParams, localParams } from "./params";
import { addLiquidity, deployUniswapV2, type UniswapV2 } from "./uniswap";

export { E6, E8, E18 } from "./params";

export interface System {
  registry: ZkMarginRegistry;
  lens: RegistryLens;
  oracle: OracleAdapter;
  risk: RiskEngine;
  fund: InsuranceFund;
  auction: AuctionHouse;
  timelock: TimelockController;
  /** Local deployments only. */
  marketFeeds: TestAggregator[];
  assetFeeds: TestAggregator[];
  tokens: TestToken[];
  uniswap?: UniswapV2;
  addresses: Record<string, string>;
  deploymentBlock: number;
  params: Params;
}

/** Thrown before any transaction when the parameters break a bound: every error at once. */
export class DeployConfigError extends Error {
  constructor(readonly errors: string[]) {
    super(`the deployment parameters break ${errors.length} bound(s):\n  - ${errors.join("\n  - ")}`);
    this.name = "DeployConfigError";
  }
}

type Deployable = { waitForDeployment(): Promise<unknown>; getAddress(): Promise<string> };
async function deployed<T extends Deployable>(p: Promise<T>): Promise<T> {
  const c = await p;
  await c.waitForDeployment();
  return c;
}

function pack16(values: number[]): bigint {
  return values.reduce((w, v, i) => w | (BigInt(v) << BigInt(16 * i)), 0n);
}

export interface DeployOptions {
  /** Local: deploy test tokens and feeds (and the AMM unless `amm: false`). */
  local?: boolean;
  amm?: boolean;
  /** Logs one line per step. */
  log?: (line: string) => void;
}

/**
 * Deploys everything. Real networks give token and feed addresses in `params`; local deployments get
 * test ones. Ownership of every contract is the timelock from the first block (constructor parameters
 * need no delay); the deployer sets the first guardian once.
 */
export async function deploySystem(deployer: Signer, params: Params, opts: DeployOptions = {}): Promise<System> {
  const local = opts.local ?? true;
  const errors = checkParams(params, { local });
  if (errors.length > 0) throw new DeployConfigError(errors);
  const log = opts.log ?? (() => undefined);
  const me = await deployer.getAddress();
  const provider = deployer.provider!;
  const deploymentBlock = await provider.getBlockNumber();

  // tokens and feeds
  const marketFeeds: TestAggregator[] = [];
  const assetFeeds: TestAggregator[] = [];
  const tokens: TestToken[] = [];
  let marketFeedAddrs: string[];
  let assetFeedAddrs: string[];
  let tokenAddrs: string[];
  if (local) {
    for (const m of params.markets) {
      marketFeeds.push(await deployed(new TestAggregator__factory(deployer).deploy(8, m.price!)));
    }
    for (const c of params.collateral) {
      assetFeeds.push(await deployed(new TestAggregator__factory(deployer).deploy(8, c.price!)));
      tokens.push(await deployed(new TestToken__factory(deployer).deploy(`Test ${c.symbol}`, c.symbol, c.decimals!)));
    }
    marketFeedAddrs = await Promise.all(marketFeeds.map((f) => f.getAddress()));
    assetFeedAddrs = await Promise.all(assetFeeds.map((f) => f.getAddress()));
    tokenAddrs = await Promise.all(tokens.map((t) => t.getAddress()));
    log("test tokens and feeds deployed");
  } else {
    marketFeedAddrs = params.markets.map((m) => m.feed!);
    assetFeedAddrs = params.collateral.map((c) => c.feed!);
    tokenAddrs = params.collateral.map((c) => c.token!);
  }

  // governance: an OpenZeppelin timelock owns every contract
  const g = params.governance;
  const timelock = await deployed(
    new TimelockController__factory(deployer).deploy(
      g.minDelay,
      g.proposers ?? [me],
      g.executors ?? [me],
      "0x" + "00".repeat(20),
    ),
  );
  const owner = await timelock.getAddress();
  log(`timelock deployed (min delay ${g.minDelay} s)`);

  const oracle = await deployed(
    new OracleAdapter__factory(deployer).deploy(
      owner,
      marketFeedAddrs as [string, string, string, string],
      params.markets.map((m) => m.maxAge) as [number, number, number, number],
      assetFeedAddrs,
      params.collateral.map((c) => c.maxAge),
    ),
  );
  const r = params.risk;
  const risk = await deployed(
    new RiskEngine__factory(deployer).deploy(
      owner,
      await oracle.getAddress(),
      { z: r.z, tau: r.tau, horizon: r.horizon, imFactorBps: r.imFactorBps, stepBps: r.stepBps },
      params.markets.map((m) => ({ baseBps: m.baseBps, minBps: m.minBps, maxBps: m.maxBps })) as never,
      params.markets.map((m) => (BigInt(m.seedVolBps) * 10n ** 18n) / 10_000n) as [bigint, bigint, bigint, bigint],
    ),
  );
  const fund = await deployed(
    new InsuranceFund__factory(deployer).deploy(
      tokenAddrs[0],
      "zkmargin insurance fund",
      "zkIF",
      owner,
      params.fund.cooldown,
      params.fund.redeemWindow,
    ),
  );
  const auction = await deployed(
    new AuctionHouse__factory(deployer).deploy(
      owner,
      tokenAddrs,
      await oracle.getAddress(),
      await fund.getAddress(),
      params.auction,
    ),
  );
  log("oracle, risk engine, fund and auction house deployed");

  const vkey = JSON.parse(fs.readFileSync(circuitArtifacts("certificate").vkey, "utf8"));
  const verifiers = {
    update: await deployed(new UpdateVerifier__factory(deployer).deploy()),
    certificate: await deployed(new CertificateVerifier__factory(deployer).deploy()),
    deleverage: await deployed(new DeleverageVerifier__factory(deployer).deploy()),
    equity: await deployed(new EquityVerifier__factory(deployer).deploy()),
    batch: await deployBatchVerifier(deployer, vkey),
  };
  const libs = {
    account: await deployed(new AccountLogic__factory(deployer).deploy()),
    challenge: await deployed(new ChallengeLogic__factory(deployer).deploy()),
    liquidation: await deployed(new LiquidationLogic__factory(deployer).deploy()),
  };
  log("verifiers and logic libraries deployed");

  const registryFactory = new ZkMarginRegistry__factory(
    {
      "contracts/registry/logic/AccountLogic.sol:AccountLogic": await libs.account.getAddress(),
      "contracts/registry/logic/ChallengeLogic.sol:ChallengeLogic": await libs.challenge.getAddress(),
      "contracts/registry/logic/LiquidationLogic.sol:LiquidationLogic": await libs.liquidation.getAddress(),
    },
    deployer,
  );
  const t = params.timing;
  const i = params.incentives;
  const d = params.deleverage;
  const registry = await deployed(
    registryFactory.deploy({
      owner,
      oracle: await oracle.getAddress(),
      risk: await risk.getAddress(),
      fund: await fund.getAddress(),
      auction: await auction.getAddress(),
      updateVerifier: await verifiers.update.getAddress(),
      certificateVerifier: await verifiers.certificate.getAddress(),
      deleverageVerifier: await verifiers.deleverage.getAddress(),
      equityVerifier: await verifiers.equity.getAddress(),
      batchVerifier: await verifiers.batch.getAddress(),
      tokens: tokenAddrs,
      haircuts: pack16(params.collateral.map((c) => c.haircutBps)),
      timing: t,
      incentives: i,
      deleverage: {
        targetFactorBps: d.targetFactorBps,
        feeBps: d.feeBps,
        keeperShareBps: d.keeperShareBps,
        minValue: BigInt(d.minValueQuote) * 10n ** 6n,
      },
    }),
  );
  const registryAddr = await registry.getAddress();
  const lens = await deployed(new RegistryLens__factory(deployer).deploy(registryAddr));
  await (await fund.initialize(registryAddr, await auction.getAddress())).wait();
  await (await auction.initialize(registryAddr)).wait();
  if (g.guardian) {
    for (const c of [registry, oracle, risk, fund, auction]) await (await c.initGuardian(g.guardian)).wait();
  }
  log("registry and lens deployed; fund and auction house initialised");

  const addresses: Record<string, string> = {
    registry: registryAddr,
    lens: await lens.getAddress(),
    timelock: owner,
    oracle: await oracle.getAddress(),
    risk: await risk.getAddress(),
    fund: await fund.getAddress(),
    auction: await auction.getAddress(),
    "verifier.update": await verifiers.update.getAddress(),
    "verifier.certificate": await verifiers.certificate.getAddress(),
    "verifier.deleverage": await verifiers.deleverage.getAddress(),
    "verifier.equity": await verifiers.equity.getAddress(),
    "verifier.batch": await verifiers.batch.getAddress(),
    "library.account": await libs.account.getAddress(),
    "library.challenge": await libs.challenge.getAddress(),
    "library.liquidation": await libs.liquidation.getAddress(),
  };
  params.markets.forEach((m, j) => (addresses[`feed.${m.name}`] = marketFeedAddrs[j]));
  params.collateral.forEach((c, k) => {
    addresses[`token.${c.symbol}`] = tokenAddrs[k];
    addresses[`feed.collateral.${c.symbol}`] = assetFeedAddrs[k];
  });

  let uniswap: UniswapV2 | undefined;
  if (local && opts.amm !== false) {
    uniswap = await deployUniswapV2(deployer);
    addresses["uniswap.factory"] = await uniswap.factory.getAddress();
    addresses["uniswap.router"] = await uniswap.router.getAddress();
    log("Uniswap V2 deployed from the npm artifacts");
  }
  return {
    registry,
    lens,
    oracle,
    risk,
    fund,
    auction,
    timelock,
    marketFeeds,
    assetFeeds,
    tokens,
    uniswap,
    addresses,
    deploymentBlock,
    params,
  };
}

/** A local system with `params` (default: localParams()). */
export function deployLocal(
  deployer: Signer,
  params: Params = localParams(),
  opts: DeployOptions = {},
): Promise<System> {
  return deploySystem(deployer, params, { ...opts, local: true });
}

/**
 * Seeds a local system: mints test tokens to `traders`, deposits `fundLiquidity` settlement tokens into
 * the insurance fund as an LP, and seeds a WETH/USDC Uniswap pool deep enough for forced sales.
 */
export async function seedLocal(
  sys: System,
  deployer: Signer,
  o: { traders: string[]; mint?: bigint[]; fundLiquidity?: bigint; poolUsdc?: bigint },
): Promise<void> {
  const mint = o.mint ?? sys.params.collateral.map((c) => 1_000_000n * 10n ** BigInt(c.decimals ?? 18));
  for (const who of o.traders) {
    for (let k = 0; k < sys.tokens.length; k++) await (await sys.tokens[k].mint(who, mint[k])).wait();
  }
  const me = await deployer.getAddress();
  const usdc = sys.tokens[0];
  const fundLiquidity = o.fundLiquidity ?? 1_000_000n * 10n ** 6n;
  if (fundLiquidity > 0n) {
    await (await usdc.mint(me, fundLiquidity)).wait();
    await (await usdc.approve(await sys.fund.getAddress(), MaxUint256)).wait();
    await (await sys.fund.deposit(fundLiquidity, me)).wait();
  }
  if (sys.uniswap && sys.tokens.length > 1) {
    const poolUsdc = o.poolUsdc ?? 30_000_000n * 10n ** 6n;
    const wethPrice = sys.params.collateral[1].price!;
    const poolWeth = (poolUsdc * 10n ** 12n * 10n ** 8n) / wethPrice;
    await (await usdc.mint(me, poolUsdc)).wait();
    await (await sys.tokens[1].mint(me, poolWeth)).wait();
    await addLiquidity(
      sys.uniswap,
      deployer,
      await usdc.getAddress(),
      await sys.tokens[1].getAddress(),
      poolUsdc,
      poolWeth,
    );
  }
}
