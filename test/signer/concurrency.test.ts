/**
 * Concurrency: many channels of one Node updating at once, and racing requests on one channel.
 * Channels must never see each other's interleaving (each ends exactly where its own sequence
 * leads, every signature verifies, its commits are in order and exactly counted), and requests
 * on the same channel are serialized in arrival order (two conflicting ones: the first wins,
 * the second is refused, the state records only the first).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Htlc } from "../../src/bolt3/htlc.js";
import { perCommitmentPoint } from "../../src/bolt3/per-commitment-secret.js";
import { PolicyError } from "../../src/policy/errors.js";
import type { CommitmentProposal } from "../../src/state/commitment-proposal.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { StoreWrite } from "../../src/store/store.js";
import {
  fundChannel,
  holderPointOf,
  openTestChannel,
  peerSignsHolderCommitment,
  peerVerifiesCounterpartySigs,
  type TestChannel,
  testHtlc,
  testPreimage,
  testNode,
} from "./harness.js";

const CHANNELS = 1000;
const ROUNDS = 3;
/** Commits of one channel: create, setup, two for funding, four per round. */
const COMMITS_PER_CHANNEL = 4 + 4 * ROUNDS;
const PUSH_MSAT = 2_000_000_000n;

/** A MemoryStore that yields to the event loop before each commit and logs what committed. */
class LoggingStore extends MemoryStore {
  readonly log: { key: string; version: number }[] = [];

  override async commit(writes: readonly StoreWrite[]): Promise<number[]> {
    // A real store commits asynchronously: let every other channel's work run in between.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const versions = await super.commit(writes);
    writes.forEach((w, i) => this.log.push({ key: w.key, version: versions[i]! }));
    return versions;
  }
}

/** Both parties' proposals of commitment n: `htlcs` from the holder's view, balances given. */
function proposals(
  n: number,
  holderMsat: bigint,
  peerMsat: bigint,
  htlcs: readonly Htlc[],
): { holder: CommitmentProposal; counterparty: CommitmentProposal } {
  const flipped = htlcs.map((h) => ({
    ...h,
    direction: h.direction === "offered" ? ("received" as const) : ("offered" as const),
  }));
  return {
    holder: {
      commitmentNumber: n,
      feeratePerKw: 2500,
      toOwnerMsat: holderMsat,
      toOtherMsat: peerMsat,
      htlcs: [...htlcs],
    },
    counterparty: {
      commitmentNumber: n,
      feeratePerKw: 2500,
      toOwnerMsat: peerMsat,
      toOtherMsat: holderMsat,
      htlcs: flipped,
    },
  };
}

/**
 * The channel-specific schedule of channel `i`: round 1 adds an HTLC each way, round 2 settles
 * the one we offered (the peer is paid), round 3 settles the one we received (we are paid).
 * Returns the (holder, peer) balances and HTLCs of each commitment 1..ROUNDS.
 */
function schedule(i: number): { holderMsat: bigint; peerMsat: bigint; htlcs: Htlc[] }[] {
  const out_ = 10_000_000n + BigInt(i) * 1_000n;
  const in_ = 7_000_000n + BigInt(i) * 3_000n;
  const offered = testHtlc(2 * i, "offered", out_, 800_100 + (i % 50));
  const received = testHtlc(2 * i + 1, "received", in_, 800_200 + (i % 50));
  let holder = 10_000_000_000n - PUSH_MSAT;
  let peer = PUSH_MSAT;
  const rounds: { holderMsat: bigint; peerMsat: bigint; htlcs: Htlc[] }[] = [];
  holder -= out_;
  peer -= in_;
  rounds.push({ holderMsat: holder, peerMsat: peer, htlcs: [offered, received] });
  peer += out_;
  rounds.push({ holderMsat: holder, peerMsat: peer, htlcs: [received] });
  holder += in_;
  rounds.push({ holderMsat: holder, peerMsat: peer, htlcs: [] });
  return rounds;
}

/** One full round n on `t`, checking every signature and secret Warden returns. */
async function round(
  t: TestChannel,
  n: number,
  s: { holderMsat: bigint; peerMsat: bigint; htlcs: Htlc[] },
): Promise<void> {
  const p = proposals(n, s.holderMsat, s.peerMsat, s.htlcs);
  const sigs = await t.channel.signCounterpartyCommitment(t.peer.point(n), p.counterparty);
  assert.ok(peerVerifiesCounterpartySigs(t, p.counterparty, sigs), `${t.channel.id} sigs ${n}`);
  assert.equal(sigs.htlcSignatures.length, s.htlcs.length);
  await t.channel.validateCounterpartyRevocation(n - 1, t.peer.secret(n - 1));
  await t.channel.validateHolderCommitment(p.holder, peerSignsHolderCommitment(t, p.holder));
  const secret = await t.channel.revokeHolderCommitment(n - 1);
  assert.deepEqual(perCommitmentPoint(secret), holderPointOf(t, n - 1));
}

test(`${CHANNELS} channels on one node update concurrently without interfering`, async () => {
  const store = new LoggingStore();
  // 1000 unannounced payments of ~0.0001 BTC each: above the default payments velocity limit.
  const node = await testNode({
    store,
    config: { maxChannelCount: 2 * CHANNELS, velocityPaymentsLimitMsat: 10n ** 15n },
  });
  const ids = Array.from({ length: CHANNELS }, (_, i) => `conc-${i}`);

  const channels = await Promise.all(
    ids.map(async (id, i) => {
      const t = await openTestChannel(node, id, { pushMsat: PUSH_MSAT });
      await fundChannel(t);
      const plan = schedule(i);
      for (let n = 1; n <= ROUNDS; n++) {
        // Round 2 settles the HTLC we offered: the node passes on the peer's preimage first.
        if (n === 2) await node.addPreimage(testPreimage(2 * i));
        await round(t, n, plan[n - 1]!);
      }
      return t;
    }),
  );

  // Every channel ends exactly where its own schedule leads.
  for (const [i, t] of channels.entries()) {
    const s = t.channel.state;
    const last = schedule(i)[ROUNDS - 1]!;
    assert.equal(s.nextHolderCommitNum, ROUNDS + 1);
    assert.equal(s.holderRevokedThrough, ROUNDS - 1);
    assert.equal(s.nextCounterpartyCommitNum, ROUNDS + 1);
    assert.equal(s.counterpartyRevokedThrough, ROUNDS - 1);
    assert.equal(s.currentHolder?.commitmentNumber, ROUNDS);
    assert.equal(s.currentHolder?.toOwnerMsat, last.holderMsat);
    assert.equal(s.currentHolder?.toOtherMsat, last.peerMsat);
    assert.equal(s.currentCounterparty?.toOwnerMsat, last.peerMsat);
    assert.equal(s.currentCounterparty?.toOtherMsat, last.holderMsat);
    assert.equal(s.currentHolder?.htlcs.length, 0);
    assert.equal(s.previousCounterparty, undefined);
    assert.equal(t.channel.version, (await store.get(node.channelKey(t.channel.id)))?.version);
  }

  // Commit order: per channel, versions strictly increase and the count is exact.
  const perKey = new Map<string, number[]>();
  for (const { key, version } of store.log) {
    const list = perKey.get(key) ?? [];
    list.push(version);
    perKey.set(key, list);
  }
  for (const id of ids) {
    const versions = perKey.get(node.channelKey(id));
    assert.ok(versions !== undefined, `no commits for ${id}`);
    assert.equal(versions.length, COMMITS_PER_CHANNEL, `commits of ${id}`);
    for (let k = 1; k < versions.length; k++) assert.ok(versions[k]! > versions[k - 1]!);
  }
  // The channels really interleaved: some channel committed between two commits of another.
  const firstKey = store.log[0]!.key;
  const firstRun = store.log.findIndex((e) => e.key !== firstKey);
  const firstKeyCommits = store.log.filter((e) => e.key === firstKey).length;
  assert.ok(firstRun < firstKeyCommits, "commits of different channels interleave");
});

/** A funded channel with round 1 done (an HTLC each way), on a fresh node with a logging store. */
async function channelAfterRound1(): Promise<TestChannel & { commits: () => number }> {
  const store = new LoggingStore();
  const node = await testNode({ store });
  const t = await openTestChannel(node, "race", { pushMsat: PUSH_MSAT });
  await fundChannel(t);
  await round(t, 1, schedule(0)[0]!);
  await node.addPreimage(testPreimage(0)); // the peer fulfils the HTLC we offered in round 2
  const key = node.channelKey("race");
  return { ...t, commits: () => store.log.filter((e) => e.key === key).length };
}

/** Asserts exactly one of two racing results was fulfilled (the first) and the other refused. */
function firstWinsSecondRefused(
  results: PromiseSettledResult<unknown>[],
  ruleId: string,
): PromiseFulfilledResult<unknown> {
  const [a, b] = results;
  assert.equal(a?.status, "fulfilled");
  assert.equal(b?.status, "rejected");
  const reason = (b as PromiseRejectedResult).reason as unknown;
  assert.ok(reason instanceof PolicyError, `expected a PolicyError, got ${String(reason)}`);
  assert.equal(reason.ruleId, ruleId);
  return a as PromiseFulfilledResult<unknown>;
}

test("two conflicting holder commitments at once: the first wins, the second is refused", async () => {
  const t = await channelAfterRound1();
  const s = schedule(0)[1]!;
  const cp = proposals(2, s.holderMsat, s.peerMsat, s.htlcs).counterparty;
  await t.channel.signCounterpartyCommitment(t.peer.point(2), cp);
  await t.channel.validateCounterpartyRevocation(1, t.peer.secret(1));
  const good = proposals(2, s.holderMsat, s.peerMsat, s.htlcs).holder;
  const other = { ...good, feeratePerKw: 3000 };
  const before = t.commits();
  const results = await Promise.allSettled([
    t.channel.validateHolderCommitment(good, peerSignsHolderCommitment(t, good)),
    t.channel.validateHolderCommitment(other, peerSignsHolderCommitment(t, other)),
  ]);
  firstWinsSecondRefused(results, "policy-commitment-retry-same");
  assert.equal(t.commits(), before + 1);
  assert.equal(t.channel.state.currentHolder?.feeratePerKw, 2500);
  assert.equal(t.channel.state.nextHolderCommitNum, 3);
});

test("two conflicting counterparty commitments at once: one signature set, then refusal", async () => {
  const t = await channelAfterRound1();
  const s = schedule(0)[1]!;
  const good = proposals(2, s.holderMsat, s.peerMsat, s.htlcs).counterparty;
  const other = { ...good, feeratePerKw: 3000 };
  const before = t.commits();
  const results = await Promise.allSettled([
    t.channel.signCounterpartyCommitment(t.peer.point(2), good),
    t.channel.signCounterpartyCommitment(t.peer.point(2), other),
  ]);
  const won = firstWinsSecondRefused(results, "policy-commitment-retry-same");
  const sigs = won.value as Awaited<ReturnType<typeof t.channel.signCounterpartyCommitment>>;
  assert.ok(peerVerifiesCounterpartySigs(t, good, sigs));
  assert.equal(t.commits(), before + 1);
  assert.equal(t.channel.state.currentCounterparty?.feeratePerKw, 2500);
  assert.equal(t.channel.state.nextCounterpartyCommitNum, 3);
});

test("a revocation racing the validation it depends on runs after it, in arrival order", async () => {
  const t = await channelAfterRound1();
  const s = schedule(0)[1]!;
  const p = proposals(2, s.holderMsat, s.peerMsat, s.htlcs);
  const before = t.commits();
  // The whole round fired without awaiting: the channel lock keeps the arrival order.
  const [sigs, , , secret] = await Promise.all([
    t.channel.signCounterpartyCommitment(t.peer.point(2), p.counterparty),
    t.channel.validateCounterpartyRevocation(1, t.peer.secret(1)),
    t.channel.validateHolderCommitment(p.holder, peerSignsHolderCommitment(t, p.holder)),
    t.channel.revokeHolderCommitment(1),
  ]);
  assert.ok(peerVerifiesCounterpartySigs(t, p.counterparty, sigs));
  assert.deepEqual(perCommitmentPoint(secret), holderPointOf(t, 1));
  assert.equal(t.commits(), before + 4);

  // Reversed arrival: revoking 2 before commitment 3 is validated is refused, and the
  // validation behind it still succeeds.
  const s3 = schedule(0)[2]!;
  const p3 = proposals(3, s3.holderMsat, s3.peerMsat, s3.htlcs);
  await t.channel.signCounterpartyCommitment(t.peer.point(3), p3.counterparty);
  await t.channel.validateCounterpartyRevocation(2, t.peer.secret(2));
  const results = await Promise.allSettled([
    t.channel.revokeHolderCommitment(2),
    t.channel.validateHolderCommitment(p3.holder, peerSignsHolderCommitment(t, p3.holder)),
  ]);
  assert.equal(results[0]?.status, "rejected");
  const reason = (results[0] as PromiseRejectedResult).reason as unknown;
  assert.ok(reason instanceof PolicyError);
  assert.equal(reason.ruleId, "policy-revoke-new-commitment-signed");
  assert.equal(results[1]?.status, "fulfilled");
  assert.equal(t.channel.state.holderRevokedThrough, 1);
  assert.equal(t.channel.state.nextHolderCommitNum, 4);
});

test("the same revocation requested twice at once gives one commit and the same secret", async () => {
  const t = await channelAfterRound1();
  const s = schedule(0)[1]!;
  const p = proposals(2, s.holderMsat, s.peerMsat, s.htlcs);
  await t.channel.signCounterpartyCommitment(t.peer.point(2), p.counterparty);
  await t.channel.validateCounterpartyRevocation(1, t.peer.secret(1));
  await t.channel.validateHolderCommitment(p.holder, peerSignsHolderCommitment(t, p.holder));
  const before = t.commits();
  const [a, b] = await Promise.all([
    t.channel.revokeHolderCommitment(1),
    t.channel.revokeHolderCommitment(1),
  ]);
  assert.deepEqual(a, b);
  assert.equal(t.commits(), before + 1);
  assert.equal(t.channel.state.holderRevokedThrough, 1);
});
