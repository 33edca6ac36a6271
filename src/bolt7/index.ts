/** BOLT 7 gossip codecs (channel_announcement, node_announcement, channel_update): public API. */
export {
  CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET,
  CHANNEL_ANNOUNCEMENT_TYPE,
  type ChannelAnnouncement,
  decodeChannelAnnouncement,
  encodeChannelAnnouncement,
  isChannelAnnouncementType,
} from "./channel-announcement.js";
export {
  CHANNEL_FLAG_DIRECTION,
  CHANNEL_FLAG_DISABLE,
  CHANNEL_UPDATE_SIGNED_OFFSET,
  CHANNEL_UPDATE_TYPE,
  type ChannelUpdate,
  decodeChannelUpdate,
  encodeChannelUpdate,
  isChannelUpdateType,
  MESSAGE_FLAG_HTLC_MAXIMUM,
} from "./channel-update.js";
export { chainHash } from "./chain-hash.js";
export {
  decodeGossip,
  GOSSIP_TYPES,
  type GossipMessage,
  gossipDigest,
  isGossipMessage,
} from "./gossip.js";
export {
  decodeNodeAnnouncement,
  encodeNodeAnnouncement,
  isNodeAnnouncementType,
  NODE_ANNOUNCEMENT_SIGNED_OFFSET,
  NODE_ANNOUNCEMENT_TYPE,
  type NodeAnnouncement,
} from "./node-announcement.js";
export {
  decodeShortChannelId,
  encodeShortChannelId,
  type ShortChannelId,
  shortChannelIdFromString,
  shortChannelIdToString,
} from "./short-channel-id.js";
