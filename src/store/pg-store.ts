/**
 * PostgreSQL Store (`pg`): several signer processes share one database. A commit is one
 * statement calling a PL/pgSQL function, so it is one transaction: it takes a transaction
 * advisory lock per key (in a fixed order, so concurrent commits cannot deadlock), checks every
 * expected version (compare-and-swap), and only then draws new versions from a sequence and
 * writes. A writer that loses a race gets StoreConflictError and nothing of its commit is
 * written. Versions come from the sequence after the key locks are held, so a key's version
 * only grows and no version is ever reused, whichever process writes.
 */
import pg from "pg";
import {
  StoreConflictError,
  StoreError,
  validateWrites,
  type Store,
  type StoredEntry,
  type StoredValue,
  type StoreWrite,
} from "./store.js";

/** SQLSTATE raised by the commit function on a version mismatch. */
const CONFLICT_SQLSTATE = "WD001";

/** Options of PgStore.open. */
export interface PgStoreOptions {
  /** Schema holding Warden's table, sequence and function; default "warden". */
  schema?: string;
  /** Pool size (connections); default 4. */
  maxConnections?: number;
}

function ident(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StoreError("store/invalid-config", "schema must match [a-z_][a-z0-9_]{0,62}");
  }
  return `"${schema}"`;
}

function setupSql(s: string): string {
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.record (
      key text COLLATE "C" PRIMARY KEY,
      value bytea NOT NULL,
      version bigint NOT NULL
    );
    CREATE SEQUENCE IF NOT EXISTS ${s}.version_seq AS bigint MINVALUE 1;
    CREATE OR REPLACE FUNCTION ${s}.commit_writes(p_keys text[], p_values bytea[], p_expected bigint[])
    RETURNS bigint[] LANGUAGE plpgsql AS $fn$
    DECLARE
      n int := coalesce(array_length(p_keys, 1), 0);
      h bigint;
      actual bigint;
      v bigint;
      result bigint[] := '{}';
    BEGIN
      FOR h IN SELECT DISTINCT hashtextextended(k, 0) FROM unnest(p_keys) AS k ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(h);
      END LOOP;
      FOR i IN 1..n LOOP
        SELECT r.version INTO actual FROM ${s}.record r WHERE r.key = p_keys[i];
        IF NOT FOUND THEN actual := 0; END IF;
        IF actual <> p_expected[i] THEN
          RAISE EXCEPTION USING ERRCODE = '${CONFLICT_SQLSTATE}', MESSAGE = 'version conflict',
            DETAIL = json_build_object('key', p_keys[i], 'actual', actual)::text;
        END IF;
      END LOOP;
      FOR i IN 1..n LOOP
        IF p_values[i] IS NULL THEN
          DELETE FROM ${s}.record WHERE key = p_keys[i];
          result := result || 0::bigint;
        ELSE
          v := nextval('${s}.version_seq');
          INSERT INTO ${s}.record (key, value, version) VALUES (p_keys[i], p_values[i], v)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version;
          result := result || v;
        END IF;
      END LOOP;
      RETURN result;
    END
    $fn$;`;
}

function toVersion(v: string | number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new StoreError("store/corrupt", `version ${v} out of range`);
  return n;
}

function unavailable(e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  return new StoreError("store/unavailable", `PostgreSQL: ${(e as Error).message}`);
}

/** A Store in a PostgreSQL schema, shared safely by several processes. */
export class PgStore implements Store {
  /** Schema name (quoted identifier) holding the data. */
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #s: string;
  #closed = false;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.schema = schema;
    this.#s = ident(schema);
  }

  /**
   * Connects to `connectionString` (libpq URL, e.g. postgresql://user@host:5432/db) and creates
   * the schema, table, sequence and commit function if missing (safe when several processes
   * open at once). Rejects with StoreError store/unavailable if the server cannot be reached.
   */
  static async open(connectionString: string, options: PgStoreOptions = {}): Promise<PgStore> {
    const schema = options.schema ?? "warden";
    const s = ident(schema);
    const pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client losing its connection must not crash the process; the next query fails.
    pool.on("error", () => {});
    try {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 42))", [
          `warden-schema:${schema}`,
        ]);
        await client.query(setupSql(s));
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    } catch (e) {
      await pool.end().catch(() => {});
      throw unavailable(e);
    }
    return new PgStore(pool, schema);
  }

  /** Current value and version of `key`, or undefined. */
  async get(key: string): Promise<StoredValue | undefined> {
    this.#open();
    const r = await this.#query<{ value: Buffer; version: string }>(
      `SELECT value, version FROM ${this.#s}.record WHERE key = $1`,
      [key],
    );
    const row = r.rows[0];
    return row === undefined
      ? undefined
      : { value: new Uint8Array(row.value), version: toVersion(row.version) };
  }

  /** All writes or none, in one transaction; StoreConflictError if any version mismatches. */
  async commit(writes: readonly StoreWrite[]): Promise<number[]> {
    this.#open();
    validateWrites(writes);
    if (writes.length === 0) return [];
    try {
      const r = await this.#pool.query<{ versions: string[] }>(
        `SELECT ${this.#s}.commit_writes($1, $2, $3) AS versions`,
        [
          writes.map((w) => w.key),
          writes.map((w) => (w.value === null ? null : Buffer.from(w.value))),
          writes.map((w) => w.expectedVersion),
        ],
      );
      return r.rows[0]!.versions.map(toVersion);
    } catch (e) {
      const err = e as { code?: string; detail?: string };
      if (err.code === CONFLICT_SQLSTATE && err.detail !== undefined) {
        const d = JSON.parse(err.detail) as { key: string; actual: number };
        const expected = writes.find((w) => w.key === d.key)?.expectedVersion ?? -1;
        throw new StoreConflictError(d.key, expected, toVersion(d.actual));
      }
      throw unavailable(e);
    }
  }

  /** Present keys with `prefix`, sorted. */
  async list(prefix: string): Promise<string[]> {
    this.#open();
    const r = await this.#query<{ key: string }>(
      `SELECT key FROM ${this.#s}.record WHERE key >= $1 AND starts_with(key, $1)`,
      [prefix],
    );
    return r.rows.map((row) => row.key).sort();
  }

  /** Every present record with `prefix`, sorted by key, from one snapshot. */
  async scan(prefix: string): Promise<StoredEntry[]> {
    this.#open();
    const r = await this.#query<{ key: string; value: Buffer; version: string }>(
      `SELECT key, value, version FROM ${this.#s}.record WHERE key >= $1 AND starts_with(key, $1)`,
      [prefix],
    );
    return r.rows
      .map((row) => ({
        key: row.key,
        value: new Uint8Array(row.value),
        version: toVersion(row.version),
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Closes the pool; later calls reject with store/closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async #query<R extends pg.QueryResultRow>(
    sql: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (e) {
      throw unavailable(e);
    }
  }

  #open(): void {
    if (this.#closed) throw new StoreError("store/closed", "the store is closed");
  }
}
