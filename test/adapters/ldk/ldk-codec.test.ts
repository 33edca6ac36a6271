/**
 * readCommitment decodes LDK's serialization of a CommitmentTransaction in JS (the adapter's
 * hot path): every commitment of a real run (HTLCs in flight both ways, trimmed and not, on
 * both channel types) must decode to exactly what LDK's own accessors return, and malformed
 * bytes must throw.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as ldk from "lightningdevkit";
import {
  type CommitmentView,
  holderInner,
  htlcOutputIndex,
  readCommitment,
  readHolderCommitment,
  tlvRecord,
} from "../../../src/adapters/ldk/ldk-codec.js";
import type { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { bytesToHex } from "../../../src/util/bytes.js";
import { invoice, keysend, sendToInvoice, wardenAndPeer } from "./e2e-harness.js";

const wardens: WardenLdkSigner[] = [];
after(async () => {
  for (const w of wardens) await w.close();
});

/** LDK's own view of the HTLCs (one bindings read per HTLC: what readCommitment replaces). */
function ldkHtlcs(ct: ldk.CommitmentTransaction): ldk.HTLCOutputInCommitment[] {
  const v = tlvRecord(ct.write(), 12) ?? new Uint8Array();
  const out: ldk.HTLCOutputInCommitment[] = [];
  for (let o = 0; o < v.length;) {
    const l = v[o]!; // every HTLC record here is shorter than 0xfd bytes
    const r = ldk.HTLCOutputInCommitment.constructor_read(v.subarray(o, o + 1 + l));
    assert.ok(r instanceof ldk.Result_HTLCOutputInCommitmentDecodeErrorZ_OK);
    out.push(r.res);
    o += 1 + l;
  }
  return out;
}

/** Compares a decoded view with LDK's accessors of the same commitment. */
function assertSame(view: CommitmentView, ct: ldk.CommitmentTransaction): void {
  assert.equal(view.index, ct.commitment_number());
  assert.equal(view.toBroadcasterSat, ct.to_broadcaster_value_sat());
  assert.equal(view.toCountersignatorySat, ct.to_countersignatory_value_sat());
  assert.equal(view.feeratePerKw, ct.feerate_per_kw());
  assert.equal(bytesToHex(view.perCommitmentPoint), bytesToHex(ct.per_commitment_point()));
  assert.equal(bytesToHex(view.txid), bytesToHex(ct.trust().txid()));
  const theirs = ldkHtlcs(ct);
  assert.equal(view.htlcs.length, theirs.length);
  view.htlcs.forEach((h, i) => {
    const t = theirs[i]!;
    assert.equal(h.offered, Boolean(t.get_offered()));
    assert.equal(h.amountMsat, t.get_amount_msat());
    assert.equal(h.cltvExpiry, t.get_cltv_expiry());
    assert.equal(bytesToHex(h.paymentHash), bytesToHex(t.get_payment_hash()));
    assert.equal(h.outputIndex, htlcOutputIndex(t));
  });
}

for (const anchors of [true, false]) {
  test(`readCommitment agrees with LDK's accessors on every commitment of a run (${anchors ? "anchors" : "static_remotekey"})`, async () => {
    const { net, warden, A, B } = await wardenAndPeer(anchors);
    wardens.push(warden);
    sendToInvoice(A, invoice(B, 300_000_000n));
    net.pump();
    // HTLCs in flight both ways, some trimmed, held so the commitments carry them.
    B.holdPayments = true;
    A.holdPayments = true;
    for (const a of [5_000_000n, 150_000n, 20_000_000n]) sendToInvoice(A, invoice(B, a));
    for (const a of [7_000_000n, 250_000n]) keysend(B, A, a);
    net.pump();
    for (const p of B.held.splice(0)) B.cm.claim_funds(p);
    for (const p of A.held.splice(0)) A.cm.claim_funds(p);
    net.pump();
    assert.deepEqual(warden.refusals, []);

    const [rec] = warden.channels();
    assert.ok(rec !== undefined);
    let htlcsSeen = 0;
    for (const ct of rec.counterpartyCommitments.values()) {
      const view = readCommitment(ct.write());
      assertSame(view, ct);
      htlcsSeen += view.htlcs.length;
    }
    for (const htx of rec.holderCommitments.values()) {
      const view = readHolderCommitment(htx);
      assertSame(view, holderInner(htx));
      htlcsSeen += view.htlcs.length;
    }
    assert.ok(rec.counterpartyCommitments.size >= 5 && rec.holderCommitments.size >= 5);
    assert.ok(htlcsSeen >= 6, "the commitments carried untrimmed HTLCs");
  });
}

test("readCommitment throws on truncated or corrupted bytes", async () => {
  const { net, warden, A, B } = await wardenAndPeer(true);
  wardens.push(warden);
  B.holdPayments = true;
  sendToInvoice(A, invoice(B, 5_000_000n));
  net.pump();
  const ct = [...warden.channels()[0]!.counterpartyCommitments.values()].pop()!;
  const bytes = ct.write();
  assert.equal(readCommitment(bytes).htlcs.length, 1);
  for (const cut of [0, 1, 20, bytes.length - 40]) {
    assert.throws(() => readCommitment(bytes.subarray(0, cut)));
  }
  // The first HTLC's `offered` flag set to 2.
  const v = tlvRecord(bytes, 12)!;
  const at = v.byteOffset - bytes.byteOffset + 3;
  assert.equal(bytes[at - 2], 0, "TLV type 0 of the HTLC");
  const bad = Uint8Array.from(bytes);
  bad[at] = 2;
  assert.throws(() => readCommitment(bad), /malformed HTLC/);
});
