/** fast-check generators and scure adapters shared by the bitcoin-layer tests (not a test file). */
import { type RawTx, Transaction, type TxOpts } from "@scure/btc-signer";
import fc from "fast-check";
import type { Tx, TxIn, TxOut } from "../../src/bitcoin/tx.js";

/** Byte strings that are usually short but sometimes cross the 0xfd CompactSize boundary. */
export const varBytesArb = (short = 40): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: short }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 250, maxLength: 300 }) },
  );

export const u32Arb = fc.integer({ min: 0, max: 0xffffffff });

export const txInArb: fc.Arbitrary<TxIn> = fc.record(
  {
    prevout: fc.record(
      { txid: fc.uint8Array({ minLength: 32, maxLength: 32 }), vout: u32Arb },
      { noNullPrototype: true },
    ),
    scriptSig: varBytesArb(),
    sequence: u32Arb,
    witness: fc.array(varBytesArb(), { maxLength: 4 }),
  },
  { noNullPrototype: true },
);

export const txOutArb: fc.Arbitrary<TxOut> = fc.record(
  {
    value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n / 8n }),
    script: varBytesArb(),
  },
  { noNullPrototype: true },
);

/** Random, structurally valid transactions (1..6 inputs, 0..6 outputs). */
export const txArb: fc.Arbitrary<Tx> = fc.record(
  {
    version: u32Arb,
    inputs: fc.array(txInArb, { minLength: 1, maxLength: 6 }),
    outputs: fc.array(txOutArb, { maxLength: 6 }),
    locktime: u32Arb,
  },
  { noNullPrototype: true },
);

/** Same, with at least one output (needed by scure's Transaction). */
export const txWithOutputsArb: fc.Arbitrary<Tx> = fc.record(
  {
    version: u32Arb,
    inputs: fc.array(txInArb, { minLength: 1, maxLength: 6 }),
    outputs: fc.array(txOutArb, { minLength: 1, maxLength: 6 }),
    locktime: u32Arb,
  },
  { noNullPrototype: true },
);

/** Like txWithOutputsArb, but every input carries a scriptSig or witness (scure's "finalized"). */
export const finalizedTxArb: fc.Arbitrary<Tx> = txWithOutputsArb.map((tx) => ({
  ...tx,
  inputs: tx.inputs.map((i) =>
    i.scriptSig.length === 0 && i.witness.length === 0
      ? { ...i, scriptSig: Uint8Array.of(0x51) }
      : i,
  ),
}));

/** Lenient scure options so arbitrary scripts and versions are accepted. */
export const SCURE_OPTS: TxOpts = {
  allowUnknownOutputs: true,
  allowUnknownInputs: true,
  allowUnknownVersion: true,
  allowUnknown: true,
  disableScriptCheck: true,
  allowLegacyWitnessUtxo: true,
};

/** Our Tx in scure's RawTx shape (scure keeps txids in display order, version signed). */
export function toScureRaw(tx: Tx): Parameters<typeof RawTx.encode>[0] {
  const segwit = tx.inputs.some((i) => i.witness.length > 0);
  return {
    version: tx.version | 0,
    segwitFlag: segwit,
    inputs: tx.inputs.map((i) => ({
      txid: Uint8Array.from(i.prevout.txid).reverse(),
      index: i.prevout.vout,
      finalScriptSig: i.scriptSig,
      sequence: i.sequence,
    })),
    outputs: tx.outputs.map((o) => ({ amount: o.value, script: o.script })),
    witnesses: segwit ? tx.inputs.map((i) => i.witness) : undefined,
    lockTime: tx.locktime,
  };
}

/** A scure Transaction built from our serialization. */
export function toScureTx(bytes: Uint8Array): Transaction {
  return Transaction.fromRaw(bytes, SCURE_OPTS);
}
