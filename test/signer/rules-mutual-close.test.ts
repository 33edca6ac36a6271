import { test } from "node:test";
import { MUTUAL_CLOSE_CASES, caseName, runRuleCase } from "./rules-cases.js";

for (const rc of MUTUAL_CLOSE_CASES) test(caseName(rc), () => runRuleCase(rc));
