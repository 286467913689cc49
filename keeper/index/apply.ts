/**
 * The index reducer: applies one registry event to the account records (records are immutable; every
 * change writes a new one, so the unconfirmed overlay can copy-on-write over the finalised map).
 */
import type { RegistryEvent } from "./events";
import type { AccountRecord } from "./types";

export interface RecordStore {
  get(account: string): AccountRecord | undefined;
  set(account: string, record: AccountRecord): void;
}

const ZERO_PRICES: readonly bigint[] = [0n, 0n, 0n, 0n];

function blank(): AccountRecord {
  return { status: "active", nonce: 0n, provenAt: 0n, provenPrices: ZERO_PRICES };
}

function withoutChallenge(r: AccountRecord): AccountRecord {
  const { challenge: _closed, ...rest } = r;
  return rest;
}

export function applyEvent(store: RecordStore, ev: RegistryEvent): void {
  if (ev.kind === "params") return;
  // An account first seen through a later event (startBlock after its opening) is created on the fly:
  // Proven always follows with its full snapshot.
  const r = store.get(ev.account) ?? blank();
  switch (ev.kind) {
    case "opened":
      if (store.get(ev.account) === undefined) store.set(ev.account, r);
      return;
    case "proven":
      store.set(ev.account, {
        ...r,
        status: "active",
        nonce: ev.nonce,
        provenAt: ev.provenAt,
        provenPrices: ev.prices,
      });
      return;
    case "updated":
      store.set(ev.account, { ...r, nonce: ev.nonce });
      return;
    case "challenged":
      store.set(ev.account, {
        ...r,
        nonce: ev.nonce,
        challenge: { nonce: ev.nonce, challenger: ev.challenger, deadline: ev.deadline, prices: ev.prices },
      });
      return;
    case "responded":
      store.set(ev.account, withoutChallenge(r));
      return;
    case "liquidated":
      store.set(ev.account, { ...withoutChallenge(r), status: "liquidated" });
      return;
    case "claimed":
      store.set(ev.account, { ...withoutChallenge(r), status: "closed" });
      return;
  }
}
