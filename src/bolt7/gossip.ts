/**
 * The three signed BOLT 7 gossip messages as one tagged union: recognising one, decoding it by
 * its type, and the digest its signatures cover (sha256d of the signed part).
 */
import { sha256d } from "../crypto/hash.js";
import { FormatError } from "../errors.js";
import {
  CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET,
  CHANNEL_ANNOUNCEMENT_TYPE,
  type ChannelAnnouncement,
  decodeChannelAnnouncement,
} from "./channel-announcement.js";
import {
  CHANNEL_UPDATE_SIGNED_OFFSET,
  CHANNEL_UPDATE_TYPE,
  type ChannelUpdate,
  decodeChannelUpdate,
} from "./channel-update.js";
import {
  NODE_ANNOUNCEMENT_SIGNED_OFFSET,
  NODE_ANNOUNCEMENT_TYPE,
  type NodeAnnouncement,
  decodeNodeAnnouncement,
} from "./node-announcement.js";
import { messageType } from "./wire.js";

/** A decoded signed gossip message, tagged by its kind. */
export type GossipMessage =
  | { readonly kind: "channel_announcement"; readonly message: ChannelAnnouncement }
  | { readonly kind: "node_announcement"; readonly message: NodeAnnouncement }
  | { readonly kind: "channel_update"; readonly message: ChannelUpdate };

/** The BOLT 7 types of the signed gossip messages (256, 257, 258). */
export const GOSSIP_TYPES: readonly number[] = Object.freeze([
  CHANNEL_ANNOUNCEMENT_TYPE,
  NODE_ANNOUNCEMENT_TYPE,
  CHANNEL_UPDATE_TYPE,
]);

/** Start of the signed part of each gossip type. */
const SIGNED_OFFSET: ReadonlyMap<number, number> = new Map([
  [CHANNEL_ANNOUNCEMENT_TYPE, CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET],
  [NODE_ANNOUNCEMENT_TYPE, NODE_ANNOUNCEMENT_SIGNED_OFFSET],
  [CHANNEL_UPDATE_TYPE, CHANNEL_UPDATE_SIGNED_OFFSET],
]);

/** Decodes any of the three gossip messages by its type; FormatError if it is none of them or malformed. */
export function decodeGossip(msg: Uint8Array): GossipMessage {
  switch (messageType(msg)) {
    case CHANNEL_ANNOUNCEMENT_TYPE:
      return { kind: "channel_announcement", message: decodeChannelAnnouncement(msg) };
    case NODE_ANNOUNCEMENT_TYPE:
      return { kind: "node_announcement", message: decodeNodeAnnouncement(msg) };
    case CHANNEL_UPDATE_TYPE:
      return { kind: "channel_update", message: decodeChannelUpdate(msg) };
    default:
      throw new FormatError("format/gossip-type", "not a signed gossip message (256, 257, 258)");
  }
}

/** True exactly when `msg` has a gossip type (256/257/258) and decodes as that message. */
export function isGossipMessage(msg: Uint8Array): boolean {
  try {
    decodeGossip(msg);
    return true;
  } catch (e) {
    if (e instanceof FormatError) return false;
    throw e;
  }
}

/**
 * The 32-byte digest the signatures of gossip message `msg` cover: sha256d of the bytes after
 * its type and signature(s). FormatError if `msg` is not a well-formed gossip message.
 */
export function gossipDigest(msg: Uint8Array): Uint8Array {
  decodeGossip(msg);
  return sha256d(msg.subarray(SIGNED_OFFSET.get(messageType(msg)!)!));
}
