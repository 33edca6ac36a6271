/**
 * hsmd_sign_any_local_htlc_tx (146) and hsmd_sign_htlc_tx_mingle (149) on the real channel of
 * golden scenario 1 (node A) while A's commitment carried its two offered HTLCs: our
 * HTLC-timeout tx is signed SIGHASH_SINGLE|ANYONECANPAY by the HTLC key Warden derives, then
 * the tx with a wallet input and change added has its wallet input signed. A mingle whose HTLC
 * output was redirected is refused without a signature.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Transaction } from "@scure/btc-signer";
import { clnChannelId } from "../../../src/adapters/cln/handlers/context.js";
import { WireWriter } from "../../../src/adapters/cln/handlers/io.js";
import { Hsmd, HsmdClientError, type HsmdConnection } from "../../../src/adapters/cln/hsmd.js";
import { parseRawPsbt } from "../../../src/adapters/cln/psbt-raw.js";
import { chainViewFromJson, parseSession } from "../../../src/adapters/cln/replay.js";
import { p2wsh } from "../../../src/bitcoin/outputs.js";
import { serializeTx, parseTx, txid as txidOf } from "../../../src/bitcoin/tx.js";
import { buildHtlcTransactions, type HtlcTransaction } from "../../../src/bolt3/htlc-tx.js";
import { derivePubkey } from "../../../src/bolt3/key-derivation.js";
import { segwitV0Sighash } from "../../../src/bitcoin/sighash.js";
import { ecdsaVerify } from "../../../src/crypto/secp256k1.js";
import { clnKeyDeriver } from "../../../src/keys/cln.js";
import { bip86Script } from "../../../src/keys/xpub.js";
import { channelObscuringFactor, recomposeCommitment } from "../../../src/state/recompose.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { equalBytes, hexToBytes } from "../../../src/util/bytes.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

const PEER_B = hexToBytes("039f8601dc4fa2c6e6ddbbe04c4c47178f27d04aaa8d8aa403d1ad31c60e000d63");

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, false);
  return b;
}

interface State {
  hsmd: Hsmd;
  root: HsmdConnection;
  htlcTx: HtlcTransaction;
  commitmentNumber: number;
}

/** A's service right after it validated its commitment with two offered HTLCs (seq 215). */
async function withPendingHtlcs(): Promise<State> {
  const msgs = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8"));
  const hsmd = await Hsmd.open({
    hsmSecret: hsmSecret("A"),
    store: new MemoryStore(),
    allowlist: ["bcrt1qv2ge8mtwgp7w0prhaej5c88v3ljhy30s2afhzw"],
    chain: chainViewFromJson(readFileSync(new URL("scenario1/chain-txs.json", goldenDir), "utf8")),
    clock: () => Date.UTC(2026, 10, 23, 22, 0, 0),
  });
  const conns = [hsmd.root()];
  for (const m of msgs) {
    if (m.seq > 216) break;
    if (m.dir !== "req") continue;
    const r = await conns[m.conn.n]!.handle(m.bytes);
    if (r.newClient !== undefined) conns.push(r.newClient);
  }
  const channel = hsmd.node().channel(clnChannelId(PEER_B, 1n));
  const cur = channel.state.currentHolder!;
  assert.equal(cur.htlcs.length, 2);
  const setup = channel.state.setup!;
  const built = recomposeCommitment(
    "holder",
    setup,
    channel.basepoints,
    cur.perCommitmentPoint,
    channelObscuringFactor(setup, channel.basepoints),
    cur,
  );
  const htlcTx = buildHtlcTransactions(built).find((h) => h.kind === "htlc-timeout")!;
  return { hsmd, root: conns[0]!, htlcTx, commitmentNumber: cur.commitmentNumber };
}

function bitcoinTx(w: WireWriter, tx: Transaction): WireWriter {
  const raw = tx.unsignedTx;
  return w.varBytes32(raw).varBytes32(tx.toPSBT(0));
}

function htlcPsbt(h: HtlcTransaction): Transaction {
  const tx = new Transaction({ version: h.tx.version, lockTime: h.tx.locktime });
  tx.addInput({
    txid: Uint8Array.from(h.tx.inputs[0]!.prevout.txid).reverse(),
    index: h.tx.inputs[0]!.prevout.vout,
    sequence: h.tx.inputs[0]!.sequence,
    witnessUtxo: { script: p2wsh(h.htlcWitnessScript), amount: h.inputValueSat },
  });
  tx.addOutput({ script: h.tx.outputs[0]!.script, amount: h.tx.outputs[0]!.value });
  return tx;
}

test("146 signs our anchors HTLC-timeout SINGLE|ANYONECANPAY; 149 signs the fee inputs", async () => {
  const s = await withPendingHtlcs();
  const h = s.htlcTx;
  const w = new WireWriter(146).bytes(u64(BigInt(s.commitmentNumber)));
  bitcoinTx(w, htlcPsbt(h)).varBytes16(h.htlcWitnessScript).bool(true);
  w.u32(0).bytes(PEER_B).bytes(u64(1n));
  const reply = (await s.root.handle(w.done())).message!;
  assert.equal((reply[0]! << 8) | reply[1]!, 112);
  assert.equal(reply[66], 0x83);
  const channel = s.hsmd.node().channel(clnChannelId(PEER_B, 1n));
  const point = channel.state.currentHolder!.perCommitmentPoint;
  const htlcKey = derivePubkey(channel.basepoints.htlcBasepoint, point);
  const digest = segwitV0Sighash(h.tx, 0, h.htlcWitnessScript, h.inputValueSat, 0x83);
  assert.ok(ecdsaVerify(reply.subarray(2, 66), digest, htlcKey));

  // Mingle: A's P2TR wallet UTXO (the funding change) pays the fee; change to A's wallet.
  const d = clnKeyDeriver(hsmSecret("A"));
  const chain = JSON.parse(
    readFileSync(new URL("scenario1/chain-txs.json", goldenDir), "utf8"),
  ) as { confirmed: { height: number; hex: string }[] };
  const funding = parseTx(hexToBytes(chain.confirmed.find((t) => t.height === 103)!.hex));
  const change = funding.outputs[1]!;
  let keyIndex = -1;
  for (let k = 0; k < 100 && keyIndex < 0; k++) {
    if (equalBytes(bip86Script(d.walletKey(k).publicKey), change.script)) keyIndex = k;
  }
  assert.ok(keyIndex >= 0);
  const mingle = (redirect: boolean): Uint8Array => {
    const tx = htlcPsbt(h);
    tx.addInput({
      txid: Uint8Array.from(txidOf(funding)).reverse(),
      index: 1,
      sequence: 0xfffffffd,
      witnessUtxo: { script: change.script, amount: change.value },
    });
    if (redirect) tx.updateOutput(0, { script: hexToBytes(`0014${"33".repeat(20)}`) });
    tx.addOutput({
      script: bip86Script(d.walletKey(keyIndex + 1).publicKey),
      amount: change.value - 3_000n,
    });
    const m = new WireWriter(149).bytes(PEER_B).bytes(u64(1n)).u16(1);
    m.bytes(txidOf(funding)).u32(1).bytes(u64(change.value)).u32(keyIndex).bool(false);
    m.varBytes16(change.script).bool(false).bool(false);
    return m.varBytes32(tx.toPSBT(0)).done();
  };
  const mingled = (await s.root.handle(mingle(false))).message!;
  assert.equal((mingled[0]! << 8) | mingled[1]!, 150);
  const raw = parseRawPsbt(mingled.subarray(6));
  assert.ok(
    raw.inputs[1]!.some((e) => e.key.length === 1 && e.key[0] === 0x13),
    "wallet sig",
  );
  assert.ok(!raw.inputs[0]!.some((e) => e.key[0] === 0x02), "no new HTLC input signature");
  let caught: unknown;
  try {
    await s.root.handle(mingle(true));
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HsmdClientError, String(caught));
  assert.ok(caught.ruleIds.length > 0, caught.message);
  assert.ok(serializeTx(h.tx).length > 0);
});
