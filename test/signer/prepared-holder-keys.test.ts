/**
 * Channel.prepareNextHolder: the keys of our next commitment, derived while the signer is
 * idle, change nothing but speed. A channel that prepares before every validation ends in
 * exactly the state of one that never does, refusals included, and prepared keys of another
 * commitment are never used.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encodeState } from "../../src/state/codec.js";
import { StateError } from "../../src/state/errors.js";
import type { CommitmentProposal } from "../../src/state/commitment-proposal.js";
import {
  fundChannel,
  honestRound,
  nextCounterpartyProposal,
  nextHolderProposal,
  openTestChannel,
  peerSignsHolderCommitment,
  type TestChannel,
  testHtlc,
  testNode,
} from "./harness.js";

/** Two channels with the same keys and peer: one prepares, the other does not. */
async function twins(label: string): Promise<[TestChannel, TestChannel]> {
  const a = await openTestChannel(await testNode({ label }), "twin");
  const b = await openTestChannel(await testNode({ label }), "twin");
  await fundChannel(a);
  await fundChannel(b);
  return [a, b];
}

const stateOf = (t: TestChannel): string => Buffer.from(encodeState(t.channel.state)).toString();

/** The next proposals of both commitments, with HTLC `id` of `amountMsat` offered (if > 0). */
function step(
  t: TestChannel,
  id: number,
  amountMsat: bigint,
): [CommitmentProposal, CommitmentProposal] {
  const cp = nextCounterpartyProposal(t);
  const holder = nextHolderProposal(t);
  if (amountMsat === 0n) return [cp, holder];
  // We offer an HTLC (an unannounced payment the node's ApproveAll approves): it is
  // "received" by the owner of the peer's commitment and "offered" in ours.
  const h = testHtlc(id, "offered", amountMsat);
  return [
    {
      ...cp,
      toOtherMsat: cp.toOtherMsat - amountMsat,
      htlcs: [...cp.htlcs, { ...h, direction: "received" }],
    },
    { ...holder, toOwnerMsat: holder.toOwnerMsat - amountMsat, htlcs: [...holder.htlcs, h] },
  ];
}

test("prepared keys change nothing: same states and answers as a channel that never prepares", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ amount: fc.bigInt(0n, 5_000_000n), prepare: fc.boolean() }), {
        minLength: 1,
        maxLength: 6,
      }),
      async (steps) => {
        const [a, b] = await twins("prepared-property");
        for (const [i, s] of steps.entries()) {
          if (s.prepare) a.channel.prepareNextHolder();
          const [cp, holder] = step(a, i + 1, s.amount);
          const ra = await honestRound(a, cp, holder);
          const rb = await honestRound(b, cp, holder);
          assert.deepEqual(ra, rb);
          assert.equal(stateOf(a), stateOf(b));
        }
      },
    ),
    { numRuns: 15 },
  );
});

test("a bad signature on a commitment whose keys were prepared is still refused, state unchanged", async () => {
  const [a] = await twins("prepared-refusal");
  a.channel.prepareNextHolder();
  await a.channel.signCounterpartyCommitment(a.peer.point(1), nextCounterpartyProposal(a));
  await a.channel.validateCounterpartyRevocation(0, a.peer.secret(0));
  const holder = nextHolderProposal(a);
  const sigs = peerSignsHolderCommitment(a, holder);
  const bad = { ...sigs, commitmentSignature: Uint8Array.from(sigs.commitmentSignature) };
  bad.commitmentSignature[5] ^= 1;
  const before = stateOf(a);
  await assert.rejects(a.channel.validateHolderCommitment(holder, bad), (e: unknown) => {
    assert.ok(e instanceof StateError);
    assert.equal(e.code, "state/bad-commitment-signature");
    return true;
  });
  assert.equal(stateOf(a), before);
  await a.channel.validateHolderCommitment(holder, sigs);
  assert.equal(a.channel.state.currentHolder?.commitmentNumber, 1);
});

test("keys prepared for one commitment are not used for another (balances differ, keys do not leak)", async () => {
  const [a, b] = await twins("prepared-other");
  // Prepared for commitment 1, then commitment 1 is validated on both: equal.
  a.channel.prepareNextHolder();
  const [cp1, h1] = step(a, 1, 1_000_000n);
  await honestRound(a, cp1, h1);
  await honestRound(b, cp1, h1);
  // No new preparation: commitment 2 must derive its own keys (the prepared ones are for 1).
  const [cp2, h2] = step(a, 2, 2_000_000n);
  await honestRound(a, cp2, h2);
  await honestRound(b, cp2, h2);
  assert.equal(stateOf(a), stateOf(b));
  assert.equal(a.channel.state.currentHolder?.commitmentNumber, 2);
});

test("prepareNextHolder is a no-op on a channel that is not set up or is closing", async () => {
  const node = await testNode({ label: "prepared-noop" });
  const fresh = await node.newChannel("fresh");
  fresh.prepareNextHolder();
  assert.equal(fresh.phase, "new");
  const t = await openTestChannel(node, "closing");
  await fundChannel(t);
  await t.channel.signHolderCommitment(0);
  const before = stateOf(t);
  t.channel.prepareNextHolder();
  assert.equal(stateOf(t), before);
});
