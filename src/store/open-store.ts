/**
 * Store configuration: one declarative description of which store a signer uses, so a daemon
 * or CLI reads it from its config file or environment instead of constructing stores by hand.
 *
 *   { kind: "sqlite", dataDir: "/var/lib/warden" }               the embedded default
 *   { kind: "postgres", url: "postgresql://warden@db/warden" }   shared by several processes
 *   { kind: "replicated", providers: [{ name, config }, …] }     sealed, quorum of N
 *   { kind: "memory" }                                           tests, nothing kept
 */
import { MemoryStore } from "./memory-store.js";
import { PgStore } from "./pg-store.js";
import { type ReplicaFault, ReplicatedStore } from "./replicated-store.js";
import { storeMacKey } from "./seal.js";
import { SqliteStore } from "./sqlite-store.js";
import { StoreError, type Store, type StoredEntry } from "./store.js";

/** A Store whose bulk scan is always there (every single store here has one). */
type ScanningStore = Store & { scan(prefix: string): Promise<StoredEntry[]> };

/** A single (non-replicated) store. */
export type SingleStoreConfig =
  | { kind: "memory" }
  | { kind: "sqlite"; dataDir: string }
  | { kind: "postgres"; url: string; schema?: string; maxConnections?: number };

/** Any store, replicated over single stores or not. */
export type StoreConfig =
  | SingleStoreConfig
  | {
      kind: "replicated";
      providers: readonly { name: string; config: SingleStoreConfig }[];
      /** Provider call timeout in ms (default 5000). */
      timeoutMs?: number;
    };

/** What opening a replicated store needs besides its config. */
export interface OpenStoreOptions {
  /** The node seed: the replicated store's record-MAC key is derived from it. */
  seed?: Uint8Array;
  /** Fault reports of a replicated store. */
  onFault?: (fault: ReplicaFault) => void;
}

/**
 * A single store from a URL-like string: `memory:`, `sqlite:<data dir>` or a PostgreSQL URL
 * (`postgres://…`, `postgresql://…`); StoreError store/invalid-config otherwise.
 */
export function storeConfigFromUrl(url: string): SingleStoreConfig {
  if (url === "memory:") return { kind: "memory" };
  if (url.startsWith("sqlite:") && url.length > "sqlite:".length) {
    return { kind: "sqlite", dataDir: url.slice("sqlite:".length) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: "postgres", url };
  throw new StoreError(
    "store/invalid-config",
    "a store URL is memory:, sqlite:<data dir> or postgresql://…",
  );
}

async function openSingle(config: SingleStoreConfig): Promise<ScanningStore> {
  switch (config.kind) {
    case "memory":
      return new MemoryStore();
    case "sqlite":
      return SqliteStore.openInDataDir(config.dataDir);
    case "postgres":
      return PgStore.open(config.url, {
        ...(config.schema === undefined ? {} : { schema: config.schema }),
        ...(config.maxConnections === undefined ? {} : { maxConnections: config.maxConnections }),
      });
    default:
      throw new StoreError("store/invalid-config", "unknown store kind");
  }
}

/**
 * Opens the store `config` describes. A replicated store needs `options.seed`; a provider that
 * cannot be opened yet (e.g. its PostgreSQL server is down) does not stop the others: it is
 * reported gone and opened again on each later call until it works.
 */
export async function openStore(
  config: StoreConfig,
  options: OpenStoreOptions = {},
): Promise<Store> {
  if (config.kind !== "replicated") return openSingle(config);
  if (options.seed === undefined) {
    throw new StoreError("store/invalid-config", "a replicated store needs the node seed");
  }
  const macKey = storeMacKey(options.seed);
  const providers = await Promise.all(
    config.providers.map(async (p) => {
      try {
        return { name: p.name, store: await openSingle(p.config) };
      } catch {
        return { name: p.name, store: reopening(() => openSingle(p.config)) };
      }
    }),
  );
  try {
    return new ReplicatedStore(providers, {
      macKey,
      ...(options.onFault === undefined ? {} : { onFault: options.onFault }),
      ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    });
  } finally {
    macKey.fill(0);
  }
}

/** A store opened on first use, and again after each failed attempt. */
function reopening(open: () => Promise<ScanningStore>): Store {
  let store: Promise<ScanningStore> | undefined;
  let closed = false;
  const current = (): Promise<ScanningStore> => {
    if (closed) return Promise.reject(new StoreError("store/closed", "the store is closed"));
    store ??= open().catch((e: unknown) => {
      store = undefined;
      throw e;
    });
    return store;
  };
  return {
    get: async (key) => (await current()).get(key),
    commit: async (writes) => (await current()).commit(writes),
    list: async (prefix) => (await current()).list(prefix),
    scan: async (prefix) => (await current()).scan(prefix),
    close: async () => {
      closed = true;
      const s = await store?.catch(() => undefined);
      await s?.close();
    },
  };
}
