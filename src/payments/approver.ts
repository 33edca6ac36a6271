/**
 * Approvers: who says yes to an outgoing payment. The node asks one for every invoice or
 * keysend it wants to pay (and, when configured, for an HTLC it offers without having asked).
 * Approvers are stateless deciders: what was already approved comes from the ledger through
 * `request.history`, so a refusal changes nothing anywhere.
 */
import type { RuleId } from "../policy/rule-ids.js";
import { equalBytes } from "../util/bytes.js";

/** What is being paid: a BOLT 11 invoice, a keysend, or an HTLC the node offered unasked. */
export type ApprovalRequestKind = "invoice" | "keysend" | "unannounced";

/** Approved payments so far, from the ledger. */
export interface ApprovalHistory {
  /** Sum of amounts approved at or after `sinceMs`, optionally only to `payee` / `offerId`. */
  approvedMsat(sinceMs: number, to?: { payeeNodeId?: Uint8Array; offerId?: Uint8Array }): bigint;
}

/** One payment to approve. */
export interface ApprovalRequest {
  readonly kind: ApprovalRequestKind;
  readonly paymentHash: Uint8Array;
  /** What the payee receives (the invoice or keysend amount; the HTLC amount if unannounced). */
  readonly amountMsat: bigint;
  /** Unknown for an unannounced payment. */
  readonly payeeNodeId: Uint8Array | undefined;
  /** BOLT 12 offer id, when the payment is for an offer. */
  readonly offerId: Uint8Array | undefined;
  /** The BOLT 11 invoice text, for an invoice. */
  readonly invoice: string | undefined;
  /** The node clock when asked (ms). */
  readonly nowMs: number;
  readonly history: ApprovalHistory;
}

/** A refusal that names the rule it enforces (plain "refuse" means policy-commitment-payment-approved). */
export interface Refusal {
  readonly decision: "refuse";
  readonly ruleId: RuleId;
  readonly reason: string;
}

/** An approver's answer. */
export type ApprovalDecision = "approve" | "refuse" | Refusal;

/** Decides whether a payment may be made. */
export interface Approver {
  /** Resolves to the decision on `request`; must not change any signer state. */
  decide(request: ApprovalRequest): Promise<ApprovalDecision>;
}

/** Approves everything (tests, or a node whose every payment an outer system approved). */
export class ApproveAll implements Approver {
  /** Always "approve". */
  async decide(): Promise<ApprovalDecision> {
    return "approve";
  }
}

/** Refuses everything (the safe default). */
export class RefuseAll implements Approver {
  /** Always "refuse". */
  async decide(): Promise<ApprovalDecision> {
    return "refuse";
  }
}

/**
 * Approves while the payments approved in the sliding window ending now, plus this one, stay
 * within `budgetMsat`; above budget it asks `fallback` (default: refuse).
 */
export class VelocityApprover implements Approver {
  readonly budgetMsat: bigint;
  readonly windowMs: number;
  readonly #fallback: Approver;

  constructor(budgetMsat: bigint, windowMs: number, fallback: Approver = new RefuseAll()) {
    if (budgetMsat < 0n || !Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new RangeError("a velocity approver needs a budget >= 0 and a window > 0 ms");
    }
    this.budgetMsat = budgetMsat;
    this.windowMs = windowMs;
    this.#fallback = fallback;
  }

  /** "approve" within the window's budget, else the fallback's decision. */
  async decide(request: ApprovalRequest): Promise<ApprovalDecision> {
    const used = request.history.approvedMsat(request.nowMs - this.windowMs + 1);
    if (used + request.amountMsat <= this.budgetMsat) return "approve";
    return this.#fallback.decide(request);
  }
}

/** Pre-approved payee node ids and invoices (BOLT 11 text); anything else goes to `fallback`. */
export class ListApprover implements Approver {
  readonly #payees: readonly Uint8Array[];
  readonly #invoices: ReadonlySet<string>;
  readonly #fallback: Approver;

  constructor(
    lists: { payees?: readonly Uint8Array[]; invoices?: readonly string[] },
    fallback: Approver = new RefuseAll(),
  ) {
    this.#payees = (lists.payees ?? []).map((p) => Uint8Array.from(p));
    this.#invoices = new Set((lists.invoices ?? []).map((i) => i.toLowerCase()));
    this.#fallback = fallback;
  }

  /** "approve" for a listed payee or invoice, else the fallback's decision. */
  async decide(request: ApprovalRequest): Promise<ApprovalDecision> {
    const payee = request.payeeNodeId;
    if (payee !== undefined && this.#payees.some((p) => equalBytes(p, payee))) return "approve";
    if (request.invoice !== undefined && this.#invoices.has(request.invoice.toLowerCase())) {
      return "approve";
    }
    return this.#fallback.decide(request);
  }
}
