/**
 * Several signer processes may share one Store. Each keeps the records it works on in memory
 * and commits with the version it read (optimistic concurrency), so a writer whose copy is
 * stale loses the race with StoreConflictError and nothing is written. The signer then signs
 * nothing, reloads the records from the Store and plans the request again against the fresh
 * state, at most MAX_ATTEMPTS times (after a short random pause each time); then it gives up
 * with ConcurrentUpdateError.
 */
import { randomInt } from "node:crypto";
import { WardenError } from "../errors.js";
import { PolicyError } from "../policy/errors.js";
import { StateError } from "../state/errors.js";
import { StoreConflictError } from "../store/store.js";

/** Plans of one request (the first and the retries after a lost race). */
export const MAX_ATTEMPTS = 8;

/** Upper bound of the random pause before a retry (ms): 2^attempt, at most this. */
const MAX_BACKOFF_MS = 50;

/**
 * Every attempt of a request lost its race with another writer of the same records; nothing
 * was signed or revealed and the store holds the other writers' changes only.
 */
export class ConcurrentUpdateError extends WardenError {
  /** The record the last attempt found changed. */
  readonly key: string;
  readonly attempts: number;
  constructor(key: string, attempts: number) {
    super(
      "signer/concurrent-update",
      `${attempts} attempts lost the race for ${JSON.stringify(key)} to other writers`,
    );
    this.key = key;
    this.attempts = attempts;
  }
}

/**
 * Internal signal: the state this attempt read is no longer the stored one (found before
 * anything was revealed); the caller reloads and plans again.
 */
export class StaleStateSignal extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`stale copy of ${key}`);
    this.key = key;
  }
}

/** True for a refusal that depends on the state read (PolicyError or StateError). */
export function isRefusal(e: unknown): boolean {
  return e instanceof PolicyError || e instanceof StateError;
}

/**
 * Runs `attempt` until it does not lose a race: on StoreConflictError or StaleStateSignal it
 * pauses briefly, calls `reload` and tries again, at most MAX_ATTEMPTS times in all (then ConcurrentUpdateError).
 * `attempt` receives its 1-based number.
 */
export async function retryOnConflict<T>(
  attempt: (n: number) => Promise<T>,
  reload: () => Promise<void>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      const key =
        e instanceof StoreConflictError ? e.key : e instanceof StaleStateSignal ? e.key : undefined;
      if (key === undefined) throw e;
      if (n >= MAX_ATTEMPTS) throw new ConcurrentUpdateError(key, n);
      // A random pause, so writers that keep colliding drift apart.
      const pause = randomInt(Math.min(2 ** n, MAX_BACKOFF_MS) + 1);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
      await reload();
    }
  }
}
