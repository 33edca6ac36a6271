/**
 * BOLT 12 signature-test.json: each case's leaves, branches and merkle root are recomputed from
 * the TLV records named in the leaf keys; the invoice_request case also checks the signing
 * hash, verifies the spec's signature and re-signs. One test per case, named after its comment.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { encodeBigSize } from "../../src/bolt12/bigsize.js";
import { branchHash, merkleRoot, taggedHashBytes } from "../../src/bolt12/merkle.js";
import {
  bolt12SigningHash,
  signBolt12,
  signBolt12Invoice,
  verifyBolt12,
  verifyBolt12Invoice,
} from "../../src/bolt12/signature.js";
import { decodeBolt12String } from "../../src/bolt12/string.js";
import { readTlvStream } from "../../src/bolt12/tlv.js";
import { taggedHash } from "../../src/crypto/hash.js";
import { publicKey, xonlyPublicKey } from "../../src/crypto/secp256k1.js";
import { bytesToHex, concatBytes, hexToBytes } from "../../src/util/bytes.js";

type Case = Record<string, unknown> & {
  comment: string;
  "first-tlv": string;
  leaves: Record<string, string>[];
  branches: Record<string, string>[];
  merkle: string;
  bolt12?: string;
  signature_tag?: string;
  signature?: string;
};

const root = new URL("../../../", import.meta.url);
const cases = JSON.parse(
  readFileSync(new URL("../shared/vectors/bolt12/signature-test.json", root), "utf8"),
) as Case[];

/** The hex argument and value of the entry whose key starts with `prefix`. */
function entry(obj: Record<string, string>, prefix: string): { arg: string; value: string } {
  const key = Object.keys(obj).find((k) => k.startsWith(prefix));
  assert.ok(key !== undefined, `no ${prefix} entry`);
  return { arg: key.slice(prefix.length, -1), value: obj[key]! };
}

describe("BOLT 12 signature-test.json", () => {
  for (const c of cases) {
    test(c.comment, () => {
      const leafTlvs = c.leaves.map((l) => hexToBytes(entry(l, "H(`LnLeaf`,").arg));
      const stream =
        c.bolt12 === undefined ? concatBytes(...leafTlvs) : decodeBolt12String(c.bolt12).bytes;
      const records = readTlvStream(stream);
      const firstTlv = hexToBytes(c["first-tlv"]);
      assert.equal(bytesToHex(records[0]!.encoded), c["first-tlv"]);
      const nonceTag = concatBytes(new TextEncoder().encode("LnNonce"), firstTlv);
      c.leaves.forEach((l, i) => {
        const leaf = taggedHashBytes(new TextEncoder().encode("LnLeaf"), leafTlvs[i]!);
        assert.equal(bytesToHex(leaf), entry(l, "H(`LnLeaf`,").value);
        assert.equal(bytesToHex(records[i]!.encoded), bytesToHex(leafTlvs[i]!));
        const nonce = taggedHashBytes(nonceTag, encodeBigSize(records[i]!.type));
        assert.equal(bytesToHex(nonce), entry(l, "H(`LnNonce`|first-tlv,").value);
        assert.equal(
          bytesToHex(branchHash(leaf, nonce)),
          entry(l, "H(`LnBranch`,leaf+nonce)").value,
        );
      });
      for (const b of c.branches) {
        const { arg, value } = entry(b, "H(`LnBranch`,");
        const pair = hexToBytes(arg);
        assert.equal(bytesToHex(branchHash(pair.subarray(0, 32), pair.subarray(32))), value);
      }
      assert.equal(bytesToHex(merkleRoot(records)), c.merkle);

      if (c.signature_tag === undefined) return;
      const merkle = hexToBytes(c.merkle);
      const sigHash = bytesToHex(taggedHash(c.signature_tag, merkle));
      assert.equal(sigHash, c["H(signature_tag,merkle)"]);
      assert.equal(bytesToHex(bolt12SigningHash("invoice_request", "signature", stream)), sigHash);
      const payerId = records.find((r) => r.type === 88n)!.value; // invreq_payer_id = Bob
      const bob = new Uint8Array(32).fill(0x42);
      assert.equal(bytesToHex(payerId), bytesToHex(publicKey(bob)));
      const sig = records.find((r) => r.type === 240n)!.value;
      assert.equal(bytesToHex(sig), c.signature);
      assert.ok(verifyBolt12("invoice_request", stream, payerId));
      assert.ok(!verifyBolt12("invoice", stream, payerId), "the message name is in the tag");
      // Re-sign the unsigned stream: a valid signature over the same merkle root.
      const unsigned = concatBytes(...records.filter((r) => r.type < 240n).map((r) => r.encoded));
      const resigned = signBolt12("invoice_request", unsigned, bob, new Uint8Array(32));
      assert.ok(verifyBolt12("invoice_request", resigned, xonlyPublicKey(bob)));
      assert.equal(bytesToHex(merkleRoot(readTlvStream(resigned))), c.merkle);
    });
  }
});

describe("signBolt12Invoice", () => {
  test("signs with the node key and verifies; any change to a field breaks it", () => {
    const node = new Uint8Array(32).fill(0x41);
    const stream = concatBytes(hexToBytes("0a0548656c6c6f"), hexToBytes("a0010a"));
    const signed = signBolt12Invoice(stream, node);
    assert.ok(verifyBolt12Invoice(signed, publicKey(node)));
    assert.ok(!verifyBolt12("invoice_request", signed, publicKey(node)));
    const tampered = signed.slice();
    tampered[3] ^= 1;
    assert.ok(!verifyBolt12Invoice(tampered, publicKey(node)));
    assert.ok(!verifyBolt12Invoice(stream, publicKey(node)), "no signature record");
    assert.ok(!verifyBolt12Invoice(Uint8Array.of(0xfd), publicKey(node)), "malformed stream");
  });

  test("refuses a stream that already carries signature-range records", () => {
    const node = new Uint8Array(32).fill(0x41);
    const signed = signBolt12Invoice(hexToBytes("0a0548656c6c6f"), node);
    assert.throws(() => signBolt12Invoice(signed, node), { code: "bolt12/signature" });
    assert.throws(() => signBolt12Invoice(new Uint8Array(0), node), { code: "bolt12/merkle" });
  });
});
