/**
 * BOLT 7 channel_update (type 258): one signature, then the signed part — chain_hash,
 * short_channel_id, timestamp, message_flags, channel_flags, cltv_expiry_delta,
 * htlc_minimum_msat, fee_base_msat, fee_proportional_millionths and htlc_maximum_msat (present
 * when message_flags bit 0 is set; BOLT 7 now requires it, older peers may omit it). The
 * signature covers sha256d of the message from CHANNEL_UPDATE_SIGNED_OFFSET to the end,
 * including trailing extension bytes, kept in `extra`.
 *
 * channel_flags bit 0 is the direction: 0 when the origin is node_id_1 of the channel's
 * announcement, 1 when it is node_id_2; bit 1 disables the channel.
 */
import { WireReader, WireWriter, fieldBytes, fieldInt, fieldU64, messageType } from "./wire.js";
import { FormatError } from "../errors.js";

/** BOLT 7 message type of channel_update. */
export const CHANNEL_UPDATE_TYPE = 258;
/** Start of the signed part: 2-byte type + the 64-byte signature. */
export const CHANNEL_UPDATE_SIGNED_OFFSET = 2 + 64;
/** message_flags bit 0: htlc_maximum_msat is present. */
export const MESSAGE_FLAG_HTLC_MAXIMUM = 0x01;
/** channel_flags bit 0: the direction (origin is node_id_2). */
export const CHANNEL_FLAG_DIRECTION = 0x01;
/** channel_flags bit 1: the channel is disabled. */
export const CHANNEL_FLAG_DISABLE = 0x02;

/** A decoded channel_update; byte fields are fresh copies. */
export interface ChannelUpdate {
  readonly signature: Uint8Array;
  readonly chainHash: Uint8Array;
  readonly shortChannelId: Uint8Array;
  /** u32 seconds. */
  readonly timestamp: number;
  readonly messageFlags: number;
  readonly channelFlags: number;
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: bigint;
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  /** Present exactly when messageFlags has MESSAGE_FLAG_HTLC_MAXIMUM. */
  readonly htlcMaximumMsat: bigint | undefined;
  /** Bytes after the last field (extensions; signed). */
  readonly extra: Uint8Array;
}

const CTX = "channel-update";
const U32_MAX = 0xffffffff;

/** Decodes a channel_update with its 2-byte type; FormatError `format/channel-update-*` if it is not one. */
export function decodeChannelUpdate(msg: Uint8Array): ChannelUpdate {
  const r = new WireReader(msg, CTX);
  if (r.u16() !== CHANNEL_UPDATE_TYPE) throw r.error("type", "not a channel_update");
  const signature = r.bytes(64);
  const chainHash = r.bytes(32);
  const shortChannelId = r.bytes(8);
  const timestamp = r.u32();
  const messageFlags = r.u8();
  const channelFlags = r.u8();
  const cltvExpiryDelta = r.u16();
  const htlcMinimumMsat = r.u64();
  const feeBaseMsat = r.u32();
  const feeProportionalMillionths = r.u32();
  const htlcMaximumMsat = messageFlags & MESSAGE_FLAG_HTLC_MAXIMUM ? r.u64() : undefined;
  return {
    signature,
    chainHash,
    shortChannelId,
    timestamp,
    messageFlags,
    channelFlags,
    cltvExpiryDelta,
    htlcMinimumMsat,
    feeBaseMsat,
    feeProportionalMillionths,
    htlcMaximumMsat,
    extra: r.rest(),
  };
}

/**
 * Encodes `u` with its type; decodeChannelUpdate(encode(u)) equals `u`. FormatError on a bad
 * field, or when htlcMaximumMsat's presence disagrees with message_flags bit 0.
 */
export function encodeChannelUpdate(u: ChannelUpdate): Uint8Array {
  const messageFlags = fieldInt(CTX, u.messageFlags, 0xff, "message_flags");
  const hasMax = (messageFlags & MESSAGE_FLAG_HTLC_MAXIMUM) !== 0;
  if (hasMax !== (u.htlcMaximumMsat !== undefined)) {
    throw new FormatError(
      `format/${CTX}-field`,
      "htlc_maximum_msat must be present exactly when message_flags bit 0 is set",
    );
  }
  const extra = fieldBytes(CTX, u.extra, undefined, "extra");
  const w = new WireWriter(
    CHANNEL_UPDATE_SIGNED_OFFSET +
      32 +
      8 +
      4 +
      1 +
      1 +
      2 +
      8 +
      4 +
      4 +
      (hasMax ? 8 : 0) +
      extra.length,
  );
  w.u16(CHANNEL_UPDATE_TYPE);
  w.bytes(fieldBytes(CTX, u.signature, 64, "signature"));
  w.bytes(fieldBytes(CTX, u.chainHash, 32, "chain_hash"));
  w.bytes(fieldBytes(CTX, u.shortChannelId, 8, "short_channel_id"));
  w.u32(fieldInt(CTX, u.timestamp, U32_MAX, "timestamp"));
  w.u8(messageFlags);
  w.u8(fieldInt(CTX, u.channelFlags, 0xff, "channel_flags"));
  w.u16(fieldInt(CTX, u.cltvExpiryDelta, 0xffff, "cltv_expiry_delta"));
  w.u64(fieldU64(CTX, u.htlcMinimumMsat, "htlc_minimum_msat"));
  w.u32(fieldInt(CTX, u.feeBaseMsat, U32_MAX, "fee_base_msat"));
  w.u32(fieldInt(CTX, u.feeProportionalMillionths, U32_MAX, "fee_proportional_millionths"));
  if (u.htlcMaximumMsat !== undefined) w.u64(fieldU64(CTX, u.htlcMaximumMsat, "htlc_maximum_msat"));
  w.bytes(extra);
  return w.finish();
}

/** True when `msg` starts with the channel_update type (it may still be malformed). */
export function isChannelUpdateType(msg: Uint8Array): boolean {
  return messageType(msg) === CHANNEL_UPDATE_TYPE;
}
