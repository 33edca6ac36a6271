import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RawTx } from "@scure/btc-signer";
import fc from "fast-check";
import {
  MAX_MONEY,
  parseTx,
  serializeTx,
  type Tx,
  txid,
  txidFromHex,
  txidHex,
  txidToHex,
  txVsize,
  txWeight,
  wtxid,
} from "../../src/bitcoin/tx.js";
import { FormatError } from "../../src/errors.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";
import { finalizedTxArb, toScureRaw, toScureTx, txArb } from "./arbitraries.js";

const RUNS = { numRuns: 150 };

/** Asserts `f` throws a FormatError whose code is `code` (or starts with it, if it ends in '*'). */
function throwsFormat(f: () => unknown, code: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    if (code.endsWith("*")) assert.ok(e.code.startsWith(code.slice(0, -1)), e.code);
    else assert.equal(e.code, code);
    return true;
  });
}

// BIP 143 "Native P2WPKH" example, signed transaction.
const BIP143_SIGNED =
  "01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f00000000494830450221008b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b194ba3f9281a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac000247304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb1366d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee0121025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee635711000000";

// The genesis block's coinbase transaction.
const GENESIS_COINBASE =
  "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";

function sampleTx(): Tx {
  return parseTx(hexToBytes(BIP143_SIGNED));
}

describe("tx: known transactions", () => {
  test("genesis coinbase parses, re-serializes byte for byte, has the known txid", () => {
    const bytes = hexToBytes(GENESIS_COINBASE);
    const tx = parseTx(bytes);
    assert.equal(tx.version, 1);
    assert.equal(tx.inputs.length, 1);
    assert.equal(tx.outputs[0]!.value, 5_000_000_000n);
    assert.equal(bytesToHex(serializeTx(tx)), GENESIS_COINBASE);
    assert.equal(txidHex(tx), "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    assert.equal(txWeight(tx), bytes.length * 4);
    assert.equal(txVsize(tx), bytes.length);
  });

  test("BIP 143 signed segwit tx: round trip, witness layout, weight and txid agree with scure", () => {
    const bytes = hexToBytes(BIP143_SIGNED);
    const tx = sampleTx();
    assert.equal(tx.inputs[0]!.witness.length, 0);
    assert.equal(tx.inputs[1]!.witness.length, 2);
    assert.equal(tx.locktime, 0x11);
    assert.equal(bytesToHex(serializeTx(tx)), BIP143_SIGNED);
    const scure = toScureTx(bytes);
    assert.equal(txidHex(tx), scure.id);
    assert.equal(txWeight(tx), scure.weight);
    assert.equal(txVsize(tx), scure.vsize);
    assert.notEqual(bytesToHex(wtxid(tx)), bytesToHex(txid(tx)));
  });

  test("serializing without witness gives the legacy form", () => {
    const tx = sampleTx();
    const legacy = serializeTx(tx, false);
    const back = parseTx(legacy);
    assert.deepEqual(
      back.inputs.map((i) => i.witness.length),
      [0, 0],
    );
    assert.equal(legacy[4], 2, "input count directly after version");
  });
});

describe("tx: properties against scure", () => {
  test("serialize → parse is the identity", () => {
    fc.assert(
      fc.property(txArb, (tx) => {
        assert.deepEqual(parseTx(serializeTx(tx)), tx);
      }),
      RUNS,
    );
  });

  test("serialization equals scure's RawTx encoding, and scure decodes it to the same tx", () => {
    fc.assert(
      fc.property(txArb, (tx) => {
        const ours = serializeTx(tx);
        assert.equal(bytesToHex(ours), bytesToHex(RawTx.encode(toScureRaw(tx))));
        const decoded = RawTx.decode(ours);
        assert.equal(decoded.inputs.length, tx.inputs.length);
        assert.equal(decoded.lockTime, tx.locktime);
        assert.equal(decoded.version >>> 0, tx.version);
      }),
      RUNS,
    );
  });

  test("txid, weight and vsize agree with scure's Transaction", () => {
    fc.assert(
      fc.property(finalizedTxArb, (tx) => {
        const scure = toScureTx(serializeTx(tx));
        assert.equal(txidHex(tx), scure.id);
        assert.equal(txidToHex(txid(tx)), scure.id);
        assert.equal(txWeight(tx), scure.weight);
        assert.equal(txVsize(tx), scure.vsize);
      }),
      { numRuns: 60 },
    );
  });

  test("weight is 3 × legacy size + full size", () => {
    fc.assert(
      fc.property(txArb, (tx) => {
        const w = 3 * serializeTx(tx, false).length + serializeTx(tx).length;
        assert.equal(txWeight(tx), w);
        assert.equal(txVsize(tx), Math.ceil(w / 4));
      }),
      RUNS,
    );
  });

  test("txidFromHex and txidToHex are inverse and reverse byte order", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => {
        const hex = txidToHex(b);
        assert.equal(hex, bytesToHex(Uint8Array.from(b).reverse()));
        assert.deepEqual(new Uint8Array(txidFromHex(hex)), b);
      }),
      RUNS,
    );
    throwsFormat(() => txidFromHex("abcd"), "format/txid-length");
    throwsFormat(() => txidFromHex("zz".repeat(32)), "format/hex");
    throwsFormat(() => txidToHex(new Uint8Array(31)), "format/txid-length");
  });
});

describe("tx: malformed input is a FormatError, never a crash", () => {
  test("every strict prefix of a valid tx is rejected", () => {
    fc.assert(
      fc.property(txArb, fc.nat(), (tx, cut) => {
        const bytes = serializeTx(tx);
        const prefix = bytes.subarray(0, cut % bytes.length);
        throwsFormat(() => parseTx(prefix), "format/tx-*");
      }),
      RUNS,
    );
  });

  test("trailing bytes are rejected", () => {
    const bytes = hexToBytes(`${GENESIS_COINBASE}00`);
    throwsFormat(() => parseTx(bytes), "format/tx-trailing");
  });

  test("non-canonical CompactSize input count is rejected", () => {
    // version | fd 0100 (1 input, 3-byte encoding) | ...
    const canonical = hexToBytes(GENESIS_COINBASE);
    const bad = Buffer.concat([
      canonical.subarray(0, 4),
      Buffer.from([0xfd, 0x01, 0x00]),
      canonical.subarray(5),
    ]);
    throwsFormat(() => parseTx(bad), "format/tx-varint-noncanonical");
  });

  test("absurd counts and lengths are rejected before allocating", () => {
    const v = "01000000";
    throwsFormat(() => parseTx(hexToBytes(`${v}ffffffffffffffffff`)), "format/tx-varint-range");
    throwsFormat(
      () => parseTx(hexToBytes(`${v}fe00000010${"00".repeat(60)}`)),
      "format/tx-count-range",
    );
    // one input whose scriptSig claims 0xffff bytes
    const bigScript = `${v}01${"11".repeat(32)}00000000fdffff${"00".repeat(10)}`;
    throwsFormat(() => parseTx(hexToBytes(bigScript)), "format/tx-truncated");
  });

  test("zero inputs, bad segwit flag, and all-empty witnesses are rejected", () => {
    const tx = sampleTx();
    const bytes = serializeTx(tx);
    const badFlag = Buffer.from(bytes);
    badFlag[5] = 2;
    throwsFormat(() => parseTx(badFlag), "format/tx-bad-flag");
    // legacy zero-input, zero-output tx
    throwsFormat(() => parseTx(hexToBytes("01000000000000000000")), "format/tx-no-inputs");
    // witness flag but every witness empty: rebuild by hand
    const legacy = serializeTx(tx, false);
    const flagged = Buffer.concat([
      legacy.subarray(0, 4),
      Buffer.from([0, 1]),
      legacy.subarray(4, legacy.length - 4),
      Buffer.from([0, 0]),
      legacy.subarray(legacy.length - 4),
    ]);
    throwsFormat(() => parseTx(flagged), "format/tx-empty-witness");
  });

  test("output values above 21 million BTC (single or total) are rejected", () => {
    const input = {
      prevout: { txid: new Uint8Array(32), vout: 0 },
      scriptSig: new Uint8Array(0),
      sequence: 0,
      witness: [],
    };
    const out = { value: MAX_MONEY, script: Uint8Array.of(0x51) };
    const one: Tx = { version: 2, inputs: [input], outputs: [out], locktime: 0 };
    const two: Tx = {
      ...one,
      outputs: [
        { ...out, value: 0n },
        { ...out, value: 0n },
      ],
    };
    // legacy layout: version 4 | count 1 | input 41 | count 1 | value 8 | script 2 | ...
    const VALUE0 = 47;
    const VALUE1 = VALUE0 + 10;
    const b1 = Buffer.from(serializeTx(one));
    assert.equal(parseTx(b1).outputs[0]!.value, MAX_MONEY);
    b1.writeBigUInt64LE(MAX_MONEY + 1n, VALUE0);
    throwsFormat(() => parseTx(b1), "format/tx-value-range");
    b1.writeBigUInt64LE(0xffffffffffffffffn, VALUE0);
    throwsFormat(() => parseTx(b1), "format/tx-value-range");
    const b2 = Buffer.from(serializeTx(two));
    b2.writeBigUInt64LE(MAX_MONEY, VALUE0);
    b2.writeBigUInt64LE(1n, VALUE1);
    throwsFormat(() => parseTx(b2), "format/tx-value-range");
    two.outputs[0]!.value = MAX_MONEY;
    two.outputs[1]!.value = 1n;
    throwsFormat(() => serializeTx(two), "format/tx-value-range");
  });

  test("random bytes and mutated txs never throw anything but FormatError", () => {
    const check = (bytes: Uint8Array) => {
      try {
        parseTx(bytes);
      } catch (e) {
        assert.ok(e instanceof FormatError, `unexpected ${String(e)}`);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 300 });
    fc.assert(
      fc.property(txArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (tx, pos, byte) => {
        const b = Buffer.from(serializeTx(tx));
        b[pos % b.length] = byte;
        check(b);
      }),
      { numRuns: 300 },
    );
    throwsFormat(() => parseTx("00" as unknown as Uint8Array), "format/tx-type");
  });

  test("serializeTx validates every field with typed errors", () => {
    const base = sampleTx();
    const cases: Array<[(t: Tx) => void, string]> = [
      [(t) => (t.version = -1), "format/tx-u32-range"],
      [(t) => (t.version = 1.5), "format/tx-u32-range"],
      [(t) => (t.locktime = 2 ** 32), "format/tx-u32-range"],
      [(t) => (t.inputs = []), "format/tx-no-inputs"],
      [(t) => (t.inputs[0]!.prevout.txid = new Uint8Array(31)), "format/tx-txid-length"],
      [(t) => (t.inputs[0]!.prevout.vout = -1), "format/tx-u32-range"],
      [(t) => (t.inputs[0]!.sequence = 2 ** 32), "format/tx-u32-range"],
      [(t) => (t.inputs[0]!.scriptSig = [1] as unknown as Uint8Array), "format/tx-shape"],
      [(t) => (t.inputs[0]!.witness = [[1] as unknown as Uint8Array]), "format/tx-shape"],
      [(t) => (t.outputs[0]!.value = -1n), "format/tx-value-range"],
      [(t) => (t.outputs[0]!.value = MAX_MONEY + 1n), "format/tx-value-range"],
      [(t) => (t.outputs[0]!.value = 5 as unknown as bigint), "format/tx-shape"],
      [(t) => (t.outputs = null as unknown as []), "format/tx-shape"],
    ];
    for (const [mutate, code] of cases) {
      const t = parseTx(serializeTx(base));
      mutate(t);
      throwsFormat(() => serializeTx(t), code);
      throwsFormat(() => txid(t), code);
    }
    throwsFormat(() => serializeTx(null as unknown as Tx), "format/tx-shape");
  });
});
