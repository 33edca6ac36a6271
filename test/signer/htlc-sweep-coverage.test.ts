import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { RULE_IDS, RULES } from "../../src/policy/rule-ids.js";

const FILES = ["./htlc-tx.test.js", "./sweep.test.js"];

test("every rule of HTLC transactions and Sweeps is named by a negative test", () => {
  const text = FILES.map((f) => readFileSync(new URL(f, import.meta.url), "utf8")).join("\n");
  const missing = RULE_IDS.filter(
    (id) =>
      (RULES[id].section === "HTLC transactions" || RULES[id].section === "Sweeps") &&
      !text.includes(`${id}`),
  );
  assert.deepEqual(missing, []);
});

test("every demotable HTLC / Sweeps rule has a demoted test", () => {
  const text = FILES.map((f) => readFileSync(new URL(f, import.meta.url), "utf8")).join("\n");
  for (const id of RULE_IDS) {
    const r = RULES[id];
    if ((r.section !== "HTLC transactions" && r.section !== "Sweeps") || !r.demotable) continue;
    assert.ok(text.includes(`demote: ["${id}"]`), `${id} has no demoted test`);
  }
});
