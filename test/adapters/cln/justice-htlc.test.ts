/**
 * hsmd_sign_any_penalty_to_us on an HTLC output of a revoked peer commitment (golden scenario 1,
 * node A): B's commitment 1 carried A's first payment; once B revoked it, a justice tx taking
 * that HTLC output to A's wallet is signed with the revocation key (the HTLC found in Warden's
 * payments ledger from the script's RIPEMD160(payment_hash)); an unknown HTLC script is refused.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Transaction } from "@scure/btc-signer";
import { clnChannelId } from "../../../src/adapters/cln/handlers/context.js";
import { WireReader, WireWriter } from "../../../src/adapters/cln/handlers/io.js";
import { Hsmd, HsmdClientError } from "../../../src/adapters/cln/hsmd.js";
import { chainViewFromJson, parseSession } from "../../../src/adapters/cln/replay.js";
import { p2wpkh, p2wsh } from "../../../src/bitcoin/outputs.js";
import { segwitV0Sighash, SIGHASH_ALL } from "../../../src/bitcoin/sighash.js";
import { parseTx, txid as txidOf } from "../../../src/bitcoin/tx.js";
import { derivePubkey, deriveRevocationPubkey } from "../../../src/bolt3/key-derivation.js";
import { receivedHtlcScript } from "../../../src/bolt3/scripts.js";
import { ecdsaVerify } from "../../../src/crypto/secp256k1.js";
import { clnKeyDeriver } from "../../../src/keys/cln.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { equalBytes, hexToBytes } from "../../../src/util/bytes.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

const PEER_B = hexToBytes("039f8601dc4fa2c6e6ddbbe04c4c47178f27d04aaa8d8aa403d1ad31c60e000d63");

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, false);
  return b;
}

test("justice on a revoked commitment's HTLC output, found through the payments ledger", async () => {
  const msgs = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8"));
  const hsmd = await Hsmd.open({
    hsmSecret: hsmSecret("A"),
    store: new MemoryStore(),
    chain: chainViewFromJson(readFileSync(new URL("scenario1/chain-txs.json", goldenDir), "utf8")),
    clock: () => Date.UTC(2026, 10, 23, 22, 0, 0),
  });
  const conns = [hsmd.root()];
  for (const m of msgs) {
    if (m.seq > 254) break;
    if (m.dir !== "req") continue;
    const r = await conns[m.conn.n]!.handle(m.bytes);
    if (r.newClient !== undefined) conns.push(r.newClient);
  }
  const root = conns[0]!;
  // B's commitment 1 as A signed it (seq 179): one HTLC, offered by A.
  const req = new WireReader(msgs.find((m) => m.seq === 179)!.bytes);
  const commitment = req.bitcoinTx().tx;
  req.point();
  const point = req.point();
  req.bool();
  assert.equal(req.u64(), 1n);
  const [htlc] = req.htlcs();
  assert.ok(htlc !== undefined && htlc.side === 0);
  // B's revocation secret of commitment 1.
  const secret = msgs
    .filter((m) => m.type === 36)
    .map((m) => new WireReader(m.bytes))
    .map((r) => ({ n: r.u64(), secret: r.b32() }))
    .find((x) => x.n === 1n)!.secret;
  const channel = hsmd.node().channel(clnChannelId(PEER_B, 1n));
  const ours = channel.basepoints;
  const theirs = channel.state.setup!.counterpartyBasepoints;
  const revocationPubkey = deriveRevocationPubkey(ours.revocationBasepoint, point);
  const wscript = receivedHtlcScript(
    "anchors_zero_fee_htlc_tx",
    {
      revocationPubkey,
      localHtlcPubkey: derivePubkey(theirs.htlcBasepoint, point),
      remoteHtlcPubkey: derivePubkey(ours.htlcBasepoint, point),
    },
    htlc.paymentHash,
    htlc.cltvExpiry,
  );
  const vout = commitment.outputs.findIndex((o) => equalBytes(o.script, p2wsh(wscript)));
  assert.ok(vout >= 0, "the HTLC output of B's revoked commitment");
  const value = commitment.outputs[vout]!.value;
  const wallet = p2wpkh(clnKeyDeriver(hsmSecret("A")).walletKey(3).publicKey);
  const request = (script: Uint8Array): { bytes: Uint8Array; tx: ReturnType<typeof parseTx> } => {
    const tx = new Transaction({ version: 2, lockTime: 0 });
    tx.addInput({
      txid: Uint8Array.from(txidOf(commitment)).reverse(),
      index: vout,
      sequence: 0xfffffffd,
      witnessUtxo: { script: p2wsh(wscript), amount: value },
    });
    tx.addOutput({ script: wallet, amount: value - 1_000n });
    const w = new WireWriter(144).bytes(secret).varBytes32(tx.unsignedTx).varBytes32(tx.toPSBT(0));
    const bytes = w.varBytes16(script).u32(0).bytes(PEER_B).bytes(u64(1n)).done();
    return { bytes, tx: parseTx(tx.unsignedTx) };
  };
  const good = request(wscript);
  const reply = (await root.handle(good.bytes)).message!;
  assert.equal((reply[0]! << 8) | reply[1]!, 112);
  assert.equal(reply[66], SIGHASH_ALL);
  const digest = segwitV0Sighash(good.tx, 0, wscript, value, SIGHASH_ALL);
  assert.ok(ecdsaVerify(reply.subarray(2, 66), digest, revocationPubkey));
  // An HTLC script the ledger does not know (another payment hash) is refused, unsigned.
  const unknown = receivedHtlcScript(
    "anchors_zero_fee_htlc_tx",
    {
      revocationPubkey,
      localHtlcPubkey: derivePubkey(theirs.htlcBasepoint, point),
      remoteHtlcPubkey: derivePubkey(ours.htlcBasepoint, point),
    },
    new Uint8Array(32).fill(7),
    htlc.cltvExpiry,
  );
  await assert.rejects(root.handle(request(unknown).bytes), HsmdClientError);
  await hsmd.close();
});
