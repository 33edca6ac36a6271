/**
 * The node's payments shell: the ledger records (cached, persisted one per payment hash), the
 * approval API (approveInvoice / approveKeysend / addPreimage) and the join with channels.
 * Locks: `payment:<hash hex>` keys in sorted order, then PAYMENT_VELOCITY_LOCK, always taken
 * after (inside) a channel lock and never the other way round; the on-chain wallet takes
 * PAYMENT_VELOCITY_LOCK too (inside its wallet lock) and shares `velocity`, the node's one
 * velocity tracker. Ledger writes are committed in
 * the same Store commit as the channel state or approval they belong to.
 */
import type { Htlc } from "../bolt3/htlc.js";
import { decodeInvoice } from "../bolt11/decode.js";
import { sha256 } from "../crypto/hash.js";
import { FormatError } from "../errors.js";
import type { Checker, Policy } from "../policy/policy.js";
import type { PaymentRuleContext, PaymentsOutcome } from "../policy/rules/payments.js";
import { Allowlist, allowlistKey } from "../state/allowlist.js";
import { encodeState } from "../state/codec.js";
import type { CommitmentOwner } from "../state/recompose.js";
import { VelocityTracker, velocityKey, velocityLimits } from "../state/velocity.js";
import type { Store, StoreWrite } from "../store/store.js";
import { retryOnConflict } from "../signer/retry.js";
import type { KeyedMutex } from "../util/async-lock.js";
import { bytesToHex, equalBytes } from "../util/bytes.js";
import type { ApprovalDecision, ApprovalHistory, ApprovalRequest, Approver } from "./approver.js";
import { type CommitmentChange, holderDirection, touchedHashes } from "./ledger.js";
import {
  decodePaymentRecord,
  emptyPaymentRecord,
  type PaymentApproval,
  type PaymentRecord,
  paymentKey,
  paymentPrefix,
  updateRecord,
} from "./record.js";

/** Lock of the node's velocity record, taken after every payment hash lock. */
export const PAYMENT_VELOCITY_LOCK = "payment~velocity";

/** What the payments shell needs from its node. */
export interface PaymentsHost {
  readonly nodeId: Uint8Array;
  readonly store: Store;
  readonly policy: Policy;
  readonly clock: () => number;
  readonly locks: KeyedMutex;
  /** True while channel `id` is operating and not closing. */
  channelActive(id: string): boolean;
  /** True when the node's protocol never shows the signer preimages (see NodeOptions). */
  readonly preimagesUnavailable?: boolean;
}

/** The HTLC change a commitment request makes (from the channel's state before the plan). */
export type PaymentScope = CommitmentChange;

/** The Store writes of a payments outcome and what to adopt once they committed. */
export interface PaymentWrites {
  readonly writes: readonly StoreWrite[];
  committed(versions: readonly number[]): void;
  /** The commit failed: whether it was applied is unknown, so these records are reloaded. */
  failed(): void;
}

function lockKey(hashHex: string): string {
  return `payment:${hashHex}`;
}

/** Node-wide payments state and its approval API. */
export class Payments {
  readonly #host: PaymentsHost;
  readonly approver: Approver | undefined;
  readonly velocity: VelocityTracker;
  readonly #records = new Map<string, { record: PaymentRecord; version: number }>();
  /** Hashes whose payment was asked for and is pending or refused (this process). */
  readonly #unapproved = new Set<string>();
  /**
   * Lock keys (`payment:<hex>`, PAYMENT_VELOCITY_LOCK) whose cached record may differ from the
   * stored one (a commit of it failed): reloaded before their next use.
   */
  readonly #dirty = new Set<string>();
  #allowlist: Allowlist | undefined;

  private constructor(host: PaymentsHost, approver: Approver | undefined, v: VelocityTracker) {
    this.#host = host;
    this.approver = approver;
    this.velocity = v;
  }

  /** Loads every payment record of the host node and its velocity record. */
  static async open(host: PaymentsHost, approver: Approver | undefined): Promise<Payments> {
    const v = await VelocityTracker.open(
      host.store,
      velocityKey(host.nodeId),
      velocityLimits(host.policy.config),
    );
    const p = new Payments(host, approver, v);
    const prefix = paymentPrefix(host.nodeId);
    for (const key of await host.store.list(prefix)) {
      const stored = await host.store.get(key);
      if (stored === undefined) continue;
      p.#records.set(key.slice(prefix.length), {
        record: decodePaymentRecord(stored.value),
        version: stored.version,
      });
    }
    return p;
  }

  /** The ledger record of `paymentHash` (hex or bytes), if any. */
  record(paymentHash: string | Uint8Array): PaymentRecord | undefined {
    const hex = typeof paymentHash === "string" ? paymentHash : bytesToHex(paymentHash);
    return this.#records.get(hex)?.record;
  }

  /** Every record, by hash hex. */
  records(): ReadonlyMap<string, PaymentRecord> {
    return new Map([...this.#records].map(([k, v]) => [k, v.record]));
  }

  /** Approved payments from the ledger, for approvers. */
  readonly history: ApprovalHistory = {
    approvedMsat: (sinceMs, to) => {
      let total = 0n;
      for (const { record } of this.#records.values()) {
        const a = record.approval;
        if (a === undefined || a.approvedAtMs < sinceMs) continue;
        if (to?.payeeNodeId !== undefined) {
          if (a.payeeNodeId === undefined || !equalBytes(a.payeeNodeId, to.payeeNodeId)) continue;
        }
        if (to?.offerId !== undefined) {
          if (a.offerId === undefined || !equalBytes(a.offerId, to.offerId)) continue;
        }
        total += a.amountMsat;
      }
      return total;
    },
  };

  // ---- Channel join ----

  /** The lock keys a commitment change needs (none when it changes no HTLC). */
  lockKeys(scope: PaymentScope): string[] {
    const hashes = touchedHashes(scope.owner, scope.previous, scope.next);
    if (hashes.length === 0) return [];
    const keys = hashes.map(lockKey);
    const offers = (h: Htlc): boolean => holderDirection(scope.owner, h) === "offered";
    if (scope.next.some(offers)) keys.push(PAYMENT_VELOCITY_LOCK);
    return keys;
  }

  /** Runs `fn` holding `keys` (taken in the given, sorted order). */
  async withLocks<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const at = (i: number): Promise<T> =>
      i === keys.length ? fn() : this.#host.locks.runExclusive(keys[i]!, () => at(i + 1));
    return at(0);
  }

  /**
   * Reloads from the Store the records behind `keys` (lock keys, held by the caller) that may
   * be stale: every one when `all` (another writer won a race), else those whose commit failed.
   */
  async refresh(keys: readonly string[], all: boolean): Promise<void> {
    for (const key of keys) {
      if (!all && !this.#dirty.has(key)) continue;
      if (key === PAYMENT_VELOCITY_LOCK) await this.velocity.refresh();
      else await this.#reloadRecord(key.slice("payment:".length));
      this.#dirty.delete(key);
    }
  }

  /** True when a record behind `keys` (lock keys, held) is not at the version cached here. */
  async moved(keys: readonly string[]): Promise<boolean> {
    const { store, nodeId } = this.#host;
    for (const key of keys) {
      if (this.#dirty.has(key)) return true;
      if (key === PAYMENT_VELOCITY_LOCK) {
        if (((await store.get(velocityKey(nodeId)))?.version ?? 0) !== this.velocity.version) {
          return true;
        }
        continue;
      }
      const hex = key.slice("payment:".length);
      const stored = await store.get(`${paymentPrefix(nodeId)}${hex}`);
      if ((stored?.version ?? 0) !== (this.#records.get(hex)?.version ?? 0)) return true;
    }
    return false;
  }

  async #reloadRecord(hex: string): Promise<void> {
    const stored = await this.#host.store.get(`${paymentPrefix(this.#host.nodeId)}${hex}`);
    if (stored === undefined) this.#records.delete(hex);
    else if (stored.version !== this.#records.get(hex)?.version) {
      this.#records.set(hex, {
        record: decodePaymentRecord(stored.value),
        version: stored.version,
      });
    }
  }

  /**
   * The payment rules' view for one commitment change of `channelId`, under its locks. With an
   * approver, each HTLC we newly offer that nothing covers is asked for as an unannounced
   * payment; what it approves holds for this request only (committed with it if it passes).
   */
  async ruleContext(scope: PaymentScope): Promise<PaymentRuleContext> {
    const nowMs = this.#host.clock();
    const provisional = new Map<string, PaymentApproval>();
    const unapproved = new Set(this.#unapproved);
    if (this.approver !== undefined) {
      const before = new Set(scope.previous.map((h) => htlcIdentity(scope.owner, h)));
      const asks = new Map<string, { hash: Uint8Array; amountMsat: bigint }>();
      for (const h of scope.next) {
        if (holderDirection(scope.owner, h) !== "offered") continue;
        if (before.has(htlcIdentity(scope.owner, h))) continue;
        const hex = bytesToHex(h.paymentHash);
        const rec = this.record(hex);
        if (rec?.approval !== undefined || unapproved.has(hex)) continue;
        if (rec?.htlcs.some((l) => l.direction === "received" && l.inHolder)) continue;
        const known = rec?.htlcs.some(
          (l) =>
            l.channelId === scope.channelId &&
            l.direction === "offered" &&
            l.id === h.id &&
            l.amountMsat === h.amountMsat,
        );
        if (known === true) continue;
        const a = asks.get(hex) ?? { hash: h.paymentHash, amountMsat: 0n };
        asks.set(hex, { hash: a.hash, amountMsat: a.amountMsat + h.amountMsat });
      }
      for (const [hex, a] of asks) {
        const decision = await this.approver.decide({
          kind: "unannounced",
          paymentHash: a.hash,
          amountMsat: a.amountMsat,
          payeeNodeId: undefined,
          offerId: undefined,
          invoice: undefined,
          nowMs,
          history: this.history,
        });
        if (decision === "approve") {
          provisional.set(hex, {
            kind: "unannounced",
            amountMsat: a.amountMsat,
            payeeNodeId: undefined,
            offerId: undefined,
            expiresAtMs: undefined,
            approvedAtMs: nowMs,
          });
        } else unapproved.add(hex);
      }
    }
    return {
      config: this.#host.policy.config,
      nowMs,
      lookup: (hex) => this.record(hex),
      provisional,
      unapproved,
      channelActive: (id) => this.#host.channelActive(id),
      transferredWithinLimit: (amount) => this.velocity.check("transferred", amount, nowMs).ok,
      paymentsWithinLimit: (amount) => this.velocity.check("payments", amount, nowMs).ok,
      preimagesUnavailable: this.#host.preimagesUnavailable === true,
    };
  }

  /** The Store writes that persist `outcome` (records and velocity), for the channel's commit. */
  writes(outcome: PaymentsOutcome): PaymentWrites {
    const writes: StoreWrite[] = [];
    const hexes: string[] = [];
    for (const [hex, record] of outcome.change.records) {
      hexes.push(hex);
      writes.push({
        key: paymentKey(this.#host.nodeId, record.paymentHash),
        value: encodeState(record),
        expectedVersion: this.#records.get(hex)?.version ?? 0,
      });
    }
    const amounts = [
      { kind: "transferred" as const, amount: outcome.transferredMsat },
      { kind: "payments" as const, amount: outcome.approvedMsat },
    ].filter((a) => a.amount > 0n);
    const velocity =
      amounts.length > 0 ? this.velocity.plan(amounts, this.#host.clock()) : undefined;
    if (velocity !== undefined) writes.push(velocity.write);
    return {
      writes,
      committed: (versions) => {
        hexes.forEach((hex, i) => {
          const record = outcome.change.records.get(hex)!;
          this.#records.set(hex, { record, version: versions[i]! });
          if (record.approval !== undefined) this.#unapproved.delete(hex);
        });
        if (velocity !== undefined) this.velocity.committed(velocity.next, versions[hexes.length]!);
      },
      failed: () => {
        for (const hex of hexes) this.#dirty.add(lockKey(hex));
        if (velocity !== undefined) this.#dirty.add(PAYMENT_VELOCITY_LOCK);
      },
    };
  }

  // ---- Node API ----

  /** Records a preimage revealed to the signer (its hash computed here); idempotent. */
  async addPreimage(preimage: Uint8Array): Promise<void> {
    if (!(preimage instanceof Uint8Array) || preimage.length !== 32) {
      throw new FormatError("format/preimage", "a preimage is 32 bytes");
    }
    const hash = sha256(preimage);
    const hex = bytesToHex(hash);
    await this.#host.locks.runExclusive(lockKey(hex), () =>
      retryOnConflict(
        async () => {
          await this.refresh([lockKey(hex)], false);
          const held = this.#records.get(hex);
          if (held?.record.preimage !== undefined) return;
          const record = updateRecord(held?.record ?? emptyPaymentRecord(hash), {
            preimage: Uint8Array.from(preimage),
          });
          const [version] = await this.#commit([
            {
              key: paymentKey(this.#host.nodeId, hash),
              value: encodeState(record),
              expectedVersion: held?.version ?? 0,
            },
          ]);
          this.#records.set(hex, { record, version: version! });
        },
        async () => {
          this.#dirty.add(lockKey(hex));
        },
      ),
    );
  }

  /**
   * Approves paying BOLT 11 `invoice` (`amountMsat` only for an amountless invoice): refused
   * unless unexpired, not a duplicate, payee allowlisted (when that rule is on), within
   * policy-velocity-payments and approved by the approver; then recorded in the ledger.
   */
  async approveInvoice(invoice: string, amountMsat?: bigint): Promise<void> {
    const inv = decodeInvoice(invoice);
    const amount = inv.amountMsat ?? amountMsat;
    if (amount === undefined || amount <= 0n) {
      throw new FormatError("format/invoice-amount", "an amountless invoice needs an amount");
    }
    if (inv.amountMsat !== undefined && amountMsat !== undefined && amountMsat !== amount) {
      throw new FormatError("format/invoice-amount", "the amount differs from the invoice's");
    }
    await this.#approve(
      {
        kind: "invoice",
        paymentHash: inv.paymentHash,
        amountMsat: amount,
        payeeNodeId: inv.payeeNodeId,
        offerId: undefined,
        invoice,
        nowMs: 0,
        history: this.history,
      },
      (inv.timestamp + inv.expirySeconds) * 1000,
    );
  }

  /** Approves a keysend of `amountMsat` to `payeeNodeId` under `paymentHash` (as approveInvoice). */
  async approveKeysend(
    payeeNodeId: Uint8Array,
    paymentHash: Uint8Array,
    amountMsat: bigint,
  ): Promise<void> {
    if (payeeNodeId.length !== 33 || paymentHash.length !== 32 || amountMsat <= 0n) {
      throw new FormatError("format/keysend", "a 33-byte payee, 32-byte hash and amount > 0");
    }
    await this.#approve(
      {
        kind: "keysend",
        paymentHash: Uint8Array.from(paymentHash),
        amountMsat,
        payeeNodeId: Uint8Array.from(payeeNodeId),
        offerId: undefined,
        invoice: undefined,
        nowMs: 0,
        history: this.history,
      },
      undefined,
    );
  }

  /** Pure checks of an approval against the current ledger; true when it repeats one exactly. */
  #checkApproval(
    r: ApprovalRequest,
    expiresAtMs: number | undefined,
    nowMs: number,
    c: Checker,
  ): boolean {
    const config = this.#host.policy.config;
    const rec = this.record(r.paymentHash);
    const a = rec?.approval;
    const repeat =
      rec !== undefined &&
      a !== undefined &&
      a.kind === r.kind &&
      a.amountMsat === r.amountMsat &&
      a.payeeNodeId !== undefined &&
      r.payeeNodeId !== undefined &&
      equalBytes(a.payeeNodeId, r.payeeNodeId) &&
      rec.preimage === undefined &&
      !rec.htlcs.some((h) => h.direction === "offered");
    if (repeat) return true;
    c.check(
      rec === undefined ||
        (a === undefined &&
          rec.preimage === undefined &&
          !rec.htlcs.some((h) => h.direction === "offered")),
      "policy-payment-not-duplicate",
      "this payment hash was already paid or approved",
    );
    c.check(
      expiresAtMs === undefined || nowMs < expiresAtMs,
      "policy-invoice-not-expired",
      () => `the invoice expired at ${expiresAtMs} ms`,
    );
    if (config.optionalRules["policy-commitment-payment-allowlisted"]) {
      const payee = r.payeeNodeId;
      c.check(
        payee !== undefined && this.#allowlist !== undefined && this.#allowlist.hasPayee(payee),
        "policy-commitment-payment-allowlisted",
        "the payee is not on the payee allowlist",
      );
    }
    const v = this.velocity.check("payments", r.amountMsat, nowMs);
    c.check(
      v.ok,
      "policy-velocity-payments",
      () => `${v.used} + ${r.amountMsat} msat exceeds ${v.limit} msat per ${v.windowMs} ms`,
    );
    return false;
  }

  async #approve(request: ApprovalRequest, expiresAtMs: number | undefined): Promise<void> {
    const { policy, store, clock } = this.#host;
    const hex = bytesToHex(request.paymentHash);
    if (policy.config.optionalRules["policy-commitment-payment-allowlisted"]) {
      this.#allowlist ??= await Allowlist.open(store, allowlistKey(this.#host.nodeId), {
        network: policy.config.network,
      });
      await this.#allowlist.refresh();
    }
    const keys = [lockKey(hex), PAYMENT_VELOCITY_LOCK];
    // A record whose commit failed is reloaded first: a retried approval is then a repeat.
    await this.withLocks(keys, () => this.refresh(keys, false));
    // Refuse early (no question to a human for a payment the policy refuses anyway).
    const early = policy.checker();
    if (this.#checkApproval(request, expiresAtMs, clock(), early)) return;
    try {
      policy.judge(early);
    } catch (e) {
      // Refused for this payment: its HTLCs are not offered to the approver again as
      // unannounced payments (policy-commitment-payment-approved refuses them).
      if (this.record(hex)?.approval === undefined) this.#unapproved.add(hex);
      throw e;
    }
    const asked = { ...request, nowMs: clock() };
    this.#unapproved.add(hex);
    const decision = this.approver === undefined ? "refuse" : await this.approver.decide(asked);
    await this.withLocks(keys, () =>
      retryOnConflict(
        () => this.#approveLocked(request, expiresAtMs, decision, keys),
        async () => {
          for (const k of keys) this.#dirty.add(k);
        },
      ),
    );
  }

  /** The locked part of an approval: re-check against the (reloaded) ledger, then commit. */
  async #approveLocked(
    request: ApprovalRequest,
    expiresAtMs: number | undefined,
    decision: ApprovalDecision,
    keys: readonly string[],
  ): Promise<void> {
    const { policy, clock } = this.#host;
    const hex = bytesToHex(request.paymentHash);
    await this.refresh(keys, false);
    const nowMs = clock();
    const c = policy.checker();
    if (this.#checkApproval(request, expiresAtMs, nowMs, c)) return;
    if (decision !== "approve") {
      const refusal =
        decision === "refuse"
          ? {
              ruleId: "policy-commitment-payment-approved" as const,
              reason: "the approver refused",
            }
          : decision;
      c.fail(refusal.ruleId, refusal.reason);
    }
    const verdict = policy.judge(c);
    const held = this.#records.get(hex);
    const approval: PaymentApproval = {
      kind: request.kind,
      amountMsat: request.amountMsat,
      payeeNodeId: request.payeeNodeId,
      offerId: request.offerId,
      expiresAtMs,
      approvedAtMs: nowMs,
    };
    const record = updateRecord(held?.record ?? emptyPaymentRecord(request.paymentHash), {
      approval,
    });
    const v = this.velocity.plan([{ kind: "payments", amount: request.amountMsat }], nowMs);
    const [version, vVersion] = await this.#commit([
      {
        key: paymentKey(this.#host.nodeId, request.paymentHash),
        value: encodeState(record),
        expectedVersion: held?.version ?? 0,
      },
      v.write,
    ]);
    this.#records.set(hex, { record, version: version! });
    this.velocity.committed(v.next, vVersion!);
    this.#unapproved.delete(hex);
    verdict.record();
  }

  /** Commits `writes`; on failure their records are reloaded before their next use. */
  async #commit(writes: readonly StoreWrite[]): Promise<number[]> {
    try {
      return await this.#host.store.commit(writes);
    } catch (e) {
      for (const w of writes) {
        const prefix = paymentPrefix(this.#host.nodeId);
        this.#dirty.add(
          w.key.startsWith(prefix) ? lockKey(w.key.slice(prefix.length)) : PAYMENT_VELOCITY_LOCK,
        );
      }
      throw e;
    }
  }
}

/** Full identity of an HTLC in the holder's view (as the ledger diff uses). */
function htlcIdentity(owner: CommitmentOwner, h: Htlc): string {
  return `${holderDirection(owner, h)}:${h.id}:${h.amountMsat}:${h.cltvExpiry}:${bytesToHex(h.paymentHash)}`;
}
