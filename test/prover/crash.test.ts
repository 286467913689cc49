import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { commitment } from "../../prover/model";
import { StateStore } from "../../prover/store/stateStore";
import { type CliResult, cliEnv, runCli } from "../helpers/cli";
import { DEV_KEYS, rpc, tmpDir, useChain } from "./helpers/chain";
import { zkm } from "./helpers/inproc";

/**
 * Crash safety: the trader CLI is killed (SIGKILL) at each step of a state update (after the next state
 * is written but before sending, after sending, after mining) and the next command recovers the state
 * the chain holds. Every kill leaves the state lock behind with the dead process's pid: the next command
 * takes it over at once (the same-host dead-owner rule), never STATE_LOCKED.
 */
describe("Prover crash safety (SIGKILL at each step of an update, real node)", function () {
  this.timeout(300_000);
  const chain = useChain();
  const KEY = DEV_KEYS[3];
  const TRADER = new Wallet(KEY).address;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const ok = (r: CliResult) => expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
  const chainCommitment = async () => (await chain().sys.registry.accountOf(TRADER)).commitment;
  const stored = () => StateStore.open(env.ZKMARGIN_STATE!, env.ZKMARGIN_PASSPHRASE!);
  const lock = () => `${env.ZKMARGIN_STATE}.lock`;
  /** The kill left the lock of a dead process; the next command took it over and released it. */
  function leftLock(): number {
    expect(fs.existsSync(lock()), "the killed command's lock is still there").to.equal(true);
    const pid = (JSON.parse(fs.readFileSync(lock(), "utf8")) as { pid: number }).pid;
    expect(() => process.kill(pid, 0), "its owner is dead").to.throw();
    return pid;
  }

  before(async () => {
    dir = tmpDir("crash");
    env = cliEnv(chain().url, chain().sys.addresses.registry, KEY, path.join(dir, "state.json"));
    ok(await zkm(["init"], env));
    ok(await zkm(["deposit", "USDC", "20000"], env));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("killed after writing the next state, before sending: the old state stays, matching the chain; the stale lock is taken over", async () => {
    const before = await chainCommitment();
    const r = await runCli(["open", "ETH", "long", "1"], { ...env, ZKMARGIN_CRASH_AT: "after-pending" });
    expect(r.signal).to.equal("SIGKILL");
    expect(await chainCommitment()).to.equal(before);
    expect(stored().pending, "the next state was on disk before the crash").to.not.equal(undefined);
    leftLock();
    const status = await zkm(["status", "--json"], env);
    ok(status);
    expect(status.stderr).to.not.include("STATE_LOCKED");
    expect(fs.existsSync(lock()), "released").to.equal(false);
    const s = stored();
    expect(s.pending).to.equal(undefined);
    expect(commitment(s.committed)).to.equal(before);
    expect(JSON.parse(status.stdout).positions).to.have.length(0);
  });

  it("killed after sending (mined by automine): the next command promotes the pending state", async () => {
    const r = await runCli(["open", "ETH", "long", "1"], { ...env, ZKMARGIN_CRASH_AT: "after-send" });
    expect(r.signal).to.equal("SIGKILL");
    const onChain = await chainCommitment();
    expect(commitment(stored().committed)).to.not.equal(onChain);
    leftLock();
    ok(await zkm(["status"], env));
    expect(commitment(stored().committed)).to.equal(onChain);
    expect(stored().committed.markets[0].size).to.equal(10n ** 10n);
  });

  it("killed after mining, before committing locally: the next command promotes the pending state", async () => {
    const r = await runCli(["increase", "ETH", "1"], { ...env, ZKMARGIN_CRASH_AT: "after-mined" });
    expect(r.signal).to.equal("SIGKILL");
    leftLock();
    ok(await zkm(["status"], env));
    expect(commitment(stored().committed)).to.equal(await chainCommitment());
    expect(stored().committed.markets[0].size).to.equal(2n * 10n ** 10n);
  });

  it("killed after sending a transaction still in the mempool: the next command waits for it and recovers", async () => {
    await rpc(chain().url, "evm_setAutomine", [false]);
    try {
      const r = await runCli(["reduce", "ETH", "0.5"], { ...env, ZKMARGIN_CRASH_AT: "after-send" });
      expect(r.signal).to.equal("SIGKILL");
      expect(stored().pending?.txHash).to.match(/^0x/);
      const restarted = zkm(["status", "--json"], env);
      await new Promise((res) => setTimeout(res, 1_500)); // it is now waiting for the transaction
      await rpc(chain().url, "evm_mine");
      const status = await restarted;
      ok(status);
      expect(JSON.parse(status.stdout).positions[0].size.raw).to.equal(String(15n * 10n ** 9n));
    } finally {
      await rpc(chain().url, "evm_setAutomine", [true]);
    }
    expect(commitment(stored().committed)).to.equal(await chainCommitment());
  });

  it("keeps every state: the history holds all earlier and abandoned states, and the account still trades", async () => {
    expect(stored().historyLength).to.be.at.least(4);
    ok(await zkm(["close", "ETH"], env));
    expect(stored().committed.markets[0].size).to.equal(0n);
    expect(commitment(stored().committed)).to.equal(await chainCommitment());
  });
});
