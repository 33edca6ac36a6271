/**
 * hsmd_sign_withdrawal of a to_remote output that a peer's force close paid us (hsm_utxo with
 * close_info), on golden scenario 2: node B's 50 000 sat output of A's commitment. Spent to B's
 * wallet it is signed with the channel's payment basepoint key (P2WSH to_remote with anchors)
 * after the On-chain transactions rules passed; spent to a foreign address it is refused.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Transaction } from "@scure/btc-signer";
import { Hsmd, HsmdClientError, type HsmdConnection } from "../../../src/adapters/cln/hsmd.js";
import { WireWriter } from "../../../src/adapters/cln/handlers/io.js";
import { parseRawPsbt } from "../../../src/adapters/cln/psbt-raw.js";
import { parseSession } from "../../../src/adapters/cln/replay.js";
import { SIGHASH_ALL, segwitV0Sighash } from "../../../src/bitcoin/sighash.js";
import { parseTx } from "../../../src/bitcoin/tx.js";
import { toRemoteAnchorsScript } from "../../../src/bolt3/scripts.js";
import { ecdsaVerify } from "../../../src/crypto/secp256k1.js";
import { signatureFromDer } from "../../../src/crypto/signature.js";
import { clnKeyDeriver } from "../../../src/keys/cln.js";
import { bip86Script } from "../../../src/keys/xpub.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { equalBytes, hexToBytes } from "../../../src/util/bytes.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

const NODE_A = hexToBytes("033b0615a97d8f85a05dd77b1ff3c667a2d52177676af1b1a6af86cac59db9be23");
const COMMITMENT = hexToBytes("1d056fab944400befcaeb2af5d550f171123c991816536ab18b539b4a142bb9f");
const SCRIPT = hexToBytes("00200b1fe6ce52e340b0b308018275baa9088fde00db862cb76776d053bcf35fcd9c");

async function initializedB(): Promise<HsmdConnection> {
  const msgs = parseSession(readFileSync(new URL("scenario2/B.jsonl", goldenDir), "utf8"));
  const hsmd = await Hsmd.open({ hsmSecret: hsmSecret("B"), store: new MemoryStore() });
  const root = hsmd.root();
  await root.handle(msgs.find((m) => m.type === 11)!.bytes);
  return root;
}

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, false);
  return b;
}

function withdrawal(dest: Uint8Array): { request: Uint8Array; psbt: Uint8Array } {
  const tx = new Transaction({ version: 2, lockTime: 0 });
  tx.addInput({
    txid: COMMITMENT,
    index: 2,
    sequence: 1,
    witnessUtxo: { script: SCRIPT, amount: 50_000n },
  });
  tx.addOutput({ script: dest, amount: 49_000n });
  const psbt = tx.toPSBT(0);
  const w = new WireWriter(7).u16(1);
  w.bytes(Uint8Array.from(COMMITMENT).reverse()).u32(2).bytes(u64(50_000n)).u32(0).bool(false);
  w.varBytes16(SCRIPT).bool(true);
  w.bytes(u64(1n)).bytes(NODE_A).bool(false).bool(true).u32(1); // close_info
  w.bool(false).varBytes32(psbt);
  return { request: w.done(), psbt };
}

test("a peer-closed to_remote output is spent to our wallet with the channel's key", async () => {
  const root = await initializedB();
  const d = clnKeyDeriver(hsmSecret("B"));
  const { request } = withdrawal(bip86Script(d.walletKey(5).publicKey));
  const reply = (await root.handle(request)).message!;
  assert.equal((reply[0]! << 8) | reply[1]!, 107);
  const psbt = reply.subarray(6);
  const raw = parseRawPsbt(psbt);
  const pub = d.channelKeys({ peerId: NODE_A, dbid: 1n }).basepoints.paymentBasepoint;
  const witnessScript = toRemoteAnchorsScript(pub);
  const partial = raw.inputs[0]!.find(
    (e) => e.key[0] === 0x02 && equalBytes(e.key.subarray(1), pub),
  );
  assert.ok(partial !== undefined);
  const unsigned = parseTx(Transaction.fromPSBT(psbt).unsignedTx);
  const digest = segwitV0Sighash(unsigned, 0, witnessScript, 50_000n, SIGHASH_ALL);
  const sig = signatureFromDer(partial.value.subarray(0, partial.value.length - 1));
  assert.ok(ecdsaVerify(sig, digest, pub));
  const ws = raw.inputs[0]!.find((e) => e.key.length === 1 && e.key[0] === 0x05);
  assert.ok(ws !== undefined && equalBytes(ws.value, witnessScript));
});

test("the same output spent to a foreign address is refused, unsigned", async () => {
  const root = await initializedB();
  let caught: unknown;
  try {
    await root.handle(withdrawal(hexToBytes("0014" + "22".repeat(20))).request);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HsmdClientError);
  assert.equal(caught.code, "cln/policy-refused");
  assert.ok(caught.ruleIds.includes("policy-onchain-no-unknown-outputs"), caught.message);
});

test("a close_info utxo whose script is not our to_remote is a bad request", async () => {
  const root = await initializedB();
  const d = clnKeyDeriver(hsmSecret("B"));
  const req = withdrawal(bip86Script(d.walletKey(5).publicKey)).request;
  // Claim another channel (dbid 2): the derived script no longer matches.
  const hex = Buffer.from(req).toString("hex");
  const edited = hex.replace(
    Buffer.from(u64(1n)).toString("hex") + Buffer.from(NODE_A).toString("hex"),
    Buffer.from(u64(2n)).toString("hex") + Buffer.from(NODE_A).toString("hex"),
  );
  assert.notEqual(edited, hex);
  let caught: unknown;
  try {
    await root.handle(hexToBytes(edited));
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HsmdClientError);
  assert.equal(caught.code, "cln/bad-request");
});
