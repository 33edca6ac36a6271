/**
 * hsmd_sign_anchorspend (type 147, which Core Lightning v26.04+ requires the hsmd to support),
 * on the real force close of golden scenario 2 (node A): after lightningd had A's commitment
 * signed, a CPFP spending A's anchor of that commitment plus a wallet UTXO, with the change to
 * A's wallet, is signed — the anchor by the channel's funding key through Channel.signSweep,
 * the wallet input by the on-chain wallet — and both signatures verify. The same spend with
 * its change sent elsewhere is refused by policy, without a signature.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Transaction } from "@scure/btc-signer";
import { Hsmd, HsmdClientError, type HsmdConnection } from "../../../src/adapters/cln/hsmd.js";
import { WireWriter } from "../../../src/adapters/cln/handlers/io.js";
import { parseRawPsbt } from "../../../src/adapters/cln/psbt-raw.js";
import { chainViewFromJson, parseSession } from "../../../src/adapters/cln/replay.js";
import { p2wsh } from "../../../src/bitcoin/outputs.js";
import {
  SIGHASH_ALL,
  SIGHASH_DEFAULT,
  segwitV0Sighash,
  taprootKeySpendSighash,
} from "../../../src/bitcoin/sighash.js";
import { parseTx, txid as txidOf, type TxOut } from "../../../src/bitcoin/tx.js";
import { anchorScript } from "../../../src/bolt3/scripts.js";
import { ecdsaVerify, schnorrVerify, taprootOutputKey } from "../../../src/crypto/secp256k1.js";
import { signatureFromDer } from "../../../src/crypto/signature.js";
import { clnKeyDeriver } from "../../../src/keys/cln.js";
import { bip86Script } from "../../../src/keys/xpub.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { bytesToHex, equalBytes, hexToBytes } from "../../../src/util/bytes.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

const PEER_B = hexToBytes("039f8601dc4fa2c6e6ddbbe04c4c47178f27d04aaa8d8aa403d1ad31c60e000d63");
const DBID = 1n;

async function afterForceClose(): Promise<HsmdConnection> {
  const msgs = parseSession(readFileSync(new URL("scenario2/A.jsonl", goldenDir), "utf8"));
  const hsmd = await Hsmd.open({
    hsmSecret: hsmSecret("A"),
    store: new MemoryStore(),
    chain: chainViewFromJson(readFileSync(new URL("scenario2/chain-txs.json", goldenDir), "utf8")),
    clock: () => Date.UTC(2026, 10, 23, 22, 0, 0),
  });
  const conns = [hsmd.root()];
  for (const m of msgs) {
    if (m.seq > 202) break;
    if (m.dir !== "req") continue;
    const r = await conns[m.conn.n]!.handle(m.bytes);
    if (r.newClient !== undefined) conns.push(r.newClient);
  }
  return conns[0]!;
}

interface Spend {
  request: Uint8Array;
  prevouts: TxOut[];
  fundingPubkey: Uint8Array;
  walletPub: Uint8Array;
}

function anchorSpend(changeScript: Uint8Array | undefined): Spend {
  const d = clnKeyDeriver(hsmSecret("A"));
  const fundingPubkey = d.channelKeys({ peerId: PEER_B, dbid: DBID }).basepoints.fundingPubkey;
  const chain = JSON.parse(
    readFileSync(new URL("scenario2/chain-txs.json", goldenDir), "utf8"),
  ) as { confirmed: { height: number; hex: string }[] };
  const commitment = parseTx(hexToBytes(chain.confirmed.find((t) => t.height === 109)!.hex));
  const anchorOut = p2wsh(anchorScript(fundingPubkey));
  const anchorVout = commitment.outputs.findIndex((o) => equalBytes(o.script, anchorOut));
  assert.ok(anchorVout >= 0, "A's anchor on its commitment");
  // A's wallet UTXO: the funding tx's change (P2TR of a wallet key).
  const funding = parseTx(hexToBytes(chain.confirmed.find((t) => t.height === 103)!.hex));
  const change = funding.outputs[1]!;
  let keyIndex = -1;
  for (let k = 0; k < 100 && keyIndex < 0; k++) {
    if (equalBytes(bip86Script(d.walletKey(k).publicKey), change.script)) keyIndex = k;
  }
  assert.ok(keyIndex >= 0);
  const walletPub = d.walletKey(keyIndex).publicKey;
  const out = changeScript ?? bip86Script(d.walletKey(keyIndex + 1).publicKey);
  const tx = new Transaction({ version: 2, lockTime: 110 });
  tx.addInput({
    txid: txidOf(funding).slice().reverse(),
    index: 1,
    sequence: 0xfffffffd,
    witnessUtxo: { script: change.script, amount: change.value },
  });
  tx.addInput({
    txid: txidOf(commitment).slice().reverse(),
    index: anchorVout,
    sequence: 0xfffffffd,
    witnessUtxo: { script: anchorOut, amount: 330n },
    witnessScript: anchorScript(fundingPubkey),
  });
  tx.addOutput({ script: out, amount: change.value + 330n - 2_000n });
  const psbt = tx.toPSBT(0);
  const w = new WireWriter(147).bytes(PEER_B).bytes(u64(DBID)).u16(1);
  w.bytes(txidOf(funding)).u32(1).bytes(u64(change.value)).u32(keyIndex).bool(false);
  w.varBytes16(change.script).bool(false).bool(false);
  w.varBytes32(psbt);
  return {
    request: w.done(),
    prevouts: [change, { script: anchorOut, value: 330n }],
    fundingPubkey,
    walletPub,
  };
}

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, false);
  return b;
}

test("hsmd_sign_anchorspend signs our anchor (funding key) and the wallet input", async () => {
  const root = await afterForceClose();
  const spend = anchorSpend(undefined);
  const reply = (await root.handle(spend.request)).message!;
  assert.equal((reply[0]! << 8) | reply[1]!, 148);
  const psbt = reply.subarray(6);
  const raw = parseRawPsbt(psbt);
  const signedTx = Transaction.fromPSBT(psbt);
  const unsigned = parseTx(signedTx.unsignedTx);
  // The anchor input: a DER partial signature by our funding key, SIGHASH_ALL.
  const partial = raw.inputs[1]!.find(
    (e) => e.key[0] === 0x02 && equalBytes(e.key.subarray(1), spend.fundingPubkey),
  );
  assert.ok(partial !== undefined);
  assert.equal(partial.value[partial.value.length - 1], SIGHASH_ALL);
  const digest = segwitV0Sighash(unsigned, 1, anchorScript(spend.fundingPubkey), 330n, SIGHASH_ALL);
  const sig = signatureFromDer(partial.value.subarray(0, partial.value.length - 1));
  assert.ok(ecdsaVerify(sig, digest, spend.fundingPubkey));
  // The wallet input: a BIP 86 key-path signature.
  const tapSig = raw.inputs[0]!.find((e) => e.key.length === 1 && e.key[0] === 0x13);
  assert.ok(tapSig !== undefined);
  const msg = taprootKeySpendSighash(unsigned, 0, spend.prevouts, SIGHASH_DEFAULT);
  const outputKey = taprootOutputKey(spend.walletPub.subarray(1)).xonly;
  assert.ok(schnorrVerify(tapSig.value, msg, outputKey));
  assert.ok(bytesToHex(psbt).length > 0);
});

test("hsmd_sign_anchorspend with its change to a foreign address is refused, unsigned", async () => {
  const root = await afterForceClose();
  const foreign = hexToBytes("0014" + "11".repeat(20));
  let caught: unknown;
  try {
    await root.handle(anchorSpend(foreign).request);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HsmdClientError);
  assert.equal(caught.code, "cln/policy-refused");
  assert.ok(caught.ruleIds.length > 0, caught.message);
});
