/**
 * Edges of the keeper: config validation (every bad field at once, batch sizes that cannot fit the
 * per-transaction gas cap refused, several deployments merged over shared defaults, the key never
 * printed), and the provider's per-call retries (transport faults and JSON-RPC errors that are not
 * answers), with the CLI's exit codes.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { Writable } from "node:stream";
import { inspect } from "node:util";
import { expect } from "chai";
import { KeeperProvider, connect } from "../../keeper/chain/provider";
import { SigningKey, describeConfig, loadConfig } from "../../keeper/config";
import { KeeperError, KeeperErrorCode } from "../../keeper/errors";
import { createLogger } from "../../keeper/log";
import { freePort } from "../helpers/node";
import { DEV_KEYS, spawnKeeper, tmpDir, writeConfig } from "./helpers";

const REGISTRY = "0x9A676e781A523b5d0C0e43731313A708CB607508";
const LENS = "0x0B306BF915C4d645ff596e518fAf3F9669b97016";
const MINIMAL = {
  rpcUrl: "http://127.0.0.1:8545",
  registry: REGISTRY,
  lens: LENS,
  profit: { ethPriceInQuote: "3000" },
};

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

describe("keeper config and RPC retries", function () {
  this.timeout(60_000);
  const dir = tmpDir("config");

  it("fills defaults and resolves paths against the config file", () => {
    const { config, key } = loadConfig({ file: writeConfig(dir, "min", MINIMAL), env: {} });
    const d = config.deployments[0];
    expect(config.deployments).to.have.length(1);
    expect([d.name, d.confirmations, d.batchSize, d.gas.maxTxGas]).to.deep.equal(["main", 3, 50, 16_777_216]);
    expect(d.checkpointFile).to.equal(path.join(dir, "keeper-checkpoint.json"));
    expect(config.metrics.host).to.equal("127.0.0.1");
    expect(key).to.equal(undefined);
  });

  it("lists every bad field at once", () => {
    const bad = {
      ...MINIMAL,
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
      "priorityFeeWei",
      "maxBondsAtRiskWei",
      "typo",
    ])
      expect(e.message).to.include(field);
  });

  it("refuses a batch size whose gas limit would pass the per-transaction cap (16,777,216)", () => {
    const e = configError(() =>
      loadConfig({ flags: { ...MINIMAL, batchSize: 200, gas: { challengeGasPerAccount: 100_000 } }, env: {} }),
    );
    expect(e.message).to.match(/batchSize: 200 accounts per challenge need a gas limit of about \d+ > 16777216/);
    expect(e.message).to.match(/use at most \d+/);
    expect(loadConfig({ flags: { ...MINIMAL, batchSize: 200 }, env: {} }).config.deployments[0].batchSize).to.equal(
      200,
    );
  });

  it("several deployments share the top-level defaults, each with its own name and checkpoint", () => {
    const { config } = loadConfig({
      file: writeConfig(dir, "multi", {
        profit: { ethPriceInQuote: "3000" },
        pollIntervalMs: 250,
        gas: { maxFeePerGasWei: "7", priorityFeeWei: "1" },
        deployments: [
          { name: "l2a", rpcUrl: "http://127.0.0.1:1", registry: REGISTRY, lens: LENS },
          {
            name: "l2b",
            rpcUrl: "http://127.0.0.1:2",
            registry: REGISTRY,
            lens: LENS,
            gas: { bumpPercent: 50 },
            batchSize: 10,
          },
        ],
      }),
      env: {},
    });
    const [a, b] = config.deployments;
    expect([a.name, b.name, a.pollIntervalMs, b.pollIntervalMs, b.batchSize]).to.deep.equal([
      "l2a",
      "l2b",
      250,
      250,
      10,
    ]);
    expect([a.gas.maxFeePerGasWei, b.gas.maxFeePerGasWei, b.gas.bumpPercent]).to.deep.equal([7n, 7n, 50]);
    expect(a.checkpointFile).to.equal(path.join(dir, "keeper-l2a.checkpoint.json"));
    expect(b.checkpointFile).to.not.equal(a.checkpointFile);
    const dup = configError(() =>
      loadConfig({
        flags: {
          profit: { ethPriceInQuote: "1" },
          deployments: [
            { ...MINIMAL, name: "x" },
            { ...MINIMAL, name: "x", batchSize: 0 },
          ],
        },
        env: {},
      }),
    );
    expect(dup.message).to.include("deployments.1.batchSize");
  });

  it("takes the key from the environment or a key file, never from the config file, and never prints it", () => {
    const secret = DEV_KEYS[5];
    const e1 = configError(() =>
      loadConfig({ file: writeConfig(dir, "withkey", { ...MINIMAL, privateKey: secret }), env: {} }),
    );
    expect(e1.message).to.include("ZKMARGIN_KEEPER_KEY").and.not.include(secret.slice(2));
    const keyFile = path.join(dir, "keeper.key");
    fs.writeFileSync(keyFile, `${secret}\n`);
    const { config, key } = loadConfig({
      file: writeConfig(dir, "kf", { ...MINIMAL, keyFile: "keeper.key" }),
      env: {},
      requireKey: true,
    });
    expect(key!.reveal()).to.equal(secret);
    let out = "";
    const sink = new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) });
    createLogger("info", sink).info({ config: describeConfig(config), key, privateKey: secret }, "loaded");
    const printed = [out, JSON.stringify({ key }), inspect(key), `${key}`, inspect(new SigningKey(secret))].join("\n");
    expect(printed).to.not.include(secret.slice(2));
  });

  it("retries each call over dropped connections, 502s and JSON-RPC errors; an answer is never retried", async () => {
    let requests = 0;
    const faults = [
      (_b: unknown, req: http.IncomingMessage) => req.socket.destroy(),
      (_b: unknown, _r: unknown, res: http.ServerResponse) => res.writeHead(502).end("bad gateway"),
      (b: { id: number }, _r: unknown, res: http.ServerResponse) =>
        res.end(JSON.stringify({ jsonrpc: "2.0", id: b.id, error: { code: -32603, message: "internal error" } })),
    ];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += String(d)));
      req.on("end", () => {
        const b = JSON.parse(body) as { id: number; method: string };
        const f = faults[requests++];
        if (f !== undefined) return f(b, req, res);
        if (b.method === "eth_call")
          return res.end(
            JSON.stringify({
              jsonrpc: "2.0",
              id: b.id,
              error: { code: 3, message: "execution reverted", data: "0x12345678" },
            }),
          );
        res.end(JSON.stringify({ jsonrpc: "2.0", id: b.id, result: "0x2a" }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const p = new KeeperProvider(url, 31337n, { retries: 4, retryDelayMs: 5, timeoutMs: 1_000 });
    try {
      expect(await p.getBlockNumber()).to.equal(42);
      expect([p.calls, p.errors, requests]).to.deep.equal([4, 3, 4]);
      const err = await p.call({ to: REGISTRY, data: "0x" }).catch((e: unknown) => e);
      expect((err as { data?: string }).data).to.equal("0x12345678");
      expect(requests).to.equal(5); // a revert is an answer: asked once
    } finally {
      p.destroy();
      server.close();
    }
  });

  it("fails with RPC_UNAVAILABLE after retries + 1 attempts on a closed port", async () => {
    const port = await freePort();
    const err = await connect(`http://127.0.0.1:${port}`, { retries: 2, retryDelayMs: 20, timeoutMs: 1_000 }).catch(
      (e: unknown) => e,
    );
    expect((err as KeeperError).code).to.equal(KeeperErrorCode.RpcUnavailable);
    expect((err as KeeperError).message)
      .to.include(`127.0.0.1:${port}`)
      .and.include("after 3 attempts");
  });

  it("the CLI exits 2 listing the fields of a bad config, and 3 when `once` cannot reach the RPC", async () => {
    const bad = spawnKeeper(
      "once",
      writeConfig(dir, "cli-bad", { rpcUrl: "nope", registry: REGISTRY, pollIntervalMs: 1 }),
      DEV_KEYS[1],
    );
    const port = await freePort();
    const closed = spawnKeeper(
      "once",
      writeConfig(dir, "closed", {
        ...MINIMAL,
        rpcUrl: `http://127.0.0.1:${port}`,
        rpc: { retries: 1, retryDelayMs: 20 },
        checkpointFile: "cp.json",
      }),
      DEV_KEYS[1],
    );
    expect(await bad.exited).to.equal(2);
    expect(bad.stderr).to.include("BAD_CONFIG").and.include("rpcUrl").and.include("pollIntervalMs").and.include("lens");
    expect(await closed.exited).to.equal(3);
    expect(closed.stderr).to.include("RPC_UNAVAILABLE");
    expect(fs.existsSync(path.join(dir, "cp.json.lock"))).to.equal(false);
  });
});
