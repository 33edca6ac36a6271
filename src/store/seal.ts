/**
 * Sealed records: a value (or a deletion tombstone) with its monotonic version and an
 * HMAC-SHA256 keyed from the node seed. The MAC covers the key, the version, the tombstone flag
 * and the value, so a record that was edited, moved to another key, or given another version
 * fails to open; an old record replayed whole opens, with its old version (rollback is caught
 * by comparing versions across replicas, see replicated-store.ts).
 *
 * Layout: "WSR1" | flags (1 byte: 1 = tombstone) | version (8 bytes BE) | value | mac (32).
 */
import { hmacSha256 } from "../crypto/hash.js";
import { hkdfSha256 } from "../keys/hkdf.js";
import { constantTimeEqual } from "../util/bytes.js";

const MAGIC = new Uint8Array([0x57, 0x53, 0x52, 0x31]); // "WSR1"
const HEADER = MAGIC.length + 1 + 8;
const MAC_LENGTH = 32;
const MAC_KEY_INFO = "warden/store/record-mac/v1";
const encoder = new TextEncoder();

/** The record-MAC key of a node seed (HKDF-SHA256, fixed label): 32 bytes the caller wipes. */
export function storeMacKey(seed: Uint8Array): Uint8Array {
  return hkdfSha256(seed, new Uint8Array(0), MAC_KEY_INFO, 32);
}

/** An opened record: its version and value, null for a tombstone (a deletion). */
export interface OpenedRecord {
  readonly version: number;
  readonly value: Uint8Array | null;
}

function mac(macKey: Uint8Array, key: string, body: Uint8Array): Uint8Array {
  const k = encoder.encode(key);
  const msg = new Uint8Array(4 + k.length + body.length);
  new DataView(msg.buffer).setUint32(0, k.length);
  msg.set(k, 4);
  msg.set(body, 4 + k.length);
  return hmacSha256(macKey, msg);
}

/** Seals `value` (null: a tombstone) as the record of `key` at `version`. */
export function sealRecord(
  macKey: Uint8Array,
  key: string,
  version: number,
  value: Uint8Array | null,
): Uint8Array {
  if (!Number.isSafeInteger(version) || version < 1) throw new RangeError("version must be ≥ 1");
  const v = value ?? new Uint8Array(0);
  const out = new Uint8Array(HEADER + v.length + MAC_LENGTH);
  out.set(MAGIC, 0);
  out[MAGIC.length] = value === null ? 1 : 0;
  new DataView(out.buffer).setBigUint64(MAGIC.length + 1, BigInt(version));
  out.set(v, HEADER);
  const body = out.subarray(0, HEADER + v.length);
  out.set(mac(macKey, key, body), HEADER + v.length);
  return out;
}

/** Opens a sealed record of `key`; undefined if it is malformed or its MAC does not verify. */
export function openRecord(
  macKey: Uint8Array,
  key: string,
  sealed: Uint8Array,
): OpenedRecord | undefined {
  if (sealed.length < HEADER + MAC_LENGTH) return undefined;
  const body = sealed.subarray(0, sealed.length - MAC_LENGTH);
  if (!constantTimeEqual(mac(macKey, key, body), sealed.subarray(sealed.length - MAC_LENGTH))) {
    return undefined;
  }
  for (let i = 0; i < MAGIC.length; i++) if (sealed[i] !== MAGIC[i]) return undefined;
  const flags = sealed[MAGIC.length];
  if (flags !== 0 && flags !== 1) return undefined;
  const version = Number(
    new DataView(sealed.buffer, sealed.byteOffset).getBigUint64(MAGIC.length + 1),
  );
  if (!Number.isSafeInteger(version) || version < 1) return undefined;
  return { version, value: flags === 1 ? null : sealed.slice(HEADER, sealed.length - MAC_LENGTH) };
}
