import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  CHANNEL_ANNOUNCEMENT_TYPE,
  decodeChannelAnnouncement,
  encodeChannelAnnouncement,
} from "../../src/bolt7/channel-announcement.js";
import {
  CHANNEL_UPDATE_TYPE,
  decodeChannelUpdate,
  encodeChannelUpdate,
} from "../../src/bolt7/channel-update.js";
import { decodeGossip, isGossipMessage } from "../../src/bolt7/gossip.js";
import {
  NODE_ANNOUNCEMENT_TYPE,
  decodeNodeAnnouncement,
  encodeNodeAnnouncement,
} from "../../src/bolt7/node-announcement.js";
import {
  decodeShortChannelId,
  encodeShortChannelId,
  shortChannelIdFromString,
  shortChannelIdToString,
} from "../../src/bolt7/short-channel-id.js";
import { FormatError } from "../../src/errors.js";
import { channelAnnouncementArb, channelUpdateArb, nodeAnnouncementArb } from "./arbitraries.js";

/** Round trips and strictness for one codec. */
function codecSuite<T>(
  name: string,
  type: number,
  arb: fc.Arbitrary<T>,
  encode: (v: T) => Uint8Array,
  decode: (b: Uint8Array) => T,
  minLength: number,
): void {
  describe(name, () => {
    test("decode(encode(x)) equals x and encode(decode(b)) equals b", () => {
      fc.assert(
        fc.property(arb, (v) => {
          const b = encode(v);
          assert.equal((b[0]! << 8) | b[1]!, type);
          const back = decode(b);
          assert.deepEqual(back, v);
          assert.deepEqual(encode(back), b);
          assert.equal(decodeGossip(b).kind, name);
          assert.ok(isGossipMessage(b));
        }),
      );
    });

    test("every truncation below the fixed part is a FormatError", () => {
      fc.assert(
        fc.property(arb, fc.nat(), (v, cut) => {
          const b = encode(v);
          const fixedEnd = Math.min(b.length, minLength);
          const short = b.subarray(0, cut % fixedEnd);
          assert.throws(() => decode(short), FormatError);
          assert.ok(!isGossipMessage(short));
        }),
      );
    });

    test("another message type is a FormatError", () => {
      fc.assert(
        fc.property(arb, fc.integer({ min: 0, max: 0xffff }), (v, t) => {
          fc.pre(t !== type);
          const b = Uint8Array.from(encode(v));
          b[0] = t >> 8;
          b[1] = t & 0xff;
          assert.throws(() => decode(b), FormatError);
        }),
      );
    });
  });
}

codecSuite(
  "channel_announcement",
  CHANNEL_ANNOUNCEMENT_TYPE,
  channelAnnouncementArb,
  encodeChannelAnnouncement,
  decodeChannelAnnouncement,
  2 + 4 * 64 + 2 + 32 + 8 + 4 * 33,
);
codecSuite(
  "node_announcement",
  NODE_ANNOUNCEMENT_TYPE,
  nodeAnnouncementArb,
  encodeNodeAnnouncement,
  decodeNodeAnnouncement,
  2 + 64 + 2 + 4 + 33 + 3 + 32 + 2,
);
codecSuite(
  "channel_update",
  CHANNEL_UPDATE_TYPE,
  channelUpdateArb,
  encodeChannelUpdate,
  decodeChannelUpdate,
  2 + 64 + 32 + 8 + 4 + 1 + 1 + 2 + 8 + 4 + 4,
);

test("channel_update: htlc_maximum_msat present exactly when message_flags bit 0 is set", () => {
  fc.assert(
    fc.property(channelUpdateArb, (u) => {
      const flipped = { ...u, messageFlags: u.messageFlags ^ 1 };
      assert.throws(() => encodeChannelUpdate(flipped), FormatError);
    }),
  );
});

test("encoders refuse wrong-sized fields", () => {
  fc.assert(
    fc.property(channelAnnouncementArb, nodeAnnouncementArb, channelUpdateArb, (a, n, u) => {
      assert.throws(
        () => encodeChannelAnnouncement({ ...a, nodeId1: a.nodeId1.subarray(1) }),
        FormatError,
      );
      assert.throws(() => encodeNodeAnnouncement({ ...n, alias: new Uint8Array(31) }), FormatError);
      assert.throws(() => encodeNodeAnnouncement({ ...n, timestamp: -1 }), FormatError);
      assert.throws(
        () => encodeChannelUpdate({ ...u, shortChannelId: new Uint8Array(9) }),
        FormatError,
      );
      assert.throws(() => encodeChannelUpdate({ ...u, htlcMinimumMsat: -1n }), FormatError);
    }),
  );
});

test("short_channel_id: bytes ↔ parts ↔ text round trip; layout is 3+3+2 bytes big-endian", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffff }),
      fc.integer({ min: 0, max: 0xffffff }),
      fc.integer({ min: 0, max: 0xffff }),
      (blockHeight, txIndex, outputIndex) => {
        const b = encodeShortChannelId({ blockHeight, txIndex, outputIndex });
        const expected =
          (BigInt(blockHeight) << 40n) | (BigInt(txIndex) << 16n) | BigInt(outputIndex);
        assert.equal(Buffer.from(b).readBigUInt64BE(0), expected);
        assert.deepEqual(decodeShortChannelId(b), { blockHeight, txIndex, outputIndex });
        const text = shortChannelIdToString(b);
        assert.equal(text, `${blockHeight}x${txIndex}x${outputIndex}`);
        assert.deepEqual(shortChannelIdFromString(text), b);
      },
    ),
  );
  assert.throws(
    () => encodeShortChannelId({ blockHeight: 1 << 24, txIndex: 0, outputIndex: 0 }),
    FormatError,
  );
  assert.throws(() => shortChannelIdFromString("1x2"), FormatError);
  assert.throws(() => decodeShortChannelId(new Uint8Array(7)), FormatError);
});

test("decodeGossip refuses other types; isGossipMessage is false for them", () => {
  for (const t of [0, 1, 16, 255, 259, 0xffff]) {
    const b = new Uint8Array(500);
    b[0] = t >> 8;
    b[1] = t & 0xff;
    assert.throws(() => decodeGossip(b), FormatError);
    assert.ok(!isGossipMessage(b));
  }
});
