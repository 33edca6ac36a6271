/**
 * channel_update under a local SCID alias (Core Lightning's option_scid_alias): an alias not
 * yet bound goes to the one active channel on that side without an alias yet. With two
 * channels to the same peer (golden scenario 1, node A, plus a second channel set up with the
 * same parameters), the first alias binds the first channel and a new alias the second.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { clnChannelId } from "../../../src/adapters/cln/handlers/context.js";
import { WireWriter } from "../../../src/adapters/cln/handlers/io.js";
import { Hsmd, HsmdClientError } from "../../../src/adapters/cln/hsmd.js";
import { chainViewFromJson, parseSession } from "../../../src/adapters/cln/replay.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { bytesToHex, hexToBytes } from "../../../src/util/bytes.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

const PEER_B = hexToBytes("039f8601dc4fa2c6e6ddbbe04c4c47178f27d04aaa8d8aa403d1ad31c60e000d63");

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, false);
  return b;
}

test("alias channel_updates bind to the channel without an alias yet", async () => {
  const msgs = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8"));
  const hsmd = await Hsmd.open({
    hsmSecret: hsmSecret("A"),
    store: new MemoryStore(),
    chain: chainViewFromJson(readFileSync(new URL("scenario1/chain-txs.json", goldenDir), "utf8")),
    clock: () => Date.UTC(2026, 10, 23, 22, 0, 0),
  });
  const conns = [hsmd.root()];
  for (const m of msgs) {
    if (m.seq > 168) break; // through the first alias channel_update (167)
    if (m.dir !== "req") continue;
    const r = await conns[m.conn.n]!.handle(m.bytes);
    if (r.newClient !== undefined) conns.push(r.newClient);
  }
  const root = conns[0]!;
  const node = hsmd.node();
  const first = clnChannelId(PEER_B, 1n);
  const aliasesOf = (id: string) =>
    node.store.list(node.nodeSigner.aliasKey(id, new Uint8Array(0)));
  assert.equal((await aliasesOf(first)).length, 1);
  // A second channel to B (dbid 2), set up with the recorded parameters.
  await root.handle(new WireWriter(30).bytes(PEER_B).bytes(u64(2n)).done());
  const hsmfd = new WireWriter(9).bytes(PEER_B).bytes(u64(2n)).bytes(u64(24n)).done();
  const openingd = (await root.handle(hsmfd)).newClient!;
  await openingd.handle(msgs.find((m) => m.seq === 143)!.bytes);
  const second = clnChannelId(PEER_B, 2n);
  assert.ok(node.channelActive(second));
  // A fresh alias: bound to the second channel, and signed.
  const cu = msgs.find((m) => m.seq === 167)!.bytes.slice();
  const scidAt = 4 + 2 + 64 + 32;
  cu.set(hexToBytes("0123456789abcdef"), scidAt);
  const reply = (await root.handle(cu)).message!;
  assert.equal((reply[0]! << 8) | reply[1]!, 103);
  const bound = await aliasesOf(second);
  assert.equal(bound.length, 1);
  assert.ok(bound[0]!.endsWith(bytesToHex(hexToBytes("0123456789abcdef"))));
  // The second channel was never announced: the other direction bit is refused by policy.
  const flipped = cu.slice();
  flipped[scidAt + 8 + 4 + 1] ^= 1; // channel_flags: direction
  const e = await root.handle(flipped).catch((x: unknown) => x);
  assert.ok(e instanceof HsmdClientError);
  assert.deepEqual(e.ruleIds, ["policy-gossip-own-channels"]);
  // A third alias now has two candidates, both with an alias: refused.
  cu.set(hexToBytes("fedcba9876543210"), scidAt);
  await assert.rejects(root.handle(cu), HsmdClientError);
});
