/**
 * Relayer figures, against a local `hardhat node` process over JSON-RPC with the relayer in process
 * (fastify on 127.0.0.1) and real traders' Certificate answers:
 *
 *  relayer.answer_latency_ms  median over 16 answers of (POST received by the relayer -> its batch mined,
 *                             as the relayer sees the receipt); the node mines a block every second (interval
 *                             mining, automine off), the answers arrive 150 ms apart, the relayer runs its
 *                             defaults except a 100 ms head poll. So the figure is about half a block of
 *                             waiting for the next block, plus one block for the batch to be included.
 *  relayer.intake_ms          median POST /answers round trip (shape, chain reads, snarkjs verification)
 *  gas.respond_batch{1,8,16}_per_account  gasUsed of the respondBatch receipt the relayer got for a full
 *                             batch of k answers (batch.maxSize = k), divided by k
 *
 * Exported for bench/run.ts: `relayerFigures()`.
 */
import { performance } from "node:perf_hooks";
import pino from "pino";
import { postAnswerTo } from "../core/relayerClient";
import { type ProverKeys, loadKeys } from "../prover/lib/circuits";
import { parseConfig } from "../relayer/config";
import { type Relayer, startRelayer } from "../relayer/relayer";
import { type Trader, answerAll, challengeAll, openTraders } from "../scripts/lib/challenged";
import type { System } from "../scripts/lib/deploy";
import { DEV_KEYS, deployToNode, rpc, startNode } from "../scripts/lib/node";
import { type Figure, figure, median, progress, round } from "./lib/figures";

const TRADERS = 16;
const BLOCK_MS = 1_000;
const SPACING_MS = 150;

async function relayer(sys: System, url: string, batch: Record<string, number>): Promise<Relayer> {
  const c = parseConfig({
    rpcUrl: url,
    registry: sys.addresses.registry,
    lens: sys.addresses.lens,
    http: { port: 0 },
    batch: { blockPollMs: 100, ...batch },
    gas: { receiptPollMs: 100 },
  });
  return startRelayer(c, DEV_KEYS[3], pino({ level: "silent" }));
}

async function waitAnswered(r: Relayer, ids: readonly string[], ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const fates = ids.map((id) => r.store.get(id));
    const bad = fates.find((e) => e && (e.status === "failed" || e.status === "skipped"));
    if (bad) throw new Error(`an answer was ${bad.status}: ${bad.reason}`);
    if (fates.every((e) => e?.status === "answered")) return;
    if (Date.now() > end) throw new Error(`answers not mined within ${ms} ms`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function post(r: Relayer, a: Parameters<typeof postAnswerTo>[1]): Promise<{ id: string; ms: number }> {
  const t0 = performance.now();
  const s = await postAnswerTo(r.url, a, { timeoutMs: 30_000 });
  const ms = performance.now() - t0;
  if (!s.accepted) throw new Error(`the relayer refused an answer: ${s.code} ${s.message}`);
  return { id: s.id, ms };
}

/** One full batch of `ts.length` answers; its receipt's gasUsed per member. */
async function batchGas(keys: ProverKeys, sys: System, url: string, ts: readonly Trader[]): Promise<number> {
  const answers = await answerAll(keys, sys, ts, await challengeAll(sys, url, ts));
  const r = await relayer(sys, url, { maxSize: ts.length, maxWaitMs: 600_000 });
  try {
    const ids = (await Promise.all(answers.map((a) => post(r, a)))).map((p) => p.id);
    await waitAnswered(r, ids);
    const hashes = new Set(ids.map((id) => r.store.get(id)!.txHash));
    if (hashes.size !== 1) throw new Error(`${ts.length} answers went in ${hashes.size} transactions`);
    const b = r.batcher.history.at(-1)!;
    progress(`relayer: batch of ${ts.length}: ${b.gasUsed} gas`);
    return Number(b.gasUsed) / ts.length;
  } finally {
    await r.close();
  }
}

export async function relayerFigures(): Promise<Figure[]> {
  const node = await startNode();
  try {
    const sys = await deployToNode(node.url);
    const keys = await loadKeys();
    progress(`relayer: opening ${TRADERS} accounts`);
    const traders = await openTraders(sys, node.url, TRADERS);
    const out: Figure[] = [];

    // latency: answers trickle in while the node mines a block a second
    const answers = await answerAll(keys, sys, traders, await challengeAll(sys, node.url, traders));
    const r = await relayer(sys, node.url, {});
    const posted: { id: string; ms: number }[] = [];
    try {
      await rpc(node.url, "evm_setAutomine", [false]);
      await rpc(node.url, "evm_setIntervalMining", [BLOCK_MS]);
      for (const a of answers) {
        posted.push(await post(r, a));
        await new Promise((res) => setTimeout(res, SPACING_MS));
      }
      await waitAnswered(
        r,
        posted.map((p) => p.id),
      );
    } finally {
      await rpc(node.url, "evm_setIntervalMining", [0]);
      await rpc(node.url, "evm_setAutomine", [true]);
      await r.close();
    }
    const latency = posted.map((p) => {
      const e = r.store.get(p.id)!;
      return e.minedAt! - e.receivedAt;
    });
    progress(
      `relayer: latency ${latency.map((x) => Math.round(x)).join(" ")} ms; batches ${r.batcher.history.map((b) => b.members).join(" ")}`,
    );
    out.push(figure("relayer.answer_latency_ms", Math.round(median(latency)), "ms"));
    out.push(figure("relayer.intake_ms", round(median(posted.map((p) => p.ms))), "ms"));

    for (const k of [1, 8, TRADERS]) {
      out.push(
        figure(
          `gas.respond_batch${k}_per_account`,
          Math.round(await batchGas(keys, sys, node.url, traders.slice(0, k))),
          "gas",
        ),
      );
    }
    return out;
  } finally {
    await node.stop();
  }
}
