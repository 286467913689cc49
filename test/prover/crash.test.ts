import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { commitment } from "../../prover/model";
import { StateStore } from "../../prover/store/stateStore";
import type { LocalSystem } from "../../scripts/lib/deploy";
import { type CliResult, cliEnv, runCli } from "../helpers/cli";
import { DEV_KEYS, type NodeProcess, deployToNode, devWallet, rpc, startNode } from "../helpers/node";

/**
 * Crash safety: the trader CLI is killed (SIGKILL) at each step of a state update (after the next state
 * is written but before sending, after sending, after mining) and restarted: the state matching the chain
 * is recovered every time and the account keeps working.
 */
describe("Prover crash safety (kill at each step of an update, real node over JSON-RPC)", function () {
  let node: NodeProcess;
  let sys: LocalSystem;
  let dir: string;
  const TRADER = DEV_KEYS[3];
  let env: NodeJS.ProcessEnv;

  const ok = (r: CliResult) => expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
  async function chainCommitment(): Promise<bigint> {
    const acc = await sys.registry.accountOf(new (await import("ethers")).Wallet(TRADER).address);
    return acc.commitment;
  }
  function stored() {
    return StateStore.open(env.ZKMARGIN_STATE!, env.ZKMARGIN_PASSPHRASE!);
  }

  before(async () => {
    node = await startNode();
    sys = await deployToNode(node.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-crash-"));
    const trader = devWallet(node.url, 3);
    await (await sys.tokens[0].connect(devWallet(node.url, 0)).mint(await trader.getAddress(), 10n ** 11n)).wait();
    env = cliEnv(node.url, sys.addresses.registry, TRADER, path.join(dir, "state.json"));
    ok(await runCli(["init"], env));
    ok(await runCli(["deposit", "USDC", "20000"], env));
  });
  after(async () => {
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("killed after writing the next state, before sending: restarts with the old state, which matches the chain", async () => {
    const before = await chainCommitment();
    const r = await runCli(["open", "ETH", "long", "1"], { ...env, ZKMARGIN_CRASH_AT: "after-pending" });
    expect(r.signal).to.equal("SIGKILL");
    expect(await chainCommitment()).to.equal(before);
    expect(stored().pending, "the next state was on disk before the crash").to.not.equal(undefined);
    const status = await runCli(["status", "--json"], env);
    ok(status);
    const s = stored();
    expect(s.pending).to.equal(undefined);
    expect(commitment(s.committed)).to.equal(before);
    expect(JSON.parse(status.stdout).markets).to.have.length(0);
  });

  it("killed after sending (mined by automine): restart promotes the pending state", async () => {
    const r = await runCli(["open", "ETH", "long", "1"], { ...env, ZKMARGIN_CRASH_AT: "after-send" });
    expect(r.signal).to.equal("SIGKILL");
    const onChain = await chainCommitment();
    expect(commitment(stored().committed)).to.not.equal(onChain);
    ok(await runCli(["status"], env));
    expect(commitment(stored().committed)).to.equal(onChain);
    expect(stored().committed.markets[0].size).to.equal(10n ** 10n);
  });

  it("killed after mining, before committing locally: restart promotes the pending state", async () => {
    const r = await runCli(["increase", "ETH", "1"], { ...env, ZKMARGIN_CRASH_AT: "after-mined" });
    expect(r.signal).to.equal("SIGKILL");
    ok(await runCli(["status"], env));
    expect(commitment(stored().committed)).to.equal(await chainCommitment());
    expect(stored().committed.markets[0].size).to.equal(2n * 10n ** 10n);
  });

  it("killed after sending a transaction that is still in the mempool: restart waits for it and recovers", async () => {
    await rpc(node.url, "evm_setAutomine", [false]);
    try {
      const r = await runCli(["reduce", "ETH", "0.5"], { ...env, ZKMARGIN_CRASH_AT: "after-send" });
      expect(r.signal).to.equal("SIGKILL");
      expect(stored().pending?.txHash).to.match(/^0x/);
      const restarted = runCli(["status", "--json"], env);
      await new Promise((res) => setTimeout(res, 4_000)); // the restarted CLI is now waiting for the transaction
      await rpc(node.url, "evm_mine");
      const status = await restarted;
      ok(status);
      expect(JSON.parse(status.stdout).markets[0].size).to.equal(String(15n * 10n ** 9n));
    } finally {
      await rpc(node.url, "evm_setAutomine", [true]);
    }
    expect(commitment(stored().committed)).to.equal(await chainCommitment());
  });

  it("keeps every state: the history holds all earlier and abandoned states, and the account still trades", async () => {
    const s = stored();
    expect(s.historyLength).to.be.at.least(4);
    ok(await runCli(["close", "ETH"], env));
    expect(stored().committed.markets[0].size).to.equal(0n);
    expect(commitment(stored().committed)).to.equal(await chainCommitment());
  });
});
