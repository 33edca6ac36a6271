/**
 * BOLT 3 "Commitment Transaction Construction": builds the unsigned commitment transaction of
 * one party (its "owner", BOLT 3's "local": whose to_local is delayed) with the metadata a
 * validating signer needs. The same function builds holder and counterparty commitments: pass
 * the owner's balances, dust limit, to_self_delay, keys and HTLC directions.
 */

import { p2wsh } from "../bitcoin/outputs.js";
import type { OutPoint, Tx, TxOut } from "../bitcoin/tx.js";
import { txid as computeTxid } from "../bitcoin/tx.js";
import { FormatError } from "../errors.js";
import { assertBytes, equalBytes } from "../util/bytes.js";
import { assertChannelType, type ChannelType, hasAnchors } from "./channel-type.js";
import { assertCommitmentKeys, type CommitmentKeys } from "./commitment-keys.js";
import {
  assertCommitmentNumber,
  commitmentLocktimeSequence,
  obscureCommitmentNumber,
} from "./commitment-number.js";
import { Bolt3Error } from "./errors.js";
import {
  ANCHOR_OUTPUT_VALUE_SAT,
  commitmentFeeSat,
  htlcSuccessFeeSat,
  htlcTimeoutFeeSat,
} from "./fees.js";
import { assertHtlc, type Htlc } from "./htlc.js";
import {
  anchorScript,
  compareBytes,
  htlcScriptContext,
  htlcScriptFromContext,
  toLocalScript,
  toRemoteOutput,
} from "./scripts.js";
import { assertMsat, assertSat, assertU16, assertU32 } from "./validate.js";

/** BOLT 2: a dust_limit_satoshis below 354 must fail the channel; the builder refuses it too. */
export const MIN_DUST_LIMIT_SAT = 354n;
/** BOLT 2: at most 483 HTLCs in each direction. */
export const MAX_HTLCS_PER_DIRECTION = 483;

/** Everything that determines one commitment transaction, from its owner's point of view. */
export interface CommitmentParams {
  channelType: ChannelType;
  /** The funding output (txid in internal byte order). */
  fundingOutpoint: OutPoint;
  fundingAmountSat: bigint;
  /** Counts up from 0 (not the BOLT 3 per-commitment index). */
  commitmentNumber: number;
  /** commitmentObscuringFactor(opener payment_basepoint, accepter payment_basepoint). */
  obscuringFactor: number;
  /** True when the owner of this commitment opened (funded) the channel and pays the fee. */
  localIsOpener: boolean;
  /** Owner's balance before fee and anchors, excluding in-flight HTLCs. */
  toLocalMsat: bigint;
  /** Counterparty's balance before fee and anchors, excluding in-flight HTLCs. */
  toRemoteMsat: bigint;
  feeratePerKw: number;
  /** The owner's dust_limit_satoshis. */
  dustLimitSat: bigint;
  /** The delay the owner waits on to_local and HTLC tx outputs (set by the counterparty). */
  toSelfDelay: number;
  keys: CommitmentKeys;
  /** HTLCs with directions seen from the owner. toLocal + toRemote + HTLCs must equal the funding amount. */
  htlcs: readonly Htlc[];
}

/** What a commitment output pays to. */
export type CommitmentOutputKind =
  | "to_local"
  | "to_remote"
  | "to_local_anchor"
  | "to_remote_anchor"
  | "offered_htlc"
  | "received_htlc";

/** One output of a built commitment transaction. */
export interface CommitmentOutput {
  kind: CommitmentOutputKind;
  outputIndex: number;
  valueSat: bigint;
  scriptPubKey: Uint8Array;
  /** P2WSH witness script; undefined only for the P2WPKH to_remote of static_remotekey. */
  witnessScript: Uint8Array | undefined;
  /** The HTLC, for offered_htlc / received_htlc outputs. */
  htlc: Htlc | undefined;
}

/** A built (unsigned) commitment transaction and how it was derived. */
export interface CommitmentTransaction {
  /** Unsigned: the funding input's witness is empty. */
  tx: Tx;
  /** Internal byte order. */
  txid: Uint8Array;
  /** The (validated) parameters it was built from. */
  params: Readonly<CommitmentParams>;
  obscuredCommitmentNumber: number;
  /** All outputs, in transaction order. */
  outputs: CommitmentOutput[];
  /** The HTLC outputs in transaction order (the order of BOLT 2 htlc_signatures). */
  htlcOutputs: CommitmentOutput[];
  /** HTLCs that got no output (their value goes to fees). */
  trimmedHtlcs: Htlc[];
  /** BOLT 3 base fee: feerate * expected weight / 1000. */
  baseFeeSat: bigint;
  /** Fee actually paid: funding amount minus all outputs (base fee, anchors not added, trimmed value, msat rounding). */
  feeSat: bigint;
  /** to_local amount after fee/anchors (0 if they exceeded it), whether or not it was trimmed. */
  toLocalSat: bigint;
  /** to_remote amount after fee/anchors (0 if they exceeded it), whether or not it was trimmed. */
  toRemoteSat: bigint;
  /**
   * How much of base fee + anchors the opener's balance could not cover (0 normally). BOLT 3
   * then reduces the opener's output to nothing; a policy should refuse such a commitment.
   */
  openerShortfallSat: bigint;
}

/** A witness script and its scriptPubKey. */
interface ScriptPair {
  witnessScript: Uint8Array | undefined;
  scriptPubKey: Uint8Array;
}

/**
 * Anchor and to_remote outputs depend on one static key each (a funding pubkey, the peer's
 * payment basepoint), so every commitment of a channel repeats them: built once per key array
 * (checked unchanged by a snapshot of its content) and channel type, handed out as copies
 * (callers own what they get).
 */
interface KeyOutputs {
  snapshot: Uint8Array;
  built: Map<string, ScriptPair>;
}
const keyOutputs = new WeakMap<Uint8Array, KeyOutputs>();

function copyOf(b: Uint8Array): Uint8Array {
  const out = Buffer.isBuffer(b) ? Buffer.allocUnsafe(b.length) : new Uint8Array(b.length);
  out.set(b);
  return out;
}

function keyOutput(
  what: "anchor" | "to_remote",
  channelType: ChannelType,
  key: Uint8Array,
  make: () => ScriptPair,
): ScriptPair {
  let entry = keyOutputs.get(key);
  if (entry === undefined || !equalBytes(entry.snapshot, key)) {
    entry = { snapshot: new Uint8Array(key), built: new Map() };
    keyOutputs.set(key, entry);
  }
  const id = what === "anchor" ? what : channelType;
  let pair = entry.built.get(id);
  if (pair === undefined) {
    pair = make();
    entry.built.set(id, pair);
  }
  return {
    witnessScript: pair.witnessScript === undefined ? undefined : copyOf(pair.witnessScript),
    scriptPubKey: copyOf(pair.scriptPubKey),
  };
}

interface Entry {
  value: bigint;
  script: Uint8Array;
  cltv: number;
  kind: CommitmentOutputKind;
  witnessScript: Uint8Array | undefined;
  htlc: Htlc | undefined;
}

/** BOLT 3 Transaction Output Ordering: value, then scriptpubkey (memcmp, shorter first), then cltv_expiry. */
function compareEntries(a: Entry, b: Entry): number {
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  const c = compareBytes(a.script, b.script);
  if (c !== 0) return c;
  return a.cltv - b.cltv;
}

function checkParams(p: CommitmentParams): void {
  if (typeof p !== "object" || p === null) {
    throw new FormatError("format/type", "commitment params must be an object");
  }
  assertChannelType(p.channelType);
  if (typeof p.fundingOutpoint !== "object" || p.fundingOutpoint === null) {
    throw new FormatError("format/type", "fundingOutpoint must be an object");
  }
  assertBytes(p.fundingOutpoint.txid, 32, "funding txid");
  assertU32(p.fundingOutpoint.vout, "funding vout");
  assertSat(p.fundingAmountSat, "fundingAmountSat");
  assertCommitmentNumber(p.commitmentNumber);
  assertCommitmentNumber(p.obscuringFactor, "obscuringFactor");
  if (typeof p.localIsOpener !== "boolean") {
    throw new FormatError("format/type", "localIsOpener must be a boolean");
  }
  assertSat(p.dustLimitSat, "dustLimitSat");
  if (p.dustLimitSat < MIN_DUST_LIMIT_SAT) {
    throw new Bolt3Error("bolt3/dust-limit", "dust_limit_satoshis must be at least 354");
  }
  assertU32(p.feeratePerKw, "feeratePerKw");
  assertU16(p.toSelfDelay, "toSelfDelay");
  assertCommitmentKeys(p.keys);
  if (!Array.isArray(p.htlcs)) throw new FormatError("format/type", "htlcs must be an array");
  let offered = 0;
  let total = 0n;
  const ids = new Set<string>();
  for (let i = 0; i < p.htlcs.length; i++) {
    const h = p.htlcs[i];
    assertHtlc(h, `htlcs[${i}]`);
    if (h.direction === "offered") offered++;
    const key = `${h.direction}:${h.id}`;
    if (ids.has(key))
      throw new Bolt3Error("bolt3/htlc-duplicate", `duplicate ${h.direction} HTLC id ${h.id}`);
    ids.add(key);
    total += h.amountMsat;
  }
  if (offered > MAX_HTLCS_PER_DIRECTION || p.htlcs.length - offered > MAX_HTLCS_PER_DIRECTION) {
    throw new Bolt3Error("bolt3/htlc-count", "more than 483 HTLCs in one direction");
  }
  assertMsat(p.toLocalMsat, "toLocalMsat");
  assertMsat(p.toRemoteMsat, "toRemoteMsat");
  if (p.toLocalMsat + p.toRemoteMsat + total !== p.fundingAmountSat * 1000n) {
    throw new Bolt3Error(
      "bolt3/balance-mismatch",
      "toLocalMsat + toRemoteMsat + HTLC amounts must equal the funding amount",
    );
  }
}

/**
 * Builds the commitment transaction per BOLT 3 Commitment Transaction Construction: trims
 * HTLCs (dust limit + HTLC tx fee, the fee being 0 with zero-fee anchors), takes the base fee
 * (and 2 x 330 sat anchors) from the opener, drops to_local / to_remote below the dust limit,
 * adds anchors for a side with an output or when HTLCs remain, and sorts outputs by BIP 69 +
 * cltv_expiry. Throws FormatError / CryptoError on malformed params and Bolt3Error when
 * balances do not add up, HTLC ids repeat, or the dust limit is below 354 sat.
 */
export function buildCommitmentTransaction(params: CommitmentParams): CommitmentTransaction {
  checkParams(params);
  const p: Readonly<CommitmentParams> = Object.freeze({ ...params, htlcs: [...params.htlcs] });
  const anchors = hasAnchors(p.channelType);
  const timeoutFee = htlcTimeoutFeeSat(p.channelType, p.feeratePerKw);
  const successFee = htlcSuccessFeeSat(p.channelType, p.feeratePerKw);

  const untrimmed: Htlc[] = [];
  const trimmedHtlcs: Htlc[] = [];
  for (const h of p.htlcs) {
    const fee = h.direction === "offered" ? timeoutFee : successFee;
    if (h.amountMsat / 1000n < p.dustLimitSat + fee) trimmedHtlcs.push(h);
    else untrimmed.push(h);
  }

  const baseFeeSat = commitmentFeeSat(p.channelType, p.feeratePerKw, untrimmed.length);
  const openerCost = baseFeeSat + (anchors ? 2n * ANCHOR_OUTPUT_VALUE_SAT : 0n);
  let toLocalSat = p.toLocalMsat / 1000n;
  let toRemoteSat = p.toRemoteMsat / 1000n;
  let openerShortfallSat = 0n;
  if (p.localIsOpener) {
    toLocalSat -= openerCost;
    if (toLocalSat < 0n) {
      openerShortfallSat = -toLocalSat;
      toLocalSat = 0n;
    }
  } else {
    toRemoteSat -= openerCost;
    if (toRemoteSat < 0n) {
      openerShortfallSat = -toRemoteSat;
      toRemoteSat = 0n;
    }
  }

  const entries: Entry[] = [];
  if (untrimmed.length > 0) {
    const ctx = htlcScriptContext(p.channelType, p.keys);
    for (const h of untrimmed) {
      const witnessScript = htlcScriptFromContext(ctx, h.direction, h.paymentHash, h.cltvExpiry);
      entries.push({
        value: h.amountMsat / 1000n,
        script: p2wsh(witnessScript),
        cltv: h.cltvExpiry,
        kind: h.direction === "offered" ? "offered_htlc" : "received_htlc",
        witnessScript,
        htlc: h,
      });
    }
  }
  const hasToLocal = toLocalSat >= p.dustLimitSat;
  const hasToRemote = toRemoteSat >= p.dustLimitSat;
  if (hasToLocal) {
    const witnessScript = toLocalScript(
      p.keys.revocationPubkey,
      p.toSelfDelay,
      p.keys.localDelayedPubkey,
    );
    entries.push({
      value: toLocalSat,
      script: p2wsh(witnessScript),
      cltv: 0,
      kind: "to_local",
      witnessScript,
      htlc: undefined,
    });
  }
  if (hasToRemote) {
    const out = keyOutput("to_remote", p.channelType, p.keys.remotePaymentPubkey, () =>
      toRemoteOutput(p.channelType, p.keys.remotePaymentPubkey),
    );
    entries.push({
      value: toRemoteSat,
      script: out.scriptPubKey,
      cltv: 0,
      kind: "to_remote",
      witnessScript: out.witnessScript,
      htlc: undefined,
    });
  }
  if (anchors) {
    const addAnchor = (kind: CommitmentOutputKind, fundingPubkey: Uint8Array): void => {
      const out = keyOutput("anchor", p.channelType, fundingPubkey, () => {
        const witnessScript = anchorScript(fundingPubkey);
        return { witnessScript, scriptPubKey: p2wsh(witnessScript) };
      });
      const witnessScript = out.witnessScript;
      entries.push({
        value: ANCHOR_OUTPUT_VALUE_SAT,
        script: out.scriptPubKey,
        cltv: 0,
        kind,
        witnessScript,
        htlc: undefined,
      });
    };
    if (hasToLocal || untrimmed.length > 0) addAnchor("to_local_anchor", p.keys.localFundingPubkey);
    if (hasToRemote || untrimmed.length > 0) {
      addAnchor("to_remote_anchor", p.keys.remoteFundingPubkey);
    }
  }
  // Array.prototype.sort is stable: fully identical HTLC outputs keep the caller's order.
  entries.sort(compareEntries);

  const obscured = obscureCommitmentNumber(p.commitmentNumber, p.obscuringFactor);
  const { locktime, sequence } = commitmentLocktimeSequence(obscured);
  const txOutputs: TxOut[] = new Array(entries.length);
  const outputs: CommitmentOutput[] = new Array(entries.length);
  const htlcOutputs: CommitmentOutput[] = [];
  let outputSum = 0n;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    txOutputs[i] = { value: e.value, script: e.script };
    const o: CommitmentOutput = {
      kind: e.kind,
      outputIndex: i,
      valueSat: e.value,
      scriptPubKey: e.script,
      witnessScript: e.witnessScript,
      htlc: e.htlc,
    };
    outputs[i] = o;
    if (e.htlc !== undefined) htlcOutputs.push(o);
    outputSum += e.value;
  }
  const tx: Tx = {
    version: 2,
    inputs: [
      {
        prevout: { txid: new Uint8Array(p.fundingOutpoint.txid), vout: p.fundingOutpoint.vout },
        scriptSig: new Uint8Array(0),
        sequence,
        witness: [],
      },
    ],
    outputs: txOutputs,
    locktime,
  };
  return {
    tx,
    txid: computeTxid(tx),
    params: p,
    obscuredCommitmentNumber: obscured,
    outputs,
    htlcOutputs,
    trimmedHtlcs,
    baseFeeSat,
    feeSat: p.fundingAmountSat - outputSum,
    toLocalSat,
    toRemoteSat,
    openerShortfallSat,
  };
}
