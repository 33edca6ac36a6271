/**
 * packBytes: the byte arrays of a message copied into one buffer, the rest of the message
 * unchanged, and a structured clone of the packed message equal to the original.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { packBytes } from "../../src/util/pack-bytes.js";

test("packBytes keeps content and shape, with every byte array a view of one buffer", () => {
  const msg = {
    id: 7,
    name: "round",
    amount: 123n,
    sigs: [Uint8Array.of(1, 2, 3), Buffer.from([4, 5])],
    nested: { hash: new Uint8Array(32).fill(9), empty: new Uint8Array(0), nothing: undefined },
  };
  const { value, buffer } = packBytes(msg);
  assert.ok(buffer instanceof ArrayBuffer);
  assert.equal(buffer.byteLength, 3 + 2 + 32);
  assert.deepEqual(
    [...value.sigs, value.nested.hash, value.nested.empty].map((b) => b.buffer),
    [buffer, buffer, buffer, buffer],
  );
  assert.deepEqual(
    structuredClone(value, { transfer: [buffer] }),
    structuredClone({ ...msg, sigs: [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5)] }),
  );
  // The input is untouched (not detached, not aliased).
  assert.deepEqual([...msg.sigs[0]!], [1, 2, 3]);
  assert.notEqual(value.sigs[0], msg.sigs[0]);
});

test("packBytes of a message without byte arrays returns it as it is", () => {
  const msg = { a: [1, 2, { b: "x" }], c: 3n };
  const { value, buffer } = packBytes(msg);
  assert.equal(buffer, undefined);
  assert.equal(value, msg);
});

test("packBytes round-trips random messages through a transferring clone", () => {
  const leaf = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.integer(),
    fc.bigInt(),
    fc.string(),
    fc.boolean(),
  );
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: "small" },
      leaf,
      fc.array(tie("tree"), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 5 }), tie("tree"), { maxKeys: 4 }),
    ),
  }));
  fc.assert(
    fc.property(tree, (msg) => {
      const { value, buffer } = packBytes(msg);
      const received: unknown = structuredClone(value, {
        transfer: buffer === undefined ? [] : [buffer],
      });
      assert.deepEqual(received, structuredClone(msg));
    }),
  );
});
