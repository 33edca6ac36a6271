/**
 * Two signer Nodes (as two processes would) over one Store: optimistic concurrency. A node
 * whose copy is stale never signs from it: a commit that loses the race, a plan that commits
 * nothing and a refusal made on the stale copy all reload and plan again, so the answer is the
 * one the stored state implies (the same bytes the other node gave, or the refusal the fresh
 * state calls for). Endless contention ends in ConcurrentUpdateError with nothing signed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApproveAll } from "../../src/payments/approver.js";
import { ConcurrentUpdateError, MAX_ATTEMPTS } from "../../src/signer/retry.js";
import type { Node } from "../../src/signer/node.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { StoreWrite } from "../../src/store/store.js";
import { bytesToHex } from "../../src/util/bytes.js";
import {
  expectRefusal,
  fundChannel,
  honestRound,
  nextCounterpartyProposal,
  nextHolderProposal,
  openTestChannel,
  peerSignsHolderCommitment,
  peerVerifiesCounterpartySigs,
  snapshot,
  type TestChannel,
  testNode,
} from "./harness.js";
import {
  htlc,
  offerProposal,
  payment,
  paymentNode,
  PAYEE,
  testClock,
} from "./payments-fixtures.js";

/** Channel `id` funded on a node over `store`, and a second node over the same store. */
async function twoWriters(
  id: string,
  store = new MemoryStore(),
): Promise<{ a: TestChannel; b: TestChannel; nodeB: Node; store: MemoryStore }> {
  const nodeA = await testNode({ store });
  const a = await openTestChannel(nodeA, id);
  await fundChannel(a);
  const nodeB = await testNode({ store });
  const b: TestChannel = { ...a, node: nodeB, channel: nodeB.channel(id) };
  return { a, b, nodeB, store };
}

test("a stale writer asked the same round gets the same signatures and secret, from storage", async () => {
  const { a, b, store } = await twoWriters("same-round");
  const cp = nextCounterpartyProposal(a);
  const h = nextHolderProposal(a);
  const fromA = await honestRound(a, cp, h);
  const stored = await snapshot(a.node);
  // B still holds commitment 0 as current; every request of the round is a retry for the store.
  const sigs = await b.channel.signCounterpartyCommitment(b.peer.point(1), cp);
  assert.equal(bytesToHex(sigs.signature), bytesToHex(fromA.counterpartySigs.signature));
  await b.channel.validateCounterpartyRevocation(0, b.peer.secret(0));
  await b.channel.validateHolderCommitment(h, peerSignsHolderCommitment(b, h));
  const secret = await b.channel.revokeHolderCommitment(0);
  assert.equal(bytesToHex(secret), bytesToHex(fromA.secret!));
  // B wrote nothing: it adopted A's state.
  assert.equal(await snapshot(a.node), stored);
  assert.equal(b.channel.version, (await store.get(b.node.channelKey("same-round")))?.version);
  assert.equal(b.channel.state.holderRevokedThrough, 0);
});

test("a stale writer's force close of a commitment the other writer revoked is refused", async () => {
  const { a, b } = await twoWriters("revoked-elsewhere");
  await honestRound(a, nextCounterpartyProposal(a), nextHolderProposal(a));
  const before = await snapshot(a.node);
  // B's copy says 0 is current and unrevoked: its plan would sign; the commit loses the race.
  assert.equal(b.channel.state.holderRevokedThrough, -1);
  await expectRefusal(b.channel.signHolderCommitment(0), "policy-commitment-holder-not-revoked");
  assert.equal(await snapshot(a.node), before);
  assert.equal(b.channel.state.holderRevokedThrough, 0);
});

test("a stale writer's revocation after the other writer signed a force close is refused", async () => {
  const { a, b } = await twoWriters("closed-elsewhere");
  const cp = nextCounterpartyProposal(a);
  await a.channel.signCounterpartyCommitment(a.peer.point(1), cp);
  await a.channel.validateCounterpartyRevocation(0, a.peer.secret(0));
  const h = nextHolderProposal(a);
  await a.channel.validateHolderCommitment(h, peerSignsHolderCommitment(a, h));
  // B learns commitment 1 (its copy is fresh now), then A signs 1 for broadcast.
  await b.channel.validateHolderCommitment(h, peerSignsHolderCommitment(b, h));
  await a.channel.signHolderCommitment(1);
  const before = await snapshot(a.node);
  await expectRefusal(b.channel.revokeHolderCommitment(0), "policy-revoke-not-closed");
  assert.equal(await snapshot(a.node), before);
  assert.equal(b.channel.phase, "closing");
});

test("two writers racing on one request: one commit, both get the same bytes", async () => {
  const { a, b, store } = await twoWriters("racing");
  const cp = nextCounterpartyProposal(a);
  let commits = 0;
  const commit = store.commit.bind(store);
  store.commit = async (writes: readonly StoreWrite[]) => {
    // Yield first, so both writers plan on the same (old) version before either commits.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const v = await commit(writes);
    commits++;
    return v;
  };
  const [x, y] = await Promise.all([
    a.channel.signCounterpartyCommitment(a.peer.point(1), cp),
    b.channel.signCounterpartyCommitment(b.peer.point(1), cp),
  ]);
  assert.equal(commits, 1);
  assert.equal(bytesToHex(x.signature), bytesToHex(y.signature));
  assert.ok(peerVerifiesCounterpartySigs(a, cp, x));
  // Different content for the same number by the loser of a race: refused after the reload.
  const other = { ...nextCounterpartyProposal(b), commitmentNumber: 1, feeratePerKw: 3000 };
  await expectRefusal(
    b.channel.signCounterpartyCommitment(b.peer.point(1), other),
    "policy-commitment-retry-same",
  );
});

test("a refusal made on a stale copy is planned again on the stored state", async () => {
  const { a, b } = await twoWriters("stale-refusal");
  await honestRound(a, nextCounterpartyProposal(a), nextHolderProposal(a));
  // For B's copy, counterparty commitment 2 is out of order (it expects 1): reload, then sign.
  const cp2 = nextCounterpartyProposal(a);
  const sigs = await b.channel.signCounterpartyCommitment(b.peer.point(2), cp2);
  assert.ok(peerVerifiesCounterpartySigs(b, cp2, sigs));
  assert.equal(b.channel.state.nextCounterpartyCommitNum, 3);
  // And A, stale in turn, refuses a changed commitment 2 with the rule of the fresh state.
  await expectRefusal(
    a.channel.signCounterpartyCommitment(a.peer.point(2), { ...cp2, feeratePerKw: 3000 }),
    "policy-commitment-retry-same",
  );
});

/** A store where another writer changes the channel record just before each of our commits. */
class ContendedStore extends MemoryStore {
  contendKey: string | undefined;
  attempts = 0;
  override async commit(writes: readonly StoreWrite[]): Promise<number[]> {
    const key = this.contendKey;
    if (key !== undefined && writes.some((w) => w.key === key)) {
      this.attempts++;
      const cur = (await this.get(key))!;
      await super.commit([{ key, value: cur.value, expectedVersion: cur.version }]);
    }
    return super.commit(writes);
  }
}

test("endless contention ends in ConcurrentUpdateError after MAX_ATTEMPTS, nothing signed", async () => {
  const store = new ContendedStore();
  const { a } = await twoWriters("contended", store);
  const cp = nextCounterpartyProposal(a);
  store.contendKey = a.node.channelKey("contended");
  await assert.rejects(
    a.channel.signCounterpartyCommitment(a.peer.point(1), cp),
    (e: unknown) => e instanceof ConcurrentUpdateError && e.attempts === MAX_ATTEMPTS,
  );
  assert.equal(store.attempts, MAX_ATTEMPTS);
  assert.equal(a.channel.state.nextCounterpartyCommitNum, 1);
  // Once the other writer stops, the same request goes through.
  store.contendKey = undefined;
  const sigs = await a.channel.signCounterpartyCommitment(a.peer.point(1), cp);
  assert.ok(peerVerifiesCounterpartySigs(a, cp, sigs));
});

test("ledger records another writer committed are reloaded before a payment is refused", async () => {
  const clock = testClock();
  const store = new MemoryStore();
  const nodeA = await paymentNode(clock, { store, approver: new ApproveAll() });
  const nodeB = await paymentNode(clock, { store });
  const a = await openTestChannel(nodeA, "paying", { pushMsat: 3_000_000_000n });
  await fundChannel(a);
  await nodeB.newChannel("paying");
  const b: TestChannel = { ...a, node: nodeB, channel: nodeB.channel("paying") };
  // A approves the keysend; B's ledger cache never saw it (and B has no approver).
  const { hash } = payment("shared");
  await nodeA.approveKeysend(PAYEE, hash, 1_000_000n);
  assert.equal(nodeB.payments.record(hash), undefined);
  const cp = offerProposal(b, htlc(0, "offered", hash, 1_000_000n, 800_100));
  const sigs = await b.channel.signCounterpartyCommitment(b.peer.point(1), cp);
  assert.ok(peerVerifiesCounterpartySigs(b, cp, sigs));
  assert.notEqual(nodeB.payments.record(hash)?.approval, undefined);
  assert.equal(nodeB.payments.record(hash)?.htlcs.length, 1);
  // A, whose ledger and channel copies are now stale, gets the same answer as a retry.
  const again = await a.channel.signCounterpartyCommitment(a.peer.point(1), cp);
  assert.equal(bytesToHex(again.signature), bytesToHex(sigs.signature));
});

test("a channel id forgotten by one writer is never created again by another", async () => {
  const store = new MemoryStore();
  const nodeA = await testNode({ store });
  const nodeB = await testNode({ store });
  const t = await openTestChannel(nodeA, "gone");
  await fundChannel(t);
  await t.channel.signHolderCommitment(0);
  await nodeA.forgetChannel("gone");
  // B loaded its node record before the forget: it reads it afresh before creating.
  await expectRefusal(nodeB.newChannel("gone"), "policy-channel-id-reuse");
  // A forget retried (its reply lost) succeeds without a change.
  const before = await snapshot(nodeA);
  await nodeA.forgetChannel("gone");
  assert.equal(await snapshot(nodeA), before);
});

test("a per-commitment point beyond a stale copy's horizon is decided on the stored state", async () => {
  const { a, b } = await twoWriters("points");
  await honestRound(a, nextCounterpartyProposal(a), nextHolderProposal(a));
  // For B's copy the next holder commitment is 1, so point 4 looks too far; the store says 2.
  const point = await b.channel.getPerCommitmentPoint(4);
  assert.equal(bytesToHex(point), bytesToHex(await a.channel.getPerCommitmentPoint(4)));
  await assert.rejects(b.channel.getPerCommitmentPoint(5), /state\/point-too-far/);
});
