/**
 * The relayer in process (fastify on 127.0.0.1) against a `hardhat node` process over JSON-RPC, with
 * real traders' Certificate answers (prover/lib/actions prepareResponse): batching, refusals, members
 * closed elsewhere before and during a batch, batches that revert (simulated and mined), the HTTP limits,
 * and a send whose answer is lost.
 */
import { expect } from "chai";
import { JsonRpcProvider, Transaction, Wallet } from "ethers";
import { type RelayedAnswer, type Submission, encodeAnswer, postAnswerTo } from "../../core/relayerClient";
import { BASE_FIELD } from "../../core/groth16";
import { type ChallengeRecord, ChainView } from "../../prover/lib/chain";
import { type ProverKeys, loadKeys } from "../../prover/lib/circuits";
import { type ReadyAnswer, type Trader, answerAll, challengeAll, openTraders } from "../../scripts/lib/challenged";
import type { System } from "../../scripts/lib/deploy";
import { type NodeProcess, deployToNode, devWallet, startNode } from "../helpers/node";
import { LossyProxy, RELAYER_KEY, mine, setAutomine, startTestRelayer, waitForFates } from "./helpers";

const RELAYER = new Wallet(RELAYER_KEY).address;

describe("Relayer (in-process fastify, hardhat node process over JSON-RPC, real proofs)", function () {
  this.timeout(600_000);
  let node: NodeProcess;
  let sys: System;
  let keys: ProverKeys;
  let traders: Trader[];
  let provider: JsonRpcProvider;

  before(async () => {
    node = await startNode();
    sys = await deployToNode(node.url);
    keys = await loadKeys();
    traders = await openTraders(sys, node.url, 5);
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  });
  after(async () => {
    provider?.destroy();
    await node?.stop();
  });

  /** Challenges `ts` and proves their answers; first closes any challenge an earlier test left open. */
  async function ready(ts: readonly Trader[]): Promise<ReadyAnswer[]> {
    const records = new Map<string, ChallengeRecord>();
    for (const t of ts) {
      const view = new ChainView(sys.registry, t.address, sys.deploymentBlock);
      const rec = await view.openChallenge((await sys.registry.accountOf(t.address)).recordHash);
      if (rec) records.set(t.address, rec);
    }
    const left = ts.filter((t) => records.has(t.address));
    if (left.length > 0) {
      const answers = await answerAll(keys, sys, left, records);
      await (await sys.registry.connect(devWallet(node.url, 5)).respondBatch(answers)).wait();
    }
    return answerAll(keys, sys, ts, await challengeAll(sys, node.url, ts));
  }
  const ids = (subs: Submission[]) =>
    subs.map((s) => {
      if (!s.accepted) throw new Error(`refused: ${s.code} ${s.message}`);
      return s.id;
    });
  async function open(account: string): Promise<boolean> {
    return !/^0x0+$/.test((await sys.registry.accountOf(account)).recordHash);
  }
  async function respondedBy(txHash: string): Promise<string[]> {
    const rc = await provider.getTransactionReceipt(txHash);
    return rc!.logs.flatMap((l) => {
      const ev = sys.registry.interface.parseLog(l);
      return ev?.name === "Responded" ? [`${ev.args.account}:${ev.args.submitter}`] : [];
    });
  }

  it("batches several traders' answers into one respondBatch and is paid its share of each bond", async () => {
    // a full batch goes at once; nothing else (no block, no timer) sends part of it
    const r = await startTestRelayer(sys, node.url, { batch: { maxSize: 4, maxWaitMs: 600_000 } });
    try {
      const answers = await ready(traders.slice(0, 4));
      const before = await provider.getBalance(RELAYER);
      const subs = await Promise.all(answers.map((a) => postAnswerTo(r.url, a)));
      const fates = await waitForFates(r.url, ids(subs));
      expect(fates.map((f) => f.status)).to.deep.equal(["answered", "answered", "answered", "answered"]);
      const hash = fates[0].txHash!;
      expect(new Set(fates.map((f) => f.txHash))).to.have.length(1);
      const tx = await provider.getTransaction(hash);
      expect(tx!.from).to.equal(RELAYER);
      const call = sys.registry.interface.parseTransaction({ data: tx!.data })!;
      expect(call.name).to.equal("respondBatch");
      expect(call.args[0]).to.have.length(4);
      expect(await respondedBy(hash)).to.have.members(answers.map((a) => `${a.account}:${RELAYER}`));
      for (const a of answers) expect(await open(a.account)).to.equal(false);
      // the relayer share of each bond, less the gas it paid
      const rc = await provider.getTransactionReceipt(hash);
      const { bond, relayerShareBps } = await sys.registry.incentives();
      const share = (bond * relayerShareBps) / 10_000n;
      expect((await provider.getBalance(RELAYER)) - before).to.equal(4n * share - rc!.gasUsed * rc!.gasPrice);
      // the logs name accounts and transactions, never a proof
      const coordinate = answers[0].proof.a[0].toString();
      expect(r.logs.some((l) => l.includes("answer accepted"))).to.equal(true);
      expect(r.logs.some((l) => l.includes(coordinate))).to.equal(false);
    } finally {
      await r.close();
    }
  });

  it("refuses a bad proof at once, naming what is wrong, and answers the others", async () => {
    const r = await startTestRelayer(sys, node.url, { batch: { maxWaitMs: 1_000 } });
    try {
      const answers = await ready(traders.slice(0, 3));
      const [good0, victim, good2] = answers;
      const forged: RelayedAnswer = { ...victim, proof: { ...victim.proof, c: good0.proof.c } };
      const t0 = Date.now();
      const refused = await postAnswerTo(r.url, forged);
      expect(Date.now() - t0).to.be.below(2_000);
      expect(refused).to.deep.include({ accepted: false, httpStatus: 422, code: "PROOF_INVALID" });
      expect((refused as { message: string }).message).to.match(
        /does not verify for account 0x[0-9a-fA-F]{40}'s challenge/,
      );

      // other refusals: another record, a box respond refuses, a coordinate >= q, malformed JSON
      const otherRecord = await postAnswerTo(r.url, {
        ...victim,
        record: { ...victim.record, bond: victim.record.bond + 1n },
      });
      expect(otherRecord).to.deep.include({ accepted: false, httpStatus: 422, code: "BAD_RECORD" });
      const wide = await postAnswerTo(r.url, { ...victim, d: 6_000n });
      expect(wide).to.deep.include({ accepted: false, httpStatus: 422, code: "BAD_CERTIFICATE" });
      expect((wide as { message: string }).message).to.match(/d = 6000 is wider than the largest box/);
      const alias = await postAnswerTo(r.url, {
        ...victim,
        proof: { ...victim.proof, a: [victim.proof.a[0], victim.proof.a[1] + BASE_FIELD] },
      });
      expect(alias).to.deep.include({ accepted: false, httpStatus: 400, code: "BAD_REQUEST" });
      expect((alias as { message: string }).message).to.match(
        /proof\.a\.1: must be below the BN254 base field modulus q/,
      );
      const junk = await fetch(`${r.url}/answers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{",
      });
      expect(junk.status).to.equal(400);
      const missing = await fetch(`${r.url}/answers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...encodeAnswer(good0), d: undefined }),
      });
      expect(missing.status).to.equal(400);
      expect(((await missing.json()) as { error: { message: string } }).error.message).to.match(
        /^the answer is malformed: d:/,
      );

      const subs = await Promise.all([good0, good2].map((a) => postAnswerTo(r.url, a)));
      const again = await postAnswerTo(r.url, good0); // the same challenge twice: the first answer's id
      expect(again).to.deep.include({ accepted: true, id: ids(subs)[0] });
      const fates = await waitForFates(r.url, ids(subs));
      expect(fates.map((f) => f.status)).to.deep.equal(["answered", "answered"]);
      expect(await open(victim.account)).to.equal(true);
      const late = await postAnswerTo(r.url, good0);
      expect(late).to.deep.include({ accepted: true, id: ids(subs)[0], status: "answered" });

      // the victim's own, valid answer still goes through
      const [v] = ids([await postAnswerTo(r.url, victim)]);
      expect((await waitForFates(r.url, [v]))[0].status).to.equal("answered");
      expect((await (await fetch(`${r.url}/answers/nope`)).json()) as object).to.deep.include({
        error: {
          code: "NOT_FOUND",
          message: "no answer nope here (never accepted, or forgotten after its retention time)",
        },
      });
    } finally {
      await r.close();
    }
  });

  it("skips a member answered elsewhere before its batch is sent", async () => {
    const answers = await ready(traders.slice(0, 3));
    const r = await startTestRelayer(sys, node.url, { batch: { maxWaitMs: 600_000 } });
    await setAutomine(node.url, false);
    try {
      const subs = ids(await Promise.all(answers.map((a) => postAnswerTo(r.url, a))));
      const own = answers[1];
      const trader = traders[1].wallet;
      await sys.registry.connect(trader).respond(own.account, own.record, own.d, own.pm, own.proof);
      await mine(node.url); // the trader's own respond: a new block, so the relayer sends what it holds
      const inFlight = await waitForFates(r.url, subs, (f) => f.status !== "queued");
      expect(inFlight.map((f) => f.status)).to.deep.equal(["submitted", "skipped", "submitted"]);
      expect(inFlight[1]).to.deep.include({ code: "answered-elsewhere" });
      await mine(node.url);
      const fates = await waitForFates(r.url, subs);
      expect(fates.map((f) => f.status)).to.deep.equal(["answered", "skipped", "answered"]);
      const call = sys.registry.interface.parseTransaction({
        data: (await provider.getTransaction(fates[0].txHash!))!.data,
      });
      expect(call!.args[0]).to.have.length(2); // the skipped member was not sent
    } finally {
      await setAutomine(node.url, true);
      await r.close();
    }
  });

  it("skips a member the contract found closed when the batch ran (answered first in the same block)", async () => {
    const answers = await ready(traders.slice(0, 3));
    const r = await startTestRelayer(sys, node.url, { batch: { maxSize: 3, maxWaitMs: 600_000 } });
    await setAutomine(node.url, false);
    try {
      const subs = ids(await Promise.all(answers.map((a) => postAnswerTo(r.url, a))));
      await waitForFates(r.url, subs, (f) => f.status === "submitted"); // a full batch goes at once
      const own = answers[2];
      await sys.registry.connect(traders[2].wallet).respond(own.account, own.record, own.d, own.pm, own.proof, {
        maxPriorityFeePerGas: 50n * 10n ** 9n,
        maxFeePerGas: 100n * 10n ** 9n,
        gasLimit: 1_000_000, // an estimate would run after the pending batch, which answers it
      });
      await mine(node.url); // the trader's respond (higher tip) runs first; the batch skips its member
      const fates = await waitForFates(r.url, subs);
      expect(fates.map((f) => f.status)).to.deep.equal(["answered", "answered", "skipped"]);
      expect(fates[2]).to.deep.include({ code: "answered-elsewhere" });
      expect(await respondedBy(fates[0].txHash!)).to.have.members([
        `${answers[0].account}:${RELAYER}`,
        `${answers[1].account}:${RELAYER}`,
      ]);
    } finally {
      await setAutomine(node.url, true);
      await r.close();
    }
  });

  it("bisects by simulation when a member stopped verifying after it was accepted, and sends the rest in one batch", async () => {
    const answers = await ready(traders.slice(0, 4));
    const r = await startTestRelayer(sys, node.url, { batch: { maxWaitMs: 600_000 } });
    await setAutomine(node.url, false);
    try {
      const subs = ids(await Promise.all(answers.map((a) => postAnswerTo(r.url, a))));
      await topUp(traders[2]); // V changes: the accepted proof no longer matches the signals
      await mine(node.url);
      const inFlight = await waitForFates(r.url, subs, (f) => f.status !== "queued");
      expect(inFlight.map((f) => f.status)).to.deep.equal(["submitted", "submitted", "failed", "submitted"]);
      expect(inFlight[2].code).to.equal("REVERTED");
      expect(inFlight[2].reason).to.match(/the proof no longer verifies at the current state/);
      await mine(node.url);
      const fates = await waitForFates(r.url, subs);
      expect(fates.map((f) => f.status)).to.deep.equal(["answered", "answered", "failed", "answered"]);
      expect(new Set([fates[0].txHash, fates[1].txHash, fates[3].txHash])).to.have.length(1);
      expect(r.logs.some((l) => l.includes("bisecting"))).to.equal(true);
    } finally {
      await setAutomine(node.url, true);
      await r.close();
    }
    // the trader re-proves at its new collateral: answered
    const again = await answerAll(keys, sys, [traders[2]], new Map([[traders[2].address, answers[2].record]]));
    const r2 = await startTestRelayer(sys, node.url);
    try {
      const [id] = ids([await postAnswerTo(r2.url, again[0])]);
      expect((await waitForFates(r2.url, [id]))[0].status).to.equal("answered");
    } finally {
      await r2.close();
    }
  });

  it("bisects a batch that reverted on chain and answers the members that still verify", async () => {
    const answers = await ready(traders.slice(0, 3));
    const r = await startTestRelayer(sys, node.url, { batch: { maxSize: 3, maxWaitMs: 600_000 } });
    await setAutomine(node.url, false);
    try {
      const subs = ids(await Promise.all(answers.map((a) => postAnswerTo(r.url, a))));
      const first = await waitForFates(r.url, subs, (f) => f.status === "submitted");
      await topUp(traders[0], { maxPriorityFeePerGas: 50n * 10n ** 9n, maxFeePerGas: 100n * 10n ** 9n });
      await mine(node.url); // the deposit runs first: the batch reverts with Registry__BatchInvalid
      const reverted = await provider.getTransactionReceipt(first[0].txHash!);
      expect(reverted!.status).to.equal(0);
      const second = await waitForFates(r.url, subs, (f) => f.status !== "queued" && f.txHash !== first[0].txHash);
      expect(second.map((f) => f.status)).to.deep.equal(["failed", "submitted", "submitted"]);
      await mine(node.url);
      const fates = await waitForFates(r.url, subs);
      expect(fates.map((f) => f.status)).to.deep.equal(["failed", "answered", "answered"]);
      expect(fates[0].reason).to.match(/no longer verifies/);
      expect(r.logs.some((l) => l.includes("batch reverted on chain"))).to.equal(true);
    } finally {
      await setAutomine(node.url, true);
      await r.close();
    }
    // leave no challenge open for the next test
    const again = await answerAll(keys, sys, [traders[0]], new Map([[traders[0].address, answers[0].record]]));
    await (await sys.registry.connect(devWallet(node.url, 5)).respondBatch(again)).wait();
  });

  it("limits the body size, the requests per client, the checks at once and the queue length", async () => {
    const answers = await ready(traders.slice(0, 3));
    const body = JSON.stringify({ ...encodeAnswer(answers[0]), padding: "x".repeat(5_000) });
    const small = await startTestRelayer(sys, node.url, { http: { bodyLimitBytes: 4_096 } });
    try {
      const res = await fetch(`${small.url}/answers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(res.status).to.equal(413);
      expect(await res.json()).to.deep.equal({
        error: { code: "BODY_TOO_LARGE", message: "the body is larger than 4096 bytes" },
      });
    } finally {
      await small.close();
    }
    const strict = await startTestRelayer(sys, node.url, {
      http: { postsPerWindow: 2, getsPerWindow: 5, rateWindowMs: 60_000 },
    });
    try {
      const post = () =>
        fetch(`${strict.url}/answers`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect((await post()).status).to.equal(400);
      expect((await post()).status).to.equal(400);
      const limited = await post();
      expect(limited.status).to.equal(429);
      const err = ((await limited.json()) as { error: { code: string; message: string } }).error;
      expect(err.code).to.equal("RATE_LIMITED");
      expect(err.message).to.match(/^too many requests from this address: at most 2 per 60000 ms/);
      expect((await fetch(`${strict.url}/healthz`)).status).to.equal(200); // GETs have their own budget
    } finally {
      await strict.close();
    }
    const narrow = await startTestRelayer(sys, node.url, {
      http: { maxConcurrentChecks: 1 },
      batch: { maxWaitMs: 600_000 },
    });
    try {
      const subs = await Promise.all(answers.map((a) => postAnswerTo(narrow.url, a)));
      expect(subs.filter((s) => s.accepted).length).to.be.at.least(1);
      const busy = subs.filter((s) => !s.accepted);
      expect(busy.length).to.be.at.least(1);
      for (const b of busy) expect(b).to.deep.include({ httpStatus: 503, code: "BUSY" });
    } finally {
      await narrow.close();
    }
    const short = await startTestRelayer(sys, node.url, { queue: { maxQueued: 2 }, batch: { maxWaitMs: 600_000 } });
    try {
      const subs = await Promise.all(answers.slice(0, 2).map((a) => postAnswerTo(short.url, a)));
      expect(subs.every((s) => s.accepted)).to.equal(true);
      const full = await postAnswerTo(short.url, answers[2]);
      expect(full).to.deep.include({ accepted: false, httpStatus: 503, code: "QUEUE_FULL" });
      expect((full as { message: string }).message).to.match(/queue is full \(2 answers waiting\)/);
    } finally {
      await short.close();
    }
    await (await sys.registry.connect(devWallet(node.url, 5)).respondBatch(answers)).wait();
  });

  it("replaces a batch that is not mined with higher fees, same nonce", async () => {
    const answers = await ready(traders.slice(0, 2));
    const recorder = new LossyProxy(node.url); // loses nothing: it records what the relayer sends
    await recorder.start();
    const r = await startTestRelayer(sys, recorder.url, {
      batch: { maxSize: 2, maxWaitMs: 600_000 },
      gas: { stuckAfterMs: 400, maxAttempts: 3, bumpPercent: 25 },
    });
    await setAutomine(node.url, false);
    try {
      const nonce = await provider.getTransactionCount(RELAYER, "latest");
      const subs = ids(await Promise.all(answers.map((a) => postAnswerTo(r.url, a))));
      const first = (await waitForFates(r.url, subs, (f) => f.status === "submitted"))[0].txHash!;
      await waitForFates(r.url, subs, (f) => f.status === "submitted" && f.txHash !== first, 20_000);
      await mine(node.url);
      const fates = await waitForFates(r.url, subs);
      expect(fates.map((f) => f.status)).to.deep.equal(["answered", "answered"]);
      expect(fates[0].txHash).to.not.equal(first);
      const sent = [
        ...new Map(recorder.sends.map((raw) => [Transaction.from(raw).hash, Transaction.from(raw)])).values(),
      ];
      expect(sent.length).to.be.within(2, 3);
      for (let i = 1; i < sent.length; i++) {
        expect(sent[i].nonce).to.equal(sent[0].nonce);
        expect(sent[i].data).to.equal(sent[0].data);
        expect(sent[i].maxFeePerGas! >= (sent[i - 1].maxFeePerGas! * 125n) / 100n).to.equal(true);
        expect(sent[i].maxPriorityFeePerGas! >= (sent[i - 1].maxPriorityFeePerGas! * 125n) / 100n).to.equal(true);
      }
      expect(await provider.getTransactionCount(RELAYER, "latest")).to.equal(nonce + 1);
      expect(r.logs.some((l) => l.includes("replaced with higher fees"))).to.equal(true);
    } finally {
      await setAutomine(node.url, true);
      await r.close();
      await recorder.stop();
    }
  });

  it("does not send answered members again when the node's answer to the send is lost", async () => {
    const proxy = new LossyProxy(node.url);
    await proxy.start();
    const r = await startTestRelayer(sys, proxy.url, { batch: { maxSize: 3, maxWaitMs: 600_000 } });
    try {
      const answers = await ready(traders.slice(0, 3));
      const nonce = await provider.getTransactionCount(RELAYER, "latest");
      proxy.loseSends = 1;
      const subs = ids(await Promise.all(answers.map((a) => postAnswerTo(r.url, a))));
      const fates = await waitForFates(r.url, subs);
      expect(fates.map((f) => f.status)).to.deep.equal(["answered", "answered", "answered"]);
      expect(proxy.lost).to.equal(1);
      // one transaction signed (the same bytes may be broadcast again), one nonce used, each member once
      expect(new Set(proxy.sends.map((raw) => Transaction.from(raw).hash))).to.have.length(1);
      expect(await provider.getTransactionCount(RELAYER, "latest")).to.equal(nonce + 1);
      expect(await respondedBy(fates[0].txHash!)).to.have.length(3);
      expect(r.logs.some((l) => l.includes("send not confirmed: looking it up"))).to.equal(true);
    } finally {
      await r.close();
      await proxy.stop();
    }
  });

  /** Deposits one more settlement unit for the trader (its collateral value, a public signal, changes). */
  async function topUp(t: Trader, fees: { maxPriorityFeePerGas?: bigint; maxFeePerGas?: bigint } = {}) {
    await sys.registry.connect(t.wallet).deposit(0, 10n ** 6n, { ...fees, gasLimit: 300_000 });
  }
});
