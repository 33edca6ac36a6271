/**
 * Properties of the ReplicatedStore under random faults (three MemoryStore providers, so many
 * runs are cheap): with faults confined to one provider, every read returns the latest
 * committed value and every commit succeeds; with faults on two of the three, a read never
 * returns anything but the latest committed value — it returns that or refuses
 * (store/no-quorum). (Three faulty providers out of three are beyond any quorum: a rolled-back
 * majority with the newest copy unreachable is indistinguishable from the truth.)
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { MemoryStore } from "../../src/store/memory-store.js";
import { ReplicatedStore } from "../../src/store/replicated-store.js";
import { storeMacKey } from "../../src/store/seal.js";
import { StoreError } from "../../src/store/store.js";
import { rollBack, tamper, Unpluggable } from "./replica-faults.js";

const macKey = storeMacKey(randomBytes(32));
const KEYS = ["a", "b"] as const;

type Op =
  | { kind: "commit"; key: (typeof KEYS)[number]; value: Uint8Array | null }
  | { kind: "get"; key: (typeof KEYS)[number] }
  | { kind: "stale"; provider: number; key: (typeof KEYS)[number]; back: number }
  | { kind: "tamper"; provider: number; key: (typeof KEYS)[number] }
  | { kind: "unplug" | "plug"; provider: number };

function ops(providers: number[]): fc.Arbitrary<Op[]> {
  const key = fc.constantFrom(...KEYS);
  const provider = fc.constantFrom(...providers);
  return fc.array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant("commit" as const),
          key,
          value: fc.option(fc.uint8Array({ maxLength: 3 }), { nil: null }),
        }),
      },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("get" as const), key }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("stale" as const),
          provider,
          key,
          back: fc.nat(3),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("tamper" as const), provider, key }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constantFrom("unplug" as const, "plug" as const),
          provider,
        }),
      },
    ),
    { maxLength: 40 },
  );
}

/** Runs `ops`; `live`: every operation must succeed (faults confined to one provider). */
async function run(list: Op[], live: boolean): Promise<void> {
  const providers = [0, 1, 2].map(() => new Unpluggable(new MemoryStore()));
  const store = new ReplicatedStore(
    providers.map((store, i) => ({ name: `p${i}`, store })),
    { macKey },
  );
  const model = new Map<string, { value: Uint8Array; version: number }>();
  // Every sealed record ever written per key (what a rollback can restore), oldest first.
  const history = new Map<string, (Uint8Array | null)[]>(KEYS.map((k) => [k, [null]]));
  const noQuorum = (e: unknown) => e instanceof StoreError && e.code === "store/no-quorum";
  for (const op of list) {
    switch (op.kind) {
      case "commit": {
        const expectedVersion = model.get(op.key)?.version ?? 0;
        try {
          const [v] = await store.commit([{ key: op.key, value: op.value, expectedVersion }]);
          if (op.value === null) model.delete(op.key);
          else model.set(op.key, { value: op.value, version: v! });
          const healthy = providers.find((p) => !p.down)!;
          history.get(op.key)!.push((await healthy.inner.get(op.key))?.value ?? null);
        } catch (e) {
          assert.ok(!live && noQuorum(e), `commit failed: ${String(e)}`);
        }
        break;
      }
      case "get": {
        try {
          const got = await store.get(op.key);
          assert.deepEqual(got, model.get(op.key));
        } catch (e) {
          assert.ok(!live && noQuorum(e), `get failed: ${String(e)}`);
        }
        break;
      }
      case "stale": {
        const h = history.get(op.key)!;
        const old = h[Math.max(0, h.length - 2 - op.back)]!;
        await rollBack(providers[op.provider]!.inner, op.key, old);
        break;
      }
      case "tamper":
        if ((await providers[op.provider]!.inner.get(op.key)) !== undefined) {
          await tamper(providers[op.provider]!.inner, op.key);
        }
        break;
      case "unplug":
        providers[op.provider]!.down = true;
        break;
      case "plug":
        providers[op.provider]!.down = false;
        break;
    }
  }
  await store.close();
}

test("replicated model: faults on one provider never stop or fool the store", async () => {
  await fc.assert(
    fc.asyncProperty(ops([0]), (list) => run(list, true)),
    { numRuns: 150 },
  );
});

test("replicated model: faults on two providers — a read is the latest committed value or a refusal", async () => {
  await fc.assert(
    fc.asyncProperty(ops([0, 1]), (list) => run(list, false)),
    { numRuns: 250 },
  );
});
