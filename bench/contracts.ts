/**
 * Contract sizes and the default governance and timing parameters of a deployment (scripts/lib/params.ts
 * localParams, the L2-like defaults the README documents):
 *  contracts.max_runtime_bytes   the largest deployed (runtime) bytecode among the protocol's contracts
 *                                (test-only contracts excluded); the limit is 24,576, the target 19,660
 *  contracts.registry_runtime_bytes
 *  governance.min_delay_s, timing.freshness_s, timing.window_s, timing.exclusive_s
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../core/artifacts";
import { localParams, registryRequiredDelay } from "../scripts/lib/params";
import { type Figure, figure, progress } from "./lib/figures";

function artifacts(dir: string): { name: string; bytes: number }[] {
  const out: { name: string; bytes: number }[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...artifacts(p));
    else if (e.name.endsWith(".json") && !e.name.endsWith(".dbg.json")) {
      const a = JSON.parse(fs.readFileSync(p, "utf8")) as { contractName: string; deployedBytecode: string };
      const bytes = (a.deployedBytecode.length - 2) / 2;
      if (bytes > 0) out.push({ name: a.contractName, bytes });
    }
  }
  return out;
}

export async function contractFigures(): Promise<Figure[]> {
  const dir = path.join(ROOT, "artifacts", "contracts");
  const all = artifacts(dir).filter(
    (a) => !a.name.startsWith("Test") && !/Harness|Rejecter|Reentrant|Imports/.test(a.name),
  );
  all.sort((a, b) => b.bytes - a.bytes);
  progress(
    `contracts: ${all
      .slice(0, 6)
      .map((a) => `${a.name} ${a.bytes}`)
      .join(", ")}`,
  );
  const registry = all.find((a) => a.name === "ZkMarginRegistry");
  const p = localParams();
  return [
    figure("contracts.max_runtime_bytes", all[0].bytes, "bytes"),
    figure("contracts.registry_runtime_bytes", registry?.bytes ?? 0, "bytes"),
    figure("governance.min_delay_s", p.governance.minDelay, "s"),
    figure("governance.registry_required_delay_s", registryRequiredDelay(p.timing), "s"),
    figure("timing.freshness_s", p.timing.freshness, "s"),
    figure("timing.window_s", p.timing.responseWindow, "s"),
    figure("timing.exclusive_s", p.timing.exclusivePeriod, "s"),
  ];
}
