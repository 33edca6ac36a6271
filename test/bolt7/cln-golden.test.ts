/**
 * The gossip codecs against real Core Lightning v26.06.6 traffic (../shared/reference/cln/golden):
 * every channel_announcement, channel_update and node_announcement lightningd asked hsmd to
 * sign decodes and re-encodes byte for byte, and hsmd's signatures verify (noble) over the
 * digest computed from the codec's signed-part offset — so the offsets are the ones CLN signs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { chainHash } from "../../src/bolt7/chain-hash.js";
import {
  CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET,
  decodeChannelAnnouncement,
  encodeChannelAnnouncement,
} from "../../src/bolt7/channel-announcement.js";
import {
  CHANNEL_UPDATE_SIGNED_OFFSET,
  decodeChannelUpdate,
  encodeChannelUpdate,
} from "../../src/bolt7/channel-update.js";
import { gossipDigest } from "../../src/bolt7/gossip.js";
import {
  NODE_ANNOUNCEMENT_SIGNED_OFFSET,
  decodeNodeAnnouncement,
  encodeNodeAnnouncement,
} from "../../src/bolt7/node-announcement.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";
import { Cursor, goldenDir, loadSession, pairs } from "../keys/golden.js";
import { readFileSync } from "node:fs";

const nodes = JSON.parse(readFileSync(new URL("nodes.json", goldenDir), "utf8")) as Record<
  "A" | "B",
  { node_id: string }
>;

function digestOf(msg: Uint8Array, offset: number): Uint8Array {
  return sha256(sha256(msg.subarray(offset)));
}

function verify(sig: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean {
  return secp256k1.verify(sig, digest, pub, { prehash: false, lowS: true });
}

for (const scenario of ["scenario1", "scenario2"]) {
  for (const name of ["A", "B"] as const) {
    const msgs = loadSession(scenario, name);
    const nodeId = hexToBytes(nodes[name].node_id);

    test(`${name}/${scenario}: channel_announcement round trips; hsmd's node signature verifies`, () => {
      const seen = pairs(msgs, 4);
      assert.ok(seen.length > 0);
      for (const [req, rep] of seen) {
        const c = new Cursor(req.bytes);
        c.take(2);
        const len = c.u16();
        const ca = c.take(len);
        const a = decodeChannelAnnouncement(ca);
        assert.equal(bytesToHex(encodeChannelAnnouncement(a)), bytesToHex(ca));
        assert.equal(bytesToHex(a.chainHash), bytesToHex(chainHash("regtest")));
        const r = new Cursor(rep.bytes);
        r.take(2);
        const nodeSig = r.take(64);
        const digest = digestOf(ca, 2 + 4 * 64);
        assert.equal(CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET, 258);
        assert.equal(bytesToHex(gossipDigest(ca)), bytesToHex(digest));
        assert.ok(verify(nodeSig, digest, nodeId));
        // Our node id sits in one slot, and it is the slot of node_id order.
        assert.ok(
          bytesToHex(a.nodeId1) === nodes[name].node_id ||
            bytesToHex(a.nodeId2) === nodes[name].node_id,
        );
        assert.ok(bytesToHex(a.nodeId1) < bytesToHex(a.nodeId2));
      }
    });

    test(`${name}/${scenario}: channel_update round trips; hsmd's signature verifies`, () => {
      const seen = pairs(msgs, 3);
      assert.ok(seen.length > 0);
      for (const [, rep] of seen) {
        const r = new Cursor(rep.bytes);
        r.take(2);
        const cu = r.take(r.u16());
        const u = decodeChannelUpdate(cu);
        assert.equal(bytesToHex(encodeChannelUpdate(u)), bytesToHex(cu));
        assert.equal(bytesToHex(u.chainHash), bytesToHex(chainHash("regtest")));
        assert.notEqual(u.htlcMaximumMsat, undefined);
        assert.equal(CHANNEL_UPDATE_SIGNED_OFFSET, 66);
        assert.ok(verify(u.signature, digestOf(cu, 66), nodeId));
        assert.equal(bytesToHex(gossipDigest(cu)), bytesToHex(digestOf(cu, 66)));
      }
    });

    test(`${name}/${scenario}: node_announcement round trips; hsmd's signature verifies`, () => {
      const seen = pairs(msgs, 6);
      assert.ok(seen.length > 0);
      for (const [req, rep] of seen) {
        const c = new Cursor(req.bytes);
        c.take(2);
        const ann = c.take(c.u16());
        const n = decodeNodeAnnouncement(ann);
        assert.equal(bytesToHex(encodeNodeAnnouncement(n)), bytesToHex(ann));
        assert.equal(bytesToHex(n.nodeId), nodes[name].node_id);
        const r = new Cursor(rep.bytes);
        r.take(2);
        assert.equal(NODE_ANNOUNCEMENT_SIGNED_OFFSET, 66);
        assert.ok(verify(r.take(64), digestOf(ann, 66), nodeId));
      }
    });
  }
}
