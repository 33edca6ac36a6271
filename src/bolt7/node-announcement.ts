/**
 * BOLT 7 node_announcement (type 257): one signature, then the signed part — features,
 * timestamp, node_id, rgb_color, alias and the address descriptors (kept as raw bytes). The
 * signature covers sha256d of the message from NODE_ANNOUNCEMENT_SIGNED_OFFSET (after the type
 * and the signature) to the end, including trailing extension bytes (e.g. a TLV stream), which
 * the codec keeps in `extra`.
 */
import {
  WireReader,
  WireWriter,
  fieldBytes,
  fieldInt,
  fieldU16Bytes,
  messageType,
} from "./wire.js";

/** BOLT 7 message type of node_announcement. */
export const NODE_ANNOUNCEMENT_TYPE = 257;
/** Start of the signed part: 2-byte type + the 64-byte signature. */
export const NODE_ANNOUNCEMENT_SIGNED_OFFSET = 2 + 64;

/** A decoded node_announcement; byte fields are fresh copies. */
export interface NodeAnnouncement {
  readonly signature: Uint8Array;
  readonly features: Uint8Array;
  /** u32 seconds. */
  readonly timestamp: number;
  readonly nodeId: Uint8Array;
  /** 3 bytes. */
  readonly rgbColor: Uint8Array;
  /** 32 bytes (UTF-8, zero padded). */
  readonly alias: Uint8Array;
  /** The address descriptors, undecoded. */
  readonly addresses: Uint8Array;
  /** Bytes after the addresses (extensions; signed). */
  readonly extra: Uint8Array;
}

const CTX = "node-announcement";

/** Decodes a node_announcement with its 2-byte type; FormatError `format/node-announcement-*` if it is not one. */
export function decodeNodeAnnouncement(msg: Uint8Array): NodeAnnouncement {
  const r = new WireReader(msg, CTX);
  if (r.u16() !== NODE_ANNOUNCEMENT_TYPE) throw r.error("type", "not a node_announcement");
  return {
    signature: r.bytes(64),
    features: r.u16Bytes(),
    timestamp: r.u32(),
    nodeId: r.bytes(33),
    rgbColor: r.bytes(3),
    alias: r.bytes(32),
    addresses: r.u16Bytes(),
    extra: r.rest(),
  };
}

/** Encodes `a` with its type; decodeNodeAnnouncement(encode(a)) equals `a`. FormatError on a bad field. */
export function encodeNodeAnnouncement(a: NodeAnnouncement): Uint8Array {
  const features = fieldU16Bytes(CTX, a.features, "features");
  const addresses = fieldU16Bytes(CTX, a.addresses, "addresses");
  const extra = fieldBytes(CTX, a.extra, undefined, "extra");
  const w = new WireWriter(
    NODE_ANNOUNCEMENT_SIGNED_OFFSET +
      2 +
      features.length +
      4 +
      33 +
      3 +
      32 +
      2 +
      addresses.length +
      extra.length,
  );
  w.u16(NODE_ANNOUNCEMENT_TYPE);
  w.bytes(fieldBytes(CTX, a.signature, 64, "signature"));
  w.u16Bytes(features);
  w.u32(fieldInt(CTX, a.timestamp, 0xffffffff, "timestamp"));
  w.bytes(fieldBytes(CTX, a.nodeId, 33, "node_id"));
  w.bytes(fieldBytes(CTX, a.rgbColor, 3, "rgb_color"));
  w.bytes(fieldBytes(CTX, a.alias, 32, "alias"));
  w.u16Bytes(addresses);
  w.bytes(extra);
  return w.finish();
}

/** True when `msg` starts with the node_announcement type (it may still be malformed). */
export function isNodeAnnouncementType(msg: Uint8Array): boolean {
  return messageType(msg) === NODE_ANNOUNCEMENT_TYPE;
}
