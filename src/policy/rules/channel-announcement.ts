/**
 * The channel_announcement checks of policy-gossip-own-channels (BOLT 7) that a channel can
 * make: our node id and our funding key sit in the same slot, the slots are in node-id order,
 * and the other bitcoin key is the peer's funding key. Node-level checks (short_channel_id
 * against the funding outpoint on chain, chain hash) belong to the node's gossip rules.
 */
import { FormatError } from "../../errors.js";
import { compareBytes } from "../../bolt3/scripts.js";
import { equalBytes } from "../../util/bytes.js";
import type { Checker } from "../policy.js";

/** BOLT 7 message type of channel_announcement. */
export const CHANNEL_ANNOUNCEMENT_TYPE = 256;
/** Offset of the signed part: 2-byte type + four 64-byte signatures (BOLT 7 "offset 256" after the type). */
export const CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET = 2 + 4 * 64;

/** The fields of a channel_announcement the signer looks at. */
export interface ChannelAnnouncementFields {
  chainHash: Uint8Array;
  shortChannelId: Uint8Array;
  nodeId1: Uint8Array;
  nodeId2: Uint8Array;
  bitcoinKey1: Uint8Array;
  bitcoinKey2: Uint8Array;
}

/**
 * Parses a channel_announcement (with its 2-byte type); FormatError
 * `format/channel-announcement` if it is not one or is truncated.
 */
export function parseChannelAnnouncement(msg: Uint8Array): ChannelAnnouncementFields {
  const bad = (why: string): never => {
    throw new FormatError("format/channel-announcement", why);
  };
  if (!(msg instanceof Uint8Array)) bad("the message must be bytes");
  const off = CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET;
  if (msg.length < off + 2) bad("truncated channel_announcement");
  if (((msg[0]! << 8) | msg[1]!) !== CHANNEL_ANNOUNCEMENT_TYPE) bad("not a channel_announcement");
  const featuresLen = (msg[off]! << 8) | msg[off + 1]!;
  let p = off + 2 + featuresLen;
  if (msg.length < p + 32 + 8 + 4 * 33) bad("truncated channel_announcement");
  const take = (n: number): Uint8Array => {
    const out = msg.slice(p, p + n);
    p += n;
    return out;
  };
  return {
    chainHash: take(32),
    shortChannelId: take(8),
    nodeId1: take(33),
    nodeId2: take(33),
    bitcoinKey1: take(33),
    bitcoinKey2: take(33),
  };
}

/** Runs the channel's policy-gossip-own-channels checks on a parsed announcement. */
export function checkChannelAnnouncement(
  a: ChannelAnnouncementFields,
  ourNodeId: Uint8Array,
  ourFundingPubkey: Uint8Array,
  counterpartyFundingPubkey: Uint8Array,
  c: Checker,
): void {
  c.check(
    compareBytes(a.nodeId1, a.nodeId2) < 0,
    "policy-gossip-own-channels",
    "node_id_1 is not lexicographically before node_id_2",
  );
  const slot = equalBytes(a.nodeId1, ourNodeId) ? 1 : equalBytes(a.nodeId2, ourNodeId) ? 2 : 0;
  if (slot === 0) {
    c.fail("policy-gossip-own-channels", "our node id is in neither node_id slot");
    return;
  }
  const [ours, theirs] =
    slot === 1 ? [a.bitcoinKey1, a.bitcoinKey2] : [a.bitcoinKey2, a.bitcoinKey1];
  c.check(
    equalBytes(ours, ourFundingPubkey),
    "policy-gossip-own-channels",
    () => `bitcoin_key_${slot} is not our funding key`,
  );
  c.check(
    equalBytes(theirs, counterpartyFundingPubkey),
    "policy-gossip-own-channels",
    () => `bitcoin_key_${3 - slot} is not the peer's funding key`,
  );
}
