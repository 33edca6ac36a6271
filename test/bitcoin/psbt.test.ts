import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Transaction } from "@scure/btc-signer";
import fc from "fast-check";
import { p2wpkh, p2wsh } from "../../src/bitcoin/outputs.js";
import { Psbt, parsePsbt, txFromBytesViaScure } from "../../src/bitcoin/psbt.js";
import { parseTx, serializeTx, type Tx, type TxOut, txidHex } from "../../src/bitcoin/tx.js";
import { FormatError } from "../../src/errors.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { SCURE_OPTS, txInArb, txOutArb, u32Arb } from "./arbitraries.js";

const PUB = Uint8Array.from([2, ...new Uint8Array(32).fill(0x11)]);

/** Unsigned txs with standard output scripts and version 1..2 (what PSBTs normally carry). */
const unsignedTxArb: fc.Arbitrary<Tx> = fc
  .record(
    {
      version: fc.constantFrom(1, 2),
      inputs: fc.array(txInArb, { minLength: 1, maxLength: 4 }),
      outputs: fc.array(txOutArb, { minLength: 1, maxLength: 4 }),
      locktime: u32Arb,
    },
    { noNullPrototype: true },
  )
  .map((tx) => ({
    ...tx,
    inputs: tx.inputs.map((i) => ({ ...i, scriptSig: new Uint8Array(0), witness: [] })),
    outputs: tx.outputs.map((o, k) => ({
      ...o,
      script: k % 2 === 0 ? p2wsh(o.script) : p2wpkh(PUB),
    })),
  }));

function spentFor(tx: Tx): TxOut[] {
  return tx.inputs.map((_, k) => ({ value: BigInt(1000 + k), script: p2wpkh(PUB) }));
}

function isFormat(code: string) {
  return (e: unknown) => e instanceof FormatError && e.code === code;
}

describe("psbt", () => {
  test("fromTx → serialize (v0 and v2) → parse returns the same unsigned tx and spent outputs", () => {
    fc.assert(
      fc.property(unsignedTxArb, fc.constantFrom(0 as const, 2 as const), (tx, version) => {
        const spent = spentFor(tx);
        const psbt = Psbt.fromTx(tx, spent, version);
        assert.equal(psbt.version, version);
        assert.deepEqual(psbt.tx, tx);
        for (const v of [0, 2] as const) {
          const bytes = psbt.serialize(v);
          const back = parsePsbt(bytes);
          assert.equal(back.version, v);
          assert.deepEqual(back.tx, tx);
          assert.deepEqual(
            back.inputs.map((i) => i.spent),
            spent,
          );
          assert.equal(
            back.totalInputValue(),
            spent.reduce((a, s) => a + s.value, 0n),
          );
          assert.equal(bytesToHex(back.serialize(v)), bytesToHex(bytes));
          assert.equal(txidHex(back.tx), Transaction.fromPSBT(bytes, SCURE_OPTS).id);
        }
      }),
      { numRuns: 40 },
    );
  });

  test("a PSBT built by scure exposes its tx, witness UTXO, non-witness UTXO and sighash type", () => {
    const prev: Tx = {
      version: 2,
      inputs: [
        {
          prevout: { txid: new Uint8Array(32).fill(7), vout: 3 },
          scriptSig: Uint8Array.of(0x51),
          sequence: 0xffffffff,
          witness: [],
        },
      ],
      outputs: [
        { value: 5000n, script: p2wpkh(PUB) },
        { value: 7000n, script: p2wsh(Uint8Array.of(0x51)) },
      ],
      locktime: 0,
    };
    const prevBytes = serializeTx(prev);
    const prevTxidDisplay = txidHex(prev);
    const t = new Transaction({ ...SCURE_OPTS, PSBTVersion: 2 });
    t.addInput({
      txid: prevTxidDisplay,
      index: 1,
      nonWitnessUtxo: prevBytes,
      sequence: 0xfffffffd,
    });
    t.addInput({
      txid: new Uint8Array(32).fill(9),
      index: 0,
      witnessUtxo: { amount: 123n, script: p2wpkh(PUB) },
      sighashType: 0x83,
      witnessScript: Uint8Array.of(0x51),
    });
    t.addOutput({ amount: 6000n, script: p2wpkh(PUB) });
    const psbt = parsePsbt(t.toPSBT(2));
    assert.equal(psbt.version, 2);
    assert.deepEqual(
      new Uint8Array(psbt.tx.inputs[0]!.prevout.txid),
      new Uint8Array(Buffer.from(prevTxidDisplay, "hex").reverse()),
    );
    assert.equal(psbt.tx.inputs[0]!.sequence, 0xfffffffd);
    assert.deepEqual(psbt.inputs[0]!.spent, prev.outputs[1]);
    assert.equal(psbt.inputs[1]!.spent!.value, 123n);
    assert.equal(psbt.inputs[1]!.sighashType, 0x83);
    assert.deepEqual(psbt.inputs[1]!.witnessScript, Uint8Array.of(0x51));
    assert.equal(psbt.totalInputValue(), 7123n);
    // v2 → v0 → v2 keeps everything we expose
    const again = parsePsbt(parsePsbt(psbt.serialize(0)).serialize(2));
    assert.deepEqual(again.tx, psbt.tx);
    assert.deepEqual(again.inputs, psbt.inputs);
  });

  test("missing spent outputs make totalInputValue undefined", () => {
    const tx = fc.sample(unsignedTxArb, { numRuns: 1, seed: 7 })[0]!;
    const psbt = Psbt.fromTx(tx);
    assert.equal(psbt.inputs[0]!.spent, undefined);
    assert.equal(psbt.totalInputValue(), undefined);
  });

  test("malformed PSBTs raise format/psbt, never crash", () => {
    assert.throws(() => parsePsbt(new Uint8Array(0)), isFormat("format/psbt"));
    assert.throws(
      () => parsePsbt(Uint8Array.from([0x70, 0x73, 0x62, 0x74, 0xff])),
      isFormat("format/psbt"),
    );
    assert.throws(() => parsePsbt("cHNidP8=" as unknown as Uint8Array), isFormat("format/psbt"));
    const good = Psbt.fromTx(
      fc.sample(unsignedTxArb, { numRuns: 1, seed: 3 })[0]!,
      undefined,
      0,
    ).serialize();
    assert.throws(() => parsePsbt(good.subarray(0, good.length - 3)), isFormat("format/psbt"));
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
        const b = Uint8Array.from(good);
        b[pos % b.length] = byte;
        try {
          parsePsbt(b);
        } catch (e) {
          assert.ok(e instanceof FormatError, String(e));
        }
      }),
      { numRuns: 200 },
    );
    assert.throws(
      () => Psbt.fromTx(fc.sample(unsignedTxArb, { numRuns: 1, seed: 5 })[0]!).serialize(1 as 0),
      isFormat("format/psbt"),
    );
  });

  test("txFromBytesViaScure agrees with parseTx", () => {
    fc.assert(
      fc.property(unsignedTxArb, (tx) => {
        const bytes = serializeTx(tx);
        assert.deepEqual(txFromBytesViaScure(bytes), parseTx(bytes));
      }),
      { numRuns: 40 },
    );
    assert.throws(() => txFromBytesViaScure(Uint8Array.of(1, 2, 3)), isFormat("format/tx-scure"));
  });
});
