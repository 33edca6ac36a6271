/**
 * Recurring allowances (policy-allowance-recurring): "up to X msat per W ms to this payee node
 * id or offer id". A payment to a payee/offer with an allowance is approved without asking
 * while the approvals to it in the sliding window ending now stay within X, and refused beyond;
 * a payment no allowance covers goes to the fallback approver.
 */
import { equalBytes } from "../util/bytes.js";
import {
  type ApprovalDecision,
  type ApprovalRequest,
  type Approver,
  RefuseAll,
} from "./approver.js";

/** One allowance: to a payee node id or an offer id (exactly one). */
export interface Allowance {
  readonly payeeNodeId?: Uint8Array;
  readonly offerId?: Uint8Array;
  readonly limitMsat: bigint;
  readonly windowMs: number;
}

function covers(a: Allowance, r: ApprovalRequest): boolean {
  if (a.payeeNodeId !== undefined) {
    return r.payeeNodeId !== undefined && equalBytes(a.payeeNodeId, r.payeeNodeId);
  }
  return a.offerId !== undefined && r.offerId !== undefined && equalBytes(a.offerId, r.offerId);
}

/** Approves within recurring allowances, refuses beyond them, asks `fallback` otherwise. */
export class AllowanceApprover implements Approver {
  readonly #allowances: readonly Allowance[];
  readonly #fallback: Approver;

  constructor(allowances: readonly Allowance[], fallback: Approver = new RefuseAll()) {
    for (const a of allowances) {
      const targets = (a.payeeNodeId !== undefined ? 1 : 0) + (a.offerId !== undefined ? 1 : 0);
      if (
        targets !== 1 ||
        a.limitMsat < 0n ||
        !Number.isSafeInteger(a.windowMs) ||
        a.windowMs <= 0
      ) {
        throw new RangeError("an allowance names one payee or offer, a limit >= 0, a window > 0");
      }
    }
    this.#allowances = allowances.map((a) => ({ ...a }));
    this.#fallback = fallback;
  }

  /** "approve" within the covering allowance, a policy-allowance-recurring refusal beyond it. */
  async decide(request: ApprovalRequest): Promise<ApprovalDecision> {
    const a = this.#allowances.find((x) => covers(x, request));
    if (a === undefined) return this.#fallback.decide(request);
    const to =
      a.payeeNodeId !== undefined ? { payeeNodeId: a.payeeNodeId } : { offerId: a.offerId! };
    const used = request.history.approvedMsat(request.nowMs - a.windowMs + 1, to);
    if (used + request.amountMsat <= a.limitMsat) return "approve";
    return {
      decision: "refuse",
      ruleId: "policy-allowance-recurring",
      reason: `${used} + ${request.amountMsat} msat exceeds the allowance of ${a.limitMsat} msat per ${a.windowMs} ms`,
    };
  }
}
