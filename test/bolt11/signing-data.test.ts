import assert from "node:assert/strict";
import { test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bech32 } from "@scure/base";
import { decodeInvoice, invoiceSigningData } from "../../src/bolt11/index.js";
import { sha256 } from "../../src/crypto/hash.js";
import { bytesToHex } from "../../src/util/bytes.js";

// An invoice LDK 0.1 (KeysManager) created on regtest: its data words end in a partial byte
// whose bits are not zero, which the signing data must keep (BOLT 11: pad with zeros to a byte).
const LDK_INVOICE =
  "lnbcrt100u1p4sf0s3dq9v5ex2np4qgs586em8mqulwtm4y28vqwdrgtv22tyh299d09c8vmcvzsr5rwnupp547dm5yl204s5eh5lxdpwmpkfh2x0cpmnqxykew05pfnuup6up4kqsp5edgy6smjnlnd9rku8ssv6w5yjdtcehpf6f0900vys454gytnlzsq9qyysgqcqpcxqrrssmhpvlxfwnr60sf6nr98qszskzavq56f7u8w9clhefc5nzk593uezsqdm0syjpegs3734ae36jfl6d92ktva3hex353v65u4aje9l67sqdj5tvv";
const LDK_PAYEE = "022143eb3b3ec1cfb97ba9147601cd1a16c52964ba8a56bcb83b37860a03a0dd3e";

test("signing data keeps the bits of a last partial byte (an LDK invoice decodes)", () => {
  const { prefix, words } = bech32.decode(LDK_INVOICE as `${string}1${string}`, 5000);
  const data = words.slice(0, -104);
  assert.notEqual((data.length * 5) % 8, 0, "the data ends in a partial byte");
  const sig = bech32.fromWords(words.slice(-104)).slice(0, 64);
  const digest = sha256(invoiceSigningData(prefix, data));
  assert.ok(secp256k1.verify(sig, digest, Buffer.from(LDK_PAYEE, "hex"), { prehash: false }));
  const decoded = decodeInvoice(LDK_INVOICE);
  assert.equal(bytesToHex(decoded.payeeNodeId), LDK_PAYEE);
});
