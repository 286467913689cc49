/**
 * The deploy configuration: a strict schema (unknown keys refused), every bound checked before any
 * transaction with all errors reported at once, the same bounds as the contracts (property test against
 * contracts/registry/Bounds.sol), and a dry run that sends nothing.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { ROOT } from "../../core/artifacts";
import { ParamsSchema, checkParams, localParams, registryRequiredDelay } from "../../scripts/lib/params";
import { DeployConfigError, deployLocal } from "../../scripts/lib/deploy";

const example = () => JSON.parse(fs.readFileSync(path.join(ROOT, "deploy/example.json"), "utf8"));

describe("deploy parameters", function () {
  this.timeout(180_000);

  it("the example config parses and passes every bound", () => {
    const p = ParamsSchema.parse(example());
    expect(checkParams(p, { local: false })).to.deep.equal([]);
  });

  it("refuses a misspelled key instead of deploying without it", () => {
    const raw = example();
    raw.sequencerfeed = raw.sequencer;
    delete raw.sequencer;
    const r = ParamsSchema.safeParse(raw);
    expect(r.success).to.equal(false);
    expect(JSON.stringify(r.error!.issues)).to.match(/sequencerfeed/);
  });

  it("reports every out-of-bound value at once, in human terms", () => {
    const p = ParamsSchema.parse(example());
    const bad = {
      ...p,
      timing: { ...p.timing, freshness: 600, exclusivePeriod: 900 },
      incentives: { ...p.incentives, bond: 1n, bountyMaxBps: 900, penaltyBps: 500 },
      governance: { ...p.governance, minDelay: 60 },
    };
    const errors = checkParams(bad, { local: false });
    expect(errors.join("\n")).to.match(/timing.freshness/);
    expect(errors.join("\n")).to.match(/timing.exclusivePeriod/);
    expect(errors.join("\n")).to.match(/incentives.bond/);
    expect(errors.join("\n")).to.match(/self-liquidation must never pay/);
    expect(errors.join("\n")).to.match(/governance.minDelay/);
    expect(errors.length).to.be.at.least(5);
  });

  it("a deployment with broken parameters sends no transaction", async () => {
    const [deployer] = await ethers.getSigners();
    const before = await ethers.provider.getTransactionCount(deployer.address);
    const p = localParams();
    const bad = { ...p, incentives: { ...p.incentives, bountyMaxBps: p.incentives.penaltyBps + 1 } };
    let error: unknown;
    try {
      await deployLocal(deployer, bad);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(DeployConfigError);
    expect(await ethers.provider.getTransactionCount(deployer.address)).to.equal(before);
  });

  it("checks the same registry bounds as the contracts (random settings near every bound)", async () => {
    const h = await (await ethers.getContractFactory("BoundsHarness")).deploy();
    const base = localParams();
    const near = (xs: number[]) => fc.oneof(...xs.map((x) => fc.integer({ min: Math.max(0, x - 2), max: x + 2 })));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          responseWindow: near([120, 86_400, 600]),
          freshnessFactor: fc.integer({ min: 3, max: 5 }),
          exclusivePeriod: near([0, 119, 599, 600]),
          claimWindow: near([86_400, 180 * 86_400]),
          bountyRamp: near([0, 86_400]),
          maxStretchBps: near([10_000, 40_000]),
          bond: fc.oneof(fc.constant(3n * 10n ** 14n), fc.constant(3n * 10n ** 14n - 1n), fc.constant(10n ** 15n)),
          bountyMinBps: near([0, 50]),
          bountyMaxBps: near([200, 1_000]),
          penaltyBps: near([200, 500, 2_000]),
          relayerShareBps: near([5_000]),
          targetFactorBps: near([10_000, 30_000]),
          feeBps: near([500]),
          keeperShareBps: near([5_000]),
        }),
        async (x) => {
          const timing = {
            ...base.timing,
            responseWindow: x.responseWindow,
            freshness: x.responseWindow * x.freshnessFactor,
            exclusivePeriod: x.exclusivePeriod,
            claimWindow: x.claimWindow,
            bountyRamp: x.bountyRamp,
            maxStretchBps: x.maxStretchBps,
          };
          const incentives = {
            ...base.incentives,
            bond: x.bond,
            bountyMinBps: x.bountyMinBps,
            bountyMaxBps: x.bountyMaxBps,
            penaltyBps: x.penaltyBps,
            relayerShareBps: x.relayerShareBps,
          };
          const deleverage = {
            ...base.deleverage,
            targetFactorBps: x.targetFactorBps,
            feeBps: x.feeBps,
            keeperShareBps: x.keeperShareBps,
          };
          const p = { ...base, timing, incentives, deleverage, governance: { minDelay: 10 ** 8 } };
          const tsErrors = checkParams(p, { local: true }).filter((e) =>
            /^(timing|incentives|deleverage\.(target|fee|keeper))/.test(e),
          );
          const chainOk = await Promise.all([
            h.timing(timing).then(
              () => true,
              () => false,
            ),
            h.incentives(incentives).then(
              () => true,
              () => false,
            ),
            h.deleverage({ ...deleverage, minValue: BigInt(deleverage.minValueQuote) * 10n ** 6n }).then(
              () => true,
              () => false,
            ),
          ]);
          expect(tsErrors.length === 0, tsErrors.join("; ")).to.equal(chainOk.every(Boolean));
          if (chainOk[0]) expect(await h.timing(timing)).to.equal(BigInt(registryRequiredDelay(timing)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a dry run prints the plan and sends nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-deploy-"));
    const out = execFileSync(
      process.execPath,
      [path.join(ROOT, "node_modules/hardhat/internal/cli/cli.js"), "run", "scripts/deploy.ts"],
      {
        cwd: ROOT,
        env: { ...process.env, ZKMARGIN_DEPLOY_DRY_RUN: "1", ZKMARGIN_DEPLOYMENTS_DIR: dir },
        encoding: "utf8",
      },
    );
    expect(out).to.match(/plan for hardhat/);
    expect(out).to.match(/dry run: nothing was sent/);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
