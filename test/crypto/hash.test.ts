import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { hmac } from "@noble/hashes/hmac.js";
import { ripemd160 } from "@noble/hashes/legacy.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { hash160, hmacSha256, sha256, sha256d, taggedHash } from "../../src/crypto/hash.js";
import { FormatError } from "../../src/errors.js";
import { hex } from "./arbitraries.js";

const data = fc.uint8Array({ maxLength: 300 });

describe("hash", () => {
  test("sha256 known answers", () => {
    assert.equal(
      hex(sha256(new Uint8Array(0))),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert.equal(
      hex(sha256d(Buffer.from("hello"))),
      "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50",
    );
    assert.equal(hex(hash160(Buffer.from("abc"))), hex(ripemd160(nobleSha256(Buffer.from("abc")))));
  });

  test("all hashes agree with @noble/hashes", () => {
    fc.assert(
      fc.property(data, data, (a, b) => {
        assert.equal(hex(sha256(a)), hex(nobleSha256(a)));
        assert.equal(hex(sha256d(a)), hex(nobleSha256(nobleSha256(a))));
        assert.equal(hex(hash160(a)), hex(ripemd160(nobleSha256(a))));
        assert.equal(hex(hmacSha256(a, b)), hex(hmac(nobleSha256, a, b)));
      }),
      { numRuns: 100 },
    );
  });

  test("taggedHash matches the BIP 340 definition (and caching is transparent)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), data, data, (tag, a, b) => {
        const t = nobleSha256(Buffer.from(tag, "utf8"));
        const expected = nobleSha256(Buffer.concat([t, t, a, b]));
        assert.equal(hex(taggedHash(tag, a, b)), hex(expected));
        assert.equal(hex(taggedHash(tag, a, b)), hex(expected));
      }),
      { numRuns: 60 },
    );
  });

  test("BIP 340 challenge tag known value", () => {
    // SHA256("BIP0340/challenge") is a well-known constant.
    const t = nobleSha256(Buffer.from("BIP0340/challenge"));
    assert.equal(hex(taggedHash("BIP0340/challenge")), hex(nobleSha256(Buffer.concat([t, t]))));
  });

  test("non-bytes input raises FormatError", () => {
    for (const bad of [undefined, null, "abc", 5, [1, 2]]) {
      assert.throws(() => sha256(bad as unknown as Uint8Array), FormatError);
      assert.throws(() => hash160(bad as unknown as Uint8Array), FormatError);
      assert.throws(() => hmacSha256(Buffer.alloc(1), bad as unknown as Uint8Array), FormatError);
      assert.throws(() => taggedHash("x", bad as unknown as Uint8Array), FormatError);
    }
  });
});
