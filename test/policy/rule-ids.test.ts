import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  OPTIONAL_RULE_IDS,
  RULE_IDS,
  RULES,
  isOptionalRuleId,
  isRuleId,
  type RuleId,
} from "../../src/policy/rule-ids.js";

// dist/test/policy/ → repo root; the catalogue lives next to the repo in ../shared/docs.
const root = new URL("../../../", import.meta.url);
const doc = readFileSync(new URL("../shared/docs/policy-rules.md", root), "utf8");

interface DocRow {
  ids: string[];
  section: string;
  text: string;
}

/** Table rows of the catalogue: first cell split on commas, markers like **(new)** removed. */
function parseCatalogue(md: string): DocRow[] {
  const rows: DocRow[] = [];
  let section = "";
  for (const line of md.split("\n")) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      section = heading[1]!.replace(/\s*(\(|\*\*).*$/, "").trim();
      continue;
    }
    if (!line.startsWith("|")) continue;
    const cells = line.split("|").map((c) => c.trim());
    const first = cells[1] ?? "";
    if (!first.startsWith("policy-")) continue;
    const ids = first
      .replace(/\*\*[^*]*\*\*/g, "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    rows.push({ ids, section, text: line });
  }
  return rows;
}

const rows = parseCatalogue(doc);
const docIds = rows.flatMap((r) => r.ids);

test("the catalogue parses into well-formed, unique ids", () => {
  assert.ok(docIds.length >= 90, `parsed only ${docIds.length} ids`);
  for (const id of docIds) assert.match(id, /^policy-[a-z0-9]+(?:-[a-z0-9]+)*$/);
  assert.equal(new Set(docIds).size, docIds.length, "an id appears twice in the catalogue");
});

test("RULE_IDS equals the set of ids in policy-rules.md exactly", () => {
  const missing = docIds.filter((id) => !isRuleId(id));
  const extra = RULE_IDS.filter((id) => !docIds.includes(id));
  assert.deepEqual(missing, [], "ids in the doc but not in RULE_IDS");
  assert.deepEqual(extra, [], "ids in RULE_IDS but not in the doc");
  assert.equal(new Set(RULE_IDS).size, RULE_IDS.length);
});

test("every rule sits in the section the catalogue puts it in", () => {
  for (const row of rows) {
    for (const id of row.ids) assert.equal(RULES[id as RuleId].section, row.section, id);
  }
});

test("rules the catalogue marks (optional) or (profile) are optional, and only those", () => {
  const marked = new Set(
    rows.filter((r) => /\((?:new, )?optional\)|\(profile\)/.test(r.text)).flatMap((r) => r.ids),
  );
  assert.deepEqual([...marked].sort(), [...OPTIONAL_RULE_IDS].sort());
  for (const id of RULE_IDS) assert.equal(RULES[id].optional, marked.has(id), id);
});

test("RULES is consistent: ids, kinds, demotability, severities", () => {
  assert.deepEqual(Object.keys(RULES).sort(), [...RULE_IDS].sort());
  for (const id of RULE_IDS) {
    const r = RULES[id];
    assert.equal(r.id, id);
    assert.equal(r.demotable, r.kind === "limit", id);
    assert.ok(r.summary.length > 0);
    assert.equal(r.defaultSeverity, id === "policy-ecdh-rate" ? "warn" : "error", id);
    assert.ok(Object.isFrozen(r));
  }
  assert.ok(Object.isFrozen(RULES));
});

test("format and state-machine rules named in the brief are not demotable", () => {
  const never: RuleId[] = [
    "policy-commitment-version",
    "policy-commitment-locktime",
    "policy-commitment-sequence",
    "policy-commitment-input-single",
    "policy-commitment-input-match-funding",
    "policy-commitment-no-unrecognized-outputs",
    "policy-commitment-singular-to-holder",
    "policy-commitment-singular-to-counterparty",
    "policy-commitment-to-self-delay-range",
    "policy-commitment-outputs-trimmed",
    "policy-htlc-version",
    "policy-htlc-locktime",
    "policy-htlc-sequence",
    "policy-htlc-other",
    "policy-htlc-to-self-delay",
    "policy-sweep-version",
    "policy-sweep-sequence",
    "policy-sweep-locktime",
    "policy-onchain-format-standard",
    "policy-onchain-output-scriptpubkey",
    "policy-revocation-secret-matches",
    "policy-revocation-shachain-consistent",
    "policy-commitment-retry-same",
    "policy-commitment-previous-revoked",
    "policy-commitment-holder-not-revoked",
    "policy-revoke-new-commitment-signed",
    "policy-revoke-new-commitment-valid",
    "policy-chain-headers-valid",
  ];
  for (const id of never) assert.equal(RULES[id].demotable, false, id);
  for (const id of RULE_IDS) {
    if (id.endsWith("-pubkey") || id.includes("-anchor"))
      assert.equal(RULES[id].demotable, false, id);
  }
  // Economic bounds stay demotable.
  for (const id of [
    "policy-commitment-fee-range",
    "policy-routing-fee-limit",
    "policy-funding-max",
  ] as const) {
    assert.equal(RULES[id].demotable, true, id);
  }
});

test("isRuleId / isOptionalRuleId", () => {
  assert.equal(isRuleId("policy-commitment-version"), true);
  assert.equal(isRuleId("policy-commitment-versio"), false);
  assert.equal(isRuleId("toString"), false);
  assert.equal(isOptionalRuleId("policy-ecdh-rate"), true);
  assert.equal(isOptionalRuleId("policy-commitment-version"), false);
});
