import { test } from "node:test";
import { COMMITMENT_CASES, caseName, runRuleCase } from "./rules-cases.js";

for (const rc of COMMITMENT_CASES) test(caseName(rc), () => runRuleCase(rc));
