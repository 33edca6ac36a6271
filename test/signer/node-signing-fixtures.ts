/**
 * Fixtures for the node-level signing tests: a node with a set-up channel, the honest gossip
 * for it (announcement with our keys in the right slot, updates in our direction, our node
 * announcement), and verifiers independent of Warden's crypto (noble-curves ECDSA over a
 * sha256d computed with noble-hashes from hard-coded BOLT 7 offsets).
 */
import assert from "node:assert/strict";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  type ChannelAnnouncement,
  encodeChannelAnnouncement,
} from "../../src/bolt7/channel-announcement.js";
import { type ChannelUpdate, encodeChannelUpdate } from "../../src/bolt7/channel-update.js";
import { chainHash } from "../../src/bolt7/chain-hash.js";
import {
  type NodeAnnouncement,
  encodeNodeAnnouncement,
} from "../../src/bolt7/node-announcement.js";
import { encodeShortChannelId } from "../../src/bolt7/short-channel-id.js";
import { PolicyError } from "../../src/policy/errors.js";
import type { RuleId } from "../../src/policy/rule-ids.js";
import type { Node } from "../../src/signer/node.js";
import { NodeSigner, type NodeSignerOptions } from "../../src/signer/node-signer.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { openTestChannel, type TestChannel, testNode, type TestNodeOptions } from "./harness.js";

/** The peer's node id of the fixture channel `id` (noble-derived). */
export function peerNodeId(id: string): Uint8Array {
  return secp256k1.getPublicKey(sha256(Buffer.from(`peer node/${id}`)), true);
}

/** A node, a set-up channel on it, and the node's signer. */
export interface GossipFixture {
  node: Node;
  t: TestChannel;
  signer: NodeSigner;
  peerNodeId: Uint8Array;
  /** 0 when our node id sorts first (we are node_id_1), else 1. */
  ourDirection: 0 | 1;
}

/** A fresh node (options as testNode) with channel `id` set up and a NodeSigner over it. */
export async function gossipFixture(
  opts: TestNodeOptions = {},
  id = "gossip-chan",
  signerOptions: NodeSignerOptions = {},
): Promise<GossipFixture> {
  const node = await testNode(opts);
  const t = await openTestChannel(node, id);
  const peer = peerNodeId(id);
  const ourDirection = bytesToHex(node.nodeId) < bytesToHex(peer) ? 0 : 1;
  return { node, t, signer: new NodeSigner(node, signerOptions), peerNodeId: peer, ourDirection };
}

/** The short_channel_id of the fixture channel (block 800000, tx 7, the funding output). */
export function fixtureScid(f: GossipFixture, blockHeight = 800_000): Uint8Array {
  return encodeShortChannelId({
    blockHeight,
    txIndex: 7,
    outputIndex: f.t.setup.fundingOutpoint.vout,
  });
}

/** The honest channel_announcement fields (zero signatures) for the fixture channel. */
export function honestAnnouncement(f: GossipFixture): ChannelAnnouncement {
  const ours = { node: f.node.nodeId, key: f.t.channel.basepoints.fundingPubkey };
  const theirs = { node: f.peerNodeId, key: f.t.peer.keys.basepoints.fundingPubkey };
  const [one, two] = f.ourDirection === 0 ? [ours, theirs] : [theirs, ours];
  return {
    nodeSignature1: new Uint8Array(64),
    nodeSignature2: new Uint8Array(64),
    bitcoinSignature1: new Uint8Array(64),
    bitcoinSignature2: new Uint8Array(64),
    features: new Uint8Array(0),
    chainHash: chainHash("bitcoin"),
    shortChannelId: fixtureScid(f),
    nodeId1: one.node,
    nodeId2: two.node,
    bitcoinKey1: one.key,
    bitcoinKey2: two.key,
    extra: new Uint8Array(0),
  };
}

/** An encoded channel_announcement: the honest one with `over` applied. */
export function announcementMsg(
  f: GossipFixture,
  over: Partial<ChannelAnnouncement> = {},
): Uint8Array {
  return encodeChannelAnnouncement({ ...honestAnnouncement(f), ...over });
}

/** The honest channel_update (zero signature) in our direction for the fixture channel. */
export function honestUpdate(f: GossipFixture): ChannelUpdate {
  return {
    signature: new Uint8Array(64),
    chainHash: chainHash("bitcoin"),
    shortChannelId: fixtureScid(f),
    timestamp: 1_700_000_000,
    messageFlags: 1,
    channelFlags: f.ourDirection,
    cltvExpiryDelta: 80,
    htlcMinimumMsat: 1000n,
    feeBaseMsat: 1000,
    feeProportionalMillionths: 100,
    htlcMaximumMsat: 9_900_000_000n,
    extra: new Uint8Array(0),
  };
}

/** An encoded channel_update: the honest one with `over` applied. */
export function updateMsg(f: GossipFixture, over: Partial<ChannelUpdate> = {}): Uint8Array {
  return encodeChannelUpdate({ ...honestUpdate(f), ...over });
}

/** The honest node_announcement (zero signature) of `node`, with `over` applied, encoded. */
export function nodeAnnouncementMsg(node: Node, over: Partial<NodeAnnouncement> = {}): Uint8Array {
  return encodeNodeAnnouncement({
    signature: new Uint8Array(64),
    features: Uint8Array.of(0x08, 0xa0),
    timestamp: 1_700_000_000,
    nodeId: node.nodeId,
    rgbColor: Uint8Array.of(1, 2, 3),
    alias: Buffer.concat([Buffer.from("warden"), Buffer.alloc(26)]),
    addresses: Uint8Array.of(1, 127, 0, 0, 1, 0x26, 0x07),
    extra: new Uint8Array(0),
    ...over,
  });
}

/** sha256d(msg[offset..]) by noble-hashes. */
export function independentDigest(msg: Uint8Array, offset: number): Uint8Array {
  return sha256(sha256(msg.subarray(offset)));
}

/** True when `sig` (compact) by `pubkey` signs sha256d(msg[offset..]) (noble, low-S required). */
export function verifiesOver(
  sig: Uint8Array,
  msg: Uint8Array,
  offset: number,
  pubkey: Uint8Array,
): boolean {
  return secp256k1.verify(sig, independentDigest(msg, offset), pubkey, {
    prehash: false,
    lowS: true,
  });
}

/** Awaits `p` and checks it was refused by rule `ruleId` and by no other rule (for the reason `why`, if given). */
export async function refusedExactly(
  p: Promise<unknown>,
  ruleId: RuleId,
  why?: RegExp,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PolicyError, `expected PolicyError ${ruleId}, got ${String(e)}`);
    assert.equal(e.ruleId, ruleId, e.message);
    assert.deepEqual([...new Set(e.violations.map((v) => v.ruleId))], [ruleId], e.message);
    if (why !== undefined) assert.match(e.message, why);
    return true;
  });
}
