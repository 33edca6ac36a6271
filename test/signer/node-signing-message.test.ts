import assert from "node:assert/strict";
import { test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { serializeTx } from "../../src/bitcoin/tx.js";
import { FormatError } from "../../src/errors.js";
import { PolicyConfigError, PolicyError } from "../../src/policy/errors.js";
import { parsePolicyFilter } from "../../src/policy/filter.js";
import { NodeSigner } from "../../src/signer/node-signer.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { txArb } from "../bitcoin/arbitraries.js";
import { snapshot, testNode } from "./harness.js";
import {
  announcementMsg,
  gossipFixture,
  nodeAnnouncementMsg,
  refusedExactly,
  updateMsg,
} from "./node-signing-fixtures.js";

const RULE = "policy-message-prefix";
const NODE_SECRET = sha256(Buffer.from("holder/node"));
const PREFIX = Buffer.from("Lightning Signed Message:", "utf8");

function digestOf(msg: Uint8Array): Uint8Array {
  return sha256(sha256(Buffer.concat([PREFIX, msg])));
}

async function signer() {
  const node = await testNode();
  return { node, signer: new NodeSigner(node) };
}

/** A small valid transaction's bytes. */
async function someTx(): Promise<Uint8Array> {
  const [tx] = fc.sample(txArb, { numRuns: 1, seed: 42 });
  return serializeTx(tx!);
}

test("signMessage: recoverable signature over sha256d(prefix || msg), as noble computes it", async () => {
  const { node, signer: s } = await signer();
  for (const text of ["hello", "", "Lightning", "x".repeat(1000), "Ünïcödé ⚡"]) {
    const msg = Buffer.from(text, "utf8");
    const signed = await s.signMessage(msg);
    const digest = digestOf(msg);
    assert.ok(secp256k1.verify(signed.signature, digest, node.nodeId, { prehash: false }));
    // noble's own deterministic recoverable signature (recid || r || s): identical r, s and recid.
    const noble = secp256k1.sign(digest, NODE_SECRET, { prehash: false, format: "recovered" });
    assert.equal(bytesToHex(signed.signature), bytesToHex(noble.subarray(1)));
    assert.equal(signed.recoveryId, noble[0]);
    assert.equal(signed.recoverable.length, 65);
    assert.equal(
      bytesToHex(signed.recoverable),
      bytesToHex(Buffer.concat([noble.subarray(1), noble.subarray(0, 1)])),
    );
    const recovered = secp256k1.recoverPublicKey(noble, digest, { prehash: false });
    assert.equal(bytesToHex(recovered), bytesToHex(node.nodeId));
  }
});

test("signMessage: random messages recover the node id (both recovery ids occur)", async () => {
  const { node, signer: s } = await signer();
  const recids = new Set<number>();
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (msg) => {
      let signed;
      try {
        signed = await s.signMessage(msg);
      } catch (e) {
        fc.pre(!(e instanceof PolicyError));
        throw e;
      }
      recids.add(signed.recoveryId);
      const sig = Uint8Array.of(signed.recoveryId, ...signed.signature);
      const q = secp256k1.recoverPublicKey(sig, digestOf(msg), { prehash: false });
      assert.equal(bytesToHex(q), bytesToHex(node.nodeId));
    }),
    { numRuns: 60 },
  );
  assert.deepEqual([...recids].sort(), [0, 1]);
});

test("signMessage: near misses are signed (not a tx, PSBT or gossip message)", async () => {
  const { signer: s } = await signer();
  for (const msg of [
    Buffer.from("psbt"),
    Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xfe),
    Uint8Array.of(0x01, 0x00, 0x68, 0x69), // type 256 but not a channel_announcement
    Uint8Array.of(0x01, 0x02, ...new Uint8Array(20)), // type 258, truncated
    Buffer.from("deadbeef"), // hex, but of nothing in particular
  ]) {
    await s.signMessage(msg);
  }
  await assert.rejects(s.signMessage("text" as unknown as Uint8Array), FormatError);
});

async function refusedUnchanged(msg: Uint8Array, why: RegExp): Promise<void> {
  const { node, signer: s } = await signer();
  const before = await snapshot(node);
  await refusedExactly(s.signMessage(msg), RULE, why);
  assert.equal(await snapshot(node), before);
  assert.deepEqual(node.policy.warnings(), {});
}

test("policy-message-prefix: a message that parses as a Bitcoin transaction", async () => {
  await refusedUnchanged(await someTx(), /a Bitcoin transaction/);
});

test("policy-message-prefix: every serialized transaction is refused (property)", async () => {
  const { signer: s } = await signer();
  await fc.assert(
    fc.asyncProperty(txArb, async (tx) => {
      await refusedExactly(s.signMessage(serializeTx(tx)), RULE);
    }),
    { numRuns: 50 },
  );
});

test("policy-message-prefix: the hex text of a transaction", async () => {
  await refusedUnchanged(
    Buffer.from(bytesToHex(await someTx()), "utf8"),
    /hex of a Bitcoin transaction/,
  );
});

test("policy-message-prefix: a binary PSBT (magic psbt 0xff)", async () => {
  await refusedUnchanged(
    Buffer.concat([Buffer.from("psbt"), Uint8Array.of(0xff, 1, 2, 3)]),
    /a PSBT/,
  );
});

test("policy-message-prefix: a base64 PSBT", async () => {
  await refusedUnchanged(Buffer.from("cHNidP8BAHECAAAAAQ==", "utf8"), /a PSBT/);
});

test("policy-message-prefix: a channel_announcement", async () => {
  const f = await gossipFixture();
  await refusedUnchanged(announcementMsg(f), /gossip/);
});

test("policy-message-prefix: a channel_update", async () => {
  const f = await gossipFixture();
  await refusedUnchanged(updateMsg(f), /gossip/);
});

test("policy-message-prefix: a node_announcement", async () => {
  const f = await gossipFixture();
  await refusedUnchanged(nodeAnnouncementMsg(f.node), /gossip/);
});

test("policy-message-prefix: the hex text of a gossip message", async () => {
  const f = await gossipFixture();
  await refusedUnchanged(
    Buffer.from(bytesToHex(updateMsg(f)), "utf8"),
    /hex of a Lightning gossip/,
  );
});

test("policy-message-prefix: a format rule, so no filter can demote it", async () => {
  assert.throws(() => parsePolicyFilter([RULE]), PolicyConfigError);
  const node = await testNode({ demote: ["policy-*"] });
  await refusedExactly(new NodeSigner(node).signMessage(await someTx()), RULE);
});
