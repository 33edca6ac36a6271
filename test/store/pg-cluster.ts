/**
 * A throwaway PostgreSQL cluster for tests and the bench: initdb into a temporary directory,
 * then `postgres` on 127.0.0.1 at a free port with its socket in that directory. Works as a
 * normal user and as root (PostgreSQL refuses to run as root: the server then runs as the
 * `postgres` system user, which owns the directory). stop() shuts it down and deletes it.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** A running throwaway cluster. */
export interface PgCluster {
  /** postgresql:// URL of the `postgres` database as superuser `warden` (trust auth). */
  readonly connectionString: string;
  readonly port: number;
  /** Stops the server (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
}

/** Options of startPgCluster. */
export interface PgClusterOptions {
  /** fsync on (durable commits, the realistic figure for the bench); default off (tests). */
  fsync?: boolean;
}

const HINT =
  "Install Debian's `postgresql` package (`.ci/run` does) or set WARDEN_PG_BIN to the directory " +
  "holding initdb and postgres.";

/** Directory holding initdb and postgres: WARDEN_PG_BIN, the newest /usr/lib/postgresql/N/bin, or PATH. */
function binDir(): string {
  const env = process.env["WARDEN_PG_BIN"];
  if (env !== undefined && env !== "") return env;
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(base, versions[0]!, "bin");
  }
  const r = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim() !== "") return r.stdout.trim();
  throw new Error(`PostgreSQL binaries not found (no /usr/lib/postgresql/*/bin/initdb). ${HINT}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === "object" && addr !== null
          ? resolve(addr.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** uid/gid to run the server as: ourselves, or `postgres` when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      "running as root, and there is no `postgres` user to run the PostgreSQL server as. " + HINT,
    );
  }
}

/**
 * Starts a throwaway cluster; rejects with an Error saying why (missing binaries, initdb or
 * server failure, not ready in 60 s) — callers let the test fail with it, never skip.
 */
export async function startPgCluster(opts: PgClusterOptions = {}): Promise<PgCluster> {
  const bin = binDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), "warden-pg-"));
  const data = join(dir, "data");
  const sock = join(dir, "sock");
  mkdirSync(sock);
  if (user !== undefined) {
    for (const p of [dir, sock]) chownSync(p, user.uid, user.gid);
  }
  const ids = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  const env = { ...process.env, LC_ALL: "C", LANG: "C" };
  const init = spawnSync(
    join(bin, "initdb"),
    ["-D", data, "-U", "warden", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
    { ...ids, env, encoding: "utf8", cwd: dir },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `PostgreSQL initdb failed (${init.error?.message ?? `exit ${init.status}`}): ${init.stderr}. ${HINT}`,
    );
  }
  const port = await freePort();
  const server: ChildProcess = spawn(
    join(bin, "postgres"),
    [
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      sock,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `fsync=${opts.fsync === true ? "on" : "off"}`,
      "-c",
      "shared_buffers=64MB",
      "-c",
      "max_connections=60",
    ],
    { ...ids, env, cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  server.stderr?.on("data", (d: Buffer) => {
    if (log.length < 20_000) log += d.toString();
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    server.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const kill = (): void => {
    if (!exited) server.kill("SIGINT");
  };
  process.once("exit", kill);
  const connectionString = `postgresql://warden@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    process.removeListener("exit", kill);
    kill();
    await Promise.race([exit, new Promise((r) => setTimeout(r, 10_000))]);
    if (!exited) server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`PostgreSQL server exited during startup: ${log.trim()}. ${HINT}`);
    }
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      break;
    } catch (e) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `PostgreSQL server not ready after 60 s (${(e as Error).message}): ${log.trim()}. ${HINT}`,
          { cause: e },
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { connectionString, port, stop };
}
