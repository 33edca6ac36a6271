/**
 * A Store replicated over N providers (any Stores: SQLite files, PostgreSQL, memory) with
 * anti-rollback and tamper evidence. Every record is sealed (seal.ts) with a version this
 * store assigns — monotonic, from a sealed counter record committed with every change — and an
 * HMAC keyed from the node seed. Deletions are sealed tombstones, so "absent" never outranks a
 * newer deletion.
 *
 * Reads ask every provider and accept a record only when a majority quorum (⌊N/2⌋+1) holds the
 * newest valid version seen anywhere, byte for byte. A provider holding an older version or
 * nothing is *stale* (rolled back or missed writes), one whose record fails its MAC is
 * *tampered*, one that throws is *gone*: each is reported (onFault, health()), outvoted, and
 * repaired by writing the quorum's record back. When no quorum holds the newest version — two of
 * three providers bad, or the newest version on a minority (a rolled-back majority looks the
 * same as an interrupted commit) — get, scan and commit reject with StoreError store/no-quorum,
 * so the signer refuses to sign instead of acting on state that may be old.
 *
 * A commit reads its keys with quorum, checks expected versions against the quorum view, and
 * writes every record plus the counter to each provider in that provider's own atomic commit;
 * it succeeds when a quorum of providers committed. One ReplicatedStore instance must be the
 * only writer of its providers (operations are serialized inside it).
 */
import { equalBytes } from "../util/bytes.js";
import { KeyedMutex } from "../util/async-lock.js";
import { openRecord, sealRecord, type OpenedRecord } from "./seal.js";
import {
  StoreConflictError,
  StoreError,
  validateWrites,
  type Store,
  type StoredEntry,
  type StoredValue,
  type StoreWrite,
} from "./store.js";

/** Keys under this prefix belong to the replicated store itself. */
const RESERVED = "#replicated/";
const COUNTER_KEY = `${RESERVED}last-version`;
const LOCK = "replicated";

/** One replica: a Store and the name it is reported under. */
export interface ReplicaProvider {
  readonly name: string;
  readonly store: Store;
}

/** What is wrong with a provider. */
export type ReplicaFaultKind = "stale" | "tampered" | "gone";

/** A detected provider fault. Details name keys and versions, never values. */
export interface ReplicaFault {
  readonly provider: string;
  readonly kind: ReplicaFaultKind;
  /** The record concerned (absent for a provider that failed as a whole). */
  readonly key?: string;
  readonly detail: string;
  /** True when the quorum's record was written back to the provider. */
  readonly repaired: boolean;
}

/** Health of one provider after the latest operation. */
export interface ReplicaHealth {
  readonly provider: string;
  /** "ok" if the latest operation found nothing wrong with it. */
  readonly status: "ok" | ReplicaFaultKind;
  /** Most recent fault, if any ever. */
  readonly lastFault?: ReplicaFault;
  /** Faults seen since this store was created. */
  readonly faults: number;
}

/** Options of a ReplicatedStore. */
export interface ReplicatedStoreOptions {
  /** Record-MAC key: storeMacKey(seed) (seal.ts). */
  readonly macKey: Uint8Array;
  /** Called for every fault detected (exceptions it throws are ignored). */
  readonly onFault?: (fault: ReplicaFault) => void;
  /** Write the quorum's record back to stale or tampered providers; default true. */
  readonly repair?: boolean;
}

/** What one provider answered for one key. */
type Observation =
  | { kind: "gone"; error: string }
  | { kind: "absent" }
  | { kind: "tampered"; native: number }
  | { kind: "valid"; native: number; record: OpenedRecord; sealed: Uint8Array };

interface PendingFault {
  kind: ReplicaFaultKind;
  key: string | undefined;
  detail: string;
  /** What to write back to repair it (undefined: nothing to write, e.g. gone). */
  repair?: { value: Uint8Array | null; expectedVersion: number };
}

/** A fault of provider number `i`. */
interface Fault {
  i: number;
  f: PendingFault;
}

/** A record written back to provider number `i`. */
interface Repaired {
  i: number;
  key: string;
}

/** The quorum's verdict on one key. */
type Decision =
  | {
      ok: true;
      /** Newest record (undefined: the key never existed anywhere). */
      record: OpenedRecord | undefined;
      sealed: Uint8Array | undefined;
      faults: Map<number, PendingFault>;
    }
  | { ok: false; message: string; faults: Map<number, PendingFault> };

function nativeVersion(o: Observation): number {
  return o.kind === "tampered" || o.kind === "valid" ? o.native : 0;
}

/** Store replicated over N providers with quorum reads, sealed versions and fault reports. */
export class ReplicatedStore implements Store {
  /** Providers that must agree: ⌊N/2⌋ + 1. */
  readonly quorum: number;
  readonly #providers: readonly ReplicaProvider[];
  readonly #macKey: Uint8Array;
  readonly #onFault: ((fault: ReplicaFault) => void) | undefined;
  readonly #repair: boolean;
  readonly #lock = new KeyedMutex();
  readonly #health: { status: ReplicaHealth["status"]; lastFault?: ReplicaFault; faults: number }[];
  #last = 0;
  #closed = false;

  /** A replicated store over `providers` (distinct names, at least one). */
  constructor(providers: readonly ReplicaProvider[], options: ReplicatedStoreOptions) {
    if (providers.length === 0) {
      throw new StoreError("store/invalid-config", "a replicated store needs providers");
    }
    if (new Set(providers.map((p) => p.name)).size !== providers.length) {
      throw new StoreError("store/invalid-config", "provider names must be distinct");
    }
    if (!(options.macKey instanceof Uint8Array) || options.macKey.length < 32) {
      throw new StoreError("store/invalid-config", "macKey must be at least 32 bytes");
    }
    this.#providers = [...providers];
    this.quorum = Math.floor(providers.length / 2) + 1;
    this.#macKey = Uint8Array.from(options.macKey);
    this.#onFault = options.onFault;
    this.#repair = options.repair ?? true;
    this.#health = providers.map(() => ({ status: "ok" as const, faults: 0 }));
  }

  /** Status of each provider after the latest operation, in provider order. */
  health(): ReplicaHealth[] {
    return this.#providers.map((p, i) => {
      const h = this.#health[i]!;
      return {
        provider: p.name,
        status: h.status,
        faults: h.faults,
        ...(h.lastFault === undefined ? {} : { lastFault: h.lastFault }),
      };
    });
  }

  /** The quorum's value of `key`; StoreError store/no-quorum when there is no quorum. */
  async get(key: string): Promise<StoredValue | undefined> {
    this.#open();
    checkKey(key);
    return this.#lock.runExclusive(LOCK, async () => {
      const d = this.#decide(key, await this.#observe(key));
      const faults = [...d.faults].map(([i, f]) => ({ i, f }));
      if (!d.ok) {
        this.#settle(faults, []);
        throw new StoreError("store/no-quorum", d.message);
      }
      const repaired = await this.#repairAll(faults);
      this.#settle(faults, repaired);
      const r = d.record;
      return r === undefined || r.value === null
        ? undefined
        : { value: r.value, version: r.version };
    });
  }

  /**
   * Atomic per provider and all-or-nothing at the quorum: resolves once a quorum of providers
   * committed; StoreConflictError against the quorum's versions; store/no-quorum otherwise.
   */
  async commit(writes: readonly StoreWrite[]): Promise<number[]> {
    this.#open();
    validateWrites(writes);
    for (const w of writes) checkKey(w.key);
    if (writes.length === 0) return [];
    return this.#lock.runExclusive(LOCK, () => this.#commit(writes));
  }

  /** Keys with `prefix` that the quorum holds (not deleted), sorted. */
  async list(prefix: string): Promise<string[]> {
    return (await this.scan(prefix)).map((e) => e.key);
  }

  /** Every record with `prefix` the quorum holds, sorted; store/no-quorum if any key lacks one. */
  async scan(prefix: string): Promise<StoredEntry[]> {
    this.#open();
    return this.#lock.runExclusive(LOCK, () => this.#scan(prefix));
  }

  /** Closes every provider. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#macKey.fill(0);
    await Promise.allSettled(this.#providers.map((p) => p.store.close()));
  }

  async #commit(writes: readonly StoreWrite[]): Promise<number[]> {
    const keys = [...writes.map((w) => w.key), COUNTER_KEY];
    const observed = await Promise.all(keys.map((k) => this.#observe(k)));
    const decisions = keys.map((k, j) => this.#decide(k, observed[j]!));
    const faults: Fault[] = [];
    for (const d of decisions) for (const [i, f] of d.faults) faults.push({ i, f });
    const failed = decisions.find((d) => !d.ok);
    if (failed !== undefined && !failed.ok) {
      this.#settle(faults, []);
      throw new StoreError("store/no-quorum", failed.message);
    }
    let last = this.#last;
    for (const [j, d] of decisions.entries()) {
      if (!d.ok) continue;
      last = Math.max(last, d.record?.version ?? 0);
      for (const o of observed[j]!) if (o.kind === "valid") last = Math.max(last, o.record.version);
      if (j < writes.length) {
        const w = writes[j]!;
        const current = d.record === undefined || d.record.value === null ? 0 : d.record.version;
        if (current !== w.expectedVersion) {
          this.#settle(faults, []);
          throw new StoreConflictError(w.key, w.expectedVersion, current);
        }
      }
    }
    const versions: number[] = [];
    const sealed: Uint8Array[] = writes.map((w) => {
      const version = ++last;
      versions.push(w.value === null ? 0 : version);
      return sealRecord(this.#macKey, w.key, version, w.value);
    });
    const counter = new Uint8Array(8);
    new DataView(counter.buffer).setBigUint64(0, BigInt(last));
    sealed.push(sealRecord(this.#macKey, COUNTER_KEY, last, counter));

    const outcomes = await Promise.allSettled(
      this.#providers.map(async (p, i) => {
        const gone = observed.find((obs) => obs[i]!.kind === "gone");
        if (gone !== undefined) throw new Error("unreachable during the read of this commit");
        return p.store.commit(
          keys.map((key, j) => ({
            key,
            value: sealed[j]!,
            expectedVersion: nativeVersion(observed[j]![i]!),
          })),
        );
      }),
    );
    const committed = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [i] : []));
    // The commit rewrote every key it read, so it repaired those faults where it landed.
    const repaired: Repaired[] = [];
    for (const { i, f } of faults) {
      if (committed.includes(i) && f.key !== undefined) repaired.push({ i, key: f.key });
    }
    outcomes.forEach((o, i) => {
      if (o.status === "rejected" && !faults.some((x) => x.i === i && x.f.kind === "gone")) {
        faults.push({
          i,
          f: { kind: "gone", key: undefined, detail: `commit failed: ${errorText(o.reason)}` },
        });
      }
    });
    if (committed.length < this.quorum) {
      await this.#revert(committed, outcomes, keys, observed);
      this.#settle(faults, []);
      throw new StoreError(
        "store/no-quorum",
        `commit reached ${committed.length} of ${this.#providers.length} providers, ` +
          `needs ${this.quorum}; nothing was signed on it and it is rolled back where possible`,
      );
    }
    this.#last = last;
    this.#settle(faults, repaired);
    return versions;
  }

  async #scan(prefix: string): Promise<StoredEntry[]> {
    const answers = await Promise.allSettled(this.#providers.map((p) => scanOf(p.store, prefix)));
    const byProvider = answers.map((a) =>
      a.status === "fulfilled" ? new Map(a.value.map((e) => [e.key, e])) : undefined,
    );
    const keySet = new Set<string>();
    for (const m of byProvider) {
      if (m !== undefined) for (const k of m.keys()) if (!k.startsWith(RESERVED)) keySet.add(k);
    }
    const faults: Fault[] = [];
    answers.forEach((a, i) => {
      if (a.status === "rejected") {
        faults.push({
          i,
          f: { kind: "gone", key: undefined, detail: `scan failed: ${errorText(a.reason)}` },
        });
      }
    });
    const out: StoredEntry[] = [];
    const failures: string[] = [];
    for (const key of [...keySet].sort()) {
      const obs = byProvider.map((m, i): Observation => {
        if (m === undefined)
          return { kind: "gone", error: errorText((answers[i] as PromiseRejectedResult).reason) };
        const e = m.get(key);
        return e === undefined ? { kind: "absent" } : this.#open1(key, e);
      });
      const d = this.#decide(key, obs);
      for (const [i, f] of d.faults) if (f.kind !== "gone") faults.push({ i, f });
      if (!d.ok) {
        failures.push(d.message);
        continue;
      }
      if (d.record !== undefined && d.record.value !== null) {
        out.push({ key, value: d.record.value, version: d.record.version });
      }
    }
    const answered = answers.filter((a) => a.status === "fulfilled").length;
    if (answered < this.quorum) {
      failures.push(`only ${answered} of ${this.#providers.length} providers answered`);
    }
    if (failures.length > 0) {
      this.#settle(faults, []);
      throw new StoreError(
        "store/no-quorum",
        `${failures.length} record(s) lack a quorum: ${failures.slice(0, 3).join("; ")}`,
      );
    }
    const repaired = await this.#repairAll(faults);
    this.#settle(faults, repaired);
    return out;
  }

  /** Reads `key` from every provider. */
  async #observe(key: string): Promise<Observation[]> {
    const answers = await Promise.allSettled(this.#providers.map((p) => p.store.get(key)));
    return answers.map((a): Observation => {
      if (a.status === "rejected") return { kind: "gone", error: errorText(a.reason) };
      return a.value === undefined ? { kind: "absent" } : this.#open1(key, a.value);
    });
  }

  #open1(key: string, stored: StoredValue): Observation {
    const record = openRecord(this.#macKey, key, stored.value);
    return record === undefined
      ? { kind: "tampered", native: stored.version }
      : { kind: "valid", native: stored.version, record, sealed: stored.value };
  }

  /** The quorum rule: a majority must hold the newest valid version, byte for byte. */
  #decide(key: string, obs: readonly Observation[]): Decision {
    const faults = new Map<number, PendingFault>();
    let newest: { record: OpenedRecord; sealed: Uint8Array } | undefined;
    for (const o of obs) {
      if (
        o.kind === "valid" &&
        (newest === undefined || o.record.version > newest.record.version)
      ) {
        newest = o;
      }
    }
    const target = newest?.sealed ?? null;
    let agreeing = 0;
    obs.forEach((o, i) => {
      const fix = { value: target, expectedVersion: nativeVersion(o) };
      if (o.kind === "gone") {
        faults.set(i, { kind: "gone", key, detail: `unreachable: ${o.error}` });
      } else if (o.kind === "tampered") {
        faults.set(i, {
          kind: "tampered",
          key,
          detail: `record ${key} fails its MAC`,
          repair: fix,
        });
      } else if (o.kind === "absent") {
        if (newest === undefined) agreeing++;
        else
          faults.set(i, {
            kind: "stale",
            key,
            detail: `record ${key} missing, version ${newest.record.version} exists`,
            repair: fix,
          });
      } else if (o.record.version < newest!.record.version) {
        faults.set(i, {
          kind: "stale",
          key,
          detail: `record ${key} at version ${o.record.version}, version ${newest!.record.version} exists`,
          repair: fix,
        });
      } else if (!equalBytes(o.sealed, newest!.sealed)) {
        faults.set(i, {
          kind: "tampered",
          key,
          detail: `record ${key} differs from another at the same version ${o.record.version}`,
          repair: fix,
        });
      } else {
        agreeing++;
      }
    });
    if (agreeing >= this.quorum) {
      return { ok: true, record: newest?.record, sealed: newest?.sealed, faults };
    }
    const what = newest === undefined ? "the absence of" : `version ${newest.record.version} of`;
    const bad = [...faults].map(([i, f]) => `${this.#providers[i]!.name} ${f.kind}`).join(", ");
    return {
      ok: false,
      faults,
      message:
        `only ${agreeing} of ${this.#providers.length} providers hold ${what} ${key} ` +
        `(quorum ${this.quorum}; ${bad}); refusing to use possibly rolled-back or tampered state`,
    };
  }

  /** Writes the quorum's records back to stale or tampered providers, one commit per provider. */
  async #repairAll(faults: readonly Fault[]): Promise<Repaired[]> {
    if (!this.#repair) return [];
    const perProvider = new Map<number, StoreWrite[]>();
    for (const { i, f } of faults) {
      if (f.repair === undefined || f.key === undefined) continue;
      const list = perProvider.get(i) ?? [];
      list.push({ key: f.key, value: f.repair.value, expectedVersion: f.repair.expectedVersion });
      perProvider.set(i, list);
    }
    const repaired: Repaired[] = [];
    await Promise.all(
      [...perProvider].map(async ([i, list]) => {
        try {
          await this.#providers[i]!.store.commit(list);
          for (const w of list) repaired.push({ i, key: w.key });
        } catch {
          // Left as reported; the next operation finds it again.
        }
      }),
    );
    return repaired;
  }

  /** After a commit below quorum, puts back what the providers that did commit held before. */
  async #revert(
    committed: readonly number[],
    outcomes: readonly PromiseSettledResult<number[]>[],
    keys: readonly string[],
    observed: readonly Observation[][],
  ): Promise<void> {
    await Promise.all(
      committed.map(async (i) => {
        const versions = (outcomes[i] as PromiseFulfilledResult<number[]>).value;
        const writes = keys.map((key, j) => {
          const o = observed[j]![i]!;
          const value = o.kind === "valid" ? o.sealed : null;
          return { key, value, expectedVersion: versions[j]! };
        });
        await this.#providers[i]!.store.commit(writes).catch(() => {});
      }),
    );
  }

  /** Records the faults of one operation: events, per-provider status, last fault. */
  #settle(faults: readonly Fault[], repaired: readonly Repaired[]): void {
    const faulted = new Set<number>();
    for (const { i, f } of faults) {
      faulted.add(i);
      const fault: ReplicaFault = {
        provider: this.#providers[i]!.name,
        kind: f.kind,
        ...(f.key === undefined ? {} : { key: f.key }),
        detail: f.detail,
        repaired: f.key !== undefined && repaired.some((r) => r.i === i && r.key === f.key),
      };
      const h = this.#health[i]!;
      h.status = f.kind;
      h.lastFault = fault;
      h.faults++;
      try {
        this.#onFault?.(fault);
      } catch {
        // A failing observer must not change the store's behaviour.
      }
    }
    this.#health.forEach((h, i) => {
      if (!faulted.has(i)) h.status = "ok";
    });
  }

  #open(): void {
    if (this.#closed) throw new StoreError("store/closed", "the store is closed");
  }
}

function checkKey(key: string): void {
  if (typeof key === "string" && key.startsWith(RESERVED)) {
    throw new StoreError("store/invalid-write", `keys starting with ${RESERVED} are reserved`);
  }
}

async function scanOf(store: Store, prefix: string): Promise<StoredEntry[]> {
  if (store.scan !== undefined) return store.scan(prefix);
  const out: StoredEntry[] = [];
  for (const key of await store.list(prefix)) {
    const v = await store.get(key);
    if (v !== undefined) out.push({ key, ...v });
  }
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
