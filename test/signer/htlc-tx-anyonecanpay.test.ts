/**
 * Our HTLC txs as Core Lightning asks for them (HolderHtlcTxRequest.anyoneCanPay /
 * preimageByNode): with zero-fee anchors signed SIGHASH_SINGLE|ANYONECANPAY so fee inputs can
 * be added afterwards, and an HTLC-success signed without the preimage. The signature verifies
 * with that sighash; no witness is returned; without anchors ANYONECANPAY is refused.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildHtlcTransactions } from "../../src/bolt3/htlc-tx.js";
import { derivePubkey } from "../../src/bolt3/key-derivation.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { holderPointOf } from "./harness.js";
import {
  onchainFixture,
  rejectsWithState,
  verifyCompactSignature,
  type OnchainFixture,
} from "./htlc-fixtures.js";

function request(f: OnchainFixture, kind: "success" | "timeout") {
  const h = kind === "success" ? f.received : f.offered;
  const built = buildHtlcTransactions(f.holder).find(
    (x) => bytesToHex(x.htlc.paymentHash) === bytesToHex(h.paymentHash),
  )!;
  return { built, commitmentOutputIndex: built.commitmentOutputIndex, tx: built.tx };
}

for (const kind of ["success", "timeout"] as const) {
  test(`anchors HTLC-${kind}: SIGHASH_SINGLE|ANYONECANPAY, no preimage needed`, async () => {
    const f = await onchainFixture("anchors_zero_fee_htlc_tx");
    const r = request(f, kind);
    const signed = await f.t.channel.signHolderHtlcTx({
      commitmentNumber: 1,
      commitmentOutputIndex: r.commitmentOutputIndex,
      tx: r.tx,
      anyoneCanPay: true,
      preimageByNode: true,
    });
    assert.deepEqual(signed.witness, []);
    const ourKey = derivePubkey(f.t.channel.basepoints.htlcBasepoint, holderPointOf(f.t, 1));
    const args = [r.built.tx, 0, r.built.htlcWitnessScript, r.built.inputValueSat] as const;
    assert.ok(verifyCompactSignature(...args, signed.signature, ourKey, 0x83));
    assert.ok(!verifyCompactSignature(...args, signed.signature, ourKey, 0x01));
  });
}

test("without anchors, ANYONECANPAY is refused; a success without preimage still is unless asked", async () => {
  const f = await onchainFixture("static_remotekey");
  const r = request(f, "timeout");
  await rejectsWithState(
    f.t.channel.signHolderHtlcTx({
      commitmentNumber: 1,
      commitmentOutputIndex: r.commitmentOutputIndex,
      tx: r.tx,
      anyoneCanPay: true,
    }),
    "state/no-anchors",
  );
  const s = request(f, "success");
  await assert.rejects(
    f.t.channel.signHolderHtlcTx({
      commitmentNumber: 1,
      commitmentOutputIndex: s.commitmentOutputIndex,
      tx: s.tx,
    }),
    /preimage/,
  );
  const signed = await f.t.channel.signHolderHtlcTx({
    commitmentNumber: 1,
    commitmentOutputIndex: s.commitmentOutputIndex,
    tx: s.tx,
    preimageByNode: true,
  });
  assert.deepEqual(signed.witness, []);
});
