/**
 * One payments-ledger record: everything the signer learned about one payment hash, node-wide.
 * HTLCs are learned only from commitments the signer validated or signed (directions in the
 * holder's view), approvals only from the node's approval API, preimages only from
 * `addPreimage` (the hash is computed here). Stored under `node/<id>/payment/<hash hex>`.
 */
import { sha256 } from "../crypto/hash.js";
import { FormatError } from "../errors.js";
import { decodeState } from "../state/codec.js";
import { bytesToHex, equalBytes } from "../util/bytes.js";

/** An HTLC of one of our channels that carries the payment hash (holder's view). */
export interface LedgerHtlc {
  readonly channelId: string;
  readonly id: bigint;
  /** "offered": we pay it (outgoing); "received": we are paid (incoming). */
  readonly direction: "offered" | "received";
  readonly amountMsat: bigint;
  readonly cltvExpiry: number;
  /** In the channel's current holder / counterparty commitment. */
  readonly inHolder: boolean;
  readonly inCounterparty: boolean;
  /** First holder / counterparty commitment number that carried it (-1: none yet). */
  readonly firstHolderCommitment: number;
  readonly firstCounterpartyCommitment: number;
}

/** How an outgoing payment was approved. */
export type ApprovalKind = "invoice" | "keysend" | "unannounced";

/** An approved outgoing payment. */
export interface PaymentApproval {
  readonly kind: ApprovalKind;
  /** The invoice or keysend amount (what the payee receives). */
  readonly amountMsat: bigint;
  /** The payee, when known (not for an unannounced payment). */
  readonly payeeNodeId: Uint8Array | undefined;
  /** The BOLT 12 offer paid, if any. */
  readonly offerId: Uint8Array | undefined;
  /** Invoice expiry (ms since 1970), if any. */
  readonly expiresAtMs: number | undefined;
  readonly approvedAtMs: number;
}

/** Settled: the preimage is known; failed: every HTLC is gone without it; else pending. */
export type PaymentState = "pending" | "settled" | "failed";

/** The ledger's record of one payment hash. */
export interface PaymentRecord {
  readonly paymentHash: Uint8Array;
  readonly preimage: Uint8Array | undefined;
  readonly approval: PaymentApproval | undefined;
  readonly htlcs: readonly LedgerHtlc[];
  readonly state: PaymentState;
}

/** A fresh record of `paymentHash`: nothing known yet. */
export function emptyPaymentRecord(paymentHash: Uint8Array): PaymentRecord {
  return {
    paymentHash: Uint8Array.from(paymentHash),
    preimage: undefined,
    approval: undefined,
    htlcs: [],
    state: "pending",
  };
}

/** The state a record's facts imply (see PaymentState). */
export function paymentState(r: Omit<PaymentRecord, "state">): PaymentState {
  if (r.preimage !== undefined) return "settled";
  if (r.htlcs.length > 0 && r.htlcs.every((h) => !h.inHolder && !h.inCounterparty)) {
    return "failed";
  }
  return "pending";
}

/** `r` with `change` applied and its state recomputed. */
export function updateRecord(
  r: PaymentRecord,
  change: Partial<Omit<PaymentRecord, "state" | "paymentHash">>,
): PaymentRecord {
  const out = { ...r, ...change };
  return { ...out, state: paymentState(out) };
}

/** True while the HTLC is in a current commitment of its channel. */
export function isLive(h: LedgerHtlc): boolean {
  return h.inHolder || h.inCounterparty;
}

/** The Store key of the record of `paymentHash` for node `nodeId`. */
export function paymentKey(nodeId: Uint8Array, paymentHash: Uint8Array): string {
  return `${paymentPrefix(nodeId)}${bytesToHex(paymentHash)}`;
}

/** The Store key prefix of node `nodeId`'s payment records. */
export function paymentPrefix(nodeId: Uint8Array): string {
  return `node/${bytesToHex(nodeId)}/payment/`;
}

/** Decodes a stored record; FormatError `state/payment-record` when malformed. */
export function decodePaymentRecord(value: Uint8Array): PaymentRecord {
  const r = decodeState<PaymentRecord>(value);
  const ok =
    typeof r === "object" &&
    r !== null &&
    r.paymentHash instanceof Uint8Array &&
    r.paymentHash.length === 32 &&
    Array.isArray(r.htlcs) &&
    (r.preimage === undefined ||
      (r.preimage instanceof Uint8Array && equalBytes(sha256(r.preimage), r.paymentHash)));
  if (!ok) throw new FormatError("state/payment-record", "stored payment record is malformed");
  return { ...r, preimage: r.preimage, approval: r.approval, state: paymentState(r) };
}
