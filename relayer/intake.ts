/**
 * Judges one answer before it is queued, so that a bad one is refused at once and never reaches a batch:
 * (1) d and pm within what respond accepts (a member outside them would revert the whole batch),
 * (2) the account is active and the record is its open challenge (hash against the stored one),
 * (3) the deadline leaves time for a batch, (4) the proof verifies off chain (snarkjs, plus the range and
 * subgroup checks of the batch verifier) for the public signals the registry will rebuild, which
 * RegistryLens.respondSignals computes from the chain. Each refusal is a RelayerError with an HTTP status
 * and a sentence naming what is wrong.
 */
import { type VerificationKeyJson, verifySolidityProof } from "../core/groth16";
import type { RelayedAnswer } from "../core/relayerClient";
import { isTransientRpcError } from "../core/rpcErrors";
import { BPS, type Head, MAX_BOX_BPS, RelayerChain } from "./chain";
import { RelayerError, RelayerErrorCode, messageOf } from "./errors";

export interface Accepted {
  /** The effective deadline (chain seconds). */
  readonly deadline: bigint;
  readonly head: Head;
}

const E = RelayerErrorCode;

function unpack16(word: bigint): bigint[] {
  return [0, 1, 2, 3].map((j) => (word >> BigInt(16 * j)) & 0xffffn);
}

/** (1) The certificate's public parameters, as Shared.requireCert checks them against the pinned ratios. */
export function certificateError(a: RelayedAnswer): string | undefined {
  if (a.d > MAX_BOX_BPS) return `d = ${a.d} is wider than the largest box respond accepts (${MAX_BOX_BPS} bps)`;
  const pm = unpack16(a.pm);
  const mm = unpack16(a.record.mm);
  for (let j = 0; j < 4; j++) {
    if (pm[j] > BPS) return `pm of market ${j} is ${pm[j]} bps, above 10000`;
    if (pm[j] < mm[j])
      return `pm of market ${j} is ${pm[j]} bps, below the maintenance ratio pinned by the challenge (${mm[j]} bps)`;
  }
  return undefined;
}

export class Intake {
  constructor(
    private readonly chain: RelayerChain,
    private readonly vkey: VerificationKeyJson,
    private readonly minTimeLeftSec: number,
  ) {}

  async check(a: RelayedAnswer): Promise<Accepted> {
    const bad = certificateError(a);
    if (bad) throw new RelayerError(E.BadCertificate, `the certificate is not one respond accepts: ${bad}`, 422);

    let snap;
    try {
      snap = await this.chain.snapshot(a);
    } catch (e) {
      if (isTransientRpcError(e))
        throw new RelayerError(
          E.ChainUnavailable,
          `the relayer cannot read the chain now (${messageOf(e)}): retry`,
          503,
        );
      throw new RelayerError(
        E.BadRequest,
        `the registry refused to rebuild this answer's signals: ${messageOf(e)}`,
        422,
      );
    }
    const { open, pauseClock, head, signals } = snap;
    if (open.status !== "active")
      throw new RelayerError(E.NotActive, `account ${a.account} is not active on the registry (${open.status})`, 422);
    if (/^0x0+$/.test(open.recordHash))
      throw new RelayerError(
        E.NoOpenChallenge,
        `account ${a.account} has no open challenge (answered already, or never challenged)`,
        409,
      );
    if (open.recordHash !== this.chain.recordHash(a.record))
      throw new RelayerError(
        E.BadRecord,
        `the record is not account ${a.account}'s open challenge: its hash differs from the stored one (send the record of the latest Challenged event, unchanged)`,
        422,
      );

    const deadline = RelayerChain.deadlineOf(a.record, pauseClock);
    const left = deadline - head.timestamp;
    if (left < BigInt(this.minTimeLeftSec))
      throw new RelayerError(
        E.TooLate,
        left < 0n
          ? `the challenge's deadline passed ${-left} s ago`
          : `the challenge's deadline is ${left} s away, less than the ${this.minTimeLeftSec} s a batch needs: send it yourself`,
        422,
      );

    if (!(await verifySolidityProof(this.vkey, signals, a.proof)))
      throw new RelayerError(
        E.ProofInvalid,
        `the proof does not verify for account ${a.account}'s challenge ${a.record.nonce} with d = ${a.d} and pm = ${a.pm} (public signals rebuilt from the chain at the pinned prices)`,
        422,
      );
    return { deadline, head };
  }
}
