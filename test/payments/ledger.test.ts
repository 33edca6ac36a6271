/** The pure payments ledger: diffs, holder-view directions, first-seen HTLCs, payment state. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Htlc } from "../../src/bolt3/htlc.js";
import { sha256 } from "../../src/crypto/hash.js";
import { applyCommitmentChange, touchedHashes } from "../../src/payments/ledger.js";
import type { PaymentRecord } from "../../src/payments/record.js";

const hash = (i: number): Uint8Array => sha256(Buffer.from(`h${i}`));
const h = (id: number, direction: Htlc["direction"], hashOf = id): Htlc => ({
  id: BigInt(id),
  direction,
  amountMsat: 1000n + BigInt(id),
  paymentHash: hash(hashOf),
  cltvExpiry: 800_100,
});

test("an HTLC the peer's commitment receives is one we offer, learned once across both commitments", () => {
  const records = new Map<string, PaymentRecord>();
  const lookup = (k: string): PaymentRecord | undefined => records.get(k);
  const cp = applyCommitmentChange(lookup, {
    channelId: "c",
    owner: "counterparty",
    commitmentNumber: 1,
    previous: [],
    next: [h(0, "received")],
  });
  assert.equal(cp.newlyOffered.length, 1);
  assert.equal(cp.newlyOffered[0]!.htlc.direction, "offered");
  for (const [k, r] of cp.records) records.set(k, r);
  const holder = applyCommitmentChange(lookup, {
    channelId: "c",
    owner: "holder",
    commitmentNumber: 1,
    previous: [],
    next: [h(0, "offered")],
  });
  assert.equal(holder.newlyOffered.length, 0, "already known from the peer's commitment");
  const [rec] = holder.records.values();
  assert.equal(rec!.htlcs.length, 1);
  assert.equal(rec!.htlcs[0]!.inHolder && rec!.htlcs[0]!.inCounterparty, true);
  for (const [k, r] of holder.records) records.set(k, r);
  // Removed from both commitments without a preimage: failed.
  for (const owner of ["holder", "counterparty"] as const) {
    const out = applyCommitmentChange(lookup, {
      channelId: "c",
      owner,
      commitmentNumber: 2,
      previous: [h(0, owner === "holder" ? "offered" : "received")],
      next: [],
    });
    for (const [k, r] of out.records) records.set(k, r);
  }
  assert.equal([...records.values()][0]!.state, "failed");
});

test("only changed HTLCs are touched; re-applying a change learns nothing new (fast-check)", () => {
  const arbHtlc = fc
    .record({ id: fc.nat(20), offered: fc.boolean(), hashOf: fc.nat(5) })
    .map((x) => h(x.id, x.offered ? "offered" : "received", x.hashOf));
  const arbSet = fc
    .array(arbHtlc, { maxLength: 8 })
    .map((hs) => hs.filter((x, i) => hs.findIndex((y) => y.id === x.id) === i));
  fc.assert(
    fc.property(arbSet, arbSet, (previous, next) => {
      const change = {
        channelId: "c",
        owner: "holder" as const,
        commitmentNumber: 3,
        previous,
        next,
      };
      const touched = touchedHashes("holder", previous, next);
      assert.deepEqual(touchedHashes("holder", next, next), []);
      const first = applyCommitmentChange(() => undefined, change);
      assert.deepEqual([...first.records.keys()].sort(), touched);
      const again = applyCommitmentChange((k) => first.records.get(k), change);
      assert.equal(again.newlyOffered.length, 0);
    }),
    { numRuns: 200 },
  );
});
