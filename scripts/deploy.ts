/**
 * Deploys zkmargin to the Hardhat network given by --network and writes an address book to
 * deployments/<network>.json.
 *
 *   npx hardhat run scripts/deploy.ts --network localhost                       # local: test tokens and feeds
 *   ZKMARGIN_DEPLOY_CONFIG=deploy/mainnet.json npx hardhat run scripts/deploy.ts --network mainnet
 *
 * A real network needs a config file (see deploy/example.json): existing Chainlink feeds, collateral
 * tokens and risk parameters. The verifiers deployed are contracts/verifiers/*.sol: for production, export
 * them from a ceremony first (docs/ceremony.md), or the INSECURE development keys go live.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ethers, network } from "hardhat";
import { z } from "zod";
import { OracleAdapter__factory } from "../core/contracts";
import { ROOT } from "./lib/circuits";
import { DEFAULTS, deployLocal, deployRegistry } from "./lib/deploy";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const uint = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((x) => BigInt(x));
const Config = z.object({
  owner: address,
  guardian: address.optional(),
  marketFeeds: z.array(z.object({ name: z.string(), feed: address, maxAge: z.number().int() })).length(4),
  collateral: z
    .array(
      z.object({
        symbol: z.string(),
        token: address,
        feed: address,
        maxAge: z.number().int(),
        haircutBps: z.number().int(),
      }),
    )
    .min(1)
    .max(4),
  sequencerFeed: z.object({ feed: address, grace: z.number().int() }).optional(),
  timing: z.object({ freshness: uint, responseWindow: uint, exclusivePeriod: uint, claimWindow: uint }),
  incentives: z.object({
    bond: uint,
    bandBps: z.number().int(),
    bountyBps: z.number().int(),
    penaltyBps: z.number().int(),
    bountyCap: uint,
  }),
  mmBps: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  imBps: z.tuple([z.number(), z.number(), z.number(), z.number()]),
});

async function main(): Promise<void> {
  const [deployer] = await ethers.getSigners();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const configFile = process.env.ZKMARGIN_DEPLOY_CONFIG;
  const book: Record<string, unknown> = {
    network: network.name,
    chainId: chainId.toString(),
    deployer: deployer.address,
    at: new Date().toISOString(),
  };
  const insecure = fs
    .readFileSync(path.join(ROOT, "contracts/verifiers/SolvencyVerifier.sol"), "utf8")
    .includes("INSECURE");

  if (!configFile) {
    if (!["hardhat", "localhost"].includes(network.name)) {
      throw new Error(
        `network ${network.name} needs ZKMARGIN_DEPLOY_CONFIG (see deploy/example.json): test feeds are for local chains only`,
      );
    }
    const sys = await deployLocal(deployer);
    book.addresses = sys.addresses;
    book.parameters = {
      timing: DEFAULTS.timing,
      incentives: DEFAULTS.incentives,
      mmBps: DEFAULTS.mmBps,
      imBps: DEFAULTS.imBps,
    };
  } else {
    const parsed = Config.safeParse(JSON.parse(fs.readFileSync(configFile, "utf8")));
    if (!parsed.success)
      throw new Error(
        `${configFile}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    const c = parsed.data;
    if (insecure)
      console.warn(
        "WARNING: contracts/verifiers hold INSECURE development keys; production needs ceremony keys (docs/ceremony.md)",
      );
    const oracle = await new OracleAdapter__factory(deployer).deploy(
      deployer.address,
      c.marketFeeds.map((f) => f.feed) as [string, string, string, string],
      c.marketFeeds.map((f) => f.maxAge) as [number, number, number, number],
      c.collateral.map((a) => a.feed),
      c.collateral.map((a) => a.maxAge),
    );
    await oracle.waitForDeployment();
    if (c.sequencerFeed) await (await oracle.setSequencerFeed(c.sequencerFeed.feed, c.sequencerFeed.grace)).wait();
    const registry = await deployRegistry(deployer, {
      owner: deployer.address,
      oracle: await oracle.getAddress(),
      tokens: c.collateral.map((a) => a.token),
      haircutsBps: c.collateral.map((a) => a.haircutBps),
      timing: c.timing,
      incentives: c.incentives,
      mmBps: c.mmBps,
      imBps: c.imBps,
    });
    if (c.guardian) await (await registry.setGuardian(c.guardian)).wait();
    // hand both contracts to the owner (two-step: the owner must call acceptOwnership)
    if (c.owner.toLowerCase() !== deployer.address.toLowerCase()) {
      await (await registry.transferOwnership(c.owner)).wait();
      await (await oracle.transferOwnership(c.owner)).wait();
    }
    book.addresses = { registry: await registry.getAddress(), oracle: await oracle.getAddress() };
    book.config = JSON.parse(fs.readFileSync(configFile, "utf8"));
  }
  book.verifierKeys = insecure ? "INSECURE development keys" : "ceremony keys";
  const out = path.join(process.env.ZKMARGIN_DEPLOYMENTS_DIR ?? path.join(ROOT, "deployments"), `${network.name}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(book, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
  console.log(`deployed to ${network.name} (chain ${chainId}); address book: ${path.relative(ROOT, out)}`);
  console.log(JSON.stringify(book.addresses, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
