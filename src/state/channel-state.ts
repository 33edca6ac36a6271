/**
 * The signer's own copy of one channel's state machine (pure data). Every operation computes a
 * new ChannelState from the old one; the shell commits it to the Store before any signature or
 * secret leaves the signer. Numbers count commitments up from 0.
 *
 * Invariants the signer keeps (and tests check):
 * - holderRevokedThrough < nextHolderCommitNum - 1: the current holder commitment is never revoked;
 * - a secret for holder commitment n is released only once n+1 was validated;
 * - counterparty commitment n is signed only once n-2 was revoked;
 * - no new commitment is signed or validated once closing started.
 */
import type { ChannelSetup } from "./channel-setup.js";
import type { CommitmentInfo, HolderCommitmentInfo } from "./commitment-info.js";
import type { PendingSplice } from "./splice.js";

/** Life cycle: new (keys only) → operating (setup done) → closing → closed. */
export type ChannelPhase = "new" | "operating" | "closing" | "closed";

/** Why a channel entered `closing`. */
export type ClosingKind = "mutual" | "holder-force-close";

/** One channel's enforcement state. */
export interface ChannelState {
  phase: ChannelPhase;
  setup: ChannelSetup | undefined;
  /** Number of the next holder commitment to validate; the current one is this minus 1. */
  nextHolderCommitNum: number;
  /** The latest validated holder commitment (number nextHolderCommitNum - 1). */
  currentHolder: HolderCommitmentInfo | undefined;
  /** Highest holder commitment whose secret we released; -1 for none. */
  holderRevokedThrough: number;
  /** Number of the next counterparty commitment to sign; the current one is this minus 1. */
  nextCounterpartyCommitNum: number;
  /** The latest counterparty commitment we signed (number nextCounterpartyCommitNum - 1). */
  currentCounterparty: CommitmentInfo | undefined;
  /** The one before it, kept until the counterparty revokes it. */
  previousCounterparty: CommitmentInfo | undefined;
  /** Highest counterparty commitment revoked (secret received and checked); -1 for none. */
  counterpartyRevokedThrough: number;
  /** Counterparty revocation secrets, BOLT 3 compact storage (ShachainStore.toBytes()). */
  counterpartySecrets: Uint8Array;
  /** Set when closing started. */
  closing: ClosingKind | undefined;
  /** Holder commitment number we signed for broadcast, if any. */
  holderCommitmentBroadcast: number | undefined;
  /**
   * Splices whose channel input we signed (new funding outpoint, value, our balance after),
   * oldest first; absent until the first splice. Commitments on the current funding keep
   * their rules meanwhile.
   */
  pendingSplices?: readonly PendingSplice[] | undefined;
}
