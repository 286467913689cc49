/** The keeper's view of a v2 deployment, rebuilt from events (bigint for every chain value). */

export type AccountStatus = "active" | "liquidated" | "closed";

/** Types.Cert as emitted whole in `Certified` (what challenge() needs in calldata). */
export interface Cert {
  readonly provenAt: bigint;
  readonly d: bigint;
  readonly pm: bigint;
  readonly haircuts: bigint;
  readonly marketPrices: bigint;
  readonly assetPrices: bigint;
}

/** Types.ChallengeRecord as emitted whole in `Challenged` (what liquidate() needs in calldata). */
export interface ChallengeRecord {
  readonly challenger: string;
  readonly nonce: bigint;
  readonly pinnedAt: bigint;
  readonly deadline: bigint;
  readonly pauseClockAt: bigint;
  readonly bond: bigint;
  readonly exclusivePeriod: bigint;
  readonly targetFactorBps: bigint;
  readonly deleverageFeeBps: bigint;
  readonly keeperShareBps: bigint;
  readonly mm: bigint;
  readonly haircuts: bigint;
  readonly marketPrices: bigint;
  readonly assetPrices: bigint;
}

export interface AccountRecord {
  readonly status: AccountStatus;
  readonly nonce: bigint;
  /** The latest certificate (undefined only for an account first seen after its Certified event). */
  readonly cert?: Cert;
  /** The open challenge, while one is open. */
  readonly challenge?: ChallengeRecord;
  /**
   * Collateral balances per asset as far as events tell (deposits, withdrawals, losses covered); a
   * settlement (Updated.settle) or a deleverage fee makes them an estimate (`approx`). Used only to rank
   * candidates: the lens reads the exact value before anything is sent.
   */
  readonly balances: readonly bigint[];
  readonly approx?: boolean;
}

export interface Timing {
  readonly freshness: bigint;
  readonly responseWindow: bigint;
  readonly exclusivePeriod: bigint;
  readonly claimWindow: bigint;
  readonly bountyRamp: bigint;
  readonly maxStretchBps: bigint;
  readonly refBasefee: bigint;
}

export interface Incentives {
  readonly bond: bigint;
  readonly bountyMinBps: bigint;
  readonly bountyMaxBps: bigint;
  readonly penaltyBps: bigint;
  readonly relayerShareBps: bigint;
  readonly bountyCap: bigint;
}

/** A running auction (AuctionHouse Kick/Take/Redo). */
export interface Auction {
  readonly asset: bigint;
  readonly lot: bigint;
  /** Starting price (RAY); the live price and redo status are read with AuctionHouse.auction(id). */
  readonly top: bigint;
}

/** What the keeper earned and paid on this deployment, from events (value units unless named wei). */
export interface Ledger {
  readonly challenges: bigint;
  readonly liquidations: bigint;
  readonly bountyValue: bigint;
  readonly bondsReturnedWei: bigint;
  readonly bondsLostWei: bigint;
  readonly bondsWon: bigint;
  readonly bondsLost: bigint;
  /** Challenger's share of deleverage fees (value units). */
  readonly feeShareValue: bigint;
  readonly auctionTakes: bigint;
  /** Collateral bought, per asset (base units). */
  readonly bought: readonly bigint[];
  /** Settlement asset earned by the taker (base units). */
  readonly takeProfit: bigint;
  readonly redoTips: bigint;
}

/** Deployment-wide state from events: parameters, pause, auctions, the fund's ledger, our P&L. */
export interface GlobalState {
  readonly timing?: Timing;
  readonly incentives?: Incentives;
  readonly haircuts?: bigint;
  /** Paused(by, until): a pause in force while now < pausedUntil (Unpaused sets 0). */
  readonly pausedUntil: bigint;
  readonly pauseEvents: number;
  readonly auctions: ReadonlyMap<string, Auction>;
  /** Deficit ledger: entries recorded and entries fully repaid (the head is ledgerRepaid). */
  readonly owedEntries: bigint;
  readonly repaidEntries: bigint;
  readonly owedTotal: bigint;
  readonly ledger: Ledger;
}

export const EMPTY_LEDGER: Ledger = {
  challenges: 0n,
  liquidations: 0n,
  bountyValue: 0n,
  bondsReturnedWei: 0n,
  bondsLostWei: 0n,
  bondsWon: 0n,
  bondsLost: 0n,
  feeShareValue: 0n,
  auctionTakes: 0n,
  bought: [0n, 0n, 0n, 0n],
  takeProfit: 0n,
  redoTips: 0n,
};

export const EMPTY_GLOBAL: GlobalState = {
  pausedUntil: 0n,
  pauseEvents: 0,
  auctions: new Map(),
  owedEntries: 0n,
  repaidEntries: 0n,
  owedTotal: 0n,
  ledger: EMPTY_LEDGER,
};

/** Read access to the indexed accounts (finalised state with the unconfirmed overlay on top). */
export interface AccountsView {
  get(account: string): AccountRecord | undefined;
  entries(): Iterable<readonly [string, AccountRecord]>;
  readonly size: number;
  readonly global: GlobalState;
}

/** A raw log as eth_getLogs returns it (the fields the index uses). */
export interface LogLike {
  readonly blockNumber: number;
  readonly address?: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly removed?: boolean;
  readonly transactionHash?: string;
}
