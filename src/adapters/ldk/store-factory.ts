/** The Store an adapter host opens: in memory, or the embedded default (SQLite, one file). */
import { MemoryStore } from "../../store/memory-store.js";
import { SqliteStore } from "../../store/sqlite-store.js";
import type { Store } from "../../store/store.js";
import type { HostStoreSpec } from "./host-protocol.js";

/** Opens the Store `spec` names (SQLite: the file, created if absent). */
export async function openHostStore(spec: HostStoreSpec): Promise<Store> {
  switch (spec.kind) {
    case "memory":
      return new MemoryStore();
    case "sqlite":
      return SqliteStore.open(spec.path);
  }
}
