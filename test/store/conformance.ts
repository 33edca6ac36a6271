/**
 * The Store contract as a reusable suite: every backend (memory, SQLite, PostgreSQL,
 * replicated) runs the same cases against a fresh, empty store from `make`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  StoreConflictError,
  StoreError,
  type Store,
  type StoreWrite,
} from "../../src/store/store.js";

const b = (...xs: number[]) => Uint8Array.from(xs);

/** Options of the suite. */
export interface ConformanceOptions {
  /** Runs of the model property (fewer for slow backends). */
  modelRuns?: number;
}

/** Registers the Store contract tests for backend `name`; each test gets a fresh store. */
export function storeConformance(
  name: string,
  make: () => Promise<Store>,
  opts: ConformanceOptions = {},
): void {
  const withStore = async (fn: (s: Store) => Promise<void>): Promise<void> => {
    const s = await make();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };

  test(`${name}: create, read, update, delete with versions`, () =>
    withStore(async (s) => {
      assert.equal(await s.get("a"), undefined);
      const [first] = await s.commit([{ key: "a", value: b(1), expectedVersion: 0 }]);
      const v1 = await s.get("a");
      assert.deepEqual(v1?.value, b(1));
      assert.ok(v1 !== undefined && v1.version > 0);
      assert.equal(first, v1.version);
      await s.commit([{ key: "a", value: b(2), expectedVersion: v1.version }]);
      const v2 = await s.get("a");
      assert.deepEqual(v2?.value, b(2));
      assert.ok(v2 !== undefined && v2.version > v1.version);
      assert.deepEqual(
        await s.commit([{ key: "a", value: null, expectedVersion: v2.version }]),
        [0],
      );
      assert.equal(await s.get("a"), undefined);
    }));

  test(`${name}: conflicts leave the value unchanged`, () =>
    withStore(async (s) => {
      await s.commit([{ key: "a", value: b(1), expectedVersion: 0 }]);
      const v = (await s.get("a"))!.version;
      await s.commit([{ key: "a", value: b(2), expectedVersion: v }]);
      await assert.rejects(
        s.commit([{ key: "a", value: b(3), expectedVersion: v }]),
        (e: unknown) => {
          assert.ok(e instanceof StoreConflictError && e instanceof StoreError);
          assert.equal(e.code, "store/conflict");
          assert.equal(e.key, "a");
          assert.equal(e.expectedVersion, v);
          return true;
        },
      );
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
      assert.equal(await s.get("zz"), undefined);
    }));

  test(`${name}: no ABA after delete and re-create`, () =>
    withStore(async (s) => {
      await s.commit([{ key: "k", value: b(1), expectedVersion: 0 }]);
      const old = (await s.get("k"))!.version;
      await s.commit([{ key: "k", value: null, expectedVersion: old }]);
      await s.commit([{ key: "k", value: b(9), expectedVersion: 0 }]);
      assert.ok((await s.get("k"))!.version > old);
      await assert.rejects(
        s.commit([{ key: "k", value: b(2), expectedVersion: old }]),
        StoreConflictError,
      );
    }));

  test(`${name}: one conflicting write means nothing is written`, () =>
    withStore(async (s) => {
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
      // Versions keep growing after a refused commit.
      const [next] = await s.commit([{ key: "y", value: b(2), expectedVersion: 0 }]);
      assert.ok(next! > vx);
    }));

  test(`${name}: multi-record commits get distinct increasing versions`, () =>
    withStore(async (s) => {
      const versions = await s.commit(
        ["p", "q", "r"].map((key) => ({ key, value: b(1), expectedVersion: 0 })),
      );
      assert.equal(new Set(versions).size, 3);
      for (const [i, key] of ["p", "q", "r"].entries()) {
        assert.equal((await s.get(key))!.version, versions[i]);
      }
    }));

  test(`${name}: invalid writes are refused before anything happens`, () =>
    withStore(async (s) => {
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
      assert.deepEqual(await s.commit([]), []);
    }));

  test(`${name}: copy isolation in and out, empty and large values`, () =>
    withStore(async (s) => {
      const input = b(1, 2, 3);
      const big = Uint8Array.from({ length: 100_000 }, (_, i) => i & 255);
      await s.commit([
        { key: "a", value: input, expectedVersion: 0 },
        { key: "empty", value: new Uint8Array(0), expectedVersion: 0 },
        { key: "big", value: big, expectedVersion: 0 },
      ]);
      input[0] = 99;
      const out = (await s.get("a"))!;
      assert.deepEqual(out.value, b(1, 2, 3));
      out.value[1] = 99;
      assert.deepEqual((await s.get("a"))!.value, b(1, 2, 3));
      assert.deepEqual((await s.get("empty"))!.value, new Uint8Array(0));
      assert.deepEqual((await s.get("big"))!.value, big);
    }));

  test(`${name}: list and scan return sorted present records with the prefix`, () =>
    withStore(async (s) => {
      await s.commit(
        ["chan/2", "chan/10", "chan/1", "node/x", "cha", "chan\u00e9"].map((key, i) => ({
          key,
          value: b(i),
          expectedVersion: 0,
        })),
      );
      assert.deepEqual(await s.list("chan/"), ["chan/1", "chan/10", "chan/2"]);
      assert.deepEqual(await s.list("cha"), ["cha", "chan/1", "chan/10", "chan/2", "chan\u00e9"]);
      assert.deepEqual(await s.list("zzz"), []);
      assert.equal((await s.list("")).length, 6);
      if (s.scan !== undefined) {
        const entries = await s.scan("chan/");
        assert.deepEqual(
          entries.map((e) => e.key),
          ["chan/1", "chan/10", "chan/2"],
        );
        for (const e of entries)
          assert.deepEqual(await s.get(e.key), { value: e.value, version: e.version });
        assert.deepEqual(await s.scan("zzz"), []);
      }
    }));

  test(`${name}: closed store rejects everything`, async () => {
    const s = await make();
    await s.close();
    await assert.rejects(s.get("a"), { code: "store/closed" });
    await assert.rejects(s.list(""), { code: "store/closed" });
    await assert.rejects(s.commit([]), { code: "store/closed" });
  });

  test(`${name}: model — behaves like a Map with version checks`, async () => {
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
      fc.asyncProperty(fc.array(op, { maxLength: 20 }), (ops) =>
        withStore(async (s) => {
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
      ),
      { numRuns: opts.modelRuns ?? 100 },
    );
  });
}
