/**
 * Fault injection for replicated-store tests: roll a provider's record back, tamper with it,
 * move it to another key, or unplug the provider (every call throws, as an unreachable host).
 * All act on the provider's own Store, under the replicated store, as an attacker with access
 * to that provider's storage would.
 */
import type { Store, StoredEntry, StoredValue, StoreWrite } from "../../src/store/store.js";

/** The raw (sealed) bytes a provider holds for `key`. */
export async function rawOf(store: Store, key: string): Promise<Uint8Array> {
  const v = await store.get(key);
  if (v === undefined) throw new Error(`provider holds no ${key}`);
  return v.value;
}

/** Puts `old` (a previously captured sealed record, or null: nothing) back under `key`. */
export async function rollBack(store: Store, key: string, old: Uint8Array | null): Promise<void> {
  const cur = await store.get(key);
  await store.commit([{ key, value: old, expectedVersion: cur?.version ?? 0 }]);
}

/** Flips one bit of the value inside the provider's sealed record of `key`. */
export async function tamper(store: Store, key: string): Promise<void> {
  const cur = (await store.get(key))!;
  const v = cur.value.slice();
  v[Math.max(0, v.length - 33)]! ^= 0x01;
  await store.commit([{ key, value: v, expectedVersion: cur.version }]);
}

/** A provider that can be unplugged: while `down`, every call rejects like a dead host. */
export class Unpluggable implements Store {
  down = false;
  readonly inner: Store;
  constructor(inner: Store) {
    this.inner = inner;
  }
  #check(): void {
    if (this.down) throw new Error("connect ECONNREFUSED (provider unplugged)");
  }
  async get(key: string): Promise<StoredValue | undefined> {
    this.#check();
    return this.inner.get(key);
  }
  async commit(writes: readonly StoreWrite[]): Promise<number[]> {
    this.#check();
    return this.inner.commit(writes);
  }
  async list(prefix: string): Promise<string[]> {
    this.#check();
    return this.inner.list(prefix);
  }
  async scan(prefix: string): Promise<StoredEntry[]> {
    this.#check();
    if (this.inner.scan === undefined) throw new Error("inner store has no scan");
    return this.inner.scan(prefix);
  }
  async close(): Promise<void> {
    await this.inner.close();
  }
}
