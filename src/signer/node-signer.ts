/**
 * Node-level signing with the node key, without blind paths (catalogue "Node-level signing").
 * Every request is parsed, checked by the rules into a Checker, judged by the node's Policy
 * (a PolicyError refuses, nothing recorded), any new fact is committed to the Store, and only
 * then does a signature or shared secret leave; warnings are counted at the end (settle).
 *
 *  - node_announcement: node_id must be ours (policy-gossip-own-channels).
 *  - channel_announcement (node signature; the funding-key signature is Channel's): the
 *    request names the channel; the announcement must be about it (slots, keys, chain, funding
 *    output index) and its SCID must agree with the channel's binding. The first one signed
 *    binds the SCID and our side to the channel, persisted under
 *    `node/<node id>/gossip/scid/<channel id>` with the reverse index
 *    `node/<node id>/gossip/scid-owner/<scid hex>` (committed together, so an SCID is bound to
 *    at most one channel). Bindings are never removed: channel ids are never reused.
 *  - channel_update: only for a channel with a binding, with that SCID (or an SCID alias bound
 *    to the channel by bindScidAlias, `node/<node id>/gossip/alias/<channel id>/<alias hex>`,
 *    sharing the reverse index) and our direction bit.
 *  - ecdh: BOLT 8 style (SHA256 of the compressed shared point), metered by policy-ecdh-rate.
 *  - signMessage: sha256d("Lightning Signed Message:" || msg), a recoverable signature as Core
 *    Lightning's hsmd returns it; refused (policy-message-prefix) for a message that is a
 *    transaction, a PSBT or a gossip message.
 *  - signInvoice (BOLT 11) / signBolt12Invoice: only an invoice payable to our node for the
 *    payment hash and amount the node asked for (policy-invoice-own-node).
 *
 * The node secret is fetched from the key source for each signature and wiped after use; it
 * never appears in an error, log or stored record.
 */
import { compareBytes } from "../bolt3/scripts.js";
import { chainHash } from "../bolt7/chain-hash.js";
import { CHANNEL_UPDATE_SIGNED_OFFSET, decodeChannelUpdate } from "../bolt7/channel-update.js";
import {
  decodeNodeAnnouncement,
  NODE_ANNOUNCEMENT_SIGNED_OFFSET,
} from "../bolt7/node-announcement.js";
import { decodeUnsignedInvoice, invoiceSigningData } from "../bolt11/decode.js";
import { signRecoverable } from "../bolt11/sign.js";
import { signBolt12Invoice as signBolt12InvoiceStream } from "../bolt12/signature.js";
import { readTlvStream } from "../bolt12/tlv.js";
import { sha256, sha256d } from "../crypto/hash.js";
import { ecdh as ecdhFacade, ecdsaSign } from "../crypto/secp256k1.js";
import { FormatError } from "../errors.js";
import { PolicyConfigError } from "../policy/errors.js";
import type { Policy } from "../policy/policy.js";
import {
  CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET,
  parseChannelAnnouncement,
} from "../policy/rules/channel-announcement.js";
import {
  DEFAULT_ECDH_RATE_LIMIT,
  DEFAULT_ECDH_RATE_WINDOW_MS,
  EcdhRateMeter,
  checkEcdhRate,
} from "../policy/rules/ecdh.js";
import {
  checkScidAlias,
  checkNodeAnnouncement,
  checkOwnChannelAnnouncement,
  checkOwnChannelUpdate,
  type GossipBinding,
  type GossipChannel,
} from "../policy/rules/gossip.js";
import {
  type Bolt12InvoiceSignRequest,
  checkBolt12InvoiceOwnNode,
  checkInvoiceOwnNode,
  type InvoiceSignRequest,
} from "../policy/rules/invoice.js";
import { checkSignMessage, SIGNED_MESSAGE_PREFIX } from "../policy/rules/message.js";
import { decodeState, encodeState } from "../state/codec.js";
import { StateError } from "../state/errors.js";
import { bytesToHex, equalBytes } from "../util/bytes.js";
import type { Channel } from "./channel.js";
import type { Node } from "./node.js";
import { retryOnConflict } from "./retry.js";
import { recoveryId } from "../crypto/recovery.js";

/** Options of a NodeSigner; every field has a default. */
export interface NodeSignerOptions {
  /** Milliseconds clock for policy-ecdh-rate; default the Node's clock. */
  readonly clock?: () => number;
  /** policy-ecdh-rate: more than this many ECDH requests per window is a violation (default 6000). */
  readonly ecdhRateLimit?: number;
  /** policy-ecdh-rate window in ms (default 60 000). */
  readonly ecdhRateWindowMs?: number;
  /** SCID aliases a channel may have (policy-gossip-own-channels; default 4). */
  readonly maxScidAliases?: number;
}

/** Both of our signatures on a channel_announcement (compact 64 bytes each). */
export interface ChannelAnnouncementSignatures {
  /** Node key: goes in node_signature_1 or _2, the slot of our node id. */
  readonly nodeSignature: Uint8Array;
  /** Funding key: goes in bitcoin_signature_1 or _2, the same slot. */
  readonly bitcoinSignature: Uint8Array;
}

/** A signed message, as Core Lightning's signmessage / hsmd_sign_message_reply carry it. */
export interface SignedMessage {
  /** Compact r||s (64 bytes), low-S, RFC 6979 (no low-R grinding, as secp256k1_ecdsa_sign_recoverable). */
  readonly signature: Uint8Array;
  /** Recovery id 0-3. */
  readonly recoveryId: number;
  /** r||s||recid (65 bytes): hsmd's secp256k1_ecdsa_recoverable_signature wire form. */
  readonly recoverable: Uint8Array;
}

const PREFIX_BYTES = new TextEncoder().encode(SIGNED_MESSAGE_PREFIX);

/** Persisted form of a binding. */
interface BindingRecord {
  shortChannelId: Uint8Array;
  direction: 0 | 1;
}

/** Persisted form of the reverse index entry. */
interface OwnerRecord {
  channelId: string;
  /** "scid" for a channel's announced SCID, "alias" for an SCID alias. */
  kind: "scid" | "alias";
}

/** Default cap on SCID aliases per channel. */
const DEFAULT_MAX_SCID_ALIASES = 4;

function corrupt(key: string): never {
  throw new FormatError("format/state", `stored record ${key} is malformed`);
}

/** The node key's signing operations of one Node. */
export class NodeSigner {
  readonly #node: Node;
  readonly #clock: () => number;
  readonly #meter: EcdhRateMeter;
  readonly #prefix: string;
  readonly #maxScidAliases: number;
  /** Bindings read or written so far (immutable once made, so caching is safe). */
  readonly #bindings = new Map<string, GossipBinding>();

  /** A signer for `node`'s key; PolicyConfigError for a nonsense ECDH rate setting. */
  constructor(node: Node, options: NodeSignerOptions = {}) {
    this.#node = node;
    this.#clock = options.clock ?? node.clock;
    this.#meter = new EcdhRateMeter(
      options.ecdhRateLimit ?? DEFAULT_ECDH_RATE_LIMIT,
      options.ecdhRateWindowMs ?? DEFAULT_ECDH_RATE_WINDOW_MS,
    );
    this.#prefix = `node/${bytesToHex(node.nodeId)}/gossip/`;
    this.#maxScidAliases = options.maxScidAliases ?? DEFAULT_MAX_SCID_ALIASES;
    if (!Number.isSafeInteger(this.#maxScidAliases) || this.#maxScidAliases < 0) {
      throw new PolicyConfigError("policy/config", "maxScidAliases must be a non-negative integer");
    }
  }

  get #policy(): Policy {
    return this.#node.policy;
  }

  /** Store key of channel `channelId`'s SCID binding. */
  bindingKey(channelId: string): string {
    return `${this.#prefix}scid/${channelId}`;
  }

  /** Store key of SCID alias `alias` of channel `channelId`. */
  aliasKey(channelId: string, alias: Uint8Array): string {
    return `${this.#prefix}alias/${channelId}/${bytesToHex(alias)}`;
  }

  /** Store key of the reverse index entry of an 8-byte short_channel_id (real or alias). */
  scidOwnerKey(shortChannelId: Uint8Array): string {
    return `${this.#prefix}scid-owner/${bytesToHex(shortChannelId)}`;
  }

  /** The SCID binding of channel `channelId` (undefined until an announcement was signed for it). */
  async binding(channelId: string): Promise<GossipBinding | undefined> {
    const cached = this.#bindings.get(channelId);
    if (cached !== undefined) return cached;
    const key = this.bindingKey(channelId);
    const stored = await this.#node.store.get(key);
    if (stored === undefined) return undefined;
    const r = decodeState<BindingRecord>(stored.value);
    if (
      typeof r !== "object" ||
      r === null ||
      !(r.shortChannelId instanceof Uint8Array) ||
      r.shortChannelId.length !== 8 ||
      (r.direction !== 0 && r.direction !== 1)
    ) {
      corrupt(key);
    }
    const binding: GossipBinding = Object.freeze({
      shortChannelId: r.shortChannelId,
      direction: r.direction,
    });
    this.#bindings.set(channelId, binding);
    return binding;
  }

  async #scidOwner(shortChannelId: Uint8Array): Promise<string | undefined> {
    const key = this.scidOwnerKey(shortChannelId);
    const stored = await this.#node.store.get(key);
    if (stored === undefined) return undefined;
    const r = decodeState<OwnerRecord>(stored.value);
    if (typeof r !== "object" || r === null || typeof r.channelId !== "string") corrupt(key);
    return r.channelId;
  }

  /** The gossip facts of set-up channel `channelId`, or undefined when the node has none. */
  async #gossipChannel(channelId: string): Promise<GossipChannel | undefined> {
    let channel: Channel;
    try {
      channel = this.#node.channel(channelId);
    } catch (e) {
      if (e instanceof StateError && e.code === "state/unknown-channel") return undefined;
      throw e;
    }
    const setup = channel.state.setup;
    if (setup === undefined) return undefined;
    const peer = this.#node.peerOf(channelId);
    return {
      id: channelId,
      fundingPubkey: channel.basepoints.fundingPubkey,
      counterpartyFundingPubkey: setup.counterpartyBasepoints.fundingPubkey,
      fundingVout: setup.fundingOutpoint.vout,
      binding: await this.binding(channelId),
      ...(peer === undefined
        ? {}
        : {
            ourDirection: compareBytes(this.#node.nodeId, peer) < 0 ? (0 as const) : (1 as const),
          }),
    };
  }

  /** ecdsaSign (low-R unless `plain`) of `digest` with the node secret, wiped afterwards. */
  #signWithNodeKey(digest: Uint8Array, plain = false): Uint8Array {
    const secret = this.#node.keys.nodeSecret();
    try {
      return ecdsaSign(digest, secret, plain ? undefined : this.#node.ecdsaOptions);
    } finally {
      secret.fill(0);
    }
  }

  /**
   * Our node signature (compact, low-R) on a BOLT 7 node_announcement with its type: sha256d of
   * the message after the signature. Refused (policy-gossip-own-channels) unless node_id is ours;
   * FormatError if it is not a node_announcement.
   */
  async signNodeAnnouncement(msg: Uint8Array): Promise<Uint8Array> {
    const a = decodeNodeAnnouncement(msg);
    const c = this.#policy.checker();
    checkNodeAnnouncement(a, this.#node.nodeId, c);
    const verdict = this.#policy.judge(c);
    const sig = this.#signWithNodeKey(sha256d(msg.subarray(NODE_ANNOUNCEMENT_SIGNED_OFFSET)));
    verdict.record();
    return sig;
  }

  /**
   * Our node signature (compact, low-R) on a channel_announcement for channel `channelId`:
   * sha256d of the message after the four signatures. Refused (policy-gossip-own-channels)
   * unless the channel is ours and set up, on our chain, with our node id and funding key in one
   * slot, the peer's funding key in the other, the funding output index in the SCID and the SCID
   * agreeing with the channel's binding. The first success binds the SCID (committed before the
   * signature is returned).
   */
  async signChannelAnnouncementNode(channelId: string, msg: Uint8Array): Promise<Uint8Array> {
    return this.#node.locks.runExclusive(channelId, () =>
      // Another writer may bind the SCID first: reload the binding and decide again.
      retryOnConflict(
        () => this.#signChannelAnnouncementNode(channelId, msg),
        async () => {
          this.#bindings.delete(channelId);
        },
      ),
    );
  }

  async #signChannelAnnouncementNode(channelId: string, msg: Uint8Array): Promise<Uint8Array> {
    const fields = parseChannelAnnouncement(msg);
    const channel = await this.#gossipChannel(channelId);
    const scidOwner = await this.#scidOwner(fields.shortChannelId);
    const c = this.#policy.checker();
    const established = checkOwnChannelAnnouncement(
      fields,
      {
        ourNodeId: this.#node.nodeId,
        chainHash: chainHash(this.#policy.config.network),
        channel,
        scidOwner,
      },
      c,
    );
    const verdict = this.#policy.judge(c);
    if (channel !== undefined && channel.binding === undefined && established !== undefined) {
      await this.#bind(channelId, established, scidOwner === channelId);
    }
    const sig = this.#signWithNodeKey(sha256d(msg.subarray(CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET)));
    verdict.record();
    return sig;
  }

  /** Commits the binding and its reverse index entry together, then caches it. */
  async #bind(channelId: string, binding: GossipBinding, ownerExists: boolean): Promise<void> {
    const record: BindingRecord = {
      shortChannelId: Uint8Array.from(binding.shortChannelId),
      direction: binding.direction,
    };
    const writes = [
      { key: this.bindingKey(channelId), value: encodeState(record), expectedVersion: 0 },
    ];
    if (!ownerExists) {
      const owner: OwnerRecord = { channelId, kind: "scid" };
      writes.push({
        key: this.scidOwnerKey(binding.shortChannelId),
        value: encodeState(owner),
        expectedVersion: 0,
      });
    }
    await this.#node.store.commit(writes);
    this.#bindings.set(channelId, Object.freeze(record));
  }

  /**
   * Both our signatures on a channel_announcement for channel `channelId`: the node signature
   * (signChannelAnnouncementNode, which binds the SCID) and then the funding-key signature
   * (Channel.signChannelAnnouncement). Refused as either would be.
   */
  async signChannelAnnouncement(
    channelId: string,
    msg: Uint8Array,
  ): Promise<ChannelAnnouncementSignatures> {
    const nodeSignature = await this.signChannelAnnouncementNode(channelId, msg);
    const bitcoinSignature = await this.#node.channel(channelId).signChannelAnnouncement(msg);
    return { nodeSignature, bitcoinSignature };
  }

  /**
   * Our node signature (compact, low-R) on a channel_update for channel `channelId`: sha256d of
   * the message after the signature. Refused (policy-gossip-own-channels) unless the channel is
   * ours, on our chain, its SCID was bound by a signed channel_announcement, the update carries
   * that SCID and its direction bit is our side. FormatError if it is not a channel_update.
   */
  async signChannelUpdate(channelId: string, msg: Uint8Array): Promise<Uint8Array> {
    return this.#node.locks.runExclusive(channelId, async () => {
      const u = decodeChannelUpdate(msg);
      const channel = await this.#gossipChannel(channelId);
      const scidIsOurAlias =
        channel !== undefined && (await this.#scidOwner(u.shortChannelId)) === channelId;
      const c = this.#policy.checker();
      checkOwnChannelUpdate(
        u,
        { chainHash: chainHash(this.#policy.config.network), channel, scidIsOurAlias },
        c,
      );
      const verdict = this.#policy.judge(c);
      const sig = this.#signWithNodeKey(sha256d(msg.subarray(CHANNEL_UPDATE_SIGNED_OFFSET)));
      verdict.record();
      return sig;
    });
  }

  /**
   * Binds `alias` (8 bytes) as an SCID alias (option_scid_alias) of channel `channelId`, so
   * channel_updates may use it; idempotent. Aliases are chosen by the node and cannot be
   * verified: the binding only keeps them one-to-one. Refused (policy-gossip-own-channels)
   * unless the channel is ours and set up, the alias names no other channel (as its SCID or an
   * alias) and the channel has fewer than `maxScidAliases` aliases.
   */
  async bindScidAlias(channelId: string, alias: Uint8Array): Promise<void> {
    if (!(alias instanceof Uint8Array) || alias.length !== 8) {
      throw new FormatError("format/short-channel-id", "a short_channel_id is 8 bytes");
    }
    // Everything below is read from the store: a race lost to another writer is planned again.
    await this.#node.locks.runExclusive(channelId, () =>
      retryOnConflict(
        () => this.#bindScidAlias(channelId, alias),
        async () => undefined,
      ),
    );
  }

  async #bindScidAlias(channelId: string, alias: Uint8Array): Promise<void> {
    const channel = await this.#gossipChannel(channelId);
    const owner = await this.#scidOwner(alias);
    const aliasCount = (await this.#node.store.list(`${this.#prefix}alias/${channelId}/`)).length;
    const c = this.#policy.checker();
    checkScidAlias(alias, { channel, owner, aliasCount, maxAliases: this.#maxScidAliases }, c);
    const verdict = this.#policy.judge(c);
    if (owner === undefined) {
      const record: OwnerRecord = { channelId, kind: "alias" };
      await this.#node.store.commit([
        { key: this.aliasKey(channelId, alias), value: encodeState({}), expectedVersion: 0 },
        { key: this.scidOwnerKey(alias), value: encodeState(record), expectedVersion: 0 },
      ]);
    }
    verdict.record();
  }

  /**
   * Binds the real SCID of an unannounced channel, which no channel_announcement will ever
   * bind, so its channel_updates (sent to the peer only) can be signed; idempotent for the same
   * binding. The caller vouches that its chain view holds the funding transaction at the SCID's
   * block and position. Refused (policy-gossip-own-channels) unless the channel is ours and set
   * up, not bound to another SCID, the SCID's output index is the funding output's and no other
   * channel uses the SCID (as its SCID or an alias). `direction` is our side of the channel.
   */
  async bindUnannouncedScid(
    channelId: string,
    shortChannelId: Uint8Array,
    direction: 0 | 1,
  ): Promise<void> {
    if (!(shortChannelId instanceof Uint8Array) || shortChannelId.length !== 8) {
      throw new FormatError("format/short-channel-id", "a short_channel_id is 8 bytes");
    }
    if (direction !== 0 && direction !== 1) {
      throw new FormatError("format/type", "direction must be 0 or 1");
    }
    await this.#node.locks.runExclusive(channelId, async () => {
      const channel = await this.#gossipChannel(channelId);
      const owner = await this.#scidOwner(shortChannelId);
      const c = this.#policy.checker();
      const vout = (shortChannelId[6]! << 8) | shortChannelId[7]!;
      if (channel === undefined) {
        c.fail(
          "policy-gossip-own-channels",
          "SCID for a channel this node does not have (or has not set up)",
        );
      } else {
        const b = channel.binding;
        c.check(
          b === undefined ||
            (equalBytes(b.shortChannelId, shortChannelId) && b.direction === direction),
          "policy-gossip-own-channels",
          () => `channel ${channelId} is already bound to another SCID`,
        );
        c.check(
          vout === channel.fundingVout,
          "policy-gossip-own-channels",
          () => `the SCID names output ${vout}, not the funding output ${channel.fundingVout}`,
        );
        c.check(
          owner === undefined || owner === channelId,
          "policy-gossip-own-channels",
          "the SCID is bound to another channel",
        );
      }
      const verdict = this.#policy.judge(c);
      if (channel !== undefined && channel.binding === undefined) {
        await this.#bind(channelId, { shortChannelId, direction }, owner === channelId);
      }
      verdict.record();
    });
  }

  /**
   * BOLT 8 ECDH with the node key: SHA256 of the compressed point nodeSecret·point (32 bytes).
   * Metered by policy-ecdh-rate (a warning by default: over-rate requests are answered and the
   * warning counted); CryptoError for an invalid point.
   */
  async ecdh(point: Uint8Array): Promise<Uint8Array> {
    const c = this.#policy.checker();
    if (this.#policy.isEnabled("policy-ecdh-rate")) {
      const over = this.#meter.record(this.#clock());
      checkEcdhRate(over, this.#meter.limit, this.#meter.windowMs, c);
    }
    const verdict = this.#policy.judge(c);
    const secret = this.#node.keys.nodeSecret();
    let shared: Uint8Array;
    try {
      shared = ecdhFacade(secret, point);
    } finally {
      secret.fill(0);
    }
    verdict.record();
    return shared;
  }

  /**
   * Signs `msg` as Core Lightning's signmessage (and LND's) does: a recoverable ECDSA signature
   * by the node key of sha256d("Lightning Signed Message:" || msg). Refused
   * (policy-message-prefix) when `msg`, raw or hex-decoded, parses as a Bitcoin transaction, a
   * PSBT or a signed gossip message.
   */
  async signMessage(msg: Uint8Array): Promise<SignedMessage> {
    if (!(msg instanceof Uint8Array)) throw new FormatError("format/type", "message must be bytes");
    const c = this.#policy.checker();
    checkSignMessage(msg, c);
    const verdict = this.#policy.judge(c);
    const digest = sha256d(Buffer.concat([PREFIX_BYTES, msg]));
    const signature = this.#signWithNodeKey(digest, true);
    const recid = recoveryId(digest, signature, this.#node.nodeId);
    const recoverable = new Uint8Array(65);
    recoverable.set(signature);
    recoverable[64] = recid;
    verdict.record();
    return { signature, recoveryId: recid, recoverable };
  }

  /**
   * The recoverable signature (r||s||recovery id, 65 bytes; RFC 6979, low-S) by the node key of
   * a BOLT 11 invoice handed over as its lower-case hrp and data words (timestamp + tagged
   * fields), as LDK and Core Lightning ask for it. FormatError unless the words decode as an
   * invoice; refused (policy-invoice-own-node) unless it is exactly what `request` asked for,
   * payable to our node (payee, payment hash, amount, description, expiry, no duplicate or
   * wrong-length fields).
   */
  async signInvoice(
    request: InvoiceSignRequest,
    hrp: string,
    dataWords: readonly number[],
  ): Promise<Uint8Array> {
    const decoded = decodeUnsignedInvoice(hrp, dataWords);
    const c = this.#policy.checker();
    checkInvoiceOwnNode(request, decoded, this.#node.nodeId, c);
    const verdict = this.#policy.judge(c);
    const digest = sha256(invoiceSigningData(hrp, dataWords));
    const secret = this.#node.keys.nodeSecret();
    let sig: Uint8Array;
    try {
      sig = signRecoverable(digest, secret);
    } finally {
      secret.fill(0);
    }
    verdict.record();
    return sig;
  }

  /**
   * Signs a BOLT 12 `invoice` TLV stream (without signature records) with the node key (BIP 340
   * over the merkle root): returns the stream with its `signature` record (240) appended.
   * FormatError for a malformed stream; refused (policy-invoice-own-node) unless
   * invoice_node_id is our node id and the payment hash and amount are those `request` asked for.
   */
  async signBolt12Invoice(
    request: Bolt12InvoiceSignRequest,
    tlvStream: Uint8Array,
  ): Promise<Uint8Array> {
    const records = readTlvStream(tlvStream);
    const c = this.#policy.checker();
    checkBolt12InvoiceOwnNode(request, records, this.#node.nodeId, c);
    const verdict = this.#policy.judge(c);
    const secret = this.#node.keys.nodeSecret();
    let signed: Uint8Array;
    try {
      signed = signBolt12InvoiceStream(tlvStream, secret);
    } finally {
      secret.fill(0);
    }
    verdict.record();
    return signed;
  }
}
