/**
 * The privacy audit (issue 9 item 7; docs/privacy.md): decode a deployment's public record, run the
 * attacks and derive the bounds, per account. scripts/audit.ts is its command line; bench/privacy.ts
 * runs it over the bench scenario (privacy.exact_recoveries).
 */
import type { Provider } from "ethers";
import { type DecodeOptions, decodeDeployment } from "./decode";
import { buildReport } from "./report";
import type { AuditReport, Deployment } from "./types";

export interface AuditOptions extends DecodeOptions {
  /** Only this account in the report (every account is still decoded). */
  readonly account?: string;
}

export async function runAudit(
  provider: Provider,
  registry: string,
  o: AuditOptions = {},
): Promise<{ deployment: Deployment; report: AuditReport }> {
  const deployment = await decodeDeployment(provider, registry, o);
  return { deployment, report: buildReport(deployment, o.account) };
}

export { decodeDeployment } from "./decode";
export { buildReport, formatReport, reportJson } from "./report";
export * from "./types";
