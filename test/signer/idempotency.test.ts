/**
 * Idempotent retries: every operation whose commit was applied but whose reply was lost
 * (MemoryStore.failNextCommit(..., "after-write"), or a restart after it) answers the retried
 * request with the same bytes, computed from the stored state, and never gives a different
 * secret or signature for a commitment number already used.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { p2wpkh } from "../../src/bitcoin/outputs.js";
import { sha256 } from "../../src/crypto/hash.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { Node } from "../../src/signer/node.js";
import { bytesToHex } from "../../src/util/bytes.js";
import {
  defaultSetup,
  expectRefusal,
  fundChannel,
  honestRound,
  nextCounterpartyProposal,
  nextHolderProposal,
  openTestChannel,
  peerSignsHolderCommitment,
  snapshot,
  type TestChannel,
  testNode,
} from "./harness.js";
import { onchainFixture, preimageOf } from "./htlc-fixtures.js";
import { payment, PAYEE, paymentNode, testClock } from "./payments-fixtures.js";
import { buildHtlcTransactions } from "../../src/bolt3/htlc-tx.js";

/** Runs `op` with its commit applied and its reply lost; resolves once it rejected so. */
async function replyLost(store: MemoryStore, op: () => Promise<unknown>): Promise<void> {
  store.failNextCommit(new Error("reply lost"), "after-write");
  await assert.rejects(op(), /reply lost/);
}

/** A funded channel on a node over a fresh MemoryStore. */
async function funded(id: string): Promise<{ t: TestChannel; store: MemoryStore }> {
  const store = new MemoryStore();
  const node = await testNode({ store, config: { allowlist: [bytesToHex(OURS)] } });
  const t = await openTestChannel(node, id);
  await fundChannel(t);
  return { t, store };
}

const OURS = p2wpkh(publicKey(sha256(Buffer.from("idempotency/ours"))));
const THEIRS = p2wpkh(publicKey(sha256(Buffer.from("idempotency/theirs"))));

/** The same channel as seen by a restarted process (a new Node over the same store). */
async function restarted(t: TestChannel, store: MemoryStore): Promise<TestChannel> {
  const node: Node = await testNode({ store, config: { allowlist: [bytesToHex(OURS)] } });
  return { ...t, node, channel: node.channel(t.channel.id) };
}

test("setup: a retry of the committed setup succeeds; another setup is still refused", async () => {
  const store = new MemoryStore();
  const node = await testNode({ store });
  const t = await openTestChannel(node, "setup-retry");
  const fresh = await node.newChannel("setup-retry-2");
  const setup = defaultSetup(t.peer);
  await replyLost(store, () => fresh.setup(setup));
  await fresh.setup(setup);
  assert.equal(fresh.phase, "operating");
  assert.equal(node.openChannelCount, 2);
  await assert.rejects(fresh.setup({ ...setup, holderToSelfDelay: 200 }), /state\/already-set-up/);
});

test("sign counterparty commitment: same signatures on retry, never others for that number", async () => {
  const { t, store } = await funded("cp-retry");
  const cp = nextCounterpartyProposal(t);
  await replyLost(store, () => t.channel.signCounterpartyCommitment(t.peer.point(1), cp));
  const stored = await snapshot(t.node);
  const first = await t.channel.signCounterpartyCommitment(t.peer.point(1), cp);
  const second = await t.channel.signCounterpartyCommitment(t.peer.point(1), cp);
  assert.deepEqual(second, first);
  assert.equal(await snapshot(t.node), stored, "a retry writes nothing");
  // After a restart too; a different commitment 1 is refused.
  const r = await restarted(t, store);
  assert.deepEqual(await r.channel.signCounterpartyCommitment(r.peer.point(1), cp), first);
  await expectRefusal(
    r.channel.signCounterpartyCommitment(r.peer.point(1), { ...cp, feeratePerKw: 3000 }),
    "policy-commitment-retry-same",
  );
});

test("validate holder commitment and counterparty revocation: retries succeed unchanged", async () => {
  const { t, store } = await funded("validate-retry");
  const cp = nextCounterpartyProposal(t);
  await t.channel.signCounterpartyCommitment(t.peer.point(1), cp);
  await replyLost(store, () => t.channel.validateCounterpartyRevocation(0, t.peer.secret(0)));
  await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
  await expectRefusal(
    t.channel.validateCounterpartyRevocation(0, t.peer.secret(5)),
    "policy-revocation-secret-matches",
  );
  const h = nextHolderProposal(t);
  const sigs = peerSignsHolderCommitment(t, h);
  await replyLost(store, () => t.channel.validateHolderCommitment(h, sigs));
  const stored = await snapshot(t.node);
  await t.channel.validateHolderCommitment(h, sigs);
  assert.equal(await snapshot(t.node), stored);
  assert.equal(t.channel.state.nextHolderCommitNum, 2);
  assert.equal(t.channel.state.counterpartyRevokedThrough, 0);
});

test("revoke: the same secret on retry, in this process and after a restart", async () => {
  const { t, store } = await funded("revoke-retry");
  const cp = nextCounterpartyProposal(t);
  await t.channel.signCounterpartyCommitment(t.peer.point(1), cp);
  await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
  const h = nextHolderProposal(t);
  await t.channel.validateHolderCommitment(h, peerSignsHolderCommitment(t, h));
  await replyLost(store, () => t.channel.revokeHolderCommitment(0));
  const secret = await t.channel.revokeHolderCommitment(0);
  const expected = t.node.keys.channelKeys(t.channel.id).perCommitmentSecret(0);
  assert.equal(bytesToHex(secret), bytesToHex(expected));
  const r = await restarted(t, store);
  assert.equal(bytesToHex(await r.channel.revokeHolderCommitment(0)), bytesToHex(expected));
  // The revoked commitment can never be signed for broadcast.
  await expectRefusal(r.channel.signHolderCommitment(0), "policy-commitment-holder-not-revoked");
});

test("force close: the same signed commitment on retry, also once closed", async () => {
  const { t, store } = await funded("force-retry");
  await replyLost(store, () => t.channel.signHolderCommitment(0));
  assert.equal(t.channel.phase, "operating", "the copy in memory is stale until the retry");
  const stored = await snapshot(t.node);
  const signed = await t.channel.signHolderCommitment(0);
  assert.equal(await snapshot(t.node), stored, "the retry writes nothing");
  assert.equal(t.channel.phase, "closing");
  assert.equal(t.node.openChannelCount, 1);
  await replyLost(store, () => t.channel.markClosed());
  await t.channel.markClosed();
  assert.equal(t.channel.phase, "closed");
  assert.equal(t.node.openChannelCount, 0);
  assert.deepEqual(await t.channel.signHolderCommitment(0), signed);
  // Nothing can be revoked after it.
  await assert.rejects(t.channel.revokeHolderCommitment(0), /state\/closed/);
});

test("mutual close: the same signature on retry", async () => {
  const { t, store } = await funded("mutual-retry");
  const proposal = {
    toHolderMsat: t.setup.channelValueSat * 1000n,
    toCounterpartyMsat: 0n,
    holderScript: OURS,
    counterpartyScript: THEIRS,
    feeSat: 1_000n,
  };
  await replyLost(store, () => t.channel.signMutualClose(proposal));
  const signed = await t.channel.signMutualClose(proposal);
  assert.deepEqual(await t.channel.signMutualClose(proposal), signed);
  const r = await restarted(t, store);
  assert.deepEqual(await r.channel.signMutualClose(proposal), signed);
  assert.equal(r.channel.state.closing, "mutual");
});

test("a lost reply mid-round: the round retried from the start gives the same answers", async () => {
  const { t, store } = await funded("round-retry");
  const cp = nextCounterpartyProposal(t);
  const h = nextHolderProposal(t);
  // Every step of the round loses its reply once; the node retries the whole round.
  const steps: (() => Promise<unknown>)[] = [
    () => t.channel.signCounterpartyCommitment(t.peer.point(1), cp),
    () => t.channel.validateCounterpartyRevocation(0, t.peer.secret(0)),
    () => t.channel.validateHolderCommitment(h, peerSignsHolderCommitment(t, h)),
    () => t.channel.revokeHolderCommitment(0),
  ];
  for (const step of steps) await replyLost(store, step);
  const r = await restarted(t, store);
  const again = await honestRound(r, cp, h);
  const inProcess = await honestRound(t, cp, h);
  assert.deepEqual(again, inProcess);
  assert.equal(r.channel.state.holderRevokedThrough, 0);
  assert.equal(r.channel.state.nextCounterpartyCommitNum, 2);
});

test("HTLC transactions: a stale copy never signs for a commitment another writer revoked", async () => {
  const store = new MemoryStore();
  const f = await onchainFixture("anchors_zero_fee_htlc_tx", { store });
  const other = await testNode({ store, chainHeight: 800_000 });
  const b = other.channel(f.t.channel.id);
  // Writer A moves on: validates holder 2 and revokes holder 1.
  const h2 = nextHolderProposal(f.t);
  await f.t.channel.validateHolderCommitment(h2, peerSignsHolderCommitment(f.t, h2));
  await f.t.channel.revokeHolderCommitment(1);
  const built = buildHtlcTransactions(f.holder).find(
    (x) => bytesToHex(x.htlc.paymentHash) === bytesToHex(f.received.paymentHash),
  )!;
  await expectRefusal(
    b.signHolderHtlcTx({
      commitmentNumber: 1,
      commitmentOutputIndex: built.commitmentOutputIndex,
      tx: built.tx,
      preimage: preimageOf("received"),
    }),
    "policy-commitment-holder-not-revoked",
  );
  assert.equal(b.state.holderRevokedThrough, 1);
});

test("node: forget, preimages and approvals retried after a lost reply", async () => {
  const clock = testClock();
  const store = new MemoryStore();
  const node = await paymentNode(clock, { store });
  const t = await openTestChannel(node, "forget-retry");
  await fundChannel(t);
  await t.channel.signHolderCommitment(0);
  await replyLost(store, () => node.forgetChannel("forget-retry"));
  await node.forgetChannel("forget-retry");
  assert.deepEqual(node.channelIds(), []);
  assert.equal(node.openChannelCount, 0);
  await expectRefusal(node.newChannel("forget-retry"), "policy-channel-id-reuse");

  const { preimage, hash } = payment("retried");
  await replyLost(store, () => node.addPreimage(preimage));
  await node.addPreimage(preimage);
  assert.equal(bytesToHex(node.payments.record(hash)!.preimage!), bytesToHex(preimage));

  const other = payment("approved");
  let asked = 0;
  const approving = await paymentNode(clock, {
    store,
    approver: {
      decide: async () => {
        asked++;
        return "approve";
      },
    },
  });
  await replyLost(store, () => approving.approveKeysend(PAYEE, other.hash, 5_000n));
  await approving.approveKeysend(PAYEE, other.hash, 5_000n);
  assert.equal(asked, 1, "the retry is recognised as a repeat, not asked again");
  assert.equal(approving.payments.record(other.hash)?.approval?.amountMsat, 5_000n);
});
