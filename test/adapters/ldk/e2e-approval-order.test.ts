/**
 * Approvals in order (WardenLdkSigner.approveInvoice without a human approver): the approval
 * runs on the host before every signing request made after it, so a node may start paying
 * without awaiting it. An approved payment goes through; a refused one is refused at its
 * commitment (policy-commitment-payment-approved), not granted again as an unannounced one.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { PolicyError } from "../../../src/policy/errors.js";
import { invoice, sendToInvoice, wardenAndPeer, wardenBalanceMsat } from "./e2e-harness.js";

for (const anchors of [false, true]) {
  const type = anchors ? "anchors_zero_fee_htlc_tx" : "static_remotekey";
  describe(`LDK e2e (${type}): approvals in order with the payment`, () => {
    const wardens: WardenLdkSigner[] = [];
    after(async () => {
      for (const w of wardens) await w.close();
    });

    test("a payment started before its approval resolved is covered by it", async () => {
      const { net, warden, A, B } = await wardenAndPeer(anchors);
      wardens.push(warden);
      const before = wardenBalanceMsat(warden);
      for (let i = 0; i < 3; i++) {
        const inv = invoice(B, 20_000_000n + BigInt(i));
        const approved = warden.approveInvoice(inv.to_str());
        sendToInvoice(A, inv);
        net.pump();
        await approved;
      }
      assert.equal(A.paymentsSent, 3);
      assert.equal(B.paymentsClaimed, 3);
      assert.deepEqual(warden.refusals, []);
      assert.equal(before - wardenBalanceMsat(warden), 60_000_003n);
    });

    test("a refused approval refuses the payment's commitment with its rule id", async () => {
      // At most 50 000 sat of approved payments per window: the second approval is refused.
      const { net, warden, A, B } = await wardenAndPeer(anchors, {
        config: { velocityPaymentsLimitMsat: 50_000_000n },
      });
      wardens.push(warden);
      const first = invoice(B, 30_000_000n);
      const firstApproved = warden.approveInvoice(first.to_str());
      sendToInvoice(A, first);
      net.pump();
      await firstApproved;
      const before = wardenBalanceMsat(warden);

      const inv = invoice(B, 40_000_000n);
      const approved = warden.approveInvoice(inv.to_str()).then(
        () => "approved",
        (e: unknown) => e,
      );
      sendToInvoice(A, inv);
      net.pump();
      const outcome = await approved;
      assert.ok(outcome instanceof PolicyError, String(outcome));
      assert.equal(outcome.ruleId, "policy-velocity-payments");
      assert.deepEqual(
        warden.refusals.map((r) => [r.op, r.ruleIds]),
        [["sign_counterparty_commitment", ["policy-commitment-payment-approved"]]],
      );
      assert.equal(B.paymentsClaimed, 1, "B never got the refused payment");
      assert.equal(wardenBalanceMsat(warden), before);
    });
  });
}
