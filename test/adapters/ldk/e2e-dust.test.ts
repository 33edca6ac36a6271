/**
 * HTLCs below the dust limit. LDK 0.1 shows its signer only the HTLCs with a commitment output;
 * a trimmed one moves value the adapter finds only in LDK's channel list.
 * - We send them: the signer answers "not ready" (LDK's async signing), the simulator's pump
 *   calls provideHtlcDetails, and Warden signs once it has recomposed the commitment with the
 *   listed HTLCs and applied its payment rules to them; balances stay exact to the msat.
 * - An unapproved trimmed HTLC is refused by the payment rule, like any other.
 * - The peer sends one: LDK cannot wait in validate_holder_commitment (an error closes the
 *   channel), so a holder commitment whose missing value is the peer's (ours intact) is
 *   accepted, and the channel releases no secret and signs nothing until provideHtlcDetails
 *   lets Warden validate it; nothing is closed and the payment arrives.
 */
import assert from "node:assert/strict";
import { parseTx, txid } from "../../../src/bitcoin/tx.js";
import { bytesToHex } from "../../../src/util/bytes.js";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { HostSpec } from "../../../src/adapters/ldk/host-protocol.js";
import type { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import {
  invoice,
  keysend,
  newNetwork,
  paidTo,
  sendToInvoice,
  startWarden,
  wardenAndPeer,
  wardenBalanceMsat,
} from "./e2e-harness.js";

const wardens: WardenLdkSigner[] = [];
after(async () => {
  for (const w of wardens) await w.close();
});

/** A (Warden-signed) and B (KeysManager) with an open channel of 0.01 BTC. */
async function openChannel(anchors: boolean, approver: HostSpec["approver"] = "approve-all") {
  const { net, warden, A, B } = await wardenAndPeer(anchors, { approver });
  wardens.push(warden);
  const [rec] = warden.channels();
  assert.ok(rec !== undefined);
  return { net, warden, A, B, rec };
}

for (const anchors of [true, false]) {
  const type = anchors ? "anchors" : "static_remotekey";

  test(`${type}: trimmed HTLCs we send are signed once LDK lists them, balances exact`, async () => {
    const { net, warden, A, B, rec } = await openChannel(anchors);
    const big = invoice(B, 2_000_000n);
    sendToInvoice(A, big);
    net.pump();
    const before = wardenBalanceMsat(warden);

    // Three payments below LDK's 354 sat dust limit and one above, all in flight at once.
    const amounts = [100_000n, 200_000n, 300_500n, 5_000_000n];
    for (const a of amounts) {
      const inv = invoice(B, a);
      await warden.approveInvoice(inv.to_str());
      sendToInvoice(A, inv);
    }
    net.pump();
    assert.deepEqual(warden.refusals, []);
    assert.equal(B.paymentsClaimed, 1 + amounts.length, "every payment arrived");
    const state = warden.channelState(rec.id);
    assert.deepEqual(state.currentHolder?.htlcs, []);
    assert.deepEqual(state.currentCounterparty?.htlcs, []);
    const paid = amounts.reduce((s, a) => s + a, 0n);
    assert.equal(
      before - wardenBalanceMsat(warden),
      paid,
      "Warden's balance moved by exactly the sum",
    );

    // The channel goes on with ordinary payments afterwards.
    const next = invoice(B, 3_000_000n);
    await warden.approveInvoice(next.to_str());
    sendToInvoice(A, next);
    net.pump();
    assert.equal(B.paymentsClaimed, 2 + amounts.length);
    assert.equal(before - wardenBalanceMsat(warden), paid + 3_000_000n);
  });

  test(`${type}: trimmed HTLCs the peer sends us are validated once listed, nothing closed`, async () => {
    const { net, warden, A, B, rec } = await openChannel(anchors);
    sendToInvoice(A, invoice(B, 400_000_000n));
    net.pump();
    const before = wardenBalanceMsat(warden);
    const mark = rec.holderCommitments.size;

    // Below the dust limit (and, without anchors, below it plus the HTLC-success fee at the
    // simulator's 1000 sat/kw: 1 057 sat), three at once, then one each way.
    for (const a of [100_000n, 700_500n, 250_000n]) keysend(B, A, a);
    net.pump();
    const out = invoice(B, 150_000n);
    await warden.approveInvoice(out.to_str());
    sendToInvoice(A, out);
    keysend(B, A, 99_000n);
    net.pump();
    assert.deepEqual(warden.refusals, []);
    assert.deepEqual(A.closeReasons, [], "no channel closed");
    assert.equal(A.paymentsClaimed, 4, "every payment to us arrived");
    assert.equal(B.paymentsClaimed, 2);
    assert.equal(
      wardenBalanceMsat(warden) - before,
      100_000n + 700_500n + 250_000n + 99_000n - 150_000n,
    );
    assert.ok(rec.holderCommitments.size > mark, "Warden validated the holder commitments");
    assert.equal(rec.deferredHolder, undefined, "no validation left waiting");
  });
}

test("an unapproved trimmed HTLC is refused by policy-commitment-payment-approved", async () => {
  const { net, warden, A, B, rec } = await openChannel(true, "queue");
  const before = warden.channelState(rec.id);
  const small = invoice(B, 100_000n);
  const mark = warden.refusals.length;
  try {
    sendToInvoice(A, small);
  } catch {
    // LDK may report the refused signature as a failed send.
  }
  net.pump();
  const refusals = warden.refusals.slice(mark);
  assert.ok(refusals.length > 0, "refused");
  assert.ok(
    refusals.every(
      (r) =>
        r.op === "sign_counterparty_commitment" &&
        r.ruleIds.length === 1 &&
        r.ruleIds[0] === "policy-commitment-payment-approved",
    ),
    JSON.stringify(refusals),
  );
  assert.equal(B.paymentsClaimed, 0, "the payment never arrived");
  const after_ = warden.channelState(rec.id);
  assert.equal(after_.nextCounterpartyCommitNum, before.nextCounterpartyCommitNum);
  assert.deepEqual(after_.currentCounterparty, before.currentCounterparty);
});

test("a deferred holder commitment the HTLC list does not explain is refused (ldk/trimmed-htlc): no secret released, closed with the last valid commitment", async () => {
  const { net, warden, A, B, rec } = await openChannel(true);
  sendToInvoice(A, invoice(B, 400_000_000n));
  net.pump();
  const before = warden.channelState(rec.id);
  // A compromised node lists the peer's 300.5 sat HTLC as 200 sat.
  const honest = warden.provideHtlcDetails.bind(warden);
  warden.provideHtlcDetails = (cm) =>
    honest(
      new Proxy(cm, {
        get(target, prop) {
          if (prop !== "list_channels") {
            const v = Reflect.get(target, prop) as unknown;
            return typeof v === "function" ? v.bind(target) : v;
          }
          return () =>
            target.list_channels().map((c) => {
              const inbound = c.get_pending_inbound_htlcs();
              for (const h of inbound) h.set_amount_msat(h.get_amount_msat() - 100_500n);
              return {
                get_funding_txo: () => c.get_funding_txo(),
                get_counterparty: () => c.get_counterparty(),
                get_channel_id: () => c.get_channel_id(),
                get_pending_inbound_htlcs: () => inbound,
                get_pending_outbound_htlcs: () => c.get_pending_outbound_htlcs(),
              };
            });
        },
      }),
    );
  keysend(B, A, 300_500n);
  net.pump();
  const refused = warden.refusals.map((r) => [r.op, r.message.split(":")[0]]);
  assert.deepEqual(refused[0], ["validate_holder_commitment", "ldk/trimmed-htlc"]);
  // Then the channel is paused: LDK's revoke_and_ack (secret, next point) is refused.
  assert.ok(
    refused.some(([op]) => op === "release_commitment_secret"),
    JSON.stringify(refused),
  );
  assert.ok(
    refused.slice(1).every(([, code]) => code === "ldk/holder-unvalidated"),
    JSON.stringify(refused),
  );
  assert.equal(A.paymentsClaimed, 0, "the unvalidated HTLC was not claimed");
  // Warden's holder commitment is still the last validated one, and it was never revoked.
  const after_ = warden.channelState(rec.id);
  assert.deepEqual(after_.currentHolder, before.currentHolder);
  assert.equal(after_.nextHolderCommitNum, before.nextHolderCommitNum);

  // The way out: Warden's last valid commitment, broadcast; LDK's monitor knows it.
  const raw = warden.closeWithLastValidCommitment(rec.id);
  const tx = parseTx(raw);
  const fo = rec.requireParams().fundingOutpoint;
  assert.equal(bytesToHex(tx.inputs[0]!.prevout.txid), bytesToHex(fo.txid));
  net.chain.broadcast(raw);
  net.mine(1);
  assert.ok(net.chain.transaction(txid(tx)) !== undefined, "the commitment confirmed");
  assert.ok(A.closeReasons.length > 0, "LDK saw its channel closed on chain");
  const ourOutput = tx.outputs.reduce((m, o) => (o.value > m ? o.value : m), 0n);
  assert.ok(ourOutput * 1000n <= before.currentHolder!.toOwnerMsat);
  assert.ok(ourOutput * 1000n > before.currentHolder!.toOwnerMsat - 10_000_000n);
  // LDK's monitor claims it: after to_self_delay our output is swept to our wallet.
  net.mine(rec.requireParams().holderToSelfDelay + 8);
  const wallet = warden.walletKey(0).script;
  const sweep = net.sweep(A, wallet);
  assert.ok(sweep !== undefined, "LDK reported our output and Warden signed its sweep");
  net.mine(1);
  assert.ok(net.chain.confirmedAt(txid(sweep)) !== undefined, "sweep confirmed");
  assert.ok(paidTo(sweep, wallet) > ourOutput - 2_000n, "our balance reached the wallet");
});

test("trimmed HTLCs forwarded by a Warden-signed router pass the routing rules", async () => {
  const net = await newNetwork();
  const warden = await startWarden(net, { approver: "none" });
  wardens.push(warden);
  const A = net.addNode({ name: "A", signer: { kind: "keysmanager" }, anchors: true });
  const B = net.addNode({ name: "B", signer: { kind: "warden", signer: warden }, anchors: true });
  const C = net.addNode({ name: "C", signer: { kind: "keysmanager" }, anchors: true });
  net.connect(A, B);
  net.connect(B, C);
  net.openChannel(A, B, 1_000_000n);
  net.openChannel(B, C, 1_000_000n);
  net.mine(2);
  const balance = (): bigint =>
    warden
      .channels()
      .reduce((s, r) => s + warden.channelState(r.id).currentHolder!.toOwnerMsat, 0n);
  // Two ordinary forwards, then dust on both channels with a non-dust one in flight.
  for (let i = 0; i < 2; i++) sendToInvoice(A, invoice(C, 20_000_000n));
  net.pump();
  const before = balance();
  for (const a of [150_000n, 250_500n, 3_000_000n]) sendToInvoice(A, invoice(C, a));
  net.pump();
  assert.deepEqual(warden.refusals, []);
  assert.equal(A.paymentsSent, 5, "every payment reached C through B");
  assert.equal(B.forwarded, 5);
  assert.ok(balance() > before, "B earned its fees");
  for (const r of warden.channels()) {
    assert.deepEqual(warden.channelState(r.id).currentHolder?.htlcs, []);
  }
});

/**
 * A (Warden over SQLite in a temp dir) and B with a channel where A has paid B 400 000 sat;
 * `restart` stops A (LDK's persisted bytes) and starts it again on the same Warden store.
 */
async function persistentChannel(dir: string, anchors: boolean) {
  const seed = new Uint8Array(randomBytes(32));
  const store = { kind: "sqlite" as const, path: join(dir, "warden.sqlite3") };
  const { net, warden: w1, A, B } = await wardenAndPeer(anchors, { seed, store });
  wardens.push(w1);
  sendToInvoice(A, invoice(B, 400_000_000n));
  net.pump();
  const [rec] = w1.channels();
  assert.ok(rec !== undefined);
  const restart = async () => {
    const stopped = net.stopNode(A);
    await w1.close();
    const w2 = await startWarden(net, { seed, store });
    wardens.push(w2);
    const A2 = net.restartNode(stopped, {
      name: "A",
      signer: { kind: "warden", signer: w2 },
      anchors,
    });
    return { A: A2, warden: w2 };
  };
  return { net, warden: w1, A, B, rec, restart };
}

/** Runs `fn` with a fresh temp dir, removed afterwards. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "warden-ldk-dust-"));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("trimmed HTLCs in flight across a restart settle with exact balances", () =>
  inTempDir(async (dir) => {
    const { net, warden: w1, A, B, rec, restart } = await persistentChannel(dir, false);
    const before = wardenBalanceMsat(w1);
    // One trimmed HTLC each way, both held by their payees across A's restart.
    B.holdPayments = true;
    A.holdPayments = true;
    sendToInvoice(A, invoice(B, 250_000n));
    keysend(B, A, 700_700n);
    net.pump();
    assert.equal(B.held.length, 1);
    assert.equal(A.held.length, 1);
    assert.equal(w1.channelState(rec.id).currentHolder?.htlcs.length, 2, "both in flight");
    const heldByA = A.held.shift()!;

    const { A: A2, warden: w2 } = await restart();
    net.pump();
    A2.cm.claim_funds(heldByA);
    B.holdPayments = false;
    B.cm.claim_funds(B.held.shift()!);
    net.pump();
    assert.deepEqual(w2.refusals, []);
    assert.deepEqual(A2.closeReasons, [], "no channel closed");
    assert.deepEqual(w2.channelState(rec.id).currentHolder?.htlcs, []);
    assert.equal(wardenBalanceMsat(w2) - before, 700_700n - 250_000n);
  }));

test("a restart while a holder commitment is deferred finishes its validation", () =>
  inTempDir(async (dir) => {
    const { net, warden: w1, A, B, rec, restart } = await persistentChannel(dir, true);
    const before = wardenBalanceMsat(w1);
    const stateBefore = w1.channelState(rec.id);

    // The crash window: LDK persisted the peer's commitment carrying a trimmed HTLC, and the
    // node stops before provideHtlcDetails lets Warden validate it.
    w1.provideHtlcDetails = () => 0;
    keysend(B, A, 300_500n);
    net.pump();
    assert.ok(rec.deferredHolder !== undefined, "the holder commitment is deferred");
    assert.deepEqual(w1.channelState(rec.id).currentHolder, stateBefore.currentHolder);

    const { A: A2, warden: w2 } = await restart();
    net.pump();
    assert.deepEqual(w2.refusals, []);
    assert.deepEqual(A2.closeReasons, [], "no channel closed");
    assert.equal(A2.paymentsClaimed, 1, "the payment arrived after the restart");
    assert.equal(wardenBalanceMsat(w2) - before, 300_500n);
    assert.equal(w2.channel(rec.id)?.deferredHolder, undefined);
  }));

test("with its ChannelManager attached, the signer lists trimmed HTLCs by itself", async () => {
  const { net, warden, A, B, rec } = await openChannel(true);
  sendToInvoice(A, invoice(B, 400_000_000n));
  net.pump();
  // An application that never calls provideHtlcDetails itself.
  warden.provideHtlcDetails = () => 0;
  warden.attachChannelManager(A.cm);
  const inv = invoice(B, 200_000n);
  await warden.approveInvoice(inv.to_str());
  sendToInvoice(A, inv);
  keysend(B, A, 150_000n);
  net.pump();
  assert.equal(B.paymentsClaimed, 1, "waiting for the HTLC list");
  // The signer's own turn of the event loop lists the HTLCs and unblocks LDK.
  for (let i = 0; i < 10 && (B.paymentsClaimed < 2 || A.paymentsClaimed < 1); i++) {
    await new Promise((resolve) => setImmediate(resolve));
    net.pump();
  }
  assert.equal(B.paymentsClaimed, 2);
  assert.equal(A.paymentsClaimed, 1);
  assert.deepEqual(warden.refusals, []);
  assert.equal(rec.deferredHolder, undefined);
});

test("many trimmed HTLCs at once each way (more than a brute-force search covers)", async () => {
  const { net, warden, A, B, rec } = await openChannel(true);
  sendToInvoice(A, invoice(B, 400_000_000n));
  net.pump();
  const before = wardenBalanceMsat(warden);
  let delta = 0n;
  for (let i = 0; i < 20; i++) {
    keysend(B, A, 100_000n + BigInt(i) * 1_001n);
    delta += 100_000n + BigInt(i) * 1_001n;
  }
  for (let i = 0; i < 15; i++) {
    const inv = invoice(B, 120_000n + BigInt(i) * 997n);
    await warden.approveInvoice(inv.to_str());
    sendToInvoice(A, inv);
    delta -= 120_000n + BigInt(i) * 997n;
  }
  net.pump();
  assert.deepEqual(warden.refusals, []);
  assert.deepEqual(A.closeReasons, [], "no channel closed");
  assert.equal(A.paymentsClaimed, 20);
  assert.equal(B.paymentsClaimed, 16);
  assert.equal(wardenBalanceMsat(warden) - before, delta);
  assert.equal(rec.deferredHolder, undefined);
});
