/**
 * policy-ecdh-rate (optional, enabled and a WARNING by default): ECDH with the node key is a
 * key oracle — whoever can ask for it can decrypt onions and impersonate the node in BOLT 8
 * handshakes — so a request rate far above what a busy routing node needs (a handshake per
 * connection, one ECDH per incoming onion) suggests a compromised node harvesting shared
 * secrets. The rule is a heuristic with false positives (bursts after a restart), which is
 * why the catalogue makes it warn: an over-rate request is still answered, and the warning is
 * counted and logged by the Policy. An operator can disable it (optionalRules) but a
 * PolicyFilter can only demote, never promote, so with today's catalogue it can never refuse;
 * making it refuse needs a severity override in the catalogue or config (not offered yet).
 *
 * The meter is a sliding window over the last `limit + 1` request times (a ring buffer): a
 * request is over the rate when `limit` earlier requests fall inside the window ending now.
 * It lives in memory (a restart forgets it), which is enough for a heuristic.
 */
import { PolicyConfigError } from "../errors.js";
import type { Checker } from "../policy.js";

/** Default ECDH budget: 6000 requests per minute (100/s sustained over a minute). */
export const DEFAULT_ECDH_RATE_LIMIT = 6000;
/** Default ECDH window, milliseconds. */
export const DEFAULT_ECDH_RATE_WINDOW_MS = 60_000;
/** Largest accepted limit (the meter keeps limit + 1 timestamps). */
const MAX_ECDH_RATE_LIMIT = 1_000_000;

/** Sliding-window request meter: remembers the times of the last `limit + 1` requests. */
export class EcdhRateMeter {
  readonly limit: number;
  readonly windowMs: number;
  readonly #times: Float64Array;
  #next = 0;
  #count = 0;

  /** A meter allowing `limit` requests per `windowMs` ms; PolicyConfigError on nonsense values. */
  constructor(limit: number, windowMs: number) {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_ECDH_RATE_LIMIT) {
      throw new PolicyConfigError(
        "policy/config",
        `ECDH rate limit must be an integer in [1, ${MAX_ECDH_RATE_LIMIT}]`,
      );
    }
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new PolicyConfigError("policy/config", "ECDH rate window must be a positive integer");
    }
    this.limit = limit;
    this.windowMs = windowMs;
    this.#times = new Float64Array(limit + 1);
  }

  /** Records a request at `nowMs`; returns true when it is over the limit (limit earlier ones within the window). */
  record(nowMs: number): boolean {
    this.#times[this.#next] = nowMs;
    this.#next = (this.#next + 1) % this.#times.length;
    if (this.#count < this.#times.length) this.#count++;
    if (this.#count < this.#times.length) return false;
    // Ring full: #next now points at the oldest of the last limit + 1 requests.
    return nowMs - this.#times[this.#next]! < this.windowMs;
  }
}

/** Records a policy-ecdh-rate violation when the request just metered was over the rate. */
export function checkEcdhRate(over: boolean, limit: number, windowMs: number, c: Checker): void {
  c.check(
    !over,
    "policy-ecdh-rate",
    () => `more than ${limit} ECDH requests within ${windowMs} ms`,
  );
}
