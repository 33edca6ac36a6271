/**
 * Cross-checks every facade operation, on every available backend, against @noble/curves.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import * as ecc from "../../src/crypto/secp256k1.js";
import { signatureFromDer, signatureToDer } from "../../src/crypto/signature.js";
import { be32, bytes32Arb, hex, N, RUNS, seckeyArb, toBig, tweakArb } from "./arbitraries.js";

const Point = secp256k1.Point;
const G = Point.BASE;

function noblePub(sk: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(sk, true);
}

function nobleSign(msg: Uint8Array, sk: Uint8Array, extraEntropy?: Uint8Array): Uint8Array {
  return secp256k1.sign(msg, sk, {
    prehash: false,
    lowS: true,
    ...(extraEntropy ? { extraEntropy } : {}),
  });
}

/** Core/CLN low-R grind reproduced with noble: counter as LE32 in 32 bytes of extra entropy. */
function nobleSignLowR(msg: Uint8Array, sk: Uint8Array): { sig: Uint8Array; tries: number } {
  let sig = nobleSign(msg, sk);
  let counter = 0;
  while (sig[0]! >= 0x80) {
    counter++;
    const extra = Buffer.alloc(32);
    extra.writeUInt32LE(counter, 0);
    sig = nobleSign(msg, sk, extra);
  }
  return { sig, tries: counter + 1 };
}

/**
 * Core Lightning's sign_hash (bitcoin/signature.c) with noble: the LE32 counter in 32 bytes of
 * extra entropy is passed from the FIRST attempt (counter 0 = 32 zero bytes).
 */
function nobleSignClnLowR(msg: Uint8Array, sk: Uint8Array): { sig: Uint8Array; tries: number } {
  for (let counter = 0; ; counter++) {
    const extra = Buffer.alloc(32);
    extra.writeUInt32LE(counter, 0);
    const sig = nobleSign(msg, sk, extra);
    if (sig[0]! < 0x80) return { sig, tries: counter + 1 };
  }
}

/** 64 fixed (message, key) pairs: counts over them are the same on every run. */
const GRIND_INPUTS: [Uint8Array, Uint8Array][] = Array.from({ length: 64 }, (_, i) => [
  nobleSha256(Buffer.from(`grind message ${i}`)),
  nobleSha256(Buffer.from(`grind key ${i}`)),
]);

function tapTweakNoble(xonly: Uint8Array, root?: Uint8Array): bigint {
  const t = nobleSha256(Buffer.from("TapTweak"));
  return toBig(nobleSha256(Buffer.concat([t, t, xonly, ...(root ? [root] : [])])));
}

for (const backend of ecc.availableBackends()) {
  describe(`secp256k1 facade on the ${backend} backend`, () => {
    const run = (f: () => void) => {
      ecc.useBackend(backend);
      try {
        f();
      } finally {
        ecc.useBackend(backend);
      }
    };

    test("useBackend switches the active backend", () => {
      run(() => assert.equal(ecc.activeBackendName(), backend));
    });

    test("publicKey / isValidSeckey / isValidPublicKey agree with noble", () =>
      run(() =>
        fc.assert(
          fc.property(seckeyArb, (sk) => {
            const pub = ecc.publicKey(sk);
            assert.equal(hex(pub), hex(noblePub(sk)));
            assert.ok(ecc.isValidSeckey(sk));
            assert.ok(ecc.isValidPublicKey(pub));
          }),
          { numRuns: RUNS },
        ),
      ));

    test("ecdsaSign (lowR=false) equals noble RFC 6979 low-S and verifies", () =>
      run(() =>
        fc.assert(
          fc.property(bytes32Arb, seckeyArb, (msg, sk) => {
            const sig = ecc.ecdsaSign(msg, sk);
            assert.equal(sig.length, 64);
            assert.equal(hex(sig), hex(nobleSign(msg, sk)));
            assert.equal(hex(ecc.ecdsaSign(msg, sk, { lowR: false })), hex(sig));
            const pub = ecc.publicKey(sk);
            assert.ok(ecc.ecdsaVerify(sig, msg, pub));
            assert.ok(secp256k1.verify(sig, msg, pub, { prehash: false }));
            assert.equal(hex(signatureFromDer(signatureToDer(sig))), hex(sig));
          }),
          { numRuns: RUNS },
        ),
      ));

    test("ecdsaSign lowR grinds like Core: r < 0x80.., verifies, equals noble with counter", () =>
      run(() => {
        fc.assert(
          fc.property(bytes32Arb, seckeyArb, (msg, sk) => {
            const sig = ecc.ecdsaSign(msg, sk, { lowR: true });
            assert.ok(sig[0]! < 0x80);
            assert.ok(ecc.ecdsaVerify(sig, msg, ecc.publicKey(sk)));
            const expected = nobleSignLowR(msg, sk);
            assert.equal(hex(sig), hex(expected.sig));
            assert.ok(signatureToDer(sig).length <= 70);
          }),
          { numRuns: RUNS },
        );
        // About half of all first attempts have a high r: some fixed inputs (the same on every
        // run, unlike fast-check's) must grind, and grind as noble does.
        const ground = GRIND_INPUTS.filter(([m, k]) => nobleSignLowR(m, k).tries > 1);
        assert.ok(ground.length > 0);
        for (const [m, k] of ground) {
          assert.equal(hex(ecc.ecdsaSign(m, k, { lowR: true })), hex(nobleSignLowR(m, k).sig));
        }
      }));

    test("ecdsaSign grind 'cln' grinds like Core Lightning: equals noble, differs from Core", () =>
      run(() => {
        fc.assert(
          fc.property(bytes32Arb, seckeyArb, (msg, sk) => {
            const sig = ecc.ecdsaSign(msg, sk, { lowR: true, grind: "cln" });
            assert.ok(sig[0]! < 0x80);
            assert.ok(ecc.ecdsaVerify(sig, msg, ecc.publicKey(sk)));
            const expected = nobleSignClnLowR(msg, sk);
            assert.equal(hex(sig), hex(expected.sig));
            // The two grinds differ exactly where noble's two grinds differ.
            const core = hex(ecc.ecdsaSign(msg, sk, { lowR: true }));
            assert.equal(core !== hex(sig), hex(nobleSignLowR(msg, sk).sig) !== hex(expected.sig));
            // Without lowR the grind option is ignored: plain RFC 6979.
            assert.equal(
              hex(ecc.ecdsaSign(msg, sk, { lowR: false, grind: "cln" })),
              hex(nobleSign(msg, sk)),
            );
          }),
          { numRuns: RUNS },
        );
        const ground = GRIND_INPUTS.filter(([m, k]) => nobleSignClnLowR(m, k).tries > 1);
        assert.ok(ground.length > 0);
        for (const [m, k] of ground) {
          const sig = ecc.ecdsaSign(m, k, { lowR: true, grind: "cln" });
          assert.equal(hex(sig), hex(nobleSignClnLowR(m, k).sig));
        }
        // Different nonce data on the first attempt: the grinds agree only when both first
        // attempts have a high r (then both go on with counter 1): about 1 in 4.
        const differs = GRIND_INPUTS.filter(
          ([m, k]) =>
            hex(ecc.ecdsaSign(m, k, { lowR: true, grind: "cln" })) !==
            hex(ecc.ecdsaSign(m, k, { lowR: true })),
        ).length;
        assert.ok(differs >= 40 && differs < 64, `${differs} of 64 differ`);
      }));

    test("ecdsaSign refuses an unknown grind", () =>
      run(() => {
        const bogus = { lowR: true, grind: "bogus" } as unknown as ecc.EcdsaSignOptions;
        assert.throws(
          () => ecc.ecdsaSign(new Uint8Array(32), be32(1n), bogus),
          (e: unknown) => e instanceof Error && /crypto\/unknown-grind/.test(e.message),
        );
      }));

    test("ecdsaVerify accepts noble signatures and rejects high-S, wrong msg/key, garbage", () =>
      run(() =>
        fc.assert(
          fc.property(bytes32Arb, seckeyArb, seckeyArb, (msg, sk, other) => {
            const pub = ecc.publicKey(sk);
            const sig = nobleSign(msg, sk);
            assert.ok(ecc.ecdsaVerify(sig, msg, pub));
            const highS = Buffer.concat([sig.subarray(0, 32), be32(N - toBig(sig.subarray(32)))]);
            assert.ok(secp256k1.verify(highS, msg, pub, { prehash: false, lowS: false }));
            assert.equal(ecc.ecdsaVerify(highS, msg, pub), false);
            const msg2 = Buffer.from(msg);
            msg2[0]! ^= 1;
            assert.equal(ecc.ecdsaVerify(sig, msg2, pub), false);
            if (toBig(other) !== toBig(sk)) {
              assert.equal(ecc.ecdsaVerify(sig, msg, ecc.publicKey(other)), false);
            }
            const zeroR = Buffer.concat([be32(0n), sig.subarray(32)]);
            assert.equal(ecc.ecdsaVerify(zeroR, msg, pub), false);
            const bigR = Buffer.concat([be32(N), sig.subarray(32)]);
            assert.equal(ecc.ecdsaVerify(bigR, msg, pub), false);
            assert.equal(ecc.ecdsaVerify(sig.subarray(0, 63), msg, pub), false);
            assert.equal(ecc.ecdsaVerify(sig, msg, pub.subarray(0, 32)), false);
            const badPub = Buffer.from(pub);
            badPub[0] = 0x04;
            assert.equal(ecc.ecdsaVerify(sig, msg, badPub), false);
          }),
          { numRuns: RUNS },
        ),
      ));

    test("tweak add: pubkey and seckey tweaks agree with each other and noble", () =>
      run(() =>
        fc.assert(
          fc.property(seckeyArb, tweakArb, (sk, tweak) => {
            const expected = (toBig(sk) + toBig(tweak)) % N;
            fc.pre(expected !== 0n);
            const sec2 = ecc.seckeyTweakAdd(sk, tweak);
            assert.equal(toBig(sec2), expected);
            const pub2 = ecc.pubkeyTweakAdd(ecc.publicKey(sk), tweak);
            assert.equal(hex(pub2), hex(ecc.publicKey(sec2)));
            const nobleSum =
              toBig(tweak) === 0n
                ? Point.fromBytes(noblePub(sk))
                : Point.fromBytes(noblePub(sk)).add(G.multiply(toBig(tweak)));
            assert.equal(hex(pub2), hex(nobleSum.toBytes(true)));
          }),
          { numRuns: RUNS },
        ),
      ));

    test("tweak mul: seckeyTweakMul and pointMul agree with noble", () =>
      run(() =>
        fc.assert(
          fc.property(seckeyArb, seckeyArb, (sk, tweak) => {
            const expected = (toBig(sk) * toBig(tweak)) % N;
            const sec2 = ecc.seckeyTweakMul(sk, tweak);
            assert.equal(toBig(sec2), expected);
            const pub2 = ecc.pointMul(ecc.publicKey(sk), tweak);
            assert.equal(hex(pub2), hex(ecc.publicKey(sec2)));
            assert.equal(
              hex(pub2),
              hex(Point.fromBytes(noblePub(sk)).multiply(toBig(tweak)).toBytes(true)),
            );
          }),
          { numRuns: RUNS },
        ),
      ));

    test("seckeyNegate is n - sec and negates the public key", () =>
      run(() =>
        fc.assert(
          fc.property(seckeyArb, (sk) => {
            const neg = ecc.seckeyNegate(sk);
            assert.equal(toBig(neg), N - toBig(sk));
            assert.equal(
              hex(ecc.publicKey(neg)),
              hex(Point.fromBytes(noblePub(sk)).negate().toBytes(true)),
            );
            assert.equal(hex(ecc.seckeyNegate(neg)), hex(sk));
          }),
          { numRuns: RUNS },
        ),
      ));

    test("pointAdd agrees with noble", () =>
      run(() =>
        fc.assert(
          fc.property(seckeyArb, seckeyArb, (a, b) => {
            fc.pre((toBig(a) + toBig(b)) % N !== 0n);
            const sum = ecc.pointAdd(ecc.publicKey(a), ecc.publicKey(b));
            const expected = Point.fromBytes(noblePub(a)).add(Point.fromBytes(noblePub(b)));
            assert.equal(hex(sum), hex(expected.toBytes(true)));
            assert.equal(hex(sum), hex(ecc.publicKey(ecc.seckeyTweakAdd(a, b))));
          }),
          { numRuns: RUNS },
        ),
      ));

    test("ecdh equals sha256(compressed noble shared point) and is symmetric", () =>
      run(() =>
        fc.assert(
          fc.property(seckeyArb, seckeyArb, (a, b) => {
            const pubB = ecc.publicKey(b);
            const shared = ecc.ecdh(a, pubB);
            assert.equal(hex(shared), hex(nobleSha256(secp256k1.getSharedSecret(a, pubB, true))));
            assert.equal(hex(shared), hex(ecc.ecdh(b, ecc.publicKey(a))));
          }),
          { numRuns: RUNS },
        ),
      ));

    test("schnorr sign/verify agree with noble (BIP 340)", () =>
      run(() =>
        fc.assert(
          fc.property(bytes32Arb, seckeyArb, bytes32Arb, (msg, sk, aux) => {
            const xonly = ecc.xonlyPublicKey(sk);
            assert.equal(hex(xonly), hex(schnorr.getPublicKey(sk)));
            const sig = ecc.schnorrSign(msg, sk, aux);
            assert.equal(hex(sig), hex(schnorr.sign(msg, sk, aux)));
            assert.ok(ecc.schnorrVerify(sig, msg, xonly));
            const fresh = ecc.schnorrSign(msg, sk);
            assert.ok(schnorr.verify(fresh, msg, xonly));
            assert.ok(ecc.schnorrVerify(fresh, msg, xonly));
            const bad = Buffer.from(sig);
            bad[63]! ^= 1;
            assert.equal(ecc.schnorrVerify(bad, msg, xonly), false);
            assert.equal(ecc.schnorrVerify(sig.subarray(1), msg, xonly), false);
          }),
          { numRuns: RUNS },
        ),
      ));

    test("taproot: tweaked seckey's xonly equals taprootOutputKey, parity matches noble", () =>
      run(() =>
        fc.assert(
          fc.property(seckeyArb, fc.option(bytes32Arb, { nil: undefined }), (sk, root) => {
            const internal = ecc.xonlyPublicKey(sk);
            const out = ecc.taprootOutputKey(internal, root);
            const tweakedSec = ecc.taprootTweakSeckey(sk, root);
            assert.equal(hex(ecc.xonlyPublicKey(tweakedSec)), hex(out.xonly));
            const full = ecc.publicKey(tweakedSec);
            assert.equal(out.parity, full[0] === 0x03 ? 1 : 0);
            const P = Point.fromBytes(Buffer.concat([Buffer.from([2]), internal]));
            const Q = P.add(G.multiply(tapTweakNoble(internal, root))).toBytes(true);
            assert.equal(hex(out.xonly), hex(Q.subarray(1)));
            assert.equal(out.parity, Q[0] === 0x03 ? 1 : 0);
            // A key-path signature by the tweaked key verifies under the output key.
            const msg = nobleSha256(internal);
            assert.ok(ecc.schnorrVerify(ecc.schnorrSign(msg, tweakedSec), msg, out.xonly));
          }),
          { numRuns: RUNS },
        ),
      ));
  });
}
