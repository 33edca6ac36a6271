/**
 * Life cycle: open → 200 seeded random updates in BOLT 2 order (we sign their n+1, they revoke
 * n, they sign our n+1, we revoke n) with HTLCs added both ways, fulfilled, failed and fee
 * updates → mutual close. Every signature Warden returns is checked by an independent verifier
 * (scure sighash + noble verify) and every released secret against the point it revealed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { p2wpkh } from "../../src/bitcoin/outputs.js";
import type { ChannelType } from "../../src/bolt3/channel-type.js";
import { buildHtlcTransactions } from "../../src/bolt3/htlc-tx.js";
import type { Htlc } from "../../src/bolt3/htlc.js";
import { sha256 } from "../../src/crypto/hash.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import type { CommitmentSignatures } from "../../src/signer/channel.js";
import type { CommitmentProposal } from "../../src/state/commitment-proposal.js";
import { channelObscuringFactor, recomposeCommitment } from "../../src/state/recompose.js";
import { bytesToHex } from "../../src/util/bytes.js";
import {
  fundChannel,
  honestRound,
  openTestChannel,
  type TestChannel,
  testNode,
} from "./harness.js";
import { pointOfSecret, verifySegwitV0 } from "./independent.js";

/** mulberry32: a small seeded PRNG, so a failure replays exactly. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** An HTLC in the model: who offered it, and the update_add_htlc fields. */
interface ModelHtlc {
  byUs: boolean;
  id: bigint;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  preimage: Uint8Array;
  cltvExpiry: number;
}

/** Both sides' view of the channel: settled balances, in-flight HTLCs, feerate. */
class Model {
  ours: bigint;
  theirs: bigint;
  htlcs: ModelHtlc[] = [];
  feerate = 2500;
  #nextId = { ours: 0n, theirs: 0n };
  constructor(ours: bigint, theirs: bigint) {
    this.ours = ours;
    this.theirs = theirs;
  }
  add(byUs: boolean, amountMsat: bigint, cltvExpiry: number): void {
    const id = byUs ? this.#nextId.ours++ : this.#nextId.theirs++;
    const preimage = sha256(Buffer.from(`${byUs}/${id}`));
    const paymentHash = sha256(preimage);
    if (byUs) this.ours -= amountMsat;
    else this.theirs -= amountMsat;
    this.htlcs.push({ byUs, id, amountMsat, paymentHash, preimage, cltvExpiry });
  }
  /** Removes HTLC i; returns the preimage the node passes to the signer (ours, fulfilled). */
  remove(i: number, fulfilled: boolean): Uint8Array | undefined {
    const [h] = this.htlcs.splice(i, 1);
    // Fulfilled: the receiver gets it; failed: the offerer is refunded.
    if (h!.byUs === fulfilled) this.theirs += h!.amountMsat;
    else this.ours += h!.amountMsat;
    return h!.byUs && fulfilled ? h!.preimage : undefined;
  }
  /** Commitment `n` of `owner`, directions from the owner's view. */
  proposal(owner: "holder" | "counterparty", n: number): CommitmentProposal {
    const holder = owner === "holder";
    const htlcs: Htlc[] = this.htlcs.map((h) => ({
      id: h.id,
      direction: h.byUs === holder ? "offered" : "received",
      amountMsat: h.amountMsat,
      paymentHash: h.paymentHash,
      cltvExpiry: h.cltvExpiry,
    }));
    return {
      commitmentNumber: n,
      feeratePerKw: this.feerate,
      toOwnerMsat: holder ? this.ours : this.theirs,
      toOtherMsat: holder ? this.theirs : this.ours,
      htlcs,
    };
  }
}

function fundingScript(a: Uint8Array, b: Uint8Array): Uint8Array {
  // BOLT 3: the two funding keys in lexicographic order.
  const [k1, k2] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
  return Uint8Array.from([0x52, 0x21, ...k1, 0x21, ...k2, 0x52, 0xae]);
}

/** The peer checks our signatures on its commitment `p` with its own recomposition. */
function verifyCounterpartySigs(
  t: TestChannel,
  p: CommitmentProposal,
  sigs: CommitmentSignatures,
): void {
  const point = t.peer.point(p.commitmentNumber);
  const of = channelObscuringFactor(t.setup, t.channel.basepoints);
  const built = recomposeCommitment("counterparty", t.setup, t.channel.basepoints, point, of, p);
  const ourFunding = t.channel.basepoints.fundingPubkey;
  const script = fundingScript(ourFunding, t.peer.keys.basepoints.fundingPubkey);
  assert.ok(
    verifySegwitV0(built.tx, 0, script, t.setup.channelValueSat, 1, sigs.signature, ourFunding),
    `commitment signature ${p.commitmentNumber}`,
  );
  const htlcTxs = buildHtlcTransactions(built);
  assert.equal(sigs.htlcSignatures.length, htlcTxs.length);
  const type = t.setup.channelType === "anchors_zero_fee_htlc_tx" ? 0x83 : 0x01;
  htlcTxs.forEach((h, i) => {
    assert.ok(
      verifySegwitV0(
        h.tx,
        0,
        h.htlcWitnessScript,
        h.inputValueSat,
        type,
        sigs.htlcSignatures[i]!,
        built.params.keys.remoteHtlcPubkey,
      ),
      `HTLC signature ${i} of commitment ${p.commitmentNumber}`,
    );
  });
}

async function lifecycle(channelType: ChannelType, seed: number, updates: number): Promise<void> {
  const rand = prng(seed);
  const node = await testNode({
    config: { allowlist: [bytesToHex(p2wpkh(publicKey(sha256(Buffer.from("ours")))))] },
  });
  const push = 3_000_000_000n;
  const t = await openTestChannel(node, `life-${channelType}`, { channelType, pushMsat: push });
  const model = new Model(t.setup.channelValueSat * 1000n - push, push);
  // The peer learns our points one ahead (funding_locked / revoke_and_ack), from Warden.
  const points = [
    await t.channel.getPerCommitmentPoint(0),
    await t.channel.getPerCommitmentPoint(1),
  ];
  await fundChannel(t);
  let fulfilled = 0;
  let failed = 0;
  let feeUpdates = 0;
  const height = 800_000;

  const round = async (n: number): Promise<void> => {
    const cp = model.proposal("counterparty", n);
    const holder = model.proposal("holder", n);
    const { counterpartySigs, secret } = await honestRound(t, cp, holder);
    verifyCounterpartySigs(t, cp, counterpartySigs);
    assert.ok(secret !== undefined);
    assert.equal(
      bytesToHex(pointOfSecret(secret)),
      bytesToHex(points[n - 1]!),
      `secret ${n - 1} matches its point`,
    );
    points.push(await t.channel.getPerCommitmentPoint(n + 1));
    const s = t.channel.state;
    assert.equal(s.holderRevokedThrough, n - 1);
    assert.equal(s.counterpartyRevokedThrough, n - 1);
    assert.equal(s.currentHolder!.toOwnerMsat, model.ours);
    assert.equal(s.currentCounterparty!.toOtherMsat, model.ours);
    assert.equal(s.currentHolder!.htlcs.length, model.htlcs.length);
  };

  let n = 1;
  for (; n <= updates; n++) {
    const op = rand(10);
    if (op < 3 && model.htlcs.length < 8 && model.ours > 2_000_000_000n) {
      model.add(true, BigInt(100_000 + rand(300_000_000)), height + 40 + rand(500));
    } else if (op < 6 && model.htlcs.length < 8 && model.theirs > 400_000_000n) {
      model.add(false, BigInt(100_000 + rand(300_000_000)), height + 40 + rand(500));
    } else if (op < 9 && model.htlcs.length > 0) {
      const ok = rand(2) === 0;
      const preimage = model.remove(rand(model.htlcs.length), ok);
      if (preimage !== undefined) await node.addPreimage(preimage);
      if (ok) fulfilled++;
      else failed++;
    } else {
      model.feerate = 253 + rand(15_000);
      feeUpdates++;
    }
    await round(n);
  }
  // Settle what is left, then close.
  while (model.htlcs.length > 0) {
    const preimage = model.remove(0, true);
    if (preimage !== undefined) await node.addPreimage(preimage);
    fulfilled++;
    await round(n++);
  }
  const min = updates / 20;
  assert.ok(
    fulfilled >= min && failed >= min && feeUpdates >= min / 2,
    `the run exercised every update (${fulfilled} fulfilled, ${failed} failed, ${feeUpdates} fee)`,
  );

  const ourScript = p2wpkh(publicKey(sha256(Buffer.from("ours"))));
  const theirScript = p2wpkh(publicKey(sha256(Buffer.from("theirs"))));
  const close = await t.channel.signMutualClose({
    toHolderMsat: model.ours,
    toCounterpartyMsat: model.theirs,
    holderScript: ourScript,
    counterpartyScript: theirScript,
    feeSat: 1_000n,
  });
  const ourFunding = t.channel.basepoints.fundingPubkey;
  const script = fundingScript(ourFunding, t.peer.keys.basepoints.fundingPubkey);
  assert.ok(
    verifySegwitV0(close.tx, 0, script, t.setup.channelValueSat, 1, close.signature, ourFunding),
  );
  const ourOut = close.tx.outputs.find((o) => bytesToHex(o.script) === bytesToHex(ourScript));
  assert.equal(ourOut!.value, model.ours / 1000n - 1_000n);
  assert.equal(t.channel.phase, "closing");
}

test("life cycle (anchors): open, 200 random updates in BOLT 2 order, mutual close", async () => {
  await lifecycle("anchors_zero_fee_htlc_tx", 0x5eed, 200);
});

test("life cycle (static_remotekey): open, 80 random updates, mutual close", async () => {
  await lifecycle("static_remotekey", 0xbeef, 80);
});
