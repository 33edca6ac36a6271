/**
 * Payments scenarios end to end through Node and Channel: routing, paying invoices, velocity
 * windows on an injected clock, recurring allowances, asynchronous approvals across a restart,
 * and the ledger committed atomically with the channel state.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AllowanceApprover } from "../../src/payments/allowance.js";
import {
  type ApprovalDecision,
  type ApprovalRequest,
  type Approver,
  ApproveAll,
  ListApprover,
} from "../../src/payments/approver.js";
import { PendingApprovals } from "../../src/payments/approvals.js";
import { paymentKey } from "../../src/payments/record.js";
import { encodeState } from "../../src/state/codec.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { expectRefusal, snapshot } from "./harness.js";
import {
  funded,
  htlc,
  OTHER_PAYEE,
  offer,
  PAYEE,
  payment,
  paymentNode,
  receive,
  T0,
  testClock,
  testInvoice,
} from "./payments-fixtures.js";

const HEIGHT = 800_000;

test("a route A → us → B with the same hash is accepted and recorded both ways", async () => {
  const node = await paymentNode(testClock());
  const a = await funded(node, "A");
  const b = await funded(node, "B");
  const { hash, preimage } = payment("route");
  await receive(a, htlc(0, "received", hash, 1_001_000n, HEIGHT + 200));
  await offer(b, htlc(0, "offered", hash, 1_000_000n, HEIGHT + 100));
  const rec = node.payments.record(hash)!;
  assert.deepEqual(
    rec.htlcs.map((h) => [h.channelId, h.direction, h.amountMsat]),
    [
      ["A", "received", 1_001_000n],
      ["B", "offered", 1_000_000n],
    ],
  );
  assert.equal(rec.state, "pending");
  await node.addPreimage(preimage);
  assert.equal(node.payments.record(hash)!.state, "settled");
  assert.ok((await node.store.get(paymentKey(node.nodeId, hash))) !== undefined);
});

test("an offered HTLC with no matching incoming one is refused (no approver)", async () => {
  const node = await paymentNode(testClock());
  const b = await funded(node, "B");
  await expectRefusal(
    offer(b, htlc(0, "offered", payment("lone").hash, 1_000_000n, HEIGHT + 100)),
    "policy-routing-balanced",
  );
});

test("paying an invoice: overpaying, paying twice, an expired invoice, an unlisted payee are refused", async () => {
  const clock = testClock();
  const node = await paymentNode(clock, { approver: new ListApprover({ payees: [PAYEE] }) });
  const t = await funded(node, "pay");
  const { hash, preimage } = payment("invoice");
  await node.approveInvoice(testInvoice(hash, 5_000_000n));
  // Overpay: 5_000_000 + 100_000 + 1 % = 5_150_000 at most.
  await expectRefusal(
    offer(t, htlc(0, "offered", hash, 5_150_001n, HEIGHT + 100)),
    "policy-commitment-payment-invoiced",
  );
  await offer(t, htlc(0, "offered", hash, 5_010_000n, HEIGHT + 100));
  await node.addPreimage(preimage);
  // Twice: the hash is settled; neither a new approval nor a new HTLC may pay it again.
  await expectRefusal(
    node.approveInvoice(testInvoice(hash, 5_000_000n)),
    "policy-payment-not-duplicate",
  );
  // Expired (node clock two hours later).
  clock.now = T0 + 7_200_000;
  await expectRefusal(
    node.approveInvoice(testInvoice(payment("old").hash, 1_000n)),
    "policy-invoice-not-expired",
  );
  // A payee the list approver does not know.
  await expectRefusal(
    node.approveKeysend(OTHER_PAYEE, payment("stranger").hash, 1_000n),
    "policy-commitment-payment-approved",
  );
});

test("velocity: payments over the window's limit are refused, then accepted once it slides", async () => {
  const clock = testClock();
  const node = await paymentNode(clock, {
    approver: new ApproveAll(),
    config: { velocityPaymentsLimitMsat: 3_000_000n, velocityPaymentsWindowMs: 3_600_000 },
  });
  await node.approveKeysend(PAYEE, payment("v1").hash, 2_000_000n);
  clock.now += 600_000;
  const before = await snapshot(node);
  await expectRefusal(
    node.approveKeysend(PAYEE, payment("v2").hash, 2_000_000n),
    "policy-velocity-payments",
  );
  assert.equal(await snapshot(node), before);
  clock.now = T0 + 3_600_000 + 3_600_000 / 24 + 1; // the first bucket left the window
  await node.approveKeysend(PAYEE, payment("v2").hash, 2_000_000n);
});

/** An approver that counts how often it is asked. */
class CountingApprover implements Approver {
  asked = 0;
  async decide(_r: ApprovalRequest): Promise<ApprovalDecision> {
    this.asked++;
    return "approve";
  }
}

test("ten payments inside an allowance are approved without asking; the eleventh is refused", async () => {
  const clock = testClock();
  const human = new CountingApprover();
  const node = await paymentNode(clock, {
    approver: new AllowanceApprover(
      [{ payeeNodeId: PAYEE, limitMsat: 10_000_000n, windowMs: 48 * 3_600_000 }],
      human,
    ),
  });
  for (let i = 0; i < 10; i++) {
    clock.now += 60_000;
    await node.approveKeysend(PAYEE, payment(`allow-${i}`).hash, 1_000_000n);
  }
  assert.equal(human.asked, 0);
  await expectRefusal(
    node.approveKeysend(PAYEE, payment("allow-10").hash, 1_000_000n),
    "policy-allowance-recurring",
  );
  // Another payee is not covered: the fallback (the human) is asked.
  await node.approveKeysend(OTHER_PAYEE, payment("other").hash, 1_000_000n);
  assert.equal(human.asked, 1);
  // 48 h later the allowance is available again.
  clock.now += 48 * 3_600_000;
  await node.approveKeysend(PAYEE, payment("allow-10").hash, 1_000_000n);
});

test("a pending approval is answered asynchronously and survives a restart", async () => {
  const store = new MemoryStore();
  const clock = testClock();
  const node1 = await paymentNode(clock, { store, approver: undefined });
  const queue1 = PendingApprovals.forNode(store, node1.nodeId);
  const node = await paymentNode(clock, { store, approver: queue1 });
  const { hash } = payment("human");
  const invoice = testInvoice(hash, 2_000_000n);
  const first = node.approveInvoice(invoice);
  let settled = false;
  void first.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  const listed = await queue1.pending();
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.amountMsat, 2_000_000n);
  assert.equal(settled, false);
  assert.equal(node.payments.record(hash), undefined);

  // Restart: a new node over the same store; the human answers the queued request there.
  const queue2 = PendingApprovals.forNode(store, node.nodeId);
  const again = await paymentNode(clock, { store, approver: queue2 });
  assert.equal((await queue2.pending()).length, 1);
  await queue2.answer(listed[0]!.id, "approve");
  assert.equal((await queue2.pending()).length, 0);
  // The node retries the same request after the restart and gets the stored answer.
  await again.approveInvoice(invoice);
  assert.equal(again.payments.record(hash)?.approval?.amountMsat, 2_000_000n);

  // Answered in the same process: the waiting request resolves.
  const { hash: h2 } = payment("human-2");
  const second = again.approveKeysend(PAYEE, h2, 1_000n);
  await new Promise((r) => setImmediate(r));
  const [p2] = await queue2.pending();
  await queue2.answer(p2!.id, "approve");
  await second;
  assert.ok(again.payments.record(h2)?.approval !== undefined);
});

test("the ledger is written in the same commit as the channel state (a failed commit leaves both)", async () => {
  const store = new MemoryStore();
  const node = await paymentNode(testClock(), { store, approver: new ApproveAll() });
  const t = await funded(node, "atomic");
  const { hash } = payment("atomic");
  const before = await snapshot(node, t.channel);
  store.failNextCommit(new Error("disk full"));
  await assert.rejects(offer(t, htlc(0, "offered", hash, 1_000_000n, HEIGHT + 100)), /disk full/);
  assert.equal(await snapshot(node, t.channel), before);
  assert.equal(node.payments.record(hash), undefined);
  await offer(t, htlc(0, "offered", hash, 1_000_000n, HEIGHT + 100));
  assert.equal(node.payments.record(hash)?.approval?.kind, "unannounced");
  // Reopened, the node has the same ledger.
  const reopened = await paymentNode(testClock(), { store });
  const text = (r: unknown): string => Buffer.from(encodeState(r)).toString();
  assert.equal(text(reopened.payments.record(hash)), text(node.payments.record(hash)));
});
