/**
 * The privacy audit (scripts/lib/audit) over a multi-trader scenario on a real `hardhat node`, over
 * JSON-RPC, with real proofs (scripts/lib/audit/scenario.ts): the careful traders lose no size, side,
 * entry or liquidation price to any attack; every bound the audit prints holds for the traders' real
 * private states; and the leaks docs/privacy.md names (an exact settlement of one close, a one-market
 * deleverage, an exact claim) are found, so the attacks are not vacuous.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { ROOT } from "../../core/artifacts";
import { loadKeys } from "../../prover/lib/circuits";
import {
  BPS,
  type AccountState,
  Side,
  boxMargin,
  boxShortfall,
  equity,
  liquidationPrice,
  maxBoxBps,
} from "../../prover/model";
import { type AuditReport, type Deployment, formatReport, reportJson, runAudit } from "../../scripts/lib/audit";
import { type ScenarioResult, type TraderTruth, runScenario, stateAt } from "../../scripts/lib/audit/scenario";
import type { System } from "../../scripts/lib/deploy";
import { type NodeProcess, deployToNode, startNode } from "../helpers/node";

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [tsNode, "--transpile-only", "scripts/audit.ts", ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += String(d)));
    p.stderr.on("data", (d) => (stderr += String(d)));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every position's single-market liquidation price lies outside the box [P (1 - d), P (1 + d)]. */
function liquidationOutsideBox(s: AccountState, value: bigint, prices: bigint[], d: bigint, pm: bigint[]): boolean {
  return s.markets.every((m, j) => {
    if (m.size === 0n) return true;
    const p = liquidationPrice(s, value, prices, pm, j);
    if (p === undefined) return true;
    // the model rounds a long's price up and a short's down: one unit of slack
    return m.side === Side.Long ? p * BPS <= prices[j] * (BPS - d) + BPS : p * BPS + BPS >= prices[j] * (BPS + d);
  });
}

describe("Privacy audit: a multi-trader scenario over JSON-RPC (hardhat node, real proofs)", function () {
  this.timeout(1_200_000);
  let node: NodeProcess;
  let sys: System;
  let scenario: ScenarioResult;
  let report: AuditReport;
  let deployment: Deployment;
  let registry: string;
  const truth = (address: string): TraderTruth => scenario.traders.find((t) => t.address === address)!;
  const account = (address: string) => report.accounts.find((a) => a.account === address)!;

  before(async () => {
    node = await startNode();
    sys = await deployToNode(node.url);
    registry = await sys.registry.getAddress();
    scenario = await runScenario(node.url, sys, await loadKeys(), { leaks: true });
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    ({ deployment, report } = await runAudit(provider, registry, { fromBlock: sys.deploymentBlock }));
    provider.destroy();
    if (process.env.ZKMARGIN_AUDIT_PRINT) console.log(formatReport(report));
  });
  after(async () => {
    await node?.stop();
  });

  it("decodes every trader's history and rebuilds its collateral exactly as the registry holds it", () => {
    expect(deployment.notes.filter((n) => n.includes("differ"))).to.deep.equal([]);
    for (const t of scenario.traders) {
      const h = deployment.accounts.find((a) => a.account === t.address);
      expect(h, t.name).to.not.equal(undefined);
      const updates = t.steps.filter((s) => s.label !== "open" && s.label !== "deleverage");
      expect(
        h!.updates.map((u) => u.block),
        t.name,
      ).to.deep.equal(updates.map((s) => s.block));
      for (const u of h!.updates) expect(u.cert, `${t.name} update ${u.block}`).to.not.equal(undefined);
    }
  });

  it("attacks every settlement (and every sum of consecutive ones) and every claim", () => {
    const alice = account(scenario.careful[0]);
    const settles = deployment.accounts
      .find((a) => a.account === alice.account)!
      .updates.filter((u) => u.settle !== 0n);
    expect(settles.length).to.equal(2);
    // 2 settlements -> 3 amounts (two alone, one sum), each attacked by (a) and (b)
    expect(alice.attacks.filter((a) => a.attack === "a").length).to.equal(3);
    expect(alice.attacks.filter((a) => a.attack === "b").length).to.equal(3);
    expect(account(scenario.careful[2]).attacks.filter((a) => a.attack === "c").length).to.equal(2);
    for (const a of alice.attacks) expect(a.tried, a.text).to.be.greaterThan(0);
  });

  it("recovers no size, side, entry price or liquidation price of the careful traders", () => {
    for (const address of scenario.careful) {
      const a = account(address);
      expect(a.recoveries, a.account).to.deep.equal([]);
      for (const at of a.attacks) expect(at.verdict, at.text).to.not.equal("exact");
      // no attack lists a lot the trader really opened (size and entry price together)
      const lots = truth(address).lots;
      for (const at of a.attacks) {
        for (const reading of at.readings) {
          for (const l of reading) {
            const hit = lots.find((x) => x.market === l.market && x.size === l.size && x.price === l.entryPrice);
            expect(hit, `${at.text}: ${l.size} at ${l.entryPrice}`).to.equal(undefined);
          }
        }
      }
    }
  });

  it("reads rounded settlements as intervals that hold the real cash", () => {
    let checked = 0;
    for (const address of scenario.careful) {
      const h = deployment.accounts.find((a) => a.account === address)!;
      for (const at of account(address).attacks) {
        if (at.attack !== "a" || !at.rounded || at.source.includes("sum")) continue;
        const u = h.updates.find((x) => x.block === at.block)!;
        // t = c + r before the settlement = s + the cash left
        const t = u.settle + stateAt(truth(address), u.block).cash;
        expect(t >= at.rounded.lo && t <= at.rounded.hi, `${at.text}: cash ${t}`).to.equal(true);
        checked++;
      }
    }
    expect(checked).to.equal(3);
  });

  it("prints only certificate bounds that hold for the real states", () => {
    let checked = 0;
    let upper = 0;
    for (const a of report.accounts) {
      const t = truth(a.account);
      for (const b of a.bounds) {
        if (b.kind !== "certificate" || b.cert.source === "open") continue;
        const c = b.cert;
        const s = stateAt(t, c.block);
        expect(boxMargin(s, c.value, c.marketPrices, c.d, c.pm), b.text).to.equal(true);
        expect(liquidationOutsideBox(s, c.value, c.marketPrices, c.d, c.pm), b.text).to.equal(true);
        if (b.upper !== undefined) {
          upper++;
          const max = maxBoxBps(s, c.value, c.marketPrices, c.pm);
          expect(max !== undefined && max < b.upper, b.text).to.equal(true);
        }
        if (b.nearMaintenance) {
          expect(boxMargin(s, c.value, c.marketPrices, 0n, b.nearMaintenance.buffered), b.text).to.equal(false);
        }
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(15);
    expect(upper).to.be.greaterThan(3);
  });

  it("prints top-up, missed-challenge, claim and deleverage bounds that hold for the real states", () => {
    const kinds = new Set<string>();
    for (const a of report.accounts) {
      const t = truth(a.account);
      for (const b of a.bounds) {
        kinds.add(b.kind);
        if (b.kind === "top-up") {
          const ch = b.challenge;
          const s = stateAt(t, ch.block);
          const short = boxShortfall(s, b.valueBefore, ch.pinnedPrices, 0n, ch.mm)!;
          expect(short > 0n && short <= b.shortfallMax, `${b.text}: shortfall ${short}`).to.equal(true);
        } else if (b.kind === "missed-challenge") {
          const s = stateAt(t, b.challenge.block);
          expect(boxMargin(s, b.value, b.challenge.pinnedPrices, 0n, b.challenge.mm), b.text).to.equal(false);
        } else if (b.kind === "claim") {
          const s = stateAt(t, b.liquidation.block);
          const e = equity(s, b.liquidation.record.value, b.liquidation.marketPrices);
          expect(e >= b.equityMin, b.text).to.equal(true);
          if (b.equityBelow !== undefined) expect(e < b.equityBelow, b.text).to.equal(true);
        } else if (b.kind === "deleverage") {
          const dl = t.deleverages.find((x) => x.block === b.deleverage.block)!;
          const notional = dl.reduce.reduce((n, dq, j) => n + dq * b.prices[j], 0n);
          expect(notional >= b.notionalMin && notional <= b.notionalMax, b.text).to.equal(true);
          dl.reduce.forEach((dq, j) => {
            if (dq === 0n) return;
            const r = b.singleMarket.find((x) => x.market === j);
            expect(r !== undefined && r.min <= dq && dq <= r.max, b.text).to.equal(true);
          });
        }
      }
    }
    expect([...kinds].sort()).to.deep.equal(["certificate", "claim", "deleverage", "missed-challenge", "top-up"]);
  });

  it("finds what still leaks: an exact settlement of one close, a one-market deleverage, an exact claim", () => {
    const { dave, erin, frank } = scenario.leaky;
    // (a): Dave settled exactly the cash of one close: the v1 algebra gives his lot back
    const dl = truth(dave!).lots[0];
    const dr = account(dave!).recoveries;
    expect(dr.find((r) => r.quantity === "size")?.value).to.equal(dl.size);
    expect(dr.find((r) => r.quantity === "entry price")?.value).to.equal(dl.price);
    expect(dr.find((r) => r.quantity === "side")?.value).to.equal("long");
    expect(dr.some((r) => r.quantity === "liquidation price")).to.equal(true);
    // the fee of a one-market deleverage gives the reduced size exactly
    const er = account(erin!).recoveries;
    expect(er.map((r) => [r.quantity, r.market, r.value])).to.deep.equal([
      ["reduced size", 1, truth(erin!).deleverages[0].reduce[1]],
    ]);
    // (c): Frank claimed the exact maximum: claim + penalty - seized value is his lot's PnL
    const fl = truth(frank!).lots[0];
    const fr = account(frank!).recoveries;
    expect(fr.find((r) => r.quantity === "size")?.value).to.equal(fl.size);
    expect(fr.find((r) => r.quantity === "entry price")?.value).to.equal(fl.price);
    expect(report.exactRecoveries).to.equal(dr.length + er.length + fr.length);
  });

  it("says that a relayed answer still names the account", () => {
    const bob = account(scenario.careful[1]);
    expect(bob.publicFacts.some((f) => f.includes("relayer: the account is the call's first argument"))).to.equal(true);
  });

  it("npm run audit prints the report for one account, as text and as JSON", async () => {
    const [alice] = scenario.careful;
    const text = await runCli(["--rpc", node.url, "--registry", registry, "--account", alice]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.include(`account ${alice}`);
    expect(text.stdout).to.include("verdict: no size, side, entry price or liquidation price recovered exactly");
    const json = await runCli(["--rpc", node.url, "--registry", registry, "--json"]);
    expect(json.code, json.stderr).to.equal(0);
    const parsed = JSON.parse(json.stdout) as { exactRecoveries: number; accounts: unknown[] };
    expect(parsed.exactRecoveries).to.equal(report.exactRecoveries);
    expect(parsed.accounts.length).to.equal(report.accounts.length);
    expect(JSON.parse(reportJson(report)).exactRecoveries).to.equal(report.exactRecoveries);
  });

  it("refuses bad input with a clear message", async () => {
    const bad = await runCli(["--rpc", node.url, "--registry", "0x1234"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("is not an address");
    const noCode = await runCli(["--rpc", node.url, "--registry", "0x000000000000000000000000000000000000dEaD"]);
    expect(noCode.code).to.equal(2);
    expect(noCode.stderr).to.include("has no code");
  });
});
