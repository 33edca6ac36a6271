/** Channel opening rules (catalogue section "Channel opening"), checked when a channel is set up. */
import { CHANNEL_TYPES } from "../../bolt3/channel-type.js";
import type { ChannelSetup } from "../../state/channel-setup.js";
import type { PolicyConfig } from "../config.js";
import type { Checker } from "../policy.js";
import { isAllowedDestination, type WalletOracle } from "./destination.js";

/** Node-wide facts the opening rules need. */
export interface OpeningContext {
  config: PolicyConfig;
  isOurWallet: WalletOracle;
  /** Channels currently set up and not forgotten (excluding this one). */
  openChannelCount: number;
  /** True when this channel's id was used by a channel that was already forgotten. */
  idForgotten: boolean;
}

/** Runs every Channel opening rule on a proposed setup. */
export function checkChannelSetup(ctx: OpeningContext, setup: ChannelSetup, c: Checker): void {
  const { config } = ctx;
  c.check(
    setup.holderToSelfDelay >= config.minHolderToSelfDelayBlocks &&
      setup.holderToSelfDelay <= config.maxHolderToSelfDelayBlocks,
    "policy-channel-contest-delay-range-holder",
    () => `our to_self_delay ${setup.holderToSelfDelay} outside the configured range`,
  );
  c.check(
    setup.counterpartyToSelfDelay >= config.minCounterpartyToSelfDelayBlocks &&
      setup.counterpartyToSelfDelay <= config.maxCounterpartyToSelfDelayBlocks,
    "policy-channel-contest-delay-range-counterparty",
    () => `the peer's to_self_delay ${setup.counterpartyToSelfDelay} outside the configured range`,
  );
  c.check(
    (CHANNEL_TYPES as readonly string[]).includes(setup.channelType),
    "policy-channel-safe-mode",
    () => `channel type ${String(setup.channelType)} is not static_remotekey or anchors`,
  );
  c.check(
    !ctx.idForgotten,
    "policy-channel-id-reuse",
    "the channel id belongs to a forgotten channel",
  );
  if (setup.holderShutdownScript !== undefined) {
    c.check(
      isAllowedDestination(setup.holderShutdownScript, config, ctx.isOurWallet),
      "policy-channel-upfront-shutdown-allowlisted",
      "our upfront shutdown script is neither our wallet nor allowlisted",
    );
  }
  c.check(
    ctx.openChannelCount < config.maxChannelCount,
    "policy-channel-count-limit",
    () => `already ${ctx.openChannelCount} channels (limit ${config.maxChannelCount})`,
  );
  c.check(
    setup.channelValueSat <= config.maxFundingSat,
    "policy-funding-max",
    () => `channel of ${setup.channelValueSat} sat exceeds ${config.maxFundingSat}`,
  );
}
