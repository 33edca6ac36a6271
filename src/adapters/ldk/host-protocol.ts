/**
 * Messages between the LDK adapter (main thread, inside LDK's synchronous callbacks) and the
 * Warden host (a worker thread running a Warden Node over its Store). Everything is plain,
 * structured-cloneable data.
 */
import type { SerializedError } from "../../signer/serialized-error.js";
import type { PolicyConfigOverrides } from "../../policy/config.js";

/** Which Store the host opens. */
export type HostStoreSpec = { kind: "memory" } | { kind: "sqlite"; path: string };

/** How the host builds its Node (LDK KeysManager-style keys from the seed). */
export interface HostSpec {
  /** 32-byte seed (the KeysManager seed). */
  seed: Uint8Array;
  startingTimeSecs: bigint;
  startingTimeNanos: number;
  store: HostStoreSpec;
  config?: PolicyConfigOverrides;
  /** Rule ids (or `prefix-*`) demoted to warnings. */
  demote?: readonly string[];
  /**
   * Outgoing payments: "approve-all" approves every approveInvoice/approveKeysend; "queue" puts
   * each in a persisted queue a human answers (pendingApprovals / answerApproval); "none"
   * refuses them. HTLCs we offer without an approval or an incoming HTLC are refused either way.
   */
  approver: "approve-all" | "queue" | "none";
  /** scriptPubKeys (besides the LDK destination and shutdown scripts) that are our wallet. */
  walletScripts?: readonly Uint8Array[];
  /** Initial chain height of the signer's chain view (setChainHeight updates it). */
  chainHeight?: number;
}

/** Node-level operations of the host (besides Channel methods). */
export type HostOp =
  | "info"
  | "inboundPaymentKeyMaterial"
  | "newChannel"
  | "channel"
  | "state"
  | "setChainHeight"
  | "approveInvoice"
  | "approveKeysend"
  | "addPreimage"
  | "preimages"
  | "closeStore"
  | "pendingApprovals"
  | "answerApproval"
  | "ecdh"
  | "signInvoice"
  | "signChannelUpdate"
  | "signNodeAnnouncement"
  | "bindScidAlias"
  | "bindUnannouncedScid"
  | "walletKey"
  | "signPsbt"
  | "deferHolder"
  | "deferredHolder"
  | "batch"
  | "stats"
  | "warnings";

/** Main → host. */
export interface HostRequest {
  id: number;
  op: HostOp;
  args: unknown[];
  /**
   * Sent on the sync port without waiting for it (a validation whose answer LDK does not
   * need): the host answers only if it fails. Sync-port requests run one at a time in order,
   * so any later call's answer implies this one was committed (or refused) first.
   */
  pipelined?: boolean;
}

/**
 * The shared words of the sync port: [0] the id of the last sync-port request the host
 * finished (its answer, if any, already posted); the adapter waits on it. [1] is set to 1 when
 * the host stops on an unexpected error: a blocked call then fails at once.
 */
export const SYNC_DONE = 0;
/** Index of the host-dead word (see SYNC_DONE). */
export const HOST_DEAD = 1;
/** Bytes of the shared words. */
export const SYNC_WORDS_BYTES = 8;

/** A thrown error as data (WardenError code; rule ids of a policy refusal). */
export type HostError = SerializedError;

/** Host → main. */
export type HostResponse =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: HostError };

/** What `info` returns. */
export interface HostInfo {
  nodeId: Uint8Array;
  /** P2WPKH of LDK's destination key (m/1'). */
  destinationScript: Uint8Array;
  /** LDK's shutdown key (m/2'); its P2WPKH is our shutdown script. */
  shutdownPubkey: Uint8Array;
}

/** A key of the host's on-chain wallet (what a PSBT's BIP 32 derivation names). */
export interface HostWalletKey {
  script: Uint8Array;
  pubkey: Uint8Array;
  /** Full path from the master (as PSBT claims write it). */
  fullPath: number[];
  masterFingerprint: number;
}

/** One operation of a `batch` (run in order; an optional one's failure yields undefined). */
export interface BatchEntry {
  op: Exclude<HostOp, "batch">;
  args: unknown[];
  optional?: boolean;
}
