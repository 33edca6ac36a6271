/**
 * Bitcoin transactions: the plain data model, a strict parser and a fast serializer (BIP 144
 * witness format), txids, weight and vsize.
 *
 * Conventions:
 * - `version`, `vout`, `sequence` and `locktime` are unsigned 32-bit integers (Bitcoin Core
 *   treats the version as uint32 since v28; a wire version of 0xffffffff reads as 4294967295).
 * - Txids are held in INTERNAL (serialized) byte order; `txidHex`/`txidToHex` give the
 *   reversed "display" hex that RPCs and explorers show.
 * - A transaction must have at least one input: with zero inputs the BIP 144 marker byte is
 *   ambiguous, so both `serializeTx` and `parseTx` reject it (`format/tx-no-inputs`).
 *   Zero outputs are accepted (the encoding is unambiguous; policy decides whether to sign).
 * - Output values are 0..MAX_MONEY satoshis each and in total (`format/tx-value-range`).
 */

import { sha256d } from "../crypto/hash.js";
import { FormatError } from "../errors.js";
import { bytesToHex, hexToBytes } from "../util/bytes.js";
import { ByteReader } from "./bytes-reader.js";
import { ByteWriter, compactSizeLength } from "./bytes-writer.js";

/** A reference to a previous output: txid in internal byte order and output index. */
export interface OutPoint {
  /** 32 bytes, INTERNAL (serialized) byte order. */
  txid: Uint8Array;
  vout: number;
}

/** A transaction input. `witness` is the list of stack items (empty for none). */
export interface TxIn {
  prevout: OutPoint;
  scriptSig: Uint8Array;
  sequence: number;
  witness: Uint8Array[];
}

/** A transaction output. */
export interface TxOut {
  /** Satoshis. */
  value: bigint;
  /** The scriptPubKey. */
  script: Uint8Array;
}

/** A Bitcoin transaction. */
export interface Tx {
  version: number;
  inputs: TxIn[];
  outputs: TxOut[];
  locktime: number;
}

/** 21 million BTC in satoshis: the largest valid output value and output total. */
export const MAX_MONEY = 2_100_000_000_000_000n;

/** Largest serialized transaction `parseTx` accepts (a whole block's weight budget, in bytes). */
export const MAX_TX_BYTES = 4_000_000;

/** Smallest serialized input: 32 txid + 4 vout + 1 script length + 4 sequence. */
const MIN_INPUT_BYTES = 41;
/** Smallest serialized output: 8 value + 1 script length. */
const MIN_OUTPUT_BYTES = 9;

function fail(problem: string, message: string): never {
  throw new FormatError(`format/tx-${problem}`, message);
}

function checkU32(v: unknown, what: string): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    fail("u32-range", `${what} must be an integer in 0..2^32-1`);
  }
}

function checkBytes(v: unknown, what: string): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) fail("shape", `${what} must be a Uint8Array`);
}

function checkValue(v: unknown, what: string): asserts v is bigint {
  if (typeof v !== "bigint") fail("shape", `${what} must be a bigint`);
  if (v < 0n || v > MAX_MONEY) fail("value-range", `${what} must be in 0..${MAX_MONEY} sat`);
}

/** Byte sizes of the parts of a validated transaction. */
interface TxSizes {
  /** Size without witness data (the legacy serialization). */
  base: number;
  /** Size of the witness section only (marker/flag + stacks), 0 when no input has a witness. */
  witness: number;
}

/** Validates every field of `tx` (typed FormatErrors) and computes its serialized sizes. */
function measure(tx: Tx): TxSizes {
  if (typeof tx !== "object" || tx === null) fail("shape", "transaction must be an object");
  checkU32(tx.version, "version");
  checkU32(tx.locktime, "locktime");
  const { inputs, outputs } = tx;
  if (!Array.isArray(inputs) || !Array.isArray(outputs)) {
    fail("shape", "inputs and outputs must be arrays");
  }
  if (inputs.length === 0) fail("no-inputs", "a transaction needs at least one input");
  let base = 8 + compactSizeLength(inputs.length) + compactSizeLength(outputs.length);
  let wit = 0;
  let anyWitness = false;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    if (typeof input !== "object" || input === null || typeof input.prevout !== "object") {
      fail("shape", `input ${i} is malformed`);
    }
    const { prevout, scriptSig, witness } = input;
    if (prevout === null || !(prevout.txid instanceof Uint8Array) || prevout.txid.length !== 32) {
      fail("txid-length", `input ${i} prevout txid must be 32 bytes`);
    }
    checkU32(prevout.vout, `input ${i} vout`);
    checkU32(input.sequence, `input ${i} sequence`);
    checkBytes(scriptSig, `input ${i} scriptSig`);
    base += 40 + compactSizeLength(scriptSig.length) + scriptSig.length;
    if (!Array.isArray(witness)) fail("shape", `input ${i} witness must be an array`);
    wit += compactSizeLength(witness.length);
    if (witness.length > 0) anyWitness = true;
    for (const item of witness) {
      checkBytes(item, `input ${i} witness item`);
      wit += compactSizeLength(item.length) + item.length;
    }
  }
  let total = 0n;
  for (let i = 0; i < outputs.length; i++) {
    const out = outputs[i];
    if (typeof out !== "object" || out === null) fail("shape", `output ${i} is malformed`);
    checkValue(out.value, `output ${i} value`);
    total += out.value;
    checkBytes(out.script, `output ${i} script`);
    base += 8 + compactSizeLength(out.script.length) + out.script.length;
  }
  if (total > MAX_MONEY) fail("value-range", "outputs total more than 21 million BTC");
  return { base, witness: anyWitness ? wit + 2 : 0 };
}

/** Throws a typed FormatError unless every field of `tx` is well formed (see `serializeTx`). */
export function validateTx(tx: Tx): void {
  measure(tx);
}

/** Writes a transaction already validated by `measure`. */
function write(tx: Tx, size: number, withWitness: boolean): Buffer {
  const w = new ByteWriter(size);
  w.u32le(tx.version);
  if (withWitness) {
    w.u8(0);
    w.u8(1);
  }
  w.compactSize(tx.inputs.length);
  for (const input of tx.inputs) {
    w.bytes(input.prevout.txid);
    w.u32le(input.prevout.vout);
    w.varBytes(input.scriptSig);
    w.u32le(input.sequence);
  }
  w.compactSize(tx.outputs.length);
  for (const out of tx.outputs) {
    w.u64le(out.value);
    w.varBytes(out.script);
  }
  if (withWitness) {
    for (const input of tx.inputs) {
      w.compactSize(input.witness.length);
      for (const item of input.witness) w.varBytes(item);
    }
  }
  w.u32le(tx.locktime);
  return w.finish();
}

/**
 * Serializes `tx` (validated field by field, FormatError on bad values). Uses the BIP 144
 * marker/flag form only when `withWitness` and at least one input has a non-empty witness.
 */
export function serializeTx(tx: Tx, withWitness = true): Uint8Array {
  const sizes = measure(tx);
  const useWitness = withWitness && sizes.witness > 0;
  return write(tx, sizes.base + (useWitness ? sizes.witness : 0), useWitness);
}

/**
 * Parses a serialized transaction strictly: rejects truncation (`format/tx-truncated`), trailing
 * bytes (`-trailing`), non-canonical CompactSize (`-varint-noncanonical`), counts that cannot fit
 * in the input (`-count-range`), zero inputs (`-no-inputs`), a bad segwit flag (`-bad-flag`), a
 * witness flag with only empty witnesses (`-empty-witness`), values or totals above 21e6 BTC
 * (`-value-range`), and inputs larger than MAX_TX_BYTES (`-too-large`). Returns fresh copies.
 */
export function parseTx(bytes: Uint8Array): Tx {
  const r = new ByteReader(bytes, "tx");
  if (bytes.length > MAX_TX_BYTES) fail("too-large", `transaction exceeds ${MAX_TX_BYTES} bytes`);
  const version = r.u32le();
  let segwit = false;
  if (r.peekU8() === 0) {
    r.u8();
    const flag = r.u8();
    if (flag !== 1) {
      fail(flag === 0 ? "no-inputs" : "bad-flag", `unsupported segwit flag ${flag}`);
    }
    segwit = true;
  }
  const nIn = r.compactSize(Math.floor(r.remaining / MIN_INPUT_BYTES), "count-range");
  if (nIn === 0) fail("no-inputs", "a transaction needs at least one input");
  const inputs: TxIn[] = new Array(nIn);
  for (let i = 0; i < nIn; i++) {
    const txid = r.bytes(32);
    const vout = r.u32le();
    const scriptSig = r.varBytes();
    const sequence = r.u32le();
    inputs[i] = { prevout: { txid, vout }, scriptSig, sequence, witness: [] };
  }
  const nOut = r.compactSize(Math.floor(r.remaining / MIN_OUTPUT_BYTES), "count-range");
  const outputs: TxOut[] = new Array(nOut);
  let total = 0n;
  for (let i = 0; i < nOut; i++) {
    const value = r.u64le();
    if (value > MAX_MONEY) fail("value-range", `output ${i} value exceeds 21 million BTC`);
    total += value;
    outputs[i] = { value, script: r.varBytes() };
  }
  if (total > MAX_MONEY) fail("value-range", "outputs total more than 21 million BTC");
  if (segwit) {
    let anyWitness = false;
    for (let i = 0; i < nIn; i++) {
      const n = r.compactSize(r.remaining, "count-range");
      const stack: Uint8Array[] = new Array(n);
      for (let j = 0; j < n; j++) stack[j] = r.varBytes();
      if (n > 0) anyWitness = true;
      inputs[i]!.witness = stack;
    }
    if (!anyWitness) fail("empty-witness", "segwit flag set but every witness is empty");
  }
  const locktime = r.u32le();
  r.assertEnd();
  return { version, inputs, outputs, locktime };
}

/** The txid (double SHA-256 of the witness-stripped serialization), internal byte order. */
export function txid(tx: Tx): Uint8Array {
  return sha256d(serializeTx(tx, false));
}

/** The wtxid (double SHA-256 of the full serialization), internal byte order. */
export function wtxid(tx: Tx): Uint8Array {
  return sha256d(serializeTx(tx, true));
}

/** The txid as display hex (byte-reversed), exactly as Bitcoin Core's RPC shows it. */
export function txidHex(tx: Tx): string {
  return txidToHex(txid(tx));
}

/** Converts display-order txid hex (64 chars) to internal-order bytes; FormatError otherwise. */
export function txidFromHex(displayHex: string): Uint8Array {
  const b = hexToBytes(displayHex);
  if (b.length !== 32) throw new FormatError("format/txid-length", "txid must be 32 bytes");
  return b.reverse();
}

/** Converts an internal-order 32-byte txid to display-order hex; FormatError otherwise. */
export function txidToHex(internal: Uint8Array): string {
  if (!(internal instanceof Uint8Array) || internal.length !== 32) {
    throw new FormatError("format/txid-length", "txid must be 32 bytes");
  }
  return bytesToHex(Uint8Array.from(internal).reverse());
}

/** BIP 141 weight: 3 × size without witness + full size. */
export function txWeight(tx: Tx): number {
  const s = measure(tx);
  return s.base * 4 + s.witness;
}

/** BIP 141 virtual size: weight / 4, rounded up. */
export function txVsize(tx: Tx): number {
  return Math.ceil(txWeight(tx) / 4);
}
