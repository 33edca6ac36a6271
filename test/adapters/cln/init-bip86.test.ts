/**
 * hsmd_init and hsmd_check_bip86_pubkey with a 64-byte (BIP 39 mnemonic) hsm_secret: the init
 * reply carries hsm_version 6, the capabilities Core Lightning v26.04+ requires (147 anchor
 * spend, 29 splice, …) and the bip86_base TLV; BIP 86 keys are checked (a mismatch aborts, as
 * hsmd). With a 32-byte secret there is no bip86_base and the check is a bad request.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Transaction } from "@scure/btc-signer";
import { Hsmd, HsmdClientError } from "../../../src/adapters/cln/hsmd.js";
import { parseRawPsbt } from "../../../src/adapters/cln/psbt-raw.js";
import { SIGHASH_DEFAULT, taprootKeySpendSighash } from "../../../src/bitcoin/sighash.js";
import { parseTx } from "../../../src/bitcoin/tx.js";
import { schnorrVerify, taprootOutputKey } from "../../../src/crypto/secp256k1.js";
import { bip86Script } from "../../../src/keys/xpub.js";
import { WireWriter } from "../../../src/adapters/cln/handlers/io.js";
import { parseSession } from "../../../src/adapters/cln/replay.js";
import { sha256 } from "../../../src/crypto/hash.js";
import { clnKeyDeriver } from "../../../src/keys/cln.js";
import { TESTNET_VERSIONS } from "../../../src/keys/bip32.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { bytesToHex, concatBytes } from "../../../src/util/bytes.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

const init = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8")).find(
  (m) => m.type === 11,
)!.bytes;

function check(index: number, pub: Uint8Array): Uint8Array {
  return new WireWriter(56).u32(index).bytes(pub).done();
}

test("64-byte secret: init reply with version 6, capabilities and bip86_base; BIP 86 checks", async () => {
  const secret = concatBytes(sha256(Buffer.from("seed-1")), sha256(Buffer.from("seed-2")));
  const d = clnKeyDeriver(secret);
  const hsmd = await Hsmd.open({ hsmSecret: secret, store: new MemoryStore(), hsmSecretType: 1 });
  const root = hsmd.root();
  const reply = (await root.handle(init)).message!;
  const dv = new DataView(reply.buffer, reply.byteOffset);
  assert.equal(dv.getUint16(0), 114);
  assert.equal(dv.getUint32(2), 6);
  const n = dv.getUint16(6);
  const caps = Array.from({ length: n }, (_, i) => dv.getUint32(8 + 4 * i));
  for (const c of [147, 29, 149, 142, 28, 56, 40, 34, 32, 41, 45, 51, 52]) {
    assert.ok(caps.includes(c), `capability ${c}`);
  }
  let off = 8 + 4 * n;
  assert.equal(bytesToHex(reply.subarray(off, off + 33)), bytesToHex(d.nodeId()));
  off += 33 + 78 + 33;
  assert.equal(bytesToHex(reply.subarray(off, off + 3)), "010101"); // hsm_secret_type 1
  assert.equal(bytesToHex(reply.subarray(off + 3, off + 5)), "024e");
  assert.equal(
    bytesToHex(reply.subarray(off + 5)),
    bytesToHex(d.bip86Base()!.publicBytes(TESTNET_VERSIONS.public)),
  );
  const pub = d.bip86Base()!.derivePath([0, 7]).publicKey;
  assert.equal(bytesToHex((await root.handle(check(7, pub))).message!), "009c01");
  await assert.rejects(root.handle(check(8, pub)), HsmdClientError);
});

test("32-byte secret: no bip86_base, and hsmd_check_bip86_pubkey is a bad request", async () => {
  const hsmd = await Hsmd.open({ hsmSecret: hsmSecret("A"), store: new MemoryStore() });
  const root = hsmd.root();
  const reply = (await root.handle(init)).message!;
  assert.equal(bytesToHex(reply.subarray(reply.length - 3)), "010100");
  const pub = clnKeyDeriver(hsmSecret("A")).walletKey(0).publicKey;
  await assert.rejects(root.handle(check(0, pub)), (e) => {
    assert.ok(e instanceof HsmdClientError);
    assert.equal(e.code, "cln/bad-request");
    return true;
  });
});

test("64-byte secret: a wallet UTXO of BIP 86 key k is spent with m/86'/0'/0'/0/k", async () => {
  const secret = concatBytes(sha256(Buffer.from("seed-3")), sha256(Buffer.from("seed-4")));
  const d = clnKeyDeriver(secret);
  const hsmd = await Hsmd.open({ hsmSecret: secret, store: new MemoryStore(), hsmSecretType: 1 });
  const root = hsmd.root();
  await root.handle(init);
  const pub = d.bip86Base()!.derivePath([0, 2]).publicKey;
  const script = bip86Script(pub);
  const prevTxid = sha256(Buffer.from("prev"));
  const tx = new Transaction({ version: 2, lockTime: 0 });
  tx.addInput({
    txid: Uint8Array.from(prevTxid).reverse(),
    index: 0,
    sequence: 0xfffffffd,
    witnessUtxo: { script, amount: 100_000n },
  });
  tx.addOutput({
    script: bip86Script(d.bip86Base()!.derivePath([0, 3]).publicKey),
    amount: 99_000n,
  });
  const u64 = (n: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, n, false);
    return b;
  };
  const w = new WireWriter(7).u16(1).bytes(prevTxid).u32(0).bytes(u64(100_000n)).u32(2);
  w.bool(false).varBytes16(script).bool(false).bool(false).varBytes32(tx.toPSBT(0));
  const reply = (await root.handle(w.done())).message!;
  const raw = parseRawPsbt(reply.subarray(6));
  const sig = raw.inputs[0]!.find((e) => e.key.length === 1 && e.key[0] === 0x13)!;
  const unsigned = parseTx(Transaction.fromPSBT(reply.subarray(6)).unsignedTx);
  const msg = taprootKeySpendSighash(unsigned, 0, [{ script, value: 100_000n }], SIGHASH_DEFAULT);
  assert.ok(schnorrVerify(sig.value, msg, taprootOutputKey(pub.subarray(1)).xonly));
});
