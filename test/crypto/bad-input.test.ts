/**
 * Malformed and invalid inputs must raise CryptoError with a stable code on every backend —
 * never a TypeError/RangeError, never a crash, never a signature over garbage.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import * as ecc from "../../src/crypto/secp256k1.js";
import { be32, bytes32Arb, cryptoCode, N } from "./arbitraries.js";

const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

/** Smallest x >= start that is not the x coordinate of a curve point. */
function offCurveX(start: bigint): Uint8Array {
  for (let x = start; ; x++) {
    try {
      secp256k1.Point.fromBytes(Buffer.concat([Buffer.from([2]), be32(x)]));
    } catch {
      return be32(x);
    }
  }
}

const LEN = cryptoCode("crypto/invalid-length");
const SECKEY = cryptoCode("crypto/invalid-seckey");
const PUBKEY = cryptoCode("crypto/invalid-pubkey");
const TWEAK = cryptoCode("crypto/invalid-tweak");
const INF = cryptoCode("crypto/infinity");

const sk = be32(0x1234567890abcdefn);
const msg = Buffer.alloc(32, 7);
const badSeckeys: Record<string, Uint8Array> = {
  zero: be32(0n),
  n: be32(N),
  "n+1": be32(N + 1n),
  "2^256-1": Buffer.alloc(32, 0xff),
};
const offX = offCurveX(5n);
const badPubkeys: Record<string, Uint8Array> = {
  "x not on curve": Buffer.concat([Buffer.from([2]), offX]),
  "prefix 04 at 33 bytes": Buffer.concat([Buffer.from([4]), be32(1n)]),
  "prefix 05": Buffer.concat([Buffer.from([5]), be32(1n)]),
  "prefix 00": Buffer.alloc(33),
  "x = p": Buffer.concat([Buffer.from([3]), be32(P)]),
};
const wrongLengths: unknown[] = [
  new Uint8Array(0),
  new Uint8Array(31),
  new Uint8Array(34),
  "00".repeat(32),
  undefined,
  null,
  42,
  new Uint16Array(32),
];

for (const backend of ecc.availableBackends()) {
  describe(`bad input on the ${backend} backend`, () => {
    const run = (f: () => void) => () => {
      ecc.useBackend(backend);
      f();
    };
    const pub = () => ecc.publicKey(sk);

    test(
      "wrong lengths/types throw crypto/invalid-length",
      run(() => {
        for (const bad of wrongLengths) {
          const b = bad as Uint8Array;
          assert.throws(() => ecc.publicKey(b), LEN);
          assert.throws(() => ecc.ecdsaSign(b, sk), LEN);
          assert.throws(() => ecc.ecdsaSign(msg, b), LEN);
          assert.throws(() => ecc.ecdsaVerify(new Uint8Array(64), b, pub()), LEN);
          assert.throws(() => ecc.pubkeyTweakAdd(b, sk), LEN);
          assert.throws(() => ecc.pubkeyTweakAdd(pub(), b), LEN);
          assert.throws(() => ecc.seckeyTweakAdd(b, sk), LEN);
          assert.throws(() => ecc.seckeyTweakMul(sk, b), LEN);
          assert.throws(() => ecc.seckeyNegate(b), LEN);
          assert.throws(() => ecc.pointAdd(pub(), b), LEN);
          assert.throws(() => ecc.pointMul(b, sk), LEN);
          assert.throws(() => ecc.ecdh(sk, b), LEN);
          assert.throws(() => ecc.xonlyPublicKey(b), LEN);
          assert.throws(() => ecc.taprootOutputKey(b), LEN);
          if (bad !== undefined) {
            // `undefined` is the legitimate "omitted" value for these optional arguments.
            assert.throws(() => ecc.schnorrSign(msg, sk, b), LEN);
            assert.throws(() => ecc.taprootTweakSeckey(sk, b), LEN);
            assert.throws(() => ecc.taprootOutputKey(ecc.xonlyPublicKey(sk), b), LEN);
          }
          assert.equal(ecc.ecdsaVerify(b, msg, pub()), false);
          assert.equal(ecc.schnorrVerify(b, msg, ecc.xonlyPublicKey(sk)), false);
          assert.equal(ecc.isValidSeckey(b), false);
          assert.equal(ecc.isValidPublicKey(b), false);
        }
        assert.throws(() => ecc.publicKey(new Uint8Array(33)), LEN);
      }),
    );

    test(
      "invalid secret keys throw crypto/invalid-seckey",
      run(() => {
        for (const [name, bad] of Object.entries(badSeckeys)) {
          assert.equal(ecc.isValidSeckey(bad), false, name);
          assert.throws(() => ecc.publicKey(bad), SECKEY, name);
          assert.throws(() => ecc.ecdsaSign(msg, bad), SECKEY, name);
          assert.throws(() => ecc.ecdsaSign(msg, bad, { lowR: true }), SECKEY, name);
          assert.throws(() => ecc.seckeyTweakAdd(bad, be32(1n)), SECKEY, name);
          assert.throws(() => ecc.seckeyTweakMul(bad, be32(1n)), SECKEY, name);
          assert.throws(() => ecc.seckeyNegate(bad), SECKEY, name);
          assert.throws(() => ecc.ecdh(bad, pub()), SECKEY, name);
          assert.throws(() => ecc.xonlyPublicKey(bad), SECKEY, name);
          assert.throws(() => ecc.schnorrSign(msg, bad, msg), SECKEY, name);
          assert.throws(() => ecc.taprootTweakSeckey(bad), SECKEY, name);
        }
      }),
    );

    test(
      "invalid public keys throw crypto/invalid-pubkey (verify returns false)",
      run(() => {
        const sig = ecc.ecdsaSign(msg, sk);
        for (const [name, bad] of Object.entries(badPubkeys)) {
          assert.equal(ecc.isValidPublicKey(bad), false, name);
          assert.throws(() => ecc.pubkeyTweakAdd(bad, be32(1n)), PUBKEY, name);
          assert.throws(() => ecc.pointAdd(bad, pub()), PUBKEY, name);
          assert.throws(() => ecc.pointAdd(pub(), bad), PUBKEY, name);
          assert.throws(() => ecc.pointMul(bad, be32(2n)), PUBKEY, name);
          assert.throws(() => ecc.ecdh(sk, bad), PUBKEY, name);
          assert.equal(ecc.ecdsaVerify(sig, msg, bad), false, name);
        }
        assert.throws(() => ecc.taprootOutputKey(offX), PUBKEY);
        assert.throws(() => ecc.taprootOutputKey(be32(P)), PUBKEY);
        assert.equal(ecc.schnorrVerify(ecc.schnorrSign(msg, sk), msg, offX), false);
      }),
    );

    test(
      "out-of-range tweaks throw crypto/invalid-tweak",
      run(() => {
        for (const bad of [be32(N), be32(N + 5n), Buffer.alloc(32, 0xff)]) {
          assert.throws(() => ecc.pubkeyTweakAdd(pub(), bad), TWEAK);
          assert.throws(() => ecc.seckeyTweakAdd(sk, bad), TWEAK);
          assert.throws(() => ecc.seckeyTweakMul(sk, bad), TWEAK);
          assert.throws(() => ecc.pointMul(pub(), bad), TWEAK);
        }
        // Multiplicative tweaks must be non-zero; additive zero tweaks are the identity.
        assert.throws(() => ecc.seckeyTweakMul(sk, be32(0n)), TWEAK);
        assert.throws(() => ecc.pointMul(pub(), be32(0n)), TWEAK);
        assert.deepEqual(Buffer.from(ecc.seckeyTweakAdd(sk, be32(0n))), Buffer.from(sk));
        assert.deepEqual(Buffer.from(ecc.pubkeyTweakAdd(pub(), be32(0n))), Buffer.from(pub()));
      }),
    );

    test(
      "results at zero / infinity throw crypto/infinity",
      run(() => {
        fc.assert(
          fc.property(fc.bigInt(1n, N - 1n), (k) => {
            const s = be32(k);
            const negTweak = be32(N - k);
            assert.throws(() => ecc.seckeyTweakAdd(s, negTweak), INF);
            assert.throws(() => ecc.pubkeyTweakAdd(ecc.publicKey(s), negTweak), INF);
            assert.throws(() => ecc.pointAdd(ecc.publicKey(s), ecc.publicKey(negTweak)), INF);
          }),
          { numRuns: 20 },
        );
      }),
    );

    test(
      "random 32/33-byte garbage never escapes as a non-CryptoError",
      run(() => {
        const ok = (f: () => unknown) => {
          try {
            f();
          } catch (e) {
            assert.ok(
              e instanceof Error && e.constructor.name === "CryptoError",
              `unexpected ${String(e)}`,
            );
          }
        };
        fc.assert(
          fc.property(
            fc.uint8Array({ minLength: 33, maxLength: 33 }),
            bytes32Arb,
            fc.uint8Array({ minLength: 64, maxLength: 64 }),
            (p33, b32, s64) => {
              ok(() => ecc.pubkeyTweakAdd(p33, b32));
              ok(() => ecc.pointMul(p33, b32));
              ok(() => ecc.pointAdd(p33, p33));
              ok(() => ecc.ecdh(b32, p33));
              ok(() => ecc.taprootOutputKey(b32));
              assert.equal(typeof ecc.ecdsaVerify(s64, b32, p33), "boolean");
              assert.equal(typeof ecc.schnorrVerify(s64, b32, b32), "boolean");
            },
          ),
          { numRuns: 100 },
        );
      }),
    );
  });
}

test("useBackend rejects unknown backends with a CryptoError", () => {
  assert.throws(() => ecc.useBackend("openssl"), cryptoCode("crypto/unknown-backend"));
});
