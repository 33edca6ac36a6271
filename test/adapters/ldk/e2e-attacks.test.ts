/**
 * Scenario e: a compromised LDK node. Through LDK's real objects (its ChannelManager, or the
 * very signer objects and transactions LDK handed to Warden) it tries to fund a channel with
 * the change going to an attacker, pay an invoice the human refused, offer an HTLC no incoming
 * HTLC or approval covers, close to an attacker's address and get a revoked holder commitment
 * signed. Each is refused with its rule id, the
 * refusal is logged, and the honest flows (approved payments, keysends, cooperative close)
 * still work afterwards. (A sweep to an attacker is tried in e2e-force-close.test.ts, where
 * there is something to sweep; a router's unmatched HTLC in e2e-routing.test.ts.)
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import * as ldk from "lightningdevkit";
import type { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { ok, type SimNetwork } from "../../../src/adapters/ldk/sim/network.js";
import { PolicyError } from "../../../src/policy/errors.js";
import { bytesToHex, equalBytes } from "../../../src/util/bytes.js";
import {
  invoice,
  keysend,
  newNetwork,
  paidTo,
  randomP2wpkh,
  sendToInvoice,
  startWarden,
  badSignatures,
  verified,
} from "./e2e-harness.js";

const CHANNEL_SAT = 1_000_000n;

/** Waits until the approval queue holds one request, answers it, and returns the approval's outcome. */
async function humanAnswers(
  warden: WardenLdkSigner,
  bolt11: string,
  decision: "approve" | "refuse",
): Promise<unknown> {
  const asked = warden.approveInvoice(bolt11).then(
    () => "approved",
    (e: unknown) => e,
  );
  for (let i = 0; i < 200; i++) {
    const pending = await warden.host.request<{ id: string }[]>("pendingApprovals");
    if (pending.length > 0) {
      await warden.host.request("answerApproval", pending[0]!.id, decision);
      return asked;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("the approval request never reached the queue");
}

/** The rule ids of the refusals logged since `from`. */
function refusedSince(warden: WardenLdkSigner, from: number): { op: string; rules: string[] }[] {
  return warden.refusals.slice(from).map((r) => ({ op: r.op, rules: r.ruleIds }));
}

for (const anchors of [false, true]) {
  const type = anchors ? "anchors_zero_fee_htlc_tx" : "static_remotekey";
  describe(`LDK e2e (${type}): a compromised node is refused`, () => {
    const wardens: WardenLdkSigner[] = [];
    after(async () => {
      for (const w of wardens) await w.close();
    });

    test("theft attempts refused with their rule ids; honest flows still work", async () => {
      const net: SimNetwork = await newNetwork();
      const cold = randomP2wpkh();
      const attacker = randomP2wpkh();
      const warden = await startWarden(net, {
        config: { allowlist: [bytesToHex(cold)] },
        shutdownScript: cold,
        approver: "queue",
      });
      wardens.push(warden);
      const A = net.addNode({ name: "A", signer: { kind: "warden", signer: warden }, anchors });
      const B = net.addNode({ name: "B", signer: { kind: "keysmanager" }, anchors });
      // C and D: peers the compromised node tries to pay without approval. A refused
      // commitment leaves that channel waiting for a signature that never comes (LDK's async
      // signer behaviour), so each attempt gets its own channel.
      const C = net.addNode({ name: "C", signer: { kind: "keysmanager" }, anchors });
      const D = net.addNode({ name: "D", signer: { kind: "keysmanager" }, anchors });
      net.connect(A, B);
      // 0. Fund the channel with the change going to an attacker (the compromised node builds
      // the funding PSBT; Warden's wallet signs it only with change to us).
      const fundingRefusals: string[] = [];
      net.onFundingSafe = (_node, f) => {
        try {
          f.sign(f.psbt(attacker));
        } catch (e) {
          if (e instanceof PolicyError) fundingRefusals.push(...e.violations.map((v) => v.ruleId));
        }
        f.broadcast(f.sign(f.psbt(f.change.script)));
      };
      const chanId = net.openChannel(A, B, CHANNEL_SAT);
      net.onFundingSafe = undefined;
      // (The changed PSBT is another transaction: its funding output is no longer the one the
      // channel was set up with either, so both outputs are unknown.)
      assert.deepEqual([...new Set(fundingRefusals)], ["policy-onchain-no-unknown-outputs"]);
      assert.deepEqual(
        warden.refusals.map((r) => [r.op, [...new Set(r.ruleIds)]]),
        [["sign_psbt", ["policy-onchain-no-unknown-outputs"]]],
      );
      const [rec] = warden.channels();
      assert.ok(rec !== undefined);
      net.connect(A, C);
      net.openChannel(A, C, CHANNEL_SAT);
      net.connect(A, D);
      net.openChannel(A, D, CHANNEL_SAT);

      // Honest: a payment the human approves goes through.
      const inv1 = invoice(B, 50_000_000n);
      assert.equal(await humanAnswers(warden, inv1.to_str(), "approve"), "approved");
      sendToInvoice(A, inv1);
      net.pump();
      assert.equal(A.paymentsSent, 1);
      keysend(B, A, 5_000_000n);
      net.pump();
      assert.equal(A.paymentsClaimed, 1);

      // 1. Pay an invoice the human refused.
      let mark = warden.refusals.length;
      const inv2 = invoice(C, 70_000_000n);
      const refusal = await humanAnswers(warden, inv2.to_str(), "refuse");
      assert.ok(refusal instanceof PolicyError);
      assert.equal(refusal.ruleId, "policy-commitment-payment-approved");
      sendToInvoice(A, inv2);
      net.pump();
      assert.deepEqual(refusedSince(warden, mark), [
        { op: "sign_counterparty_commitment", rules: ["policy-commitment-payment-approved"] },
      ]);
      assert.equal(C.paymentsClaimed, 0, "C never got the refused payment");

      // 2. Offer an HTLC that neither an incoming HTLC nor an approval covers.
      mark = warden.refusals.length;
      keysend(A, D, 30_000_000n);
      net.pump();
      // An HTLC nobody approved and no incoming HTLC covers goes to the approver as an
      // unannounced payment, which the human queue never approves.
      assert.deepEqual(refusedSince(warden, mark), [
        { op: "sign_counterparty_commitment", rules: ["policy-commitment-payment-approved"] },
      ]);
      assert.equal(D.paymentsClaimed, 0, "D never got the unapproved HTLC");
      // Neither HTLC was ever committed: Warden's copies of C's and D's commitments have none.
      for (const r of warden.channels()) {
        if (r === rec) continue;
        assert.deepEqual(warden.channelState(r.id).currentCounterparty?.htlcs, []);
      }

      // The signer objects LDK itself derives for this channel.
      const signer = warden.signerProvider.derive_channel_signer(rec.valueSat, rec.keysId);
      const fo = rec.requireParams().fundingOutpoint;
      const state = warden.channelState(rec.id);
      const cur = state.currentHolder!;

      // 3. Close to an attacker's address (LDK's own ClosingTransaction type).
      mark = warden.refusals.length;
      const closing = ldk.ClosingTransaction.constructor_new(
        cur.toOwnerMsat / 1000n - 1_000n,
        cur.toOtherMsat / 1000n,
        attacker,
        randomP2wpkh(),
        ldk.OutPoint.constructor_new(fo.txid, fo.vout),
      );
      assert.ok(!signer.sign_closing_transaction(closing).is_ok());
      const closeRefusal = refusedSince(warden, mark);
      assert.equal(closeRefusal.length, 1);
      assert.ok(closeRefusal[0]!.rules.includes("policy-mutual-destination-allowlisted"));

      // 4. Sign (for broadcast) a holder commitment that was already revoked.
      mark = warden.refusals.length;
      const revoked = rec.holderCommitments.get(1);
      assert.ok(revoked !== undefined && state.holderRevokedThrough >= 1);
      assert.ok(!signer.sign_holder_commitment(revoked).is_ok());
      assert.deepEqual(refusedSince(warden, mark), [
        { op: "sign_holder_commitment", rules: ["policy-commitment-holder-not-revoked"] },
      ]);

      // Honest flows after the attacks: an approved payment, a keysend, a cooperative close.
      const inv3 = invoice(B, 20_000_000n);
      assert.equal(await humanAnswers(warden, inv3.to_str(), "approve"), "approved");
      sendToInvoice(A, inv3);
      keysend(B, A, 3_000_000n);
      net.pump();
      assert.equal(A.paymentsSent, 2);
      assert.equal(A.paymentsClaimed, 2);
      const expectedMsat =
        CHANNEL_SAT * 1000n - 50_000_000n + 5_000_000n - 20_000_000n + 3_000_000n;
      assert.equal(warden.channelState(rec.id).currentHolder!.toOwnerMsat, expectedMsat);
      mark = warden.refusals.length;
      ok(A.cm.close_channel(chanId, B.nodeId), "close_channel");
      net.pump();
      net.mine(1);
      const closeTx = net.chain
        .transactionsSince(0)
        .find((t) => t.inputs.some((i) => equalBytes(i.prevout.txid, fo.txid)));
      assert.ok(closeTx !== undefined, "cooperative close confirmed");
      const fee = CHANNEL_SAT - closeTx.outputs.reduce((s, o) => s + o.value, 0n);
      assert.equal(paidTo(closeTx, cold), expectedMsat / 1000n - fee);
      assert.equal(paidTo(closeTx, attacker), 0n);
      assert.deepEqual(refusedSince(warden, mark), []);
      // f: every commitment and closing signature Warden returned verifies against LDK's
      // own sighash (and every on-chain signature was checked when it confirmed).
      assert.deepEqual(badSignatures, []);
      assert.ok(verified.signatures > 0);
    });
  });
}
