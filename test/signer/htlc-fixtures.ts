/**
 * Fixtures for the on-chain operation tests: a funded channel with one HTLC in each direction
 * on our current holder commitment (1), on the peer's current (3) and previous (2) commitments,
 * and on a revoked peer commitment (1); plus verifiers that check signatures independently of
 * Warden's crypto (noble-curves ECDSA and point arithmetic over scure's BIP 143 sighash).
 */
import assert from "node:assert/strict";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { p2wpkh } from "../../src/bitcoin/outputs.js";
import { serializeTx, type OutPoint, type Tx } from "../../src/bitcoin/tx.js";
import type { ChannelType } from "../../src/bolt3/channel-type.js";
import type { CommitmentTransaction } from "../../src/bolt3/commitment.js";
import type { Htlc } from "../../src/bolt3/htlc.js";
import { sha256 } from "../../src/crypto/hash.js";
import { PolicyError } from "../../src/policy/errors.js";
import type { RuleId } from "../../src/policy/rule-ids.js";
import type { CommitmentProposal } from "../../src/state/commitment-proposal.js";
import { StateError } from "../../src/state/errors.js";
import { channelObscuringFactor, recomposeCommitment } from "../../src/state/recompose.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { toScureTx } from "../bitcoin/arbitraries.js";
import {
  fundChannel,
  holderPointOf,
  openTestChannel,
  peerSignsHolderCommitment,
  type TestChannel,
  testNode,
  type TestNodeOptions,
} from "./harness.js";

/** Chain height of the fixture nodes. */
export const HEIGHT = 800_000;
/** Our offered HTLC (50k sat, expiry HEIGHT+100) and the one we received (40k sat, HEIGHT+120). */
export const OFFERED_MSAT = 50_000_000n;
export const RECEIVED_MSAT = 40_000_000n;

const PUSH_MSAT = 3_000_000_000n;

/** The preimage of HTLC `label` (32 bytes) and its payment hash. */
export function preimageOf(label: string): Uint8Array {
  return sha256(Buffer.from(`preimage/${label}`));
}

function htlc(label: string, direction: Htlc["direction"], amountMsat: bigint, cltv: number): Htlc {
  return {
    id: 0n,
    direction,
    amountMsat,
    paymentHash: sha256(preimageOf(label)),
    cltvExpiry: cltv,
  };
}

/** An allowlisted wallet script of the fixture nodes. */
export const WALLET = p2wpkh(secp256k1.getPublicKey(nobleSha256(Buffer.from("wallet")), true));
/** A public key unrelated to the channel. */
export const STRANGER_KEY = secp256k1.getPublicKey(nobleSha256(Buffer.from("thief")), true);
/** A script that is neither our wallet nor allowlisted. */
export const STRANGER = p2wpkh(STRANGER_KEY);

/** A channel with HTLCs on every kind of commitment the on-chain operations spend. */
export interface OnchainFixture {
  t: TestChannel;
  channelType: ChannelType;
  /** Holder view: we offered `offered` (label "offered"), we received `received` (label "received"). */
  offered: Htlc;
  received: Htlc;
  /** Our current holder commitment 1, recomposed as the honest peer sees it. */
  holder: CommitmentTransaction;
  /** The peer's commitment n (1 revoked, 2 previous, 3 current) as the peer built it. */
  counterparty: (n: 1 | 2 | 3) => CommitmentTransaction;
}

/** Opens and drives the fixture channel on a fresh node (policy options as testNode). */
export async function onchainFixture(
  channelType: ChannelType,
  opts: TestNodeOptions = {},
): Promise<OnchainFixture> {
  const node = await testNode({
    chainHeight: HEIGHT,
    ...opts,
    config: { allowlist: [bytesToHex(WALLET)], ...opts.config },
  });
  const t = await openTestChannel(node, `onchain-${channelType}`, {
    channelType,
    pushMsat: PUSH_MSAT,
  });
  await fundChannel(t);
  const offered = htlc("offered", "offered", OFFERED_MSAT, HEIGHT + 100);
  const received = htlc("received", "received", RECEIVED_MSAT, HEIGHT + 120);
  const funder = t.setup.channelValueSat * 1000n - PUSH_MSAT;
  const flip = (h: Htlc): Htlc => ({
    ...h,
    direction: h.direction === "offered" ? "received" : "offered",
  });
  const cp = (n: number): CommitmentProposal => ({
    commitmentNumber: n,
    feeratePerKw: 2500,
    toOwnerMsat: PUSH_MSAT - RECEIVED_MSAT,
    toOtherMsat: funder - OFFERED_MSAT,
    htlcs: [flip(offered), flip(received)],
  });
  await t.channel.signCounterpartyCommitment(t.peer.point(1), cp(1));
  await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
  const h1: CommitmentProposal = {
    commitmentNumber: 1,
    feeratePerKw: 2500,
    toOwnerMsat: funder - OFFERED_MSAT,
    toOtherMsat: PUSH_MSAT - RECEIVED_MSAT,
    htlcs: [offered, received],
  };
  await t.channel.validateHolderCommitment(h1, peerSignsHolderCommitment(t, h1));
  await t.channel.revokeHolderCommitment(0);
  await t.channel.signCounterpartyCommitment(t.peer.point(2), cp(2));
  await t.channel.validateCounterpartyRevocation(1, t.peer.secret(1));
  await t.channel.signCounterpartyCommitment(t.peer.point(3), cp(3));

  const of = channelObscuringFactor(t.setup, t.channel.basepoints);
  const holder = recomposeCommitment(
    "holder",
    t.setup,
    t.channel.basepoints,
    holderPointOf(t, 1),
    of,
    h1,
  );
  const counterparty = (n: 1 | 2 | 3): CommitmentTransaction =>
    recomposeCommitment("counterparty", t.setup, t.channel.basepoints, t.peer.point(n), of, cp(n));
  return { t, channelType, offered, received, holder, counterparty };
}

/** A commitment's output of `kind` (first one), with its index. */
export function outputOfKind(
  c: CommitmentTransaction,
  kind: CommitmentTransaction["outputs"][0]["kind"],
): CommitmentTransaction["outputs"][0] {
  const o = c.outputs.find((x) => x.kind === kind);
  assert.ok(o !== undefined, `no ${kind} output`);
  return o;
}

/** The index of the HTLC output carrying `paymentHash` in commitment `c`. */
export function htlcOutputIndex(c: CommitmentTransaction, paymentHash: Uint8Array): number {
  const o = c.htlcOutputs.find((x) => bytesToHex(x.htlc!.paymentHash) === bytesToHex(paymentHash));
  assert.ok(o !== undefined, "no such HTLC output");
  return o.outputIndex;
}

/** A one-input sweep paying `valueSat - feeSat` to `dest`. */
export function sweepTx(
  prevout: OutPoint,
  valueSat: bigint,
  over: { sequence?: number; locktime?: number; feeSat?: bigint; dest?: Uint8Array } = {},
): Tx {
  return {
    version: 2,
    locktime: over.locktime ?? HEIGHT,
    inputs: [
      {
        prevout: { txid: Uint8Array.from(prevout.txid), vout: prevout.vout },
        scriptSig: new Uint8Array(0),
        sequence: over.sequence ?? 0xfffffffd,
        witness: [],
      },
    ],
    outputs: [{ value: valueSat - (over.feeSat ?? 1_000n), script: over.dest ?? WALLET }],
  };
}

/** Asserts `p` rejects with a PolicyError whose rule id is exactly `ruleId`. */
export async function rejectsWith(p: Promise<unknown>, ruleId: RuleId): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PolicyError, `expected PolicyError ${ruleId}, got ${String(e)}`);
    assert.equal(e.ruleId, ruleId, e.message);
    return true;
  });
}

/** Asserts `p` rejects with a StateError of `code`. */
export async function rejectsWithState(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof StateError, `expected StateError ${code}, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

// ---- Independent verification (noble-curves + scure), sharing no code with Warden's crypto. ----

const Point = secp256k1.Point;
const N = Point.CURVE().n;

function toBig(b: Uint8Array): bigint {
  return BigInt(`0x${bytesToHex(b)}`) % N;
}

function cat(a: Uint8Array, b: Uint8Array): Uint8Array {
  return Uint8Array.from([...a, ...b]);
}

/** BOLT 3 pubkey = basepoint + SHA256(point || basepoint)·G, computed with noble. */
export function nobleDerivePubkey(basepoint: Uint8Array, point: Uint8Array): Uint8Array {
  const t = toBig(nobleSha256(cat(point, basepoint)));
  return Point.fromBytes(basepoint).add(Point.BASE.multiply(t)).toBytes(true);
}

/** BOLT 3 revocationpubkey, computed with noble. */
export function nobleRevocationPubkey(
  revocationBasepoint: Uint8Array,
  point: Uint8Array,
): Uint8Array {
  const a = Point.fromBytes(revocationBasepoint).multiply(
    toBig(nobleSha256(cat(revocationBasepoint, point))),
  );
  const b = Point.fromBytes(point).multiply(toBig(nobleSha256(cat(point, revocationBasepoint))));
  return a.add(b).toBytes(true);
}

/**
 * True when `sigWithType` (DER + sighash byte, as in a witness) is `pubkey`'s valid low-S
 * signature of input `index` of `tx` (scure's BIP 143 digest, noble's ECDSA).
 */
export function verifyWitnessSignature(
  tx: Tx,
  index: number,
  scriptCode: Uint8Array,
  valueSat: bigint,
  sigWithType: Uint8Array,
  pubkey: Uint8Array,
  expectType: number,
): boolean {
  const type = sigWithType[sigWithType.length - 1]!;
  if (type !== expectType) return false;
  const der = sigWithType.subarray(0, sigWithType.length - 1);
  const digest = toScureTx(serializeTx(tx)).preimageWitnessV0(index, scriptCode, type, valueSat);
  return secp256k1.verify(der, digest, pubkey, { prehash: false, format: "der" });
}

/** True when `sig64` (compact) is `pubkey`'s signature of input `index` with `type`. */
export function verifyCompactSignature(
  tx: Tx,
  index: number,
  scriptCode: Uint8Array,
  valueSat: bigint,
  sig64: Uint8Array,
  pubkey: Uint8Array,
  type: number,
): boolean {
  const digest = toScureTx(serializeTx(tx)).preimageWitnessV0(index, scriptCode, type, valueSat);
  return secp256k1.verify(sig64, digest, pubkey, { prehash: false });
}
