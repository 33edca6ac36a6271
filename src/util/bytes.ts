import { timingSafeEqual } from "node:crypto";
import { FormatError } from "../errors.js";

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Decodes an even-length hex string; throws FormatError on anything else. */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== "string" || !HEX_RE.test(hex)) {
    throw new FormatError("format/hex", "expected an even-length hex string");
  }
  return Buffer.from(hex, "hex");
}

/** Lower-case hex of the bytes. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Concatenation of the given byte arrays into a new buffer. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** True when both arrays have the same length and bytes (not constant time: public data only). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Constant-time equality for secrets and MACs; false (not an exception) on a length mismatch. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Throws FormatError unless `b` is a Uint8Array of exactly `len` bytes. */
export function assertBytes(b: unknown, len: number, what: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== len) {
    throw new FormatError("format/length", `${what} must be ${len} bytes`);
  }
}
