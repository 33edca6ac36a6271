import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeState, encodeState } from "../../src/state/codec.js";

const enc = new TextEncoder();

/** State-like values: objects, arrays, strings, numbers, booleans, null, byte arrays, bigints. */
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 8 }),
    fc.bigInt(),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie("v"), { maxKeys: 4 }),
  ),
})).v;

test("decodeState(encodeState(x)) gives x back: bytes, bigints, nesting", () => {
  fc.assert(
    fc.property(value, (x) => {
      const back = decodeState(encodeState(x));
      // Byte arrays come back as Buffers (a Uint8Array subclass): compare as plain data.
      const plain = (v: unknown): unknown =>
        v instanceof Uint8Array
          ? { bytes: [...v] }
          : Array.isArray(v)
            ? v.map(plain)
            : typeof v === "object" && v !== null
              ? Object.fromEntries(Object.entries(v).map(([k, y]) => [k, plain(y)]))
              : v;
      assert.deepEqual(plain(back), plain(x));
    }),
    { numRuns: 300 },
  );
});

test("decodeState: tagged values only when alone; __proto__ keys stay plain data", () => {
  const d = decodeState<Record<string, unknown>>(
    enc.encode(
      '{"a":{"$b":"00ff"},"b":{"$n":"-12"},"c":{"$b":"00","x":1},"d":{"$n":"1.5"},' +
        '"__proto__":{"$b":"01"},"e":[{"$n":"7"}]}',
    ),
  );
  assert.deepEqual([...(d["a"] as Uint8Array)], [0, 255]);
  assert.equal(d["b"], -12n);
  assert.deepEqual(d["c"], { $b: "00", x: 1 });
  assert.deepEqual(d["d"], { $n: "1.5" });
  assert.equal(Object.getPrototypeOf(d), Object.prototype);
  assert.deepEqual(
    [...(Object.getOwnPropertyDescriptor(d, "__proto__")!.value as Uint8Array)],
    [1],
  );
  assert.deepEqual(d["e"], [7n]);
  for (const bad of ['{"a":{"$b":"0g"}}', "{", "\xff"]) {
    assert.throws(() => decodeState(enc.encode(bad)), { code: "format/state" });
  }
});
