/**
 * What the privacy audit reads from a deployment (the public record of each account) and what it
 * reports (findings: exact recoveries, bounds, public facts). Every value is what an observer with an
 * archive-free JSON-RPC endpoint can rebuild from the registry's, the fund's and the risk engine's
 * events and the registry's transactions.
 */
import type { ChallengeRecord, LiquidationRecord } from "../../../prover/lib/chain";

/** Where a fact sits on chain. */
export interface Ref {
  readonly block: number;
  readonly logIndex: number;
  readonly tx: string;
  /** Block timestamp (seconds). */
  readonly time: number;
}

/** The entry point whose transaction emitted a certificate. */
export type CertSource = "open" | "update" | "prove" | "respond" | "deleverage";

/** One `Certified` event, with the collateral it was proven with (rebuilt from the balance events). */
export interface CertFact extends Ref {
  readonly source: CertSource;
  readonly nonce: bigint;
  readonly provenAt: bigint;
  readonly d: bigint;
  readonly pm: bigint[];
  readonly haircuts: bigint[];
  readonly marketPrices: bigint[];
  readonly assetPrices: bigint[];
  readonly balances: bigint[];
  /** V at the certificate's asset prices and haircuts (what the proof's public word holds). */
  readonly value: bigint;
  /** The lowest pm the registry accepted: current mm (update, prove), pinned mm (respond), target. */
  readonly required?: bigint[];
}

export interface DepositFact extends Ref {
  readonly asset: number;
  readonly amount: bigint;
}

export interface UpdateFact extends Ref {
  readonly nonce: bigint;
  readonly commitment: bigint;
  readonly settle: bigint;
  readonly withdrawAsset: number;
  readonly withdrawAmount: bigint;
  readonly cert: CertFact;
  readonly from: string;
  readonly gasUsed: bigint;
  /** gasUsed minus the intrinsic cost (21,000 + calldata bytes): what the execution path costs. */
  readonly executionGas: bigint;
  /** Settlement tokens the fund paid now and recorded as owed (s > 0). */
  readonly paidTokens: bigint;
  readonly owedTokens: bigint;
  readonly mm?: bigint[];
  readonly im?: bigint[];
}

export interface ResponseFact extends Ref {
  readonly kind: "responded";
  readonly submitter: string;
  cert?: CertFact;
}

export interface DeleverageFact extends Ref {
  readonly kind: "deleveraged";
  readonly submitter: string;
  readonly fee: bigint;
  readonly feeBps: bigint;
  cert?: CertFact;
}

export interface LiquidationFact extends Ref {
  readonly kind: "liquidated";
  readonly liquidator: string;
  readonly record: LiquidationRecord;
  readonly marketPrices: bigint[];
  readonly assetPrices: bigint[];
  readonly bounty: bigint;
}

export interface ChallengeFact extends Ref {
  readonly challenger: string;
  readonly record: ChallengeRecord;
  readonly pinnedPrices: bigint[];
  readonly pinnedAssetPrices: bigint[];
  readonly mm: bigint[];
  readonly haircuts: bigint[];
  readonly balancesAtPin: bigint[];
  /** V at the pinned asset prices and haircuts with the collateral held when challenged. */
  readonly valueAtPin: bigint;
  /** Deposits between the challenge and its outcome (top-ups). */
  readonly deposits: DepositFact[];
  outcome?: ResponseFact | DeleverageFact | LiquidationFact;
}

export interface ClaimFact extends Ref {
  readonly claimed: bigint;
  readonly tokens: bigint;
  readonly paid: bigint;
}

/** A registry transaction (calldata decoded), mined or reverted. */
export interface TxFact {
  readonly hash: string;
  readonly block: number;
  readonly from: string;
  readonly fn: string;
  readonly status: number;
  readonly gasUsed: bigint;
  readonly executionGas: bigint;
  /** The account the call acts on (the first argument, or the sender for the owner's own calls). */
  readonly account?: string;
  /** A few decoded arguments worth printing (reverted calls reveal them too). */
  readonly args: Record<string, string>;
}

export interface AccountHistory {
  readonly account: string;
  opened?: Ref;
  readonly deposits: DepositFact[];
  readonly updates: UpdateFact[];
  readonly certs: CertFact[];
  readonly challenges: ChallengeFact[];
  readonly claims: ClaimFact[];
  readonly txs: TxFact[];
  balances: bigint[];
}

export interface AssetInfo {
  readonly token: string;
  readonly symbol: string;
  readonly decimals: number;
}

export interface Deployment {
  readonly chainId: bigint;
  readonly registry: string;
  readonly fund: string;
  readonly risk: string;
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly assets: AssetInfo[];
  readonly accounts: AccountHistory[];
  /** What the audit could not read, or read another way. */
  readonly notes: string[];
}

// ------------------------------------------------------------------ findings

/** Private quantities the audit tries to recover. */
export type Quantity = "size" | "side" | "entry price" | "liquidation price" | "reduced size";

/** A reading of one lot: market, side, size (10 decimals), entry and exit prices (8 decimals). */
export interface LotReading {
  readonly market: number;
  readonly side: "long" | "short";
  readonly size: bigint;
  readonly entryPrice: bigint;
  readonly entryBlock: number;
  readonly exitPrice: bigint;
  readonly exitBlock: number;
}

/** One attack's result on one public amount. */
export interface AttackResult {
  readonly attack: "a" | "b" | "c";
  readonly title: string;
  /** The public amount attacked (value units) and where it comes from. */
  readonly amount: bigint;
  readonly source: string;
  readonly block: number;
  /** (entry, exit, market, side) hypotheses tried. */
  readonly tried: number;
  /** Integer solutions found (a two-lot solution lists both lots). */
  readonly solutions: bigint;
  readonly readings: LotReading[][];
  /** Solutions expected by coincidence for an amount of the same shape. */
  readonly expectedByChance: number;
  /**
   * If the amount looks rounded (few significant digits), the true amount lies in an interval: how many
   * integer sizes each plausible (entry, exit, market) reading then admits (a bound, never exact unless 1).
   */
  readonly rounded?: {
    readonly lo: bigint;
    readonly hi: bigint;
    readonly readings: number;
    readonly minSizes: bigint;
    readonly maxSizes: bigint;
  };
  /** "exact": one convincing solution; "ambiguous": several or coincidental; "none": no solution. */
  readonly verdict: "exact" | "ambiguous" | "none";
  readonly text: string;
}

/**
 * A bound on an account's private state that follows from public facts. `conditional` names the
 * assumption it needs (the default prover policy, an online owner); without one it holds for any state.
 */
export type Bound =
  | {
      readonly kind: "certificate";
      readonly cert: CertFact;
      /** Box distance (bps) to the proven maintenance is at least d, and below `upper` when known. */
      readonly upper?: bigint;
      /** pm equals the required ratios: the buffered ratios failed at the centre. */
      readonly nearMaintenance?: { readonly buffered: bigint[] };
      readonly conditional?: string;
      readonly text: string;
    }
  | {
      readonly kind: "top-up";
      readonly challenge: ChallengeFact;
      readonly valueBefore: bigint;
      readonly valueAfter: bigint;
      /** The maintenance shortfall at the pinned prices before the top-up is at most this. */
      readonly shortfallMax: bigint;
      readonly conditional: string;
      readonly text: string;
    }
  | {
      readonly kind: "missed-challenge";
      readonly challenge: ChallengeFact;
      /** V at the pinned asset prices with the collateral held at the deadline. */
      readonly value: bigint;
      readonly conditional: string;
      readonly text: string;
    }
  | {
      readonly kind: "claim";
      readonly liquidation: LiquidationFact;
      readonly claim: ClaimFact;
      /** Equity at the liquidation's prices is at least `equityMin` (any state)... */
      readonly equityMin: bigint;
      /** ...and below `equityBelow` if the prover rounded the claim by default. */
      readonly equityBelow?: bigint;
      readonly conditional?: string;
      readonly text: string;
    }
  | {
      readonly kind: "deleverage";
      readonly deleverage: DeleverageFact;
      readonly prices: bigint[];
      /** The reduced notional sum_j dq_j P_j (value units) is in [notionalMin, notionalMax]. */
      readonly notionalMin: bigint;
      readonly notionalMax: bigint;
      /** If one market was reduced: the sizes each market admits ([min, max], empty markets left out). */
      readonly singleMarket: Array<{ readonly market: number; readonly min: bigint; readonly max: bigint }>;
      readonly text: string;
    };

/** A private quantity recovered exactly (the audit cannot know it is right: it is what an observer concludes). */
export interface Recovery {
  readonly quantity: Quantity;
  readonly market: number;
  readonly value: bigint | string;
  readonly by: string;
  readonly block: number;
}

export interface AccountReport {
  readonly account: string;
  readonly status: string;
  /** What anyone sees, one line each. */
  readonly publicFacts: string[];
  readonly attacks: AttackResult[];
  readonly bounds: Bound[];
  readonly recoveries: Recovery[];
  /** Other observations (relayers, gas by public shape, reverted calls). */
  readonly notes: string[];
}

export interface AuditReport {
  readonly registry: string;
  readonly chainId: bigint;
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly accounts: AccountReport[];
  /** privacy.exact_recoveries: private quantities recovered exactly, over all accounts. */
  readonly exactRecoveries: number;
  readonly notes: string[];
}
