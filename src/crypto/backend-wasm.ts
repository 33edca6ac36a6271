/**
 * secp256k1 backend over tiny-secp256k1 v2 (libsecp256k1 compiled to WebAssembly).
 * Every call is wrapped so that library validation errors become `null`/`false`.
 */
import * as ecc from "tiny-secp256k1";
import type { EcdsaGrind, Secp256k1Backend, XonlyTweakResult } from "./backend.js";
import { sha256 } from "./hash.js";
import { scalarMul } from "./scalar.js";

function asBuffer(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function attempt(f: () => Uint8Array | null): Uint8Array | null {
  try {
    const out = f();
    return out === null ? null : asBuffer(out);
  } catch {
    return null;
  }
}

function check(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

function isCompressedPoint(pub: Uint8Array): boolean {
  return pub.length === 33 && check(() => ecc.isPointCompressed(pub));
}

/** Core/CLN low-R grind nonce data: 32 bytes holding a little-endian 32-bit counter. */
function grindData(counter: number): Uint8Array {
  const e = Buffer.alloc(32);
  e.writeUInt32LE(counter, 0);
  return e;
}

function ecdsaSign(msg: Uint8Array, sec: Uint8Array, grind: EcdsaGrind): Uint8Array | null {
  if (!ecc.isPrivate(sec)) return null;
  return attempt(() => {
    // Core Lightning passes the (zero) counter from the first attempt; Core and plain do not.
    let sig = grind === "cln" ? ecc.sign(msg, sec, grindData(0)) : ecc.sign(msg, sec);
    for (let counter = 1; grind !== "none" && sig[0]! >= 0x80; counter++) {
      sig = ecc.sign(msg, sec, grindData(counter));
    }
    return sig;
  });
}

function xonlyTweakAdd(xonly: Uint8Array, tweak: Uint8Array): XonlyTweakResult | null {
  try {
    const r = ecc.xOnlyPointAddTweak(xonly, tweak);
    if (r === null) return null;
    return { xonly: asBuffer(r.xOnlyPubkey), parity: r.parity };
  } catch {
    return null;
  }
}

/** The WASM backend; always available. */
export const wasmBackend: Secp256k1Backend = {
  name: "wasm",
  isValidSeckey: (sec) => ecc.isPrivate(sec),
  isValidPublicKey: isCompressedPoint,
  publicKey: (sec) => attempt(() => ecc.pointFromScalar(sec, true)),
  ecdsaSign,
  ecdsaVerify: (sig, msg, pub) =>
    isCompressedPoint(pub) && check(() => ecc.verify(msg, pub, sig, true)),
  pubkeyTweakAdd: (pub, tweak) =>
    isCompressedPoint(pub) ? attempt(() => ecc.pointAddScalar(pub, tweak, true)) : null,
  seckeyTweakAdd: (sec, tweak) => attempt(() => ecc.privateAdd(sec, tweak)),
  seckeyTweakMul: (sec, tweak) => scalarMul(sec, tweak),
  seckeyNegate: (sec) => (ecc.isPrivate(sec) ? attempt(() => ecc.privateNegate(sec)) : null),
  pointAdd: (a, b) =>
    isCompressedPoint(a) && isCompressedPoint(b) ? attempt(() => ecc.pointAdd(a, b, true)) : null,
  pointMul: (pub, scalar) =>
    isCompressedPoint(pub) && ecc.isPrivate(scalar)
      ? attempt(() => ecc.pointMultiply(pub, scalar, true))
      : null,
  ecdh: (sec, pub) => {
    if (!ecc.isPrivate(sec) || !isCompressedPoint(pub)) return null;
    const shared = attempt(() => ecc.pointMultiply(pub, sec, true));
    return shared === null ? null : sha256(shared);
  },
  xonlyPublicKey: (sec) => attempt(() => ecc.xOnlyPointFromScalar(sec)),
  schnorrSign: (msg, sec, aux) => attempt(() => ecc.signSchnorr(msg, sec, aux)),
  schnorrVerify: (sig, msg, xonly) => check(() => ecc.verifySchnorr(msg, xonly, sig)),
  xonlyTweakAdd,
};
