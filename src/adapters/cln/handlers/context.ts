/**
 * What every hsmd request handler sees: the signer core (Node, keys, wallet, chain view), the
 * connection's context (peer id, dbid, permission bits) and a reader over the request.
 */
import type { Network } from "../../../bitcoin/address.js";
import type { OutPoint } from "../../../bitcoin/tx.js";
import { WardenError } from "../../../errors.js";
import type { ClnKeyDeriver } from "../../../keys/key-deriver.js";
import type { Channel } from "../../../signer/channel.js";
import type { Node } from "../../../signer/node.js";
import { bytesToHex, hexToBytes } from "../../../util/bytes.js";
import type { OnchainWallet } from "../../../wallet/wallet.js";
import type { WireReader } from "./io.js";

/** The per-connection context hsmd keeps (copied from hsmd_client_hsmfd). */
export interface HsmdClientContext {
  /** The peer of a channel client, our own id for connectd; null on the root connection. */
  readonly peerId: Uint8Array | null;
  readonly dbid: bigint;
  readonly permissions: number;
}

/**
 * A request hsmd answers by disconnecting the client (hsmd's status_bad_request or a fatal
 * error on the root connection): malformed, unknown type, not permitted, refused by policy or
 * by the channel state machine. `ruleIds` lists the policy rules that refused it, if any.
 */
export class HsmdClientError extends WardenError {
  readonly ruleIds: readonly string[];
  constructor(code: string, message: string, ruleIds: readonly string[] = []) {
    super(code, message);
    this.ruleIds = Object.freeze([...ruleIds]);
  }
}

/** The signer's view of the chain, when it has one (e.g. a recorded chain in a replay). */
export interface ChainView {
  /** Confirmations of transaction `txid` (internal order); 0 or undefined when not mined. */
  confirmations(txid: Uint8Array): number | undefined;
  /** True when `outpoint` is spent by a mined transaction. */
  isSpent(outpoint: OutPoint): boolean;
  /** The chain's tip height (the Node's chain height), when known. */
  tipHeight(): number | undefined;
}

/** Settings hsmd_dev_preinit may change. */
export interface DevFlags {
  failPreapprove: boolean;
  noPreapproveCheck: boolean;
  warnOnOvergrind: boolean;
}

/** The signer core the handlers use (implemented by Hsmd). */
export interface HsmdCore {
  readonly deriver: ClnKeyDeriver;
  readonly hsmSecretLength: number;
  readonly hsmSecretType: number;
  readonly chain: ChainView | undefined;
  readonly dev: DevFlags;
  /** Set once hsmd_init succeeded. */
  readonly initialized: boolean;
  /** The Node (after hsmd_init); HsmdClientError before. */
  node(): Node;
  /** The on-chain wallet signer (after hsmd_init). */
  wallet(): OnchainWallet;
  /** Creates the Node for `network` (hsmd_init). */
  initialize(network: Network): Promise<void>;
  /** Reports a policy refusal answered without an error (e.g. a declined pre-approval). */
  noteRefusal(e: unknown): void;
  /** The full derivation path (as a PSBT claim) of wallet key index k. */
  walletClaimPath(index: number): number[];
  /** Wallet key indexes lightningd has shown to be in use grow the wallet's scan range. */
  noteWalletIndex(index: number): void;
  /** Our dust limit and the peer's assumed one (hsmd_setup_channel carries neither). */
  readonly dustLimitSat: bigint;
}

/** One request being handled. */
export interface RequestContext {
  readonly core: HsmdCore;
  readonly client: HsmdClientContext;
  readonly type: number;
  readonly r: WireReader;
}

/** Warden's channel id of Core Lightning channel (peer, dbid). */
export function clnChannelId(peerId: Uint8Array, dbid: bigint): string {
  return `cln-${bytesToHex(peerId)}-${dbid}`;
}

/** The (peer, dbid) of a channel id made by clnChannelId; undefined for other ids. */
export function parseClnChannelId(id: string): { peerId: Uint8Array; dbid: bigint } | undefined {
  const m = /^cln-((?:02|03)[0-9a-f]{64})-(\d{1,20})$/.exec(id);
  if (m === null) return undefined;
  const dbid = BigInt(m[2]!);
  if (dbid >= 1n << 64n) return undefined;
  return { peerId: hexToBytes(m[1]!), dbid };
}

/** The connection's own channel (its peer and dbid); HsmdClientError when it has none. */
export function clientChannelId(ctx: RequestContext): string {
  const { peerId, dbid } = ctx.client;
  if (peerId === null) {
    throw new HsmdClientError("cln/no-channel", "this connection has no channel");
  }
  return clnChannelId(peerId, dbid);
}

/** The Node's channel `id`; HsmdClientError when the node has no such channel. */
export function channelById(ctx: RequestContext, id: string): Channel {
  try {
    return ctx.core.node().channel(id);
  } catch (e) {
    if (e instanceof WardenError && e.code === "state/unknown-channel") {
      throw new HsmdClientError("cln/unknown-channel", `no channel ${id}`);
    }
    throw e;
  }
}
