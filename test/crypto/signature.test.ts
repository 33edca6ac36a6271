import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import { isLowS, signatureFromDer, signatureToDer } from "../../src/crypto/signature.js";
import { be32, cryptoCode, hex, N } from "./arbitraries.js";

const scalar = fc.bigInt(1n, N - 1n);
const compactArb = fc.tuple(scalar, scalar).map(([r, s]) => Buffer.concat([be32(r), be32(s)]));
const invalidSig = cryptoCode("crypto/invalid-signature");

describe("signature encoding", () => {
  test("DER round trip and agreement with noble's DER encoder", () => {
    fc.assert(
      fc.property(compactArb, (sig) => {
        const der = signatureToDer(sig);
        assert.equal(hex(signatureFromDer(der)), hex(sig));
        assert.equal(hex(der), hex(secp256k1.Signature.fromBytes(sig, "compact").toBytes("der")));
      }),
      { numRuns: 200 },
    );
  });

  test("small values encode minimally", () => {
    const sig = Buffer.concat([be32(1n), be32(0x80n)]);
    assert.equal(hex(signatureToDer(sig)), "300702010102020080");
  });

  test("isLowS splits at n/2", () => {
    const half = N >> 1n;
    assert.equal(isLowS(Buffer.concat([be32(1n), be32(half)])), true);
    assert.equal(isLowS(Buffer.concat([be32(1n), be32(half + 1n)])), false);
    assert.throws(() => isLowS(new Uint8Array(63)), cryptoCode("crypto/invalid-length"));
  });

  test("signatureToDer refuses out-of-range r/s and bad lengths", () => {
    assert.throws(() => signatureToDer(Buffer.concat([be32(0n), be32(1n)])), invalidSig);
    assert.throws(() => signatureToDer(Buffer.concat([be32(1n), be32(N)])), invalidSig);
    assert.throws(() => signatureToDer(new Uint8Array(65)), cryptoCode("crypto/invalid-length"));
  });

  test("strict DER rejections (BIP 66)", () => {
    const good = Buffer.from(signatureToDer(Buffer.concat([be32(0x1234n), be32(0x5678n)])));
    assert.equal(hex(good), "30080202123402025678");
    signatureFromDer(good);
    const cases: Record<string, string> = {
      "too short": "300602010102",
      "wrong sequence tag": "31080202123402025678",
      "sequence length too long": "30090202123402025678",
      "sequence length too short": "30070202123402025678",
      "trailing bytes": "3008020212340202567800",
      "r not integer": "30080302123402025678",
      "s not integer": "30080202123403025678",
      "r length past end": "30080207123402025678",
      "s length wrong": "30080202123402035678",
      "zero-length r": "3006020002025678",
      "zero-length s": "3006020212340200",
      "negative r": "30080202923402025678",
      "negative s": "3008020212340202d678",
      "excess padding r": "3009020300123402025678",
      "excess padding s": "3009020212340203005678",
      "zero r": "300702010002025678",
      "r >= n": `3027022100${N.toString(16)}02025678`,
      "r too long": `3027022101${"00".repeat(32)}02025678`,
    };
    for (const [name, h] of Object.entries(cases)) {
      assert.throws(() => signatureFromDer(Buffer.from(h, "hex")), invalidSig, name);
    }
    assert.throws(() => signatureFromDer("30" as unknown as Uint8Array), invalidSig);
    assert.throws(() => signatureFromDer(new Uint8Array(73)), invalidSig);
  });

  test("signatureFromDer never throws anything but CryptoError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        try {
          const sig = signatureFromDer(b);
          assert.equal(hex(signatureToDer(sig)), hex(b));
        } catch (e) {
          assert.ok(invalidSig(e), String(e));
        }
      }),
      { numRuns: 500 },
    );
  });
});
