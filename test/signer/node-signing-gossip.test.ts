import assert from "node:assert/strict";
import { test } from "node:test";
import { chainHash } from "../../src/bolt7/chain-hash.js";
import { encodeShortChannelId } from "../../src/bolt7/short-channel-id.js";
import { FormatError } from "../../src/errors.js";
import { PolicyConfigError } from "../../src/policy/errors.js";
import { parsePolicyFilter } from "../../src/policy/filter.js";
import { Node } from "../../src/signer/node.js";
import { NodeSigner } from "../../src/signer/node-signer.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { openTestChannel, snapshot, testNode } from "./harness.js";
import {
  announcementMsg,
  fixtureScid,
  gossipFixture,
  type GossipFixture,
  honestAnnouncement,
  nodeAnnouncementMsg,
  refusedExactly,
  updateMsg,
  verifiesOver,
} from "./node-signing-fixtures.js";

const RULE = "policy-gossip-own-channels";
const CA_OFFSET = 2 + 4 * 64;
const SIGNED_OFFSET = 2 + 64;

/** A fixture whose channel's SCID is already bound by a signed announcement. */
async function announced(label?: string): Promise<GossipFixture> {
  const f = await gossipFixture(label === undefined ? {} : { label });
  await f.signer.signChannelAnnouncementNode(f.t.channel.id, announcementMsg(f));
  return f;
}

/** Runs `attempt`, checks it is refused by exactly RULE and that the store did not change. */
async function refusedUnchanged(
  f: GossipFixture,
  why: RegExp,
  attempt: () => Promise<unknown>,
): Promise<void> {
  const before = await snapshot(f.node, f.t.channel);
  await refusedExactly(attempt(), RULE, why);
  assert.equal(await snapshot(f.node, f.t.channel), before);
  assert.deepEqual(f.node.policy.warnings(), {});
}

// ---- Positive: every signature verified independently. ----

test("node announcement: the node key signs sha256d of the message after the signature", async () => {
  const node = await testNode();
  const signer = new NodeSigner(node);
  for (const extra of [new Uint8Array(0), Uint8Array.of(1, 2, 3)]) {
    const msg = nodeAnnouncementMsg(node, { extra });
    const sig = await signer.signNodeAnnouncement(msg);
    assert.ok(verifiesOver(sig, msg, SIGNED_OFFSET, node.nodeId));
  }
});

test("channel announcement: node and funding signatures verify; the SCID is bound and persisted", async () => {
  const covered = new Set<number>();
  for (const label of ["holder", "n1", "n2", "n3", "n4", "n5"]) {
    const f = await gossipFixture({ label });
    covered.add(f.ourDirection);
    const msg = announcementMsg(f, { features: Uint8Array.of(0x01), extra: Uint8Array.of(9) });
    const sigs = await f.signer.signChannelAnnouncement(f.t.channel.id, msg);
    assert.ok(verifiesOver(sigs.nodeSignature, msg, CA_OFFSET, f.node.nodeId));
    assert.ok(
      verifiesOver(sigs.bitcoinSignature, msg, CA_OFFSET, f.t.channel.basepoints.fundingPubkey),
    );
    const binding = await f.signer.binding(f.t.channel.id);
    assert.equal(bytesToHex(binding!.shortChannelId), bytesToHex(fixtureScid(f)));
    assert.equal(binding!.direction, f.ourDirection);
    const keys = await f.node.store.list(`node/${bytesToHex(f.node.nodeId)}/gossip/`);
    assert.deepEqual(
      keys.sort(),
      [f.signer.bindingKey(f.t.channel.id), f.signer.scidOwnerKey(fixtureScid(f))].sort(),
    );
    // A retry of the same announcement signs again, identically.
    const again = await f.signer.signChannelAnnouncementNode(f.t.channel.id, msg);
    assert.equal(bytesToHex(again), bytesToHex(sigs.nodeSignature));
    // The update in our direction, enabled and disabled, verifies.
    for (const channelFlags of [f.ourDirection, f.ourDirection | 2]) {
      const cu = updateMsg(f, { channelFlags });
      const sig = await f.signer.signChannelUpdate(f.t.channel.id, cu);
      assert.ok(verifiesOver(sig, cu, SIGNED_OFFSET, f.node.nodeId));
    }
  }
  assert.deepEqual([...covered].sort(), [0, 1], "both slots exercised");
});

test("the SCID binding survives a restart: a reopened node's signer enforces it", async () => {
  const store = new MemoryStore();
  const f = await gossipFixture({ store });
  await f.signer.signChannelAnnouncementNode(f.t.channel.id, announcementMsg(f));
  const reopened = await testNode({ store });
  const signer = reopened.nodeSigner;
  assert.equal(reopened.nodeSigner, signer, "one NodeSigner per Node");
  const cu = updateMsg(f);
  assert.ok(
    verifiesOver(
      await signer.signChannelUpdate(f.t.channel.id, cu),
      cu,
      SIGNED_OFFSET,
      f.node.nodeId,
    ),
  );
  await refusedExactly(
    signer.signChannelUpdate(
      f.t.channel.id,
      updateMsg(f, { shortChannelId: fixtureScid(f, 800_001) }),
    ),
    RULE,
  );
});

test("malformed gossip is a FormatError, not a signature", async () => {
  const f = await announced();
  const ca = announcementMsg(f);
  await assert.rejects(
    f.signer.signChannelAnnouncementNode(f.t.channel.id, ca.subarray(0, 300)),
    FormatError,
  );
  await assert.rejects(
    f.signer.signChannelUpdate(f.t.channel.id, updateMsg(f).subarray(0, 100)),
    FormatError,
  );
  await assert.rejects(f.signer.signChannelUpdate(f.t.channel.id, ca), FormatError);
  await assert.rejects(f.signer.signNodeAnnouncement(updateMsg(f)), FormatError);
});

// ---- Negative: each changes one thing of a valid request; exactly policy-gossip-own-channels. ----

test("policy-gossip-own-channels: node_announcement for another node id", async () => {
  const f = await gossipFixture();
  const other = await testNode({ label: "someone-else" });
  await refusedUnchanged(f, /not ours/, () =>
    f.signer.signNodeAnnouncement(nodeAnnouncementMsg(f.node, { nodeId: other.nodeId })),
  );
});

test("policy-gossip-own-channels: channel_announcement naming a channel the node does not have", async () => {
  const f = await gossipFixture();
  await refusedUnchanged(f, /does not have/, () =>
    f.signer.signChannelAnnouncementNode("no-such-channel", announcementMsg(f)),
  );
});

test("policy-gossip-own-channels: channel_announcement for a channel not set up", async () => {
  const f = await gossipFixture();
  await f.node.newChannel("bare");
  await refusedUnchanged(f, /does not have/, () =>
    f.signer.signChannelAnnouncementNode("bare", announcementMsg(f)),
  );
});

test("policy-gossip-own-channels: channel_announcement with our funding key in the peer's slot", async () => {
  const f = await gossipFixture();
  const a = honestAnnouncement(f);
  await refusedUnchanged(f, /is not our funding key/, () =>
    f.signer.signChannelAnnouncementNode(
      f.t.channel.id,
      announcementMsg(f, { bitcoinKey1: a.bitcoinKey2, bitcoinKey2: a.bitcoinKey1 }),
    ),
  );
});

test("policy-gossip-own-channels: channel_announcement with node ids out of order", async () => {
  const f = await gossipFixture();
  const a = honestAnnouncement(f);
  await refusedUnchanged(f, /lexicographically/, () =>
    f.signer.signChannelAnnouncementNode(
      f.t.channel.id,
      announcementMsg(f, {
        nodeId1: a.nodeId2,
        nodeId2: a.nodeId1,
        bitcoinKey1: a.bitcoinKey2,
        bitcoinKey2: a.bitcoinKey1,
      }),
    ),
  );
});

test("policy-gossip-own-channels: channel_announcement whose other bitcoin key is not the peer's", async () => {
  const f = await gossipFixture();
  const stranger = (await testNode({ label: "stranger" })).nodeId;
  const over = f.ourDirection === 0 ? { bitcoinKey2: stranger } : { bitcoinKey1: stranger };
  await refusedUnchanged(f, /is not the peer's funding key/, () =>
    f.signer.signChannelAnnouncementNode(f.t.channel.id, announcementMsg(f, over)),
  );
});

test("policy-gossip-own-channels: channel_announcement with our node id in neither slot", async () => {
  const f = await gossipFixture();
  const other = (await testNode({ label: "other-node" })).nodeId;
  const over = f.ourDirection === 0 ? { nodeId1: other } : { nodeId2: other };
  // Keep the slots in node-id order so only the missing node id is wrong.
  const a = { ...honestAnnouncement(f), ...over };
  const ordered = bytesToHex(a.nodeId1) < bytesToHex(a.nodeId2);
  if (!ordered) {
    Object.assign(over, {
      nodeId1: a.nodeId2,
      nodeId2: a.nodeId1,
      bitcoinKey1: a.bitcoinKey2,
      bitcoinKey2: a.bitcoinKey1,
    });
  }
  await refusedUnchanged(f, /neither node_id slot/, () =>
    f.signer.signChannelAnnouncementNode(f.t.channel.id, announcementMsg(f, over)),
  );
});

test("policy-gossip-own-channels: channel_announcement for another chain", async () => {
  const f = await gossipFixture();
  await refusedUnchanged(f, /another chain/, () =>
    f.signer.signChannelAnnouncementNode(
      f.t.channel.id,
      announcementMsg(f, { chainHash: chainHash("testnet") }),
    ),
  );
});

test("policy-gossip-own-channels: channel_announcement whose SCID names another output", async () => {
  const f = await gossipFixture();
  const scid = encodeShortChannelId({
    blockHeight: 800_000,
    txIndex: 7,
    outputIndex: f.t.setup.fundingOutpoint.vout + 1,
  });
  await refusedUnchanged(f, /names output/, () =>
    f.signer.signChannelAnnouncementNode(
      f.t.channel.id,
      announcementMsg(f, { shortChannelId: scid }),
    ),
  );
});

test("policy-gossip-own-channels: channel_announcement with another SCID than the bound one", async () => {
  const f = await announced();
  await refusedUnchanged(f, /was announced as/, () =>
    f.signer.signChannelAnnouncementNode(
      f.t.channel.id,
      announcementMsg(f, { shortChannelId: fixtureScid(f, 800_001) }),
    ),
  );
});

test("policy-gossip-own-channels: channel_announcement reusing an SCID bound to another channel", async () => {
  const f = await announced();
  const other = await openTestChannel(f.node, "second-chan");
  const g: GossipFixture = { ...f, t: other, peerNodeId: f.peerNodeId };
  const a = honestAnnouncement(g); // same SCID as the first channel's, second channel's keys
  const before = await snapshot(f.node);
  await refusedExactly(
    f.signer.signChannelAnnouncementNode("second-chan", announcementMsg(g, a)),
    RULE,
    /is bound to another channel/,
  );
  assert.equal(await snapshot(f.node), before);
});

test("policy-gossip-own-channels: channel_announcement moving us to the other slot after binding", async () => {
  const f = await announced();
  // A fake peer node id on the other side of ours flips our slot; keys follow so the slot check passes.
  const fake =
    f.ourDirection === 0
      ? Uint8Array.of(2, ...new Uint8Array(32))
      : Uint8Array.of(3, ...new Uint8Array(32).fill(0xff));
  const ours = { node: f.node.nodeId, key: f.t.channel.basepoints.fundingPubkey };
  const theirs = { node: fake, key: f.t.peer.keys.basepoints.fundingPubkey };
  const [one, two] = f.ourDirection === 0 ? [theirs, ours] : [ours, theirs];
  await refusedUnchanged(f, /was announced with us as/, () =>
    f.signer.signChannelAnnouncementNode(
      f.t.channel.id,
      announcementMsg(f, {
        nodeId1: one.node,
        nodeId2: two.node,
        bitcoinKey1: one.key,
        bitcoinKey2: two.key,
      }),
    ),
  );
});

test("policy-gossip-own-channels: channel_update before any announcement bound the SCID", async () => {
  const f = await gossipFixture();
  await refusedUnchanged(f, /no signed channel_announcement/, () =>
    f.signer.signChannelUpdate(f.t.channel.id, updateMsg(f)),
  );
});

test("policy-gossip-own-channels: channel_update naming a channel the node does not have", async () => {
  const f = await announced();
  await refusedUnchanged(f, /does not have/, () =>
    f.signer.signChannelUpdate("no-such-channel", updateMsg(f)),
  );
});

test("policy-gossip-own-channels: channel_update with another SCID than the bound one", async () => {
  const f = await announced();
  await refusedUnchanged(f, /is 800000x7x0, not 799999x7x0/, () =>
    f.signer.signChannelUpdate(
      f.t.channel.id,
      updateMsg(f, { shortChannelId: fixtureScid(f, 799_999) }),
    ),
  );
});

test("policy-gossip-own-channels: channel_update in the peer's direction", async () => {
  const f = await announced();
  await refusedUnchanged(f, /direction bit/, () =>
    f.signer.signChannelUpdate(f.t.channel.id, updateMsg(f, { channelFlags: f.ourDirection ^ 1 })),
  );
});

test("policy-gossip-own-channels: channel_update for another chain", async () => {
  const f = await announced();
  await refusedUnchanged(f, /another chain/, () =>
    f.signer.signChannelUpdate(f.t.channel.id, updateMsg(f, { chainHash: chainHash("signet") })),
  );
});

test("policy-gossip-own-channels: a format rule, so no filter can demote it", async () => {
  assert.throws(() => parsePolicyFilter([RULE]), PolicyConfigError);
  const f = await gossipFixture({ demote: ["policy-*"] });
  await refusedUnchanged(f, /no signed channel_announcement/, () =>
    f.signer.signChannelUpdate(f.t.channel.id, updateMsg(f)),
  );
});

test("node signer over a node opened directly: the getter shares the node's policy and store", async () => {
  const store = new MemoryStore();
  const f = await gossipFixture({ store });
  const node = await Node.open({ keys: f.node.keys, store });
  const sig = await node.nodeSigner.signNodeAnnouncement(nodeAnnouncementMsg(node));
  assert.ok(verifiesOver(sig, nodeAnnouncementMsg(node), SIGNED_OFFSET, node.nodeId));
});

// ---- SCID aliases (option_scid_alias): node-chosen, kept one-to-one and capped. ----

const ALIAS = encodeShortChannelId({ blockHeight: 0xabcdef, txIndex: 0x123456, outputIndex: 7 });

test("SCID alias: a bound alias signs updates in our direction; binding is idempotent", async () => {
  const f = await announced();
  await f.signer.bindScidAlias(f.t.channel.id, ALIAS);
  await f.signer.bindScidAlias(f.t.channel.id, ALIAS);
  const cu = updateMsg(f, { shortChannelId: ALIAS });
  const sig = await f.signer.signChannelUpdate(f.t.channel.id, cu);
  assert.ok(verifiesOver(sig, cu, SIGNED_OFFSET, f.node.nodeId));
  await refusedExactly(
    f.signer.signChannelUpdate(
      f.t.channel.id,
      updateMsg(f, { shortChannelId: ALIAS, channelFlags: f.ourDirection ^ 1 }),
    ),
    RULE,
    /direction bit/,
  );
});

test("policy-gossip-own-channels: SCID alias already bound to another channel", async () => {
  const f = await announced();
  await openTestChannel(f.node, "second-chan");
  await f.signer.bindScidAlias("second-chan", ALIAS);
  await refusedUnchanged(f, /is bound to another channel/, () =>
    f.signer.bindScidAlias(f.t.channel.id, ALIAS),
  );
});

test("policy-gossip-own-channels: SCID alias that is another channel's announced SCID", async () => {
  const f = await announced();
  await openTestChannel(f.node, "second-chan");
  await refusedUnchanged(f, /is bound to another channel/, () =>
    f.signer.bindScidAlias("second-chan", fixtureScid(f)),
  );
});

test("policy-gossip-own-channels: SCID alias for a channel the node does not have", async () => {
  const f = await announced();
  await refusedUnchanged(f, /does not have/, () =>
    f.signer.bindScidAlias("no-such-channel", ALIAS),
  );
});

test("policy-gossip-own-channels: one SCID alias more than the cap", async () => {
  const node = await testNode();
  const t = await openTestChannel(node, "capped");
  const signer = new NodeSigner(node, { maxScidAliases: 2 });
  const alias = (i: number) =>
    encodeShortChannelId({ blockHeight: 0xfff000 + i, txIndex: 1, outputIndex: 0 });
  await signer.bindScidAlias(t.channel.id, alias(1));
  await signer.bindScidAlias(t.channel.id, alias(2));
  const before = await snapshot(node);
  await refusedExactly(signer.bindScidAlias(t.channel.id, alias(3)), RULE, /at most 2/);
  assert.equal(await snapshot(node), before);
});

test("policy-gossip-own-channels: channel_update under another channel's alias", async () => {
  const f = await announced();
  await openTestChannel(f.node, "second-chan");
  await f.signer.bindScidAlias("second-chan", ALIAS);
  await refusedUnchanged(f, /nor is that an alias/, () =>
    f.signer.signChannelUpdate(f.t.channel.id, updateMsg(f, { shortChannelId: ALIAS })),
  );
});

// ---- Unannounced channels: the real SCID bound from the caller's chain view. ----

test("unannounced SCID: binding lets channel_updates be signed; idempotent; survives a reopen", async () => {
  const f = await gossipFixture();
  const scid = fixtureScid(f);
  await f.signer.bindUnannouncedScid(f.t.channel.id, scid, f.ourDirection);
  await f.signer.bindUnannouncedScid(f.t.channel.id, scid, f.ourDirection);
  const cu = updateMsg(f, { shortChannelId: scid });
  assert.ok(
    verifiesOver(
      await f.signer.signChannelUpdate(f.t.channel.id, cu),
      cu,
      SIGNED_OFFSET,
      f.node.nodeId,
    ),
  );
  const again = new NodeSigner(f.node);
  assert.ok(
    verifiesOver(
      await again.signChannelUpdate(f.t.channel.id, cu),
      cu,
      SIGNED_OFFSET,
      f.node.nodeId,
    ),
  );
  await refusedExactly(
    f.signer.signChannelUpdate(
      f.t.channel.id,
      updateMsg(f, { shortChannelId: scid, channelFlags: f.ourDirection ^ 1 }),
    ),
    RULE,
    /direction bit/,
  );
});

test("policy-gossip-own-channels: unannounced SCID naming another output, rebinding, another channel's SCID", async () => {
  const f = await gossipFixture();
  const vout = f.t.setup.fundingOutpoint.vout;
  const wrongOutput = encodeShortChannelId({
    blockHeight: 800_000,
    txIndex: 7,
    outputIndex: vout + 1,
  });
  await refusedUnchanged(f, /not the funding output/, () =>
    f.signer.bindUnannouncedScid(f.t.channel.id, wrongOutput, f.ourDirection),
  );
  await f.signer.bindUnannouncedScid(f.t.channel.id, fixtureScid(f), f.ourDirection);
  await refusedUnchanged(f, /already bound/, () =>
    f.signer.bindUnannouncedScid(f.t.channel.id, fixtureScid(f, 800_001), f.ourDirection),
  );
  await openTestChannel(f.node, "second-chan");
  await refusedUnchanged(f, /bound to another channel/, () =>
    f.signer.bindUnannouncedScid("second-chan", fixtureScid(f), f.ourDirection),
  );
  await refusedUnchanged(f, /does not have/, () =>
    f.signer.bindUnannouncedScid("no-such-channel", fixtureScid(f), 0),
  );
});
