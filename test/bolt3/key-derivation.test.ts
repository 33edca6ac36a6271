import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deriveCommitmentKeys } from "../../src/bolt3/commitment-keys.js";
import {
  derivePrivkey,
  derivePubkey,
  deriveRevocationPrivkey,
  deriveRevocationPubkey,
} from "../../src/bolt3/key-derivation.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import { CryptoError, FormatError } from "../../src/errors.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";
import { type CommitmentVectors, type KeyDerivationVectors, loadVector } from "./vectors.js";

const v = loadVector<KeyDerivationVectors>("bolt03-key-derivation.json");
const h = hexToBytes;

describe("BOLT 3 Appendix E: key derivation", () => {
  assert.equal(v.tests.length, 4);
  for (const t of v.tests) {
    test(t.name, () => {
      const i = t.inputs;
      switch (t.function) {
        case "derive_pubkey":
          assert.equal(
            bytesToHex(derivePubkey(h(i.basepoint!), h(i.per_commitment_point!))),
            t.expected.localpubkey,
          );
          break;
        case "derive_privkey": {
          const priv = derivePrivkey(h(i.basepoint_secret!), h(i.per_commitment_point!));
          assert.equal(bytesToHex(priv), t.expected.localprivkey);
          break;
        }
        case "derive_revocation_pubkey":
          assert.equal(
            bytesToHex(
              deriveRevocationPubkey(h(i.revocation_basepoint!), h(i.per_commitment_point!)),
            ),
            t.expected.revocationpubkey,
          );
          break;
        case "derive_revocation_privkey": {
          const priv = deriveRevocationPrivkey(
            h(i.revocation_basepoint_secret!),
            h(i.per_commitment_secret!),
          );
          assert.equal(bytesToHex(priv), t.expected.revocationprivkey);
          // The private key matches the public derivation.
          assert.equal(
            bytesToHex(publicKey(priv)),
            bytesToHex(
              deriveRevocationPubkey(h(i.revocation_basepoint!), h(i.per_commitment_point!)),
            ),
          );
          break;
        }
        default:
          assert.fail(`unknown function ${t.function}`);
      }
    });
  }
});

describe("BOLT 3 Appendix C keys re-derived from basepoints", () => {
  const c = loadVector<CommitmentVectors>("bolt03-commitment-txs.json").common;
  const x = c.internal;
  const pcp = h(x.local_per_commitment_point!);
  test("local/remote htlcpubkey, delayedpubkey, revocation pubkey and privkeys", () => {
    const owner = {
      fundingPubkey: h(c.local_funding_pubkey),
      revocationBasepoint: h(c.local_payment_basepoint), // unused for the owner's commitment
      paymentBasepoint: h(c.local_payment_basepoint),
      delayedPaymentBasepoint: h(x.local_delayed_payment_basepoint!),
      htlcBasepoint: h(c.local_htlc_basepoint),
    };
    const counterparty = {
      fundingPubkey: h(c.remote_funding_pubkey),
      revocationBasepoint: h(x.remote_revocation_basepoint!),
      paymentBasepoint: h(c.remote_payment_basepoint),
      delayedPaymentBasepoint: h(c.remote_payment_basepoint),
      htlcBasepoint: h(c.remote_htlc_basepoint),
    };
    const k = deriveCommitmentKeys(owner, counterparty, pcp);
    assert.equal(bytesToHex(k.localHtlcPubkey), c.local_htlcpubkey);
    assert.equal(bytesToHex(k.remoteHtlcPubkey), c.remote_htlcpubkey);
    assert.equal(bytesToHex(k.localDelayedPubkey), c.local_delayedpubkey);
    assert.equal(bytesToHex(k.revocationPubkey), c.local_revocation_pubkey);
    assert.equal(bytesToHex(k.remotePaymentPubkey), c.remote_payment_basepoint);
    const scalar = (s: string) => h(s).subarray(0, 32);
    assert.equal(
      bytesToHex(derivePrivkey(scalar(x.local_payment_basepoint_secret!), pcp)),
      c.local_privkey.slice(0, 64),
    );
    assert.equal(
      bytesToHex(derivePrivkey(scalar(x.local_delayed_payment_basepoint_secret!), pcp)),
      x.local_delayed_privkey!.slice(0, 64),
    );
    assert.equal(
      bytesToHex(derivePrivkey(scalar(x.remote_payment_basepoint_secret!), pcp)),
      x.remote_privkey!.slice(0, 64),
    );
    assert.equal(bytesToHex(publicKey(scalar(x.x_local_per_commitment_secret!))), bytesToHex(pcp));
  });
});

describe("key derivation rejects bad input with typed errors", () => {
  const bp = h(v.tests[0]!.inputs.basepoint!);
  const pcp = h(v.tests[0]!.inputs.per_commitment_point!);
  const notAPoint = Uint8Array.from(bp);
  notAPoint[0] = 0x05;
  const offCurve = new Uint8Array(33);
  offCurve[0] = 0x02;
  offCurve.fill(0xff, 1);
  test("wrong-length keys → FormatError", () => {
    assert.throws(() => derivePubkey(bp.subarray(0, 32), pcp), FormatError);
    assert.throws(() => deriveRevocationPubkey(bp, new Uint8Array(65)), FormatError);
    assert.throws(() => derivePrivkey(new Uint8Array(31), pcp), FormatError);
    assert.throws(
      () => deriveRevocationPrivkey(new Uint8Array(32).fill(1), new Uint8Array(33)),
      FormatError,
    );
  });
  test("non-point basepoints → CryptoError", () => {
    assert.throws(() => derivePubkey(notAPoint, pcp), CryptoError);
    assert.throws(() => derivePubkey(offCurve, pcp), CryptoError);
    assert.throws(() => deriveRevocationPubkey(bp, offCurve), CryptoError);
  });
  test("invalid secrets (zero, >= n) → CryptoError", () => {
    assert.throws(() => derivePrivkey(new Uint8Array(32), pcp), CryptoError);
    assert.throws(
      () => deriveRevocationPrivkey(new Uint8Array(32).fill(0xff), new Uint8Array(32).fill(1)),
      CryptoError,
    );
  });
  test("non-Uint8Array input → typed error, not TypeError", () => {
    assert.throws(() => derivePubkey("02ab" as unknown as Uint8Array, pcp), FormatError);
    assert.throws(() => derivePubkey(undefined as unknown as Uint8Array, pcp), FormatError);
  });
});
