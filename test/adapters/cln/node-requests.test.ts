/**
 * Node-level requests the golden sessions do not show, implemented from hsmd_wire.csv and
 * hsmd's handlers: sign_message (policy-message-prefix), BIP 137, BOLT 12 (node key and
 * payer-id tweaks), get_output_scriptpubkey, check_future_secret and the will-fund offer's
 * permission. Each signature is checked against the key Core Lightning expects.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { WireWriter } from "../../../src/adapters/cln/handlers/io.js";
import { Hsmd, HsmdClientError, type HsmdConnection } from "../../../src/adapters/cln/hsmd.js";
import { chainViewFromJson, parseSession } from "../../../src/adapters/cln/replay.js";
import { p2wpkh } from "../../../src/bitcoin/outputs.js";
import { sha256, sha256d, taggedHash } from "../../../src/crypto/hash.js";
import { recoverPublicKey } from "../../../src/crypto/recovery.js";
import { publicKey, schnorrVerify, seckeyTweakAdd } from "../../../src/crypto/secp256k1.js";
import { clnKeyDeriver } from "../../../src/keys/cln.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { bytesToHex, concatBytes, hexToBytes } from "../../../src/util/bytes.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

const d = clnKeyDeriver(hsmSecret("A"));
const PEER_B = hexToBytes("039f8601dc4fa2c6e6ddbbe04c4c47178f27d04aaa8d8aa403d1ad31c60e000d63");
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function session(): Promise<{ root: HsmdConnection; channeld: HsmdConnection }> {
  const msgs = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8"));
  const hsmd = await Hsmd.open({
    hsmSecret: hsmSecret("A"),
    store: new MemoryStore(),
    chain: chainViewFromJson(readFileSync(new URL("scenario1/chain-txs.json", goldenDir), "utf8")),
    clock: () => Date.UTC(2026, 10, 23, 22, 0, 0),
  });
  const conns = [hsmd.root()];
  for (const m of msgs) {
    if (m.seq > 160) break;
    if (m.dir !== "req") continue;
    const r = await conns[m.conn.n]!.handle(m.bytes);
    if (r.newClient !== undefined) conns.push(r.newClient);
  }
  return { root: conns[0]!, channeld: conns[3]! };
}

function recovered(digest: Uint8Array, sig65: Uint8Array): string {
  return bytesToHex(recoverPublicKey(digest, sig65.subarray(0, 64), sig65[64]!)!);
}

async function refused(p: Promise<unknown>, code: string): Promise<HsmdClientError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HsmdClientError);
    assert.equal(e.code, code);
    return e;
  }
  return assert.fail("not refused");
}

test("sign_message and BIP 137 recover to the node key and wallet key", async () => {
  const { root } = await session();
  const msg = enc("hello from warden");
  const r1 = (await root.handle(new WireWriter(23).varBytes16(msg).done())).message!;
  assert.equal((r1[0]! << 8) | r1[1]!, 123);
  const digest = sha256d(concatBytes(enc("Lightning Signed Message:"), msg));
  assert.equal(recovered(digest, r1.subarray(2)), bytesToHex(d.nodeId()));
  // A serialized transaction is not a message (policy-message-prefix).
  const txLike = concatBytes(
    hexToBytes("0200000001"),
    new Uint8Array(32),
    hexToBytes("00000000" + "00" + "ffffffff" + "01" + "0000000000000000" + "00" + "00000000"),
  );
  const e = await refused(
    root.handle(new WireWriter(23).varBytes16(txLike).done()),
    "cln/policy-refused",
  );
  assert.deepEqual(e.ruleIds, ["policy-message-prefix"]);

  const r2 = (await root.handle(new WireWriter(45).varBytes16(msg).u32(4).done())).message!;
  assert.equal((r2[0]! << 8) | r2[1]!, 145);
  const bip137 = sha256d(
    concatBytes(enc("\x18Bitcoin Signed Message:\n"), Uint8Array.of(msg.length), msg),
  );
  assert.equal(recovered(bip137, r2.subarray(2)), bytesToHex(d.walletKey(4).publicKey));
});

test("BOLT 12 signatures: node key, bolt12 payer tweak, sign_bolt12_2 alias tweak", async () => {
  const { root } = await session();
  const merkle = sha256(enc("merkle"));
  const digest = taggedHash("lightninginvoicesignature", merkle);
  const plain = new WireWriter(25)
    .bytes(enc("invoice\0signature\0"))
    .bytes(merkle)
    .varBytes16(new Uint8Array(0))
    .done();
  const s1 = (await root.handle(plain)).message!.subarray(2);
  assert.ok(schnorrVerify(s1, digest, d.nodeId().subarray(1)));
  const tweak = enc("payer");
  const tweaked = new WireWriter(25)
    .bytes(enc("invoice_request\0signature\0"))
    .bytes(merkle)
    .varBytes16(tweak)
    .done();
  const s2 = (await root.handle(tweaked)).message!.subarray(2);
  const base = d.bolt12BaseSecret();
  const payer = publicKey(seckeyTweakAdd(base, sha256(concatBytes(publicKey(base), tweak))));
  const d2 = taggedHash("lightninginvoice_requestsignature", merkle);
  assert.ok(schnorrVerify(s2, d2, payer.subarray(1)));
  const info = enc("alias-info");
  const v2 = new WireWriter(41)
    .bytes(enc("invoice\0signature\0"))
    .bytes(merkle)
    .varBytes16(info)
    .varBytes16(tweak)
    .done();
  const s3 = (await root.handle(v2)).message!.subarray(2);
  const alias = publicKey(
    seckeyTweakAdd(d.nodeSecret(), sha256(concatBytes(d.deriveSecret(info), tweak))),
  );
  assert.ok(schnorrVerify(s3, digest, alias.subarray(1)));
  // Not a BOLT 12 signature field: refused.
  const bad = new WireWriter(25)
    .bytes(enc("channel_update\0signature\0"))
    .bytes(merkle)
    .varBytes16(new Uint8Array(0))
    .done();
  await refused(root.handle(bad), "cln/bad-request");
});

test("get_output_scriptpubkey, check_future_secret, will-fund permission", async () => {
  const { root, channeld } = await session();
  const keys = d.channelKeys({ peerId: PEER_B, dbid: 1n });
  const out = new WireWriter(24).bytes(new Uint8Array(7)).u8(1).bytes(PEER_B).bool(false).done();
  const r = (await root.handle(out)).message!;
  assert.equal(bytesToHex(r.subarray(4)), bytesToHex(p2wpkh(keys.basepoints.paymentBasepoint)));
  const good = new WireWriter(22).bytes(new Uint8Array(7)).u8(5).bytes(keys.perCommitmentSecret(5));
  assert.equal(bytesToHex((await channeld.handle(good.done())).message!), "007a01");
  const wrong = new WireWriter(22)
    .bytes(new Uint8Array(7))
    .u8(6)
    .bytes(keys.perCommitmentSecret(5));
  assert.equal(bytesToHex((await channeld.handle(wrong.done())).message!), "007a00");
  const offer = new WireWriter(26).bytes(keys.basepoints.fundingPubkey).u32(800).u32(1).u16(2);
  await refused(root.handle(offer.done()), "cln/not-permitted");
});
