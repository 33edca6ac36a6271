import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { MemoryStore } from "../../src/store/memory-store.js";
import { openStore, storeConfigFromUrl } from "../../src/store/open-store.js";
import { type ReplicaFault, ReplicatedStore } from "../../src/store/replicated-store.js";
import { SQLITE_FILE_NAME, SqliteStore } from "../../src/store/sqlite-store.js";

const root = mkdtempSync(join(tmpdir(), "warden-open-store-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("storeConfigFromUrl: memory:, sqlite:<dir>, postgres URLs; anything else refused", () => {
  assert.deepEqual(storeConfigFromUrl("memory:"), { kind: "memory" });
  assert.deepEqual(storeConfigFromUrl("sqlite:/var/lib/warden"), {
    kind: "sqlite",
    dataDir: "/var/lib/warden",
  });
  for (const url of ["postgres://u@h/db", "postgresql://u@h:5432/db"]) {
    assert.deepEqual(storeConfigFromUrl(url), { kind: "postgres", url });
  }
  for (const bad of ["", "sqlite:", "mysql://x", "/var/lib/warden", "memory"]) {
    assert.throws(() => storeConfigFromUrl(bad), { code: "store/invalid-config" });
  }
});

test("openStore: memory and sqlite (one file in the data directory)", async () => {
  const m = await openStore({ kind: "memory" });
  assert.ok(m instanceof MemoryStore);
  const dir = join(root, "data");
  const s = await openStore(storeConfigFromUrl(`sqlite:${dir}`));
  assert.ok(s instanceof SqliteStore);
  await s.commit([{ key: "k", value: Uint8Array.of(1), expectedVersion: 0 }]);
  await s.close();
  assert.ok(existsSync(join(dir, SQLITE_FILE_NAME)));
});

test("openStore: a replicated store needs the seed, and starts without a provider that is down", async () => {
  const config = {
    kind: "replicated" as const,
    providers: [
      { name: "disk-a", config: { kind: "sqlite" as const, dataDir: join(root, "a") } },
      { name: "disk-b", config: { kind: "sqlite" as const, dataDir: join(root, "b") } },
      {
        name: "db",
        config: {
          kind: "postgres" as const,
          url: `postgresql://warden@127.0.0.1:${await closedPort()}/x`,
        },
      },
    ],
  };
  await assert.rejects(openStore(config), { code: "store/invalid-config" });
  const faults: ReplicaFault[] = [];
  const store = await openStore(config, { seed: randomBytes(32), onFault: (f) => faults.push(f) });
  assert.ok(store instanceof ReplicatedStore);
  const [v] = await store.commit([{ key: "k", value: Uint8Array.of(7), expectedVersion: 0 }]);
  assert.deepEqual(await store.get("k"), { value: Uint8Array.of(7), version: v });
  assert.deepEqual(
    store.health().map((h) => h.status),
    ["ok", "ok", "gone"],
  );
  assert.ok(faults.every((f) => f.provider === "db" && /store\/unavailable/.test(f.detail)));
  await store.close();
});

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}
