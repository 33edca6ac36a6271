/**
 * The payments ledger as pure functions: how one validated/signed commitment changes the
 * node-wide records of the payment hashes it touches. The ledger learns HTLCs only from the
 * diff of a commitment's HTLC set against the previous commitment of the same owner, with
 * directions converted to the holder's view — never from what the node says.
 */
import type { Htlc } from "../bolt3/htlc.js";
import { sameHtlc } from "../bolt3/htlc.js";
import type { CommitmentOwner } from "../state/recompose.js";
import { bytesToHex } from "../util/bytes.js";
import { emptyPaymentRecord, type LedgerHtlc, type PaymentRecord, updateRecord } from "./record.js";

/** One commitment change of one channel, HTLCs in the commitment owner's view. */
export interface CommitmentChange {
  readonly channelId: string;
  readonly owner: CommitmentOwner;
  readonly commitmentNumber: number;
  /** HTLCs of the previous commitment of the same owner (none for the first). */
  readonly previous: readonly Htlc[];
  readonly next: readonly Htlc[];
}

/** An HTLC we newly offer, as the ledger first learns it. */
export interface NewlyOffered {
  readonly hashHex: string;
  readonly htlc: LedgerHtlc;
}

/** The records a change rewrites (by hash hex) and the HTLCs we offer for the first time. */
export interface LedgerChange {
  readonly records: ReadonlyMap<string, PaymentRecord>;
  readonly newlyOffered: readonly NewlyOffered[];
}

/** The direction of `h` in the holder's view, given whose commitment carries it. */
export function holderDirection(owner: CommitmentOwner, h: Htlc): "offered" | "received" {
  if (owner === "holder") return h.direction;
  return h.direction === "offered" ? "received" : "offered";
}

function identity(owner: CommitmentOwner, h: Htlc): string {
  return `${holderDirection(owner, h)}:${h.id}:${h.amountMsat}:${h.cltvExpiry}:${bytesToHex(h.paymentHash)}`;
}

function sameLedgerHtlc(
  l: LedgerHtlc,
  channelId: string,
  owner: CommitmentOwner,
  h: Htlc,
): boolean {
  return (
    l.channelId === channelId &&
    l.direction === holderDirection(owner, h) &&
    l.id === h.id &&
    l.amountMsat === h.amountMsat &&
    l.cltvExpiry === h.cltvExpiry
  );
}

/** Sorted hex payment hashes of the HTLCs added or removed between `previous` and `next`. */
export function touchedHashes(
  owner: CommitmentOwner,
  previous: readonly Htlc[],
  next: readonly Htlc[],
): string[] {
  // Fast path (the common update_fee / unchanged case): the same HTLCs at the same positions.
  if (previous.length === next.length && previous.every((p, i) => sameHtlc(p, next[i]!))) return [];
  const before = new Set(previous.map((h) => identity(owner, h)));
  const after = new Set(next.map((h) => identity(owner, h)));
  const out = new Set<string>();
  for (const h of next) if (!before.has(identity(owner, h))) out.add(bytesToHex(h.paymentHash));
  for (const h of previous) if (!after.has(identity(owner, h))) out.add(bytesToHex(h.paymentHash));
  return [...out].sort();
}

/**
 * Pure: the records of the hashes `change` touches after it (HTLCs added with the commitment
 * number that first carried them, removed ones marked out of that owner's commitment), and the
 * HTLCs we offer that no record knew. `lookup` gives the current record of a hash.
 */
export function applyCommitmentChange(
  lookup: (hashHex: string) => PaymentRecord | undefined,
  change: CommitmentChange,
): LedgerChange {
  const { channelId, owner, commitmentNumber: n } = change;
  const inKey = owner === "holder" ? "inHolder" : "inCounterparty";
  const firstKey = owner === "holder" ? "firstHolderCommitment" : "firstCounterpartyCommitment";
  const records = new Map<string, PaymentRecord>();
  const newlyOffered: NewlyOffered[] = [];
  for (const hashHex of touchedHashes(owner, change.previous, change.next)) {
    const next = change.next.filter((h) => bytesToHex(h.paymentHash) === hashHex);
    const rec =
      lookup(hashHex) ??
      emptyPaymentRecord(
        (next[0] ?? change.previous.find((h) => bytesToHex(h.paymentHash) === hashHex)!)
          .paymentHash,
      );
    const htlcs: LedgerHtlc[] = rec.htlcs.map((l) => {
      if (l.channelId !== channelId) return l;
      const present = next.some((h) => sameLedgerHtlc(l, channelId, owner, h));
      return l[inKey] === present ? l : { ...l, [inKey]: present };
    });
    for (const h of next) {
      const i = htlcs.findIndex((l) => sameLedgerHtlc(l, channelId, owner, h));
      if (i >= 0) {
        const l = htlcs[i]!;
        if (l[firstKey] < 0) htlcs[i] = { ...l, [firstKey]: n };
        continue;
      }
      const l: LedgerHtlc = {
        channelId,
        id: h.id,
        direction: holderDirection(owner, h),
        amountMsat: h.amountMsat,
        cltvExpiry: h.cltvExpiry,
        inHolder: owner === "holder",
        inCounterparty: owner === "counterparty",
        firstHolderCommitment: owner === "holder" ? n : -1,
        firstCounterpartyCommitment: owner === "counterparty" ? n : -1,
      };
      htlcs.push(l);
      if (l.direction === "offered") newlyOffered.push({ hashHex, htlc: l });
    }
    records.set(hashHex, updateRecord(rec, { htlcs }));
  }
  return { records, newlyOffered };
}
