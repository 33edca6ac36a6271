/**
 * The Store: an async, versioned key-value store with optimistic concurrency. Durable
 * back-ends (SQLite, PostgreSQL) implement the same interface as MemoryStore.
 *
 * Versions are opaque positive integers assigned by the store on every write and never reused
 * within a store (a key that is deleted and re-created gets a fresh version, so a stale
 * reader can never succeed with an old version: no ABA). A key that does not exist has
 * version 0 for the purpose of `expectedVersion`.
 */
import { WardenError } from "../errors.js";

/** A stored value and the version it was written at. */
export interface StoredValue {
  readonly value: Uint8Array;
  readonly version: number;
}

/** A stored record with its key (Store.scan). */
export interface StoredEntry extends StoredValue {
  readonly key: string;
}

/** One write of a commit: set (value) or delete (null), if the key is still at expectedVersion. */
export interface StoreWrite {
  readonly key: string;
  /** New value, or null to delete the key. */
  readonly value: Uint8Array | null;
  /** Version the caller read; 0 = the key must not exist. */
  readonly expectedVersion: number;
}

/** Durable key-value storage; all methods reject after close(). */
export interface Store {
  /** The current value and version of `key`, or undefined if absent; the caller owns the bytes. */
  get(key: string): Promise<StoredValue | undefined>;
  /**
   * Applies all writes atomically, or none: StoreConflictError if any version mismatches.
   * Resolves to the new version of each write, in order (0 for a delete).
   */
  commit(writes: readonly StoreWrite[]): Promise<number[]>;
  /** All present keys starting with `prefix`, sorted (code-unit order). */
  list(prefix: string): Promise<string[]>;
  /**
   * Optional bulk read: every present record whose key starts with `prefix`, sorted by key,
   * as one consistent snapshot where the backend allows (fast cold start of many channels).
   */
  scan?(prefix: string): Promise<StoredEntry[]>;
  /** Releases resources; later calls reject with StoreError "store/closed". */
  close(): Promise<void>;
}

/** A store operation failed (closed store, invalid write); code starts with "store/". */
export class StoreError extends WardenError {}

/** Optimistic concurrency failure: a key is not at the expected version; nothing was written. */
export class StoreConflictError extends StoreError {
  readonly key: string;
  readonly expectedVersion: number;
  readonly actualVersion: number;
  constructor(key: string, expectedVersion: number, actualVersion: number) {
    super(
      "store/conflict",
      `key ${JSON.stringify(key)} is at version ${actualVersion}, expected ${expectedVersion}`,
    );
    this.key = key;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** Throws StoreError unless `writes` are well-formed: non-empty keys, versions ≥ 0, no key twice. */
export function validateWrites(writes: readonly StoreWrite[]): void {
  const seen = new Set<string>();
  for (const w of writes) {
    if (typeof w.key !== "string" || w.key.length === 0) {
      throw new StoreError("store/invalid-write", "keys must be non-empty strings");
    }
    if (!Number.isSafeInteger(w.expectedVersion) || w.expectedVersion < 0) {
      throw new StoreError("store/invalid-write", "expectedVersion must be a non-negative integer");
    }
    if (w.value !== null && !(w.value instanceof Uint8Array)) {
      throw new StoreError("store/invalid-write", "value must be a Uint8Array or null");
    }
    if (seen.has(w.key)) {
      throw new StoreError("store/invalid-write", `key ${JSON.stringify(w.key)} written twice`);
    }
    seen.add(w.key);
  }
}
