/**
 * Splicing rules (catalogue section "Splicing"): value conservation of a splice transaction
 * for our side of the channel, and where value leaving our side may go.
 *
 * The accounting follows the interactive splice protocol (BOLT 2 splicing, as Core Lightning's
 * channeld checks it): each side's channel balance changes by exactly its relative amount, and
 * each side pays its share of the splice fee from its own on-chain contributions (its inputs
 * minus its outputs), never from the channel balance. So for our side:
 *
 *   our share after = our share before + (our inputs − our outputs − our fee) × 1000,
 *   0 ≤ our fee ≤ the whole fee of the tx, and our fee = 0 when we add nothing on chain.
 */
import type { Checker } from "../policy.js";

/** The amounts a splice moves, as the signer computed them from its own state and the tx. */
export interface SpliceFacts {
  /** Our balance before the splice (msat, before commitment fee), from our latest commitments. */
  holderBalanceMsat: bigint;
  /** HTLCs pending on the channel (msat); they move to the new funding unchanged. */
  htlcMsat: bigint;
  /** Value of the new funding output (sat). */
  newChannelValueSat: bigint;
  /** Sum of the inputs that spend our wallet (sat). */
  ourInputsSat: bigint;
  /** Sum of the outputs (other than the new funding) to our wallet or the allowlist (sat). */
  ourOutputsSat: bigint;
  /** True when we add an input or an output (we then may pay part of the fee). */
  weContribute: boolean;
  /** Sum of all outputs not ours and not the new funding output (sat). */
  foreignOutputsSat: bigint;
  /** The whole fee of the splice tx: inputs minus outputs (sat). */
  feeSat: bigint;
  /** Our balance after the splice as the protocol stated it, when it did (msat). */
  claimedHolderBalanceMsat: bigint | undefined;
}

/** The lowest and highest balance after the splice that conserve our value (msat). */
export interface SpliceBounds {
  floorMsat: bigint;
  ceilingMsat: bigint;
}

/** Our balance after the splice must lie in these bounds (see the module comment). */
export function spliceBounds(f: SpliceFacts): SpliceBounds {
  const net = (f.ourInputsSat - f.ourOutputsSat) * 1000n;
  const maxFee = f.weContribute ? f.feeSat * 1000n : 0n;
  return {
    floorMsat: f.holderBalanceMsat + net - maxFee,
    ceilingMsat: f.holderBalanceMsat + net,
  };
}

/**
 * Runs the Splicing rules on `f` and returns our balance after the splice that the signer
 * records: the stated one, or (when the protocol states none, as Core Lightning's hsmd wire)
 * the floor, which is exact whenever only one side adds inputs/outputs.
 */
export function checkSplice(f: SpliceFacts, c: Checker): bigint {
  const { floorMsat, ceilingMsat } = spliceBounds(f);
  const after = f.claimedHolderBalanceMsat ?? floorMsat;
  c.check(
    f.feeSat >= 0n,
    "policy-splice-value-conserved",
    () => `outputs exceed inputs by ${-f.feeSat} sat`,
  );
  c.check(
    after >= 0n && floorMsat >= 0n,
    "policy-splice-value-conserved",
    () => `our outputs exceed our balance ${f.holderBalanceMsat} msat plus our inputs`,
  );
  c.check(
    after <= ceilingMsat,
    "policy-splice-value-conserved",
    () =>
      `our balance after ${after} msat exceeds before plus our inputs minus our outputs (${ceilingMsat} msat)`,
  );
  const room = f.newChannelValueSat * 1000n - f.htlcMsat;
  if (after > room) {
    // The new channel cannot hold our balance: the rest left our side. To foreign outputs it
    // is a splice-out to a destination that is not ours; otherwise it vanished (e.g. as fee).
    c.check(
      f.foreignOutputsSat === 0n,
      "policy-splice-out-destination",
      () =>
        `${after - room} msat of our balance leave the channel to outputs that are neither our wallet nor allowlisted`,
    );
    c.check(
      f.foreignOutputsSat !== 0n,
      "policy-splice-value-conserved",
      () =>
        `the new channel value ${f.newChannelValueSat} sat cannot hold our balance ${after} msat`,
    );
  }
  c.check(
    after >= floorMsat,
    "policy-splice-out-destination",
    () =>
      `our balance after ${after} msat is below ${floorMsat} msat: value leaves our side to a destination that is neither our wallet nor allowlisted`,
  );
  return after;
}
