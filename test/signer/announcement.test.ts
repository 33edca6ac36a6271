import assert from "node:assert/strict";
import { test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { FormatError } from "../../src/errors.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { openTestChannel, testNode } from "./harness.js";
import { rejectsWith } from "./htlc-fixtures.js";

const PEER_NODE_ID = secp256k1.getPublicKey(sha256(Buffer.from("peer node")), true);

/** A BOLT 7 channel_announcement (type 256, zeroed signatures) with the given slots. */
function announcement(
  nodeId1: Uint8Array,
  nodeId2: Uint8Array,
  key1: Uint8Array,
  key2: Uint8Array,
  features = new Uint8Array(0),
): Uint8Array {
  return Uint8Array.from([
    0x01,
    0x00,
    ...new Uint8Array(4 * 64),
    features.length >> 8,
    features.length & 0xff,
    ...features,
    ...sha256(Buffer.from("chain")),
    ...[0, 0x0c, 0x35, 0x00, 0x00, 0x01, 0x00, 0x00], // block 800000, tx 1, output 0
    ...nodeId1,
    ...nodeId2,
    ...key1,
    ...key2,
  ]);
}

async function setup() {
  const node = await testNode();
  const t = await openTestChannel(node, "announced");
  const ours = { node: node.nodeId, key: t.channel.basepoints.fundingPubkey };
  const theirs = { node: PEER_NODE_ID, key: t.peer.keys.basepoints.fundingPubkey };
  const [first, second] =
    bytesToHex(ours.node) < bytesToHex(theirs.node) ? [ours, theirs] : [theirs, ours];
  return { t, first, second };
}

test("channel announcement: our funding key signs sha256d of the message from byte 258", async () => {
  const { t, first, second } = await setup();
  for (const features of [new Uint8Array(0), Uint8Array.of(1, 2, 3)]) {
    const msg = announcement(first.node, second.node, first.key, second.key, features);
    const sig = await t.channel.signChannelAnnouncement(msg);
    const digest = sha256(sha256(msg.subarray(2 + 4 * 64)));
    assert.ok(
      secp256k1.verify(sig, digest, t.channel.basepoints.fundingPubkey, { prehash: false }),
    );
  }
});

test("policy-gossip-own-channels: our funding key in the peer's slot", async () => {
  const { t, first, second } = await setup();
  const msg = announcement(first.node, second.node, second.key, first.key);
  await rejectsWith(t.channel.signChannelAnnouncement(msg), "policy-gossip-own-channels");
});

test("policy-gossip-own-channels: node ids out of order", async () => {
  const { t, first, second } = await setup();
  const msg = announcement(second.node, first.node, second.key, first.key);
  await rejectsWith(t.channel.signChannelAnnouncement(msg), "policy-gossip-own-channels");
});

test("policy-gossip-own-channels: the other bitcoin key is not the peer's funding key", async () => {
  const { t, first, second } = await setup();
  const ourKeyFirst = bytesToHex(first.key) === bytesToHex(t.channel.basepoints.fundingPubkey);
  const stranger = secp256k1.getPublicKey(sha256(Buffer.from("stranger")), true);
  const msg = ourKeyFirst
    ? announcement(first.node, second.node, first.key, stranger)
    : announcement(first.node, second.node, stranger, second.key);
  await rejectsWith(t.channel.signChannelAnnouncement(msg), "policy-gossip-own-channels");
});

test("policy-gossip-own-channels: our node id in neither slot", async () => {
  const { t, first, second } = await setup();
  const other = secp256k1.getPublicKey(sha256(Buffer.from("other node")), true);
  const ourFirst = bytesToHex(first.key) === bytesToHex(t.channel.basepoints.fundingPubkey);
  const [n1, n2] =
    bytesToHex(other) < bytesToHex(PEER_NODE_ID) ? [other, PEER_NODE_ID] : [PEER_NODE_ID, other];
  const msg = announcement(
    n1,
    n2,
    ourFirst ? first.key : second.key,
    ourFirst ? second.key : first.key,
  );
  await rejectsWith(t.channel.signChannelAnnouncement(msg), "policy-gossip-own-channels");
});

test("a message that is not a channel_announcement is a FormatError", async () => {
  const { t, first, second } = await setup();
  const msg = announcement(first.node, second.node, first.key, second.key);
  msg[1] = 0x02; // type 258 (channel_update)
  await assert.rejects(t.channel.signChannelAnnouncement(msg), FormatError);
  await assert.rejects(t.channel.signChannelAnnouncement(msg.subarray(0, 300)), FormatError);
});
