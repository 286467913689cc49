/**
 * Privacy figures (one run; issue 9):
 * - privacy.exact_recoveries: private quantities (a position's size, side, entry price or liquidation
 *   price, a deleverage's reduced size) that the privacy audit's attacks recover exactly over the bench
 *   scenario: three careful traders (scripts/lib/audit/scenario.ts: two lots, partial reduces, a close,
 *   withdrawals that settle rounded cash, a top-up during a challenge, a liquidation and a rounded claim)
 *   on a `hardhat node` over JSON-RPC with real proofs. Must be 0.
 * - privacy.audit_ms: the audit's wall time over that deployment (decode + attacks + bounds).
 * The scenario's leaky variants (an exact settlement, a one-market deleverage, an exact claim) are shown
 * by test/audit/privacy.test.ts, not counted here.
 */
import { JsonRpcProvider } from "ethers";
import { loadKeys } from "../prover/lib/circuits";
import { runAudit } from "../scripts/lib/audit";
import { runScenario } from "../scripts/lib/audit/scenario";
import { deployToNode, startNode } from "../scripts/lib/node";
import { type Figure, figure, progress, round } from "./lib/figures";

/** Runs the bench scenario and the audit; returns both figures. */
export async function privacyFigures(): Promise<Figure[]> {
  const node = await startNode();
  try {
    const sys = await deployToNode(node.url);
    const keys = await loadKeys();
    await runScenario(node.url, sys, keys, { log: progress });
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    const t0 = performance.now();
    const { report } = await runAudit(provider, await sys.registry.getAddress(), { fromBlock: sys.deploymentBlock });
    const ms = performance.now() - t0;
    provider.destroy();
    for (const a of report.accounts)
      for (const r of a.recoveries) progress(`privacy: ${a.account} ${r.quantity} ${r.by}`);
    return [
      figure("privacy.exact_recoveries", report.exactRecoveries, "count"),
      figure("privacy.audit_ms", round(ms), "ms"),
    ];
  } finally {
    await node.stop();
  }
}

/** privacy.exact_recoveries alone (the audit's attacks over the bench scenario: must be 0). */
export async function privacyExactRecoveries(): Promise<number> {
  const figures = await privacyFigures();
  return figures.find((f) => f.name === "privacy.exact_recoveries")!.value;
}
