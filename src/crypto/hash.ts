/**
 * Hash functions used across Warden: SHA-256, double SHA-256, HMAC-SHA256, HASH160 and BIP 340
 * tagged hashes. All are one-shot wrappers over node:crypto (OpenSSL) and return fresh buffers.
 */
import { createHmac, hash } from "node:crypto";
import { FormatError } from "../errors.js";

function assertInput(data: unknown, what: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new FormatError("format/type", `${what} must be a Uint8Array`);
  }
}

/** SHA-256 of `data` (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  assertInput(data, "sha256 input");
  return hash("sha256", data, "buffer");
}

/** SHA-256 applied twice, SHA256(SHA256(data)) (32 bytes), as used for txids and checksums. */
export function sha256d(data: Uint8Array): Uint8Array {
  assertInput(data, "sha256d input");
  return hash("sha256", hash("sha256", data, "buffer"), "buffer");
}

/** HMAC-SHA256 of `data` under `key` (32 bytes). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertInput(key, "hmac key");
  assertInput(data, "hmac data");
  return createHmac("sha256", key).update(data).digest();
}

/** RIPEMD-160 of `data` (20 bytes); BOLT 3 HTLC scripts commit to RIPEMD160(payment_hash). */
export function ripemd160(data: Uint8Array): Uint8Array {
  assertInput(data, "ripemd160 input");
  return hash("ripemd160", data, "buffer");
}

/** RIPEMD160(SHA256(data)) (20 bytes), Bitcoin's HASH160. */
export function hash160(data: Uint8Array): Uint8Array {
  assertInput(data, "hash160 input");
  return hash("ripemd160", hash("sha256", data, "buffer"), "buffer");
}

const tagPrefixes = new Map<string, Buffer>();

function tagPrefix(tag: string): Buffer {
  let prefix = tagPrefixes.get(tag);
  if (prefix === undefined) {
    const t = hash("sha256", Buffer.from(tag, "utf8"), "buffer");
    prefix = Buffer.concat([t, t]);
    tagPrefixes.set(tag, prefix);
  }
  return prefix;
}

/** BIP 340 tagged hash SHA256(SHA256(tag) || SHA256(tag) || msgs...) (32 bytes); tag prefix is cached. */
export function taggedHash(tag: string, ...msgs: Uint8Array[]): Uint8Array {
  if (typeof tag !== "string") throw new FormatError("format/type", "tag must be a string");
  for (const m of msgs) assertInput(m, "tagged hash input");
  return hash("sha256", Buffer.concat([tagPrefix(tag), ...msgs]), "buffer");
}
