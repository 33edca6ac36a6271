/** The state of a channel whose keys exist but which is not set up yet. */
import { ShachainStore } from "../bolt3/shachain-store.js";
import type { ChannelState } from "./channel-state.js";

/** A fresh channel: phase `new`, no commitments, nothing revoked. */
export function initialChannelState(): ChannelState {
  return {
    phase: "new",
    setup: undefined,
    nextHolderCommitNum: 0,
    currentHolder: undefined,
    holderRevokedThrough: -1,
    nextCounterpartyCommitNum: 0,
    currentCounterparty: undefined,
    previousCounterparty: undefined,
    counterpartyRevokedThrough: -1,
    counterpartySecrets: new ShachainStore().toBytes(),
    closing: undefined,
    holderCommitmentBroadcast: undefined,
  };
}
