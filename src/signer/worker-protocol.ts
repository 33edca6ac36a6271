/**
 * Messages between a WorkerPool (main thread) and its worker hosts. Everything is plain,
 * structured-cloneable data: byte arrays, bigints, strings, numbers, plain objects.
 */
import type { SerializedError } from "./serialized-error.js";
import type { PolicyConfigOverrides } from "../policy/config.js";
import type { CommitmentProposal } from "../state/commitment-proposal.js";
import type { CounterpartySignatures } from "../state/transitions.js";
import type { Channel, CommitmentSignatures } from "./channel.js";

/**
 * Most requests (or replies) per message: a full batch leaves at once, so a worker is fed
 * while the main thread still works through a burst, and the other way round.
 */
export const MAX_BATCH = 8;

/** How a worker builds its Node: keys come from a module function, the store is in memory. */
export interface WorkerNodeSpec {
  /** URL (file:) or absolute path of an ES module exporting the key source factory. */
  keyModule: string;
  /** Name of the export: `(...keyArgs) => NodeKeySource`. */
  keyExport: string;
  /** Arguments of the factory (structured-cloneable). */
  keyArgs: readonly unknown[];
  /** Policy settings (defaults when absent). */
  config?: PolicyConfigOverrides;
  /** Rule ids demoted to warnings (policy filter entries). */
  demote?: readonly string[];
  /** Fixed chain height reported to the policy, when the signer has a chain view. */
  chainHeight?: number;
  /**
   * The payments approver of the worker's node: "approve-all" approves every outgoing payment
   * (benchmarks, tests); absent, an offered HTLC no incoming HTLC covers is refused.
   */
  approver?: "approve-all";
}

/** The Channel operations a pool forwards (method name → its parameters and result). */
export type ChannelMethod =
  | "setup"
  | "getPerCommitmentPoint"
  | "validateHolderCommitment"
  | "revokeHolderCommitment"
  | "signCounterpartyCommitment"
  | "validateCounterpartyRevocation"
  | "signHolderCommitment"
  | "signMutualClose";

/** Every method name a worker host accepts. */
export const CHANNEL_METHODS: readonly ChannelMethod[] = [
  "setup",
  "getPerCommitmentPoint",
  "validateHolderCommitment",
  "revokeHolderCommitment",
  "signCounterpartyCommitment",
  "validateCounterpartyRevocation",
  "signHolderCommitment",
  "signMutualClose",
];

/** Parameters of a forwarded Channel method. */
export type MethodArgs<M extends ChannelMethod> = Parameters<Channel[M]>;
/** Resolved result of a forwarded Channel method. */
export type MethodResult<M extends ChannelMethod> = Awaited<ReturnType<Channel[M]>>;

/**
 * The inputs of one BOLT 2 update round of a channel, run in the worker as four separately
 * validated and committed Channel operations, in this order:
 *   1. signCounterpartyCommitment(counterpartyPoint, counterpartyProposal);
 *   2. validateCounterpartyRevocation(counterpartyRevokedNumber, counterpartySecret);
 *   3. validateHolderCommitment(holderProposal, holderSignatures);
 *   4. revokeHolderCommitment(holderRevokedNumber).
 * A refused step stops the round: the later steps do not run, the earlier ones stay committed.
 */
export interface RoundRequest {
  counterpartyPoint: Uint8Array;
  counterpartyProposal: CommitmentProposal;
  counterpartyRevokedNumber: number;
  counterpartySecret: Uint8Array;
  holderProposal: CommitmentProposal;
  holderSignatures: CounterpartySignatures;
  holderRevokedNumber: number;
}

/** What a round returns: our signatures on their commitment and our revealed secret. */
export interface RoundResult {
  counterpartySignatures: CommitmentSignatures;
  holderSecret: Uint8Array;
}

/** What the main thread asks of a worker. */
export type WorkerRequestBody =
  | { op: "newChannel"; channelId: string }
  | { op: "call"; channelId: string; method: ChannelMethod; args: unknown[] }
  | { op: "round"; channelId: string; round: RoundRequest };

/** Main → worker: a request and its id (echoed in the response). */
export type WorkerRequest = WorkerRequestBody & { id: number };

/** Worker → main. */
export type WorkerResponse =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };
