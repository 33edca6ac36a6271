/**
 * Turning Core Lightning's commitment requests (a built transaction, hsm_htlcs, feerate,
 * commitment number) into Warden's CommitmentProposal. Core Lightning sends no balances and no
 * HTLC ids, so:
 *  - HTLC ids are derived deterministically from what identifies the HTLC (who offered it,
 *    payment hash, amount, expiry, and its rank among identical ones), so the same HTLC carries
 *    the same id in every commitment of both owners, across restarts;
 *  - the balance split is read from the to_local / to_remote outputs of the node's transaction
 *    (their scripts recomputed by Warden; the sub-satoshi remainder given to the opener). The
 *    transaction itself is still checked field by field against Warden's own BOLT 3
 *    recomposition, and the balance rules (policy-commitment-balance-decrease-justified and the
 *    payment rules) judge the split, so a lying split is refused, never signed.
 */
import type { Tx } from "../../bitcoin/tx.js";
import type { ChannelBasepoints } from "../../bolt3/commitment-keys.js";
import { hasAnchors } from "../../bolt3/channel-type.js";
import { ANCHOR_OUTPUT_VALUE_SAT, commitmentWeight } from "../../bolt3/fees.js";
import type { Htlc } from "../../bolt3/htlc.js";
import { sha256 } from "../../crypto/hash.js";
import type { ChannelSetup } from "../../state/channel-setup.js";
import type { CommitmentProposal } from "../../state/commitment-proposal.js";
import {
  channelObscuringFactor,
  type CommitmentOwner,
  recomposeCommitment,
} from "../../state/recompose.js";
import { concatBytes, equalBytes } from "../../util/bytes.js";
import type { HsmHtlc } from "./handlers/io.js";

const ID_TAG = new TextEncoder().encode("warden/cln-htlc-id");

function u64be(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, false);
  return b;
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

/**
 * Warden HTLCs (directions seen from `owner`) for Core Lightning's hsm_htlcs, whose `side` is
 * who offered the HTLC (0 = us, 1 = the peer). Ids are stable per HTLC (see module doc).
 */
export function htlcsFromCln(owner: CommitmentOwner, htlcs: readonly HsmHtlc[]): Htlc[] {
  const seen = new Map<string, number>();
  return htlcs.map((h) => {
    const fields = concatBytes(
      Uint8Array.of(h.side),
      h.paymentHash,
      u64be(h.amountMsat),
      u32be(h.cltvExpiry),
    );
    const k = Buffer.from(fields).toString("hex");
    const rank = seen.get(k) ?? 0;
    seen.set(k, rank + 1);
    const digest = sha256(concatBytes(ID_TAG, fields, u32be(rank)));
    const id = new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, false) >> 1n;
    const weOffered = h.side === 0;
    const offeredByOwner = owner === "holder" ? weOffered : !weOffered;
    return {
      id,
      direction: offeredByOwner ? "offered" : "received",
      amountMsat: h.amountMsat,
      paymentHash: Uint8Array.from(h.paymentHash),
      cltvExpiry: h.cltvExpiry,
    };
  });
}

/** What a commitment request carries. */
export interface ClnCommitment {
  owner: CommitmentOwner;
  setup: ChannelSetup;
  holder: ChannelBasepoints;
  /** The owner's per-commitment point. */
  point: Uint8Array;
  commitmentNumber: number;
  feeratePerKw: number;
  htlcs: readonly Htlc[];
  tx: Tx;
}

function outputValue(tx: Tx, script: Uint8Array | undefined): bigint | undefined {
  if (script === undefined) return undefined;
  const out = tx.outputs.find((o) => equalBytes(o.script, script));
  return out?.value;
}

/**
 * The proposal Core Lightning's request stands for, with the node's transaction attached for
 * the field-by-field comparison. Pure; never throws on odd values (the recomposition that
 * follows refuses them).
 */
export function proposalFromCln(c: ClnCommitment): CommitmentProposal {
  if (c.feeratePerKw === 0 && c.htlcs.length === 0) {
    c = { ...c, feeratePerKw: inferFeerate(c) };
  }
  return inferBalances(c);
}

/**
 * Core Lightning's openingd sends feerate 0 for the first commitments ("unused since there are
 * no htlcs"): the feerate is then the lowest one whose BOLT 3 fee is the fee the tx pays (any
 * feerate with that fee builds the same transaction).
 */
function inferFeerate(c: ClnCommitment): number {
  // The opener pays the fee and both anchors (330 sat each) whether or not they have outputs.
  const anchors = hasAnchors(c.setup.channelType);
  let outs = 0n;
  for (const o of c.tx.outputs)
    if (!anchors || o.value !== ANCHOR_OUTPUT_VALUE_SAT) outs += o.value;
  const fee = c.setup.channelValueSat - outs - (anchors ? 2n * ANCHOR_OUTPUT_VALUE_SAT : 0n);
  if (fee <= 0n) return 0;
  const weight = BigInt(commitmentWeight(c.setup.channelType, 0));
  const start = (fee * 1000n) / weight;
  for (let f = start > 2n ? start - 2n : 0n; f <= start + 2n; f++) {
    if ((f * weight) / 1000n === fee && f <= 0xffffffffn) return Number(f);
  }
  return 0;
}

function inferBalances(c: ClnCommitment): CommitmentProposal {
  const total = c.setup.channelValueSat * 1000n;
  let htlcSum = 0n;
  for (const h of c.htlcs) htlcSum += h.amountMsat;
  const rest = total - htlcSum;
  const ownerIsOpener = c.owner === "holder" ? c.setup.isOutbound : !c.setup.isOutbound;
  const base = {
    commitmentNumber: c.commitmentNumber,
    feeratePerKw: c.feeratePerKw,
    htlcs: c.htlcs,
    tx: c.tx,
  };
  const build = (openerMsat: bigint): CommitmentProposal => ({
    ...base,
    toOwnerMsat: ownerIsOpener ? openerMsat : rest - openerMsat,
    toOtherMsat: ownerIsOpener ? rest - openerMsat : openerMsat,
  });
  if (rest <= 0n) return build(rest);
  // A guess with both balance outputs present gives their scripts and the opener's fee.
  const openerGuess = (rest / 2000n) * 1000n;
  let guess;
  try {
    guess = recomposeCommitment(
      c.owner,
      c.setup,
      c.holder,
      c.point,
      channelObscuringFactor(c.setup, c.holder),
      build(openerGuess),
    );
  } catch {
    return build(rest);
  }
  const scriptOf = (kind: "to_local" | "to_remote"): Uint8Array | undefined =>
    guess.outputs.find((o) => o.kind === kind)?.scriptPubKey;
  const openerKind = ownerIsOpener ? "to_local" : "to_remote";
  const otherKind = ownerIsOpener ? "to_remote" : "to_local";
  const openerOut = outputValue(c.tx, scriptOf(openerKind));
  const otherOut = outputValue(c.tx, scriptOf(otherKind));
  const openerGuessOut = ownerIsOpener ? guess.toLocalSat : guess.toRemoteSat;

  let opener: bigint;
  if (openerOut !== undefined) {
    opener = openerGuess + (openerOut - openerGuessOut) * 1000n;
    if (otherOut !== undefined) {
      // Keep the other side's output exact; the sub-satoshi remainder stays with the opener.
      let other = rest - opener;
      if (other < otherOut * 1000n) other = otherOut * 1000n;
      if (other > otherOut * 1000n + 999n) other = otherOut * 1000n + 999n;
      opener = rest - other;
    }
  } else if (otherOut !== undefined) {
    opener = rest - otherOut * 1000n;
  } else {
    opener = rest;
  }
  return build(opener);
}
