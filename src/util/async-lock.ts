/**
 * A keyed async mutex: callers with the same key run one at a time in arrival (FIFO) order;
 * different keys never wait for each other. Idle keys hold no memory. Not re-entrant:
 * awaiting runExclusive on a key from inside a critical section of the same key deadlocks.
 */

/** FIFO mutual exclusion per string key, with no state kept for idle keys. */
export class KeyedMutex {
  /** Per busy key: a promise settled when the last queued holder releases. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier holder of `key` has finished; its result or error propagates. */
  async runExclusive<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(key);
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous === undefined ? done : previous.then(() => done);
    this.#tails.set(key, tail);
    try {
      if (previous !== undefined) await previous;
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** True while `key` is held or has waiters. */
  isLocked(key: string): boolean {
    return this.#tails.has(key);
  }

  /** Number of keys currently held or waited for (0 when idle). */
  get size(): number {
    return this.#tails.size;
  }
}
