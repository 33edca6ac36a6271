/**
 * In-memory Store for tests, browsers and ephemeral signers. Values are copied in and out so
 * callers can never mutate stored bytes. failNextCommit() injects a fault into the next
 * commit, before anything is written (a crash between validation and commit) or after the
 * writes are applied (a crash that loses the reply but not the state).
 */
import {
  StoreConflictError,
  StoreError,
  validateWrites,
  type Store,
  type StoredEntry,
  type StoredValue,
  type StoreWrite,
} from "./store.js";

interface Entry {
  value: Uint8Array;
  version: number;
}

/** When an injected fault fires relative to applying the writes. */
export type FaultPoint = "before-write" | "after-write";

/** A Store in a Map: atomic commits, copy isolation, versions never reused. */
export class MemoryStore implements Store {
  readonly #entries = new Map<string, Entry>();
  #lastVersion = 0;
  #closed = false;
  #fault: { error: Error; point: FaultPoint } | undefined;

  /** Makes the next commit throw `error`; by default before writing anything. */
  failNextCommit(error: Error, point: FaultPoint = "before-write"): void {
    this.#fault = { error, point };
  }

  /** Current value (a copy) and version of `key`, or undefined. */
  async get(key: string): Promise<StoredValue | undefined> {
    this.#open();
    const e = this.#entries.get(key);
    return e === undefined ? undefined : { value: e.value.slice(), version: e.version };
  }

  /** All writes or none; StoreConflictError on the first version mismatch. */
  async commit(writes: readonly StoreWrite[]): Promise<number[]> {
    this.#open();
    validateWrites(writes);
    const fault = this.#fault;
    this.#fault = undefined;
    if (fault?.point === "before-write") throw fault.error;
    for (const w of writes) {
      const actual = this.#entries.get(w.key)?.version ?? 0;
      if (actual !== w.expectedVersion) {
        throw new StoreConflictError(w.key, w.expectedVersion, actual);
      }
    }
    // Copy every value before touching the map, so nothing below can throw half-way.
    const staged = writes.map((w) => ({ key: w.key, value: w.value?.slice() ?? null }));
    const versions: number[] = [];
    for (const { key, value } of staged) {
      if (value === null) {
        this.#entries.delete(key);
        versions.push(0);
      } else {
        const version = ++this.#lastVersion;
        this.#entries.set(key, { value, version });
        versions.push(version);
      }
    }
    if (fault?.point === "after-write") throw fault.error;
    return versions;
  }

  /** Present keys with `prefix`, sorted. */
  async list(prefix: string): Promise<string[]> {
    this.#open();
    const keys: string[] = [];
    for (const k of this.#entries.keys()) if (k.startsWith(prefix)) keys.push(k);
    return keys.sort();
  }

  /** Present records with `prefix` (copies), sorted by key. */
  async scan(prefix: string): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    for (const key of await this.list(prefix)) {
      const e = this.#entries.get(key)!;
      out.push({ key, value: e.value.slice(), version: e.version });
    }
    return out;
  }

  /** Closes the store; the data is dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
  }

  #open(): void {
    if (this.#closed) throw new StoreError("store/closed", "the store is closed");
  }
}
