/**
 * Scenario g: restart. A Warden-signed LDK node A (Warden over SQLite in a temp dir) and a
 * KeysManager-signed B open a channel and make payments; with an HTLC A → B still in flight,
 * A is stopped (its ChannelManager and monitors serialized as LDK persists them, Warden's host
 * stopped and its store closed) and started again from those bytes with a NEW WardenLdkSigner
 * over the SAME store. The HTLC settles, more payments go both ways, a revoked holder
 * commitment from before the restart is still refused with its rule id, and a cooperative
 * close pays the allowlisted address what Warden's state predicts. Also: a commitment revoked
 * before a restart is punished after it, and a restart with a stale ChannelManager (monitors
 * ahead of it) ends in LDK's force close with Warden's current commitment.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import * as ldk from "lightningdevkit";
import { parseTx, type Tx, txid } from "../../../src/bitcoin/tx.js";
import { signatureToDer } from "../../../src/crypto/signature.js";
import { ecdsaSign } from "../../../src/crypto/secp256k1.js";
import { ldkKeyDeriver } from "../../../src/keys/ldk.js";
import { holderInner } from "../../../src/adapters/ldk/ldk-codec.js";
import { encodeChannelSignerRef, WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { ok, type SimNetwork } from "../../../src/adapters/ldk/sim/network.js";
import { bytesToHex, equalBytes } from "../../../src/util/bytes.js";
import {
  badSignatures,
  invoice,
  keysend,
  newNetwork,
  paidTo,
  randomP2wpkh,
  sendToInvoice,
  startWarden,
  verifyReturnedSignature,
  wardenBalanceMsat,
} from "./e2e-harness.js";

const CHANNEL_SAT = 1_000_000n;
const OUT_MSAT = 10_000_123n;
const IN_MSAT = 4_000_456n;
const HELD_MSAT = 7_000_789n;

/** A Warden signer over the SQLite file `path` with `seed` (`cold` allowlisted, our wallet). */
function startSqliteWarden(
  net: SimNetwork,
  seed: Uint8Array,
  path: string,
  cold: Uint8Array,
): Promise<WardenLdkSigner> {
  return WardenLdkSigner.start(
    {
      seed,
      startingTimeSecs: BigInt(Math.floor(Date.now() / 1000)),
      startingTimeNanos: 0,
      store: { kind: "sqlite", path },
      config: { network: "regtest", allowlist: [bytesToHex(cold)] },
      approver: "approve-all",
      walletScripts: [cold],
      chainHeight: net.chain.height,
    },
    {
      chain: net.chain,
      shutdownScript: cold,
      log: process.env.WARDEN_E2E_VERBOSE === "1" ? (l) => console.log(l) : () => undefined,
      onSignature: verifyReturnedSignature,
    },
  );
}

for (const anchors of [false, true]) {
  const type = anchors ? "anchors_zero_fee_htlc_tx" : "static_remotekey";
  describe(`LDK e2e (${type}): restart on the same Warden store`, () => {
    const wardens: WardenLdkSigner[] = [];
    const dir = mkdtempSync(join(tmpdir(), "warden-ldk-restart-"));
    after(async () => {
      for (const w of wardens) await w.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test("stop with an HTLC in flight, restart from LDK's bytes, pay, refuse, close", async () => {
      const net = await newNetwork();
      const cold = randomP2wpkh();
      const seed = new Uint8Array(randomBytes(32));
      const path = join(dir, "warden.sqlite3");
      const w1 = await startSqliteWarden(net, seed, path, cold);
      wardens.push(w1);
      let A = net.addNode({ name: "A", signer: { kind: "warden", signer: w1 }, anchors });
      const B = net.addNode({ name: "B", signer: { kind: "keysmanager" }, anchors });
      net.connect(A, B);
      const chanId = net.openChannel(A, B, CHANNEL_SAT);
      const [rec1] = w1.channels();
      assert.ok(rec1 !== undefined);
      const funding = rec1.requireParams().fundingOutpoint;

      // Before the restart: 3 invoices A → B (B starts with nothing to send), 2 keysends
      // B → A, then one A → B held by B.
      for (let i = 0; i < 3; i++) {
        const inv = invoice(B, OUT_MSAT);
        await w1.approveInvoice(inv.to_str());
        sendToInvoice(A, inv);
        net.pump();
      }
      for (let i = 0; i < 2; i++) keysend(B, A, IN_MSAT);
      net.pump();
      B.holdPayments = true;
      const held = invoice(B, HELD_MSAT);
      await w1.approveInvoice(held.to_str());
      sendToInvoice(A, held);
      net.pump();
      assert.equal(B.held.length, 1, "B holds the HTLC");
      const inFlight = w1.channelState(rec1.id).currentHolder!.htlcs;
      assert.equal(inFlight.length, 1, "one HTLC in flight across the restart");
      let expectedMsat = CHANNEL_SAT * 1000n - 3n * OUT_MSAT + 2n * IN_MSAT - HELD_MSAT;
      assert.equal(wardenBalanceMsat(w1), expectedMsat);
      const stateBefore = w1.channelState(rec1.id);
      // A holder commitment revoked before the restart (LDK's own object for it).
      const revoked = rec1.holderCommitments.get(1);
      assert.ok(revoked !== undefined && stateBefore.holderRevokedThrough >= 1);
      assert.equal(w1.refusals.length, 0, "nothing refused before the restart");

      // Stop A: LDK's bytes as persisted; Warden's host stopped, its store closed.
      const stopped = net.stopNode(A);
      assert.equal(stopped.persisted.monitors.length, 1);
      await w1.close();
      const w2 = await startSqliteWarden(net, seed, path, cold);
      wardens.push(w2);
      assert.ok(equalBytes(w2.nodeId, w1.nodeId));
      A = net.restartNode(stopped, { name: "A", signer: { kind: "warden", signer: w2 }, anchors });
      const rec = w2.channel(rec1.id);
      assert.ok(rec !== undefined, "LDK re-derived the channel's signer by its channel_keys_id");
      assert.deepEqual(rec.requireParams(), rec1.requireParams());
      const stateAfter = w2.channelState(rec.id);
      assert.equal(stateAfter.nextHolderCommitNum, stateBefore.nextHolderCommitNum);
      assert.equal(stateAfter.nextCounterpartyCommitNum, stateBefore.nextCounterpartyCommitNum);
      assert.equal(A.channels(B).filter((c) => c.get_is_usable()).length, 1, "channel usable");

      // read_chan_signer: Warden's reference format rebuilds the channel's signer (used for
      // the attack below); anything else is refused.
      const read = w2.signerProvider.read_chan_signer(
        encodeChannelSignerRef(rec.valueSat, rec.keysId),
      );
      assert.ok(read instanceof ldk.Result_EcdsaChannelSignerDecodeErrorZ_OK);
      assert.ok(!w2.signerProvider.read_chan_signer(new Uint8Array(45)).is_ok());

      // The held HTLC settles after the restart, then more payments both ways.
      B.holdPayments = false;
      B.cm.claim_funds(B.held.shift()!);
      net.pump();
      assert.equal(A.paymentsSent, 1, "the HTLC sent before the restart completed");
      for (let i = 0; i < 2; i++) {
        const inv = invoice(B, OUT_MSAT);
        await w2.approveInvoice(inv.to_str());
        sendToInvoice(A, inv);
        keysend(B, A, IN_MSAT);
        net.pump();
      }
      assert.equal(A.paymentsSent, 3, "A's payments since the restart");
      // (LDK may replay a PaymentClaimed event of a claim from before the restart: at least
      // the 2 new ones; Warden's balance below counts each payment exactly once.)
      assert.ok(A.paymentsClaimed >= 2);
      assert.equal(w2.refusals.length, 0, "honest flows after the restart are never refused");
      expectedMsat += -2n * OUT_MSAT + 2n * IN_MSAT;
      assert.equal(wardenBalanceMsat(w2), expectedMsat, "Warden's state tracks every payment");
      assert.equal(w2.channelState(rec.id).currentHolder!.htlcs.length, 0);

      // Attack after the restart: sign (for broadcast) a holder commitment revoked before it.
      assert.ok(!read.res.sign_holder_commitment(revoked).is_ok());
      assert.deepEqual(
        w2.refusals.map((r) => ({ op: r.op, rules: r.ruleIds })),
        [{ op: "sign_holder_commitment", rules: ["policy-commitment-holder-not-revoked"] }],
      );
      assert.equal(w2.channelState(rec.id).closing, undefined, "state unchanged by the refusal");

      // Cooperative close to the allowlisted address, paying what Warden's state predicts.
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
      const fee = expectedMsat / 1000n - paidTo(closing, cold);
      assert.ok(fee > 0n && fee < 5_000n, `closing fee ${fee}`);
      assert.equal(total - paidTo(closing, cold), (CHANNEL_SAT * 1000n - expectedMsat) / 1000n);
      assert.equal(CHANNEL_SAT - total, fee + 1n, "the tx fee is A's fee plus the remainders");
      assert.deepEqual(badSignatures, []);
      assert.equal(w2.refusals.length, 1, "nothing else refused");
    });
  });
}

describe("LDK e2e (anchors_zero_fee_htlc_tx): justice after a restart", () => {
  const wardens: WardenLdkSigner[] = [];
  const dir = mkdtempSync(join(tmpdir(), "warden-ldk-restart-"));
  after(async () => {
    for (const w of wardens) await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a commitment revoked before the restart is punished after it", async () => {
    const net = await newNetwork();
    const wallet = randomP2wpkh();
    const seed = new Uint8Array(randomBytes(32));
    const seedB = new Uint8Array(randomBytes(32));
    const path = join(dir, "warden.sqlite3");
    const w1 = await startSqliteWarden(net, seed, path, wallet);
    const wardenB = await startWarden(net, { seed: seedB });
    wardens.push(w1, wardenB);
    const anchors = true;
    let A = net.addNode({ name: "A", signer: { kind: "warden", signer: w1 }, anchors });
    const B = net.addNode({ name: "B", signer: { kind: "warden", signer: wardenB }, anchors });
    net.connect(A, B);
    net.openChannel(A, B, CHANNEL_SAT);
    const [recA] = w1.channels();
    const [recB] = wardenB.channels();
    assert.ok(recA !== undefined && recB !== undefined);
    keysend(A, B, 400_000_000n);
    net.pump();
    const oldN = wardenB.channelState(recB.id).nextHolderCommitNum - 1;
    const oldHolder = recB.holderCommitments.get(oldN);
    assert.ok(oldHolder !== undefined);
    keysend(B, A, 300_000_000n);
    net.pump();
    keysend(B, A, 50_000_000n);
    net.pump();
    assert.ok(wardenB.channelState(recB.id).holderRevokedThrough >= oldN, "B revoked it");
    const latestA = w1.channelState(recA.id).currentHolder!.toOwnerMsat / 1000n;

    // Restart A on the same store.
    const stopped = net.stopNode(A);
    await w1.close();
    const w2 = await startSqliteWarden(net, seed, path, wallet);
    wardens.push(w2);
    A = net.restartNode(stopped, { name: "A", signer: { kind: "warden", signer: w2 }, anchors });
    assert.ok(w2.channel(recA.id) !== undefined);

    // B (bypassing its signer) completes and broadcasts its revoked commitment.
    const inner = holderInner(oldHolder);
    const keysB = ldkKeyDeriver(seedB, 0n, 0).channelKeys({ channelKeysId: recB.keysId });
    const fundingA = recA.basepoints.fundingPubkey;
    const [k1, k2] = [fundingA, recB.basepoints.fundingPubkey].sort((a, b) => Buffer.compare(a, b));
    const redeem = Uint8Array.from([0x52, 0x21, ...k1!, 0x21, ...k2!, 0x52, 0xae]);
    const built = inner.trust().built_transaction();
    const sigB = ecdsaSign(built.get_sighash_all(redeem, CHANNEL_SAT), keysB.fundingSecret);
    const sigA = oldHolder.get_counterparty_sig();
    const der = (x: Uint8Array): Uint8Array => Uint8Array.from([...signatureToDer(x), 1]);
    const revoked: Tx = parseTx(built.get_transaction());
    const sorted = equalBytes(k1!, fundingA) ? [der(sigA), der(sigB)] : [der(sigB), der(sigA)];
    revoked.inputs[0]!.witness = [new Uint8Array(0), ...sorted, redeem];
    net.chain.broadcast(revoked);
    net.mine(4);
    assert.ok(net.chain.confirmedAt(txid(revoked)) !== undefined);

    // The restarted A punishes it (Warden finds the commitment by its secret in its store)
    // and sweeps its to_remote (the commitment recognised on chain by its number).
    const justice = net.chain
      .transactionsSince(0)
      .filter((t) => t.inputs.some((i) => equalBytes(i.prevout.txid, txid(revoked))))
      .filter((t) => A.broadcasts.some((b) => equalBytes(txid(b), txid(t))));
    assert.ok(justice.length >= 1, "a justice transaction confirmed");
    assert.equal(w2.refusals.length, 0, "nothing refused after the restart");
    net.mine(8);
    const sweep = net.sweep(A, wallet);
    assert.ok(sweep !== undefined, "A's to_remote swept");
    net.mine(1);
    assert.ok(net.chain.confirmedAt(txid(sweep)) !== undefined);
    const outOf = (t: Tx): bigint => t.outputs.reduce((x, o) => x + o.value, 0n);
    const justiceOut = justice.reduce((x, t) => x + outOf(t), 0n);
    assert.ok(justiceOut + paidTo(sweep, wallet) > latestA, "more than A's latest balance");
    assert.deepEqual(badSignatures, []);
  });
});

describe("LDK e2e (static_remotekey): restart with a stale ChannelManager", () => {
  const wardens: WardenLdkSigner[] = [];
  const dir = mkdtempSync(join(tmpdir(), "warden-ldk-restart-"));
  after(async () => {
    for (const w of wardens) await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("LDK force-closes from its monitor; Warden signs its current commitment only", async () => {
    const net = await newNetwork();
    const cold = randomP2wpkh();
    const seed = new Uint8Array(randomBytes(32));
    const path = join(dir, "warden.sqlite3");
    const w1 = await startSqliteWarden(net, seed, path, cold);
    wardens.push(w1);
    const anchors = false;
    const A = net.addNode({ name: "A", signer: { kind: "warden", signer: w1 }, anchors });
    const B = net.addNode({ name: "B", signer: { kind: "keysmanager" }, anchors });
    net.connect(A, B);
    net.openChannel(A, B, CHANNEL_SAT);
    const [rec1] = w1.channels();
    assert.ok(rec1 !== undefined);
    const inv = invoice(B, OUT_MSAT);
    await w1.approveInvoice(inv.to_str());
    sendToInvoice(A, inv);
    net.pump();
    // The ChannelManager as persisted now; the monitors move on with one more payment.
    const staleManager = A.persisted().manager;
    const inv2 = invoice(B, OUT_MSAT);
    await w1.approveInvoice(inv2.to_str());
    sendToInvoice(A, inv2);
    net.pump();
    assert.equal(A.paymentsSent, 2);
    const state = w1.channelState(rec1.id);
    const stopped = net.stopNode(A);
    stopped.persisted.manager = staleManager;
    await w1.close();
    const w2 = await startSqliteWarden(net, seed, path, cold);
    wardens.push(w2);
    const A2 = net.restartNode(stopped, {
      name: "A",
      signer: { kind: "warden", signer: w2 },
      anchors,
    });
    net.mine(1);
    const fo = rec1.requireParams().fundingOutpoint;
    const commitment = net.chain
      .transactionsSince(0)
      .find((t) =>
        t.inputs.some((i) => equalBytes(i.prevout.txid, fo.txid) && i.prevout.vout === fo.vout),
      );
    assert.ok(commitment !== undefined, "LDK force-closed with a commitment on chain");
    // It is Warden's current holder commitment (never a revoked one), signed once.
    const after = w2.channelState(rec1.id);
    assert.ok(state.currentHolder !== undefined);
    assert.equal(bytesToHex(txid(commitment)), bytesToHex(state.currentHolder.txid));
    assert.equal(after.holderCommitmentBroadcast, state.currentHolder.commitmentNumber);
    assert.equal(after.holderRevokedThrough, state.holderRevokedThrough);
    assert.equal(w2.refusals.length, 0);
    assert.equal(A2.channels(B).length, 0, "the restarted A closed the channel");
    assert.deepEqual(badSignatures, []);
  });
});
