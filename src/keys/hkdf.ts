/**
 * HKDF-SHA256 (RFC 5869), the extract-and-expand KDF Core Lightning's hsmd uses for every key
 * it derives from `hsm_secret`. An empty salt means HashLen zero bytes, as the RFC specifies.
 */
import { hkdfSync } from "node:crypto";
import { FormatError } from "../errors.js";

function assertInput(b: unknown, what: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array))
    throw new FormatError("format/type", `${what} must be a Uint8Array`);
}

/** RFC 5869 HKDF-SHA256 output of `length` (1..8160) bytes from ikm, salt and info. */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array | string,
  length: number,
): Uint8Array {
  assertInput(ikm, "hkdf ikm");
  assertInput(salt, "hkdf salt");
  const infoBytes = typeof info === "string" ? new TextEncoder().encode(info) : info;
  assertInput(infoBytes, "hkdf info");
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) {
    throw new FormatError("format/range", "hkdf length must be in 1..8160");
  }
  if (infoBytes.length > 1024) {
    throw new FormatError("format/range", "hkdf info must be at most 1024 bytes");
  }
  return new Uint8Array(hkdfSync("sha256", ikm, salt, infoBytes, length));
}
