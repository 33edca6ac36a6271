/**
 * Node-level gossip rules (policy-gossip-own-channels): the node key signs only gossip about
 * our own node and our own channels.
 *  - node_announcement: node_id is our node id.
 *  - channel_announcement: the chain is ours; the channel exists and is set up; our node id
 *    and funding key share a slot, slots are in node-id order and the other bitcoin key is
 *    the peer's funding key (the channel's own check, reused); the short_channel_id's output
 *    index is the funding outpoint's; and the SCID agrees with the channel's binding: the
 *    first announcement signed for a channel binds its SCID (and our side) for good, and an
 *    SCID bound to one channel cannot be announced for another.
 *  - channel_update: the chain is ours; the channel exists and has a binding; the SCID is the
 *    bound one or an SCID alias bound to the channel, and the direction bit is our side of the
 *    bound announcement (the side does not depend on the SCID).
 *  - SCID alias (option_scid_alias): node-chosen names the signer cannot verify, so they are
 *    only made one-to-one: an alias (or a real SCID) names at most one channel, and a channel
 *    has at most a configured number of aliases.
 * Pure functions: the shell supplies the channel facts and the recorded bindings.
 */
import type { ChannelUpdate } from "../../bolt7/channel-update.js";
import { CHANNEL_FLAG_DIRECTION } from "../../bolt7/channel-update.js";
import type { NodeAnnouncement } from "../../bolt7/node-announcement.js";
import { shortChannelIdToString } from "../../bolt7/short-channel-id.js";
import { bytesToHex, equalBytes } from "../../util/bytes.js";
import type { Checker } from "../policy.js";
import {
  type ChannelAnnouncementFields,
  checkChannelAnnouncement,
} from "./channel-announcement.js";

const RULE = "policy-gossip-own-channels";

/** What the node recorded when it first signed a channel's announcement. */
export interface GossipBinding {
  /** The announced 8-byte short_channel_id. */
  readonly shortChannelId: Uint8Array;
  /** Our side: 0 when we are node_id_1, 1 when node_id_2 (channel_update's direction bit). */
  readonly direction: 0 | 1;
}

/** The facts about one of our channels that its gossip is checked against. */
export interface GossipChannel {
  readonly id: string;
  readonly fundingPubkey: Uint8Array;
  readonly counterpartyFundingPubkey: Uint8Array;
  /** Output index of the funding outpoint. */
  readonly fundingVout: number;
  /** The recorded binding, if an announcement was already signed for this channel. */
  readonly binding: GossipBinding | undefined;
  /**
   * Our direction bit toward the channel's peer (0 when our node id sorts first), when the node
   * knows the peer: lets an unannounced channel's updates under its SCID alias be signed.
   */
  readonly ourDirection?: 0 | 1;
}

/** Context of a channel_announcement check. */
export interface ChannelAnnouncementContext {
  readonly ourNodeId: Uint8Array;
  /** chain_hash of the network the policy runs on. */
  readonly chainHash: Uint8Array;
  /** The channel the request names, or undefined when the node has no such set-up channel. */
  readonly channel: GossipChannel | undefined;
  /** The channel id the announced SCID is already bound to, if any. */
  readonly scidOwner: string | undefined;
}

/** Context of a channel_update check. */
export interface ChannelUpdateContext {
  readonly chainHash: Uint8Array;
  readonly channel: GossipChannel | undefined;
  /** True when the update's SCID is an alias bound to this channel (bindScidAlias). */
  readonly scidIsOurAlias: boolean;
}

/** Context of an SCID alias binding. */
export interface ScidAliasContext {
  readonly channel: GossipChannel | undefined;
  /** The channel id the alias is already bound to (as a real SCID or an alias), if any. */
  readonly owner: string | undefined;
  /** Aliases already bound to this channel. */
  readonly aliasCount: number;
  readonly maxAliases: number;
}

function scid(b: Uint8Array): string {
  return b.length === 8 ? shortChannelIdToString(b) : bytesToHex(b);
}

/** Records a policy-gossip-own-channels violation unless node_announcement's node_id is ours. */
export function checkNodeAnnouncement(
  a: NodeAnnouncement,
  ourNodeId: Uint8Array,
  c: Checker,
): void {
  c.check(
    equalBytes(a.nodeId, ourNodeId),
    RULE,
    () => `node_announcement for node ${bytesToHex(a.nodeId)}, which is not ours`,
  );
}

/**
 * Records every policy-gossip-own-channels violation of a channel_announcement and returns the
 * binding it establishes (its SCID and our side) when our node id is in one of its slots.
 */
export function checkOwnChannelAnnouncement(
  a: ChannelAnnouncementFields,
  ctx: ChannelAnnouncementContext,
  c: Checker,
): GossipBinding | undefined {
  c.check(equalBytes(a.chainHash, ctx.chainHash), RULE, "channel_announcement for another chain");
  const ch = ctx.channel;
  if (ch === undefined) {
    c.fail(RULE, "channel_announcement for a channel this node does not have (or has not set up)");
    return undefined;
  }
  checkChannelAnnouncement(a, ctx.ourNodeId, ch.fundingPubkey, ch.counterpartyFundingPubkey, c);
  const outputIndex = (a.shortChannelId[6]! << 8) | a.shortChannelId[7]!;
  c.check(
    outputIndex === ch.fundingVout,
    RULE,
    () =>
      `short_channel_id ${scid(a.shortChannelId)} names output ${outputIndex}, the funding output is ${ch.fundingVout}`,
  );
  if (ch.binding !== undefined) {
    c.check(
      equalBytes(ch.binding.shortChannelId, a.shortChannelId),
      RULE,
      () =>
        `channel ${ch.id} was announced as ${scid(ch.binding!.shortChannelId)}, not ${scid(a.shortChannelId)}`,
    );
  }
  c.check(
    ctx.scidOwner === undefined || ctx.scidOwner === ch.id,
    RULE,
    () => `short_channel_id ${scid(a.shortChannelId)} is bound to another channel`,
  );
  const direction = equalBytes(a.nodeId1, ctx.ourNodeId)
    ? 0
    : equalBytes(a.nodeId2, ctx.ourNodeId)
      ? 1
      : undefined;
  if (direction === undefined) return undefined;
  if (ch.binding !== undefined) {
    c.check(
      direction === ch.binding.direction,
      RULE,
      () => `channel ${ch.id} was announced with us as node_id_${ch.binding!.direction + 1}`,
    );
  }
  return { shortChannelId: a.shortChannelId, direction };
}

/** Records every policy-gossip-own-channels violation of a channel_update for `ctx.channel`. */
export function checkOwnChannelUpdate(
  u: ChannelUpdate,
  ctx: ChannelUpdateContext,
  c: Checker,
): void {
  c.check(equalBytes(u.chainHash, ctx.chainHash), RULE, "channel_update for another chain");
  const ch = ctx.channel;
  if (ch === undefined) {
    c.fail(RULE, "channel_update for a channel this node does not have (or has not set up)");
    return;
  }
  const b = ch.binding;
  if (b === undefined) {
    // An unannounced channel: only under an alias bound to it, in our direction.
    if (ctx.scidIsOurAlias && ch.ourDirection !== undefined) {
      const direction = u.channelFlags & CHANNEL_FLAG_DIRECTION;
      c.check(
        direction === ch.ourDirection,
        RULE,
        () => `direction bit ${direction} is not our side (node_id_${ch.ourDirection! + 1})`,
      );
      return;
    }
    c.fail(RULE, () => `channel ${ch.id} has no signed channel_announcement binding its SCID`);
    return;
  }
  c.check(
    equalBytes(u.shortChannelId, b.shortChannelId) || ctx.scidIsOurAlias,
    RULE,
    () =>
      `channel ${ch.id} is ${scid(b.shortChannelId)}, not ${scid(u.shortChannelId)} (nor is that an alias of it)`,
  );
  const direction = u.channelFlags & CHANNEL_FLAG_DIRECTION;
  c.check(
    direction === b.direction,
    RULE,
    () => `direction bit ${direction} is not our side (node_id_${b.direction + 1})`,
  );
}

/**
 * Records every policy-gossip-own-channels violation of binding `alias` as an SCID alias
 * (option_scid_alias: a node-chosen, unverifiable name) of `ctx.channel`: the channel must be
 * ours and set up, the alias bound to no channel yet (as real SCID or alias) unless already to
 * this one, and the channel under its alias cap.
 */
export function checkScidAlias(alias: Uint8Array, ctx: ScidAliasContext, c: Checker): void {
  const ch = ctx.channel;
  if (ch === undefined) {
    c.fail(RULE, "SCID alias for a channel this node does not have (or has not set up)");
    return;
  }
  c.check(
    ctx.owner === undefined || ctx.owner === ch.id,
    RULE,
    () => `short_channel_id ${scid(alias)} is bound to another channel`,
  );
  c.check(
    ctx.owner === ch.id || ctx.aliasCount < ctx.maxAliases,
    RULE,
    () => `channel ${ch.id} already has ${ctx.aliasCount} SCID aliases (at most ${ctx.maxAliases})`,
  );
}
