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

/** Set by every encodeValue call: whether the value just encoded was deeply immutable. */
let immutable = true;

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
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
    const parts = new Array<string>(o.length);
    for (let i = 0; i < o.length; i++) {
      parts[i] = encodeValue(o[i]) ?? "null";
      deep &&= immutable;
    }
    text = `[${parts.join(",")}]`;
  } else {
    const withJson = o as { toJSON?: unknown };
    if (typeof withJson.toJSON === "function") {
      const t = encodeValue((withJson.toJSON as () => unknown).call(o)) ?? "null";
      immutable = false;
      return t;
    }
    const rec = o as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of Object.keys(rec)) {
      const t = encodeValue(rec[k]);
      deep &&= immutable;
      if (t !== undefined) parts.push(`${JSON.stringify(k)}:${t}`);
    }
    text = `{${parts.join(",")}}`;
  }
  if (deep) frozenText.set(o, text);
  immutable = deep;
  return text;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o["$b"] === "string") return hexToBytes(o["$b"]);
    if (keys.length === 1 && typeof o["$n"] === "string" && /^-?\d+$/.test(o["$n"])) {
      return BigInt(o["$n"]);
    }
  }
  return value;
}

/** Encodes a state object (plain data, Uint8Array, bigint, undefined-free) to bytes. */
export function encodeState(value: unknown): Uint8Array {
  return enc.encode(encodeValue(value) ?? "null");
}

/** Decodes bytes produced by encodeState; FormatError `format/state` on corrupt data. */
export function decodeState<T>(bytes: Uint8Array): T {
  try {
    return JSON.parse(dec.decode(bytes), reviver) as T;
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
