/**
 * A PSBT (v0) as its raw key-value maps, to add entries to Core Lightning's PSBTs exactly as
 * libwally serializes them: entries of a map ordered by key type, proprietary and unknown
 * types (0xfc and above) last. Nothing is re-encoded: untouched entries keep their bytes.
 */
import { parseTx } from "../../bitcoin/tx.js";
import { FormatError } from "../../errors.js";
import { compareBytes } from "../../bolt3/scripts.js";
import { concatBytes } from "../../util/bytes.js";

/** One key-value entry (key includes its type byte). */
export interface PsbtEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** The maps of a PSBT. */
export interface RawPsbt {
  readonly global: PsbtEntry[];
  readonly inputs: PsbtEntry[][];
  readonly outputs: PsbtEntry[][];
}

const MAGIC = Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff);

function bad(what: string): never {
  throw new FormatError("format/psbt", what);
}

function readCompact(b: Uint8Array, off: number): [number, number] {
  const f = b[off];
  if (f === undefined) bad("truncated");
  if (f < 0xfd) return [f, off + 1];
  const dv = new DataView(b.buffer, b.byteOffset);
  if (f === 0xfd) {
    if (off + 3 > b.length) bad("truncated");
    return [dv.getUint16(off + 1, true), off + 3];
  }
  if (f === 0xfe) {
    if (off + 5 > b.length) bad("truncated");
    return [dv.getUint32(off + 1, true), off + 5];
  }
  return bad("oversized length");
}

function compact(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  const b = new Uint8Array(5);
  b[0] = 0xfe;
  new DataView(b.buffer).setUint32(1, n, true);
  return b;
}

function readMap(b: Uint8Array, start: number): [PsbtEntry[], number] {
  const entries: PsbtEntry[] = [];
  let off = start;
  for (;;) {
    const [klen, o1] = readCompact(b, off);
    if (klen === 0) return [entries, o1];
    if (o1 + klen > b.length) bad("truncated key");
    const key = b.slice(o1, o1 + klen);
    const [vlen, o2] = readCompact(b, o1 + klen);
    if (o2 + vlen > b.length) bad("truncated value");
    entries.push({ key, value: b.slice(o2, o2 + vlen) });
    off = o2 + vlen;
  }
}

/** Parses a v0 PSBT into its maps; FormatError when malformed. */
export function parseRawPsbt(bytes: Uint8Array): RawPsbt {
  if (bytes.length < 5 || compareBytes(bytes.subarray(0, 5), MAGIC) !== 0) bad("no PSBT magic");
  const [global, afterGlobal] = readMap(bytes, 5);
  const txEntry = global.find((e) => e.key.length === 1 && e.key[0] === 0x00);
  if (txEntry === undefined) bad("not a v0 PSBT");
  const tx = parseTx(txEntry.value);
  let off = afterGlobal;
  const inputs: PsbtEntry[][] = [];
  for (let i = 0; i < tx.inputs.length; i++) {
    const [m, next] = readMap(bytes, off);
    inputs.push(m);
    off = next;
  }
  const outputs: PsbtEntry[][] = [];
  for (let i = 0; i < tx.outputs.length; i++) {
    const [m, next] = readMap(bytes, off);
    outputs.push(m);
    off = next;
  }
  if (off !== bytes.length) bad("trailing bytes");
  return { global, inputs, outputs };
}

function writeMap(entries: readonly PsbtEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(compact(e.key.length), e.key, compact(e.value.length), e.value);
  }
  parts.push(Uint8Array.of(0));
  return concatBytes(...parts);
}

/** Serializes the maps back (inverse of parseRawPsbt). */
export function serializeRawPsbt(p: RawPsbt): Uint8Array {
  return concatBytes(
    MAGIC,
    writeMap(p.global),
    ...p.inputs.map(writeMap),
    ...p.outputs.map(writeMap),
  );
}

/**
 * Adds (or replaces) an entry in input `index`'s map at libwally's position: after every
 * entry of a lower key type or the same type with a smaller key, before the rest.
 */
export function insertInputEntry(
  p: RawPsbt,
  index: number,
  key: Uint8Array,
  value: Uint8Array,
): void {
  const map = p.inputs[index];
  if (map === undefined) bad(`no input ${index}`);
  const existing = map.findIndex((e) => compareBytes(e.key, key) === 0);
  if (existing >= 0) {
    map[existing] = { key, value };
    return;
  }
  const type = key[0]!;
  let at = map.findIndex(
    (e) => e.key[0]! > type || (e.key[0] === type && compareBytes(e.key, key) > 0),
  );
  if (at < 0) at = map.length;
  map.splice(at, 0, { key, value });
}
