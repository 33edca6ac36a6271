/**
 * BOLT 7 channel_announcement (type 256): four signatures, then the signed part — features,
 * chain_hash, short_channel_id, the two node ids (in ascending order) and the two bitcoin
 * (funding) keys in the same slots. Every signature covers sha256d of the message from
 * CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET (after the type and the four signatures) to the end,
 * including any trailing extension bytes, which the codec keeps in `extra`.
 */
import { WireReader, WireWriter, fieldBytes, fieldU16Bytes, messageType } from "./wire.js";

/** BOLT 7 message type of channel_announcement. */
export const CHANNEL_ANNOUNCEMENT_TYPE = 256;
/** Start of the signed part: 2-byte type + four 64-byte signatures. */
export const CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET = 2 + 4 * 64;

/** A decoded channel_announcement; byte fields are fresh copies. */
export interface ChannelAnnouncement {
  readonly nodeSignature1: Uint8Array;
  readonly nodeSignature2: Uint8Array;
  readonly bitcoinSignature1: Uint8Array;
  readonly bitcoinSignature2: Uint8Array;
  readonly features: Uint8Array;
  readonly chainHash: Uint8Array;
  readonly shortChannelId: Uint8Array;
  readonly nodeId1: Uint8Array;
  readonly nodeId2: Uint8Array;
  readonly bitcoinKey1: Uint8Array;
  readonly bitcoinKey2: Uint8Array;
  /** Bytes after bitcoin_key_2 (future extensions; signed). */
  readonly extra: Uint8Array;
}

const CTX = "channel-announcement";

/** Decodes a channel_announcement with its 2-byte type; FormatError `format/channel-announcement-*` if it is not one. */
export function decodeChannelAnnouncement(msg: Uint8Array): ChannelAnnouncement {
  const r = new WireReader(msg, CTX);
  if (r.u16() !== CHANNEL_ANNOUNCEMENT_TYPE) throw r.error("type", "not a channel_announcement");
  return {
    nodeSignature1: r.bytes(64),
    nodeSignature2: r.bytes(64),
    bitcoinSignature1: r.bytes(64),
    bitcoinSignature2: r.bytes(64),
    features: r.u16Bytes(),
    chainHash: r.bytes(32),
    shortChannelId: r.bytes(8),
    nodeId1: r.bytes(33),
    nodeId2: r.bytes(33),
    bitcoinKey1: r.bytes(33),
    bitcoinKey2: r.bytes(33),
    extra: r.rest(),
  };
}

/** Encodes `a` with its type; decodeChannelAnnouncement(encode(a)) equals `a`. FormatError on a wrong-sized field. */
export function encodeChannelAnnouncement(a: ChannelAnnouncement): Uint8Array {
  const sigs = [a.nodeSignature1, a.nodeSignature2, a.bitcoinSignature1, a.bitcoinSignature2];
  sigs.forEach((s, i) => fieldBytes(CTX, s, 64, `signature ${i + 1}`));
  const features = fieldU16Bytes(CTX, a.features, "features");
  const extra = fieldBytes(CTX, a.extra, undefined, "extra");
  const w = new WireWriter(
    CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET + 2 + features.length + 32 + 8 + 4 * 33 + extra.length,
  );
  w.u16(CHANNEL_ANNOUNCEMENT_TYPE);
  for (const s of sigs) w.bytes(s);
  w.u16Bytes(features);
  w.bytes(fieldBytes(CTX, a.chainHash, 32, "chain_hash"));
  w.bytes(fieldBytes(CTX, a.shortChannelId, 8, "short_channel_id"));
  w.bytes(fieldBytes(CTX, a.nodeId1, 33, "node_id_1"));
  w.bytes(fieldBytes(CTX, a.nodeId2, 33, "node_id_2"));
  w.bytes(fieldBytes(CTX, a.bitcoinKey1, 33, "bitcoin_key_1"));
  w.bytes(fieldBytes(CTX, a.bitcoinKey2, 33, "bitcoin_key_2"));
  w.bytes(extra);
  return w.finish();
}

/** True when `msg` starts with the channel_announcement type (it may still be malformed). */
export function isChannelAnnouncementType(msg: Uint8Array): boolean {
  return messageType(msg) === CHANNEL_ANNOUNCEMENT_TYPE;
}
