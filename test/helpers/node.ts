/**
 * The local chain of the end-to-end tests (scripts/lib/node.ts: a real `hardhat node` process over
 * JSON-RPC, deployed with a local zkmargin system), plus time travel. Every test that starts a node stops
 * it in `after`.
 */
import { rpc } from "../../scripts/lib/node";

export * from "../../scripts/lib/node";

export async function increaseTime(url: string, seconds: number): Promise<void> {
  await rpc(url, "evm_increaseTime", [seconds]);
  await rpc(url, "evm_mine");
}
