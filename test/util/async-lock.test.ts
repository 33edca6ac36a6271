import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import fc from "fast-check";
import { KeyedMutex } from "../../src/util/async-lock.js";

test("same key: FIFO order and no overlap", async () => {
  const m = new KeyedMutex();
  const events: string[] = [];
  let inside = 0;
  const jobs = Array.from({ length: 20 }, (_, i) =>
    m.runExclusive("k", async () => {
      inside++;
      assert.equal(inside, 1, "two holders at once");
      events.push(`start ${i}`);
      if (i % 3 === 0) await tick();
      await Promise.resolve();
      events.push(`end ${i}`);
      inside--;
      return i;
    }),
  );
  assert.deepEqual(
    await Promise.all(jobs),
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.deepEqual(events, Array.from({ length: 20 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
  assert.equal(m.size, 0);
});

test("different keys run concurrently (1000 keys all inside at once)", async () => {
  const m = new KeyedMutex();
  const n = 1000;
  let inside = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const jobs = Array.from({ length: n }, (_, i) =>
    m.runExclusive(`key-${i}`, async () => {
      inside++;
      await gate;
      return i;
    }),
  );
  while (inside < n) await tick();
  assert.equal(inside, n);
  assert.equal(m.size, n);
  release();
  await Promise.all(jobs);
  assert.equal(m.size, 0);
});

test("a throwing holder releases the lock and its error propagates", async () => {
  const m = new KeyedMutex();
  const boom = new Error("boom");
  const order: string[] = [];
  const a = m.runExclusive("k", async () => {
    order.push("a");
    throw boom;
  });
  const b = m.runExclusive("k", () => {
    order.push("b sync throw");
    throw new TypeError("sync");
  });
  const c = m.runExclusive("k", () => {
    order.push("c");
    return 42;
  });
  await assert.rejects(a, (e) => e === boom);
  await assert.rejects(b, TypeError);
  assert.equal(await c, 42);
  assert.deepEqual(order, ["a", "b sync throw", "c"]);
  assert.equal(m.size, 0);
  assert.equal(m.isLocked("k"), false);
});

test("a holder arriving after a release still waits for the current holder", async () => {
  const m = new KeyedMutex();
  const gates = [0, 1].map(() => {
    let open!: () => void;
    const p = new Promise<void>((r) => (open = r));
    return { p, open };
  });
  const log: string[] = [];
  const a = m.runExclusive("k", async () => {
    log.push("a");
    await gates[0]!.p;
  });
  const b = m.runExclusive("k", async () => {
    log.push("b start");
    await gates[1]!.p;
    log.push("b end");
  });
  gates[0]!.open();
  await a;
  while (!log.includes("b start")) await tick();
  const c = m.runExclusive("k", () => void log.push("c"));
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(log, ["a", "b start"], "c ran while b held the lock");
  gates[1]!.open();
  await Promise.all([b, c]);
  assert.deepEqual(log, ["a", "b start", "b end", "c"]);
  assert.equal(m.size, 0);
});

test("isLocked while held and queued; idle after", async () => {
  const m = new KeyedMutex();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const first = m.runExclusive("k", () => gate);
  const second = m.runExclusive("k", () => "second");
  assert.equal(m.isLocked("k"), true);
  assert.equal(m.isLocked("other"), false);
  release();
  await first;
  assert.equal(await second, "second");
  assert.equal(m.isLocked("k"), false);
});

test("property: per-key FIFO and mutual exclusion for random schedules; map empties", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({ key: fc.constantFrom("a", "b", "c"), ticks: fc.nat(3), fail: fc.boolean() }),
        {
          maxLength: 40,
        },
      ),
      async (jobs) => {
        const m = new KeyedMutex();
        const started: Record<string, number[]> = {};
        const busy = new Set<string>();
        const runs = jobs.map((j, i) =>
          m.runExclusive(j.key, async () => {
            assert.ok(!busy.has(j.key));
            busy.add(j.key);
            (started[j.key] ??= []).push(i);
            for (let t = 0; t < j.ticks; t++) await tick();
            busy.delete(j.key);
            if (j.fail) throw new Error("x");
            return i;
          }),
        );
        const results = await Promise.allSettled(runs);
        results.forEach((r, i) => assert.equal(r.status, jobs[i]!.fail ? "rejected" : "fulfilled"));
        for (const key of Object.keys(started)) {
          const expected = jobs.flatMap((j, i) => (j.key === key ? [i] : []));
          assert.deepEqual(started[key], expected);
        }
        assert.equal(m.size, 0);
      },
    ),
    { numRuns: 100 },
  );
});
