/** fast-check generators of BOLT 7 gossip messages (not a test file). */
import fc from "fast-check";
import type { ChannelAnnouncement } from "../../src/bolt7/channel-announcement.js";
import type { ChannelUpdate } from "../../src/bolt7/channel-update.js";
import type { NodeAnnouncement } from "../../src/bolt7/node-announcement.js";

const bytes = (n: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: n, maxLength: n });
const varBytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
const opts = { noNullPrototype: true } as const;

export const channelAnnouncementArb: fc.Arbitrary<ChannelAnnouncement> = fc.record(
  {
    nodeSignature1: bytes(64),
    nodeSignature2: bytes(64),
    bitcoinSignature1: bytes(64),
    bitcoinSignature2: bytes(64),
    features: varBytes(40),
    chainHash: bytes(32),
    shortChannelId: bytes(8),
    nodeId1: bytes(33),
    nodeId2: bytes(33),
    bitcoinKey1: bytes(33),
    bitcoinKey2: bytes(33),
    extra: varBytes(20),
  },
  opts,
);

export const nodeAnnouncementArb: fc.Arbitrary<NodeAnnouncement> = fc.record(
  {
    signature: bytes(64),
    features: varBytes(40),
    timestamp: u32,
    nodeId: bytes(33),
    rgbColor: bytes(3),
    alias: bytes(32),
    addresses: varBytes(60),
    extra: varBytes(20),
  },
  opts,
);

export const channelUpdateArb: fc.Arbitrary<ChannelUpdate> = fc
  .record(
    {
      signature: bytes(64),
      chainHash: bytes(32),
      shortChannelId: bytes(8),
      timestamp: u32,
      messageFlags: fc.integer({ min: 0, max: 255 }),
      channelFlags: fc.integer({ min: 0, max: 255 }),
      cltvExpiryDelta: fc.integer({ min: 0, max: 0xffff }),
      htlcMinimumMsat: u64,
      feeBaseMsat: u32,
      feeProportionalMillionths: u32,
      max: u64,
      extra: varBytes(20),
    },
    opts,
  )
  .map(({ max, ...u }) => ({ ...u, htlcMaximumMsat: u.messageFlags & 1 ? max : undefined }));
