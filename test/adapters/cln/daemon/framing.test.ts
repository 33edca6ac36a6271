/** Core Lightning's 4-byte big-endian framing: round trips under any chunking, limits, truncation. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  WIRE_LEN_LIMIT,
} from "../../../../src/adapters/cln/daemon/framing.js";

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Splits bytes at the given cut points (sorted, deduplicated, within range). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe("framing", () => {
  it("encodes the length as 4 big-endian bytes", () => {
    assert.deepEqual([...encodeFrame(Uint8Array.of(0, 11, 5))], [0, 0, 0, 3, 0, 11, 5]);
    assert.deepEqual([...encodeFrame(new Uint8Array(0))], [0, 0, 0, 0]);
    const long = encodeFrame(new Uint8Array(0x1234));
    assert.deepEqual([...long.subarray(0, 4)], [0, 0, 0x12, 0x34]);
  });

  it("decodes any sequence of messages under any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (messages, cuts) => {
          const stream = concat(messages.map(encodeFrame));
          const d = new FrameDecoder();
          const got = chunk(stream, cuts).flatMap((c) => d.push(c));
          assert.deepEqual(
            got.map((m) => [...m]),
            messages.map((m) => [...m]),
          );
          assert.equal(d.midFrame, false);
        },
      ),
    );
  });

  it("reports an incomplete frame at end of stream", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), (m, cut) => {
        const f = encodeFrame(m);
        const d = new FrameDecoder();
        d.push(f.subarray(0, 1 + (cut % (f.length - 1))));
        assert.equal(d.midFrame, true);
        assert.match(
          d.describeTruncation(),
          /end of stream after \d+ of \d+ (length|message) bytes/,
        );
      }),
    );
    const d = new FrameDecoder();
    d.push(Uint8Array.of(0, 0, 0, 10, 1, 2, 3));
    assert.equal(d.describeTruncation(), "end of stream after 3 of 10 message bytes");
  });

  it("refuses a length of 2^27 or more as soon as the header is read", () => {
    for (const len of [WIRE_LEN_LIMIT, WIRE_LEN_LIMIT + 1, 0xffffffff]) {
      const d = new FrameDecoder();
      const header = Buffer.alloc(4);
      header.writeUInt32BE(len >>> 0, 0);
      assert.throws(
        () => d.push(header),
        (e: unknown) => e instanceof FrameError && e.code === "cln/frame-oversized",
      );
      assert.throws(() => d.push(Uint8Array.of(0)), FrameError, "a failed stream stays failed");
    }
    const d = new FrameDecoder();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(WIRE_LEN_LIMIT - 1, 0);
    assert.deepEqual(d.push(header), [], "2^27 - 1 is allowed (and then waits for the body)");
    assert.throws(() => encodeFrame(new Uint8Array(WIRE_LEN_LIMIT)), FrameError);
  });
});
