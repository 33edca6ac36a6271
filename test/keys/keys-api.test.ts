import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { sha256 } from "../../src/crypto/hash.js";
import { CryptoError, FormatError } from "../../src/errors.js";
import {
  channelKeysFromSecrets,
  clnKeyDeriver,
  ExtendedPrivateKey,
  HARDENED,
  hkdfSha256,
  ldkKeyDeriver,
  parseBip32Path,
  TESTNET_VERSIONS,
} from "../../src/keys/index.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";

const hex = bytesToHex;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function throwsCode(fn: () => unknown, cls: typeof FormatError, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof cls && e.code === code);
}

describe("BIP 32", () => {
  const seed = hexToBytes("000102030405060708090a0b0c0d0e0f");
  test("BIP 32 test vector 1", () => {
    const m = ExtendedPrivateKey.fromSeed(seed);
    assert.equal(
      m.toXpub(),
      "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8",
    );
    assert.equal(
      m.toXprv(),
      "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
    );
    const c = m.deriveChild(HARDENED);
    assert.equal(
      c.toXprv(),
      "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7",
    );
    assert.equal(
      m.derivePath("m/0'/1/2'/2/1000000000").toXpub(),
      "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy",
    );
    assert.equal(m.derivePath("m/0h/1").toXpub(), m.derivePath([HARDENED, 1]).toXpub());
    assert.ok(m.toXpub(TESTNET_VERSIONS).startsWith("tpub"));
  });

  test("path parsing and index errors", () => {
    assert.deepEqual(parseBip32Path("m"), []);
    assert.deepEqual(parseBip32Path("m/86'/0h/5"), [HARDENED + 86, HARDENED, 5]);
    for (const bad of ["", "0/1", "m/", "m/x", "m/2147483648", "m/1''"]) {
      throwsCode(() => parseBip32Path(bad), FormatError, "keys/bip32-path");
    }
    const m = ExtendedPrivateKey.fromSeed(seed);
    throwsCode(() => m.deriveChild(-1), FormatError, "keys/bip32-index");
    throwsCode(() => m.deriveChild(2 ** 32), FormatError, "keys/bip32-index");
    throwsCode(
      () => ExtendedPrivateKey.fromSeed(new Uint8Array(15)),
      FormatError,
      "keys/seed-length",
    );
  });

  test("extended keys never show their secret", () => {
    const m = ExtendedPrivateKey.fromSeed(seed);
    const secret = hex(m.secretKey());
    assert.ok(!JSON.stringify(m).includes(secret));
    assert.ok(!inspect(m, { showHidden: true }).includes(secret));
  });
});

describe("HKDF-SHA256", () => {
  test("RFC 5869 test case 1", () => {
    const okm = hkdfSha256(
      new Uint8Array(22).fill(0x0b),
      hexToBytes("000102030405060708090a0b0c"),
      hexToBytes("f0f1f2f3f4f5f6f7f8f9"),
      42,
    );
    assert.equal(
      hex(okm),
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    );
  });
  test("rejects bad lengths", () => {
    throwsCode(
      () => hkdfSha256(new Uint8Array(1), new Uint8Array(0), "", 0),
      FormatError,
      "format/range",
    );
  });
});

describe("derivers: validation and redaction", () => {
  const seed = sha256(utf8("warden keys api test"));
  const peerId = hexToBytes("039f8601dc4fa2c6e6ddbbe04c4c47178f27d04aaa8d8aa403d1ad31c60e000d63");

  test("input validation has stable codes", () => {
    throwsCode(() => clnKeyDeriver(new Uint8Array(33)), FormatError, "keys/seed-length");
    throwsCode(() => ldkKeyDeriver(new Uint8Array(31), 0n, 0), FormatError, "format/length");
    throwsCode(() => ldkKeyDeriver(seed, -1n, 0), FormatError, "keys/starting-time");
    throwsCode(() => ldkKeyDeriver(seed, 0n, 2 ** 32), FormatError, "keys/starting-time");
    const cln = clnKeyDeriver(seed);
    throwsCode(() => cln.channelKeys({ peerId, dbid: -1n }), FormatError, "keys/channel-ref");
    throwsCode(() => cln.channelKeys({ peerId, dbid: 2n ** 64n }), FormatError, "keys/channel-ref");
    const badPeer = Uint8Array.from(peerId);
    badPeer[0] = 4;
    throwsCode(
      () => cln.channelKeys({ peerId: badPeer, dbid: 1n }),
      FormatError,
      "keys/channel-ref",
    );
    throwsCode(() => cln.walletKey(HARDENED), FormatError, "keys/bip32-index");
    const ldk = ldkKeyDeriver(seed, 0n, 0);
    throwsCode(
      () => ldk.channelKeys({ channelKeysId: new Uint8Array(31) }),
      FormatError,
      "format/length",
    );
    throwsCode(
      () =>
        channelKeysFromSecrets({
          ...ldk.channelKeys({ channelKeysId: seed }),
          fundingSecret: new Uint8Array(32),
        }),
      CryptoError,
      "keys/invalid-secret",
    );
  });

  test("no secret appears in JSON or inspect output", () => {
    const cln = clnKeyDeriver(seed);
    const ldk = ldkKeyDeriver(seed, 5n, 6);
    const ck = cln.channelKeys({ peerId, dbid: 7n });
    const lk = ldk.channelKeys({ channelKeysId: seed });
    const secrets = [
      cln.nodeSecret(),
      ldk.nodeSecret(),
      cln.channelSeed({ peerId, dbid: 7n }),
      ...[ck, lk].flatMap((k) => [
        k.fundingSecret,
        k.revocationBaseSecret,
        k.paymentBaseSecret,
        k.delayedPaymentBaseSecret,
        k.htlcBaseSecret,
        k.commitmentSeed,
      ]),
    ].map(hex);
    const rendered = [cln, ldk, ck, lk, cln.walletRoot()]
      .flatMap((o) => [JSON.stringify(o), inspect(o, { depth: 5 }), String(o)])
      .join("\n");
    for (const s of secrets) assert.ok(!rendered.includes(s));
    assert.ok(JSON.stringify(ck).includes(hex(ck.basepoints.fundingPubkey)));
    assert.equal(cln.style, "cln");
    assert.equal(ldk.style, "ldk");
  });

  test("secrets returned are copies", () => {
    const cln = clnKeyDeriver(seed);
    const s = cln.nodeSecret();
    s.fill(0);
    assert.notEqual(hex(cln.nodeSecret()), hex(s));
  });

  test("CLN 64-byte (mnemonic) secret: node and channel keys from the first 32 bytes, BIP 86 base", () => {
    const seed64 = new Uint8Array(64);
    seed64.set(seed, 0);
    seed64.set(sha256(seed), 32);
    const long = clnKeyDeriver(seed64);
    const short = clnKeyDeriver(seed);
    assert.equal(hex(long.nodeId()), hex(short.nodeId()));
    assert.equal(
      hex(long.channelKeys({ peerId, dbid: 1n }).basepoints.fundingPubkey),
      hex(short.channelKeys({ peerId, dbid: 1n }).basepoints.fundingPubkey),
    );
    assert.notEqual(hex(long.walletRoot().publicKey), hex(short.walletRoot().publicKey));
    const bip86 = long.bip86Base();
    assert.ok(bip86 !== null);
    assert.equal(
      bip86.toXpub(),
      ExtendedPrivateKey.fromSeed(seed64).derivePath("m/86'/0'/0'").toXpub(),
    );
    assert.equal(bip86.depth, 3);
  });
});
