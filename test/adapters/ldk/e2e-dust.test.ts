/**
 * A known limit of the LDK adapter, pinned down: LDK 0.1 shows its signer only the HTLCs above
 * the dust limit (a trimmed HTLC has no output), so a commitment carrying a trimmed HTLC moves
 * value the adapter cannot account for.
 * - We send one: Warden does not approve such a payment (`ldk/payment-below-dust`), and a
 *   commitment carrying it is refused with `ldk/trimmed-htlc`, nothing signed; the payment
 *   does not leave and Warden's state keeps the last commitment.
 * - The peer sends one: a Warden-signed node sets its HTLC minimum above every dust limit
 *   (WARDEN_LDK_HTLC_MINIMUM_MSAT), so the peer cannot route it to us and nothing is closed.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { invoice, keysend, newNetwork, sendToInvoice, startWarden } from "./e2e-harness.js";

const wardens: WardenLdkSigner[] = [];
after(async () => {
  for (const w of wardens) await w.close();
});

/** A (Warden-signed) and B (KeysManager) with an open anchors channel of 0.01 BTC. */
async function openChannel() {
  const net = await newNetwork();
  const warden = await startWarden(net);
  wardens.push(warden);
  const A = net.addNode({ name: "A", signer: { kind: "warden", signer: warden }, anchors: true });
  const B = net.addNode({ name: "B", signer: { kind: "keysmanager" }, anchors: true });
  net.connect(A, B);
  net.openChannel(A, B, 1_000_000n);
  return { net, warden, A, B };
}

test("a payment below the dust limit is refused with ldk/trimmed-htlc, nothing signed", async () => {
  const { net, warden, A, B } = await openChannel();
  const [rec] = warden.channels();
  assert.ok(rec !== undefined);

  // Above the dust limit: paid.
  const big = invoice(B, 2_000_000n);
  await warden.approveInvoice(big.to_str());
  sendToInvoice(A, big);
  net.pump();
  assert.equal(B.paymentsClaimed, 1);
  const before = warden.channelState(rec.id);

  // 100 sat: below LDK's 354 sat dust limit, so the HTLC is trimmed from the commitment.
  // Warden will not approve it (an app that asks first never sends it) ...
  const small = invoice(B, 100_000n);
  await assert.rejects(warden.approveInvoice(small.to_str()), { code: "ldk/payment-below-dust" });
  // ... and a node that sends it anyway gets no signature for the commitment carrying it.
  const mark = warden.refusals.length;
  try {
    sendToInvoice(A, small);
  } catch {
    // LDK reports the refused signature as a failed send.
  }
  net.pump();
  const refusals = warden.refusals.slice(mark);
  assert.ok(refusals.length > 0, "refused");
  assert.ok(
    refusals.every(
      (r) => r.op === "sign_counterparty_commitment" && r.message.startsWith("ldk/trimmed-htlc"),
    ),
    JSON.stringify(refusals),
  );
  assert.equal(B.paymentsClaimed, 1, "the trimmed payment never arrived");
  const after_ = warden.channelState(rec.id);
  assert.equal(after_.nextCounterpartyCommitNum, before.nextCounterpartyCommitNum);
  assert.deepEqual(after_.currentHolder, before.currentHolder);
});

test("a peer cannot send a Warden-signed node an HTLC small enough to be trimmed", async () => {
  const { net, warden, A, B } = await openChannel();
  const inv = invoice(B, 400_000_000n);
  await warden.approveInvoice(inv.to_str());
  sendToInvoice(A, inv);
  net.pump();
  assert.equal(B.paymentsClaimed, 1);

  // 100 sat from B: below A's HTLC minimum, so B finds no route and sends nothing.
  assert.throws(() => keysend(B, A, 100_000n));
  net.pump();
  assert.deepEqual(A.closeReasons, [], "no channel closed");
  assert.deepEqual(warden.refusals, [], "Warden was asked nothing it refused");
  // Above the minimum it arrives.
  keysend(B, A, 1_000_000n);
  net.pump();
  assert.equal(A.paymentsClaimed, 1);
});
