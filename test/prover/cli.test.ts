import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { Wallet, keccak256, AbiCoder, toBeHex } from "ethers";
import { commitment, emptyState } from "../../prover/model";
import { StateStore } from "../../prover/store/stateStore";
import { type CliResult, cliEnv, runCli } from "../helpers/cli";
import { freePort } from "../../scripts/lib/node";
import { DEV_KEYS, challenge, devWallet, increaseTime, rpc, setPrices, tmpDir, useChain } from "./helpers/chain";
import { zkm } from "./helpers/inproc";

const usd = (x: number) => BigInt(Math.round(x * 1e8));

/**
 * The trader CLI against a real `hardhat node` over JSON-RPC: a separate process where the process
 * matters (init, a trade, status with secrets from files, --json, a full disk), the same main() in this
 * process for the rest and for every argument check (which must fail before anything connects: the RPC
 * of those cases does not even exist). Errors are one stderr line `error [CODE]: sentence` in human
 * units; exit codes 0 ok, 1 failure, 2 bad input.
 */
describe("Trader CLI (real node; processes and in-process main)", function () {
  this.timeout(300_000);
  const chain = useChain();
  const KEY = DEV_KEYS[1];
  const TRADER = new Wallet(KEY).address;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const stored = () => StateStore.open(env.ZKMARGIN_STATE!, env.ZKMARGIN_PASSPHRASE!);

  function ok(r: CliResult, what = ""): string {
    expect(r.code, `${what}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
    return r.stdout;
  }
  /** Failed with `exit` and exactly one stderr line `error...` matching `line`; nothing on stdout. */
  function failed(r: CliResult, exit: number, line: RegExp, what = ""): string {
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error"));
    expect(r.code, `${what}: exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(exit);
    expect(errors, `${what}: stderr ${r.stderr}`).to.have.length(1);
    expect(errors[0], what).to.match(line);
    expect(r.stdout, `${what}: nothing on stdout`).to.equal("");
    return errors[0];
  }
  async function inSync(e = env): Promise<void> {
    const s = StateStore.open(e.ZKMARGIN_STATE!, e.ZKMARGIN_PASSPHRASE!);
    expect(s.pending, "no pending state").to.equal(undefined);
    const acc = await chain().sys.registry.accountOf(new Wallet(e.ZKMARGIN_PRIVATE_KEY!).address);
    expect(acc.commitment).to.equal(commitment(s.committed));
  }

  before(() => {
    dir = tmpDir("cli");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("arguments are checked before anything connects (in-process)", () => {
    // an RPC that does not exist: any case that connected would fail with exit 1, not 2
    let port = 0;
    before(async () => (port = await freePort()));
    const offline = () => cliEnv(`http://127.0.0.1:${port}`, `0x${"11".repeat(20)}`, KEY, path.join(dir, "none.json"));
    const cases: [string[], RegExp][] = [
      [["open", "ETH", "sideways", "1"], /side must be long or short, not "sideways"/],
      [["open", "DOGE", "long", "1"], /unknown market "DOGE": use one of ETH, BTC, SOL, ARB/],
      [["open", "ETH", "long", "0"], /size must be greater than 0/],
      [["open", "ETH", "long", "1.12345678901"], /more than 10 decimals/],
      [["reduce", "ETH", "abc"], /size "abc" is not a positive decimal number/],
      [["increase", "7", "1"], /unknown market "7"/],
      [["claim", "--digits", "0"], /--digits must be an integer from 1 to 30/],
      [["risk", "--paths", "5"], /--paths must be an integer from 100/],
      [["risk", "--horizons", "1h,2x"], /horizon "2x" is not a duration/],
      [["risk", "--correlation", "2"], /--correlation must be between -1 and 1/],
      [["daemon", "--poll-ms", "10"], /--poll-ms must be an integer >= 50/],
      [["daemon", "--webhook", "not a url"], /--webhook must be a URL/],
      [["daemon", "--dashboard", "70000"], /--dashboard takes a port number/],
      [["daemon", "--config", "/nonexistent.json"], /daemon config \/nonexistent.json does not exist/],
      [["--rpc", "nope", "status"], /--rpc is not an http\(s\) or ws\(s\) URL/],
      [["--log-format", "xml", "status"], /argument 'xml' is invalid/],
      [["frobnicate"], /unknown command 'frobnicate'/],
    ];
    for (const [args, line] of cases) {
      it(`refuses \`zkm ${args.join(" ")}\` (exit 2)`, async () => {
        failed(await zkm(args, offline()), 2, line);
      });
    }

    it("says which setting is missing: registry, key (or an invalid one), passphrase", async () => {
      const e = offline();
      failed(
        await zkm(["status"], { ...e, ZKMARGIN_REGISTRY: "" }),
        2,
        /--registry is required \(or set ZKMARGIN_REGISTRY\)/,
      );
      failed(await zkm(["status"], { ...e, ZKMARGIN_RPC: "" }), 2, /--rpc is required \(or set ZKMARGIN_RPC/);
      failed(
        await zkm(["status"], { ...e, ZKMARGIN_PRIVATE_KEY: "" }),
        2,
        /no private key: set ZKMARGIN_PRIVATE_KEY or pass --key-file/,
      );
      failed(await zkm(["status"], { ...e, ZKMARGIN_PRIVATE_KEY: "0x1234" }), 2, /invalid private key/);
      failed(await zkm(["status"], { ...e, ZKMARGIN_PASSPHRASE: "" }), 2, /no passphrase: set ZKMARGIN_PASSPHRASE/);
      failed(
        await zkm(["--key-file", "/nonexistent", "status"], e),
        2,
        /private key file \/nonexistent does not exist/,
      );
    });

    it("--version and --help answer at once; with --json a failure is also one JSON document on stdout", async () => {
      const v = await zkm(["--version"], offline());
      expect(v.code).to.equal(0);
      expect(v.stdout.trim()).to.match(/^\d+\.\d+\.\d+/);
      const h = await zkm(["--help"], offline());
      expect(h.code).to.equal(0);
      expect(h.stdout).to.include("Usage: zkm").and.to.include("daemon").and.to.include("risk");
      const j = await zkm(["--json", "open", "ETH", "up", "1"], offline());
      expect(j.code).to.equal(2);
      expect(JSON.parse(j.stdout)).to.deep.equal({
        ok: false,
        error: { code: null, message: 'side must be long or short, not "up"' },
      });
    });

    it("an unreachable RPC is one sentence naming the endpoint (exit 1)", async () => {
      const e = { ...offline(), ZKMARGIN_STATE: path.join(dir, "x.json") };
      fs.writeFileSync(e.ZKMARGIN_STATE, "{}");
      failed(
        await zkm(["status"], e),
        1,
        /^error: no RPC endpoint answered \(http:\/\/127\.0\.0\.1:\d+\).*ECONNREFUSED.*check that the node is running \(`npm run localnet`\)/,
      );
    });
  });

  describe("a trader's session, in human units", () => {
    before(() => {
      env = cliEnv(chain().url, chain().sys.addresses.registry, KEY, path.join(dir, "state.json"));
    });

    it("status before init says to run init (exit 2); init (a process) opens the account and creates the encrypted state", async () => {
      failed(
        await zkm(["status"], env),
        2,
        /^error \[STATE_NOT_FOUND\]: no state file at .*state\.json \(run `init` first/,
      );
      const out = ok(await runCli(["init"], env));
      expect(out).to.include(`account ${TRADER} opened`).and.to.include(env.ZKMARGIN_STATE!);
      expect((await chain().sys.registry.accountOf(TRADER)).status).to.equal(1n);
      expect(stored().committed).to.deep.equal(emptyState(4));
      expect(fs.existsSync(`${env.ZKMARGIN_STATE}.lock`), "lock released").to.equal(false);
    });

    it("init against an address that is not a registry says so (exit 2)", async () => {
      const e = { ...env, ZKMARGIN_STATE: path.join(dir, "other.json") };
      failed(
        await zkm(["init"], { ...e, ZKMARGIN_REGISTRY: `0x${"00".repeat(19)}01` }),
        2,
        /is not a zkmargin registry: there is no contract at that address on chain 31337/,
      );
      failed(
        await zkm(["init"], { ...e, ZKMARGIN_REGISTRY: chain().sys.addresses.lens }),
        2,
        /is not a zkmargin registry \(it does not answer the registry's views\)/,
      );
      expect(fs.existsSync(e.ZKMARGIN_STATE)).to.equal(false);
    });

    it("deposit: in token units, refused beyond the wallet's balance with both amounts", async () => {
      expect(ok(await zkm(["deposit", "USDC", "5000"], env))).to.equal(
        "deposited 5,000.00 USDC (the account holds 5,000.00 USDC)\n",
      );
      failed(
        await zkm(["deposit", "USDC", "2000000"], env),
        2,
        /cannot deposit 2,000,000.00 USDC: the wallet 0x\w+ holds 995,000.00 USDC/,
      );
      failed(await zkm(["deposit", "DAI", "1"], env), 2, /unknown asset "DAI": use one of USDC, WETH/);
      failed(await zkm(["deposit", "USDC", "1.1234567"], env), 2, /more than 6 decimals \(USDC\)/);
    });

    it("open (a process) lands; an open too large for initial margin says what is possible; nothing changes", async () => {
      expect(ok(await runCli(["open", "ETH", "long", "2"], env))).to.match(
        /^open long 2\.0000 ETH: done \(tx 0x[0-9a-f]{64}, proof \d+ ms\)\n$/,
      );
      await inSync();
      const before = stored().committed;
      const line = failed(
        await zkm(["open", "BTC", "long", "100"], env),
        2,
        /^error \[BAD_INPUT\]: cannot open long 100\.0000 BTC: the account would be below initial margin: deposit at least [\d,]+\.\d\d USD of collateral value first \([\d,]+\.\d\d USDC\); at most \d+\.\d{4} BTC can be added now$/,
      );
      const most = Number(/at most (\d+\.\d+) BTC/.exec(line)![1]);
      expect(most).to.be.within(1.4, 1.6); // (5,000 - 360 initial for ETH) / (60,000 x 5%)
      expect(stored().committed).to.deep.equal(before);
      failed(
        await zkm(["open", "ETH", "short", "1"], env),
        2,
        /the ETH position is already open: use increase, reduce or close/,
      );
    });

    it("status (a process, secrets from files): state, certificate box, collateral, margin usage defined, liquidation price", async () => {
      const keyFile = path.join(dir, "key.txt");
      const passFile = path.join(dir, "pass.txt");
      fs.writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
      fs.writeFileSync(passFile, `${env.ZKMARGIN_PASSPHRASE}\n`, { mode: 0o600 });
      const e = { ...env, ZKMARGIN_PRIVATE_KEY: "", ZKMARGIN_PASSPHRASE: "" };
      const out = ok(await runCli(["--key-file", keyFile, "--passphrase-file", passFile, "status"], e));
      expect(out).to.include(`account ${TRADER}  active`);
      expect(out).to.match(/certificate: \+\/-10\.00% box \(ETH 2,700\.00 USD \.\. 3,300\.00 USD\), stale in 6 h/);
      expect(out).to.match(/^ {2}USDC {2}5,000\.00 USDC {2}value 5,000\.00 USD {2}max withdraw [\d,]+\.\d\d USDC$/m);
      expect(out).to.include("collateral value 5,000.00 USD  cash 0.00 USD  equity 5,000.00 USD");
      expect(out).to.include(
        "maintenance 180.00 USD  initial 360.00 USD  margin usage 3.60% (maintenance / equity; 100% = liquidatable)",
      );
      expect(out).to.match(
        /^ {2}ETH {2}long {2}size 2\.0000 ETH {2}entry 3,000\.00 USD {2}mark 3,000\.00 USD {2}pnl 0\.00 USD {2}liquidation 515\.46 USD \(82\.81% away\)$/m,
      );
      expect(out).to.not.include(KEY.slice(2));
    });

    it("reduce: refused beyond the position in ETH; realises PnL into the private cash at a new price", async () => {
      await setPrices(chain(), { 0: usd(3150.25) });
      failed(
        await zkm(["reduce", "ETH", "5"], env),
        2,
        /cannot reduce ETH by 5\.0000 ETH: the position is 2\.0000 ETH \(`zkm close ETH` closes it\)/,
      );
      expect(ok(await zkm(["reduce", "ETH", "0.5"], env))).to.match(
        /^reduce ETH by 0\.5000 ETH: done .*; realised PnL 75\.12 USD went into the private cash balance\n$/,
      );
      expect(stored().committed.cash).to.equal(75_125n * 10n ** 15n);
      await inSync();
    });

    it("settle with a fund short of cash: what the fund paid now and what it owes, in USDC", async () => {
      // the fund holds 22 USDC (its token balance set directly in the ERC-20's storage)
      const usdc = chain().sys.tokens[0];
      const fund = chain().sys.addresses.fund;
      const slot = keccak256(AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [fund, 0]));
      const full = await usdc.balanceOf(fund);
      const setBalance = (x: bigint) =>
        rpc(chain().url, "hardhat_setStorageAt", [chain().sys.addresses["token.USDC"], slot, toBeHex(x, 32)]);
      await setBalance(22_000_000n);
      try {
        // `all` rounds to 2 significant digits (the exact cash of one trade would publish it): 75.00 of 75.125
        expect(ok(await zkm(["settle"], env))).to.match(
          /^done \(tx 0x[0-9a-f]{64}\); settled 75\.00 USD of gains \(0\.12 USD stays in the private cash: .*\): the fund paid 22\.00 USDC now, the rest \(53\.00 USDC\) is owed to 0x\w+ and paid from the fund's later inflows\n$/,
        );
      } finally {
        await setBalance(full);
      }
      expect(stored().committed.cash).to.equal(125n * 10n ** 15n);
      expect(ok(await zkm(["status"], env))).to.include(
        "the insurance fund owes this address 53.00 USDC (paid from its later inflows)",
      );
    });

    it("withdraw: the largest withdrawal in the refusal; status --json (a process): human units beside raw integers", async () => {
      failed(
        await zkm(["withdraw", "USDC", "5100"], env),
        2,
        /cannot withdraw 5,100\.00 USDC: the account holds 5,022\.00 USDC/,
      );
      const line = failed(
        await zkm(["withdraw", "USDC", "4950"], env),
        2,
        /cannot withdraw 4,950\.00 USDC: at most [\d,]+\.\d\d USDC can be withdrawn now/,
      );
      expect(line).to.include("initial margin");
      expect(ok(await zkm(["withdraw", "USDC", "100"], env))).to.match(
        /^withdrew 100\.00 USDC \(tx 0x[0-9a-f]{64}\)\n$/,
      );
      const v = JSON.parse(ok(await runCli(["status", "--json"], env)));
      expect(v.ok).to.equal(true);
      expect(v.phase).to.equal("active");
      expect(v.equity).to.deep.equal({ value: "5147.5", unit: "USD", raw: "5147500000000000000000", decimals: 18 });
      expect(v.cash).to.deep.equal({ value: "0.125", unit: "USD", raw: "125000000000000000", decimals: 18 });
      expect(v.collateral[0].amount).to.deep.equal({ value: "4922", unit: "USDC", raw: "4922000000", decimals: 6 });
      expect(v.positions[0]).to.deep.include({ market: "ETH", side: "long" });
      expect(v.positions[0].size).to.deep.equal({ value: "1.5", unit: "ETH", raw: "15000000000", decimals: 10 });
      expect(v.positions[0].entryPrice).to.deep.equal({ value: "3000", unit: "USD", raw: "300000000000", decimals: 8 });
      expect(v.positions[0].liquidationPrice).to.equal(null); // none: ETH alone cannot bring it down
      expect(v.marginUsageDefinition).to.equal("maintenance / equity (100% = liquidatable)");
      expect(v.owedByFund.value).to.equal("53");
      expect(v.certificate.stale.in).to.equal("6 h");
    });

    it("export writes an encrypted backup that opens to the same state", async () => {
      const backup = path.join(dir, "backup.json");
      expect(ok(await zkm(["export", backup], env))).to.include(`backup written to ${backup}`);
      expect(StateStore.open(backup, env.ZKMARGIN_PASSPHRASE!).committed).to.deep.equal(stored().committed);
      failed(await zkm(["export", backup], env), 2, /STATE_EXISTS.*already exists: refusing to overwrite/);
    });

    it("a full disk while taking the lock (a process, ENOSPC) fails with a sentence and leaves no lock: the next command works", async () => {
      const r = await runCli(["prove"], { ...env, ZKMARGIN_FS_FAULT: "lock-write:ENOSPC" });
      failed(r, 1, /^error: the disk is full: nothing was changed; fix it and run the command again$/);
      expect(fs.readdirSync(dir).filter((f) => f.includes(".lock"))).to.deep.equal([]);
      expect(ok(await zkm(["prove"], env))).to.match(
        /^certificate proven \(tx 0x[0-9a-f]{64}\): \+\/-10\.00% box, stale in 6 h\n$/,
      );
    });
  });

  describe("after a liquidation", () => {
    const KEY2 = DEV_KEYS[2];
    const T2 = new Wallet(KEY2).address;
    let e2: NodeJS.ProcessEnv;

    it("status shows the positions closed at the liquidation's prices and the claimable amount; claim pays it; status shows what was paid", async () => {
      const c = chain();
      e2 = cliEnv(c.url, c.sys.addresses.registry, KEY2, path.join(dir, "state2.json"));
      ok(await zkm(["init"], e2));
      ok(await zkm(["deposit", "USDC", "3000"], e2));
      ok(await zkm(["open", "ETH", "long", "3"], e2)); // at 3,150.25
      await setPrices(c, { 0: usd(2820) }); // -10.5%: out of the +/-10% box, nobody answers
      const rec = await challenge(c, T2);
      const challenged = ok(await zkm(["status"], e2));
      expect(challenged).to.match(/CHALLENGED: answer within (10 min|9 min \d+ s) \(before 20\d\d-/);
      const t = await c.sys.registry.timing();
      await increaseTime(c.url, Number(t.responseWindow * 3n + t.exclusivePeriod) + 60);
      await setPrices(c);
      await (await c.sys.registry.connect(devWallet(c.url, 9)).liquidate(T2, rec)).wait();
      const s = ok(await zkm(["status"], e2));
      expect(s).to.include("LIQUIDATED (claimable)");
      expect(s).to.include(
        "positions were closed at the liquidation's prices; claimable 1,859.25 USD (equity there minus the 150.00 USD penalty)",
      );
      expect(s).to.match(
        /ETH {2}long {2}size 3\.0000 ETH .* mark 2,820\.00 USD .* liquidation closed at the liquidation/,
      );
      expect(s).to.not.match(/liquidation \d/);
      failed(
        await zkm(["claim", "--amount", "5000"], e2),
        2,
        /cannot claim 5,000\.00 USD: at most 1,859\.25 USD \(the equity at the liquidation's prices minus the 150\.00 USD penalty\)/,
      );
      expect(ok(await zkm(["claim"], e2))).to.match(
        /^claimed 1,800\.00 USD of at most 1,859\.25 USD \(rounded down to 2 significant digits, so the claim does not publish the equity\): 1,800\.00 USDC paid now \(tx 0x/,
      );
      const closed = ok(await zkm(["status"], e2));
      expect(closed).to.include("closed");
      expect(closed).to.include("claimed 1,800.00 USD: 1,800.00 USDC paid");
      expect(closed).to.include("no open positions");
    });

    it("what a closed account cannot do is said in words: a second claim, a deposit (a contract revert, decoded)", async () => {
      failed(
        await zkm(["claim"], e2),
        2,
        /^error \[ACCOUNT_LIQUIDATED\]: account is closed: nothing to claim|^error \[BAD_INPUT\]: account is closed: nothing to claim/,
      );
      const line = failed(
        await zkm(["deposit", "USDC", "10"], e2),
        1,
        /^error: account 0x\w+ is not active on this registry \(never opened, liquidated or closed\)/,
      );
      expect(line).to.not.match(/0x[0-9a-f]{8}\b(?!\w)/); // no raw selector or data
    });
  });
});
