/**
 * Commitment transaction rules (catalogue section "Commitment transactions") that judge the
 * proposal's values: fees, HTLC limits, the first commitment, and balance changes. Pure: they
 * only add violations to the checker.
 */
import type { CommitmentTransaction } from "../../bolt3/commitment.js";
import type { Htlc } from "../../bolt3/htlc.js";
import { sameHtlc } from "../../bolt3/htlc.js";
import type { ChannelSetup } from "../../state/channel-setup.js";
import type { CommitmentInfo } from "../../state/commitment-info.js";
import type { CommitmentProposal } from "../../state/commitment-proposal.js";
import type { CommitmentOwner } from "../../state/recompose.js";
import type { PolicyConfig } from "../config.js";
import type { Checker } from "../policy.js";

/**
 * The funding output as the signer's chain view sees it: in the mempool or not seen at all
 * ("unconfirmed"), confirmed and unspent ("confirmed"), or spent ("spent").
 */
export type FundingState = "unconfirmed" | "confirmed" | "spent";

/** What the commitment rules need to know besides the proposal. */
export interface CommitmentRuleContext {
  owner: CommitmentOwner;
  setup: ChannelSetup;
  config: PolicyConfig;
  /** The signer's chain height, when it has a chain view. */
  chainHeight: number | undefined;
  /** The previous commitment of the same owner, if any. */
  previous: CommitmentInfo | undefined;
  /** The funding output on the signer's chain view; undefined when it has none. */
  fundingState: FundingState | undefined;
}

/** True when `h` was offered by us (holder), given whose commitment it appears in. */
export function isOfferedByHolder(owner: CommitmentOwner, h: Htlc): boolean {
  return owner === "holder" ? h.direction === "offered" : h.direction === "received";
}

/** Our balance in a commitment of `owner`, before fee. */
export function holderBalanceMsat(
  owner: CommitmentOwner,
  v: { toOwnerMsat: bigint; toOtherMsat: bigint },
): bigint {
  return owner === "holder" ? v.toOwnerMsat : v.toOtherMsat;
}

/** Full identity of an HTLC: a reused id with another amount, hash or expiry is a new HTLC. */
function htlcKey(h: Htlc): string {
  const hash = Buffer.from(h.paymentHash.buffer, h.paymentHash.byteOffset, h.paymentHash.length);
  return `${h.direction}:${h.id}:${h.amountMsat}:${h.cltvExpiry}:${hash.toString("latin1")}`;
}

/** Runs every value rule of the Commitment section on a recomposed commitment. */
export function checkCommitmentValues(
  ctx: CommitmentRuleContext,
  proposal: CommitmentProposal,
  built: CommitmentTransaction,
  c: Checker,
): void {
  const { config, setup, owner } = ctx;
  const n = proposal.commitmentNumber;

  c.check(
    proposal.feeratePerKw >= config.minFeeratePerKw &&
      proposal.feeratePerKw <= config.maxFeeratePerKw,
    "policy-commitment-fee-range",
    () =>
      `feerate ${proposal.feeratePerKw} sat/kw outside [${config.minFeeratePerKw}, ${config.maxFeeratePerKw}]`,
  );
  c.check(
    built.openerShortfallSat === 0n,
    "policy-commitment-fee-range",
    () => `the opener cannot pay the fee (short by ${built.openerShortfallSat} sat)`,
  );
  c.check(
    proposal.htlcs.length <= config.maxHtlcCount,
    "policy-commitment-htlc-count-limit",
    () => `${proposal.htlcs.length} HTLCs exceed the limit of ${config.maxHtlcCount}`,
  );
  let inFlightMsat = 0n;
  for (const h of proposal.htlcs) inFlightMsat += h.amountMsat;
  c.check(
    inFlightMsat <= config.maxHtlcValueInFlightMsat,
    "policy-commitment-htlc-inflight-limit",
    () => `${inFlightMsat} msat in flight exceeds ${config.maxHtlcValueInFlightMsat}`,
  );
  if (ctx.chainHeight !== undefined) {
    const maxExpiry = ctx.chainHeight + config.maxCltvExpiryDeltaBlocks;
    for (const h of proposal.htlcs) {
      c.check(
        h.cltvExpiry <= maxExpiry,
        "policy-commitment-htlc-cltv-range",
        () => `HTLC ${h.id} expires at ${h.cltvExpiry}, beyond ${maxExpiry}`,
      );
    }
  }

  // Commitment 0 is signed before the funding tx is broadcast; every later one moves value
  // inside the channel, which is only real while the funding output is confirmed and unspent.
  // Without a chain view there is nothing to check; zero-conf operators demote the rule.
  if (n > 0 && ctx.fundingState !== undefined) {
    c.check(
      ctx.fundingState === "confirmed",
      "policy-commitment-spends-active-utxo",
      () => `commitment ${n} while the funding output is ${ctx.fundingState}`,
    );
  }

  if (n === 0) {
    c.check(
      proposal.htlcs.length === 0,
      "policy-commitment-first-no-htlcs",
      "the first commitment carries HTLCs",
    );
    const funderMsat = setup.channelValueSat * 1000n - setup.pushMsat;
    const ownerIsFunder = owner === "holder" ? setup.isOutbound : !setup.isOutbound;
    const expectOwner = ownerIsFunder ? funderMsat : setup.pushMsat;
    const expectOther = ownerIsFunder ? setup.pushMsat : funderMsat;
    c.check(
      proposal.toOwnerMsat === expectOwner && proposal.toOtherMsat === expectOther,
      "policy-commitment-initial-funding-value",
      "the first commitment does not give the funder the channel value less the push",
    );
  }

  const prev = ctx.previous;
  if (prev !== undefined) {
    // Our pre-fee balance only goes down when we offer an HTLC: removing an HTLC we offered
    // (fulfilled: unchanged; failed: refunded) or one we received (fulfilled: credited; failed:
    // unchanged) never lowers it, and fees are not part of it. So the new balance must be at
    // least the old one less the HTLCs we newly offered (each justified by the payment rules).
    // An HTLC equal to the previous one at its position was there before; others are looked
    // up by full identity (built only when some HTLC moved or is new).
    let before: Set<string> | undefined;
    let newlyOfferedMsat = 0n;
    for (let i = 0; i < proposal.htlcs.length; i++) {
      const h = proposal.htlcs[i]!;
      if (!isOfferedByHolder(owner, h)) continue;
      const old = prev.htlcs[i];
      if (old !== undefined && sameHtlc(old, h)) continue;
      before ??= new Set(prev.htlcs.map(htlcKey));
      if (!before.has(htlcKey(h))) newlyOfferedMsat += h.amountMsat;
    }
    const oldBalance = holderBalanceMsat(owner, prev);
    const newBalance = holderBalanceMsat(owner, proposal);
    c.check(
      newBalance >= oldBalance - newlyOfferedMsat,
      "policy-commitment-balance-decrease-justified",
      () =>
        `our balance falls from ${oldBalance} to ${newBalance} msat with only ${newlyOfferedMsat} msat newly offered`,
    );
  }
}
