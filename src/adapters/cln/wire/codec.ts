/**
 * The generic hsmd wire codec: every message of Core Lightning's hsmd_wire.csv (the table in
 * messages.ts) is decoded and encoded by walking its field list. A message is its 2-byte
 * big-endian type followed by its fields (no length prefix; framing is the transport's job).
 *
 * Decoded values: u8/u16/u32 → number; u64/s64/amount_sat/amount_msat → bigint; bool →
 * boolean; fixed byte types (node_id, pubkey, secret, sha256, signatures, ...) → Uint8Array;
 * u8 arrays → Uint8Array; other arrays → WireValue[]; wirestring → string; optional ('?')
 * fields → null when absent; compound types (primitives.ts) and CSV subtypes → objects keyed
 * by member name; a TLV stream → an object keyed by record name (each record an object of its
 * fields; records not present are left out), with unknown odd records under `unknown` as
 * `{ type: bigint, value: Uint8Array }[]`. Length fields are decoded too; when encoding they
 * may be omitted (they are computed from the arrays they count) but must match if given.
 *
 * Decoding is strict: a message must use every byte (`cln/wire-trailing`), so any value it
 * returns re-encodes to exactly the input.
 */
import { decodeBigSize, encodeBigSize } from "../../../bolt12/bigsize.js";
import { WardenError } from "../../../errors.js";
import { bytesToHex, equalBytes } from "../../../util/bytes.js";
import { HsmdWireError } from "./errors.js";
import { HSMD_MESSAGES, HSMD_SUBTYPES, HSMD_TLVS } from "./messages.js";
import {
  BASE_TYPES,
  BOOL_TYPE,
  encodeError,
  type WireRecord,
  WireReader,
  type WireValue,
  WireWriter,
} from "./primitives.js";
import type { HsmdFieldDef, HsmdMessageDef, HsmdTlvDef } from "./schema.js";

export { HsmdWireError } from "./errors.js";
export type { WireValue } from "./primitives.js";

/** One decoded hsmd message. */
export interface HsmdMessage {
  readonly type: number;
  readonly name: string;
  readonly fields: Record<string, WireValue>;
}

const byName = new Map<string, HsmdMessageDef>(HSMD_MESSAGES.map((m) => [m.name, m]));
const byType = new Map<number, HsmdMessageDef>(HSMD_MESSAGES.map((m) => [m.type, m]));
const subtypes = new Map(HSMD_SUBTYPES.map((s) => [s.name, s]));
const tlvs = new Map<string, HsmdTlvDef>(HSMD_TLVS.map((t) => [t.name, t]));

/** Key of a TLV stream's unknown odd records in its decoded object. */
const UNKNOWN = "unknown";

/** The message definition for a name or type number, or undefined. */
export function hsmdMessageDef(nameOrType: string | number): HsmdMessageDef | undefined {
  return typeof nameOrType === "number" ? byType.get(nameOrType) : byName.get(nameOrType);
}

/** The type number of message `name`; HsmdWireError if the CSV has no such message. */
export function hsmdMessageType(name: string): number {
  const def = byName.get(name);
  if (def === undefined) throw new HsmdWireError("cln/wire-unknown-type", `no message ${name}`);
  return def.type;
}

function isU8Like(type: string): boolean {
  return type === "u8" || type === "byte";
}

// ---------------------------------------------------------------------------------------------
// Decoding

function decodeSingle(r: WireReader, type: string, what: string): WireValue {
  const base = BASE_TYPES.get(type);
  if (base !== undefined) return base.decode(r, what);
  const sub = subtypes.get(type);
  if (sub !== undefined) return decodeFields(r, sub.fields, what);
  const tlv = tlvs.get(type);
  if (tlv !== undefined) return decodeTlvStream(r, tlv, what);
  // The table is generated from the CSV; a type neither here nor there is a codec defect.
  throw new HsmdWireError("cln/wire-unknown-type", `${what}: no codec for type ${type}`);
}

function countOf(f: HsmdFieldDef, done: WireRecord, r: WireReader, what: string): number | null {
  if (f.count === null) return null;
  if (typeof f.count === "number") return f.count;
  if (f.count === "...") return -1;
  const n = done[f.count];
  if (typeof n !== "number" && typeof n !== "bigint") {
    throw new HsmdWireError("cln/wire-bad-value", `${what}: length field ${f.count} not decoded`);
  }
  const count = Number(n);
  if (count > r.remaining) {
    // Every element takes at least one byte: a count above the bytes left is a lie, not a loop.
    throw new HsmdWireError(
      "cln/wire-truncated",
      `${what}: ${count} elements announced, ${r.remaining} bytes left`,
    );
  }
  return count;
}

function decodeField(r: WireReader, f: HsmdFieldDef, done: WireRecord, what: string): WireValue {
  if (f.optional) {
    return BOOL_TYPE.decode(r, what) === true ? decodeSingle(r, f.type, what) : null;
  }
  const count = countOf(f, done, r, what);
  if (count === null) return decodeSingle(r, f.type, what);
  if (isU8Like(f.type)) return r.take(count === -1 ? r.remaining : count, what);
  const out: WireValue[] = [];
  if (count === -1) {
    while (r.remaining > 0) out.push(decodeSingle(r, f.type, `${what}[${out.length}]`));
  } else {
    for (let i = 0; i < count; i++) out.push(decodeSingle(r, f.type, `${what}[${i}]`));
  }
  return out;
}

function decodeFields(r: WireReader, fields: readonly HsmdFieldDef[], what: string): WireRecord {
  const out: WireRecord = {};
  for (const f of fields) out[f.name] = decodeField(r, f, out, `${what}.${f.name}`);
  return out;
}

function tlvError(what: string, message: string): HsmdWireError {
  return new HsmdWireError("cln/wire-bad-tlv", `${what}: ${message}`);
}

function bigSizeAt(r: WireReader, what: string): bigint {
  try {
    const { value, length } = decodeBigSize(r.bytes, r.pos);
    r.pos += length;
    return value;
  } catch (e) {
    if (e instanceof WardenError) throw tlvError(what, "truncated or non-minimal BigSize");
    throw e;
  }
}

/** A TLV stream runs to the end of the message (wire/tlvstream.c fromwire_tlv rules). */
function decodeTlvStream(r: WireReader, def: HsmdTlvDef, what: string): WireRecord {
  const out: WireRecord = {};
  const unknown: WireValue[] = [];
  let prev = -1n;
  while (r.remaining > 0) {
    const type = bigSizeAt(r, `${what} type`);
    if (type <= prev) throw tlvError(what, "record types not strictly increasing");
    prev = type;
    const len = bigSizeAt(r, `${what} length`);
    if (len > BigInt(r.remaining)) {
      throw new HsmdWireError("cln/wire-truncated", `${what}: record longer than the message`);
    }
    const value = r.take(Number(len), what);
    const rec = def.records.find((x) => BigInt(x.type) === type);
    if (rec === undefined) {
      if (type % 2n === 0n) throw tlvError(what, `unknown even record type ${type}`);
      unknown.push({ type, value });
      continue;
    }
    const sub = new WireReader(value);
    const fields = decodeFields(sub, rec.fields, `${what}.${rec.name}`);
    if (sub.remaining !== 0) throw tlvError(what, `record ${rec.name} longer than its fields`);
    out[rec.name] = fields;
  }
  if (unknown.length > 0) out[UNKNOWN] = unknown;
  return out;
}

/** Decodes one whole message (2-byte type first, no length prefix); HsmdWireError on unknown type, truncation or trailing bytes. */
export function decodeHsmdMessage(bytes: Uint8Array): HsmdMessage {
  if (!(bytes instanceof Uint8Array)) {
    throw new HsmdWireError("cln/wire-bad-value", "message must be a Uint8Array");
  }
  const r = new WireReader(bytes);
  const type = r.uint(2, "message type");
  const def = byType.get(type);
  if (def === undefined) {
    throw new HsmdWireError("cln/wire-unknown-type", `unknown hsmd message type ${type}`);
  }
  const fields = decodeFields(r, def.fields, def.name);
  if (r.remaining !== 0) {
    throw new HsmdWireError(
      "cln/wire-trailing",
      `${def.name}: ${r.remaining} bytes after the last field`,
    );
  }
  return { type, name: def.name, fields };
}

// ---------------------------------------------------------------------------------------------
// Encoding

function encodeSingle(w: WireWriter, type: string, v: WireValue, what: string): void {
  const base = BASE_TYPES.get(type);
  if (base !== undefined) return base.encode(w, v, what);
  const sub = subtypes.get(type);
  if (sub !== undefined) return encodeFields(w, sub.fields, asRecord(v, what), what);
  const tlv = tlvs.get(type);
  if (tlv !== undefined) return encodeTlvStream(w, tlv, asRecord(v, what), what);
  throw encodeError(what, `no codec for type ${type}`);
}

function asRecord(v: WireValue | undefined, what: string): WireRecord {
  if (typeof v !== "object" || v === null || v instanceof Uint8Array || Array.isArray(v)) {
    throw encodeError(what, "expected an object");
  }
  return v;
}

function elementCount(v: WireValue | undefined, what: string): number {
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length;
  throw encodeError(what, "expected an array");
}

/** Values of the length fields, computed from the arrays that name them. */
function lengthsOf(fields: readonly HsmdFieldDef[], values: WireRecord, what: string) {
  const lengths = new Map<string, number>();
  for (const f of fields) {
    if (typeof f.count !== "string" || f.count === "...") continue;
    const n = elementCount(values[f.name], `${what}.${f.name}`);
    const seen = lengths.get(f.count);
    if (seen !== undefined && seen !== n) {
      throw encodeError(`${what}.${f.name}`, `arrays counted by ${f.count} differ in length`);
    }
    lengths.set(f.count, n);
  }
  return lengths;
}

function encodeFields(
  w: WireWriter,
  fields: readonly HsmdFieldDef[],
  values: WireRecord,
  what: string,
): void {
  const lengths = lengthsOf(fields, values, what);
  for (const f of fields) {
    const at = `${what}.${f.name}`;
    const given = Object.prototype.hasOwnProperty.call(values, f.name) ? values[f.name] : undefined;
    const computed = lengths.get(f.name);
    if (computed !== undefined) {
      const v = given === undefined ? computed : given;
      if (Number(v) !== computed) throw encodeError(at, "does not match its array's length");
      if (f.type === "u64") encodeSingle(w, f.type, BigInt(computed), at);
      else encodeSingle(w, f.type, computed, at);
      continue;
    }
    if (given === undefined) {
      // A trailing TLV stream may be left out: it encodes as no records.
      if (tlvs.has(f.type)) continue;
      throw encodeError(at, "missing");
    }
    if (f.optional) {
      BOOL_TYPE.encode(w, given !== null, at);
      if (given !== null) encodeSingle(w, f.type, given, at);
      continue;
    }
    if (f.count === null) {
      encodeSingle(w, f.type, given, at);
      continue;
    }
    if (typeof f.count === "number" && elementCount(given, at) !== f.count) {
      throw encodeError(at, `expected ${f.count} elements`);
    }
    if (isU8Like(f.type)) {
      if (!(given instanceof Uint8Array)) throw encodeError(at, "expected bytes");
      w.bytes(given);
      continue;
    }
    if (!Array.isArray(given)) throw encodeError(at, "expected an array");
    given.forEach((el, i) => encodeSingle(w, f.type, el, `${at}[${i}]`));
  }
}

function encodeTlvStream(w: WireWriter, def: HsmdTlvDef, v: WireRecord, what: string): void {
  const records: Array<{ type: bigint; value: Uint8Array }> = [];
  for (const key of Object.keys(v)) {
    if (key === UNKNOWN) continue;
    if (!def.records.some((r) => r.name === key)) {
      throw encodeError(`${what}.${key}`, `not a record of ${def.name}`);
    }
  }
  for (const rec of def.records) {
    const given = v[rec.name];
    if (given === undefined || given === null) continue;
    const sub = new WireWriter();
    encodeFields(sub, rec.fields, asRecord(given, `${what}.${rec.name}`), `${what}.${rec.name}`);
    records.push({ type: BigInt(rec.type), value: sub.finish() });
  }
  const unknown = v[UNKNOWN];
  if (unknown !== undefined && unknown !== null) {
    if (!Array.isArray(unknown)) throw encodeError(`${what}.${UNKNOWN}`, "expected an array");
    for (const u of unknown) {
      const rec = asRecord(u, `${what}.${UNKNOWN}`);
      const type = rec["type"];
      const value = rec["value"];
      if (typeof type !== "bigint" || type < 0n || type % 2n === 0n) {
        throw encodeError(`${what}.${UNKNOWN}`, "unknown records need an odd bigint type");
      }
      if (def.records.some((r) => BigInt(r.type) === type)) {
        throw encodeError(`${what}.${UNKNOWN}`, `type ${type} is a known record`);
      }
      if (!(value instanceof Uint8Array)) throw encodeError(`${what}.${UNKNOWN}`, "value: bytes");
      records.push({ type, value });
    }
  }
  records.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  records.forEach((rec, i) => {
    if (i > 0 && records[i - 1]!.type === rec.type) {
      throw encodeError(what, `duplicate record type ${rec.type}`);
    }
    try {
      w.bytes(encodeBigSize(rec.type));
    } catch {
      throw encodeError(what, "record type out of range");
    }
    w.bytes(encodeBigSize(BigInt(rec.value.length)));
    w.bytes(rec.value);
  });
}

/** Encodes a message by name (or type); the inverse of decode. HsmdWireError `cln/wire-encode` on values that do not fit. */
export function encodeHsmdMessage(
  nameOrType: string | number,
  fields: Record<string, WireValue>,
): Uint8Array {
  const def = hsmdMessageDef(nameOrType);
  if (def === undefined) {
    throw new HsmdWireError("cln/wire-unknown-type", `unknown hsmd message ${nameOrType}`);
  }
  const w = new WireWriter();
  w.uint(def.type, 2);
  encodeFields(w, def.fields, asRecord(fields, def.name), def.name);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Diff

function show(v: WireValue | undefined): string {
  if (v === undefined) return "(absent)";
  if (v === null) return "null";
  if (v instanceof Uint8Array) return v.length === 0 ? "(empty)" : bytesToHex(v);
  if (typeof v === "bigint") return `${v}`;
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.length} elements]`;
  if (typeof v === "object") return "{...}";
  return String(v);
}

function diffValues(
  a: WireValue | undefined,
  b: WireValue | undefined,
  path: string,
  out: string[],
) {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (!equalBytes(a, b)) out.push(`${path}: ${show(a)} != ${show(b)}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: ${a.length} elements != ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      diffValues(a[i], b[i], `${path}[${i}]`, out);
    }
    return;
  }
  const isObj = (x: WireValue | undefined): x is WireRecord =>
    typeof x === "object" && x !== null && !(x instanceof Uint8Array) && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) diffValues(a[k], b[k], `${path}.${k}`, out);
    return;
  }
  if (a !== b) out.push(`${path}: ${show(a)} != ${show(b)}`);
}

/** Field-level differences between two encoded messages, human readable (empty when identical). */
export function diffHsmdMessages(a: Uint8Array, b: Uint8Array): string[] {
  if (equalBytes(a, b)) return [];
  let da: HsmdMessage;
  let db: HsmdMessage;
  try {
    da = decodeHsmdMessage(a);
  } catch (e) {
    return [`first message does not decode: ${e instanceof Error ? e.message : String(e)}`];
  }
  try {
    db = decodeHsmdMessage(b);
  } catch (e) {
    return [`second message does not decode: ${e instanceof Error ? e.message : String(e)}`];
  }
  if (da.type !== db.type) return [`type: ${da.name} (${da.type}) != ${db.name} (${db.type})`];
  const out: string[] = [];
  diffValues(da.fields, db.fields, da.name, out);
  // Decoding is strict and exact, so different bytes always show up as a field difference.
  return out.length > 0 ? out : [`${da.name}: bytes differ`];
}
