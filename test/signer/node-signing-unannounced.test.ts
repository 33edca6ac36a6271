/**
 * channel_updates of an unannounced channel (no channel_announcement ever signed) under its SCID
 * alias: signed only when the Node knows the channel's peer (NodeOptions.peerOf, as the Core
 * Lightning adapter sets it) and the direction bit is ours; without the peer, refused as before
 * (policy-gossip-own-channels).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Policy } from "../../src/policy/policy.js";
import { policyConfig } from "../../src/policy/config.js";
import { Node } from "../../src/signer/node.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { ApproveAll } from "../../src/payments/approver.js";
import { openTestChannel, testKeySource, expectRefusal } from "./harness.js";
import { gossipFixture, peerNodeId, updateMsg, verifiesOver } from "./node-signing-fixtures.js";

const ALIAS = Uint8Array.from([0xaa, 1, 2, 3, 4, 5, 6, 7]);

test("an unannounced channel's alias update is signed in our direction when the peer is known", async () => {
  const id = "private-chan";
  const peer = peerNodeId(id);
  const node = await Node.open({
    keys: testKeySource("holder"),
    store: new MemoryStore(),
    policy: new Policy({ config: policyConfig({}) }),
    approver: new ApproveAll(),
    peerOf: (c) => (c === id ? peer : undefined),
  });
  const t = await openTestChannel(node, id);
  await node.nodeSigner.bindScidAlias(id, ALIAS);
  const f = { node, t, signer: node.nodeSigner, peerNodeId: peer };
  const ourDirection = Buffer.compare(Buffer.from(node.nodeId), Buffer.from(peer)) < 0 ? 0 : 1;
  const fixture = { ...f, ourDirection: ourDirection as 0 | 1 };
  const msg = updateMsg(fixture, { shortChannelId: ALIAS });
  const sig = await node.nodeSigner.signChannelUpdate(id, msg);
  assert.ok(verifiesOver(sig, msg, 66, node.nodeId));
  await expectRefusal(
    node.nodeSigner.signChannelUpdate(
      id,
      updateMsg(fixture, { shortChannelId: ALIAS, channelFlags: 1 - ourDirection }),
    ),
    "policy-gossip-own-channels",
  );
});

test("without the peer, an unannounced channel's alias update stays refused", async () => {
  const f = await gossipFixture();
  await f.node.nodeSigner.bindScidAlias(f.t.channel.id, ALIAS);
  await expectRefusal(
    f.node.nodeSigner.signChannelUpdate(f.t.channel.id, updateMsg(f, { shortChannelId: ALIAS })),
    "policy-gossip-own-channels",
  );
});
