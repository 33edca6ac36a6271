import assert from "node:assert/strict";
import { test } from "node:test";
import { RULE_IDS, RULES } from "../../src/policy/rule-ids.js";
import { ALL_RULE_CASES, COVERED_SECTIONS, caseName } from "./rules-cases.js";

test("every rule of Channel opening, Commitment, Revocation and Mutual close has a negative test", () => {
  const sections: readonly string[] = COVERED_SECTIONS;
  const tested = new Set(ALL_RULE_CASES.map((rc) => rc.id));
  const missing = RULE_IDS.filter((id) => sections.includes(RULES[id].section) && !tested.has(id));
  assert.deepEqual(missing, []);
});

test("every negative test is named by its rule id and belongs to a covered section", () => {
  const sections: readonly string[] = COVERED_SECTIONS;
  const names = new Set<string>();
  for (const rc of ALL_RULE_CASES) {
    assert.ok(caseName(rc).startsWith(`${rc.id}: `));
    assert.ok(sections.includes(RULES[rc.id].section), `${rc.id} is not in a covered section`);
    assert.ok(!names.has(caseName(rc)), `duplicate test name ${caseName(rc)}`);
    names.add(caseName(rc));
  }
});
