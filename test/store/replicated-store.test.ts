/**
 * ReplicatedStore with N = 3 real providers — a SQLite file, a MemoryStore and PostgreSQL
 * (a throwaway cluster started here; the tests fail if it cannot start) — and each fault alone
 * (stale, tampered, gone: carries on and reports) and two at once (no quorum: refuses).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { MemoryStore } from "../../src/store/memory-store.js";
import { PgStore } from "../../src/store/pg-store.js";
import {
  type ReplicaFault,
  ReplicatedStore,
  type ReplicaProvider,
} from "../../src/store/replicated-store.js";
import { openRecord, sealRecord, storeMacKey } from "../../src/store/seal.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { StoreConflictError, StoreError, type Store } from "../../src/store/store.js";
import { storeConformance } from "./conformance.js";
import { type PgCluster, startPgCluster } from "./pg-cluster.js";
import { rawOf, rollBack, tamper, Unpluggable } from "./replica-faults.js";

const seed = randomBytes(32);
const macKey = storeMacKey(seed);
const root = mkdtempSync(join(tmpdir(), "warden-replicated-test-"));
let cluster: PgCluster | undefined;
let startError: Error | undefined;
before(async () => {
  try {
    cluster = await startPgCluster();
  } catch (e) {
    startError = e as Error;
  }
});
after(async () => {
  await cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
const b = (...xs: number[]) => Uint8Array.from(xs);
const isNoQuorum = (e: unknown): boolean =>
  e instanceof StoreError && e.code === "store/no-quorum" && !(e instanceof StoreConflictError);

function pgUrl(): string {
  if (cluster === undefined) {
    throw new Error(`PostgreSQL tests cannot run: ${startError?.message ?? "cluster not started"}`);
  }
  return cluster.connectionString;
}

interface Trio {
  store: ReplicatedStore;
  sqlite: Unpluggable;
  memory: Unpluggable;
  postgres: Unpluggable;
  faults: ReplicaFault[];
}

/** A replicated store over a SQLite file (own directory), a MemoryStore and a PostgreSQL schema. */
async function trio(): Promise<Trio> {
  const i = n++;
  const sqlite = new Unpluggable(SqliteStore.openInDataDir(join(root, `sqlite-${i}`)));
  const memory = new Unpluggable(new MemoryStore());
  const postgres = new Unpluggable(await PgStore.open(pgUrl(), { schema: `r${i}` }));
  const faults: ReplicaFault[] = [];
  const providers: ReplicaProvider[] = [
    { name: "sqlite", store: sqlite },
    { name: "memory", store: memory },
    { name: "postgres", store: postgres },
  ];
  const store = new ReplicatedStore(providers, { macKey, onFault: (f) => faults.push(f) });
  return { store, sqlite, memory, postgres, faults };
}

/** Three replicated providers in memory, for the contract suite. */
storeConformance(
  "replicated(3×memory)",
  async () =>
    new ReplicatedStore(
      ["a", "b", "c"].map((name) => ({ name, store: new MemoryStore() })),
      { macKey },
    ),
  { modelRuns: 40 },
);

test("seal: the MAC covers key, version and value; the MAC key comes from the seed", () => {
  const sealed = sealRecord(macKey, "k", 7, b(1, 2, 3));
  assert.deepEqual(openRecord(macKey, "k", sealed), { version: 7, value: b(1, 2, 3) });
  assert.equal(openRecord(macKey, "other", sealed), undefined, "moved to another key");
  for (let i = 0; i < sealed.length; i++) {
    const t = sealed.slice();
    t[i]! ^= 0x80;
    assert.equal(openRecord(macKey, "k", t), undefined, `byte ${i} flipped`);
  }
  assert.equal(openRecord(storeMacKey(randomBytes(32)), "k", sealed), undefined, "other seed");
  assert.deepEqual(storeMacKey(seed), macKey);
  assert.deepEqual(openRecord(macKey, "k", sealRecord(macKey, "k", 1, null)), {
    version: 1,
    value: null,
  });
  assert.equal(openRecord(macKey, "k", sealed.subarray(0, 20)), undefined);
});

test("replicated: healthy — every provider holds the same sealed record", async () => {
  const t = await trio();
  try {
    const [v1] = await t.store.commit([{ key: "a", value: b(1), expectedVersion: 0 }]);
    const [v2] = await t.store.commit([{ key: "a", value: b(2), expectedVersion: v1! }]);
    assert.ok(v2! > v1!);
    assert.deepEqual(await t.store.get("a"), { value: b(2), version: v2 });
    const raws = await Promise.all([t.sqlite, t.memory, t.postgres].map((p) => rawOf(p, "a")));
    for (const raw of raws) {
      assert.deepEqual(raw, raws[0]);
      assert.deepEqual(openRecord(macKey, "a", raw), { version: v2, value: b(2) });
    }
    assert.deepEqual(
      t.store.health().map((h) => h.status),
      ["ok", "ok", "ok"],
    );
    assert.deepEqual(t.faults, []);
  } finally {
    await t.store.close();
  }
});

test("replicated: one provider stale (rolled back) — outvoted, reported, repaired", async () => {
  const t = await trio();
  try {
    const [v1] = await t.store.commit([{ key: "chan", value: b(1), expectedVersion: 0 }]);
    const old = await rawOf(t.sqlite, "chan");
    const [v2] = await t.store.commit([{ key: "chan", value: b(2), expectedVersion: v1! }]);
    await rollBack(t.sqlite, "chan", old);

    assert.deepEqual(await t.store.get("chan"), { value: b(2), version: v2 });
    assert.equal(t.faults.length, 1);
    assert.equal(t.faults[0]!.provider, "sqlite");
    assert.equal(t.faults[0]!.kind, "stale");
    assert.equal(t.faults[0]!.key, "chan");
    assert.equal(t.faults[0]!.repaired, true);
    assert.match(t.faults[0]!.detail, new RegExp(`version ${v1}.*version ${v2}`));
    assert.equal(t.store.health()[0]!.status, "stale");
    assert.deepEqual(await rawOf(t.sqlite, "chan"), await rawOf(t.memory, "chan"));
    // Repaired: the next read finds nothing wrong.
    await t.store.get("chan");
    assert.deepEqual(
      t.store.health().map((h) => h.status),
      ["ok", "ok", "ok"],
    );
    assert.equal(t.store.health()[0]!.faults, 1);

    // A rollback to before the record existed is stale too, and a commit still works.
    await rollBack(t.postgres, "chan", null);
    const [v3] = await t.store.commit([{ key: "chan", value: b(3), expectedVersion: v2! }]);
    assert.equal(t.faults.at(-1)!.provider, "postgres");
    assert.equal(t.faults.at(-1)!.kind, "stale");
    assert.deepEqual(openRecord(macKey, "chan", await rawOf(t.postgres, "chan")), {
      version: v3,
      value: b(3),
    });
  } finally {
    await t.store.close();
  }
});

test("replicated: one provider tampered — outvoted, reported, repaired", async () => {
  const t = await trio();
  try {
    const [v] = await t.store.commit([{ key: "chan", value: b(7, 7, 7), expectedVersion: 0 }]);
    await tamper(t.postgres, "chan");
    assert.deepEqual(await t.store.get("chan"), { value: b(7, 7, 7), version: v });
    assert.deepEqual(
      t.faults.map((f) => [f.provider, f.kind, f.repaired]),
      [["postgres", "tampered", true]],
    );
    assert.equal(t.store.health()[2]!.status, "tampered");
    assert.equal(t.store.health()[2]!.lastFault?.key, "chan");

    // A valid record moved to another key fails its MAC there.
    await t.store.commit([{ key: "other", value: b(1), expectedVersion: 0 }]);
    await rollBack(t.memory, "other", await rawOf(t.memory, "chan"));
    assert.deepEqual((await t.store.get("other"))!.value, b(1));
    assert.deepEqual(t.faults.at(-1) && [t.faults.at(-1)!.provider, t.faults.at(-1)!.kind], [
      "memory",
      "tampered",
    ]);
  } finally {
    await t.store.close();
  }
});

test("replicated: one provider gone — the signer carries on with two and reports it", async () => {
  const t = await trio();
  try {
    const [v1] = await t.store.commit([{ key: "chan", value: b(1), expectedVersion: 0 }]);
    t.memory.down = true;
    assert.deepEqual(await t.store.get("chan"), { value: b(1), version: v1 });
    const [v2] = await t.store.commit([{ key: "chan", value: b(2), expectedVersion: v1! }]);
    assert.deepEqual(await t.store.list(""), ["chan"]);
    assert.deepEqual(
      t.store.health().map((h) => h.status),
      ["ok", "gone", "ok"],
    );
    assert.ok(t.faults.every((f) => f.provider === "memory" && f.kind === "gone"));
    assert.match(t.faults[0]!.detail, /ECONNREFUSED/);
    // Back online: it missed a write, so it is stale until the read that repairs it.
    t.memory.down = false;
    assert.deepEqual(await t.store.get("chan"), { value: b(2), version: v2 });
    assert.equal(t.faults.at(-1)!.kind, "stale");
    assert.equal(t.faults.at(-1)!.repaired, true);
    await t.store.get("chan");
    assert.equal(t.store.health()[1]!.status, "ok");
  } finally {
    await t.store.close();
  }
});

/** Two faults at once: every read and write of the key refuses; nothing is written. */
async function expectRefusal(t: Trio, key: string, expectedVersion: number): Promise<void> {
  await assert.rejects(t.store.get(key), isNoQuorum);
  await assert.rejects(t.store.list(""), isNoQuorum);
  await assert.rejects(
    t.store.commit([{ key, value: b(9), expectedVersion }]),
    (e: unknown) => isNoQuorum(e) && /refusing/.test((e as Error).message),
  );
}

test("replicated: two faults at once — stale + tampered, stale + gone, tampered + gone: refuses", async () => {
  const cases: [string, (t: Trio, old: Uint8Array) => Promise<void>][] = [
    [
      "stale+tampered",
      async (t, old) => {
        await rollBack(t.sqlite, "chan", old);
        await tamper(t.postgres, "chan");
      },
    ],
    [
      "stale+gone",
      async (t, old) => {
        await rollBack(t.postgres, "chan", old);
        t.memory.down = true;
      },
    ],
    [
      "tampered+gone",
      async (t) => {
        await tamper(t.sqlite, "chan");
        t.postgres.down = true;
      },
    ],
  ];
  for (const [name, inject] of cases) {
    const t = await trio();
    try {
      const [v1] = await t.store.commit([{ key: "chan", value: b(1), expectedVersion: 0 }]);
      const old = await rawOf(t.memory, "chan");
      const [v2] = await t.store.commit([{ key: "chan", value: b(2), expectedVersion: v1! }]);
      await inject(t, old);
      const before = t.faults.length;
      await expectRefusal(t, "chan", v2!);
      assert.ok(t.faults.length > before, `${name}: the bad providers are reported`);
      const bad = t.store.health().filter((h) => h.status !== "ok");
      assert.equal(bad.length, 2, `${name}: ${JSON.stringify(t.store.health())}`);
      // The one good provider still holds v2: nothing was written by the refused commit.
      const good = [t.sqlite, t.memory, t.postgres].find(
        (_, i) => t.store.health()[i]!.status === "ok",
      )!;
      assert.deepEqual(openRecord(macKey, "chan", await rawOf(good, "chan"))?.value, b(2));
    } finally {
      t.sqlite.down = t.memory.down = t.postgres.down = false;
      await t.store.close();
    }
  }
});

test("replicated: a rolled-back majority is refused, not believed", async () => {
  const t = await trio();
  try {
    const [v1] = await t.store.commit([{ key: "chan", value: b(1), expectedVersion: 0 }]);
    const old = await rawOf(t.memory, "chan");
    await t.store.commit([{ key: "chan", value: b(2), expectedVersion: v1! }]);
    // An attacker restores two providers to the same old (validly sealed) state.
    await rollBack(t.memory, "chan", old);
    await rollBack(t.postgres, "chan", old);
    await assert.rejects(t.store.get("chan"), isNoQuorum);
    assert.deepEqual(
      t.store.health().map((h) => h.status),
      ["ok", "stale", "stale"],
    );
  } finally {
    await t.store.close();
  }
});

test("replicated: a provider that lost everything is re-synced by a scan", async () => {
  const t = await trio();
  try {
    const keys = ["node/x/channel/1", "node/x/channel/2", "node/x/meta"];
    await t.store.commit(keys.map((key) => ({ key, value: b(1), expectedVersion: 0 })));
    const [, , vd] = await t.store.commit([
      { key: "node/x/gone", value: b(5), expectedVersion: 0 },
      {
        key: "node/x/channel/1",
        value: b(2),
        expectedVersion: (await t.store.get(keys[0]!))!.version,
      },
      { key: "node/x/meta", value: b(3), expectedVersion: (await t.store.get(keys[2]!))!.version },
    ]);
    await t.store.commit([
      {
        key: "node/x/gone",
        value: null,
        expectedVersion: (await t.store.get("node/x/gone"))!.version,
      },
    ]);
    assert.ok(vd! > 0);
    // The SQLite disk is lost: its provider is replaced by an empty one.
    for (const key of await t.sqlite.inner.list("")) await rollBack(t.sqlite.inner, key, null);
    const entries = await t.store.scan("node/x/");
    assert.deepEqual(
      entries.map((e) => [e.key, [...e.value]]),
      [
        ["node/x/channel/1", [2]],
        ["node/x/channel/2", [1]],
        ["node/x/meta", [3]],
      ],
    );
    assert.ok(t.faults.length >= 3 && t.faults.every((f) => f.provider === "sqlite" && f.repaired));
    // Every record (and the deletion tombstone) is back on the new disk.
    const synced = await t.sqlite.inner.list("node/x/");
    assert.deepEqual(synced, await t.memory.inner.list("node/x/"));
    assert.ok(synced.includes("node/x/gone"), "the tombstone of the deleted key is replicated");
    assert.deepEqual(
      await t.store.list("node/x/"),
      entries.map((e) => e.key),
    );
  } finally {
    await t.store.close();
  }
});

test("replicated: a commit that reaches only one provider fails and is rolled back there", async () => {
  const t = await trio();
  try {
    const [v1] = await t.store.commit([{ key: "chan", value: b(1), expectedVersion: 0 }]);
    const before = await rawOf(t.sqlite, "chan");
    // The reads succeed, then two providers fail their commit.
    const failing = (s: Unpluggable): void => {
      const real = s.inner.commit.bind(s.inner);
      s.inner.commit = async () => {
        s.inner.commit = real;
        throw new Error("disk full");
      };
    };
    failing(t.memory);
    failing(t.postgres);
    await assert.rejects(
      t.store.commit([{ key: "chan", value: b(2), expectedVersion: v1! }]),
      isNoQuorum,
    );
    assert.deepEqual(await rawOf(t.sqlite, "chan"), before);
    assert.deepEqual(await t.store.get("chan"), { value: b(1), version: v1 });
  } finally {
    await t.store.close();
  }
});

test("replicated: conflicts are judged against the quorum's version", async () => {
  const t = await trio();
  try {
    const [v1] = await t.store.commit([{ key: "k", value: b(1), expectedVersion: 0 }]);
    await t.store.commit([{ key: "k", value: b(2), expectedVersion: v1! }]);
    await assert.rejects(
      t.store.commit([{ key: "k", value: b(3), expectedVersion: v1! }]),
      StoreConflictError,
    );
    await assert.rejects(t.store.get("#replicated/last-version"), { code: "store/invalid-write" });
    assert.deepEqual(await t.store.list(""), ["k"]);
  } finally {
    await t.store.close();
  }
});

test("replicated: versions keep growing across a reopen over the same providers", async () => {
  const dir = join(root, "reopen");
  const open = (): { store: ReplicatedStore; providers: Store[] } => {
    const providers = [0, 1, 2].map((i) => SqliteStore.openInDataDir(join(dir, `p${i}`)));
    return {
      store: new ReplicatedStore(
        providers.map((store, i) => ({ name: `p${i}`, store })),
        { macKey },
      ),
      providers,
    };
  };
  const first = open();
  const [v1] = await first.store.commit([{ key: "a", value: b(1), expectedVersion: 0 }]);
  await first.store.commit([{ key: "a", value: null, expectedVersion: v1! }]);
  await first.store.close();
  const second = open();
  const [v2] = await second.store.commit([{ key: "a", value: b(2), expectedVersion: 0 }]);
  assert.ok(v2! > v1! + 1, "above the deletion's tombstone too");
  await second.store.close();
});

test("replicated: the PostgreSQL server stops — reported gone, SQLite and memory carry on", async () => {
  const t = await trio();
  try {
    const [v1] = await t.store.commit([{ key: "chan", value: b(1), expectedVersion: 0 }]);
    await cluster!.stop();
    cluster = undefined;
    const [v2] = await t.store.commit([{ key: "chan", value: b(2), expectedVersion: v1! }]);
    assert.deepEqual(await t.store.get("chan"), { value: b(2), version: v2 });
    assert.equal(t.store.health()[2]!.status, "gone");
    assert.ok(t.faults.some((f) => f.provider === "postgres" && f.kind === "gone"));
  } finally {
    await t.store.close();
  }
});
