/**
 * The relayer's view of one deployment: the registry and its lens on a JSON-RPC provider, the checks made
 * once at start (chain id, code at the registry, the lens reads this registry, the deployed batch
 * verifier holds the local certificate key), and the reads and simulations the intake and the batcher
 * make. Every read is public: the relayer sees nothing a block explorer does not.
 */
import * as fs from "node:fs";
import { AbiCoder, type ErrorDescription, FetchRequest, JsonRpcProvider, ParamType, keccak256 } from "ethers";
import {
  BatchVerifier__factory,
  type RegistryLens,
  RegistryLens__factory,
  type ZkMarginRegistry,
  ZkMarginRegistry__factory,
} from "../core/contracts";
import { type VerificationKeyJson, batchVkHash } from "../core/groth16";
import type { RecordFields, RelayedAnswer } from "../core/relayerClient";
import { revertDataOf } from "../core/rpcErrors";
import type { RelayerConfig } from "./config";
import { RelayerError, RelayerErrorCode, messageOf } from "./errors";

/** Shared.MAX_BOX_BPS (contracts/registry/logic/Shared.sol): respond refuses a wider box. */
export const MAX_BOX_BPS = 5_000n;
export const BPS = 10_000n;

export const ACCOUNT_STATUS = ["none", "active", "liquidated", "closed"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUS)[number];

export interface Head {
  readonly number: number;
  readonly timestamp: bigint;
  /** Local time (ms) the head was read. */
  readonly seenAt: number;
}

export interface OpenState {
  readonly status: AccountStatus;
  readonly recordHash: string;
}

export type Simulation =
  | { readonly ok: true; readonly gas: bigint }
  | { readonly ok: false; readonly reason: string; readonly error?: ErrorDescription };

/** The ABI type of Types.ChallengeRecord, taken from the registry's own ABI (respondBatch's argument). */
function recordType(registry: ZkMarginRegistry): ParamType {
  const answers = registry.interface.getFunction("respondBatch")!.inputs[0];
  const record = answers.arrayChildren!.components!.find((c) => c.name === "record");
  if (!record) throw new Error("respondBatch has no record field: the ABI changed");
  return ParamType.from(record);
}

export class RelayerChain {
  private readonly recordAbi: ParamType;
  private readonly batchIface = BatchVerifier__factory.createInterface();

  private constructor(
    readonly provider: JsonRpcProvider,
    readonly registry: ZkMarginRegistry,
    readonly lens: RegistryLens,
    readonly chainId: bigint,
  ) {
    this.recordAbi = recordType(registry);
  }

  /** Connects and checks the deployment against the configuration; throws BAD_DEPLOYMENT or CHAIN_UNAVAILABLE. */
  static async connect(c: RelayerConfig, vkey: VerificationKeyJson): Promise<RelayerChain> {
    const req = new FetchRequest(c.rpcUrl);
    req.timeout = c.rpcTimeoutMs;
    const provider = new JsonRpcProvider(req, undefined, {
      staticNetwork: true,
      pollingInterval: c.batch.blockPollMs,
      cacheTimeout: -1,
    });
    let chainId: bigint;
    try {
      chainId = BigInt((await provider.send("eth_chainId", [])) as string);
    } catch (e) {
      provider.destroy();
      throw new RelayerError(
        RelayerErrorCode.ChainUnavailable,
        `the JSON-RPC endpoint ${c.rpcUrl} did not answer: ${messageOf(e)}`,
      );
    }
    const fail = (msg: string): never => {
      provider.destroy();
      throw new RelayerError(RelayerErrorCode.BadDeployment, msg);
    };
    if (c.chainId !== undefined && BigInt(c.chainId) !== chainId)
      fail(`the endpoint serves chain ${chainId}, the config says ${c.chainId}`);
    if ((await provider.getCode(c.registry)) === "0x") fail(`no contract at the registry address ${c.registry}`);
    const registry = ZkMarginRegistry__factory.connect(c.registry, provider);
    const lens = RegistryLens__factory.connect(c.lens, provider);
    const lensOf = await lens.registry().catch(() => undefined);
    if (lensOf === undefined || lensOf.toLowerCase() !== c.registry.toLowerCase())
      fail(`the lens at ${c.lens} does not read the registry ${c.registry} (it reads ${lensOf ?? "nothing"})`);
    const bv = BatchVerifier__factory.connect(await registry.batchVerifier(), provider);
    const onChain = await bv.vkHash().catch(() => undefined);
    const local = batchVkHash(vkey);
    if (onChain !== local)
      fail(
        `the registry's batch verifier holds another certificate key (vkHash ${onChain ?? "unreadable"}, local ${local} from ${c.vkey}): answers verified here would not verify on chain`,
      );
    return new RelayerChain(provider, registry, lens, chainId);
  }

  destroy(): void {
    this.provider.destroy();
  }

  recordHash(r: RecordFields): string {
    return keccak256(AbiCoder.defaultAbiCoder().encode([this.recordAbi], [r]));
  }

  async head(): Promise<Head> {
    const b = await this.provider.getBlock("latest");
    if (!b) throw new Error("the node has no latest block");
    return { number: b.number, timestamp: BigInt(b.timestamp), seenAt: Date.now() };
  }

  async openState(account: string): Promise<OpenState> {
    const acc = await this.registry.accountOf(account);
    return { status: ACCOUNT_STATUS[Number(acc.status)] ?? "none", recordHash: acc.recordHash };
  }

  pauseClock(): Promise<bigint> {
    return this.registry.pauseClock();
  }

  /** The deadline respond checks (Shared.deadline) before any sequencer outage: deadline + time paused since. */
  static deadlineOf(r: RecordFields, pauseClock: bigint): bigint {
    return r.deadline + (pauseClock > r.pauseClockAt ? pauseClock - r.pauseClockAt : 0n);
  }

  /** The public signals respond and respondBatch rebuild for this answer (RegistryLens.respondSignals). */
  async respondSignals(a: RelayedAnswer): Promise<bigint[]> {
    const sig = await this.lens.respondSignals(a.account, a.record, a.d, a.pm);
    return sig.map((x) => BigInt(x));
  }

  /** Everything an answer is judged by, in one round of parallel reads. */
  async snapshot(a: RelayedAnswer): Promise<{ open: OpenState; pauseClock: bigint; head: Head; signals: bigint[] }> {
    const [open, pauseClock, head, signals] = await Promise.all([
      this.openState(a.account),
      this.pauseClock(),
      this.head(),
      this.respondSignals(a),
    ]);
    return { open, pauseClock, head, signals };
  }

  encodeBatch(answers: readonly RelayedAnswer[]): string {
    return this.registry.interface.encodeFunctionData("respondBatch", [[...answers]]);
  }

  /** eth_estimateGas of respondBatch(answers) from `from`: the gas, or the decoded revert. Transient errors throw. */
  async simulate(from: string, answers: readonly RelayedAnswer[]): Promise<Simulation> {
    try {
      const gas = await this.provider.estimateGas({
        from,
        to: await this.registry.getAddress(),
        data: this.encodeBatch(answers),
      });
      return { ok: true, gas };
    } catch (e) {
      const data = revertDataOf(e);
      if (data === undefined) {
        if (/revert|VM Exception/i.test(messageOf(e))) return { ok: false, reason: messageOf(e) };
        throw e;
      }
      const error = this.decodeError(data);
      return { ok: false, reason: error ? describeError(error) : `reverted with data ${data.slice(0, 74)}`, error };
    }
  }

  decodeError(data: string): ErrorDescription | undefined {
    for (const iface of [this.registry.interface, this.batchIface]) {
      try {
        const d = iface.parseError(data);
        if (d) return d;
      } catch {
        /* another interface's error */
      }
    }
    return undefined;
  }
}

/** `Registry__RatioBelowRequired(1, 50, 100)` */
export function describeError(e: ErrorDescription): string {
  return `${e.name}(${e.args.map((a) => String(a)).join(", ")})`;
}

/** Reads a snarkjs verification key json. */
export function readVkey(file: string): VerificationKeyJson {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as VerificationKeyJson;
  } catch (e) {
    throw new RelayerError(
      RelayerErrorCode.BadConfig,
      `cannot read the verification key ${file}: ${(e as Error).message}`,
    );
  }
}
