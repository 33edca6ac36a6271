import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeState } from "../../src/state/codec.js";
import { MemoryStore } from "../../src/store/memory-store.js";
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
  testHtlc,
  testNode,
} from "./harness.js";

test("a node reopened over the same store carries on exactly where it stopped", async () => {
  const store = new MemoryStore();
  const node = await testNode({ store });
  const t = await openTestChannel(node, "persisted");
  await fundChannel(t);
  const htlc = testHtlc(7, "offered", 20_000_000n);
  const cp = nextCounterpartyProposal(t);
  const h = nextHolderProposal(t);
  await honestRound(
    t,
    {
      ...cp,
      toOtherMsat: cp.toOtherMsat - 20_000_000n,
      htlcs: [{ ...htlc, direction: "received" }],
    },
    { ...h, toOwnerMsat: h.toOwnerMsat - 20_000_000n, htlcs: [htlc] },
  );
  const before = bytesToHex(encodeState(t.channel.state));

  // A new process: same store, same keys.
  const reopened = await testNode({ store });
  assert.deepEqual(reopened.channelIds(), ["persisted"]);
  assert.equal(reopened.openChannelCount, 1);
  const channel = reopened.channel("persisted");
  assert.equal(bytesToHex(encodeState(channel.state)), before);
  const t2 = { ...t, node: reopened, channel };

  // Revocation rules still hold after the reload: commitment 1 is current, 0 revoked.
  await expectRefusal(channel.revokeHolderCommitment(1), "policy-revoke-new-commitment-signed");
  await expectRefusal(channel.signHolderCommitment(0), "policy-commitment-holder-not-revoked");
  // And the channel goes on: another round, signatures valid for the peer.
  const cp2 = nextCounterpartyProposal(t2);
  const r = await honestRound(t2, cp2, nextHolderProposal(t2));
  assert.ok(peerVerifiesCounterpartySigs(t2, cp2, r.counterpartySigs));
  assert.equal(channel.state.nextHolderCommitNum, 3);
  assert.equal(channel.state.counterpartyRevokedThrough, 1);
});

test("one process hosts several nodes over one store without mixing their channels", async () => {
  const store = new MemoryStore();
  const alice = await testNode({ store, label: "alice" });
  const bob = await testNode({ store, label: "bob" });
  assert.notEqual(bytesToHex(alice.nodeId), bytesToHex(bob.nodeId));
  const ta = await openTestChannel(alice, "same-id");
  const tb = await openTestChannel(bob, "same-id");
  await fundChannel(ta);
  await fundChannel(tb);
  // Same channel id, different nodes: different keys and independent state.
  assert.notEqual(
    bytesToHex(ta.channel.basepoints.fundingPubkey),
    bytesToHex(tb.channel.basepoints.fundingPubkey),
  );
  await honestRound(ta, nextCounterpartyProposal(ta), nextHolderProposal(ta));
  assert.equal(ta.channel.state.nextHolderCommitNum, 2);
  assert.equal(tb.channel.state.nextHolderCommitNum, 1);
  const aliceAgain = await testNode({ store, label: "alice" });
  assert.equal(aliceAgain.channel("same-id").state.nextHolderCommitNum, 2);
  const bobAgain = await testNode({ store, label: "bob" });
  assert.equal(bobAgain.channel("same-id").state.nextHolderCommitNum, 1);
});

test("a crash between commit and reply loses the reply, not the revocation", async () => {
  const store = new MemoryStore();
  const node = await testNode({ store });
  const t = await openTestChannel(node, "crashy");
  await fundChannel(t);
  const cp = nextCounterpartyProposal(t);
  await t.channel.signCounterpartyCommitment(t.peer.point(cp.commitmentNumber), cp);
  await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
  const h = nextHolderProposal(t);
  await t.channel.validateHolderCommitment(h, peerSignsHolderCommitment(t, h));
  store.failNextCommit(new Error("power cut"), "after-write");
  await assert.rejects(t.channel.revokeHolderCommitment(0), /power cut/);
  // After restart the revocation is on record: commitment 0 can never be signed for broadcast.
  const restarted = await testNode({ store });
  const channel = restarted.channel("crashy");
  assert.equal(channel.state.holderRevokedThrough, 0);
  await expectRefusal(channel.signHolderCommitment(0), "policy-commitment-holder-not-revoked");
  // The retried request returns the same secret without a new state change.
  const v = channel.version;
  const secret = await channel.revokeHolderCommitment(0);
  assert.equal(secret.length, 32);
  assert.equal(channel.version, v);
});

test("life cycle ends closing → closed → forgotten, and a forgotten id is never reused", async () => {
  const node = await testNode();
  const t = await openTestChannel(node, "short-lived");
  await fundChannel(t);
  await assert.rejects(t.channel.markClosed(), /state\/not-closing/);
  await t.channel.signHolderCommitment(0);
  assert.equal(t.channel.phase, "closing");
  assert.equal(node.openChannelCount, 1);
  await t.channel.markClosed();
  assert.equal(t.channel.phase, "closed");
  assert.equal(node.openChannelCount, 0);
  await t.channel.markClosed(); // idempotent
  assert.equal(node.openChannelCount, 0);
  await node.forgetChannel("short-lived");
  assert.deepEqual(node.channelIds(), []);
  assert.equal(node.openChannelCount, 0);
  await expectRefusal(node.newChannel("short-lived"), "policy-channel-id-reuse");
});
