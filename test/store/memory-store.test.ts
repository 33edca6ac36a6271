import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { MemoryStore } from "../../src/store/memory-store.js";
import { StoreConflictError, StoreError, type StoreWrite } from "../../src/store/store.js";
import { storeConformance } from "./conformance.js";

storeConformance("memory", async () => new MemoryStore());

const b = (...xs: number[]) => Uint8Array.from(xs);

test("create, read, update, delete with versions", async () => {
  const s = new MemoryStore();
  assert.equal(await s.get("a"), undefined);
  await s.commit([{ key: "a", value: b(1), expectedVersion: 0 }]);
  const v1 = await s.get("a");
  assert.deepEqual(v1?.value, b(1));
  assert.ok(v1 !== undefined && v1.version > 0);
  await s.commit([{ key: "a", value: b(2), expectedVersion: v1.version }]);
  const v2 = await s.get("a");
  assert.deepEqual(v2?.value, b(2));
  assert.ok(v2 !== undefined && v2.version !== v1.version);
  await s.commit([{ key: "a", value: null, expectedVersion: v2.version }]);
  assert.equal(await s.get("a"), undefined);
});

test("conflicts: stale version, creating an existing key, updating a missing one", async () => {
  const s = new MemoryStore();
  await s.commit([{ key: "a", value: b(1), expectedVersion: 0 }]);
  const v = (await s.get("a"))!.version;
  await s.commit([{ key: "a", value: b(2), expectedVersion: v }]);
  await assert.rejects(s.commit([{ key: "a", value: b(3), expectedVersion: v }]), (e: unknown) => {
    assert.ok(e instanceof StoreConflictError && e instanceof StoreError);
    assert.equal(e.code, "store/conflict");
    assert.equal(e.key, "a");
    assert.equal(e.expectedVersion, v);
    return true;
  });
  await assert.rejects(
    s.commit([{ key: "a", value: b(3), expectedVersion: 0 }]),
    StoreConflictError,
  );
  await assert.rejects(
    s.commit([{ key: "zz", value: b(3), expectedVersion: 7 }]),
    StoreConflictError,
  );
  await assert.rejects(
    s.commit([{ key: "zz", value: null, expectedVersion: 7 }]),
    StoreConflictError,
  );
  assert.deepEqual((await s.get("a"))!.value, b(2));
});

test("no ABA: a deleted and re-created key never gets an old version back", async () => {
  const s = new MemoryStore();
  await s.commit([{ key: "k", value: b(1), expectedVersion: 0 }]);
  const old = (await s.get("k"))!.version;
  await s.commit([{ key: "k", value: null, expectedVersion: old }]);
  await s.commit([{ key: "k", value: b(9), expectedVersion: 0 }]);
  await assert.rejects(
    s.commit([{ key: "k", value: b(2), expectedVersion: old }]),
    StoreConflictError,
  );
});

test("atomicity: one conflicting write means nothing is written", async () => {
  const s = new MemoryStore();
  await s.commit([{ key: "x", value: b(1), expectedVersion: 0 }]);
  const vx = (await s.get("x"))!.version;
  await assert.rejects(
    s.commit([
      { key: "new", value: b(5), expectedVersion: 0 },
      { key: "x", value: null, expectedVersion: vx },
      { key: "x2", value: b(6), expectedVersion: 3 },
    ]),
    StoreConflictError,
  );
  assert.equal(await s.get("new"), undefined);
  assert.deepEqual(await s.get("x"), { value: b(1), version: vx });
  assert.deepEqual(await s.list(""), ["x"]);
});

test("invalid writes are refused before anything happens", async () => {
  const s = new MemoryStore();
  const bad: StoreWrite[][] = [
    [{ key: "", value: b(1), expectedVersion: 0 }],
    [{ key: "a", value: b(1), expectedVersion: -1 }],
    [{ key: "a", value: b(1), expectedVersion: 0.5 }],
    [
      { key: "a", value: b(1), expectedVersion: 0 },
      { key: "a", value: b(2), expectedVersion: 0 },
    ],
  ];
  for (const writes of bad) {
    await assert.rejects(s.commit(writes), { code: "store/invalid-write" });
  }
  assert.deepEqual(await s.list(""), []);
  await s.commit([]); // an empty commit is a no-op
});

test("copy isolation in and out", async () => {
  const s = new MemoryStore();
  const input = b(1, 2, 3);
  await s.commit([{ key: "a", value: input, expectedVersion: 0 }]);
  input[0] = 99;
  const out = (await s.get("a"))!;
  assert.deepEqual(out.value, b(1, 2, 3));
  out.value[1] = 99;
  assert.deepEqual((await s.get("a"))!.value, b(1, 2, 3));
});

test("list returns sorted present keys with the prefix", async () => {
  const s = new MemoryStore();
  await s.commit(
    ["chan/2", "chan/10", "chan/1", "node/x", "cha"].map((key) => ({
      key,
      value: b(0),
      expectedVersion: 0,
    })),
  );
  assert.deepEqual(await s.list("chan/"), ["chan/1", "chan/10", "chan/2"]);
  assert.deepEqual(await s.list("cha"), ["cha", "chan/1", "chan/10", "chan/2"]);
  assert.deepEqual(await s.list("zzz"), []);
  assert.equal((await s.list("")).length, 5);
});

test("failNextCommit before-write: nothing written, next commit works", async () => {
  const s = new MemoryStore();
  const crash = new Error("simulated crash");
  s.failNextCommit(crash);
  await assert.rejects(
    s.commit([{ key: "a", value: b(1), expectedVersion: 0 }]),
    (e) => e === crash,
  );
  assert.equal(await s.get("a"), undefined);
  await s.commit([{ key: "a", value: b(1), expectedVersion: 0 }]);
  assert.deepEqual((await s.get("a"))!.value, b(1));
});

test("failNextCommit after-write: the state is written but the reply is lost", async () => {
  const s = new MemoryStore();
  const crash = new Error("lost reply");
  s.failNextCommit(crash, "after-write");
  await assert.rejects(
    s.commit([{ key: "a", value: b(1), expectedVersion: 0 }]),
    (e) => e === crash,
  );
  assert.deepEqual((await s.get("a"))!.value, b(1));
});

test("closed store rejects everything", async () => {
  const s = new MemoryStore();
  await s.close();
  await assert.rejects(s.get("a"), { code: "store/closed" });
  await assert.rejects(s.list(""), { code: "store/closed" });
  await assert.rejects(s.commit([]), { code: "store/closed" });
});

test("model: MemoryStore behaves like a Map with version checks", async () => {
  const keys = ["a", "b", "c", "ab"];
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("commit" as const),
      writes: fc.uniqueArray(
        fc.record({
          key: fc.constantFrom(...keys),
          value: fc.option(fc.uint8Array({ maxLength: 4 }), { nil: null }),
          stale: fc.boolean(),
        }),
        { selector: (w) => w.key, maxLength: 3 },
      ),
    }),
    fc.record({ kind: fc.constant("list" as const), prefix: fc.constantFrom("", "a", "b", "x") }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
      const s = new MemoryStore();
      const model = new Map<string, Uint8Array>();
      for (const o of ops) {
        if (o.kind === "list") {
          const expected = [...model.keys()].filter((k) => k.startsWith(o.prefix)).sort();
          assert.deepEqual(await s.list(o.prefix), expected);
          continue;
        }
        const writes: StoreWrite[] = [];
        let conflict = false;
        for (const w of o.writes) {
          const current = (await s.get(w.key))?.version ?? 0;
          conflict ||= w.stale;
          writes.push({
            key: w.key,
            value: w.value,
            expectedVersion: w.stale ? current + 1000 : current,
          });
        }
        if (conflict) {
          await assert.rejects(s.commit(writes), StoreConflictError);
        } else {
          await s.commit(writes);
          for (const w of o.writes) {
            if (w.value === null) model.delete(w.key);
            else model.set(w.key, w.value);
          }
        }
        for (const k of keys) assert.deepEqual((await s.get(k))?.value, model.get(k));
      }
    }),
    { numRuns: 150 },
  );
});
