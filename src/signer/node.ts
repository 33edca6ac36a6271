/**
 * A signer Node: one node key, many independent channels, one Store and one Policy. Channels
 * are looked up by a stable id string; each has its own lock, so different channels proceed
 * concurrently while requests on one channel are strictly ordered.
 */
import type { ChannelKeys } from "../keys/channel-keys.js";
import { Policy } from "../policy/policy.js";
import type { OutPoint } from "../bitcoin/tx.js";
import type { FundingState } from "../policy/rules/commitment.js";
import type { WalletOracle } from "../policy/rules/destination.js";
import { decodeState, encodeState } from "../state/codec.js";
import { StateError } from "../state/errors.js";
import type { Store } from "../store/store.js";
import { KeyedMutex } from "../util/async-lock.js";
import { bytesToHex } from "../util/bytes.js";
import type { Approver } from "../payments/approver.js";
import { Payments } from "../payments/payments.js";
import { Channel } from "./channel.js";
import { NodeSigner, type NodeSignerOptions } from "./node-signer.js";

/** Where a Node gets its keys: any KeyDeriver style reduced to these functions. */
export interface NodeKeySource {
  /** 33-byte node id. */
  nodeId(): Uint8Array;
  /** 32-byte node secret (of nodeId): a fresh copy on every call, which the caller wipes. */
  nodeSecret(): Uint8Array;
  /** The holder key set of channel `channelId` (deterministic from the root secret). */
  channelKeys(channelId: string): ChannelKeys;
}

/** Everything a Node needs; only `keys` and `store` are required. */
export interface NodeOptions {
  keys: NodeKeySource;
  store: Store;
  policy?: Policy;
  /** Recognises our own on-chain wallet scripts; default: none (only the allowlist). */
  isOurWallet?: WalletOracle;
  /** The signer's chain height, when it has a chain view. */
  chainHeight?: () => number | undefined;
  /**
   * The funding output's state on the signer's chain view (policy-commitment-spends-active-utxo);
   * undefined, or a function returning undefined, means no chain view: the rule does not run.
   */
  fundingState?: (outpoint: OutPoint) => FundingState | undefined;
  /**
   * True when the configured watchtower holds the justice data for counterparty commitment
   * `commitmentNumber` of `channelId` and every earlier one (policy-revoke-watchtower-attested,
   * optional: consulted only when that rule is enabled; enabled without an oracle, it refuses
   * every revocation made after the peer revoked something).
   */
  watchtowerAttested?: (channelId: string, commitmentNumber: number) => boolean;
  /** Wall clock in milliseconds (velocity windows); default Date.now. */
  clock?: () => number;
  /**
   * Decides outgoing payments (approveInvoice / approveKeysend) and, when set, HTLCs the node
   * offers without having asked (unannounced payments). Default: none — every payment refused.
   */
  approver?: Approver;
  /** Options of the node-key signer (`Node.nodeSigner`): ECDH rate window, its clock. */
  nodeSigner?: NodeSignerOptions;
}

/** Lock key for node-wide records (taken inside a channel lock, never the other way round). */
const NODE_LOCK = "#node";

/** Node-wide record kept in the store. */
interface NodeMeta {
  /** Channel ids that were forgotten: never reused. */
  forgotten: string[];
}

/** A signer node hosting many channels. */
export class Node {
  readonly nodeId: Uint8Array;
  readonly policy: Policy;
  readonly store: Store;
  readonly keys: NodeKeySource;
  readonly isOurWallet: WalletOracle;
  readonly chainHeight: () => number | undefined;
  readonly fundingState: (outpoint: OutPoint) => FundingState | undefined;
  readonly watchtowerAttested:
    ((channelId: string, commitmentNumber: number) => boolean) | undefined;
  /** Wall clock in milliseconds (injected in tests). */
  readonly clock: () => number;
  /** Per-channel locks; node-wide changes take the lock of the node key. */
  readonly locks = new KeyedMutex();
  readonly #channels = new Map<string, Channel>();
  readonly #prefix: string;
  #meta: { value: NodeMeta; version: number } = { value: { forgotten: [] }, version: 0 };
  #openCount = 0;
  readonly #nodeSignerOptions: NodeSignerOptions;
  #nodeSigner: NodeSigner | undefined;
  #payments: Payments | undefined;

  private constructor(opts: NodeOptions) {
    this.keys = opts.keys;
    this.store = opts.store;
    this.policy = opts.policy ?? new Policy();
    this.isOurWallet = opts.isOurWallet ?? (() => false);
    this.chainHeight = opts.chainHeight ?? (() => undefined);
    this.fundingState = opts.fundingState ?? (() => undefined);
    this.watchtowerAttested = opts.watchtowerAttested;
    this.clock = opts.clock ?? Date.now;
    this.#nodeSignerOptions = opts.nodeSigner ?? {};
    this.nodeId = opts.keys.nodeId();
    this.#prefix = `node/${bytesToHex(this.nodeId)}/`;
  }

  /** Opens a node over `store`, loading every persisted channel of this node id. */
  static async open(opts: NodeOptions): Promise<Node> {
    const node = new Node(opts);
    node.#payments = await Payments.open(node, opts.approver);
    const meta = await node.store.get(node.metaKey());
    if (meta !== undefined) {
      node.#meta = { value: decodeState<NodeMeta>(meta.value), version: meta.version };
    }
    const prefix = `${node.#prefix}channel/`;
    const add = (channel: Channel): void => {
      node.#channels.set(channel.id, channel);
      if (channel.phase !== "new" && channel.phase !== "closed") node.#openCount++;
    };
    if (node.store.scan !== undefined) {
      // One bulk read instead of a get per channel (cold start of 100 000 channels).
      for (const e of await node.store.scan(prefix)) {
        add(Channel.restore(node, e.key.slice(prefix.length), e));
      }
    } else {
      for (const key of await node.store.list(prefix)) {
        add(await Channel.load(node, key.slice(prefix.length)));
      }
    }
    return node;
  }

  /** The node key's signer (gossip, ECDH, signmessage): one per Node, created on first use. */
  get nodeSigner(): NodeSigner {
    this.#nodeSigner ??= new NodeSigner(this, this.#nodeSignerOptions);
    return this.#nodeSigner;
  }

  /** The payments ledger, approvals and velocity of this node. */
  get payments(): Payments {
    return this.#payments!;
  }

  /** True while channel `id` exists, is operating and is not closing (routing-input-active). */
  channelActive(id: string): boolean {
    const c = this.#channels.get(id);
    return c !== undefined && c.phase === "operating" && c.state.closing === undefined;
  }

  /** Records a payment preimage revealed to the signer (its hash computed by the signer). */
  async addPreimage(preimage: Uint8Array): Promise<void> {
    await this.payments.addPreimage(preimage);
  }

  /**
   * Approves paying a BOLT 11 invoice: PolicyError unless unexpired (node clock), not a
   * duplicate, payee allowlisted (optional rule), within policy-velocity-payments and approved
   * by the approver; on success the approval is in the ledger (Store) before this resolves.
   */
  async approveInvoice(bolt11: string, amountMsat?: bigint): Promise<void> {
    await this.payments.approveInvoice(bolt11, amountMsat);
  }

  /** Approves a keysend payment, with the same checks and guarantee as approveInvoice. */
  async approveKeysend(
    payeeNodeId: Uint8Array,
    paymentHash: Uint8Array,
    amountMsat: bigint,
  ): Promise<void> {
    await this.payments.approveKeysend(payeeNodeId, paymentHash, amountMsat);
  }

  /** Store key of channel `id`'s state. */
  channelKey(id: string): string {
    return `${this.#prefix}channel/${id}`;
  }

  /** Store key of the node-wide record. */
  metaKey(): string {
    return `${this.#prefix}meta`;
  }

  /** Creates channel `id` in phase `new` (or returns it if it exists and is not forgotten). */
  async newChannel(id: string): Promise<Channel> {
    if (!/^[0-9a-zA-Z_.:-]{1,200}$/.test(id)) {
      throw new StateError(
        "state/channel-id",
        "channel ids are 1-200 characters of [0-9a-zA-Z_.:-]",
      );
    }
    const existing = this.#channels.get(id);
    if (existing !== undefined) return existing;
    return this.locks.runExclusive(id, async () => {
      const again = this.#channels.get(id);
      if (again !== undefined) return again;
      const channel = await Channel.create(this, id);
      this.#channels.set(id, channel);
      return channel;
    });
  }

  /** The channel with this id; StateError `state/unknown-channel` if there is none. */
  channel(id: string): Channel {
    const c = this.#channels.get(id);
    if (c === undefined) throw new StateError("state/unknown-channel", `no channel ${id}`);
    return c;
  }

  /** Ids of every channel this node hosts. */
  channelIds(): string[] {
    return [...this.#channels.keys()];
  }

  /** Channels set up and not yet forgotten. */
  get openChannelCount(): number {
    return this.#openCount;
  }

  /**
   * True when `id` reuses a forgotten channel's id (policy-channel-id-reuse): the same id, or,
   * for numeric ids (Core Lightning dbids, which only grow), one at or below the highest
   * numeric id forgotten.
   */
  isForgotten(id: string): boolean {
    const forgotten = this.#meta.value.forgotten;
    if (forgotten.includes(id)) return true;
    if (!/^\d+$/.test(id)) return false;
    const n = BigInt(id);
    return forgotten.some((f) => /^\d+$/.test(f) && BigInt(f) >= n);
  }

  /** Bookkeeping after a channel's setup committed. */
  noteChannelOpened(): void {
    this.#openCount++;
  }

  /** Bookkeeping after a channel was marked closed (it no longer counts as open). */
  noteChannelClosed(): void {
    this.#openCount--;
  }

  /**
   * Forgets a closed channel: removes its state and records its id so it is never reused
   * (policy-channel-id-reuse). Refused unless the channel is closing or closed.
   */
  async forgetChannel(id: string): Promise<void> {
    const channel = this.channel(id);
    await this.locks.runExclusive(id, async () => {
      if (channel.phase !== "closing" && channel.phase !== "closed") {
        throw new StateError("state/not-closed", `channel ${id} is ${channel.phase}`);
      }
      await this.locks.runExclusive(NODE_LOCK, async () => {
        const meta: NodeMeta = { forgotten: [...this.#meta.value.forgotten, id] };
        const [version] = await this.store.commit([
          { key: this.metaKey(), value: encodeState(meta), expectedVersion: this.#meta.version },
          { key: this.channelKey(id), value: null, expectedVersion: channel.version },
        ]);
        this.#meta = { value: meta, version: version! };
      });
      this.#channels.delete(id);
      if (channel.phase !== "closed") this.#openCount--;
    });
  }
}
