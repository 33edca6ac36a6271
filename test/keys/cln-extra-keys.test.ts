/**
 * Core Lightning key additions: BIP 86 wallet keys of mnemonic secrets (BIP 86's own test
 * vector), and the BOLT 12 payer-tweak and alias-tweak secrets of hsmd_sign_bolt12 /
 * hsmd_sign_bolt12_2, recomputed independently with @noble/curves.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import {
  clnBip86Key,
  clnBolt12AliasSecret,
  clnBolt12PayerSecret,
  clnKeyDeriver,
} from "../../src/keys/cln.js";
import { mnemonicHsmSecretFile, parseHsmSecret } from "../../src/keys/hsm-secret.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { N, toBig } from "../crypto/arbitraries.js";
import { hsmSecret } from "./golden.js";

const ABANDON =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

function addMod(a: Uint8Array, b: Uint8Array): string {
  return ((toBig(a) + toBig(b)) % N).toString(16).padStart(64, "0");
}

describe("CLN key additions", () => {
  test("clnBip86Key: BIP 86 test vector m/86'/0'/0'/0/{0,1}; null for a 32-byte secret", async () => {
    const seed = (await parseHsmSecret(mnemonicHsmSecretFile(ABANDON))).secret;
    const d = clnKeyDeriver(seed);
    const k0 = clnBip86Key(d, 0)!;
    assert.equal(
      bytesToHex(k0.publicKey.subarray(1)),
      "cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115",
    );
    assert.equal(
      bytesToHex(clnBip86Key(d, 1)!.publicKey.subarray(1)),
      "83dfe85a3151d2517290da461fe2815591ef69f2b18a2ce63f01697a8b313145",
    );
    assert.equal(clnBip86Key(clnKeyDeriver(hsmSecret("A")), 0), null);
    assert.throws(() => clnBip86Key(d, 2 ** 31));
  });

  test("bolt12 payer secret = base + SHA256(base pub || tweak) mod n", () => {
    const d = clnKeyDeriver(hsmSecret("A"));
    const base = d.bolt12BaseSecret();
    const basePub = secp256k1.getPublicKey(base, true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tweak) => {
        const expected = addMod(base, nobleSha256(Uint8Array.from([...basePub, ...tweak])));
        assert.equal(bytesToHex(clnBolt12PayerSecret(d, tweak)), expected);
      }),
      { numRuns: 30 },
    );
  });

  test("bolt12 alias secret = node secret + SHA256(derive_secret(info) || tweak) mod n", () => {
    const d = clnKeyDeriver(hsmSecret("B"));
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 64 }),
        (info, tw) => {
          const base = d.deriveSecret(info);
          const expected = addMod(d.nodeSecret(), nobleSha256(Uint8Array.from([...base, ...tw])));
          assert.equal(bytesToHex(clnBolt12AliasSecret(d, info, tw)), expected);
        },
      ),
      { numRuns: 30 },
    );
  });
});
