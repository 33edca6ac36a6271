/**
 * Serialization of signer state for the Store: JSON with tagged byte arrays and bigints, so
 * records are inspectable and stable across versions. Only public data and the counterparty's
 * revealed revocation secrets are stored; our keys are re-derived from the seed on load.
 */
import { FormatError } from "../errors.js";
import { bytesToHex, hexToBytes } from "../util/bytes.js";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $b: bytesToHex(value) };
  if (typeof value === "bigint") return { $n: value.toString() };
  return value;
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
  return enc.encode(JSON.stringify(value, replacer));
}

/** Decodes bytes produced by encodeState; FormatError `format/state` on corrupt data. */
export function decodeState<T>(bytes: Uint8Array): T {
  try {
    return JSON.parse(dec.decode(bytes), reviver) as T;
  } catch {
    throw new FormatError("format/state", "stored state is not valid");
  }
}
