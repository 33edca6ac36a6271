/**
 * BOLT 3 "HTLC-Timeout and HTLC-Success Transactions": the second-stage transaction spending
 * one HTLC output of a commitment. Version 2; locktime cltv_expiry (timeout) or 0 (success);
 * sequence 0, or 1 with option_anchors; one P2WSH output to the to_local-style script with the
 * commitment's revocationpubkey, local_delayedpubkey and to_self_delay, worth the HTLC amount
 * minus the HTLC tx fee (0 with zero-fee anchors).
 */
import { p2wsh } from "../bitcoin/outputs.js";
import type { Tx } from "../bitcoin/tx.js";
import { FormatError } from "../errors.js";
import { assertBytes } from "../util/bytes.js";
import { assertChannelType, type ChannelType, hasAnchors } from "./channel-type.js";
import type { CommitmentOutput, CommitmentTransaction } from "./commitment.js";
import { Bolt3Error } from "./errors.js";
import { type HtlcDirection, htlcTxFeeSat } from "./fees.js";
import { assertHtlc, type Htlc } from "./htlc.js";
import { toLocalScript } from "./scripts.js";
import { assertU32 } from "./validate.js";

/** HTLC-timeout spends an offered HTLC, HTLC-success a received one. */
export type HtlcTxKind = "htlc-timeout" | "htlc-success";

/** A built (unsigned) HTLC-timeout or HTLC-success transaction. */
export interface HtlcTransaction {
  kind: HtlcTxKind;
  tx: Tx;
  htlc: Htlc;
  /** Index of the spent HTLC output in the commitment transaction. */
  commitmentOutputIndex: number;
  /** Witness script of the spent commitment output (the BIP 143 scriptCode when signing). */
  htlcWitnessScript: Uint8Array;
  /** Value of the spent commitment output (floor(amount_msat / 1000)). */
  inputValueSat: bigint;
  feeSat: bigint;
  /** Witness script of the single output (to_local-style). */
  outputWitnessScript: Uint8Array;
}

/** Parameters of one HTLC tx when not derived from a CommitmentTransaction. */
export interface HtlcTxParams {
  channelType: ChannelType;
  /** Commitment txid, internal byte order. */
  commitmentTxid: Uint8Array;
  commitmentOutputIndex: number;
  htlc: Htlc;
  /** The HTLC output's witness script in the commitment (kept for signing). */
  htlcWitnessScript: Uint8Array;
  feeratePerKw: number;
  toSelfDelay: number;
  revocationPubkey: Uint8Array;
  localDelayedPubkey: Uint8Array;
}

/** The kind of second-stage tx spending an HTLC of this direction. */
export function htlcTxKind(direction: HtlcDirection): HtlcTxKind {
  return direction === "offered" ? "htlc-timeout" : "htlc-success";
}

function build(
  channelType: ChannelType,
  commitmentTxid: Uint8Array,
  outputIndex: number,
  htlc: Htlc,
  htlcWitnessScript: Uint8Array,
  feeratePerKw: number,
  outputWitnessScript: Uint8Array,
  outputScriptPubKey: Uint8Array,
): HtlcTransaction {
  const inputValueSat = htlc.amountMsat / 1000n;
  const feeSat = htlcTxFeeSat(channelType, feeratePerKw, htlc.direction);
  if (inputValueSat < feeSat) {
    throw new Bolt3Error("bolt3/htlc-below-fee", "HTLC amount is below its HTLC tx fee");
  }
  const kind = htlcTxKind(htlc.direction);
  const tx: Tx = {
    version: 2,
    inputs: [
      {
        prevout: { txid: new Uint8Array(commitmentTxid), vout: outputIndex },
        scriptSig: new Uint8Array(0),
        sequence: hasAnchors(channelType) ? 1 : 0,
        witness: [],
      },
    ],
    outputs: [{ value: inputValueSat - feeSat, script: outputScriptPubKey }],
    locktime: kind === "htlc-timeout" ? htlc.cltvExpiry : 0,
  };
  return {
    kind,
    tx,
    htlc,
    commitmentOutputIndex: outputIndex,
    htlcWitnessScript,
    inputValueSat,
    feeSat,
    outputWitnessScript,
  };
}

/** Builds one HTLC-timeout / HTLC-success tx from explicit parameters (BOLT 3 HTLC-Timeout and HTLC-Success Transactions). */
export function buildHtlcTransaction(p: HtlcTxParams): HtlcTransaction {
  if (typeof p !== "object" || p === null) {
    throw new FormatError("format/type", "HTLC tx params must be an object");
  }
  assertChannelType(p.channelType);
  assertBytes(p.commitmentTxid, 32, "commitmentTxid");
  assertU32(p.commitmentOutputIndex, "commitmentOutputIndex");
  assertHtlc(p.htlc);
  if (!(p.htlcWitnessScript instanceof Uint8Array)) {
    throw new FormatError("format/type", "htlcWitnessScript must be a Uint8Array");
  }
  assertU32(p.feeratePerKw, "feeratePerKw");
  const outputWitnessScript = toLocalScript(
    p.revocationPubkey,
    p.toSelfDelay,
    p.localDelayedPubkey,
  );
  return build(
    p.channelType,
    p.commitmentTxid,
    p.commitmentOutputIndex,
    p.htlc,
    p.htlcWitnessScript,
    p.feeratePerKw,
    outputWitnessScript,
    p2wsh(outputWitnessScript),
  );
}

/**
 * Builds the HTLC txs of every HTLC output of a commitment, in commitment output order (the
 * order of BOLT 2 htlc_signatures). The shared output script is computed once.
 */
export function buildHtlcTransactions(commitment: CommitmentTransaction): HtlcTransaction[] {
  const p = commitment.params;
  if (commitment.htlcOutputs.length === 0) return [];
  const outputWitnessScript = toLocalScript(
    p.keys.revocationPubkey,
    p.toSelfDelay,
    p.keys.localDelayedPubkey,
  );
  const outputScriptPubKey = p2wsh(outputWitnessScript);
  return commitment.htlcOutputs.map((o: CommitmentOutput) =>
    build(
      p.channelType,
      commitment.txid,
      o.outputIndex,
      o.htlc!,
      o.witnessScript!,
      p.feeratePerKw,
      outputWitnessScript,
      outputScriptPubKey,
    ),
  );
}
