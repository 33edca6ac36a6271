/**
 * BOLT 1 TLV streams: a sequence of (BigSize type, BigSize length, value) records with strictly
 * increasing types. The reader keeps each record's exact bytes, which the BOLT 12 merkle tree
 * hashes. Errors are FormatError `bolt12/tlv` (truncated, out of order or duplicate records) or
 * `bolt12/bigsize`.
 */
import { FormatError } from "../errors.js";
import { decodeBigSize, encodeBigSize } from "./bigsize.js";

/** One TLV record. */
export interface TlvRecord {
  readonly type: bigint;
  readonly value: Uint8Array;
}

/** A record as read from a stream, with its full encoding (type || length || value). */
export interface ReadTlvRecord extends TlvRecord {
  readonly encoded: Uint8Array;
}

function fail(message: string): never {
  throw new FormatError("bolt12/tlv", message);
}

/** Reads a whole TLV stream; FormatError unless it is well formed with strictly increasing types. */
export function readTlvStream(bytes: Uint8Array): ReadTlvRecord[] {
  if (!(bytes instanceof Uint8Array)) fail("TLV stream must be bytes");
  const out: ReadTlvRecord[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const t = decodeBigSize(bytes, pos);
    pos += t.length;
    const l = decodeBigSize(bytes, pos);
    pos += l.length;
    if (l.value > BigInt(bytes.length - pos)) fail("TLV value runs past the end of the stream");
    const end = pos + Number(l.value);
    const prev = out[out.length - 1];
    if (prev !== undefined && t.value <= prev.type) fail("TLV types must strictly increase");
    out.push({ type: t.value, value: bytes.slice(pos, end), encoded: bytes.slice(start, end) });
    pos = end;
  }
  return out;
}

/** Encodes one record as type || length || value. */
export function encodeTlvRecord(record: TlvRecord): Uint8Array {
  const t = encodeBigSize(record.type);
  const l = encodeBigSize(BigInt(record.value.length));
  const out = new Uint8Array(t.length + l.length + record.value.length);
  out.set(t);
  out.set(l, t.length);
  out.set(record.value, t.length + l.length);
  return out;
}

/** Encodes records as a stream; FormatError unless their types strictly increase. */
export function writeTlvStream(records: readonly TlvRecord[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let prev: bigint | undefined;
  for (const r of records) {
    if (prev !== undefined && r.type <= prev) fail("TLV types must strictly increase");
    prev = r.type;
    parts.push(encodeTlvRecord(r));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
