/**
 * ECDSA signature encodings: 64-byte compact r||s <-> strict DER (BIP 66), and the low-S test.
 * Both directions accept only r and s in [1, n-1].
 */
import { CryptoError } from "../errors.js";
import { bytesToScalar, CURVE_ORDER } from "./scalar.js";

const HALF_ORDER = CURVE_ORDER >> 1n;

function invalid(why: string): CryptoError {
  return new CryptoError("crypto/invalid-signature", why);
}

function assertCompact(sig64: unknown): asserts sig64 is Uint8Array {
  if (!(sig64 instanceof Uint8Array) || sig64.length !== 64) {
    throw new CryptoError("crypto/invalid-length", "compact signature must be 64 bytes");
  }
}

function inRange(x: bigint): boolean {
  return x > 0n && x < CURVE_ORDER;
}

/** Minimal DER INTEGER body of a 32-byte unsigned big-endian value. */
function derInteger(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < 31 && v[i] === 0) i++;
  const body = v.subarray(i);
  return body[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : Buffer.from(body);
}

/** Strict DER encoding of a compact signature whose r and s are in [1, n-1]. */
export function signatureToDer(sig64: Uint8Array): Uint8Array {
  assertCompact(sig64);
  const r = sig64.subarray(0, 32);
  const s = sig64.subarray(32, 64);
  if (!inRange(bytesToScalar(r)) || !inRange(bytesToScalar(s))) {
    throw invalid("r or s out of range");
  }
  const rd = derInteger(r);
  const sd = derInteger(s);
  return Buffer.concat([
    Buffer.from([0x30, 4 + rd.length + sd.length, 0x02, rd.length]),
    rd,
    Buffer.from([0x02, sd.length]),
    sd,
  ]);
}

/** Checks one BIP 66 INTEGER body and returns it left-padded to 32 bytes. */
function parseInteger(body: Uint8Array, name: string): Uint8Array {
  if (body.length === 0) throw invalid(`zero-length ${name}`);
  if (body[0]! & 0x80) throw invalid(`negative ${name}`);
  if (body.length > 1 && body[0] === 0 && !(body[1]! & 0x80)) {
    throw invalid(`excess padding in ${name}`);
  }
  const value = body[0] === 0 ? body.subarray(1) : body;
  if (value.length > 32) throw invalid(`${name} too long`);
  const out = Buffer.alloc(32);
  out.set(value, 32 - value.length);
  if (!inRange(bytesToScalar(out))) throw invalid(`${name} out of range`);
  return out;
}

/** Parses a strict BIP 66 DER signature (no sighash byte) into 64-byte compact r||s. */
export function signatureFromDer(der: Uint8Array): Uint8Array {
  if (!(der instanceof Uint8Array)) throw invalid("DER signature must be bytes");
  // Layout: 0x30 len 0x02 rlen r 0x02 slen s, total 8..72 bytes (BIP 66 without the hash type).
  if (der.length < 8 || der.length > 72) throw invalid("bad DER length");
  if (der[0] !== 0x30) throw invalid("not a DER sequence");
  if (der[1] !== der.length - 2) throw invalid("bad DER sequence length");
  if (der[2] !== 0x02) throw invalid("r is not an integer");
  const rLen = der[3]!;
  if (5 + rLen >= der.length) throw invalid("bad r length");
  if (der[4 + rLen] !== 0x02) throw invalid("s is not an integer");
  const sLen = der[5 + rLen]!;
  if (6 + rLen + sLen !== der.length) throw invalid("bad s length");
  const r = parseInteger(der.subarray(4, 4 + rLen), "r");
  const s = parseInteger(der.subarray(6 + rLen), "s");
  return Buffer.concat([r, s]);
}

/** True iff the compact signature's s is at most n/2 (the only form Warden emits or accepts). */
export function isLowS(sig64: Uint8Array): boolean {
  assertCompact(sig64);
  return bytesToScalar(sig64.subarray(32, 64)) <= HALF_ORDER;
}
