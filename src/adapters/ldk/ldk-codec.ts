/**
 * Reading what LDK's TypeScript bindings do not expose directly, or only through a round trip
 * per field: a CommitmentTransaction decoded from its serialization (with its HTLC list, TLV
 * type 12) and the CommitmentTransaction inside a HolderCommitmentTransaction (TLV type 0),
 * plus the conversion between LDK's and Warden's commitment numbering.
 */
import * as ldk from "lightningdevkit";
import { MAX_COMMITMENT_NUMBER } from "../../bolt3/commitment-number.js";

/** BigSize (BOLT 1) at `o`: the value and the offset after it. */
function bigSize(b: Uint8Array, o: number): [number, number] {
  const f = b[o]!;
  if (f < 0xfd) return [f, o + 1];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (f === 0xfd) return [dv.getUint16(o + 1), o + 3];
  if (f === 0xfe) return [dv.getUint32(o + 1), o + 5];
  return [Number(dv.getBigUint64(o + 1)), o + 9];
}

/** One record of a length-prefixed TLV stream (LDK's `write_tlv_fields!`), or undefined. */
export function tlvRecord(b: Uint8Array, type: number): Uint8Array | undefined {
  const [len, start] = bigSize(b, 0);
  const end = start + len;
  let o = start;
  while (o < end) {
    let t: number;
    let l: number;
    [t, o] = bigSize(b, o);
    [l, o] = bigSize(b, o);
    if (t === type) return b.subarray(o, o + l);
    if (t > type) return undefined;
    o += l;
  }
  return undefined;
}

/** An HTLC of a commitment as LDK serializes it (HTLCOutputInCommitment). */
export interface CommitmentHtlcView {
  /** Offered by the commitment's broadcaster. */
  offered: boolean;
  amountMsat: bigint;
  cltvExpiry: number;
  paymentHash: Uint8Array;
  /** Its output (LDK lists only the HTLCs with one). */
  outputIndex: number | undefined;
}

/** What the adapter reads of a CommitmentTransaction, decoded from its serialization. */
export interface CommitmentView {
  /** LDK's commitment index (counting down). */
  index: bigint;
  toBroadcasterSat: bigint;
  toCountersignatorySat: bigint;
  feeratePerKw: number;
  htlcs: CommitmentHtlcView[];
  perCommitmentPoint: Uint8Array;
  /** The built transaction's txid (internal byte order). */
  txid: Uint8Array;
}

/** A required record of a TLV stream, or an error naming `what`. */
function required(b: Uint8Array, type: number, what: string): Uint8Array {
  const v = tlvRecord(b, type);
  if (v === undefined) throw new Error(`ldk: ${what} without TLV ${type}`);
  return v;
}

/** A big-endian unsigned integer of 2, 4 or 8 bytes. */
function uint(v: Uint8Array, bytes: 2 | 4 | 8, what: string): bigint {
  if (v.length !== bytes) throw new Error(`ldk: ${what} is not ${bytes} bytes`);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  if (bytes === 2) return BigInt(dv.getUint16(0));
  if (bytes === 4) return BigInt(dv.getUint32(0));
  return dv.getBigUint64(0);
}

/** One HTLCOutputInCommitment (its own length-prefixed TLV stream). */
function readHtlc(b: Uint8Array): CommitmentHtlcView {
  const offered = required(b, 0, "HTLC");
  const hash = required(b, 6, "HTLC");
  if (offered.length !== 1 || offered[0]! > 1 || hash.length !== 32) {
    throw new Error("ldk: malformed HTLC of the commitment");
  }
  const index = tlvRecord(b, 8);
  return {
    offered: offered[0] === 1,
    amountMsat: uint(required(b, 2, "HTLC"), 8, "HTLC amount"),
    cltvExpiry: Number(uint(required(b, 4, "HTLC"), 4, "HTLC expiry")),
    paymentHash: Uint8Array.from(hash),
    outputIndex: index === undefined ? undefined : Number(uint(index, 4, "HTLC output index")),
  };
}

/**
 * Decodes LDK's serialization of a CommitmentTransaction (its TLV stream: number 0, values
 * 2/4, feerate 6, keys 8, built transaction 10, HTLCs 12) without a round trip through the
 * bindings for every field. Throws on anything malformed.
 */
export function readCommitment(bytes: Uint8Array): CommitmentView {
  const keys = required(bytes, 8, "commitment");
  const point = required(keys, 0, "commitment keys");
  const built = required(bytes, 10, "commitment");
  const txid = required(built, 2, "built commitment");
  if (point.length !== 33 || txid.length !== 32) throw new Error("ldk: malformed commitment");
  const htlcs: CommitmentHtlcView[] = [];
  const v = tlvRecord(bytes, 12);
  // `required_vec`: the elements back to back, each its own length-prefixed TLV stream.
  for (let o = 0; v !== undefined && o < v.length;) {
    const [l, o2] = bigSize(v, o);
    if (o2 + l > v.length) throw new Error("ldk: truncated HTLC list");
    htlcs.push(readHtlc(v.subarray(o, o2 + l)));
    o = o2 + l;
  }
  return {
    index: uint(required(bytes, 0, "commitment"), 8, "commitment number"),
    toBroadcasterSat: uint(required(bytes, 2, "commitment"), 8, "to_broadcaster"),
    toCountersignatorySat: uint(required(bytes, 4, "commitment"), 8, "to_countersignatory"),
    feeratePerKw: Number(uint(required(bytes, 6, "commitment"), 4, "feerate")),
    htlcs,
    perCommitmentPoint: Uint8Array.from(point),
    txid: Uint8Array.from(txid),
  };
}

/** The commitment inside a HolderCommitmentTransaction, decoded (see readCommitment). */
export function readHolderCommitment(h: ldk.HolderCommitmentTransaction): CommitmentView {
  const v = tlvRecord(h.write(), 0);
  if (v === undefined) throw new Error("ldk: holder commitment without its transaction");
  return readCommitment(v);
}

/** The commitment inside a HolderCommitmentTransaction, as LDK's own object (its accessors, its built transaction). */
export function holderInner(h: ldk.HolderCommitmentTransaction): ldk.CommitmentTransaction {
  const v = tlvRecord(h.write(), 0);
  if (v === undefined) throw new Error("ldk: holder commitment without its transaction");
  const r = ldk.CommitmentTransaction.constructor_read(v);
  if (!(r instanceof ldk.Result_CommitmentTransactionDecodeErrorZ_OK)) {
    throw new Error("ldk: cannot decode the holder commitment");
  }
  return r.res;
}

/** Warden's commitment number (counting up from 0) of LDK's commitment index (counting down). */
export function numberFromIndex(index: bigint): number {
  const n = BigInt(MAX_COMMITMENT_NUMBER) - index;
  if (n < 0n || n > BigInt(MAX_COMMITMENT_NUMBER)) throw new Error("ldk: bad commitment index");
  return Number(n);
}

/** The output index of an HTLC (LDK leaves it unset for trimmed HTLCs). */
export function htlcOutputIndex(h: ldk.HTLCOutputInCommitment): number | undefined {
  const o = h.get_transaction_output_index();
  return o instanceof ldk.Option_u32Z_Some ? o.some : undefined;
}
