/**
 * The index reducer: applies one deployment event to the account records and to the deployment-wide
 * state. Records are immutable (every change writes a new one), so the unconfirmed overlay can
 * copy-on-write over the finalised state.
 */
import type { DomainEvent } from "./events";
import type { AccountRecord, Auction, GlobalState, Ledger } from "./types";

export interface RecordStore {
  get(account: string): AccountRecord | undefined;
  set(account: string, record: AccountRecord): void;
  global: GlobalState;
}

/** Who "we" are: our address (challenger, liquidator, taker, tip receiver) and our taker contract. */
export interface Identity {
  readonly me?: string;
  readonly taker?: string;
}

const NO_BALANCES: readonly bigint[] = [0n, 0n, 0n, 0n];
const BPS = 10_000n;

function blank(): AccountRecord {
  return { status: "active", nonce: 0n, balances: NO_BALANCES };
}

function withoutChallenge(r: AccountRecord): AccountRecord {
  const { challenge: _closed, ...rest } = r;
  return rest;
}

function add(b: readonly bigint[], asset: bigint, delta: bigint): { balances: bigint[]; clipped: boolean } {
  const out = [...b];
  const i = Number(asset);
  if (i < 0 || i >= out.length) return { balances: out, clipped: true };
  const v = out[i] + delta;
  out[i] = v < 0n ? 0n : v;
  return { balances: out, clipped: v < 0n };
}

const same = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

function ledger(store: RecordStore, f: (l: Ledger) => Partial<Ledger>): void {
  const g = store.global;
  store.global = { ...g, ledger: { ...g.ledger, ...f(g.ledger) } };
}

function applyGlobal(store: RecordStore, ev: DomainEvent, who: Identity): boolean {
  const g = store.global;
  switch (ev.kind) {
    case "timing":
      store.global = { ...g, timing: ev.timing };
      return true;
    case "incentives":
      store.global = { ...g, incentives: ev.incentives };
      return true;
    case "haircuts":
      store.global = { ...g, haircuts: ev.haircuts };
      return true;
    case "paused":
      store.global = { ...g, pausedUntil: ev.until, pauseEvents: g.pauseEvents + 1 };
      return true;
    case "unpaused":
      store.global = { ...g, pausedUntil: 0n, pauseEvents: g.pauseEvents + 1 };
      return true;
    case "kick": {
      const auctions = new Map(g.auctions);
      auctions.set(ev.id.toString(), { asset: ev.asset, lot: ev.lot, top: ev.top });
      store.global = { ...g, auctions };
      return true;
    }
    case "take": {
      const auctions = new Map(g.auctions);
      const a = auctions.get(ev.id.toString());
      if (ev.rest === 0n) auctions.delete(ev.id.toString());
      else if (a !== undefined) auctions.set(ev.id.toString(), { ...a, lot: ev.rest });
      store.global = { ...g, auctions };
      if (a !== undefined && (same(ev.taker, who.me) || same(ev.taker, who.taker)))
        ledger(store, (l) => {
          const bought = [...l.bought];
          bought[Number(a.asset)] = (bought[Number(a.asset)] ?? 0n) + ev.slice;
          return { auctionTakes: l.auctionTakes + 1n, bought };
        });
      return true;
    }
    case "redo": {
      const auctions = new Map(g.auctions);
      const a = auctions.get(ev.id.toString());
      if (a !== undefined) auctions.set(ev.id.toString(), { ...a, top: ev.top } satisfies Auction);
      store.global = { ...g, auctions };
      if (same(ev.tipReceiver, who.me)) ledger(store, (l) => ({ redoTips: l.redoTips + ev.tipPaid }));
      return true;
    }
    case "auctionParams":
      return true;
    case "owed":
      store.global = {
        ...g,
        owedEntries: ev.index + 1n > g.owedEntries ? ev.index + 1n : g.owedEntries,
        owedTotal: g.owedTotal + ev.amount,
      };
      return true;
    case "repaid":
      store.global = {
        ...g,
        repaidEntries: ev.remaining === 0n && ev.index + 1n > g.repaidEntries ? ev.index + 1n : g.repaidEntries,
        owedTotal: g.owedTotal > ev.amount ? g.owedTotal - ev.amount : 0n,
      };
      return true;
    case "takeAndSwap":
      ledger(store, (l) => ({ takeProfit: l.takeProfit + ev.profit }));
      return true;
    default:
      return false;
  }
}

export function applyEvent(store: RecordStore, ev: DomainEvent, who: Identity = {}): void {
  if (applyGlobal(store, ev, who)) return;
  if (!("account" in ev)) return;
  // An account first seen through a later event (startBlock after its opening) is created on the fly.
  const r = store.get(ev.account) ?? blank();
  switch (ev.kind) {
    case "opened":
      if (store.get(ev.account) === undefined) store.set(ev.account, r);
      return;
    case "deposited":
      store.set(ev.account, { ...r, balances: add(r.balances, ev.asset, ev.amount).balances });
      return;
    case "updated": {
      const w = ev.withdrawAmount > 0n ? add(r.balances, ev.withdrawAsset, -ev.withdrawAmount) : undefined;
      const approx = r.approx === true || ev.settle !== 0n || w?.clipped === true;
      store.set(ev.account, {
        ...r,
        nonce: ev.nonce,
        balances: w?.balances ?? r.balances,
        ...(approx ? { approx } : {}),
      });
      return;
    }
    case "lossCovered": {
      const w = add(r.balances, ev.asset, -ev.amount);
      store.set(ev.account, { ...r, balances: w.balances, approx: true });
      return;
    }
    case "certified":
      store.set(ev.account, { ...r, status: "active", nonce: ev.nonce, cert: ev.cert });
      return;
    case "challenged":
      store.set(ev.account, { ...r, nonce: ev.record.nonce, challenge: ev.record });
      if (same(ev.record.challenger, who.me)) ledger(store, (l) => ({ challenges: l.challenges + 1n }));
      return;
    case "responded":
      if (r.challenge !== undefined && same(r.challenge.challenger, who.me)) {
        const bond = r.challenge.bond;
        ledger(store, (l) => ({ bondsLost: l.bondsLost + 1n, bondsLostWei: l.bondsLostWei + bond }));
      }
      store.set(ev.account, withoutChallenge(r));
      return;
    case "deleveraged":
      if (r.challenge !== undefined && same(r.challenge.challenger, who.me)) {
        const c = r.challenge;
        ledger(store, (l) => ({
          bondsReturnedWei: l.bondsReturnedWei + c.bond,
          feeShareValue: l.feeShareValue + (ev.fee * c.keeperShareBps) / BPS,
        }));
      }
      store.set(ev.account, { ...withoutChallenge(r), approx: true });
      return;
    case "liquidated": {
      const c = r.challenge;
      if (c !== undefined && same(c.challenger, who.me))
        ledger(store, (l) => ({ bondsWon: l.bondsWon + 1n, bondsReturnedWei: l.bondsReturnedWei + c.bond }));
      if (same(ev.liquidator, who.me))
        ledger(store, (l) => ({ liquidations: l.liquidations + 1n, bountyValue: l.bountyValue + ev.bountyValue }));
      const { approx: _a, ...rest } = withoutChallenge(r);
      store.set(ev.account, { ...rest, status: "liquidated", nonce: ev.record.nonce, balances: NO_BALANCES });
      return;
    }
    case "claimed":
      store.set(ev.account, { ...withoutChallenge(r), status: "closed" });
      return;
  }
}

/** Events after which the keeper re-reads parameters it does not get whole from events. */
export function changesParams(ev: DomainEvent): boolean {
  return ev.kind === "auctionParams" || ev.kind === "paused" || ev.kind === "unpaused";
}
