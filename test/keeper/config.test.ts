/**
 * Edges of the keeper: config validation (every bad field listed, exit code 2, the key never printed)
 * and RPC faults (bounded retries, a clear RPC_UNAVAILABLE error and exit code 3 on a closed port).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { Writable } from "node:stream";
import { inspect } from "node:util";
import { expect } from "chai";
import { KeeperProvider, connect } from "../../keeper/chain/provider";
import { withRetries } from "../../keeper/chain/retry";
import { SigningKey, describeConfig, loadConfig } from "../../keeper/config";
import { KeeperError, KeeperErrorCode } from "../../keeper/errors";
import { createLogger } from "../../keeper/log";
import { freePort } from "../helpers/node";
import { DEV_KEYS, spawnKeeper, tmpDir, writeConfig } from "./helpers";

const REGISTRY = "0x9A676e781A523b5d0C0e43731313A708CB607508";
const MINIMAL = { rpcUrl: "http://127.0.0.1:8545", registry: REGISTRY, profit: { ethPriceInQuote: "3000" } };

function configError(fn: () => unknown): KeeperError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(KeeperError);
    expect((e as KeeperError).code).to.equal(KeeperErrorCode.BadConfig);
    return e as KeeperError;
  }
  throw new Error("expected a config error");
}

describe("keeper config and RPC faults", function () {
  this.timeout(30_000);
  const dir = tmpDir("config");

  describe("config", () => {
    it("fills defaults and resolves paths against the config file", () => {
      const { config, key } = loadConfig({ file: writeConfig(dir, "min", MINIMAL), env: {} });
      expect(config.confirmations).to.equal(3);
      expect(config.gas.bumpPercent).to.equal(25);
      expect(config.maxBondsAtRiskWei).to.equal(10n ** 18n);
      expect(config.profit.ethPriceInQuote).to.equal(3000n);
      expect(config.checkpointFile).to.equal(path.join(dir, "keeper-checkpoint.json"));
      expect(key).to.equal(undefined);
    });

    it("lists every bad field at once", () => {
      const bad = {
        rpcUrl: "ftp://x",
        registry: "0x1234",
        confirmations: -1,
        gas: { bumpPercent: 5, maxFeePerGasWei: "1", priorityFeeWei: "2" },
        maxBondsAtRiskWei: "1e18",
        typo: 1,
      };
      const e = configError(() => loadConfig({ file: writeConfig(dir, "bad", bad), env: {} }));
      for (const field of [
        "rpcUrl",
        "registry",
        "confirmations",
        "gas.bumpPercent",
        "gas: priorityFeeWei must not exceed",
        "maxBondsAtRiskWei",
        "profit",
        "typo",
      ]) {
        expect(e.message).to.include(field);
      }
    });

    it("lets environment and flags override the file", () => {
      const file = writeConfig(dir, "over", MINIMAL);
      const { config } = loadConfig({
        file,
        env: { ZKMARGIN_KEEPER_RPC_URL: "http://env:1" },
        flags: { confirmations: 7, dryRun: true },
      });
      expect([config.rpcUrl, config.confirmations, config.dryRun]).to.deep.equal(["http://env:1", 7, true]);
      const e = configError(() => loadConfig({ file, env: {}, flags: { batchSize: Number("x") } }));
      expect(e.message).to.include("batchSize");
    });

    it("takes the key from the environment or a key file, never from the config file, and never prints it", () => {
      const secret = DEV_KEYS[5];
      const e1 = configError(() =>
        loadConfig({ file: writeConfig(dir, "withkey", { ...MINIMAL, privateKey: secret }), env: {} }),
      );
      expect(e1.message).to.include("ZKMARGIN_KEEPER_KEY").and.not.include(secret.slice(2));
      const e2 = configError(() =>
        loadConfig({ file: writeConfig(dir, "k", MINIMAL), env: { ZKMARGIN_KEEPER_KEY: "0x1234" + secret.slice(8) } }),
      );
      expect(e2.message).to.include("value not shown").and.not.include(secret.slice(8));
      const keyFile = path.join(dir, "keeper.key");
      fs.writeFileSync(keyFile, `${secret}\n`);
      const { config, key } = loadConfig({
        file: writeConfig(dir, "kf", { ...MINIMAL, keyFile: "keeper.key" }),
        env: {},
        requireKey: true,
      });
      expect(key!.reveal()).to.equal(secret);
      expect(
        configError(() => loadConfig({ file: writeConfig(dir, "nokey", MINIMAL), env: {}, requireKey: true })).message,
      ).to.include("signing key");

      let out = "";
      const sink = new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) });
      createLogger("info", sink).info({ config: describeConfig(config), key, privateKey: secret }, "loaded");
      const printed = [out, JSON.stringify({ key }), inspect(key), `${key}`, inspect(new SigningKey(secret))].join(
        "\n",
      );
      expect(printed).to.not.include(secret.slice(2));
      expect(out).to.include("[redacted]");
    });

    it("the CLI exits with code 2 and lists the fields", async () => {
      const k = spawnKeeper(
        "once",
        writeConfig(dir, "cli-bad", { rpcUrl: "nope", registry: REGISTRY, pollIntervalMs: 1 }),
        DEV_KEYS[1],
      );
      expect(await k.exited).to.equal(2);
      expect(k.stderr)
        .to.include("BAD_CONFIG")
        .and.include("rpcUrl")
        .and.include("pollIntervalMs")
        .and.include("profit");
    });
  });

  describe("RPC faults", () => {
    it("retries transport faults a bounded number of times, and never retries an answer", async () => {
      let calls = 0;
      const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      const err = await withRetries(
        async () => (calls++, Promise.reject(refused)),
        { retries: 3, retryDelayMs: 1 },
        (_e, n) => new Error(`gave up after ${n}`),
      ).catch((e: Error) => e);
      expect([calls, (err as Error).message]).to.deep.equal([4, "gave up after 4"]);
      calls = 0;
      const revert = Object.assign(new Error("execution reverted"), { code: "CALL_EXCEPTION" });
      await withRetries(
        async () => (calls++, Promise.reject(revert)),
        { retries: 3, retryDelayMs: 1 },
        () => new Error("no"),
      ).catch(() => undefined);
      expect(calls).to.equal(1);
    });

    it("fails with RPC_UNAVAILABLE after retries + 1 attempts on a closed port", async () => {
      const port = await freePort();
      const t0 = Date.now();
      const err = await connect(`http://127.0.0.1:${port}`, { retries: 2, retryDelayMs: 20, timeoutMs: 1_000 }).catch(
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(KeeperError);
      expect((err as KeeperError).code).to.equal(KeeperErrorCode.RpcUnavailable);
      expect((err as KeeperError).message)
        .to.include(`127.0.0.1:${port}`)
        .and.include("after 3 attempts")
        .and.include("ECONNREFUSED");
      expect(Date.now() - t0).to.be.lessThan(2_000);
    });

    it("rides over a flaky endpoint and counts each JSON-RPC call once", async () => {
      let requests = 0;
      const server = http.createServer((req, res) => {
        requests++;
        if (requests <= 2) return req.socket.destroy(); // connection reset twice
        let body = "";
        req.on("data", (d) => (body += String(d)));
        req.on("end", () => {
          const { id } = JSON.parse(body) as { id: number };
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ jsonrpc: "2.0", id, result: "0x2a" }));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const p = new KeeperProvider(url, 31337n, { retries: 3, retryDelayMs: 10, timeoutMs: 1_000 });
      try {
        expect(await p.getBlockNumber()).to.equal(42);
        expect([p.calls, requests]).to.deep.equal([1, 3]);
      } finally {
        p.destroy();
        server.close();
      }
    });

    it("the CLI exits with code 3 and a clear message when the RPC is unreachable", async () => {
      const port = await freePort();
      const cfg = {
        ...MINIMAL,
        rpcUrl: `http://127.0.0.1:${port}`,
        rpc: { retries: 2, retryDelayMs: 50 },
        checkpointFile: path.join(dir, "cp.json"),
      };
      const t0 = Date.now();
      const k = spawnKeeper("once", writeConfig(dir, "closed", cfg), DEV_KEYS[1]);
      expect(await k.exited).to.equal(3);
      expect(k.stderr).to.include("RPC_UNAVAILABLE").and.include(`127.0.0.1:${port} unreachable after 3 attempts`);
      expect(k.lines.filter((l) => l.msg === "RPC fault: retrying")).to.have.length(2);
      expect(Date.now() - t0).to.be.lessThan(15_000);
      expect(fs.existsSync(path.join(dir, "cp.json.lock"))).to.equal(false);
    });
  });
});
