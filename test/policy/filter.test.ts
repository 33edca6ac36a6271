import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DEFAULT_POLICY_CONFIG, policyConfig } from "../../src/policy/config.js";
import { PolicyConfigError } from "../../src/policy/errors.js";
import {
  EMPTY_POLICY_FILTER,
  isDemoted,
  parsePolicyFilter,
  severityOf,
} from "../../src/policy/filter.js";
import { RULE_IDS, RULES, type OptionalRuleId } from "../../src/policy/rule-ids.js";

function rejects(entries: string[], pattern: RegExp): void {
  assert.throws(
    () => parsePolicyFilter(entries),
    (e: unknown) =>
      e instanceof PolicyConfigError && e.code === "policy/filter" && pattern.test(e.message),
  );
}

test("exact ids and prefixes demote demotable rules", () => {
  const f = parsePolicyFilter(["policy-commitment-fee-range", "policy-routing-*"]);
  const cfg = DEFAULT_POLICY_CONFIG;
  assert.equal(severityOf("policy-commitment-fee-range", f, cfg), "warn");
  assert.equal(severityOf("policy-routing-balanced", f, cfg), "warn");
  assert.equal(severityOf("policy-routing-cltv-delta", f, cfg), "warn");
  assert.equal(severityOf("policy-mutual-fee-range", f, cfg), "error");
  assert.equal(severityOf("policy-commitment-version", f, cfg), "error");
});

test("a prefix silently skips non-demotable rules", () => {
  const f = parsePolicyFilter(["policy-commitment-*"]);
  assert.equal(severityOf("policy-commitment-fee-range", f, DEFAULT_POLICY_CONFIG), "warn");
  assert.equal(severityOf("policy-commitment-version", f, DEFAULT_POLICY_CONFIG), "error");
  assert.equal(severityOf("policy-commitment-retry-same", f, DEFAULT_POLICY_CONFIG), "error");
  assert.equal(severityOf("policy-commitment-anchor-amount", f, DEFAULT_POLICY_CONFIG), "error");
});

test("rejects unknown ids, non-demotable exact ids, useless prefixes, bad syntax", () => {
  rejects(["policy-no-such-rule"], /matches no rule/);
  rejects(["policy-nope-*"], /matches no rule/);
  rejects(["policy-commitment-version"], /cannot be demoted/);
  rejects(["policy-revocation-secret-matches"], /cannot be demoted/);
  rejects(["policy-htlc-version*"], /only rules that cannot be demoted/);
  rejects(["policy-sweep-*", "policy-sweep-locktime"], /cannot be demoted/);
  rejects(["*"], /malformed/);
  rejects(["policy-*-range"], /malformed/);
  rejects([""], /malformed/);
  rejects([" policy-funding-max"], /malformed/);
});

test("parsed filters are frozen and de-duplicated", () => {
  const f = parsePolicyFilter(["policy-funding-max", "policy-funding-max"]);
  assert.deepEqual(f.demote, ["policy-funding-max"]);
  assert.ok(Object.isFrozen(f) && Object.isFrozen(f.demote));
  assert.deepEqual(parsePolicyFilter([]).demote, []);
});

test("a hand-built filter still cannot demote a non-demotable rule", () => {
  const forged = { demote: ["policy-commitment-version", "policy-*"] };
  for (const id of RULE_IDS) {
    assert.equal(isDemoted(id, forged), RULES[id].demotable, id);
    if (!RULES[id].demotable) assert.equal(severityOf(id, forged, DEFAULT_POLICY_CONFIG), "error");
  }
});

test("optional rules are off unless enabled, then follow default severity and filter", () => {
  const off = DEFAULT_POLICY_CONFIG;
  const on = policyConfig({
    optionalRules: { "policy-no-routing": true, "policy-ecdh-rate": false },
  });
  assert.equal(severityOf("policy-no-routing", EMPTY_POLICY_FILTER, off), "off");
  assert.equal(severityOf("policy-no-routing", EMPTY_POLICY_FILTER, on), "error");
  assert.equal(
    severityOf("policy-no-routing", parsePolicyFilter(["policy-no-routing"]), on),
    "warn",
  );
  assert.equal(severityOf("policy-ecdh-rate", EMPTY_POLICY_FILTER, off), "warn");
  assert.equal(severityOf("policy-ecdh-rate", EMPTY_POLICY_FILTER, on), "off");
});

test("property: a parsed prefix demotes exactly the demotable ids it prefixes", () => {
  const demotable = RULE_IDS.filter((id) => RULES[id].demotable);
  fc.assert(
    fc.property(fc.constantFrom(...demotable), fc.integer({ min: 8, max: 60 }), (id, cut) => {
      const prefix = id.slice(0, Math.min(cut, id.length));
      const f = parsePolicyFilter([`${prefix}*`]);
      for (const other of RULE_IDS) {
        const demoted = other.startsWith(prefix) && RULES[other].demotable;
        assert.equal(isDemoted(other, f), demoted, other);
        const off =
          RULES[other].optional && !DEFAULT_POLICY_CONFIG.optionalRules[other as OptionalRuleId];
        const expected = off ? "off" : demoted ? "warn" : RULES[other].defaultSeverity;
        assert.equal(severityOf(other, f, DEFAULT_POLICY_CONFIG), expected, other);
      }
    }),
    { numRuns: 100 },
  );
});
