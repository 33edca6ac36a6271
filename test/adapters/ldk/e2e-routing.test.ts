/**
 * Scenario b: A – B – C with Warden signing for the router B (KeysManager for A and C).
 * Payments A → C and C → A are forwarded by B: each outgoing HTLC is matched by an incoming
 * one (policy-routing-balanced, fee and CLTV-delta limits) and B's balances grow by exactly the
 * fees LDK reports. Then the compromised router offers C an HTLC that no incoming HTLC pays
 * for: refused with policy-routing-balanced, while forwarding keeps working on other channels.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import * as ldk from "lightningdevkit";
import type { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import {
  invoice,
  keysend,
  newNetwork,
  sendToInvoice,
  startWarden,
  badSignatures,
  verified,
} from "./e2e-harness.js";

const CHANNEL_SAT = 1_000_000n;

for (const anchors of [false, true]) {
  const type = anchors ? "anchors_zero_fee_htlc_tx" : "static_remotekey";
  describe(`LDK e2e (${type}): A – B – C, Warden signing for the router B`, () => {
    const wardens: WardenLdkSigner[] = [];
    after(async () => {
      for (const w of wardens) await w.close();
    });

    test("forwarded payments pass the routing rules; an unmatched HTLC is refused", async () => {
      const net = await newNetwork();
      // A router pays nothing of its own: no approver, every offered HTLC needs an incoming one.
      const warden = await startWarden(net, { approver: "none" });
      wardens.push(warden);
      const A = net.addNode({ name: "A", signer: { kind: "keysmanager" }, anchors });
      const B = net.addNode({ name: "B", signer: { kind: "warden", signer: warden }, anchors });
      const C = net.addNode({ name: "C", signer: { kind: "keysmanager" }, anchors });
      let fees = 0n;
      net.onEvent = (n, e) => {
        if (n === B && e instanceof ldk.Event_PaymentForwarded) {
          const f = e.total_fee_earned_msat;
          if (f instanceof ldk.Option_u64Z_Some) fees += f.some;
        }
      };
      net.connect(A, B);
      net.connect(B, C);
      net.openChannel(A, B, CHANNEL_SAT);
      net.openChannel(B, C, CHANNEL_SAT);
      net.mine(2);
      const balance = (): bigint =>
        warden
          .channels()
          .reduce((s, r) => s + warden.channelState(r.id).currentHolder!.toOwnerMsat, 0n);
      const before = balance();
      assert.equal(before, CHANNEL_SAT * 1000n, "B starts with the channel it funded");

      for (let i = 0; i < 4; i++) sendToInvoice(A, invoice(C, 20_000_000n + BigInt(i) * 1_000n));
      net.pump();
      assert.equal(A.paymentsSent, 4, "A's payments reached C through B");
      for (let i = 0; i < 2; i++) sendToInvoice(C, invoice(A, 5_000_000n));
      net.pump();
      assert.equal(C.paymentsSent, 2, "C's payments reached A through B");
      assert.equal(B.forwarded, 6);
      assert.equal(warden.refusals.length, 0, "every forward passed the routing rules");
      assert.ok(fees > 0n);
      assert.equal(balance(), before + fees, "B's balances grew by exactly the fees earned");

      // The compromised router pays C out of its own balance: nothing incoming covers it.
      keysend(B, C, 10_000_000n);
      net.pump();
      assert.deepEqual(
        warden.refusals.map((r) => [r.op, r.ruleIds]),
        [["sign_counterparty_commitment", ["policy-routing-balanced"]]],
      );
      assert.equal(C.paymentsClaimed, 4, "C got nothing more");
      // Forwarding the other way (C → A uses B – A for its outgoing leg) still works.
      sendToInvoice(C, invoice(A, 4_000_000n));
      net.pump();
      // f: every commitment and closing signature Warden returned verifies against LDK's
      // own sighash (and every on-chain signature was checked when it confirmed).
      assert.deepEqual(badSignatures, []);
      assert.ok(verified.signatures > 0);
      assert.ok(A.paymentsClaimed >= 2);
    });
  });
}
