/**
 * The NodeSigner on Core Lightning v26.06.6 golden traffic (../shared/reference/cln/golden):
 * a Warden node with the recorded hsm_secret hosts the recorded channel (its keys derived as
 * hsmd does, the peer's funding key from the peer's hsm_secret), then signs every gossip
 * message lightningd asked hsmd to sign — the real channel_announcement binds the real SCID,
 * every real channel_update passes the SCID and direction checks (CLN's local SCID alias bound
 * with bindScidAlias, as an adapter would), and the real
 * node_announcement is ours. Signatures are verified with noble (CLN grinds low-R differently,
 * so bytes are not compared), and hsmd's own signatures verify against our channel funding key.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { clnKeyDeriver } from "../../src/keys/cln.js";
import type { ClnKeyDeriver } from "../../src/keys/key-deriver.js";
import { policyConfig } from "../../src/policy/config.js";
import { Policy } from "../../src/policy/policy.js";
import { Node } from "../../src/signer/node.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { Cursor, type GoldenMsg, hsmSecret, loadSession, pairs } from "../keys/golden.js";
import { defaultSetup, Peer } from "./harness.js";

interface AnnounceRequest {
  ca: Uint8Array;
  peerId: Uint8Array;
  dbid: bigint;
  reply: { nodeSignature: Uint8Array; bitcoinSignature: Uint8Array };
}

function announceRequest(msgs: GoldenMsg[]): AnnounceRequest {
  const [req, rep] = pairs(msgs, 4)[0]!;
  const c = new Cursor(req.bytes);
  c.take(2);
  const ca = c.take(c.u16());
  const peerId = c.take(33);
  const dbid = c.u64();
  const r = new Cursor(rep.bytes);
  r.take(2);
  return { ca, peerId, dbid, reply: { nodeSignature: r.take(64), bitcoinSignature: r.take(64) } };
}

function verifies(sig: Uint8Array, msg: Uint8Array, offset: number, pub: Uint8Array): boolean {
  const digest = sha256(sha256(msg.subarray(offset)));
  return secp256k1.verify(sig, digest, pub, { prehash: false, lowS: true });
}

const derivers: Record<"A" | "B", ClnKeyDeriver> = {
  A: clnKeyDeriver(hsmSecret("A")),
  B: clnKeyDeriver(hsmSecret("B")),
};

for (const scenario of ["scenario1", "scenario2"]) {
  for (const name of ["A", "B"] as const) {
    test(`${name}/${scenario}: CLN's real gossip requests are signed; SCID bound from the real announcement`, async () => {
      const other = name === "A" ? "B" : "A";
      const msgs = loadSession(scenario, name);
      const ours = announceRequest(msgs);
      const theirs = announceRequest(loadSession(scenario, other));
      const deriver = derivers[name];
      const channelId = `${bytesToHex(ours.peerId)}:${ours.dbid}`;
      const node = await Node.open({
        keys: {
          nodeId: () => deriver.nodeId(),
          nodeSecret: () => deriver.nodeSecret(),
          channelKeys: () => deriver.channelKeys({ peerId: ours.peerId, dbid: ours.dbid }),
        },
        store: new MemoryStore(),
        policy: new Policy({ config: policyConfig({ network: "regtest" }) }),
      });
      const peerBasepoints = derivers[other].channelKeys({
        peerId: deriver.nodeId(),
        dbid: theirs.dbid,
      }).basepoints;
      const scidVout = (ours.ca[258 + 2 + 32 + 6]! << 8) | ours.ca[258 + 2 + 32 + 7]!;
      const channel = await node.newChannel(channelId);
      await channel.setup(
        defaultSetup(new Peer("unused"), {
          counterpartyBasepoints: peerBasepoints,
          fundingOutpoint: { txid: new Uint8Array(32), vout: scidVout },
        }),
      );
      const fundingKey = channel.basepoints.fundingPubkey;

      const sigs = await node.nodeSigner.signChannelAnnouncement(channelId, ours.ca);
      assert.ok(verifies(sigs.nodeSignature, ours.ca, 258, node.nodeId));
      assert.ok(verifies(sigs.bitcoinSignature, ours.ca, 258, fundingKey));
      // hsmd's funding signature verifies with the funding key Warden derived for this channel.
      assert.ok(verifies(ours.reply.bitcoinSignature, ours.ca, 258, fundingKey));

      const realScid = ours.ca.subarray(258 + 2 + 32, 258 + 2 + 32 + 8);
      const binding = await node.nodeSigner.binding(channelId);
      assert.equal(bytesToHex(binding!.shortChannelId), bytesToHex(realScid));
      const aliases = new Set<string>();
      const updates = pairs(msgs, 3);
      assert.ok(updates.length > 0);
      for (const [req] of updates) {
        const c = new Cursor(req.bytes);
        c.take(2);
        const cu = c.take(c.u16());
        const scid = cu.subarray(2 + 64 + 32, 2 + 64 + 32 + 8);
        if (bytesToHex(scid) !== bytesToHex(realScid)) {
          // CLN also signs updates under its local SCID alias (sent to the peer only).
          await node.nodeSigner.bindScidAlias(channelId, scid);
          aliases.add(bytesToHex(scid));
        }
        const sig = await node.nodeSigner.signChannelUpdate(channelId, cu);
        assert.ok(verifies(sig, cu, 66, node.nodeId));
      }
      for (const [req] of pairs(msgs, 6)) {
        const c = new Cursor(req.bytes);
        c.take(2);
        const ann = c.take(c.u16());
        assert.ok(verifies(await node.nodeSigner.signNodeAnnouncement(ann), ann, 66, node.nodeId));
      }
      assert.equal(aliases.size, 1, "one local alias per channel");
      assert.deepEqual(node.policy.warnings(), {});
    });
  }
}
