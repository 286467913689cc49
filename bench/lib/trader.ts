/**
 * A trader of the benchmarks: keeps its private state in memory and proves with the real circuits
 * through the prover library (what the CLI and the daemon do, without the state file).
 */
import type { ContractTransactionResponse, Signer } from "ethers";
import type { ZkMarginRegistry } from "../../core/contracts";
import { type UpdateRequest, prepareAnswer, prepareUpdate, type Answer } from "../../prover/lib/actions";
import { type ChallengeRecord, ChainView } from "../../prover/lib/chain";
import type { ProverKeys } from "../../prover/lib/circuits";
import { type AccountState, emptyState } from "../../prover/model";

export async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error("transaction failed");
  return Number(receipt.gasUsed);
}

export class BenchTrader {
  state: AccountState = emptyState(4);
  readonly registry: ZkMarginRegistry;
  readonly view: ChainView;
  constructor(
    readonly signer: Signer & { address: string },
    registry: ZkMarginRegistry,
    readonly keys: ProverKeys,
  ) {
    this.registry = registry.connect(signer);
    this.view = new ChainView(this.registry, signer.address);
  }

  get address(): string {
    return this.signer.address;
  }

  async update(req: UpdateRequest): Promise<number> {
    const p = await prepareUpdate(this.keys, await this.view.read(), this.state, req);
    const g = await gasOf(this.registry.update(p.args, p.proof.proof));
    this.state = p.next;
    return g;
  }

  /** Answers a challenge as the daemon would; returns the answer's kind. */
  async answer(record: ChallengeRecord): Promise<Answer["kind"]> {
    const a = await prepareAnswer(this.keys, await this.view.read(), this.state, record);
    if (a.kind === "certificate") {
      await gasOf(this.registry.respond(this.address, record, a.d, a.pm, a.proof.proof));
    } else if (a.kind === "deleverage") {
      await gasOf(this.registry.respondDeleverage(this.address, record, a.args, a.proof.proof));
      this.state = a.next;
    }
    return a.kind;
  }
}
