/**
 * Scenario c: Warden's node A force-closes with HTLCs in flight both ways. Warden signs the
 * holder commitment, the HTLC-success (an HTLC A claims with its preimage) and HTLC-timeout
 * transactions (A's offered HTLCs the peer never claimed), and, after to_self_delay, the sweep
 * of every delayed output — refusing first a sweep to an attacker. Everything confirms on the
 * fake chain (each signature checked independently) and A's wallet receives exactly what
 * Warden's state predicted, less the fees of the transactions that moved it.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type Tx, txid } from "../../../src/bitcoin/tx.js";
import { hasAnchors } from "../../../src/bolt3/channel-type.js";
import { ANCHOR_OUTPUT_VALUE_SAT, commitmentFeeSat } from "../../../src/bolt3/fees.js";
import type { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { ok, SIM_FEERATE } from "../../../src/adapters/ldk/sim/network.js";
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

for (const anchors of [false, true]) {
  const type = anchors ? "anchors_zero_fee_htlc_tx" : "static_remotekey";
  describe(`LDK e2e (${type}): force close by us with HTLCs in flight`, () => {
    const wardens: WardenLdkSigner[] = [];
    after(async () => {
      for (const w of wardens) await w.close();
    });

    test("commitment, HTLC txs, delayed sweep: all confirmed, balance whole", async () => {
      const net = await newNetwork();
      const wallet = randomP2wpkh();
      const attacker = randomP2wpkh();
      const warden = await startWarden(net, { walletScripts: [wallet] });
      wardens.push(warden);
      const A = net.addNode({ name: "A", signer: { kind: "warden", signer: warden }, anchors });
      const B = net.addNode({ name: "B", signer: { kind: "keysmanager" }, anchors });
      net.connect(A, B);
      const chanId = net.openChannel(A, B, CHANNEL_SAT);
      const [rec] = warden.channels();
      assert.ok(rec !== undefined);

      // Settled payments both ways, then HTLCs left in flight: two A → B (B holds them and
      // never claims), one B → A (A holds it and claims it on chain after the close).
      const inv = invoice(B, 200_000_000n);
      await warden.approveInvoice(inv.to_str());
      sendToInvoice(A, inv);
      net.pump();
      keysend(B, A, 30_000_000n);
      net.pump();
      B.holdPayments = true;
      A.holdPayments = true;
      for (const amount of [40_000_000n, 25_000_000n]) {
        const held = invoice(B, amount);
        await warden.approveInvoice(held.to_str());
        sendToInvoice(A, held);
      }
      keysend(B, A, 15_000_000n);
      net.pump();
      assert.equal(B.held.length, 2);
      assert.equal(A.held.length, 1);
      const state = warden.channelState(rec.id);
      const holder = state.currentHolder!;
      assert.equal(holder.htlcs.length, 3, "three HTLCs in our commitment");

      // Force close: Warden signs our current holder commitment.
      ok(A.cm.force_close_broadcasting_latest_txn(chanId, B.nodeId, "test"), "force_close");
      net.pump();
      net.mine(1);
      const fo = rec.requireParams().fundingOutpoint;
      const commitment = net.chain
        .transactionsSince(0)
        .find((t) =>
          t.inputs.some((i) => equalBytes(i.prevout.txid, fo.txid) && i.prevout.vout === fo.vout),
        );
      assert.ok(commitment !== undefined, "our commitment confirmed");
      assert.equal(
        bytesToHex(txid(commitment)),
        bytesToHex(holder.txid),
        "it is Warden's current holder commitment",
      );
      const channelType = rec.requireParams().channelType;
      const fee = commitmentFeeSat(channelType, holder.feeratePerKw, holder.htlcs.length);
      const anchorsSat = hasAnchors(channelType) ? 2n * ANCHOR_OUTPUT_VALUE_SAT : 0n;
      const toLocal = holder.toOwnerMsat / 1000n - fee - anchorsSat;
      assert.ok(
        commitment.outputs.some((o) => o.value === toLocal),
        "to_local is Warden's balance less fees",
      );

      // A claims B's HTLC with the preimage (HTLC-success); A's own HTLCs time out.
      A.cm.claim_funds(A.held[0]!);
      net.pump();
      const htlcTxs = (): Tx[] =>
        net.chain
          .transactionsSince(0)
          .filter((t) => t.inputs.some((i) => equalBytes(i.prevout.txid, txid(commitment))));
      net.mine(2);
      const maxExpiry = Math.max(...holder.htlcs.map((h) => h.cltvExpiry));
      while (net.chain.height <= maxExpiry + 2) net.mine(1);
      const byA = htlcTxs().filter((t) => A.broadcasts.some((b) => equalBytes(txid(b), txid(t))));
      const spentHtlcOutputs = byA.flatMap((t) =>
        t.inputs.filter((i) => equalBytes(i.prevout.txid, txid(commitment))),
      );
      assert.equal(
        spentHtlcOutputs.length,
        3,
        "one success and two timeouts confirmed, signed by Warden",
      );

      // After to_self_delay every delayed output is spendable.
      net.mine(rec.requireParams().holderToSelfDelay + 8);
      const delayed = A.spendable.length;
      assert.ok(delayed >= 4, `to_local and three HTLC tx outputs reported (${delayed})`);
      const before = warden.refusals.length;
      assert.equal(net.sweep(A, attacker), undefined, "a sweep to an attacker is refused");
      assert.ok(
        warden.refusals
          .slice(before)
          .some((r) => r.ruleIds.includes("policy-sweep-destination-allowlisted")),
      );
      const sweep = net.sweep(A, wallet);
      assert.ok(sweep !== undefined, "the sweep to our wallet is signed");
      net.mine(1);
      assert.ok(net.chain.confirmedAt(txid(sweep)) !== undefined, "sweep confirmed");

      // The balance is whole: what A's wallet received plus every fee A's transactions paid
      // equals Warden's balance plus the HTLCs that came back to A (all amounts in sat).
      const sweepIn = sweep.inputs.reduce((s, i) => s + net.chain.output(i.prevout)!.value, 0n);
      const received = paidTo(sweep, wallet);
      const secondStageFees = byA.reduce((s, t) => {
        const ins = t.inputs.reduce((x, i) => x + net.chain.output(i.prevout)!.value, 0n);
        return s + ins - t.outputs.reduce((x, o) => x + o.value, 0n);
      }, 0n);
      const htlcsBack = holder.htlcs.reduce((s, h) => s + h.amountMsat / 1000n, 0n);
      assert.equal(received + (sweepIn - received) + secondStageFees, toLocal + htlcsBack);
      assert.ok(sweepIn - received <= BigInt(SIM_FEERATE) * 4n, "sweep fee at the feerate");
      // f: every commitment and closing signature Warden returned verifies against LDK's
      // own sighash (and every on-chain signature was checked when it confirmed).
      assert.deepEqual(badSignatures, []);
      assert.ok(verified.signatures > 0);
      assert.equal(B.paymentsClaimed, 1, "B never claimed the held HTLCs");
    });
  });
}
