/**
 * PSBT (BIP 174 v0 and BIP 370 v2), as a thin typed wrapper over @scure/btc-signer's
 * `Transaction`. The wrapper exposes what a signer needs to validate a request: the unsigned
 * transaction as our `Tx`, and per input the spent output (from the witness UTXO, or from the
 * non-witness UTXO, whose txid scure checks against the prevout) plus scripts and sighash type.
 *
 * Every failure to parse or serialize raises FormatError `format/psbt` (scure's own errors are
 * wrapped; its message is kept). Unknown key types are preserved on round trip.
 */
import { Transaction, type TxOpts } from "@scure/btc-signer";
import { FormatError } from "../errors.js";
import { MAX_MONEY, type Tx, type TxIn, type TxOut, validateTx } from "./tx.js";

/** What a PSBT says about one input, beyond the unsigned transaction. */
export interface PsbtInputInfo {
  /** The output this input spends, when the PSBT carries it. */
  spent?: TxOut;
  witnessScript?: Uint8Array;
  redeemScript?: Uint8Array;
  sighashType?: number;
}

/** PSBT versions we read and write. */
export type PsbtVersion = 0 | 2;

const SCURE_OPTS: TxOpts = {
  allowUnknownOutputs: true,
  allowUnknownInputs: true,
  allowUnknownVersion: true,
  allowUnknown: true,
  disableScriptCheck: true,
  allowLegacyWitnessUtxo: true,
};

function wrap<T>(what: string, f: () => T, code = "format/psbt"): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new FormatError(code, `${what}: ${msg}`);
  }
}

function reversed(b: Uint8Array): Uint8Array {
  return Uint8Array.from(b).reverse();
}

/** A parsed PSBT: immutable view of its unsigned transaction and input data. */
export class Psbt {
  readonly #scure: Transaction;
  /** The PSBT version it was parsed from (or created with). */
  readonly version: PsbtVersion;
  /** The unsigned transaction (empty scriptSigs and witnesses). */
  readonly tx: Tx;
  /** Per-input data, same order as `tx.inputs`. */
  readonly inputs: readonly PsbtInputInfo[];

  private constructor(scure: Transaction, version: PsbtVersion) {
    this.#scure = scure;
    this.version = version;
    const inputs: TxIn[] = [];
    const info: PsbtInputInfo[] = [];
    for (let i = 0; i < scure.inputsLength; i++) {
      const inp = scure.getInput(i);
      if (inp.txid === undefined || inp.index === undefined) {
        throw new FormatError("format/psbt", `input ${i} lacks its previous outpoint`);
      }
      inputs.push({
        // scure keeps txids in display order.
        prevout: { txid: reversed(inp.txid), vout: inp.index },
        scriptSig: new Uint8Array(0),
        sequence: inp.sequence ?? 0xffffffff,
        witness: [],
      });
      const item: PsbtInputInfo = {};
      if (inp.witnessUtxo !== undefined) {
        item.spent = { value: inp.witnessUtxo.amount, script: inp.witnessUtxo.script };
      } else if (inp.nonWitnessUtxo !== undefined) {
        const out = inp.nonWitnessUtxo.outputs[inp.index];
        if (out === undefined) throw new FormatError("format/psbt", `input ${i}: bad UTXO index`);
        item.spent = { value: out.amount, script: out.script };
      }
      if (item.spent !== undefined && item.spent.value > MAX_MONEY) {
        throw new FormatError("format/psbt", `input ${i}: spent value exceeds 21 million BTC`);
      }
      if (inp.witnessScript !== undefined) item.witnessScript = inp.witnessScript;
      if (inp.redeemScript !== undefined) item.redeemScript = inp.redeemScript;
      if (inp.sighashType !== undefined) item.sighashType = inp.sighashType;
      info.push(item);
    }
    const outputs: TxOut[] = [];
    for (let i = 0; i < scure.outputsLength; i++) {
      const out = scure.getOutput(i);
      if (out.amount === undefined || out.script === undefined) {
        throw new FormatError("format/psbt", `output ${i} lacks amount or script`);
      }
      outputs.push({ value: out.amount, script: out.script });
    }
    this.tx = { version: scure.version >>> 0, inputs, outputs, locktime: scure.lockTime };
    if (inputs.length > 0) validateTx(this.tx);
    this.inputs = info;
  }

  /** Parses PSBT bytes (v0 or v2); FormatError `format/psbt` on anything malformed. */
  static parse(bytes: Uint8Array): Psbt {
    if (!(bytes instanceof Uint8Array)) throw new FormatError("format/psbt", "expected bytes");
    const scure = wrap("parse", () => Transaction.fromPSBT(bytes, SCURE_OPTS));
    const v = scure.opts.PSBTVersion;
    if (v !== 0 && v !== 2) throw new FormatError("format/psbt", `unsupported PSBT version ${v}`);
    const version: PsbtVersion = v;
    return wrap("parse", () => new Psbt(scure, version));
  }

  /**
   * Builds a PSBT for the unsigned form of `tx` (scriptSigs and witnesses are dropped); `spent`
   * optionally gives each input's spent output, recorded as its witness UTXO.
   */
  static fromTx(tx: Tx, spent?: readonly TxOut[], version: PsbtVersion = 0): Psbt {
    validateTx(tx);
    if (spent !== undefined && spent.length !== tx.inputs.length) {
      throw new FormatError("format/psbt", "need one spent output per input");
    }
    const scure = wrap("build", () => {
      const t = new Transaction({
        ...SCURE_OPTS,
        version: tx.version | 0,
        lockTime: tx.locktime,
        PSBTVersion: version,
      });
      tx.inputs.forEach((input, i) => {
        const s = spent?.[i];
        t.addInput({
          txid: reversed(input.prevout.txid),
          index: input.prevout.vout,
          sequence: input.sequence,
          ...(s === undefined ? {} : { witnessUtxo: { amount: s.value, script: s.script } }),
        });
      });
      for (const out of tx.outputs) t.addOutput({ amount: out.value, script: out.script });
      return t;
    });
    return wrap("build", () => new Psbt(scure, version));
  }

  /** Serializes as PSBT `version` (default: the version it was parsed/created with). */
  serialize(version: PsbtVersion = this.version): Uint8Array {
    if (version !== 0 && version !== 2) {
      throw new FormatError("format/psbt", `unsupported PSBT version ${String(version)}`);
    }
    return wrap("serialize", () => this.#scure.toPSBT(version));
  }

  /** Sum of all spent values, or undefined when some input lacks its spent output. */
  totalInputValue(): bigint | undefined {
    let sum = 0n;
    for (const i of this.inputs) {
      if (i.spent === undefined) return undefined;
      sum += i.spent.value;
    }
    return sum;
  }
}

/** Parses PSBT bytes (v0 or v2) into a typed `Psbt`; FormatError `format/psbt` otherwise. */
export function parsePsbt(bytes: Uint8Array): Psbt {
  return Psbt.parse(bytes);
}

/**
 * Parses a raw transaction with @scure/btc-signer (a second, independent parser, for cross
 * checks); FormatError `format/tx-scure` when scure rejects it.
 */
export function txFromBytesViaScure(bytes: Uint8Array): Tx {
  const t = wrap("raw tx", () => Transaction.fromRaw(bytes, SCURE_OPTS), "format/tx-scure");
  return wrap(
    "raw tx",
    () => {
      const inputs: TxIn[] = [];
      for (let i = 0; i < t.inputsLength; i++) {
        const inp = t.getInput(i);
        inputs.push({
          prevout: { txid: reversed(inp.txid!), vout: inp.index! },
          scriptSig: inp.finalScriptSig ?? new Uint8Array(0),
          sequence: inp.sequence ?? 0xffffffff,
          witness: inp.finalScriptWitness ?? [],
        });
      }
      const outputs: TxOut[] = [];
      for (let i = 0; i < t.outputsLength; i++) {
        const o = t.getOutput(i);
        outputs.push({ value: o.amount!, script: o.script! });
      }
      return { version: t.version >>> 0, inputs, outputs, locktime: t.lockTime };
    },
    "format/tx-scure",
  );
}
