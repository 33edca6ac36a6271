/**
 * Which Warden store warden-hsmd keeps its state in: `--warden-store=SPEC` or WARDEN_STORE.
 *   (unset), sqlite        warden.sqlite3 in the working directory (lightningd's network directory)
 *   sqlite:DIR             warden.sqlite3 in DIR (relative to the working directory)
 *   postgresql://…         a PostgreSQL database (several signers may share it)
 *   memory                 nothing survives a restart: tests and experiments only, never a real node
 * The stores themselves are src/store/open-store.ts's. A spec that cannot be parsed is an error,
 * never a silent fallback.
 */
import { isAbsolute, join } from "node:path";
import { WardenError } from "../../../errors.js";
import { storeConfigFromUrl, type SingleStoreConfig } from "../../../store/open-store.js";
import { SQLITE_FILE_NAME } from "../../../store/sqlite-store.js";

/** Parses a spec (undefined or "" = SQLite in `cwd`); WardenError "cln/store-spec" on anything else. */
export function parseStoreSpec(spec: string | undefined, cwd: string): SingleStoreConfig {
  const s = spec ?? "";
  if (s === "" || s === "sqlite") return { kind: "sqlite", dataDir: cwd };
  if (s === "memory" || s === "memory:") return { kind: "memory" };
  let config: SingleStoreConfig;
  try {
    config = storeConfigFromUrl(s);
  } catch {
    throw new WardenError(
      "cln/store-spec",
      `unknown store ${JSON.stringify(redactUrl(s))}: use sqlite, sqlite:DIR, postgresql://… or memory`,
    );
  }
  if (config.kind === "sqlite" && !isAbsolute(config.dataDir)) {
    return { kind: "sqlite", dataDir: join(cwd, config.dataDir) };
  }
  return config;
}

/** A description for logs (a PostgreSQL password is never shown). */
export function describeStoreSpec(config: SingleStoreConfig): string {
  switch (config.kind) {
    case "memory":
      return "memory (state is lost on exit)";
    case "sqlite":
      return `sqlite ${join(config.dataDir, SQLITE_FILE_NAME)}`;
    case "postgres":
      return `postgres ${redactUrl(config.url)}`;
  }
}

/** The URL with any password replaced by "***". */
function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, "$1:***@");
}
