/**
 * BOLT 11 properties and edge cases: sign → decode round trips over arbitrary invoices
 * (fast-check), public-key recovery against @noble/curves (high and low S), amounts and
 * prefixes, and malformed input that must end in a typed error, never a crash.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bech32 } from "@scure/base";
import fc from "fast-check";
import { decodeInvoice, decodeUnsignedInvoice } from "../../src/bolt11/decode.js";
import type { TaggedField, UnsignedInvoice } from "../../src/bolt11/invoice.js";
import {
  formatAmount,
  formatHrp,
  MAX_AMOUNT_MSAT,
  parseAmount,
  parseHrp,
} from "../../src/bolt11/hrp.js";
import { recoverPublicKey } from "../../src/crypto/recovery.js";
import { encodeUnsignedInvoice, signInvoice } from "../../src/bolt11/sign.js";
import { CURVE_ORDER, bytesToScalar, scalarToBytes } from "../../src/crypto/scalar.js";
import { ecdsaSign, publicKey } from "../../src/crypto/secp256k1.js";
import { WardenError } from "../../src/errors.js";
import { bytesToHex } from "../../src/util/bytes.js";

const key = new Uint8Array(32).fill(0x5a);
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const secret = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((b) => bytesToScalar(b) > 0n && bytesToScalar(b) < CURVE_ORDER);

const hop = fc.record({
  pubkey: secret.map((s) => publicKey(s)),
  shortChannelId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  feeBaseMsat: fc.bigInt({ min: 0n, max: 0xffffffffn }),
  feeProportionalMillionths: fc.nat({ max: 0xffffffff }),
  cltvExpiryDelta: fc.nat({ max: 0xffff }),
});

const optionalField: fc.Arbitrary<TaggedField> = fc.oneof(
  fc.nat({ max: 2 ** 40 }).map((v): TaggedField => ({ type: "x", expirySeconds: v })),
  fc.nat({ max: 5000 }).map((v): TaggedField => ({ type: "c", minFinalCltvExpiryDelta: v })),
  fc.uint8Array({ maxLength: 64 }).map((m): TaggedField => ({ type: "m", paymentMetadata: m })),
  fc.array(hop, { minLength: 1, maxLength: 3 }).map((route): TaggedField => ({ type: "r", route })),
  fc
    .oneof(
      fc.record({
        version: fc.constantFrom(17, 18),
        program: fc.uint8Array({ minLength: 20, maxLength: 20 }),
      }),
      fc.record({
        version: fc.constant(0),
        program: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      }),
      fc.record({
        version: fc.integer({ min: 1, max: 16 }),
        program: fc.uint8Array({ minLength: 2, maxLength: 40 }),
      }),
    )
    .map((fallback): TaggedField => ({ type: "f", fallback })),
  fc
    .uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 6 })
    // Unknown even bits are refused; basic_mpp (16/17) needs payment_secret, so 14 is always set.
    .map((bits) => [
      14,
      ...bits.filter((b) => b !== 14 && (b % 2 === 1 || [8, 24, 36, 48].includes(b))),
    ])
    .map((bits): TaggedField => ({ type: "9", featureBits: [...bits].sort((a, b) => a - b) })),
  fc
    .record({
      code: fc.constantFrom(0, 2, 4, 7, 8, 10, 31),
      words: fc.array(fc.nat({ max: 31 }), { maxLength: 40 }),
    })
    .map(({ code, words }): TaggedField => ({ type: "raw", code, words, reason: "unknown-type" })),
);

const unsignedInvoice: fc.Arbitrary<UnsignedInvoice> = fc
  .record({
    network: fc.constantFrom("bitcoin", "testnet", "signet", "regtest" as const),
    amountMsat: fc.option(fc.bigInt({ min: 1n, max: MAX_AMOUNT_MSAT }), { nil: undefined }),
    timestamp: fc.nat({ max: 2 ** 35 - 1 }),
    paymentHash: hash32,
    paymentSecret: hash32,
    description: fc.oneof(
      fc
        .string({ unit: "grapheme", maxLength: 100 })
        .map((d): TaggedField => ({ type: "d", description: d })),
      hash32.map((h): TaggedField => ({ type: "h", descriptionHash: h })),
    ),
    payee: fc.boolean(),
    extra: fc.array(optionalField, { maxLength: 5 }),
  })
  .map((r) => {
    const fields: TaggedField[] = [
      { type: "p", paymentHash: r.paymentHash },
      { type: "s", paymentSecret: r.paymentSecret },
      r.description,
      ...r.extra.filter(
        (f, i, all) =>
          f.type === "r" ||
          f.type === "f" ||
          f.type === "raw" ||
          all.findIndex((g) => g.type === f.type) === i,
      ),
    ];
    if (r.payee) fields.push({ type: "n", payeeNodeId: publicKey(key) });
    return {
      network: r.network,
      amountMsat: r.amountMsat,
      timestamp: r.timestamp,
      fields,
    } as UnsignedInvoice;
  });

/** Plain data for deepEqual: byte arrays (Buffer or not) as hex, other objects recursively. */
function normalize(x: unknown): unknown {
  if (x instanceof Uint8Array) return bytesToHex(x);
  if (Array.isArray(x)) return x.map(normalize);
  if (typeof x === "object" && x !== null) {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, normalize(v)]));
  }
  return x;
}

describe("BOLT 11 round trips", () => {
  test("signInvoice then decodeInvoice gives back every field and our key (fast-check)", () => {
    fc.assert(
      fc.property(unsignedInvoice, (inv) => {
        const text = signInvoice(inv, key);
        const back = decodeInvoice(text);
        assert.deepEqual(normalize(back.fields), normalize(inv.fields));
        assert.equal(back.network, inv.network);
        assert.equal(back.amountMsat, inv.amountMsat);
        assert.equal(back.timestamp, inv.timestamp);
        assert.equal(bytesToHex(back.payeeNodeId), bytesToHex(publicKey(key)));
        assert.equal(back.highS, false);
        assert.equal(signInvoice(back, key), text, "deterministic");
        assert.equal(decodeInvoice(text.toUpperCase()).signature.length, 64);
        const { hrp, words } = encodeUnsignedInvoice(inv);
        assert.deepEqual(
          normalize(decodeUnsignedInvoice(hrp, words).fields),
          normalize(inv.fields),
        );
      }),
      { numRuns: 150 },
    );
  });

  test("a changed word breaks the signature or the checksum", () => {
    const text = signInvoice(
      {
        network: "bitcoin",
        amountMsat: 1000n,
        timestamp: 1,
        fields: [
          { type: "p", paymentHash: new Uint8Array(32) },
          { type: "s", paymentSecret: new Uint8Array(32) },
          { type: "d", description: "x" },
          { type: "n", payeeNodeId: publicKey(key) },
        ],
      },
      key,
    );
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
    words[5] ^= 1; // inside the timestamp: the hash changes, n stays
    assert.throws(() => decodeInvoice(bech32.encode(prefix, words, false)), {
      code: "bolt11/signature-invalid",
    });
    assert.throws(() => decodeInvoice(text.slice(0, -1) + (text.endsWith("q") ? "p" : "q")), {
      code: "bolt11/bech32",
    });
  });
});

describe("public-key recovery", () => {
  test("matches @noble/curves for low-S and high-S signatures, all recovery ids (fast-check)", () => {
    fc.assert(
      fc.property(secret, hash32, fc.boolean(), (sk, digest, flip) => {
        const low = ecdsaSign(digest, sk);
        const s = bytesToScalar(low.subarray(32));
        const sig = flip
          ? Uint8Array.of(...low.subarray(0, 32), ...scalarToBytes(CURVE_ORDER - s))
          : low;
        let found = 0;
        for (let id = 0; id < 4; id++) {
          const ours = recoverPublicKey(digest, sig, id);
          let theirs: string | undefined;
          try {
            theirs = secp256k1.Signature.fromBytes(sig, "compact")
              .addRecoveryBit(id)
              .recoverPublicKey(digest)
              .toHex(true);
          } catch {
            theirs = undefined;
          }
          assert.equal(ours === undefined ? undefined : bytesToHex(ours), theirs);
          if (ours !== undefined && bytesToHex(ours) === bytesToHex(publicKey(sk))) found++;
        }
        assert.equal(found, 1);
      }),
      { numRuns: 40 },
    );
  });

  test("rejects out-of-range r, s and recovery ids", () => {
    const digest = new Uint8Array(32).fill(1);
    const good = ecdsaSign(digest, key);
    assert.equal(recoverPublicKey(digest, new Uint8Array(64), 0), undefined);
    assert.equal(recoverPublicKey(digest, good, 4), undefined);
    assert.equal(recoverPublicKey(digest, good, -1), undefined);
    const bigR = Uint8Array.of(...scalarToBytes(CURVE_ORDER), ...good.subarray(32));
    assert.equal(recoverPublicKey(digest, bigR, 0), undefined);
  });
});

describe("amounts and prefixes", () => {
  test("multipliers, the pico rule and canonical form", () => {
    assert.equal(parseAmount("2500u"), 250_000_000n);
    assert.equal(parseAmount("9678785340p"), 967_878_534n);
    assert.equal(parseAmount("1"), 100_000_000_000n);
    assert.equal(parseAmount("10p"), 1n);
    for (const bad of ["2500x", "2500000001p", "0", "01m", "m", "", "1mm", "1 m", "21000001"]) {
      assert.throws(() => parseAmount(bad), { code: "bolt11/amount" }, bad);
    }
    assert.equal(formatAmount(250_000_000n), "2500u");
    assert.equal(formatAmount(2_000_000_000n), "20m");
    assert.equal(formatAmount(1n), "10p");
    assert.equal(formatAmount(100_000_000_000n), "1");
    assert.throws(() => formatAmount(0n), { code: "bolt11/amount" });
  });

  test("amount round trip (fast-check)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: MAX_AMOUNT_MSAT }), (msat) => {
        assert.equal(parseAmount(formatAmount(msat)), msat);
      }),
    );
  });

  test("network prefixes", () => {
    assert.deepEqual(parseHrp("lnbcrt10u"), { network: "regtest", amountMsat: 1_000_000n });
    assert.deepEqual(parseHrp("lntbs"), { network: "signet", amountMsat: undefined });
    assert.deepEqual(parseHrp("lntb1m"), { network: "testnet", amountMsat: 100_000_000n });
    assert.equal(formatHrp("signet", 1n), "lntbs10p");
    for (const bad of ["lnxy", "ln", "bc", "lnbcx", "lntbx1m"]) {
      assert.throws(() => parseHrp(bad), { code: "bolt11/prefix" }, bad);
    }
  });
});

describe("malformed invoices", () => {
  const base: UnsignedInvoice = {
    network: "bitcoin",
    amountMsat: undefined,
    timestamp: 1,
    fields: [
      { type: "p", paymentHash: new Uint8Array(32) },
      { type: "s", paymentSecret: new Uint8Array(32) },
      { type: "d", description: "x" },
    ],
  };

  /** Signs hand-made data words (fields a writer refuses) to test the reader. */
  function signWords(extra: number[][]): string {
    const { hrp, words } = encodeUnsignedInvoice(base);
    for (const [code, ...data] of extra)
      words.push(code!, data.length >> 5, data.length & 31, ...data);
    const sig = new Array<number>(104).fill(0);
    return bech32.encode(hrp, [...words, ...sig], false);
  }

  test("non-minimal x, c and 9, bad UTF-8, bad fallbacks and routes fail with their codes", () => {
    const cases: [number[], string][] = [
      [[6, 0, 1], "bolt11/non-minimal"],
      [[24, 0, 1], "bolt11/non-minimal"],
      [[5, 0, 1], "bolt11/non-minimal"],
      [[13, 31, 30], "bolt11/description-utf8"], // 0xff 0xff...
      [[9, 17, 0, 0], "bolt11/fallback"], // P2PKH hash of 1 byte
      [[9, 0, 0, 0, 0, 0], "bolt11/fallback"], // v0 program of 3 bytes
      [[3, 0, 0, 0, 0], "bolt11/route-hint"],
      [[5, 1, ...new Array<number>(20).fill(0)], "bolt11/unknown-required-feature"], // bit 100
      [[5, 2, 0, 0, 0], "bolt11/feature-dependency"], // basic_mpp without payment_secret
      [[13, 0, 0, 0], "bolt11/padding"],
    ];
    for (const [field, code] of cases) {
      assert.throws(() => decodeInvoice(signWords([field])), { code }, code);
    }
  });

  test("both d and h, or a second description-less invoice, fail", () => {
    const h = [23, ...new Array<number>(52).fill(0)];
    assert.throws(() => decodeInvoice(signWords([h])), { code: "bolt11/description" });
  });

  test("a zero signature is invalid; a recovery id above 3 is refused", () => {
    assert.throws(() => decodeInvoice(signWords([])), { code: "bolt11/signature-invalid" });
    const text = signInvoice(base, key);
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
    words[words.length - 1] = 31; // the recovery byte's low bits
    words[words.length - 2] = 31;
    assert.throws(() => decodeInvoice(bech32.encode(prefix, words, false)), {
      code: "bolt11/recovery-id",
    });
  });

  test("arbitrary strings and word soups only ever throw WardenError (fast-check)", () => {
    const soup = fc
      .tuple(
        fc.constantFrom("lnbc", "lntb", "lnbcrt", "lntbs", "lnbc2500u", "lnbc1p", "lnxx"),
        fc.array(fc.nat({ max: 31 }), { maxLength: 400 }),
      )
      .map(([hrp, words]) => bech32.encode(hrp, words, false));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), soup), (text) => {
        try {
          decodeInvoice(text);
        } catch (e) {
          assert.ok(e instanceof WardenError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });
});
