/**
 * Policy errors. A refusal is a PolicyError whose `code` is the id of the first violated rule
 * and which lists every error-level violation found in the request. Misconfiguration (a bad
 * PolicyConfig or PolicyFilter) is a PolicyConfigError. Messages never include secrets: rule
 * functions must only describe public facts (amounts, counts, indices, rule parameters).
 */
import { WardenError } from "../errors.js";
import type { RuleId } from "./rule-ids.js";

/** One rule that a request broke, with a human-readable, secret-free explanation. */
export interface Violation {
  readonly ruleId: RuleId;
  readonly message: string;
}

/** A request refused by policy: `code` and `ruleId` name the first violation; all are listed. */
export class PolicyError extends WardenError {
  readonly ruleId: RuleId;
  readonly violations: readonly Violation[];
  constructor(violations: readonly Violation[]) {
    const first = violations[0];
    if (first === undefined) throw new TypeError("PolicyError needs at least one violation");
    const more = violations.length > 1 ? ` (+${violations.length - 1} more)` : "";
    super(first.ruleId, `${first.message}${more}`);
    this.ruleId = first.ruleId;
    this.violations = Object.freeze(violations.map((v) => Object.freeze({ ...v })));
  }
}

/** A PolicyConfig or PolicyFilter is invalid; code is "policy/config" or "policy/filter". */
export class PolicyConfigError extends WardenError {}
