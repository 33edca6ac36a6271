/**
 * MemoryStore: the Store contract (conformance.ts, with a longer model run: it is cheap here)
 * and what only the memory store has, failNextCommit (crash and lost-reply injection for tests).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../../src/store/memory-store.js";
import { storeConformance } from "./conformance.js";

storeConformance("memory", async () => new MemoryStore(), { modelRuns: 300 });

const b = (...xs: number[]) => Uint8Array.from(xs);

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
