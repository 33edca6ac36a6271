import { test } from "node:test";
import { CHANNEL_OPENING_CASES, caseName, runRuleCase } from "./rules-cases.js";

for (const rc of CHANNEL_OPENING_CASES) test(caseName(rc), () => runRuleCase(rc));
