/**
 * Payment rules (catalogue section "Payments") checked when a commitment changes HTLCs. Every
 * HTLC we offer for the first time (in the holder's view, node-wide via the payments ledger)
 * must be a balanced forward of an HTLC we received — within the fee and CLTV bounds, from a
 * channel still operating — or part of an approved payment within its amount; and an HTLC we
 * offered may only leave a commitment unrefunded if the signer knows its preimage. Pure: adds
 * violations to the checker and returns the ledger change to commit.
 */
import type { Htlc } from "../../bolt3/htlc.js";
import {
  applyCommitmentChange,
  type CommitmentChange,
  holderDirection,
  type LedgerChange,
} from "../../payments/ledger.js";
import {
  isLive,
  type PaymentApproval,
  type PaymentRecord,
  updateRecord,
} from "../../payments/record.js";
import { bytesToHex } from "../../util/bytes.js";
import type { PolicyConfig } from "../config.js";
import type { Checker } from "../policy.js";

/** What the payment rules read besides the commitment change. */
export interface PaymentRuleContext {
  readonly config: PolicyConfig;
  /** Node clock (ms). */
  readonly nowMs: number;
  /** The ledger record of a hash (hex) before this commitment. */
  readonly lookup: (hashHex: string) => PaymentRecord | undefined;
  /** Approvals the approver granted for this request only (unannounced HTLCs), by hash hex. */
  readonly provisional: ReadonlyMap<string, PaymentApproval>;
  /** Hashes whose payment was asked and not (yet) approved. */
  readonly unapproved: ReadonlySet<string>;
  /** True while channel `channelId` is operating and not closing. */
  readonly channelActive: (channelId: string) => boolean;
  /** True when `amountMsat` more transferred to peers stays within policy-velocity-transferred. */
  readonly transferredWithinLimit: (amountMsat: bigint) => boolean;
  /**
   * True when `amountMsat` more approved payments stay within policy-velocity-payments (what
   * approveInvoice/approveKeysend check; here for approvals granted with the commitment).
   */
  readonly paymentsWithinLimit: (amountMsat: bigint) => boolean;
  /**
   * The node's protocol never shows the signer a preimage (Core Lightning's hsmd wire), so a
   * settled offered HTLC cannot be told from a failed one: policy-commitment-payment-settled-
   * preimage does not run (outgoing value stays bounded by approvals and velocity).
   */
  readonly preimagesUnavailable?: boolean;
}

/** Our balances (before fee) in the previous and new commitment of the same owner. */
export interface HolderBalances {
  readonly previousMsat: bigint;
  readonly nextMsat: bigint;
}

/**
 * The ledger change to commit with the commitment, the value it transferred to peers, and the
 * amount of the payments the approver approved with it (unannounced payments).
 */
export interface PaymentsOutcome {
  readonly change: LedgerChange;
  readonly transferredMsat: bigint;
  readonly approvedMsat: bigint;
}

function key(owner: CommitmentChange["owner"], h: Htlc): string {
  return `${holderDirection(owner, h)}:${h.id}:${h.amountMsat}:${h.cltvExpiry}:${bytesToHex(h.paymentHash)}`;
}

function ppm(amount: bigint, partsPerMillion: number): bigint {
  return (amount * BigInt(partsPerMillion)) / 1_000_000n;
}

function sum(hs: readonly { amountMsat: bigint }[]): bigint {
  let s = 0n;
  for (const h of hs) s += h.amountMsat;
  return s;
}

/**
 * policy-commitment-payment-settled-preimage: our new balance must be at least the old one
 * less what we newly offered, plus every HTLC we offered that left the commitment while the
 * signer has not seen its preimage (such an HTLC may only be failed, i.e. refunded).
 */
function checkSettledPreimage(
  ctx: PaymentRuleContext,
  change: CommitmentChange,
  balances: HolderBalances,
  c: Checker,
): void {
  const before = new Set(change.previous.map((h) => key(change.owner, h)));
  const after = new Set(change.next.map((h) => key(change.owner, h)));
  let newlyOffered = 0n;
  let mustRefund = 0n;
  for (const h of change.next) {
    if (holderDirection(change.owner, h) === "offered" && !before.has(key(change.owner, h))) {
      newlyOffered += h.amountMsat;
    }
  }
  for (const h of change.previous) {
    if (holderDirection(change.owner, h) !== "offered" || after.has(key(change.owner, h))) continue;
    if (ctx.lookup(bytesToHex(h.paymentHash))?.preimage === undefined) mustRefund += h.amountMsat;
  }
  if (mustRefund === 0n) return;
  const floor = balances.previousMsat - newlyOffered + mustRefund;
  c.check(
    balances.nextMsat >= floor,
    "policy-commitment-payment-settled-preimage",
    () =>
      `our balance ${balances.nextMsat} msat is below ${floor}: ${mustRefund} msat of offered HTLCs removed without their preimage and not refunded`,
  );
}

/**
 * Runs every Payments rule on one commitment change of channel `change.channelId` and returns
 * the ledger change (with approvals granted for this request) and the value transferred.
 */
export function checkCommitmentPayments(
  ctx: PaymentRuleContext,
  change: CommitmentChange,
  balances: HolderBalances | undefined,
  c: Checker,
): PaymentsOutcome {
  const { config } = ctx;
  if (balances !== undefined && ctx.preimagesUnavailable !== true) {
    checkSettledPreimage(ctx, change, balances, c);
  }

  const applied = applyCommitmentChange(ctx.lookup, change);
  // Approvals granted for this request go into the records this change writes.
  const records = new Map(applied.records);
  const granted = new Set<string>();
  for (const [hashHex, rec] of records) {
    const approval = ctx.provisional.get(hashHex);
    if (approval !== undefined && rec.approval === undefined) {
      records.set(hashHex, updateRecord(rec, { approval }));
      granted.add(hashHex);
    }
  }

  let transferredMsat = 0n;
  let approvedMsat = 0n;
  for (const { hashHex, htlc } of applied.newlyOffered) {
    const rec = records.get(hashHex)!;
    const before = ctx.lookup(hashHex);
    const incoming = rec.htlcs.filter((h) => h.direction === "received" && h.inHolder);
    const outTotal = sum(rec.htlcs.filter((h) => h.direction === "offered" && isLive(h)));
    if (incoming.length > 0) {
      if (config.optionalRules["policy-no-routing"]) {
        c.fail("policy-no-routing", `HTLC ${htlc.id} forwards a payment`);
      }
      for (const h of incoming) {
        c.check(
          ctx.channelActive(h.channelId),
          "policy-routing-input-active",
          () => `HTLC ${htlc.id} routes against channel ${h.channelId}, which is not operating`,
        );
      }
      const inTotal = sum(incoming);
      const fee = inTotal - outTotal;
      const maxFee = config.maxRoutingFeeBaseMsat + ppm(outTotal, config.maxRoutingFeePpm);
      c.check(
        fee >= 0n && fee <= maxFee,
        "policy-routing-fee-limit",
        () => `routing fee ${fee} msat (in ${inTotal}, out ${outTotal}) outside [0, ${maxFee}]`,
      );
      let minIncoming = Infinity;
      for (const h of incoming) minIncoming = Math.min(minIncoming, h.cltvExpiry);
      c.check(
        htlc.cltvExpiry + config.minRoutingCltvDeltaBlocks <= minIncoming,
        "policy-routing-cltv-delta",
        () =>
          `HTLC ${htlc.id} expires at ${htlc.cltvExpiry}, less than ${config.minRoutingCltvDeltaBlocks} blocks before its incoming HTLC (${minIncoming})`,
      );
      continue;
    }
    // Not a forward: an outgoing payment of ours.
    if (config.optionalRules["policy-merchant-no-sends"]) {
      c.fail("policy-merchant-no-sends", `HTLC ${htlc.id} pays out of our balance`);
    }
    transferredMsat += htlc.amountMsat;
    const approval = rec.approval;
    if (approval === undefined) {
      if (ctx.unapproved.has(hashHex)) {
        c.fail("policy-commitment-payment-approved", `HTLC ${htlc.id} pays an unapproved payment`);
      } else {
        c.fail(
          "policy-routing-balanced",
          `HTLC ${htlc.id} is covered by neither an incoming HTLC nor an approved payment`,
        );
      }
      continue;
    }
    if (granted.has(hashHex)) {
      // Approved with this commitment: the approval's own checks apply here. Its payee is
      // unknown, so a payee allowlist cannot cover it.
      granted.delete(hashHex);
      approvedMsat += approval.amountMsat;
      if (config.optionalRules["policy-commitment-payment-allowlisted"]) {
        c.fail(
          "policy-commitment-payment-allowlisted",
          `HTLC ${htlc.id} pays an unannounced payment, whose payee no allowlist can name`,
        );
      }
    }
    c.check(
      before?.preimage === undefined,
      "policy-payment-not-duplicate",
      () => `HTLC ${htlc.id} pays a payment hash that was already settled`,
    );
    const maxOut =
      approval.amountMsat +
      config.maxPaymentFeeBaseMsat +
      ppm(approval.amountMsat, config.maxPaymentFeePpm);
    c.check(
      outTotal <= maxOut,
      "policy-commitment-payment-invoiced",
      () => `${outTotal} msat offered for a payment of ${approval.amountMsat} msat (max ${maxOut})`,
    );
    c.check(
      approval.expiresAtMs === undefined || ctx.nowMs <= approval.expiresAtMs,
      "policy-invoice-not-expired",
      () => `HTLC ${htlc.id} pays an invoice that expired at ${approval.expiresAtMs}`,
    );
  }
  if (transferredMsat > 0n) {
    c.check(
      ctx.transferredWithinLimit(transferredMsat),
      "policy-velocity-transferred",
      () => `${transferredMsat} msat more to peers exceeds the velocity limit`,
    );
  }
  if (approvedMsat > 0n) {
    c.check(
      ctx.paymentsWithinLimit(approvedMsat),
      "policy-velocity-payments",
      () => `${approvedMsat} msat more of approved payments exceeds the velocity limit`,
    );
  }
  return {
    change: { records, newlyOffered: applied.newlyOffered },
    transferredMsat,
    approvedMsat,
  };
}
