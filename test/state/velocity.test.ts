import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DEFAULT_POLICY_CONFIG, policyConfig } from "../../src/policy/config.js";
import { PolicyConfigError } from "../../src/policy/errors.js";
import {
  EMPTY_VELOCITY_STATE,
  VELOCITY_BUCKETS,
  type VelocityLimits,
  VelocityTracker,
  velocityCheck,
  velocityLimits,
  velocityRecord,
  velocityUsed,
} from "../../src/state/velocity.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { StoreConflictError } from "../../src/store/store.js";

const HOUR = 3_600_000;
const LIMITS: VelocityLimits = velocityLimits(
  policyConfig({ velocityL1FeesLimitSat: 1000n, velocityL1FeesWindowMs: 24 * HOUR }),
);
const T0 = 1_700_000_000_000;

test("velocity defaults: one day windows, limits as documented", () => {
  const l = velocityLimits(DEFAULT_POLICY_CONFIG);
  for (const k of ["payments", "transferred", "funding", "l1-fees"] as const) {
    assert.equal(l[k].windowMs, 24 * HOUR);
    assert.ok(l[k].limit > 0n);
  }
  assert.equal(l.funding.limit, 500_000_000n);
});

test("velocity config: windows must be positive, limits non-negative, fee bounds ordered", () => {
  assert.throws(() => policyConfig({ velocityFundingWindowMs: 0 }), PolicyConfigError);
  assert.throws(() => policyConfig({ velocityPaymentsLimitMsat: -1n }), PolicyConfigError);
  assert.throws(
    () => policyConfig({ minOnchainFeeratePerKw: 10_000, maxOnchainFeeratePerKw: 253 }),
    PolicyConfigError,
  );
  assert.throws(() => policyConfig({ maxOnchainFeeSat: -5n }), PolicyConfigError);
});

test("velocity: the check is pure; recording adds; the limit is inclusive", () => {
  const s0 = EMPTY_VELOCITY_STATE;
  assert.equal(velocityCheck(s0, LIMITS, "l1-fees", 1000n, T0).ok, true);
  assert.equal(velocityCheck(s0, LIMITS, "l1-fees", 1001n, T0).ok, false);
  assert.equal(s0["l1-fees"].length, 0);
  const s1 = velocityRecord(s0, LIMITS, "l1-fees", 600n, T0);
  assert.equal(velocityUsed(s1, LIMITS, "l1-fees", T0), 600n);
  assert.deepEqual(velocityCheck(s1, LIMITS, "l1-fees", 400n, T0 + 1), {
    ok: true,
    used: 600n,
    limit: 1000n,
    windowMs: 24 * HOUR,
  });
  assert.equal(velocityCheck(s1, LIMITS, "l1-fees", 401n, T0 + 1).ok, false);
  assert.equal(velocityUsed(s1, LIMITS, "funding", T0), 0n, "kinds are independent");
});

test("velocity: an amount counts for the whole window and is gone one bucket after it", () => {
  const width = (24 * HOUR) / VELOCITY_BUCKETS;
  const s = velocityRecord(EMPTY_VELOCITY_STATE, LIMITS, "l1-fees", 700n, T0);
  assert.equal(velocityUsed(s, LIMITS, "l1-fees", T0 + 24 * HOUR - 1), 700n);
  assert.equal(velocityUsed(s, LIMITS, "l1-fees", T0 + 24 * HOUR + width), 0n);
  const pruned = velocityRecord(s, LIMITS, "l1-fees", 1n, T0 + 24 * HOUR + width);
  assert.equal(pruned["l1-fees"].length, 1);
});

test("velocity property: used(now) lies between the exact sliding sums over window and window+bucket", () => {
  const window = 24 * HOUR;
  const width = window / VELOCITY_BUCKETS;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * HOUR }), fc.bigInt({ min: 0n, max: 500n })), {
        maxLength: 40,
      }),
      fc.integer({ min: 0, max: 2 * window }),
      (steps, lookAhead) => {
        let now = T0;
        let s = EMPTY_VELOCITY_STATE;
        const log: [number, bigint][] = [];
        for (const [dt, amount] of steps) {
          now += dt;
          s = velocityRecord(s, LIMITS, "l1-fees", amount, now);
          log.push([now, amount]);
        }
        const at = now + lookAhead;
        const used = velocityUsed(s, LIMITS, "l1-fees", at);
        const sumSince = (from: number): bigint =>
          log.filter(([t]) => t > from).reduce((a, [, v]) => a + v, 0n);
        assert.ok(used >= sumSince(at - window), "never under-counts the window");
        assert.ok(used <= sumSince(at - window - width), "forgets after window + one bucket");
      },
    ),
    { numRuns: 200 },
  );
});

test("velocity tracker: persisted through the Store; refresh sees others; a stale write conflicts", async () => {
  const store = new MemoryStore();
  const a = await VelocityTracker.open(store, "v", LIMITS);
  const b = await VelocityTracker.open(store, "v", LIMITS);
  const p = a.plan([{ kind: "l1-fees", amount: 300n }], T0);
  const [version] = await store.commit([p.write]);
  a.committed(p.next, version!);
  assert.equal(a.check("l1-fees", 0n, T0).used, 300n);
  const stale = b.plan([{ kind: "l1-fees", amount: 1n }], T0);
  await assert.rejects(store.commit([stale.write]), StoreConflictError);
  await b.refresh();
  assert.equal(b.check("l1-fees", 0n, T0).used, 300n);
  const reopened = await VelocityTracker.open(store, "v", LIMITS);
  assert.equal(reopened.check("l1-fees", 700n, T0).ok, true);
  assert.equal(reopened.check("l1-fees", 701n, T0).ok, false);
});

test("velocity: a bad clock or amount is refused", () => {
  assert.throws(() => velocityUsed(EMPTY_VELOCITY_STATE, LIMITS, "funding", Number.NaN), {
    code: "state/velocity-clock",
  });
  assert.throws(() => velocityCheck(EMPTY_VELOCITY_STATE, LIMITS, "funding", -1n, T0), {
    code: "state/velocity-amount",
  });
});
