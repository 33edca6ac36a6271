/**
 * What gets signed in BOLT 3 transactions: BIP 143 sighashes of the commitment's funding input
 * and of an HTLC tx's input, with the sighash type each party uses (BOLT 3 HTLC-Timeout and
 * HTLC-Success Transactions; BOLT 5 for SIGHASH_SINGLE|SIGHASH_ANYONECANPAY with anchors).
 */
import {
  SIGHASH_ALL,
  SIGHASH_ANYONECANPAY,
  SIGHASH_SINGLE,
  segwitV0Sighash,
} from "../bitcoin/sighash.js";
import type { Tx } from "../bitcoin/tx.js";
import { type ChannelType, hasAnchors } from "./channel-type.js";
import type { CommitmentTransaction } from "./commitment.js";
import type { HtlcTransaction } from "./htlc-tx.js";
import { fundingScript } from "./scripts.js";

/**
 * Sighash type of the counterparty's ("remote") signature on the owner's HTLC txs:
 * SIGHASH_SINGLE|SIGHASH_ANYONECANPAY (0x83) with option_anchors, else SIGHASH_ALL.
 */
export function counterpartyHtlcSighashType(channelType: ChannelType): number {
  return hasAnchors(channelType) ? SIGHASH_SINGLE | SIGHASH_ANYONECANPAY : SIGHASH_ALL;
}

/** Sighash type of the owner's ("local") own signature on its HTLC txs: always SIGHASH_ALL. */
export function ownerHtlcSighashType(_channelType: ChannelType): number {
  return SIGHASH_ALL;
}

/** BIP 143 SIGHASH_ALL digest of a transaction's input 0 spending the 2-of-2 funding output (commitment or closing tx). */
export function fundingInputSighash(
  tx: Tx,
  fundingWitnessScript: Uint8Array,
  fundingAmountSat: bigint,
): Uint8Array {
  return segwitV0Sighash(tx, 0, fundingWitnessScript, fundingAmountSat, SIGHASH_ALL);
}

/**
 * Funding scripts by the two keys' content: every commitment of a channel spends the same
 * funding output. Only read here (never handed out). Bounded in two generations.
 */
let fundingScripts = new Map<string, Uint8Array>();
let fundingScriptsOld = new Map<string, Uint8Array>();
const FUNDING_SCRIPTS_GENERATION = 4096;

function cachedFundingScript(a: Uint8Array, b: Uint8Array): Uint8Array {
  const id =
    Buffer.from(a.buffer, a.byteOffset, a.length).toString("latin1") +
    Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
  let script = fundingScripts.get(id) ?? fundingScriptsOld.get(id);
  if (script === undefined) {
    script = fundingScript(a, b);
    if (fundingScripts.size >= FUNDING_SCRIPTS_GENERATION) {
      fundingScriptsOld = fundingScripts;
      fundingScripts = new Map();
    }
    fundingScripts.set(id, script);
  }
  return script;
}

/** The digest both parties sign for a built commitment transaction (SIGHASH_ALL over the funding input). */
export function commitmentSighash(commitment: CommitmentTransaction): Uint8Array {
  const p = commitment.params;
  return fundingInputSighash(
    commitment.tx,
    cachedFundingScript(p.keys.localFundingPubkey, p.keys.remoteFundingPubkey),
    p.fundingAmountSat,
  );
}

/**
 * The digest to sign for an HTLC tx's single input with `sighashType` (use
 * counterpartyHtlcSighashType / ownerHtlcSighashType).
 */
export function htlcTxSighash(htlcTx: HtlcTransaction, sighashType: number): Uint8Array {
  return segwitV0Sighash(htlcTx.tx, 0, htlcTx.htlcWitnessScript, htlcTx.inputValueSat, sighashType);
}
