import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { RULE_IDS, RULES } from "../../src/policy/rule-ids.js";

/** The node-signing test files (policy-invoice-own-node is another engineer's). */
const FILES = [
  "./node-signing-gossip.test.js",
  "./node-signing-ecdh.test.js",
  "./node-signing-message.test.js",
];
const ELSEWHERE = new Set(["policy-invoice-own-node"]);

test("every Node-level signing rule has a negative test named by its id", () => {
  const text = FILES.map((f) => readFileSync(new URL(f, import.meta.url), "utf8")).join("\n");
  const missing = RULE_IDS.filter(
    (id) =>
      RULES[id].section === "Node-level signing" &&
      !ELSEWHERE.has(id) &&
      !new RegExp(`test\\(\\s*"${id}: `).test(text),
  );
  assert.deepEqual(missing, []);
});
