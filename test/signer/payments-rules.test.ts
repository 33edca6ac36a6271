/**
 * One negative test per Payments rule id: a valid baseline is accepted; the same request with
 * one thing changed is refused with exactly that rule id and changes nothing (channel state
 * and every store record); demoted by a filter, it is signed/approved with the warning counted.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AllowanceApprover } from "../../src/payments/allowance.js";
import { ApproveAll, type Approver, RefuseAll } from "../../src/payments/approver.js";
import type { RuleId } from "../../src/policy/rule-ids.js";
import type { Channel } from "../../src/signer/channel.js";
import type { Node } from "../../src/signer/node.js";
import { AllowlistAdmin, allowlistKey } from "../../src/state/allowlist.js";
import { expectRefusal, snapshot, type TestNodeOptions } from "./harness.js";
import {
  funded,
  htlc,
  offer,
  offerProposal,
  payment,
  PAYEE,
  paymentNode,
  receive,
  T0,
  testClock,
  testInvoice,
} from "./payments-fixtures.js";

/** What a case builds: the node, the channel the attempt touches (if any), the attempt. */
interface Attempt {
  node: Node;
  channel?: Channel;
  attempt: () => Promise<unknown>;
}

/** A case: `bad` changes the one thing that breaks the rule; `o` adds the filter. */
interface Case {
  id: RuleId;
  what: string;
  build: (bad: boolean, o: TestNodeOptions) => Promise<Attempt>;
}

const H = payment("rule").hash;
const HEIGHT = 800_000;

/** A forward: HTLC in on channel A, out on channel B with the same hash. */
async function route(
  o: TestNodeOptions,
  r: {
    incoming?: boolean;
    inMsat?: bigint;
    outMsat?: bigint;
    inCltv?: number;
    outCltv?: number;
    closeIncoming?: boolean;
  },
): Promise<Attempt> {
  const node = await paymentNode(testClock(), o);
  const a = await funded(node, "in");
  const b = await funded(node, "out");
  const inCltv = r.inCltv ?? HEIGHT + 200;
  if (r.incoming !== false)
    await receive(a, htlc(0, "received", H, r.inMsat ?? 1_001_000n, inCltv));
  if (r.closeIncoming === true) await a.channel.signHolderCommitment(1);
  const out = htlc(0, "offered", H, r.outMsat ?? 1_000_000n, r.outCltv ?? HEIGHT + 100);
  return { node, channel: b.channel, attempt: () => offer(b, out) };
}

/** An outgoing payment offered on a funded channel after `before` ran on the node. */
async function pay(
  o: TestNodeOptions,
  approver: Approver | null,
  amountMsat: bigint,
  before: (node: Node) => Promise<void> = async () => undefined,
): Promise<Attempt> {
  const node = await paymentNode(testClock(), { approver, ...o });
  const t = await funded(node, "pay");
  await before(node);
  const h = htlc(0, "offered", H, amountMsat, HEIGHT + 100);
  return { node, channel: t.channel, attempt: () => offer(t, h) };
}

/** An approval attempt on a fresh node. */
async function approval(
  o: TestNodeOptions,
  approver: Approver | null,
  attempt: (node: Node) => Promise<unknown>,
  clockMs = T0,
  before: (node: Node) => Promise<void> = async () => undefined,
): Promise<Attempt> {
  const node = await paymentNode(testClock(clockMs), { approver, ...o });
  await before(node);
  return { node, attempt: () => attempt(node) };
}

const CASES: Case[] = [
  {
    id: "policy-routing-balanced",
    what: "an offered HTLC with no incoming HTLC and no approved payment is refused",
    build: (bad, o) => route(o, { incoming: !bad }),
  },
  {
    id: "policy-routing-fee-limit",
    what: "forwarding more than we received (a negative fee) is refused",
    build: (bad, o) => route(o, { inMsat: 1_000_000n, outMsat: bad ? 1_000_001n : 1_000_000n }),
  },
  {
    id: "policy-routing-fee-limit",
    what: "a fee above base + proportional maximum is refused",
    build: (bad, o) => route(o, { inMsat: bad ? 2_010_001n : 2_010_000n, outMsat: 1_000_000n }),
  },
  {
    id: "policy-routing-cltv-delta",
    what: "an outgoing HTLC expiring less than the delta before the incoming one is refused",
    build: (bad, o) => route(o, { inCltv: HEIGHT + 200, outCltv: HEIGHT + (bad ? 190 : 182) }),
  },
  {
    id: "policy-routing-input-active",
    what: "routing against an incoming channel that is closing is refused",
    build: (bad, o) => route(o, { closeIncoming: bad }),
  },
  {
    id: "policy-no-routing",
    what: "the no-routing profile refuses a forward",
    build: (bad, o) => route({ ...o, config: { optionalRules: { "policy-no-routing": bad } } }, {}),
  },
  {
    id: "policy-commitment-payment-settled-preimage",
    what: "removing an offered HTLC as fulfilled without its preimage is refused",
    build: async (bad, o) => {
      const node = await paymentNode(testClock(), { approver: new ApproveAll(), ...o });
      const t = await funded(node, "settle");
      const h = htlc(0, "offered", H, 1_000_000n, HEIGHT + 100);
      await offer(t, h);
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      if (!bad) await node.addPreimage(payment("rule").preimage);
      const cur = t.channel.state.currentCounterparty!;
      // Fulfilled: the peer (owner of this commitment) is credited, we are not refunded.
      const cp = {
        commitmentNumber: 2,
        feeratePerKw: cur.feeratePerKw,
        toOwnerMsat: cur.toOwnerMsat + h.amountMsat,
        toOtherMsat: cur.toOtherMsat,
        htlcs: [],
      };
      return {
        node,
        channel: t.channel,
        attempt: () => t.channel.signCounterpartyCommitment(t.peer.point(2), cp),
      };
    },
  },
  {
    id: "policy-commitment-payment-invoiced",
    what: "offering more than the approved amount plus the fee limit is refused",
    build: (bad, o) =>
      pay(o, new ApproveAll(), bad ? 1_110_001n : 1_110_000n, (node) =>
        node.approveKeysend(PAYEE, H, 1_000_000n),
      ),
  },
  {
    id: "policy-commitment-payment-approved",
    what: "a keysend the approver refuses is not approved",
    build: (bad, o) =>
      approval(o, bad ? new RefuseAll() : new ApproveAll(), (node) =>
        node.approveKeysend(PAYEE, H, 1_000_000n),
      ),
  },
  {
    id: "policy-commitment-payment-allowlisted",
    what: "with the payee allowlist on, a payee not on it is refused",
    build: (bad, o) =>
      approval(
        { ...o, config: { optionalRules: { "policy-commitment-payment-allowlisted": true } } },
        new ApproveAll(),
        async (node) => {
          if (!bad)
            await AllowlistAdmin.open(node.store, allowlistKey(node.nodeId), "bitcoin").addPayee(
              PAYEE,
            );
          await node.approveKeysend(PAYEE, H, 1_000_000n);
        },
      ),
  },
  {
    id: "policy-invoice-not-expired",
    what: "approving an invoice after its expiry (node clock) is refused",
    build: (bad, o) =>
      approval(
        o,
        new ApproveAll(),
        (node) => node.approveInvoice(testInvoice(H, 1_000_000n, T0, 3600)),
        T0 + (bad ? 3600_000 : 3599_000),
      ),
  },
  {
    id: "policy-payment-not-duplicate",
    what: "approving a payment hash already approved for another payment is refused",
    build: (bad, o) =>
      approval(
        o,
        new ApproveAll(),
        // An identical repeat is a retry; another amount for the same hash is a second payment.
        (node) => node.approveKeysend(PAYEE, H, bad ? 2_000_000n : 1_000_000n),
        T0,
        (node) => node.approveKeysend(PAYEE, H, 1_000_000n),
      ),
  },
  {
    id: "policy-velocity-payments",
    what: "approvals beyond the per-window payments limit are refused",
    build: (bad, o) =>
      approval(
        { ...o, config: { velocityPaymentsLimitMsat: 1_000_000n } },
        new ApproveAll(),
        (node) => node.approveKeysend(PAYEE, H, bad ? 1_000_001n : 1_000_000n),
      ),
  },
  {
    id: "policy-velocity-payments",
    what: "an unannounced payment the approver grants with its commitment counts against the limit",
    build: (bad, o) =>
      pay(
        { ...o, config: { velocityPaymentsLimitMsat: 1_000_000n } },
        new ApproveAll(),
        bad ? 1_000_001n : 1_000_000n,
      ),
  },
  {
    id: "policy-commitment-payment-allowlisted",
    what: "with the payee allowlist on, an unannounced payment (payee unknown) is refused",
    build: (bad, o) =>
      pay(
        { ...o, config: { optionalRules: { "policy-commitment-payment-allowlisted": bad } } },
        new ApproveAll(),
        1_000_000n,
      ),
  },
  {
    id: "policy-commitment-payment-approved",
    what: "a payment whose approval the policy refused is not granted again as unannounced",
    build: (bad, o) =>
      pay(
        { ...o, config: { velocityPaymentsLimitMsat: 1_500_000n } },
        new ApproveAll(),
        1_000_000n,
        async (node) => {
          if (!bad) return;
          await assert.rejects(node.approveKeysend(PAYEE, H, 2_000_000n), /velocity/);
        },
      ),
  },
  {
    id: "policy-velocity-transferred",
    what: "offering more to peers than the per-window transferred limit is refused",
    build: (bad, o) =>
      pay(
        { ...o, config: { velocityTransferredLimitMsat: 1_000_000n } },
        new ApproveAll(),
        bad ? 1_000_001n : 1_000_000n,
      ),
  },
  {
    id: "policy-allowance-recurring",
    what: "a payment beyond its recurring allowance is refused",
    build: (bad, o) =>
      approval(
        o,
        new AllowanceApprover([
          { payeeNodeId: PAYEE, limitMsat: 1_000_000n, windowMs: 86_400_000 },
        ]),
        (node) => node.approveKeysend(PAYEE, H, bad ? 1_000_001n : 1_000_000n),
      ),
  },
  {
    id: "policy-merchant-no-sends",
    what: "the merchant profile refuses an outgoing payment",
    build: (bad, o) =>
      pay(
        { ...o, config: { optionalRules: { "policy-merchant-no-sends": bad } } },
        new ApproveAll(),
        1_000_000n,
      ),
  },
];

for (const k of CASES) {
  test(`${k.id}: ${k.what}`, async () => {
    const good = await k.build(false, {});
    await good.attempt();

    const bad = await k.build(true, {});
    const before = await snapshot(bad.node, bad.channel);
    await expectRefusal(bad.attempt(), k.id);
    assert.equal(await snapshot(bad.node, bad.channel), before, "a refusal changes nothing");

    const demoted = await k.build(true, { demote: [k.id] });
    await demoted.attempt();
    assert.equal(demoted.node.policy.warnings()[k.id], 1, "the demoted rule is counted once");
  });
}

test("policy-commitment-payment-approved: an HTLC for a payment the approver refused is refused", async () => {
  const node = await paymentNode(testClock(), { approver: new RefuseAll() });
  const t = await funded(node, "refused");
  await expectRefusal(
    node.approveKeysend(PAYEE, H, 1_000_000n),
    "policy-commitment-payment-approved",
  );
  const cp = offerProposal(t, htlc(0, "offered", H, 1_000_000n, HEIGHT + 100));
  const before = await snapshot(node, t.channel);
  await expectRefusal(
    t.channel.signCounterpartyCommitment(t.peer.point(1), cp),
    "policy-commitment-payment-approved",
  );
  assert.equal(await snapshot(node, t.channel), before);
});

test("policy-invoice-not-expired: an HTLC paying an approved invoice after its expiry is refused", async () => {
  const clock = testClock();
  const node = await paymentNode(clock, { approver: new ApproveAll() });
  const t = await funded(node, "late");
  await node.approveInvoice(testInvoice(H, 1_000_000n, T0, 60));
  clock.now = T0 + 61_000;
  const before = await snapshot(node, t.channel);
  await expectRefusal(
    offer(t, htlc(0, "offered", H, 1_000_000n, HEIGHT + 100)),
    "policy-invoice-not-expired",
  );
  assert.equal(await snapshot(node, t.channel), before);
});
