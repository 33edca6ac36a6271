import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as ecc from "../../src/crypto/secp256k1.js";
import { hexToBytes } from "../../src/util/bytes.js";
import { hex } from "./arbitraries.js";
import { BIP340_VECTORS } from "./bip340-vectors.js";

for (const backend of ecc.availableBackends()) {
  describe(`BIP 340 official vectors on the ${backend} backend`, () => {
    for (const v of BIP340_VECTORS) {
      test(`vector ${v.index}${v.comment ? ` (${v.comment})` : ""}`, () => {
        ecc.useBackend(backend);
        const msg = hexToBytes(v.msg);
        const sig = hexToBytes(v.sig);
        const pub = hexToBytes(v.pubkey);
        if (v.seckey !== "") {
          const sk = hexToBytes(v.seckey);
          assert.equal(hex(ecc.xonlyPublicKey(sk)), v.pubkey.toLowerCase());
          assert.equal(hex(ecc.schnorrSign(msg, sk, hexToBytes(v.aux))), v.sig.toLowerCase());
        }
        assert.equal(ecc.schnorrVerify(sig, msg, pub), v.valid);
      });
    }
  });
}
