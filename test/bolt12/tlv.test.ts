/**
 * BigSize and TLV streams: BOLT 1's BigSize examples, round trips (fast-check), the reader's
 * rejections, the format-string-test.json cases and the TLV records of offers-test.json's
 * valid offers (each vector a named test).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import { decodeBigSize, encodeBigSize, MAX_BIGSIZE } from "../../src/bolt12/bigsize.js";
import { decodeBolt12String, encodeBolt12String } from "../../src/bolt12/string.js";
import { readTlvStream, writeTlvStream } from "../../src/bolt12/tlv.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";

const root = new URL("../../../", import.meta.url);
function vectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../shared/vectors/bolt12/${name}`, root), "utf8")) as T;
}

describe("BigSize", () => {
  const examples: [bigint, string][] = [
    [0n, "00"],
    [252n, "fc"],
    [253n, "fd00fd"],
    [65535n, "fdffff"],
    [65536n, "fe00010000"],
    [4294967295n, "feffffffff"],
    [4294967296n, "ff0000000100000000"],
    [MAX_BIGSIZE, "ffffffffffffffffff"],
  ];
  for (const [value, hex] of examples) {
    test(`${value} is ${hex}`, () => {
      assert.equal(bytesToHex(encodeBigSize(value)), hex);
      assert.deepEqual(decodeBigSize(hexToBytes(hex)), { value, length: hex.length / 2 });
    });
  }

  test("non-minimal and truncated encodings are rejected", () => {
    for (const hex of ["fd00fc", "fe0000ffff", "ff00000000ffffffff", "fd00", "", "ff0000"]) {
      assert.throws(() => decodeBigSize(hexToBytes(hex)), { code: "bolt12/bigsize" }, hex);
    }
    assert.throws(() => encodeBigSize(-1n), { code: "bolt12/bigsize" });
    assert.throws(() => encodeBigSize(MAX_BIGSIZE + 1n), { code: "bolt12/bigsize" });
  });

  test("round trip (fast-check)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_BIGSIZE }), (v) => {
        const b = encodeBigSize(v);
        assert.deepEqual(decodeBigSize(b), { value: v, length: b.length });
      }),
    );
  });
});

describe("TLV streams", () => {
  test("round trip (fast-check)", () => {
    const records = fc
      .uniqueArray(fc.bigInt({ min: 0n, max: MAX_BIGSIZE }), { maxLength: 8 })
      .chain((types) =>
        fc.tuple(
          ...types
            .sort((a, b) => (a < b ? -1 : 1))
            .map((type) => fc.uint8Array({ maxLength: 300 }).map((value) => ({ type, value }))),
        ),
      );
    fc.assert(
      fc.property(records, (recs) => {
        const stream = writeTlvStream(recs);
        const back = readTlvStream(stream);
        assert.deepEqual(
          back.map((r) => ({ type: r.type, value: bytesToHex(r.value) })),
          recs.map((r) => ({ type: r.type, value: bytesToHex(r.value) })),
        );
        assert.equal(bytesToHex(Buffer.concat(back.map((r) => r.encoded))), bytesToHex(stream));
      }),
    );
  });

  test("out of order, duplicate and truncated records are rejected", () => {
    for (const hex of ["0200 0100", "0100 0100", "0102aa", "01"]) {
      assert.throws(
        () => readTlvStream(hexToBytes(hex.replace(/ /g, ""))),
        (e: unknown) =>
          ["bolt12/tlv", "bolt12/bigsize"].includes((e as { code?: string }).code ?? ""),
      );
    }
    assert.throws(
      () =>
        writeTlvStream([
          { type: 2n, value: new Uint8Array() },
          { type: 1n, value: new Uint8Array() },
        ]),
      { code: "bolt12/tlv" },
    );
  });
});

describe("BOLT 12 format-string-test.json", () => {
  const cases =
    vectors<{ comment: string; valid: boolean; string: string }[]>("format-string-test.json");
  cases.forEach((c, i) => {
    test(`${c.comment} (#${i + 1})`, () => {
      if (c.valid) {
        const { hrp, bytes } = decodeBolt12String(c.string);
        assert.equal(hrp, "lno");
        readTlvStream(bytes);
        assert.equal(encodeBolt12String(hrp, bytes), cases[0]!.string);
      } else {
        assert.throws(() => decodeBolt12String(c.string), { code: "bolt12/string" });
      }
    });
  });
});

describe("BOLT 12 offers-test.json (valid offers: TLV records)", () => {
  const cases = vectors<
    {
      description: string;
      valid: boolean;
      bolt12: string;
      fields?: { type: number; length: number; hex: string }[];
    }[]
  >("offers-test.json");
  for (const c of cases.filter((x) => x.valid)) {
    test(c.description, () => {
      const { hrp, bytes } = decodeBolt12String(c.bolt12);
      assert.equal(hrp, "lno");
      const records = readTlvStream(bytes);
      assert.deepEqual(
        records.map((r) => ({
          type: Number(r.type),
          length: r.value.length,
          hex: bytesToHex(r.value),
        })),
        c.fields,
      );
      assert.equal(encodeBolt12String(hrp, bytes), c.bolt12.toLowerCase());
    });
  }
});
