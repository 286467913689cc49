/**
 * The account index from registry logs (synthetic logs encoded with the registry ABI, fed through the
 * same decoding path as eth_getLogs results): the reducer, chunked catch-up, the unconfirmed overlay
 * under a reorg, checkpoints (atomic, verified on restart) and no request for an unchanged head.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import pino from "pino";
import { packPrices } from "../../core/encoding";
import type { ChainReader, Head, ProtocolParams } from "../../keeper/chain/reader";
import { loadConfig } from "../../keeper/config";
import { KeeperErrorCode } from "../../keeper/errors";
import { loadCheckpoint, saveCheckpoint } from "../../keeper/index/checkpoint";
import { decodeArgs, decodeLog, registryInterface } from "../../keeper/index/events";
import { Indexer } from "../../keeper/index/indexer";
import type { LogLike } from "../../keeper/index/types";
import { Keeper } from "../../keeper/keeper";
import { tmpDir, writeConfig } from "./helpers";

const E8 = 10n ** 8n;
const PRICES = [3_000n * E8, 60_000n * E8, 150n * E8, 80n * 10n ** 6n];
const addr = (i: number) => `0x${(0x1000 + i).toString(16).padStart(40, "0")}`;
const KEEPER = addr(999);
const silent = pino({ level: "silent" });

function log(block: number, name: string, values: unknown[]): LogLike {
  const { data, topics } = registryInterface.encodeEventLog(name, values);
  return { blockNumber: block, data, topics };
}
const opened = (b: number, a: string, at: bigint, prices = PRICES) => [
  log(b, "AccountOpened", [a, 1n]),
  log(b, "Proven", [a, 0n, packPrices(prices), at]),
];

/** An in-memory chain: blocks of logs (replaceable, for reorgs), recording every getLogs range. */
class MemoryChain implements ChainReader {
  blocks = new Map<number, LogLike[]>();
  hashes = new Map<number, string>();
  head_ = 0;
  ranges: [number, number][] = [];
  add(l: LogLike[]) {
    for (const x of l) {
      this.blocks.set(x.blockNumber, [...(this.blocks.get(x.blockNumber) ?? []), x]);
      this.head_ = Math.max(this.head_, x.blockNumber);
    }
  }
  hash(n: number) {
    return this.hashes.get(n) ?? `0x${n.toString(16).padStart(64, "0")}`;
  }
  async head(): Promise<Head> {
    return { number: this.head_, hash: this.hash(this.head_), timestamp: 1_000_000n, baseFeePerGas: 10n ** 9n };
  }
  async blockHash(n: number) {
    return n <= this.head_ ? this.hash(n) : null;
  }
  async logs(from: number, to: number) {
    this.ranges.push([from, to]);
    const out: LogLike[] = [];
    for (let b = from; b <= to; b++) out.push(...(this.blocks.get(b) ?? []));
    return out;
  }
  async marketPrices() {
    return PRICES;
  }
  async params(): Promise<ProtocolParams> {
    return {
      freshness: 86_400n,
      responseWindow: 300n,
      exclusivePeriod: 60n,
      bond: 10n ** 16n,
      bandBps: 500n,
      bountyBps: 100n,
      bountyCap: 10n ** 21n,
      paused: false,
    };
  }
  async isChallengeable() {
    return false;
  }
  async deadlineOf() {
    return null;
  }
  async pinnedValue() {
    return 0n;
  }
  async collateralValue() {
    return 0n;
  }
}

describe("keeper index", () => {
  it("decodes every event it uses exactly like ethers' Interface.parseLog", () => {
    const a = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const b = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    const big = (1n << 255n) + 12345n;
    const cases: [string, unknown[]][] = [
      ["AccountOpened", [a, big]],
      ["Proven", [a, (1n << 64n) - 1n, packPrices(PRICES), 1_700_000_000n]],
      ["Updated", [a, 3n, big, -(10n ** 20n), 1n, 2n]],
      ["Updated", [a, 3n, 1n, 10n ** 20n, 0n, 0n]],
      ["Challenged", [a, 4n, b, 123n, packPrices(PRICES), big]],
      ["Responded", [a, 4n, b]],
      ["Liquidated", [a, 4n, b, 5n, 6n]],
      ["Claimed", [a, 1n, 2n, 3n]],
      ["IncentivesSet", [10n ** 16n, 500n, 100n, 500n, 10n ** 21n]],
      ["ChallengesUnpaused", [b, 99n]],
    ];
    for (const [name, values] of cases) {
      const l = log(1, name, values);
      const expected = registryInterface.parseLog({ topics: [...l.topics], data: l.data })!;
      const got = decodeArgs(l)!;
      expect(got.name).to.equal(name);
      expect(expected.fragment.inputs.map((i) => got.args[i.name])).to.deep.equal([...expected.args]);
    }
    const bad = log(1, "Proven", [a, 1n, 2n, 3n]);
    expect(() => decodeLog({ ...bad, data: bad.data.slice(0, -2) })).to.throw(/malformed Proven/);
    expect(decodeLog({ ...bad, removed: true })).to.equal(undefined);
  });

  it("follows an account through open, challenge, answer, challenge, liquidation and claim", async () => {
    const a = addr(1);
    const chain = new MemoryChain();
    const moved = [3_500n * E8, ...PRICES.slice(1)];
    chain.add([
      ...opened(1, a, 100n),
      log(2, "Deposited", [a, 0n, 5n]),
      log(3, "Challenged", [a, 1n, KEEPER, 400n, packPrices(moved), 7n]),
    ]);
    const idx = new Indexer(chain, { startBlock: 0, confirmations: 0, chunk: 100 });
    await idx.sync(await chain.head());
    expect(idx.view().get(a)).to.deep.equal({
      status: "active",
      nonce: 1n,
      provenAt: 100n,
      provenPrices: PRICES,
      challenge: { nonce: 1n, challenger: KEEPER, deadline: 400n, prices: moved },
    });
    chain.add([log(4, "Responded", [a, 1n, a]), log(4, "Proven", [a, 1n, packPrices(moved), 350n])]);
    await idx.sync(await chain.head());
    expect(idx.view().get(a)).to.deep.equal({ status: "active", nonce: 1n, provenAt: 350n, provenPrices: moved });
    chain.add([
      log(5, "Updated", [a, 2n, 9n, 0n, 0n, 0n]),
      log(5, "Proven", [a, 2n, packPrices(moved), 360n]),
      log(6, "Challenged", [a, 3n, KEEPER, 900n, packPrices(PRICES), 8n]),
    ]);
    chain.add([log(7, "Liquidated", [a, 3n, KEEPER, 10n, 1n])]);
    await idx.sync(await chain.head());
    expect(idx.view().get(a)).to.deep.equal({ status: "liquidated", nonce: 3n, provenAt: 360n, provenPrices: moved });
    chain.add([log(8, "Claimed", [a, 1n, 1n, 1n])]);
    await idx.sync(await chain.head());
    expect(idx.view().get(a)?.status).to.equal("closed");
    expect(decodeLog(log(9, "FundDeposited", [a, 0n, 1n]))).to.equal(undefined);
    expect(decodeLog(log(9, "TimingSet", [1n, 2n, 3n, 4n]))).to.deep.equal({ kind: "params", name: "TimingSet" });
  });

  it("catches up in chunks and ends with the same index as a single pass", async () => {
    const chain = new MemoryChain();
    for (let i = 0; i < 60; i++) chain.add(opened(i + 1, addr(i), BigInt(i)));
    chain.add([log(61, "Challenged", [addr(5), 1n, KEEPER, 1n, packPrices(PRICES), 1n])]);
    const chunked = new Indexer(chain, { startBlock: 0, confirmations: 3, chunk: 7 });
    await chunked.sync(await chain.head());
    expect(chain.ranges.every(([f, t]) => t - f + 1 <= 7)).to.equal(true);
    expect(chain.ranges[0][0]).to.equal(0);
    expect(chunked.finalizedBlock).to.equal(58);
    const single = new Indexer(chain, { startBlock: 0, confirmations: 0, chunk: 1_000 });
    await single.sync(await chain.head());
    expect([...chunked.view().entries()].sort()).to.deep.equal([...single.view().entries()].sort());
    expect(chunked.view().size).to.equal(60);
  });

  it("keeps unconfirmed blocks in an overlay that a reorg replaces, and asks nothing for an unchanged head", async () => {
    const chain = new MemoryChain();
    chain.add([...opened(1, addr(1), 10n), ...opened(2, addr(2), 10n)]);
    chain.add([log(9, "Challenged", [addr(1), 1n, KEEPER, 500n, packPrices(PRICES), 1n])]); // head 9, unconfirmed
    const idx = new Indexer(chain, { startBlock: 0, confirmations: 3, chunk: 100 });
    await idx.sync(await chain.head());
    expect(idx.finalizedBlock).to.equal(6);
    expect(idx.view().get(addr(1))?.challenge?.nonce).to.equal(1n);
    expect(idx.finalizedState().accounts.get(addr(1))?.challenge).to.equal(undefined);

    const before = chain.ranges.length;
    await idx.sync(await chain.head());
    expect(chain.ranges.length).to.equal(before); // same head: no eth_getLogs

    // Reorg of block 9: the challenge is gone, another account is challenged instead.
    chain.blocks.set(9, [log(9, "Challenged", [addr(2), 1n, KEEPER, 600n, packPrices(PRICES), 2n])]);
    chain.hashes.set(9, `0x${"ab".repeat(32)}`);
    await idx.sync(await chain.head());
    expect(idx.view().get(addr(1))?.challenge).to.equal(undefined);
    expect(idx.view().get(addr(2))?.challenge?.deadline).to.equal(600n);
  });

  it("writes checkpoints atomically and resumes from them, rebuilding when the block was reorged away", async () => {
    const dir = tmpDir("index");
    const chain = new MemoryChain();
    for (let i = 0; i < 10; i++) chain.add(opened(i + 1, addr(i), 5n));
    chain.add([log(12, "Challenged", [addr(3), 1n, KEEPER, 77n, packPrices(PRICES), 1n])]);
    chain.add([log(20, "Deposited", [addr(3), 0n, 1n])]);
    const file = path.join(dir, "cp.json");
    const cfg = loadConfig({
      file: writeConfig(dir, "k", {
        rpcUrl: "http://x:1",
        registry: addr(0),
        confirmations: 2,
        checkpointFile: "cp.json",
        checkpointEveryMs: 0,
        profit: { ethPriceInQuote: "1" },
      }),
      env: {},
    });
    const make = () =>
      new Keeper({
        config: cfg.config,
        chainId: 31337n,
        chain,
        indexer: new Indexer(chain, { startBlock: 0, confirmations: 2, chunk: 100 }, silent),
        log: silent,
      });
    const k1 = make();
    await k1.init();
    await k1.round();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
    const saved = loadCheckpoint(file);
    expect(saved.kind).to.equal("ok");
    if (saved.kind !== "ok") return;
    expect(saved.checkpoint.block).to.equal(18);
    expect(saved.checkpoint.accounts.get(addr(3))?.challenge?.deadline).to.equal(77n);

    chain.ranges = [];
    const k2 = make();
    await k2.init();
    await k2.round();
    expect(chain.ranges).to.deep.equal([[19, 20]]); // resumed after the checkpoint

    chain.hashes.set(18, `0x${"cd".repeat(32)}`); // the checkpoint's block is no longer canonical
    chain.ranges = [];
    const k3 = make();
    await k3.init();
    await k3.round();
    expect(chain.ranges[0][0]).to.equal(0); // rebuilt from startBlock

    fs.writeFileSync(file, "{ torn");
    expect(loadCheckpoint(file).kind).to.equal("corrupt");
    saveCheckpoint(file, {
      chainId: 1n,
      registry: addr(0),
      startBlock: 0,
      block: 3,
      blockHash: "0x00",
      accounts: new Map(),
    });
    const foreign = make();
    const err = await foreign.init().catch((e: { code?: string }) => e);
    expect(err).to.have.property("code", KeeperErrorCode.BadCheckpoint);
  });
});
