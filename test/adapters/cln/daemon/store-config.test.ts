/** Store configuration for warden-hsmd: SQLite in the network directory by default, memory only when asked. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  describeStoreSpec,
  parseStoreSpec,
} from "../../../../src/adapters/cln/daemon/store-config.js";
import { openStore } from "../../../../src/store/open-store.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("store configuration", () => {
  it("parses sqlite (default), sqlite:DIR, postgresql:// and memory; refuses anything else", () => {
    const here = { kind: "sqlite", dataDir: "/net" };
    assert.deepEqual(parseStoreSpec(undefined, "/net"), here);
    assert.deepEqual(parseStoreSpec("", "/net"), here);
    assert.deepEqual(parseStoreSpec("sqlite", "/net"), here);
    assert.deepEqual(parseStoreSpec("sqlite:state", "/net"), {
      kind: "sqlite",
      dataDir: "/net/state",
    });
    assert.deepEqual(parseStoreSpec("sqlite:/var/w", "/net"), {
      kind: "sqlite",
      dataDir: "/var/w",
    });
    assert.deepEqual(parseStoreSpec("memory", "/net"), { kind: "memory" });
    assert.deepEqual(parseStoreSpec("memory:", "/net"), { kind: "memory" });
    assert.deepEqual(parseStoreSpec("postgresql://w@db/w", "/net"), {
      kind: "postgres",
      url: "postgresql://w@db/w",
    });
    for (const bad of ["sqlite:", "mem", "mysql://x", "SQLITE"]) {
      assert.throws(() => parseStoreSpec(bad, "/net"), { code: "cln/store-spec" });
    }
  });

  it("never shows a PostgreSQL password", () => {
    const config = parseStoreSpec("postgresql://w:s3cret@db/w", "/net");
    assert.equal(describeStoreSpec(config), "postgres postgresql://w:***@db/w");
    assert.throws(
      () => parseStoreSpec("pg://w:s3cret@db/w", "/net"),
      (e: Error) => !e.message.includes("s3cret"),
    );
  });

  it("the default opens a durable SQLite store in the network directory", async () => {
    const d = mkdtempSync(join(tmpdir(), "warden-hsmd-store-"));
    dirs.push(d);
    const config = parseStoreSpec(undefined, d);
    assert.equal(describeStoreSpec(config), `sqlite ${join(d, "warden.sqlite3")}`);
    const s = await openStore(config);
    await s.commit([{ key: "k", value: Uint8Array.of(1), expectedVersion: 0 }]);
    await s.close();
    assert.ok(existsSync(join(d, "warden.sqlite3")));
    const again = await openStore(config);
    assert.deepEqual([...(await again.get("k"))!.value], [1]);
    await again.close();
  });
});
