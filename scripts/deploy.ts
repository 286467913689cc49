/**
 * Deploys zkmargin v2 to the Hardhat network given by --network and writes an address book to
 * deployments/<network>.json (every contract, the deployment block, the parameters).
 *
 *   npx hardhat run scripts/deploy.ts --network localhost                 # local: test tokens, feeds, AMM
 *   ZKMARGIN_DEPLOY_CONFIG=deploy/mynet.json npx hardhat run scripts/deploy.ts --network mynet
 *   ZKMARGIN_DEPLOY_DRY_RUN=1 ...                                          # validate and print the plan only
 *
 * The config is validated with a strict schema (unknown keys refused) and against every contract's bounds
 * before any transaction, reporting all errors at once (scripts/lib/params.ts). The verifiers deployed are
 * contracts/verifiers/*.sol: for production, export them from a ceremony first (docs/ceremony.md), or the
 * INSECURE development keys go live.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ethers, network } from "hardhat";
import { ROOT } from "../core/artifacts";
import { DeployConfigError, deploySystem, seedLocal } from "./lib/deploy";
import { type Params, ParamsSchema, checkParams, localParams, registryRequiredDelay } from "./lib/params";

const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);

function loadParams(file: string | undefined): { params: Params; local: boolean } {
  if (!file) {
    if (!["hardhat", "localhost"].includes(network.name)) {
      throw new Error(
        `network ${network.name} needs ZKMARGIN_DEPLOY_CONFIG (see deploy/example.json): test feeds are for local chains only`,
      );
    }
    return { params: localParams(), local: true };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not readable JSON (${(e as Error).message})`);
  }
  const parsed = ParamsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeployConfigError(
      parsed.error.issues.map((i) => `${file}: ${i.path.join(".") || "(top)"}: ${i.message}`),
    );
  }
  return {
    params: parsed.data,
    local: ["hardhat", "localhost"].includes(network.name) && !parsed.data.markets[0].feed,
  };
}

function plan(p: Params, local: boolean): string {
  const lines = [
    `plan for ${network.name} (${local ? "local: test tokens, feeds and a Uniswap V2 pool" : "existing tokens and feeds"}):`,
    `  1. TimelockController, min delay ${p.governance.minDelay} s (registry needs ${registryRequiredDelay(p.timing)} s)`,
    `  2. OracleAdapter over ${p.markets.map((m) => m.name).join(", ")} and ${p.collateral.map((c) => c.symbol).join(", ")}${p.sequencer ? ", sequencer feed" : ""}`,
    `  3. RiskEngine (z ${Number(p.risk.z) / 1e18}, horizon ${p.risk.horizon} s), InsuranceFund (cooldown ${p.fund.cooldown} s), AuctionHouse`,
    `  4. Update, Certificate, Deleverage, Equity verifiers and the batch verifier; three logic libraries`,
    `  5. ZkMarginRegistry (window ${p.timing.responseWindow} s, freshness ${p.timing.freshness} s, exclusive ${p.timing.exclusivePeriod} s) and RegistryLens`,
    `  6. fund.initialize, auction.initialize${p.governance.guardian ? ", guardian set" : ""}; every contract owned by the timelock`,
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { params, local } = loadParams(process.env.ZKMARGIN_DEPLOY_CONFIG);
  const errors = checkParams(params, { local });
  if (errors.length > 0) throw new DeployConfigError(errors);
  console.log(plan(params, local));
  if (process.env.ZKMARGIN_DEPLOY_DRY_RUN === "1") {
    console.log("dry run: nothing was sent");
    return;
  }
  const insecure = fs
    .readFileSync(path.join(ROOT, "contracts/verifiers/CertificateVerifier.sol"), "utf8")
    .includes("INSECURE");
  if (insecure && !local) {
    console.warn("WARNING: contracts/verifiers hold INSECURE development keys; production needs ceremony keys");
  }
  const [deployer, ...others] = await ethers.getSigners();
  const sys = await deploySystem(deployer, params, { local, log: (l) => console.log(`  ${l}`) });
  if (local) await seedLocal(sys, deployer, { traders: others.slice(0, 9).map((s) => s.address) });
  const book = {
    network: network.name,
    chainId: (await ethers.provider.getNetwork()).chainId.toString(),
    deployer: deployer.address,
    deploymentBlock: sys.deploymentBlock,
    at: new Date().toISOString(),
    verifierKeys: insecure ? "INSECURE development keys" : "ceremony keys",
    addresses: sys.addresses,
    parameters: params,
  };
  const out = path.join(process.env.ZKMARGIN_DEPLOYMENTS_DIR ?? path.join(ROOT, "deployments"), `${network.name}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${json(book)}\n`);
  console.log(
    `deployed to ${network.name} (chain ${book.chainId}, block ${sys.deploymentBlock}); address book: ${path.relative(ROOT, out)}`,
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = e instanceof DeployConfigError ? 2 : 1;
});
