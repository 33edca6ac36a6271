/**
 * Pending approvals: an Approver that queues each request in the Store for a human on a trusted
 * display, who lists them and answers by id, asynchronously. A request and its answer are
 * persisted, so both survive a restart: the node's retry of the same request after a restart
 * resumes waiting, or gets the answer given meanwhile. Unannounced HTLCs are refused at once
 * (a channel must never wait for a human while holding its lock).
 */
import { decodeState, encodeState } from "../state/codec.js";
import { StateError } from "../state/errors.js";
import type { Store } from "../store/store.js";
import { bytesToHex, equalBytes } from "../util/bytes.js";
import type {
  ApprovalDecision,
  ApprovalRequest,
  ApprovalRequestKind,
  Approver,
} from "./approver.js";

/** A queued request as stored and listed. */
export interface PendingApproval {
  /** The payment hash, hex. */
  readonly id: string;
  readonly kind: ApprovalRequestKind;
  readonly paymentHash: Uint8Array;
  readonly amountMsat: bigint;
  readonly payeeNodeId: Uint8Array | undefined;
  readonly offerId: Uint8Array | undefined;
  readonly invoice: string | undefined;
  readonly requestedAtMs: number;
  /** Set once answered (until the node's request collects it). */
  readonly answer: "approve" | "refuse" | undefined;
}

function sameRequest(p: PendingApproval, r: ApprovalRequest): boolean {
  const same = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
    a === undefined ? b === undefined : b !== undefined && equalBytes(a, b);
  return (
    p.kind === r.kind &&
    p.amountMsat === r.amountMsat &&
    same(p.payeeNodeId, r.payeeNodeId) &&
    same(p.offerId, r.offerId) &&
    p.invoice === r.invoice
  );
}

/** A Store-backed queue of requests awaiting a human answer; itself an Approver. */
export class PendingApprovals implements Approver {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #waiters = new Map<string, (d: ApprovalDecision) => void>();

  private constructor(store: Store, prefix: string) {
    this.#store = store;
    this.#prefix = prefix;
  }

  /** The queue of node `nodeId` in `store` (records under `node/<id>/approval/`). */
  static forNode(store: Store, nodeId: Uint8Array): PendingApprovals {
    return new PendingApprovals(store, `node/${bytesToHex(nodeId)}/approval/`);
  }

  /** Queues `request` (or resumes the stored one) and resolves when a human answers it. */
  async decide(request: ApprovalRequest): Promise<ApprovalDecision> {
    if (request.kind === "unannounced") return "refuse";
    const id = bytesToHex(request.paymentHash);
    const key = this.#prefix + id;
    const stored = await this.#store.get(key);
    if (stored !== undefined) {
      const p = decodeState<PendingApproval>(stored.value);
      if (!sameRequest(p, request)) return "refuse"; // another request for this hash is queued
      if (p.answer !== undefined) {
        await this.#store.commit([{ key, value: null, expectedVersion: stored.version }]);
        return p.answer;
      }
    } else {
      const p: PendingApproval = {
        id,
        kind: request.kind,
        paymentHash: Uint8Array.from(request.paymentHash),
        amountMsat: request.amountMsat,
        payeeNodeId: request.payeeNodeId,
        offerId: request.offerId,
        invoice: request.invoice,
        requestedAtMs: request.nowMs,
        answer: undefined,
      };
      await this.#store.commit([{ key, value: encodeState(p), expectedVersion: 0 }]);
    }
    return new Promise((resolve) => this.#waiters.set(id, resolve));
  }

  /** Every request not yet answered, oldest first. */
  async pending(): Promise<PendingApproval[]> {
    const out: PendingApproval[] = [];
    for (const key of await this.#store.list(this.#prefix)) {
      const v = await this.#store.get(key);
      if (v === undefined) continue;
      const p = decodeState<PendingApproval>(v.value);
      if (p.answer === undefined) out.push(p);
    }
    return out.sort((a, b) => a.requestedAtMs - b.requestedAtMs);
  }

  /**
   * Answers request `id`: a waiting request resolves now; otherwise the answer is stored for
   * the node's next identical request (after a restart). StateError `state/no-approval` if
   * no such request is pending.
   */
  async answer(id: string, decision: "approve" | "refuse"): Promise<void> {
    const key = this.#prefix + id;
    const stored = await this.#store.get(key);
    const p = stored === undefined ? undefined : decodeState<PendingApproval>(stored.value);
    if (stored === undefined || p === undefined || p.answer !== undefined) {
      throw new StateError("state/no-approval", `no pending approval ${id}`);
    }
    const waiter = this.#waiters.get(id);
    this.#waiters.delete(id);
    await this.#store.commit([
      {
        key,
        value: waiter === undefined ? encodeState({ ...p, answer: decision }) : null,
        expectedVersion: stored.version,
      },
    ]);
    waiter?.(decision);
  }
}
