/**
 * The v2 index from deployment logs (synthetic logs encoded with the ABIs, fed through the same path as
 * eth_getLogs results): every event decodes as ethers' parseLog does (structs inline), the reducer keeps
 * the latest certificate and the open challenge record, our P&L ledger, chunked catch-up, the
 * unconfirmed overlay under a reorg, and checkpoints (atomic, verified, deployment-wide state included).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { getAddress } from "ethers";
import { MEMORY_INCENTIVES, MEMORY_TIMING, MemoryChain, memoryKeeper } from "../../keeper/chain/memory";
import { loadCheckpoint, saveCheckpoint } from "../../keeper/index/checkpoint";
import {
  type Role,
  auctionInterface,
  decodeArgs,
  decodeLog,
  fundInterface,
  registryInterface,
  takerInterface,
} from "../../keeper/index/events";
import { Indexer } from "../../keeper/index/indexer";
import type { Cert, ChallengeRecord, LogLike } from "../../keeper/index/types";
import { tmpDir } from "./helpers";

const addr = (i: number) => getAddress(`0x${(0x1000 + i).toString(16).padStart(40, "0")}`);
const ME = addr(999);
const REG = addr(900);
const HOUSE = addr(901);
const FUND = addr(902);
const TAKER = addr(903);
const roles = new Map<string, Role>([
  [REG.toLowerCase(), "registry"],
  [HOUSE.toLowerCase(), "auction"],
  [FUND.toLowerCase(), "fund"],
  [TAKER.toLowerCase(), "taker"],
]);
const IFACE = { registry: registryInterface, auction: auctionInterface, fund: fundInterface, taker: takerInterface };
const AT = { registry: REG, auction: HOUSE, fund: FUND, taker: TAKER };

function log(block: number, role: Role, name: string, values: unknown[]): LogLike {
  const { data, topics } = IFACE[role].encodeEventLog(name, values);
  return { blockNumber: block, address: AT[role], data, topics };
}
const cert = (provenAt: bigint, d = 500n): Cert => ({
  provenAt,
  d,
  pm: 0x0300_0300_0300_0300n,
  haircuts: 0x1f40_2710n,
  marketPrices: 123456789n,
  assetPrices: 98765n,
});
const record = (nonce: bigint, challenger = ME): ChallengeRecord => ({
  challenger,
  nonce,
  pinnedAt: 1000n,
  deadline: 1600n,
  pauseClockAt: 0n,
  bond: 10n ** 15n,
  exclusivePeriod: 120n,
  targetFactorBps: 12_500n,
  deleverageFeeBps: 50n,
  keeperShareBps: 2_000n,
  mm: 0x0258_0258_0258_0258n,
  haircuts: 0x1f40_2710n,
  marketPrices: 5n,
  assetPrices: 6n,
});
const liqRecord = { nonce: 2n, claimUntil: 99n, value: 4000n, penalty: 200n, marketPrices: 1n, assetPrices: 2n };

/** A chain of blocks of logs (replaceable, for reorgs), recording every getLogs range. */
class Blocks {
  blocks = new Map<number, LogLike[]>();
  hashes = new Map<number, string>();
  top = 0;
  ranges: [number, number][] = [];
  add(l: LogLike[]) {
    for (const x of l) {
      this.blocks.set(x.blockNumber, [...(this.blocks.get(x.blockNumber) ?? []), x]);
      this.top = Math.max(this.top, x.blockNumber);
    }
  }
  head() {
    return { number: this.top, hash: this.hashes.get(this.top) ?? `0x${this.top.toString(16).padStart(64, "0")}` };
  }
  async logs(from: number, to: number) {
    this.ranges.push([from, to]);
    const out: LogLike[] = [];
    for (let b = from; b <= to; b++) out.push(...(this.blocks.get(b) ?? []));
    return out;
  }
}

describe("keeper v2 index", () => {
  it("decodes every event it uses exactly like ethers' Interface.parseLog (structs inline)", () => {
    const cases: [Role, string, unknown[]][] = [
      ["registry", "AccountOpened", [addr(1), 7n]],
      ["registry", "Deposited", [addr(1), 1n, 5n]],
      ["registry", "Updated", [addr(1), 3n, 9n, -42n, 1n, 8n]],
      ["registry", "Certified", [addr(1), 3n, cert(77n)]],
      ["registry", "Challenged", [addr(1), ME, record(4n)]],
      ["registry", "Responded", [addr(1), 4n, addr(2)]],
      ["registry", "Deleveraged", [addr(1), 4n, 11n, 12n, addr(3)]],
      ["registry", "Liquidated", [addr(1), ME, liqRecord, 13n]],
      ["registry", "Claimed", [addr(1), 1n, 2n, 3n]],
      ["registry", "LossCovered", [addr(1), 1n, 14n]],
      ["registry", "TimingSet", [MEMORY_TIMING]],
      ["registry", "IncentivesSet", [MEMORY_INCENTIVES]],
      ["registry", "HaircutsSet", [0x1f40_2710n]],
      ["registry", "Paused", [addr(4), 5000n]],
      ["registry", "Unpaused", [addr(4), 60n]],
      ["auction", "Kick", [1n, 1n, 10n ** 18n, 3n * 10n ** 27n]],
      ["auction", "Take", [1n, ME, TAKER, 5n, 6n, 7n, 8n]],
      ["auction", "Redo", [1n, 9n, 10n, ME, 11n]],
      ["fund", "Owed", [0n, addr(5), 100n]],
      ["fund", "Repaid", [0n, addr(5), 40n, 60n]],
      ["taker", "TakeAndSwap", [1n, 6n, 7n, 3n]],
    ];
    for (const [role, name, values] of cases) {
      const l = log(1, role, name, values);
      const ours = decodeArgs(role, l)!;
      const ref = IFACE[role].parseLog({ topics: [...l.topics], data: l.data })!;
      expect(ours.name).to.equal(name);
      const plain = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(plain) : typeof v === "object" && v !== null ? Object.values(v).map(plain) : v;
      const refArgs = ref.fragment.inputs.map((inp, i) => plain(ref.args[i]?.toObject?.() ?? ref.args[i]));
      expect(
        ref.fragment.inputs.map((inp) => plain(ours.args[inp.name])),
        name,
      ).to.deep.equal(refArgs);
      expect(decodeLog(role, l), name).to.not.equal(undefined);
    }
  });

  it("keeps the latest certificate, the open record, estimated balances and our ledger", async () => {
    const chain = new Blocks();
    const a = addr(1);
    chain.add([
      log(1, "registry", "AccountOpened", [a, 1n]),
      log(1, "registry", "Certified", [a, 0n, cert(10n)]),
      log(2, "registry", "Deposited", [a, 0n, 4_000_000_000n]),
      log(2, "registry", "Deposited", [a, 1n, 10n ** 18n]),
      log(3, "registry", "Updated", [a, 1n, 5n, 0n, 1n, 4n * 10n ** 17n]),
      log(3, "registry", "Certified", [a, 1n, cert(20n)]),
      log(4, "registry", "Challenged", [a, ME, record(2n)]),
      log(5, "registry", "Responded", [a, 2n, a]),
      log(5, "registry", "Certified", [a, 2n, cert(30n)]),
      log(6, "registry", "Challenged", [a, ME, record(3n)]),
    ]);
    const idx = new Indexer(chain, {
      startBlock: 0,
      confirmations: 0,
      chunk: 100,
      roles,
      identity: { me: ME, taker: TAKER },
    });
    await idx.sync(chain.head());
    let r = idx.view().get(a)!;
    expect(r.cert).to.deep.equal(cert(30n));
    expect(r.challenge).to.deep.equal(record(3n));
    expect(r.nonce).to.equal(3n);
    expect(r.balances).to.deep.equal([4_000_000_000n, 6n * 10n ** 17n, 0n, 0n]);
    expect(r.approx).to.equal(undefined);
    let l = idx.view().global.ledger;
    expect([l.challenges, l.bondsLost, l.bondsLostWei]).to.deep.equal([2n, 1n, 10n ** 15n]);

    chain.add([
      log(7, "registry", "Liquidated", [a, ME, liqRecord, 13n]),
      log(7, "auction", "Kick", [1n, 1n, 6n * 10n ** 17n, 3n * 10n ** 27n]),
      log(8, "auction", "Take", [1n, TAKER, TAKER, 5n, 10n ** 17n, 7n, 5n * 10n ** 17n]),
      log(8, "taker", "TakeAndSwap", [1n, 10n ** 17n, 7n, 3n]),
      log(9, "fund", "Owed", [0n, addr(5), 100n]),
      log(9, "fund", "Repaid", [0n, addr(5), 100n, 0n]),
      log(9, "registry", "Paused", [addr(4), 5000n]),
      log(9, "registry", "Claimed", [a, 1n, 1n, 1n]),
    ]);
    const sync = await idx.sync(chain.head());
    expect(sync.paramsChanged).to.equal(true);
    r = idx.view().get(a)!;
    expect(r.status).to.equal("closed");
    expect(r.challenge).to.equal(undefined);
    const g = idx.view().global;
    l = g.ledger;
    expect([l.liquidations, l.bountyValue, l.bondsWon, l.bondsReturnedWei]).to.deep.equal([1n, 13n, 1n, 10n ** 15n]);
    expect([l.auctionTakes, l.bought[1], l.takeProfit]).to.deep.equal([1n, 10n ** 17n, 3n]);
    expect(g.auctions.get("1")?.lot).to.equal(5n * 10n ** 17n);
    expect([g.owedEntries, g.repaidEntries, g.owedTotal, g.pausedUntil]).to.deep.equal([1n, 1n, 0n, 5000n]);
  });

  it("catches up in chunks and ends with the same index as a single pass", async () => {
    const chain = new Blocks();
    for (let i = 0; i < 60; i++)
      chain.add([
        log(i + 1, "registry", "AccountOpened", [addr(i), 1n]),
        log(i + 1, "registry", "Certified", [addr(i), 0n, cert(BigInt(i))]),
      ]);
    chain.add([log(61, "registry", "Challenged", [addr(5), ME, record(1n)])]);
    const chunked = new Indexer(chain, { startBlock: 0, confirmations: 3, chunk: 7, roles });
    await chunked.sync(chain.head());
    expect(chain.ranges.every(([f, t]) => t - f + 1 <= 7)).to.equal(true);
    expect(chunked.finalizedBlock).to.equal(58);
    const single = new Indexer(chain, { startBlock: 0, confirmations: 0, chunk: 1_000, roles });
    await single.sync(chain.head());
    expect([...chunked.view().entries()].sort()).to.deep.equal([...single.view().entries()].sort());
  });

  it("keeps unconfirmed blocks in an overlay that a reorg replaces, and asks nothing for an unchanged head", async () => {
    const chain = new Blocks();
    chain.add([
      log(1, "registry", "Certified", [addr(1), 0n, cert(1n)]),
      log(2, "registry", "Certified", [addr(2), 0n, cert(1n)]),
    ]);
    chain.add([log(9, "registry", "Challenged", [addr(1), ME, record(1n)])]);
    const idx = new Indexer(chain, { startBlock: 0, confirmations: 3, chunk: 100, roles, identity: { me: ME } });
    await idx.sync(chain.head());
    expect(idx.view().get(addr(1))?.challenge?.nonce).to.equal(1n);
    expect(idx.finalizedState().accounts.get(addr(1))?.challenge).to.equal(undefined);
    expect(idx.view().global.ledger.challenges).to.equal(1n);
    expect(idx.finalizedState().global.ledger.challenges).to.equal(0n);
    const before = chain.ranges.length;
    await idx.sync(chain.head());
    expect(chain.ranges.length).to.equal(before);
    chain.blocks.set(9, [log(9, "registry", "Challenged", [addr(2), addr(7), record(1n, addr(7))])]);
    chain.hashes.set(9, `0x${"ab".repeat(32)}`);
    await idx.sync(chain.head());
    expect(idx.view().get(addr(1))?.challenge).to.equal(undefined);
    expect(idx.view().get(addr(2))?.challenge?.challenger).to.equal(addr(7));
    expect(idx.view().global.ledger.challenges).to.equal(0n);
  });

  it("checkpoints the records, the deployment-wide state and the gas spent, and resumes from them", async () => {
    const dir = tmpDir("index");
    const file = path.join(dir, "cp.json");
    const chain = new MemoryChain();
    for (let i = 0; i < 20; i++) chain.open(addr(i), 4_000_000_000n);
    for (let i = 0; i < 5; i++) chain.mine();
    const k1 = memoryKeeper(chain, { overrides: { checkpointFile: file, confirmations: 2 }, persist: true });
    await k1.init();
    await k1.round();
    k1.addSpent(123n);
    await k1.saveCheckpoint(true);
    const saved = loadCheckpoint(file);
    expect(saved.kind).to.equal("ok");
    if (saved.kind !== "ok") return;
    expect(saved.checkpoint.accounts.size).to.equal(20);
    expect(saved.checkpoint.global.timing).to.deep.equal(MEMORY_TIMING);
    expect(saved.checkpoint.spent?.gasWei).to.equal(123n);
    expect(saved.checkpoint.accounts.get(addr(3))?.cert?.provenAt).to.equal(chain.now - 10n);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
    const k2 = memoryKeeper(chain, { overrides: { checkpointFile: file, confirmations: 2 } });
    await k2.init();
    expect(k2.pnl().gasWei).to.equal(123n);
    expect(k2.view.size).to.equal(20);
    fs.writeFileSync(file, "{ torn");
    expect(loadCheckpoint(file).kind).to.equal("corrupt");
    saveCheckpoint(file, { ...saved.checkpoint, chainId: 5n });
    const err = await memoryKeeper(chain, { overrides: { checkpointFile: file } })
      .init()
      .catch((e: { code?: string }) => e);
    expect(err).to.have.property("code", "BAD_CHECKPOINT");
  });
});
