/**
 * The Store an adapter host opens. "sqlite" is the embedded default once the SQLite store is
 * merged (issue 6); until then it is refused loudly here rather than silently kept in memory.
 */
import type { Store } from "../../store/store.js";
import { MemoryStore } from "../../store/memory-store.js";
import type { HostStoreSpec } from "./host-protocol.js";

/** Opens the Store `spec` names. */
export async function openHostStore(spec: HostStoreSpec): Promise<Store> {
  switch (spec.kind) {
    case "memory":
      return new MemoryStore();
    case "sqlite":
      throw new Error(`the SQLite store is not available in this build (${spec.path})`);
  }
}
