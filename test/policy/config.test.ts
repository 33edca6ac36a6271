import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_POLICY_CONFIG,
  policyConfig,
  sweepMaxFeeSat,
  sweepMaxFeeratePerKw,
  type PolicyConfigOverrides,
} from "../../src/policy/config.js";
import { PolicyConfigError } from "../../src/policy/errors.js";

function rejects(overrides: unknown, pattern: RegExp): void {
  assert.throws(
    () => policyConfig(overrides as PolicyConfigOverrides),
    (e: unknown) =>
      e instanceof PolicyConfigError && e.code === "policy/config" && pattern.test(e.message),
  );
}

test("defaults are mainnet-sane and valid", () => {
  const c = policyConfig();
  assert.deepEqual(c, DEFAULT_POLICY_CONFIG);
  assert.equal(c.network, "bitcoin");
  assert.equal(c.minFeeratePerKw, 253);
  assert.equal(c.maxHtlcCount, 483);
  assert.equal(c.minCounterpartyToSelfDelayBlocks, 144);
  assert.equal(c.maxCounterpartyToSelfDelayBlocks, 2016);
  assert.ok(c.minFeeratePerKw < c.maxFeeratePerKw);
  assert.equal(c.optionalRules["policy-ecdh-rate"], true);
  assert.equal(c.optionalRules["policy-no-routing"], false);
  assert.ok(Object.isFrozen(c));
});

test("overrides apply; optionalRules merge key by key; allowlist normalised", () => {
  const c = policyConfig({
    network: "regtest",
    maxFundingSat: 5n,
    optionalRules: { "policy-no-routing": true },
    allowlist: [
      "0014AABBccddeeff00112233445566778899aabbccdd",
      "0014aabbccddeeff00112233445566778899aabbccdd",
    ],
  });
  assert.equal(c.network, "regtest");
  assert.equal(c.maxFundingSat, 5n);
  assert.equal(c.optionalRules["policy-no-routing"], true);
  assert.equal(c.optionalRules["policy-ecdh-rate"], true);
  assert.deepEqual(c.allowlist, ["0014aabbccddeeff00112233445566778899aabbccdd"]);
  assert.equal(
    policyConfig({ maxFundingSat: undefined }).maxFundingSat,
    DEFAULT_POLICY_CONFIG.maxFundingSat,
  );
});

test("nonsense is refused with a typed error", () => {
  rejects({ minFeeratePerKw: 1000, maxFeeratePerKw: 999 }, /minFeeratePerKw must not exceed/);
  rejects({ minHolderToSelfDelayBlocks: 3000 }, /minHolderToSelfDelayBlocks must not exceed/);
  rejects({ maxCounterpartyToSelfDelayBlocks: 70_000 }, /maxCounterpartyToSelfDelayBlocks/);
  rejects({ minSweepFeeratePerKw: 30_000 }, /minSweepFeeratePerKw/);
  rejects({ maxMutualFeeratePerKw: 1 }, /minMutualFeeratePerKw/);
  rejects({ maxHtlcCount: 484 }, /maxHtlcCount/);
  rejects({ maxHtlcCount: 1.5 }, /maxHtlcCount/);
  rejects({ maxFundingSat: -1n }, /maxFundingSat/);
  rejects({ maxFundingSat: 100 }, /maxFundingSat/);
  rejects({ network: "mainnet" }, /network/);
  rejects({ maxFeeRatePerKw: 5 }, /unknown setting/);
  rejects({ optionalRules: { "policy-commitment-version": true } }, /not an optional rule/);
  rejects({ allowlist: ["xyz"] }, /allowlist/);
  rejects({ sweepUrgencyHorizonBlocks: 0 }, /sweepUrgencyHorizonBlocks/);
});

test("sweep fee-rate cap: normal far from the deadline, widening, unbounded at it", () => {
  const c = DEFAULT_POLICY_CONFIG;
  assert.equal(sweepMaxFeeratePerKw(c, 1000), c.maxSweepFeeratePerKw);
  assert.equal(sweepMaxFeeratePerKw(c, 144), c.maxSweepFeeratePerKw);
  assert.equal(sweepMaxFeeratePerKw(c, 72), 2 * c.maxSweepFeeratePerKw);
  assert.equal(sweepMaxFeeratePerKw(c, 1), 144 * c.maxSweepFeeratePerKw);
  assert.equal(sweepMaxFeeratePerKw(c, 0), undefined);
  assert.equal(sweepMaxFeeratePerKw(c, -5), undefined);
  assert.equal(sweepMaxFeeratePerKw(c, Infinity), c.maxSweepFeeratePerKw);
});

test("property: the sweep cap never shrinks as the deadline nears", () => {
  fc.assert(
    fc.property(fc.integer({ min: -10, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (b, d) => {
      const near = sweepMaxFeeratePerKw(DEFAULT_POLICY_CONFIG, b);
      const far = sweepMaxFeeratePerKw(DEFAULT_POLICY_CONFIG, b + d);
      // undefined = unbounded, so it may only appear on the nearer side.
      if (far === undefined) assert.equal(near, undefined);
      else assert.ok(near === undefined || near >= far);
      assert.equal(far === undefined, b + d <= 0);
      if (far !== undefined) assert.ok(far >= DEFAULT_POLICY_CONFIG.minSweepFeeratePerKw);
    }),
    { numRuns: 300 },
  );
});

test("sweep absolute cap: rate × weight rounded up, never above the value; all of it at the deadline", () => {
  const c = DEFAULT_POLICY_CONFIG;
  assert.equal(sweepMaxFeeSat(c, 500, 441, 1_000_000n), 11_025n);
  assert.equal(sweepMaxFeeSat(c, 500, 1, 1_000_000n), 25n);
  assert.equal(sweepMaxFeeSat(c, 1, 441, 100_000n), 100_000n);
  assert.equal(sweepMaxFeeSat(c, 0, 441, 123_456n), 123_456n);
});
