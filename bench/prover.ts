/**
 * Prover figures on a real `hardhat node` process over JSON-RPC:
 * - prover.respond_latency_ms: from the mined Challenged transaction to the mined respond, with the
 *   daemon (in this process, polling every 1 s at idle and 100 ms near a deadline: the default idle poll
 *   is 5 s, which adds up to 5 s) proving a certificate and answering; median of 5 challenges
 *   (each after a 12% price move that breaks the account's box);
 * - prover.state_write_ms: one encrypted, fsynced, atomic write of the private state (scrypt N = 2^15
 *   dominates); median of 7.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pino from "pino";
import { Daemon, DEFAULT_DAEMON } from "../prover/daemon/daemon";
import { loadKeys } from "../prover/lib/circuits";
import { freshSalt } from "../prover/lib/actions";
import { ChainView } from "../prover/lib/chain";
import { Side, emptyState } from "../prover/model";
import { TraderService } from "../prover/service/trader";
import { StateStore } from "../prover/store/stateStore";
import { E8 } from "../scripts/lib/deploy";
import { deployToNode, devWallet, startNode } from "../scripts/lib/node";
import { type Figure, figure, median, medianMs, progress } from "./lib/figures";

export async function proverFigures(): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-bench-prover-"));
  const node = await startNode();
  try {
    const sys = await deployToNode(node.url);
    const owner = devWallet(node.url, 0);
    const traderWallet = devWallet(node.url, 5);
    const keeper = sys.registry.connect(devWallet(node.url, 6));
    await (await sys.tokens[0].connect(owner).mint(await traderWallet.getAddress(), 10n ** 12n)).wait();
    const log = pino({ level: "silent" });
    const keys = await loadKeys();
    const opts = {
      stateFile: path.join(dir, "state.json"),
      passphrase: "bench",
      signer: traderWallet,
      registry: sys.addresses.registry,
      keys,
      logger: log,
    };
    const trader = await TraderService.init(opts);
    await trader.deposit(0n, 100_000n * 10n ** 6n);
    await trader.trade({ kind: "increase", market: 0, size: 10n * 10n ** 10n, side: Side.Long });
    trader.close();

    const daemonTrader = await TraderService.open(opts, false);
    const ctrl = new AbortController();
    const running = new Daemon(daemonTrader, { ...DEFAULT_DAEMON, pollMs: 100, idlePollMs: 1_000 }, log).run(
      ctrl.signal,
    );
    const account = await traderWallet.getAddress();
    const view = new ChainView(sys.registry, account);
    const latencies: number[] = [];
    let price = 3000n;
    for (let k = 0; k < 5; k++) {
      price = (price * 112n) / 100n; // +12%: beyond the certificate's box (10% at most by default)
      for (const f of [...sys.marketFeeds, ...sys.assetFeeds]) {
        const c = f.connect(owner);
        await (await c.setAnswer(f === sys.marketFeeds[0] ? price * E8 : await c.answer())).wait();
      }
      const cert = await view.latestCert((await sys.registry.accountOf(account)).certHash);
      const bond = (await sys.registry.incentives()).bond;
      const rc = await (await keeper.challenge(account, cert!, { value: bond })).wait();
      const t0 = performance.now();
      const nonce = (await sys.registry.accountOf(account)).nonce;
      if (!rc) throw new Error("the challenge was not mined");
      for (;;) {
        const logs = await sys.registry.queryFilter(sys.registry.filters.Responded(account));
        if (logs.some((l) => l.args.nonce === nonce)) break;
        if (performance.now() - t0 > 60_000) throw new Error("the daemon did not answer within 60 s");
        await new Promise((r) => setTimeout(r, 20));
      }
      latencies.push(performance.now() - t0);
      progress(`respond latency ${k + 1}: ${latencies[k].toFixed(0)} ms`);
    }
    ctrl.abort();
    await running;

    const store = StateStore.create(
      path.join(dir, "write.json"),
      "bench",
      { chainId: 1n, registry: account, account },
      emptyState(4),
    );
    // each write records a state with a fresh salt (the store refuses a salt used before)
    const write = async () => store.setPending({ ...emptyState(4), salt: freshSalt() }, "bench");
    return [
      figure("prover.respond_latency_ms", Math.round(median(latencies)), "ms"),
      figure("prover.state_write_ms", await medianMs("state write", write), "ms"),
    ];
  } finally {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
