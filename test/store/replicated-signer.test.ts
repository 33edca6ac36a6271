/**
 * A signer Node over a ReplicatedStore of three providers (two SQLite files in different
 * directories and a MemoryStore): with one bad provider it keeps signing and reports it; with
 * two it refuses — StoreError store/no-quorum, no signature returned, channel state unchanged.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encodeState } from "../../src/state/codec.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { type ReplicaFault, ReplicatedStore } from "../../src/store/replicated-store.js";
import { storeMacKey } from "../../src/store/seal.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { StoreError } from "../../src/store/store.js";
import { bytesToHex } from "../../src/util/bytes.js";
import {
  fundChannel,
  honestRound,
  nextCounterpartyProposal,
  nextHolderProposal,
  openTestChannel,
  peerVerifiesCounterpartySigs,
  testNode,
} from "../signer/harness.js";
import { rawOf, rollBack, tamper, Unpluggable } from "./replica-faults.js";

const root = mkdtempSync(join(tmpdir(), "warden-replicated-signer-"));
after(() => rmSync(root, { recursive: true, force: true }));
const macKey = storeMacKey(randomBytes(32));

function replicated(dir: string, faults: ReplicaFault[]) {
  const a = new Unpluggable(SqliteStore.openInDataDir(join(root, dir, "disk-a")));
  const b = new Unpluggable(SqliteStore.openInDataDir(join(root, dir, "disk-b")));
  const m = new Unpluggable(new MemoryStore());
  const store = new ReplicatedStore(
    [
      { name: "disk-a", store: a },
      { name: "disk-b", store: b },
      { name: "memory", store: m },
    ],
    { macKey, onFault: (f) => faults.push(f) },
  );
  return { store, a, b, m };
}

test("signer over a replicated store: one bad provider at a time is survived and reported", async () => {
  const faults: ReplicaFault[] = [];
  const r = replicated("one", faults);
  const node = await testNode({ store: r.store });
  const t = await openTestChannel(node, "chan-1");
  await fundChannel(t);
  const key = node.channelKey("chan-1");
  const old = await rawOf(r.a, key);
  await honestRound(t, nextCounterpartyProposal(t), nextHolderProposal(t));

  // Stale: disk-a rolled back to an older channel state. The next round still signs.
  await rollBack(r.a, key, old);
  let cp = nextCounterpartyProposal(t);
  let res = await honestRound(t, cp, nextHolderProposal(t));
  assert.ok(peerVerifiesCounterpartySigs(t, cp, res.counterpartySigs));
  assert.ok(faults.some((f) => f.provider === "disk-a" && f.kind === "stale" && f.key === key));

  // Tampered: disk-b's channel record edited.
  await tamper(r.b, key);
  cp = nextCounterpartyProposal(t);
  res = await honestRound(t, cp, nextHolderProposal(t));
  assert.ok(peerVerifiesCounterpartySigs(t, cp, res.counterpartySigs));
  assert.ok(faults.some((f) => f.provider === "disk-b" && f.kind === "tampered"));

  // Gone: the memory provider unplugged.
  r.m.down = true;
  cp = nextCounterpartyProposal(t);
  res = await honestRound(t, cp, nextHolderProposal(t));
  assert.ok(peerVerifiesCounterpartySigs(t, cp, res.counterpartySigs));
  assert.equal(r.store.health()[2]!.status, "gone");

  // A restart over the same providers (memory still down) loads the latest state.
  const before = bytesToHex(encodeState(t.channel.state));
  const reopened = await testNode({ store: r.store });
  assert.equal(bytesToHex(encodeState(reopened.channel("chan-1").state)), before);
  await r.store.close();
});

test("signer over a replicated store: two bad providers — it refuses to sign", async () => {
  const faults: ReplicaFault[] = [];
  const r = replicated("two", faults);
  const node = await testNode({ store: r.store });
  const t = await openTestChannel(node, "chan-2");
  await fundChannel(t);
  const key = node.channelKey("chan-2");
  const old = await rawOf(r.b, key);
  await honestRound(t, nextCounterpartyProposal(t), nextHolderProposal(t));
  const state = bytesToHex(encodeState(t.channel.state));

  // disk-b rolled back and the memory provider gone: no quorum on the newest state.
  await rollBack(r.b, key, old);
  r.m.down = true;
  const cp = nextCounterpartyProposal(t);
  let signature: unknown;
  await assert.rejects(
    (async () => {
      signature = await t.channel.signCounterpartyCommitment(t.peer.point(cp.commitmentNumber), cp);
    })(),
    (e: unknown) => e instanceof StoreError && e.code === "store/no-quorum",
  );
  assert.equal(signature, undefined, "no signature left the signer");
  assert.equal(bytesToHex(encodeState(t.channel.state)), state, "state unchanged");
  assert.deepEqual(
    r.store.health().map((h) => h.status),
    ["ok", "stale", "gone"],
  );
  // A restarted signer refuses to load what it cannot trust.
  await assert.rejects(testNode({ store: r.store }), { code: "store/no-quorum" });

  // One provider back: quorum again, the signer carries on (and repairs disk-b).
  r.m.down = false;
  const res = await t.channel.signCounterpartyCommitment(t.peer.point(cp.commitmentNumber), cp);
  assert.ok(res.signature.length === 64);
  await r.store.close();
});
