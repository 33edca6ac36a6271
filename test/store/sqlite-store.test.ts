import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { SQLITE_FILE_NAME, SqliteStore } from "../../src/store/sqlite-store.js";
import { StoreConflictError } from "../../src/store/store.js";
import { storeConformance } from "./conformance.js";

const root = mkdtempSync(join(tmpdir(), "warden-sqlite-test-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => join(root, `db-${n++}.sqlite3`);
const b = (...xs: number[]) => Uint8Array.from(xs);

storeConformance("sqlite", async () => SqliteStore.open(freshFile()), { modelRuns: 60 });

test("sqlite: WAL and synchronous=FULL, one file in the data directory", async () => {
  const dir = join(root, "data", "nested");
  const s = SqliteStore.openInDataDir(dir);
  try {
    assert.equal(s.file, join(dir, SQLITE_FILE_NAME));
    assert.ok(existsSync(s.file));
    const probe = SqliteStore.open(s.file);
    await probe.close();
  } finally {
    await s.close();
  }
  // The pragmas are per connection; check them on a raw connection to the same file.
  const { default: Database } = await import("better-sqlite3");
  const raw = new Database(join(dir, SQLITE_FILE_NAME));
  assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
  raw.close();
});

test("sqlite: state and the version counter survive reopen; versions are never reused", async () => {
  const file = freshFile();
  const s1 = SqliteStore.open(file);
  const [va] = await s1.commit([{ key: "a", value: b(1), expectedVersion: 0 }]);
  const [vb] = await s1.commit([{ key: "b", value: b(2), expectedVersion: 0 }]);
  await s1.commit([{ key: "b", value: null, expectedVersion: vb! }]);
  await s1.close();
  const s2 = SqliteStore.open(file);
  assert.deepEqual(await s2.get("a"), { value: b(1), version: va });
  assert.equal(await s2.get("b"), undefined);
  const [vb2] = await s2.commit([{ key: "b", value: b(3), expectedVersion: 0 }]);
  assert.ok(vb2! > vb!, "a re-created key gets a version above every earlier one");
  await s2.close();
});

test("sqlite: two connections to one file — compare-and-swap, exactly one wins", async () => {
  const file = freshFile();
  const a = SqliteStore.open(file);
  const c = SqliteStore.open(file);
  try {
    const [v] = await a.commit([{ key: "k", value: b(0), expectedVersion: 0 }]);
    const results = await Promise.allSettled([
      a.commit([
        { key: "k", value: b(1), expectedVersion: v! },
        { key: "a-side", value: b(1), expectedVersion: 0 },
      ]),
      c.commit([
        { key: "k", value: b(2), expectedVersion: v! },
        { key: "c-side", value: b(2), expectedVersion: 0 },
      ]),
    ]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    const lost = results.find((r) => r.status === "rejected")!;
    assert.ok(lost.reason instanceof StoreConflictError);
    const winner = results[0]!.status === "fulfilled" ? "a-side" : "c-side";
    const loser = winner === "a-side" ? "c-side" : "a-side";
    assert.deepEqual(await c.list(""), ["k", winner].sort());
    assert.equal(await a.get(loser), undefined);
  } finally {
    await a.close();
    await c.close();
  }
});

test("sqlite: two processes racing on one key — one wins, the other conflicts, nothing partial", async () => {
  const file = freshFile();
  const setup = SqliteStore.open(file);
  const [v] = await setup.commit([{ key: "k", value: b(0), expectedVersion: 0 }]);
  await setup.close();
  const url = new URL("../../src/store/sqlite-store.js", import.meta.url).href;
  const script = `
    const { SqliteStore } = await import(${JSON.stringify(url)});
    const s = SqliteStore.open(process.argv[1]);
    const me = process.argv[2];
    let won = 0, lost = 0, version = ${v};
    for (let i = 0; i < 200; i++) {
      const cur = (await s.get("k")).version;
      try {
        const [nv] = await s.commit([
          { key: "k", value: Buffer.from(me + i), expectedVersion: cur },
          { key: "log/" + me + "/" + i, value: Buffer.from([1]), expectedVersion: 0 },
        ]);
        if (nv <= version) throw new Error("version went backwards");
        version = nv;
        won++;
      } catch (e) {
        if (e.code !== "store/conflict") throw e;
        lost++;
      }
    }
    await s.close();
    console.log(JSON.stringify({ won, lost }));
  `;
  const run = (me: string) =>
    new Promise<{ won: number; lost: number }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script, file, me], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.on("exit", (code) =>
        code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child ${me} exited ${code}`)),
      );
    });
  const [x, y] = await Promise.all([run("x"), run("y")]);
  const s = SqliteStore.open(file);
  try {
    // Every successful commit wrote its log record; every conflicting one wrote nothing.
    assert.equal((await s.list("log/x/")).length, x.won);
    assert.equal((await s.list("log/y/")).length, y.won);
    assert.equal(x.won + x.lost, 200);
    assert.equal(y.won + y.lost, 200);
  } finally {
    await s.close();
  }
});

test("sqlite: opening a file that is not a database fails with a StoreError", async () => {
  const file = freshFile();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(file, "this is not sqlite, just some text that is long enough to fail............");
  assert.throws(() => SqliteStore.open(file), { code: "store/open" });
});
