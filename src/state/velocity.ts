/**
 * Velocity limits: how much may leave per sliding time window, per kind (outgoing payments,
 * value transferred to peers, channel funding, on-chain fees). A compromised node that gets
 * everything else past the rules can still drain at most one limit per window.
 *
 * Windows are bucketed: each window is split into VELOCITY_BUCKETS buckets of width
 * ceil(windowMs / VELOCITY_BUCKETS); an amount is added to the bucket of the time it was
 * recorded, and a bucket counts while any part of it lies in the window ending now. So an
 * amount counts for at least windowMs and at most windowMs + one bucket width (the error is
 * on the safe side). The clock is injected (milliseconds); a clock that goes back only makes
 * amounts count longer.
 *
 * The check is pure (`velocityCheck`: would this amount exceed the limit in the window ending
 * now?) and separate from recording (`velocityRecord`, whose new state the caller commits to
 * the Store together with the rest of its state, before any signature leaves). Units: msat for
 * payments/transferred, sat for funding/l1-fees (as the PolicyConfig field names say).
 */
import type { PolicyConfig } from "../policy/config.js";
import type { Store, StoreWrite } from "../store/store.js";
import { bytesToHex } from "../util/bytes.js";
import { decodeState, encodeState } from "./codec.js";
import { StateError } from "./errors.js";

/** What a velocity limit bounds. */
export type VelocityKind = "payments" | "transferred" | "funding" | "l1-fees";

/** Every velocity kind. */
export const VELOCITY_KINDS: readonly VelocityKind[] = [
  "payments",
  "transferred",
  "funding",
  "l1-fees",
];

/** Buckets per window. */
export const VELOCITY_BUCKETS = 24;

/** One limit: at most `limit` per window of `windowMs`. */
export interface VelocityLimit {
  readonly limit: bigint;
  readonly windowMs: number;
}

/** Limits of every kind. */
export type VelocityLimits = Readonly<Record<VelocityKind, VelocityLimit>>;

/** One bucket: its start time (ms, a multiple of the bucket width) and the amount in it. */
export interface VelocityBucket {
  readonly startMs: number;
  readonly amount: bigint;
}

/** Recorded amounts of every kind (pure data, persisted). */
export type VelocityState = Readonly<Record<VelocityKind, readonly VelocityBucket[]>>;

/** The outcome of a check. */
export interface VelocityCheck {
  /** True when used + amount stays within the limit. */
  readonly ok: boolean;
  /** Amount already recorded in the window ending now. */
  readonly used: bigint;
  readonly limit: bigint;
  readonly windowMs: number;
}

/** The empty state: nothing recorded. */
export const EMPTY_VELOCITY_STATE: VelocityState = Object.freeze({
  payments: [],
  transferred: [],
  funding: [],
  "l1-fees": [],
});

/** The limits a PolicyConfig sets. */
export function velocityLimits(config: PolicyConfig): VelocityLimits {
  return {
    payments: {
      limit: config.velocityPaymentsLimitMsat,
      windowMs: config.velocityPaymentsWindowMs,
    },
    transferred: {
      limit: config.velocityTransferredLimitMsat,
      windowMs: config.velocityTransferredWindowMs,
    },
    funding: { limit: config.velocityFundingLimitSat, windowMs: config.velocityFundingWindowMs },
    "l1-fees": { limit: config.velocityL1FeesLimitSat, windowMs: config.velocityL1FeesWindowMs },
  };
}

function bucketWidth(limit: VelocityLimit): number {
  return Math.max(1, Math.ceil(limit.windowMs / VELOCITY_BUCKETS));
}

function checkNow(nowMs: number): void {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) {
    throw new StateError("state/velocity-clock", "the clock must give a non-negative integer ms");
  }
}

function checkAmount(amount: bigint): void {
  if (typeof amount !== "bigint" || amount < 0n) {
    throw new StateError("state/velocity-amount", "velocity amounts are non-negative bigints");
  }
}

/** True while bucket `b` still overlaps the window (nowMs - windowMs, nowMs]. */
function live(b: VelocityBucket, width: number, limit: VelocityLimit, nowMs: number): boolean {
  return b.startMs + width > nowMs - limit.windowMs;
}

/** Amount of `kind` recorded in the window ending at `nowMs`. */
export function velocityUsed(
  state: VelocityState,
  limits: VelocityLimits,
  kind: VelocityKind,
  nowMs: number,
): bigint {
  checkNow(nowMs);
  const limit = limits[kind];
  const width = bucketWidth(limit);
  let used = 0n;
  for (const b of state[kind]) if (live(b, width, limit, nowMs)) used += b.amount;
  return used;
}

/** Pure: whether recording `amount` of `kind` now would keep within the limit; changes nothing. */
export function velocityCheck(
  state: VelocityState,
  limits: VelocityLimits,
  kind: VelocityKind,
  amount: bigint,
  nowMs: number,
): VelocityCheck {
  checkAmount(amount);
  const { limit, windowMs } = limits[kind];
  const used = velocityUsed(state, limits, kind, nowMs);
  return { ok: used + amount <= limit, used, limit, windowMs };
}

/** Pure: the state with `amount` of `kind` recorded at `nowMs` and expired buckets dropped. */
export function velocityRecord(
  state: VelocityState,
  limits: VelocityLimits,
  kind: VelocityKind,
  amount: bigint,
  nowMs: number,
): VelocityState {
  checkAmount(amount);
  checkNow(nowMs);
  const limit = limits[kind];
  const width = bucketWidth(limit);
  const start = nowMs - (nowMs % width);
  const kept = state[kind].filter((b) => live(b, width, limit, nowMs));
  if (amount === 0n && kept.length === state[kind].length) return state;
  const i = kept.findIndex((b) => b.startMs === start);
  let buckets: VelocityBucket[];
  if (i >= 0) {
    buckets = kept.map((b, j) => (j === i ? { startMs: b.startMs, amount: b.amount + amount } : b));
  } else if (amount > 0n) {
    buckets = [...kept, { startMs: start, amount }].sort((a, b) => a.startMs - b.startMs);
  } else {
    buckets = kept;
  }
  return { ...state, [kind]: buckets };
}

/** The Store key of node `nodeId`'s velocity record. */
export function velocityKey(nodeId: Uint8Array): string {
  return `node/${bytesToHex(nodeId)}/velocity`;
}

function decodeVelocity(value: Uint8Array): VelocityState {
  const raw = decodeState<Partial<Record<VelocityKind, VelocityBucket[]>>>(value);
  const out: Record<VelocityKind, readonly VelocityBucket[]> = { ...EMPTY_VELOCITY_STATE };
  for (const kind of VELOCITY_KINDS) {
    const list = raw[kind];
    if (list === undefined) continue;
    if (
      !Array.isArray(list) ||
      !list.every((b) => Number.isSafeInteger(b.startMs) && typeof b.amount === "bigint")
    ) {
      throw new StateError("state/velocity-record", "stored velocity record is malformed");
    }
    out[kind] = list;
  }
  return out;
}

/**
 * The imperative shell around the pure functions: holds the last loaded/committed state and
 * its Store version. Callers serialise their use of one tracker (a node-wide lock) and commit
 * `plan(...).write` together with their own writes, then call `committed(...)`.
 */
export class VelocityTracker {
  readonly #store: Store;
  readonly #key: string;
  readonly limits: VelocityLimits;
  #state: VelocityState = EMPTY_VELOCITY_STATE;
  #version = 0;

  private constructor(store: Store, key: string, limits: VelocityLimits) {
    this.#store = store;
    this.#key = key;
    this.limits = limits;
  }

  /** Opens the record stored under `key` (empty when absent). */
  static async open(store: Store, key: string, limits: VelocityLimits): Promise<VelocityTracker> {
    const t = new VelocityTracker(store, key, limits);
    await t.refresh();
    return t;
  }

  /** The state as last loaded or committed. */
  get state(): VelocityState {
    return this.#state;
  }

  /** The Store version of that state (0: no record). */
  get version(): number {
    return this.#version;
  }

  /** Reloads the stored record (another front end sharing the store may have changed it). */
  async refresh(): Promise<void> {
    const stored = await this.#store.get(this.#key);
    if (stored === undefined) {
      this.#state = EMPTY_VELOCITY_STATE;
      this.#version = 0;
    } else if (stored.version !== this.#version) {
      this.#state = decodeVelocity(stored.value);
      this.#version = stored.version;
    }
  }

  /** Pure check against the held state (see velocityCheck). */
  check(kind: VelocityKind, amount: bigint, nowMs: number): VelocityCheck {
    return velocityCheck(this.#state, this.limits, kind, amount, nowMs);
  }

  /** The state after recording `amounts` at `nowMs`, and the Store write that persists it. */
  plan(
    amounts: readonly { kind: VelocityKind; amount: bigint }[],
    nowMs: number,
  ): { next: VelocityState; write: StoreWrite } {
    let next = this.#state;
    for (const a of amounts) next = velocityRecord(next, this.limits, a.kind, a.amount, nowMs);
    return {
      next,
      write: { key: this.#key, value: encodeState(next), expectedVersion: this.#version },
    };
  }

  /** Adopts `next` once its write committed at store version `version`. */
  committed(next: VelocityState, version: number): void {
    this.#state = next;
    this.#version = version;
  }
}
