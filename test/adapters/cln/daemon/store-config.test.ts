/** Store configuration for warden-hsmd: sqlite by default, memory only when asked. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openStore, parseStoreSpec } from "../../../../src/adapters/cln/daemon/store-config.js";
import { MemoryStore } from "../../../../src/store/memory-store.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("store configuration", () => {
  it("parses sqlite (default), sqlite:PATH and memory; refuses anything else", () => {
    assert.deepEqual(parseStoreSpec(undefined, "/net"), {
      kind: "sqlite",
      file: "/net/warden.sqlite3",
    });
    assert.deepEqual(parseStoreSpec("", "/net"), { kind: "sqlite", file: "/net/warden.sqlite3" });
    assert.deepEqual(parseStoreSpec("sqlite", "/net"), {
      kind: "sqlite",
      file: "/net/warden.sqlite3",
    });
    assert.deepEqual(parseStoreSpec("sqlite:x/y.db", "/net"), {
      kind: "sqlite",
      file: "/net/x/y.db",
    });
    assert.deepEqual(parseStoreSpec("sqlite:/abs.db", "/net"), { kind: "sqlite", file: "/abs.db" });
    assert.deepEqual(parseStoreSpec("memory", "/net"), { kind: "memory" });
    for (const bad of ["sqlite:", "mem", "postgres://x", "SQLITE"]) {
      assert.throws(() => parseStoreSpec(bad, "/net"), { code: "cln/store-spec" });
    }
  });

  it("opens a durable SQLite store that keeps what was committed", async () => {
    const d = mkdtempSync(join(tmpdir(), "warden-hsmd-store-"));
    dirs.push(d);
    const spec = parseStoreSpec(undefined, d);
    const s = openStore(spec);
    await s.commit([{ key: "k", value: Uint8Array.of(1), expectedVersion: 0 }]);
    await s.close();
    assert.ok(existsSync(join(d, "warden.sqlite3")));
    const again = openStore(spec);
    assert.deepEqual([...(await again.get("k"))!.value], [1]);
    await again.close();
    assert.ok(openStore({ kind: "memory" }) instanceof MemoryStore);
  });
});
