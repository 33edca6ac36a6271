/**
 * Serialization of signer state for the Store: JSON with tagged byte arrays and bigints, so
 * records are inspectable and stable across versions. Only public data and the counterparty's
 * revealed revocation secrets are stored; our keys are re-derived from the seed on load.
 *
 * Byte arrays (Uint8Array and Buffer alike) encode as {"$b": hex}, bigints as {"$n": decimal};
 * everything else as JSON.stringify would (undefined object fields are dropped, undefined array
 * items become null). Encoding is on the hot path (every committed change re-encodes the whole
 * channel state), so it is a direct encoder, and the text of a deeply frozen object or array
 * (every object in it frozen, e.g. by freezeDeep) is cached by identity: a commitment record is
 * then encoded once, however many later states carry it. Byte arrays cannot be frozen; state
 * treats them as immutable values (never written in place), which the cache relies on.
 */
import { FormatError } from "../errors.js";
import { hexToBytes } from "../util/bytes.js";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/** Encodings of deeply frozen objects/arrays (nothing in them can change, so neither can the text). */
const frozenText = new WeakMap<object, string>();
/** UTF-8 bytes of large frozen encodings, made on first use by encodeState (copied, not re-encoded). */
const frozenBytes = new WeakMap<object, Uint8Array>();
/** Frozen encodings at least this long are copied into encodeState's output as cached bytes. */
const BYTES_CACHE_MIN_CHARS = 1024;
/** JSON text of object keys (`"key":`), by key: a state has few distinct keys. */
const keyText = new Map<string, string>();

/** Set by every encodeValue call: whether the value just encoded was deeply immutable. */
let immutable = true;

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function keyJson(k: string): string {
  let t = keyText.get(k);
  if (t === undefined) {
    t = `${JSON.stringify(k)}:`;
    if (keyText.size < 4096) keyText.set(k, t);
  }
  return t;
}

/** JSON text of `v`, or undefined for values JSON omits (undefined, functions, symbols). */
function encodeValue(v: unknown): string | undefined {
  immutable = true;
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return `{"$n":"${v.toString()}"}`;
    case "object":
      return v === null ? "null" : encodeObject(v);
    default:
      return undefined;
  }
}

function encodeObject(o: object): string {
  // Byte arrays cannot be frozen; records hold them as immutable values by convention.
  if (o instanceof Uint8Array) return `{"$b":"${hex(o)}"}`;
  const cached = frozenText.get(o);
  if (cached !== undefined) return cached;
  let deep = Object.isFrozen(o);
  let text: string;
  if (Array.isArray(o)) {
    let t = "[";
    for (let i = 0; i < o.length; i++) {
      if (i > 0) t += ",";
      t += encodeValue(o[i]) ?? "null";
      deep &&= immutable;
    }
    text = `${t}]`;
  } else {
    const withJson = o as { toJSON?: unknown };
    if (typeof withJson.toJSON === "function") {
      const t = encodeValue((withJson.toJSON as () => unknown).call(o)) ?? "null";
      immutable = false;
      return t;
    }
    const rec = o as Record<string, unknown>;
    let t = "{";
    let first = true;
    for (const k in rec) {
      if (!Object.prototype.hasOwnProperty.call(rec, k)) continue;
      const vt = encodeValue(rec[k]);
      deep &&= immutable;
      if (vt === undefined) continue;
      t += first ? keyJson(k) : `,${keyJson(k)}`;
      t += vt;
      first = false;
    }
    text = `${t}}`;
  }
  if (deep) frozenText.set(o, text);
  immutable = deep;
  return text;
}

/**
 * Outputs of at most POOL_SLICE_MAX bytes are carved from a shared pool (as Node does for small
 * Buffers): one allocation serves many commits. Each output is its own region, never handed
 * out twice or written after it is returned; a new pool starts when the current one is full.
 */
const POOL_BYTES = 32 * 1024;
const POOL_SLICE_MAX = 4 * 1024;
let pool = new ArrayBuffer(POOL_BYTES);
let poolUsed = 0;

function allocate(size: number): Uint8Array {
  if (size > POOL_SLICE_MAX) return new Uint8Array(size);
  if (poolUsed + size > POOL_BYTES) {
    pool = new ArrayBuffer(POOL_BYTES);
    poolUsed = 0;
  }
  const out = new Uint8Array(pool, poolUsed, size);
  poolUsed += (size + 7) & ~7;
  return out;
}

/**
 * Pieces of one encodeState output: text, and the cached bytes of large frozen records (so a
 * state carrying big unchanged records costs a copy of their bytes, not a re-encoding).
 */
class Pieces {
  readonly parts: Array<string | Uint8Array> = [];
  text = "";

  bytes(b: Uint8Array): void {
    if (this.text.length > 0) this.parts.push(this.text);
    this.text = "";
    this.parts.push(b);
  }

  finish(): Uint8Array {
    if (this.text.length > 0) this.parts.push(this.text);
    let size = 0;
    for (const p of this.parts) size += typeof p === "string" ? Buffer.byteLength(p) : p.length;
    const out = allocate(size);
    let at = 0;
    for (const p of this.parts) {
      if (typeof p === "string") at += enc.encodeInto(p, out.subarray(at)).written;
      else {
        out.set(p, at);
        at += p.length;
      }
    }
    return out;
  }
}

/** Encodes `v` into `out`, as encodeValue would, taking large frozen records as cached bytes. */
function encodeInto(v: unknown, out: Pieces): boolean {
  if (typeof v !== "object" || v === null || v instanceof Uint8Array) {
    const t = encodeValue(v);
    if (t === undefined) return false;
    out.text += t;
    return true;
  }
  if (Object.isFrozen(v)) {
    const t = encodeValue(v)!;
    if (t.length >= BYTES_CACHE_MIN_CHARS && frozenText.get(v) === t) {
      let b = frozenBytes.get(v);
      if (b === undefined) {
        b = enc.encode(t);
        frozenBytes.set(v, b);
      }
      out.bytes(b);
    } else out.text += t;
    return true;
  }
  if (Array.isArray(v)) {
    out.text += "[";
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.text += ",";
      if (!encodeInto(v[i], out)) out.text += "null";
    }
    out.text += "]";
    return true;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") {
    out.text += encodeValue(v) ?? "null";
    return true;
  }
  const rec = v as Record<string, unknown>;
  out.text += "{";
  let first = true;
  for (const k in rec) {
    if (!Object.prototype.hasOwnProperty.call(rec, k)) continue;
    const x = rec[k];
    if (x === undefined || typeof x === "function" || typeof x === "symbol") continue;
    out.text += first ? keyJson(k) : `,${keyJson(k)}`;
    first = false;
    encodeInto(x, out);
  }
  out.text += "}";
  return true;
}

/**
 * Replaces tagged values ({"$b": hex}, {"$n": decimal}) in freshly parsed JSON, in place. A walk
 * after JSON.parse is about twice as fast as a JSON.parse reviver (a cold start of 100 000
 * channels decodes every state once).
 */
function revive(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const o = value as Record<string, unknown>;
  let count = 0;
  let only = "";
  for (const k in o) {
    count++;
    only = k;
  }
  if (count === 1) {
    const x = o[only];
    if (only === "$b" && typeof x === "string") return hexToBytes(x);
    if (only === "$n" && typeof x === "string" && /^-?\d+$/.test(x)) return BigInt(x);
  }
  for (const k in o) {
    const x = o[k];
    const r = revive(x);
    if (r === x) continue;
    // JSON.parse makes "__proto__" an own property; assigning it would set the prototype.
    if (k === "__proto__") {
      Object.defineProperty(o, k, {
        value: r,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else o[k] = r;
  }
  return o;
}

/** Encodes a state object (plain data, Uint8Array, bigint, undefined-free) to bytes. */
export function encodeState(value: unknown): Uint8Array {
  const out = new Pieces();
  if (!encodeInto(value, out)) out.text = "null";
  return out.finish();
}

/** Decodes bytes produced by encodeState; FormatError `format/state` on corrupt data. */
export function decodeState<T>(bytes: Uint8Array): T {
  try {
    return revive(JSON.parse(dec.decode(bytes))) as T;
  } catch {
    throw new FormatError("format/state", "stored state is not valid");
  }
}

/**
 * Freezes `value` and every plain object and array reachable from it (not byte arrays, which
 * cannot be frozen), stopping at objects already frozen; returns `value`. Frozen records are
 * encoded once (see the module comment). Only for data the caller owns exclusively.
 */
export function freezeDeep<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value as object)) freezeDeep(v);
  return value;
}

/**
 * A deep copy of plain data — objects, arrays, byte arrays (a Buffer stays a Buffer) — frozen
 * with freezeDeep, so later changes to `value` cannot reach it and it is encoded once.
 */
export function frozenCopy<T>(value: T): T {
  return freezeDeep(copyData(value)) as T;
}

function copyData(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? Buffer.from(v) : Uint8Array.from(v);
  if (Array.isArray(v)) return v.map(copyData);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = copyData((v as Record<string, unknown>)[k]);
  return out;
}
