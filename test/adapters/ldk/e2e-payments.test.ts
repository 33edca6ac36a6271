/**
 * Scenario a: a Warden-signed LDK node A and a KeysManager-signed LDK node B open a channel,
 * confirm it, make 20 payments both ways (several HTLCs in flight at once), close
 * cooperatively to an allowlisted address; every signature on chain verifies independently
 * and the close pays exactly what Warden's state predicted.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import * as ldk from "lightningdevkit";
import { txid } from "../../../src/bitcoin/tx.js";
import type { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { ok } from "../../../src/adapters/ldk/sim/network.js";
import { bytesToHex, equalBytes } from "../../../src/util/bytes.js";
import {
  invoice,
  keysend,
  newNetwork,
  paidTo,
  randomP2wpkh,
  sendToInvoice,
  startWarden,
  verified,
  wardenBalanceMsat,
  badSignatures,
} from "./e2e-harness.js";

const CHANNEL_SAT = 1_000_000n;
const OUT_MSAT = 10_000_123n; // A → B, per payment (not whole sats: balances are tracked to the msat)
const IN_MSAT = 4_000_456n; // B → A, per payment

for (const anchors of [false, true]) {
  const type = anchors ? "anchors_zero_fee_htlc_tx" : "static_remotekey";
  describe(`LDK e2e (${type}): open, 20 payments, cooperative close`, () => {
    const wardens: WardenLdkSigner[] = [];
    after(async () => {
      for (const w of wardens) await w.close();
    });

    test("payments both ways, HTLCs in flight together, close to an allowlisted address", async () => {
      const net = await newNetwork();
      const cold = randomP2wpkh();
      const warden = await startWarden(net, {
        config: { allowlist: [bytesToHex(cold)] },
        shutdownScript: cold,
      });
      wardens.push(warden);
      const A = net.addNode({ name: "A", signer: { kind: "warden", signer: warden }, anchors });
      const B = net.addNode({ name: "B", signer: { kind: "keysmanager" }, anchors });
      net.connect(A, B);
      const chanId = net.openChannel(A, B, CHANNEL_SAT);
      const [rec] = warden.channels();
      assert.ok(rec !== undefined);
      assert.equal(rec.requireParams().channelType, type);
      // LDK's funding outpoint is the funding tx Warden was told about.
      const funding = rec.requireParams().fundingOutpoint;
      assert.ok(net.chain.output(funding) !== undefined, "funding output confirmed");

      // 10 invoices A → B and 10 keysends B → A, in batches with several HTLCs in flight
      // (B starts with nothing: A's first batch goes alone).
      let outCount = 0;
      let inCount = 0;
      for (const [outBatch, inBatch] of [
        [4, 0],
        [2, 3],
        [2, 3],
        [2, 4],
      ] as const) {
        for (let i = 0; i < Math.max(outBatch, inBatch); i++) {
          if (i < outBatch) {
            const inv = invoice(B, OUT_MSAT);
            await warden.approveInvoice(inv.to_str());
            sendToInvoice(A, inv);
          }
          if (i < inBatch) keysend(B, A, IN_MSAT);
        }
        net.pump();
        outCount += outBatch;
        inCount += inBatch;
        assert.equal(A.paymentsSent, outCount, "A's payments all arrived");
        assert.equal(A.paymentsClaimed, inCount, "B's keysends all claimed by A");
      }
      assert.equal(B.paymentsClaimed, 10);
      assert.deepEqual(warden.refusals, [], "honest flows are never refused");

      const expectedMsat = CHANNEL_SAT * 1000n - 10n * OUT_MSAT + 10n * IN_MSAT;
      assert.equal(wardenBalanceMsat(warden), expectedMsat, "Warden's state tracks every payment");

      // Cooperative close, paying A's side to the allowlisted address.
      ok(A.cm.close_channel(chanId, B.nodeId), "close_channel");
      net.pump();
      net.mine(1);
      const closing = net.chain
        .transactionsSince(0)
        .find((t) =>
          t.inputs.some(
            (i) => equalBytes(i.prevout.txid, funding.txid) && i.prevout.vout === funding.vout,
          ),
        );
      assert.ok(closing !== undefined, "the closing transaction confirmed");
      const total = closing.outputs.reduce((s, o) => s + o.value, 0n);
      // A funded the channel: it pays the closing fee out of the balance Warden predicted; the
      // sub-sat remainders of both balances (1 sat here) go to the fee as well.
      const toB = total - paidTo(closing, cold);
      const fee = expectedMsat / 1000n - paidTo(closing, cold);
      assert.ok(fee > 0n && fee < 5_000n, `closing fee ${fee}`);
      assert.equal(toB, (CHANNEL_SAT * 1000n - expectedMsat) / 1000n, "B gets its balance");
      assert.equal(CHANNEL_SAT - total, fee + 1n, "the tx fee is A's fee plus the remainders");
      net.mine(6);
      assert.equal(A.channels(B).length, 0, "A forgot the channel");
      assert.ok(A.closeReasons.length === 1 && B.closeReasons.length === 1);
      // Nothing of A's is left to sweep: its whole balance went to the allowlisted address.
      const channelOutputs = A.spendable.filter(
        (d) => !(d instanceof ldk.SpendableOutputDescriptor_StaticOutput),
      );
      assert.equal(channelOutputs.length, 0);
      // f: every commitment and closing signature Warden returned verifies against LDK's
      // own sighash (and every on-chain signature was checked when it confirmed).
      assert.deepEqual(badSignatures, []);
      assert.ok(verified.signatures > 0);
      assert.ok(verified.signatures > 0);
      assert.ok(net.chain.isUnspent({ txid: txid(closing), vout: 0 }));
    });
  });
}
