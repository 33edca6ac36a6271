/** Mutual close rules (catalogue section "Mutual close"). */
import type { ChannelSetup } from "../../state/channel-setup.js";
import type { ChannelState } from "../../state/channel-state.js";
import { equalBytes } from "../../util/bytes.js";
import type { PolicyConfig } from "../config.js";
import type { Checker } from "../policy.js";
import { isAllowedDestination, type WalletOracle } from "./destination.js";

/** Weight of the funding input's witness in a signed closing tx (2 signatures + 2-of-2 script). */
export const CLOSING_WITNESS_WEIGHT = 222;

/** What the node proposes for a closing transaction. */
export interface MutualCloseProposal {
  /** Our final balance and the peer's (msat, before fee); no HTLCs may remain. */
  toHolderMsat: bigint;
  toCounterpartyMsat: bigint;
  holderScript: Uint8Array;
  counterpartyScript: Uint8Array;
  feeSat: bigint;
}

/** Runs every Mutual close rule on a proposal; `baseWeight` is the unsigned closing tx weight. */
export function checkMutualClose(
  state: ChannelState,
  setup: ChannelSetup,
  config: PolicyConfig,
  isOurWallet: WalletOracle,
  p: MutualCloseProposal,
  baseWeight: number,
  c: Checker,
): void {
  const holder = state.currentHolder;
  const cp = state.currentCounterparty;
  c.check(
    (holder?.htlcs.length ?? 0) === 0 && (cp?.htlcs.length ?? 0) === 0,
    "policy-mutual-no-pending-htlcs",
    "HTLCs are still pending",
  );
  const upfront = setup.holderShutdownScript;
  c.check(
    upfront !== undefined
      ? equalBytes(p.holderScript, upfront)
      : isAllowedDestination(p.holderScript, config, isOurWallet),
    "policy-mutual-destination-allowlisted",
    upfront !== undefined
      ? "our output is not the upfront shutdown script"
      : "our output goes neither to our wallet nor to an allowlisted script",
  );
  const committed = holder?.toOwnerMsat ?? setup.channelValueSat * 1000n;
  c.check(
    p.toHolderMsat + config.mutualValueToleranceMsat >= committed,
    "policy-mutual-value-matches-commitment",
    () => `our balance ${p.toHolderMsat} msat is below the committed ${committed} msat`,
  );
  const weight = baseWeight + CLOSING_WITNESS_WEIGHT;
  const feerate = (p.feeSat * 1000n) / BigInt(weight);
  c.check(
    p.feeSat <= config.maxMutualFeeSat &&
      feerate >= BigInt(config.minMutualFeeratePerKw) &&
      feerate <= BigInt(config.maxMutualFeeratePerKw),
    "policy-mutual-fee-range",
    () => `fee ${p.feeSat} sat (${feerate} sat/kw) outside bounds`,
  );
}
