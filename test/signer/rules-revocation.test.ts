import { test } from "node:test";
import { REVOCATION_CASES, caseName, runRuleCase } from "./rules-cases.js";

for (const rc of REVOCATION_CASES) test(caseName(rc), () => runRuleCase(rc));
