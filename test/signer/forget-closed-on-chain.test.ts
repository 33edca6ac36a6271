/**
 * Node.forgetChannel with `closedOnChain` (used by the Core Lightning adapter when the peer's
 * commitment spent the funding output): an operating channel is forgotten only with the flag,
 * the open-channel count stays exact (a channel never set up was never counted), and the id is
 * never reused.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { expectRefusal, fundChannel, openTestChannel, testNode } from "./harness.js";

test("an operating channel is forgotten only when closed on chain; its id is never reused", async () => {
  const node = await testNode();
  const t = await openTestChannel(node, "peer-closed");
  await fundChannel(t);
  assert.equal(node.openChannelCount, 1);
  await assert.rejects(node.forgetChannel("peer-closed"), /state\/not-closed/);
  assert.deepEqual(node.channelIds(), ["peer-closed"]);
  assert.equal(node.openChannelCount, 1);
  await node.forgetChannel("peer-closed", { closedOnChain: true });
  assert.deepEqual(node.channelIds(), []);
  assert.equal(node.openChannelCount, 0);
  await expectRefusal(node.newChannel("peer-closed"), "policy-channel-id-reuse");
});

test("a channel never set up is forgotten without changing the open-channel count", async () => {
  const node = await testNode();
  await openTestChannel(node, "kept");
  await node.newChannel("never-set-up");
  assert.equal(node.openChannelCount, 1);
  await node.forgetChannel("never-set-up", { closedOnChain: true });
  assert.equal(node.openChannelCount, 1);
  assert.deepEqual(node.channelIds(), ["kept"]);
});
