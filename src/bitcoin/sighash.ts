/**
 * Signature hashes: BIP 143 (segwit v0) and BIP 341 key path (taproot, no annex).
 *
 * Hot path: every digest is computed over one preallocated buffer of the exact size. When many
 * inputs of one transaction are signed, compute the shared hashes once with
 * `precomputeSegwitV0(tx)` / `precomputeTaproot(tx, prevouts)` and pass them in; they are tied
 * to the transaction object they came from (passing them with another object throws), and the
 * transaction must not be mutated in between.
 *
 * Errors: bad sighash types raise `format/sighash-type`, out-of-range input indexes
 * `format/sighash-input-index`, a prevouts list of the wrong length `format/sighash-prevouts`,
 * BIP 341 SINGLE without a matching output `format/sighash-single-no-output`, mismatched
 * precomputed hashes `format/sighash-precomputed`; malformed transactions the usual
 * `format/tx-*` codes.
 */
import { sha256, sha256d, taggedHash } from "../crypto/hash.js";
import { FormatError } from "../errors.js";
import { ByteWriter, compactSizeLength } from "./bytes-writer.js";
import { MAX_MONEY, type Tx, type TxOut, validateTx } from "./tx.js";

/** BIP 341 only: same digest as ALL, but the signature omits the type byte. */
export const SIGHASH_DEFAULT = 0;
/** Commit to all inputs and outputs. */
export const SIGHASH_ALL = 1;
/** Commit to no outputs. */
export const SIGHASH_NONE = 2;
/** Commit to the output with the same index as the input. */
export const SIGHASH_SINGLE = 3;
/** Flag: commit to this input only. */
export const SIGHASH_ANYONECANPAY = 0x80;

const ZERO32 = new Uint8Array(32);

/** Shared BIP 143 hashes of one transaction (reusable for all its inputs). */
export interface SegwitV0Hashes {
  /** The transaction these hashes belong to (identity checked on use). */
  readonly tx: Tx;
  readonly hashPrevouts: Uint8Array;
  readonly hashSequence: Uint8Array;
  readonly hashOutputs: Uint8Array;
}

/** Shared BIP 341 hashes of one transaction and its spent outputs. */
export interface TaprootHashes {
  readonly tx: Tx;
  readonly prevouts: readonly TxOut[];
  readonly shaPrevouts: Uint8Array;
  readonly shaAmounts: Uint8Array;
  readonly shaScriptPubkeys: Uint8Array;
  readonly shaSequences: Uint8Array;
  readonly shaOutputs: Uint8Array;
}

function fail(problem: string, message: string): never {
  throw new FormatError(`format/sighash-${problem}`, message);
}

function checkIndex(tx: Tx, inputIndex: number): void {
  if (!Number.isInteger(inputIndex) || inputIndex < 0 || inputIndex >= tx.inputs.length) {
    fail("input-index", `input index ${inputIndex} out of range (${tx.inputs.length} inputs)`);
  }
}

function prevoutsBytes(tx: Tx): Buffer {
  const w = new ByteWriter(36 * tx.inputs.length);
  for (const input of tx.inputs) {
    w.bytes(input.prevout.txid);
    w.u32le(input.prevout.vout);
  }
  return w.finish();
}

function sequencesBytes(tx: Tx): Buffer {
  const w = new ByteWriter(4 * tx.inputs.length);
  for (const input of tx.inputs) w.u32le(input.sequence);
  return w.finish();
}

function outputsBytes(outputs: readonly TxOut[]): Buffer {
  let size = 0;
  for (const o of outputs) size += 8 + compactSizeLength(o.script.length) + o.script.length;
  const w = new ByteWriter(size);
  for (const o of outputs) {
    w.u64le(o.value);
    w.varBytes(o.script);
  }
  return w.finish();
}

/** Validates `tx` and computes the BIP 143 hashPrevouts/hashSequence/hashOutputs (for ALL). */
export function precomputeSegwitV0(tx: Tx): SegwitV0Hashes {
  validateTx(tx);
  return {
    tx,
    hashPrevouts: sha256d(prevoutsBytes(tx)),
    hashSequence: sha256d(sequencesBytes(tx)),
    hashOutputs: sha256d(outputsBytes(tx.outputs)),
  };
}

/**
 * BIP 143 signature hash (32 bytes, the message to ECDSA-sign) of input `inputIndex` spending an
 * output of `value` sat with `scriptCode` (raw script, no length prefix). Supports ALL, NONE and
 * SINGLE, each with or without ANYONECANPAY; SINGLE without a matching output uses a zero
 * hashOutputs as BIP 143 specifies.
 */
export function segwitV0Sighash(
  tx: Tx,
  inputIndex: number,
  scriptCode: Uint8Array,
  value: bigint,
  sighashType: number,
  precomputed?: SegwitV0Hashes,
): Uint8Array {
  if (precomputed === undefined) validateTx(tx);
  else if (precomputed.tx !== tx) fail("precomputed", "precomputed hashes are for another tx");
  const base = sighashType & 0x1f;
  if (
    !Number.isInteger(sighashType) ||
    (sighashType & ~(SIGHASH_ANYONECANPAY | 0x1f)) !== 0 ||
    base < SIGHASH_ALL ||
    base > SIGHASH_SINGLE
  ) {
    fail("type", `unsupported segwit v0 sighash type ${sighashType}`);
  }
  checkIndex(tx, inputIndex);
  if (!(scriptCode instanceof Uint8Array)) fail("script-code", "scriptCode must be a Uint8Array");
  if (typeof value !== "bigint" || value < 0n || value > MAX_MONEY) {
    fail("value", "spent value must be a bigint in 0..MAX_MONEY");
  }
  const anyoneCanPay = (sighashType & SIGHASH_ANYONECANPAY) !== 0;

  let hashPrevouts: Uint8Array = ZERO32;
  let hashSequence: Uint8Array = ZERO32;
  let hashOutputs: Uint8Array = ZERO32;
  if (!anyoneCanPay) {
    hashPrevouts = precomputed?.hashPrevouts ?? sha256d(prevoutsBytes(tx));
    if (base === SIGHASH_ALL) {
      hashSequence = precomputed?.hashSequence ?? sha256d(sequencesBytes(tx));
    }
  }
  if (base === SIGHASH_ALL) {
    hashOutputs = precomputed?.hashOutputs ?? sha256d(outputsBytes(tx.outputs));
  } else if (base === SIGHASH_SINGLE && inputIndex < tx.outputs.length) {
    hashOutputs = sha256d(outputsBytes([tx.outputs[inputIndex]!]));
  }

  const input = tx.inputs[inputIndex]!;
  const w = new ByteWriter(156 + compactSizeLength(scriptCode.length) + scriptCode.length);
  w.u32le(tx.version);
  w.bytes(hashPrevouts);
  w.bytes(hashSequence);
  w.bytes(input.prevout.txid);
  w.u32le(input.prevout.vout);
  w.varBytes(scriptCode);
  w.u64le(value);
  w.u32le(input.sequence);
  w.bytes(hashOutputs);
  w.u32le(tx.locktime);
  w.u32le(sighashType);
  return sha256d(w.finish());
}

function checkPrevouts(tx: Tx, prevouts: readonly TxOut[]): void {
  if (!Array.isArray(prevouts) || prevouts.length !== tx.inputs.length) {
    fail("prevouts", "need exactly one spent output per input");
  }
  for (const p of prevouts) {
    if (typeof p !== "object" || p === null || !(p.script instanceof Uint8Array)) {
      fail("prevouts", "spent output script must be a Uint8Array");
    }
    if (typeof p.value !== "bigint" || p.value < 0n || p.value > MAX_MONEY) {
      fail("prevouts", "spent output value must be a bigint in 0..MAX_MONEY");
    }
  }
}

/** Validates `tx` and its spent outputs and computes the BIP 341 shared hashes. */
export function precomputeTaproot(tx: Tx, prevouts: readonly TxOut[]): TaprootHashes {
  validateTx(tx);
  checkPrevouts(tx, prevouts);
  const amounts = new ByteWriter(8 * prevouts.length);
  let scriptsSize = 0;
  for (const p of prevouts) {
    amounts.u64le(p.value);
    scriptsSize += compactSizeLength(p.script.length) + p.script.length;
  }
  const scripts = new ByteWriter(scriptsSize);
  for (const p of prevouts) scripts.varBytes(p.script);
  return {
    tx,
    prevouts,
    shaPrevouts: sha256(prevoutsBytes(tx)),
    shaAmounts: sha256(amounts.finish()),
    shaScriptPubkeys: sha256(scripts.finish()),
    shaSequences: sha256(sequencesBytes(tx)),
    shaOutputs: sha256(outputsBytes(tx.outputs)),
  };
}

/**
 * BIP 341 key-path signature hash (32 bytes, the message to Schnorr-sign) of input
 * `inputIndex`, given the outputs spent by every input, for DEFAULT, ALL, NONE, SINGLE (the
 * last three optionally with ANYONECANPAY). No annex, no script path.
 */
export function taprootKeySpendSighash(
  tx: Tx,
  inputIndex: number,
  prevouts: readonly TxOut[],
  sighashType: number,
  precomputed?: TaprootHashes,
): Uint8Array {
  if (
    !Number.isInteger(sighashType) ||
    !(
      sighashType === SIGHASH_DEFAULT ||
      (sighashType >= SIGHASH_ALL && sighashType <= SIGHASH_SINGLE) ||
      (sighashType >= 0x81 && sighashType <= 0x83)
    )
  ) {
    fail("type", `unsupported taproot sighash type ${sighashType}`);
  }
  let pre: TaprootHashes;
  if (precomputed === undefined) {
    pre = precomputeTaproot(tx, prevouts);
  } else {
    if (precomputed.tx !== tx || precomputed.prevouts !== prevouts) {
      fail("precomputed", "precomputed hashes are for another tx or prevouts list");
    }
    pre = precomputed;
  }
  checkIndex(tx, inputIndex);
  const outType = sighashType === SIGHASH_DEFAULT ? SIGHASH_ALL : sighashType & 0x03;
  const anyoneCanPay = (sighashType & SIGHASH_ANYONECANPAY) !== 0;
  if (outType === SIGHASH_SINGLE && inputIndex >= tx.outputs.length) {
    fail("single-no-output", `SIGHASH_SINGLE input ${inputIndex} has no matching output`);
  }
  const input = tx.inputs[inputIndex]!;
  const spent = prevouts[inputIndex]!;
  // epoch + hash_type + version + locktime + spend_type
  let size = 1 + 1 + 4 + 4 + 1;
  if (!anyoneCanPay) size += 128 + 4;
  else size += 36 + 8 + compactSizeLength(spent.script.length) + spent.script.length + 4;
  if (outType === SIGHASH_ALL) size += 32;
  if (outType === SIGHASH_SINGLE) size += 32;

  const w = new ByteWriter(size);
  w.u8(0x00); // epoch
  w.u8(sighashType);
  w.u32le(tx.version);
  w.u32le(tx.locktime);
  if (!anyoneCanPay) {
    w.bytes(pre.shaPrevouts);
    w.bytes(pre.shaAmounts);
    w.bytes(pre.shaScriptPubkeys);
    w.bytes(pre.shaSequences);
  }
  if (outType === SIGHASH_ALL) w.bytes(pre.shaOutputs);
  w.u8(0x00); // spend_type: key path, no annex
  if (anyoneCanPay) {
    w.bytes(input.prevout.txid);
    w.u32le(input.prevout.vout);
    w.u64le(spent.value);
    w.varBytes(spent.script);
    w.u32le(input.sequence);
  } else {
    w.u32le(inputIndex);
  }
  if (outType === SIGHASH_SINGLE) w.bytes(sha256(outputsBytes([tx.outputs[inputIndex]!])));
  return taggedHash("TapSighash", w.finish());
}
