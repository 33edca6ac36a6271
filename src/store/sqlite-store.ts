/**
 * SQLite Store (better-sqlite3): the embedded default. One database file, WAL journal,
 * synchronous=FULL (a commit that resolved survives a power cut), and every commit one
 * IMMEDIATE transaction that checks each expected version, writes, and advances the
 * store-wide version counter — all or nothing, even when several processes share the file.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  StoreConflictError,
  StoreError,
  validateWrites,
  type Store,
  type StoredEntry,
  type StoredValue,
  type StoreWrite,
} from "./store.js";

/** File name of the database inside a data directory. */
export const SQLITE_FILE_NAME = "warden.sqlite3";

const SCHEMA_VERSION = 1;

interface RecordRow {
  key: string;
  value: Buffer;
  version: number;
}

/** Opens `file` with Warden's pragmas and schema; StoreError store/open if it cannot. */
function openDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    // Takes effect when the file is created: channel records of 2-4 KB fill 16 KiB pages well
    // (at the default 4 KiB, one record per page: half the file wasted).
    db.pragma("page_size = 16384");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 10000");
    const current = db.pragma("user_version", { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(`schema ${current} is newer than this Warden's (${SCHEMA_VERSION})`);
    }
    db.exec(`
      CREATE TABLE IF NOT EXISTS record (
        key TEXT PRIMARY KEY NOT NULL,
        value BLOB NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS counter (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_version INTEGER NOT NULL
      );
      INSERT OR IGNORE INTO counter (id, last_version) VALUES (1, 0);
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
    return db;
  } catch (e) {
    db?.close();
    throw new StoreError("store/open", `cannot open SQLite store ${file}: ${(e as Error).message}`);
  }
}

/** A Store in one SQLite file: durable, atomic multi-record commits, versions never reused. */
export class SqliteStore implements Store {
  /** Path of the database file. */
  readonly file: string;
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], { value: Buffer; version: number }>;
  readonly #version: Database.Statement<[string], { version: number }>;
  readonly #scan: Database.Statement<[string], RecordRow>;
  readonly #scanKeys: Database.Statement<[string], { key: string }>;
  readonly #commit: (writes: readonly StoreWrite[]) => number[];
  #closed = false;

  private constructor(file: string) {
    this.file = file;
    const db = openDatabase(file);
    this.#db = db;
    this.#get = db.prepare("SELECT value, version FROM record WHERE key = ?");
    this.#version = db.prepare("SELECT version FROM record WHERE key = ?");
    // Keys with a common prefix are contiguous in SQLite's byte order: start at the prefix
    // and stop at the first key without it.
    this.#scan = db.prepare("SELECT key, value, version FROM record WHERE key >= ? ORDER BY key");
    this.#scanKeys = db.prepare("SELECT key FROM record WHERE key >= ? ORDER BY key");
    const lastVersion = db.prepare<[], { last_version: number }>(
      "SELECT last_version FROM counter WHERE id = 1",
    );
    const setLast = db.prepare<[number]>("UPDATE counter SET last_version = ? WHERE id = 1");
    const upsert = db.prepare<[string, Buffer, number]>(
      "INSERT INTO record (key, value, version) VALUES (?, ?, ?) " +
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version",
    );
    const remove = db.prepare<[string]>("DELETE FROM record WHERE key = ?");
    const tx = db.transaction((writes: readonly StoreWrite[]): number[] => {
      for (const w of writes) {
        const actual = this.#version.get(w.key)?.version ?? 0;
        if (actual !== w.expectedVersion) {
          throw new StoreConflictError(w.key, w.expectedVersion, actual);
        }
      }
      let last = lastVersion.get()!.last_version;
      const versions: number[] = [];
      for (const w of writes) {
        if (w.value === null) {
          remove.run(w.key);
          versions.push(0);
        } else {
          upsert.run(
            w.key,
            Buffer.from(w.value.buffer, w.value.byteOffset, w.value.length),
            ++last,
          );
          versions.push(last);
        }
      }
      setLast.run(last);
      return versions;
    });
    this.#commit = (writes) => tx.immediate(writes);
  }

  /** Opens (creating if needed) the SQLite store in file `file`; the directory must exist. */
  static open(file: string): SqliteStore {
    return new SqliteStore(file);
  }

  /** Opens (creating both if needed) the store `warden.sqlite3` in data directory `dataDir`. */
  static openInDataDir(dataDir: string): SqliteStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return new SqliteStore(join(dataDir, SQLITE_FILE_NAME));
  }

  /** Current value and version of `key`, or undefined. */
  async get(key: string): Promise<StoredValue | undefined> {
    this.#open();
    const row = this.#get.get(key);
    return row === undefined
      ? undefined
      : { value: new Uint8Array(row.value), version: row.version };
  }

  /** All writes or none, durable before it resolves; StoreConflictError on a version mismatch. */
  async commit(writes: readonly StoreWrite[]): Promise<number[]> {
    this.#open();
    validateWrites(writes);
    if (writes.length === 0) return [];
    return this.#commit(writes);
  }

  /** Present keys with `prefix`, sorted. */
  async list(prefix: string): Promise<string[]> {
    this.#open();
    const keys: string[] = [];
    for (const row of this.#scanKeys.iterate(prefix)) {
      if (!row.key.startsWith(prefix)) break;
      keys.push(row.key);
    }
    // SQLite orders by UTF-8 bytes; the interface promises code-unit order.
    return keys.sort();
  }

  /** Every present record with `prefix`, sorted by key, in one read. */
  async scan(prefix: string): Promise<StoredEntry[]> {
    this.#open();
    const out: StoredEntry[] = [];
    for (const row of this.#scan.iterate(prefix)) {
      if (!row.key.startsWith(prefix)) break;
      // Each row's Buffer has its own memory: a view, not a copy, is the caller's to own.
      const v = row.value;
      out.push({
        key: row.key,
        value: new Uint8Array(v.buffer, v.byteOffset, v.length),
        version: row.version,
      });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Closes the database file; later calls reject with store/closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw new StoreError("store/closed", "the store is closed");
  }
}
