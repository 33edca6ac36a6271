/**
 * Reading what LDK's TypeScript bindings do not expose directly: the HTLC list of a
 * CommitmentTransaction (TLV type 12 of its serialization) and the CommitmentTransaction inside
 * a HolderCommitmentTransaction (TLV type 0), plus the conversions between LDK's and Warden's
 * numbering and Result types.
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

/** The HTLC outputs of a commitment (LDK lists only the untrimmed ones), in output order. */
export function commitmentHtlcs(ct: ldk.CommitmentTransaction): ldk.HTLCOutputInCommitment[] {
  const v = tlvRecord(ct.write(), 12);
  const out: ldk.HTLCOutputInCommitment[] = [];
  if (v === undefined) return out;
  // `required_vec`: the elements back to back, each its own length-prefixed TLV stream.
  let o = 0;
  while (o < v.length) {
    const [l, o2] = bigSize(v, o);
    const r = ldk.HTLCOutputInCommitment.constructor_read(v.subarray(o, o2 + l));
    if (!(r instanceof ldk.Result_HTLCOutputInCommitmentDecodeErrorZ_OK)) {
      throw new Error("ldk: cannot decode an HTLC of the commitment");
    }
    out.push(r.res);
    o = o2 + l;
  }
  return out;
}

/** The commitment inside a HolderCommitmentTransaction. */
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
