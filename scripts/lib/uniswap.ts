/**
 * A real Uniswap V2 on a local chain, deployed from the npm packages' compiled artifacts (bytecode as
 * published, never recompiled): UniswapV2Factory from @uniswap/v2-core 1.0.1, WETH9 and
 * UniswapV2Router02 from @uniswap/v2-periphery 1.1.0-beta.0.
 *
 * Router02 computes pair addresses with CREATE2 and an init code hash baked into its bytecode
 * (UniswapV2Library.pairFor), so it only works with a factory whose pairs have exactly that creation
 * code. The published v2-core UniswapV2Pair bytecode hashes to 0x96e8ac42...845f, the hash baked into the
 * published Router02; `deployUniswapV2` checks both facts before deploying and checks each new pair's
 * address against the CREATE2 formula, so a mismatched pair of packages fails loudly instead of
 * routing swaps to empty addresses.
 */
import {
  ContractFactory,
  MaxUint256,
  type Signer,
  getCreate2Address,
  keccak256,
  solidityPackedKeccak256,
} from "ethers";
import {
  IERC20Metadata__factory,
  IUniswapV2Factory__factory,
  IUniswapV2Router__factory,
  type IUniswapV2Factory,
  type IUniswapV2Router,
} from "../../core/contracts";

interface Artifact {
  abi: unknown[];
  bytecode: string;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the published artifacts are plain JSON files */
const FACTORY: Artifact = require("@uniswap/v2-core/build/UniswapV2Factory.json");
const PAIR: Artifact = require("@uniswap/v2-core/build/UniswapV2Pair.json");
const ROUTER: Artifact = require("@uniswap/v2-periphery/build/UniswapV2Router02.json");
const WETH9: Artifact = require("@uniswap/v2-periphery/build/WETH9.json");
/* eslint-enable @typescript-eslint/no-require-imports */

const hex = (code: string) => (code.startsWith("0x") ? code : `0x${code}`);

/** keccak256 of the published UniswapV2Pair creation code (what the factory CREATE2-deploys). */
export const PAIR_INIT_CODE_HASH = keccak256(hex(PAIR.bytecode));

export interface UniswapV2 {
  factory: IUniswapV2Factory;
  router: IUniswapV2Router;
  weth: string;
  /** The init code hash both the factory's pairs and Router02 use. */
  pairInitCodeHash: string;
}

/** Whether Router02's bytecode embeds the hash of the published pair's creation code. */
export function routerMatchesPair(): boolean {
  return hex(ROUTER.bytecode).toLowerCase().includes(PAIR_INIT_CODE_HASH.slice(2).toLowerCase());
}

/** The CREATE2 address of the pair of `tokenA` and `tokenB` under `factory` (UniswapV2Library.pairFor). */
export function pairFor(factory: string, tokenA: string, tokenB: string): string {
  const [t0, t1] = BigInt(tokenA) < BigInt(tokenB) ? [tokenA, tokenB] : [tokenB, tokenA];
  return getCreate2Address(factory, solidityPackedKeccak256(["address", "address"], [t0, t1]), PAIR_INIT_CODE_HASH);
}

async function deploy(artifact: Artifact, signer: Signer, ...args: unknown[]): Promise<string> {
  const c = await new ContractFactory(artifact.abi as never, hex(artifact.bytecode), signer).deploy(...args);
  await c.waitForDeployment();
  return c.getAddress();
}

/** Deploys the factory (fee switch off: feeToSetter = deployer), WETH9 and Router02. */
export async function deployUniswapV2(deployer: Signer): Promise<UniswapV2> {
  if (!routerMatchesPair()) {
    throw new Error(`UniswapV2Router02's init code hash is not the published pair's (${PAIR_INIT_CODE_HASH})`);
  }
  const factory = await deploy(FACTORY, deployer, await deployer.getAddress());
  const weth = await deploy(WETH9, deployer);
  const router = await deploy(ROUTER, deployer, factory, weth);
  return {
    factory: IUniswapV2Factory__factory.connect(factory, deployer),
    router: IUniswapV2Router__factory.connect(router, deployer),
    weth,
    pairInitCodeHash: PAIR_INIT_CODE_HASH,
  };
}

/**
 * Adds `amountA` of tokenA and `amountB` of tokenB from `provider` as liquidity (creating the pair at
 * that price if it does not exist) and returns the pair's address, checked against CREATE2.
 */
export async function addLiquidity(
  uni: UniswapV2,
  provider: Signer,
  tokenA: string,
  tokenB: string,
  amountA: bigint,
  amountB: bigint,
): Promise<string> {
  const router = uni.router.connect(provider);
  const routerAddress = await router.getAddress();
  for (const [t, amount] of [
    [tokenA, amountA],
    [tokenB, amountB],
  ] as const) {
    await (await IERC20Metadata__factory.connect(t, provider).approve(routerAddress, amount)).wait();
  }
  const to = await provider.getAddress();
  await (await router.addLiquidity(tokenA, tokenB, amountA, amountB, amountA, amountB, to, MaxUint256)).wait();
  const pair = await uni.factory.getPair(tokenA, tokenB);
  const expected = pairFor(await uni.factory.getAddress(), tokenA, tokenB);
  if (pair.toLowerCase() !== expected.toLowerCase()) {
    throw new Error(`pair ${pair} is not at its CREATE2 address ${expected}: init code hash mismatch`);
  }
  return pair;
}

/** A handle on a deployed router by address (for scripts that only swap or quote). */
export function routerAt(address: string, signer: Signer): IUniswapV2Router {
  return IUniswapV2Router__factory.connect(address, signer);
}
