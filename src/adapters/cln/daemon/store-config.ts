/**
 * Which Warden store warden-hsmd keeps its state in: `--warden-store=SPEC` or WARDEN_STORE.
 *   sqlite            warden.sqlite3 in the working directory (lightningd's network directory)
 *   sqlite:PATH       that file (relative paths are from the working directory)
 *   memory            nothing survives a restart: tests and experiments only, never a real node
 * The default is sqlite. A spec that cannot be parsed is an error, never a silent fallback.
 */
import { isAbsolute, join } from "node:path";
import { WardenError } from "../../../errors.js";
import { MemoryStore } from "../../../store/memory-store.js";
import { SQLITE_FILE_NAME, SqliteStore } from "../../../store/sqlite-store.js";
import type { Store } from "../../../store/store.js";

/** Default SQLite file name in the working directory. */
export const DEFAULT_SQLITE_FILE = SQLITE_FILE_NAME;

/** A parsed store choice. */
export type StoreSpec =
  { readonly kind: "memory" } | { readonly kind: "sqlite"; readonly file: string };

/** Parses a spec (undefined or "" = default sqlite); WardenError "cln/store-spec" on anything else. */
export function parseStoreSpec(spec: string | undefined, cwd: string): StoreSpec {
  const s = spec ?? "";
  if (s === "" || s === "sqlite") return { kind: "sqlite", file: join(cwd, DEFAULT_SQLITE_FILE) };
  if (s === "memory") return { kind: "memory" };
  if (s.startsWith("sqlite:") && s.length > "sqlite:".length) {
    const path = s.slice("sqlite:".length);
    return { kind: "sqlite", file: isAbsolute(path) ? path : join(cwd, path) };
  }
  throw new WardenError(
    "cln/store-spec",
    `unknown store ${JSON.stringify(s)}: use sqlite, sqlite:PATH or memory`,
  );
}

/** A human description for logs. */
export function describeStoreSpec(spec: StoreSpec): string {
  return spec.kind === "memory" ? "memory (state is lost on exit)" : `sqlite ${spec.file}`;
}

/** Opens the store the spec names (StoreError store/open when the SQLite file cannot be opened). */
export function openStore(spec: StoreSpec): Store {
  if (spec.kind === "memory") return new MemoryStore();
  return SqliteStore.open(spec.file);
}
