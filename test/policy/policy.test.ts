import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { policyConfig } from "../../src/policy/config.js";
import { PolicyError } from "../../src/policy/errors.js";
import { WardenError } from "../../src/errors.js";
import { parsePolicyFilter } from "../../src/policy/filter.js";
import { Checker, Policy, WarningCounter, type PolicyLogger } from "../../src/policy/policy.js";
import { RULE_IDS, RULES, type RuleId } from "../../src/policy/rule-ids.js";

function recordingLogger(): PolicyLogger & { lines: [RuleId, string][] } {
  const lines: [RuleId, string][] = [];
  return { lines, warn: (id, msg) => void lines.push([id, msg]) };
}

test("Checker records failures in order, returns the condition, evaluates lazy messages only on failure", () => {
  const c = new Checker();
  let evaluated = 0;
  const lazy = () => {
    evaluated++;
    return "lazy";
  };
  assert.equal(c.check(true, "policy-funding-max", lazy), true);
  assert.equal(evaluated, 0);
  assert.equal(c.check(false, "policy-funding-max", lazy), false);
  assert.equal(evaluated, 1);
  c.fail("policy-commitment-version", () => "version 3");
  c.fail("policy-mutual-fee-range", "too high");
  assert.deepEqual(c.violations, [
    { ruleId: "policy-funding-max", message: "lazy" },
    { ruleId: "policy-commitment-version", message: "version 3" },
    { ruleId: "policy-mutual-fee-range", message: "too high" },
  ]);
  // The returned list is a copy.
  (c.violations as unknown[]).length = 0;
  assert.equal(c.violations.length, 3);
});

test("an error-level violation throws PolicyError naming the first; nothing counted or logged", () => {
  const log = recordingLogger();
  const policy = new Policy({
    filter: parsePolicyFilter(["policy-mutual-fee-range"]),
    logger: log,
  });
  const c = policy.checker();
  c.fail("policy-mutual-fee-range", "fee 9 sat/kw is below 253"); // warn
  c.fail("policy-commitment-version", "version 3 is not 2"); // error
  c.fail("policy-funding-max", "too big"); // error
  assert.throws(
    () => policy.settle(c),
    (e: unknown) => {
      assert.ok(e instanceof PolicyError && e instanceof WardenError);
      assert.equal(e.code, "policy-commitment-version");
      assert.equal(e.ruleId, "policy-commitment-version");
      assert.match(e.message, /^policy-commitment-version: version 3 is not 2 \(\+1 more\)$/);
      assert.deepEqual(
        e.violations.map((v) => v.ruleId),
        ["policy-commitment-version", "policy-funding-max"],
      );
      return true;
    },
  );
  assert.deepEqual(policy.warnings(), {});
  assert.deepEqual(log.lines, []);
});

test("warnings only: signed, each counted per rule and logged once", () => {
  const log = recordingLogger();
  const policy = new Policy({
    filter: parsePolicyFilter(["policy-mutual-fee-range", "policy-funding-max"]),
    logger: log,
  });
  for (let i = 0; i < 2; i++) {
    const c = policy.checker();
    c.fail("policy-mutual-fee-range", `fee ${i}`);
    if (i === 1) c.fail("policy-funding-max", "big");
    const warned = policy.settle(c);
    assert.equal(warned.length, i + 1);
  }
  assert.deepEqual(policy.warnings(), { "policy-mutual-fee-range": 2, "policy-funding-max": 1 });
  assert.deepEqual(log.lines, [
    ["policy-mutual-fee-range", "fee 0"],
    ["policy-mutual-fee-range", "fee 1"],
    ["policy-funding-max", "big"],
  ]);
  // The snapshot is a copy.
  policy.warnings()["policy-funding-max"] = 99;
  assert.equal(policy.warnings()["policy-funding-max"], 1);
});

test("judge records nothing until record(); record is idempotent", () => {
  const log = recordingLogger();
  const policy = new Policy({ filter: parsePolicyFilter(["policy-funding-max"]), logger: log });
  const c = policy.checker();
  c.fail("policy-funding-max", "big");
  const verdict = policy.judge(c);
  assert.deepEqual(
    verdict.warnings.map((w) => w.ruleId),
    ["policy-funding-max"],
  );
  assert.deepEqual(policy.warnings(), {});
  verdict.record();
  verdict.record();
  assert.deepEqual(policy.warnings(), { "policy-funding-max": 1 });
  assert.equal(log.lines.length, 1);
});

test("disabled optional rules are ignored; default-warn rules warn", () => {
  const policy = new Policy({ config: policyConfig({}) });
  const c = policy.checker();
  c.fail("policy-no-routing", "forwarded");
  c.fail("policy-ecdh-rate", "300 ECDH/s");
  const v = policy.judge(c);
  assert.deepEqual(
    v.ignored.map((x) => x.ruleId),
    ["policy-no-routing"],
  );
  assert.deepEqual(
    v.warnings.map((x) => x.ruleId),
    ["policy-ecdh-rate"],
  );
  assert.equal(policy.isEnabled("policy-no-routing"), false);
  const strict = new Policy({
    config: policyConfig({ optionalRules: { "policy-no-routing": true } }),
  });
  const c2 = strict.checker();
  c2.fail("policy-no-routing", "forwarded");
  assert.throws(() => strict.settle(c2), { code: "policy-no-routing" });
});

test("an empty checker settles with no warnings", () => {
  const policy = new Policy();
  assert.deepEqual(policy.settle(policy.checker()), []);
  assert.deepEqual(policy.warnings(), {});
});

test("PolicyError needs a violation and freezes its list", () => {
  assert.throws(() => new PolicyError([]), TypeError);
  const e = new PolicyError([{ ruleId: "policy-funding-max", message: "m" }]);
  assert.equal(e.message, "policy-funding-max: m");
  assert.ok(Object.isFrozen(e.violations));
});

test("WarningCounter counts per id", () => {
  const w = new WarningCounter();
  w.increment("policy-funding-max");
  w.increment("policy-funding-max");
  assert.deepEqual(w.snapshot(), { "policy-funding-max": 2 });
});

test("property: settle throws iff some violation is error-level; counts match warnings otherwise", () => {
  const demotable = RULE_IDS.filter((id) => RULES[id].demotable && !RULES[id].optional);
  const nonDemotable = RULE_IDS.filter((id) => !RULES[id].demotable);
  fc.assert(
    fc.property(
      fc.subarray(demotable, { minLength: 0, maxLength: 10 }),
      fc.array(fc.constantFrom(...demotable, ...nonDemotable), { maxLength: 12 }),
      (demoted, fired) => {
        const policy = new Policy({ filter: parsePolicyFilter(demoted) });
        const c = policy.checker();
        for (const id of fired) c.fail(id, "x");
        const errors = fired.filter((id) => !demoted.includes(id));
        if (errors.length > 0) {
          assert.throws(
            () => policy.settle(c),
            (e: unknown) => {
              assert.ok(e instanceof PolicyError);
              assert.deepEqual(
                e.violations.map((v) => v.ruleId),
                errors,
              );
              return true;
            },
          );
          assert.deepEqual(policy.warnings(), {});
        } else {
          policy.settle(c);
          const expected: Record<string, number> = {};
          for (const id of fired) expected[id] = (expected[id] ?? 0) + 1;
          assert.deepEqual(policy.warnings(), expected);
        }
      },
    ),
    { numRuns: 200 },
  );
});
