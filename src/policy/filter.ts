/**
 * Operator filter that demotes rules from "error" to "warn". Entries are exact rule ids or
 * prefixes ending in `*` ("policy-commitment-fee-*", "policy-routing-*"). Format and state
 * rules are never demoted: naming one exactly is an error, a prefix silently skips them.
 */
import type { PolicyConfig } from "./config.js";
import { PolicyConfigError } from "./errors.js";
import {
  RULE_IDS,
  RULES,
  isOptionalRuleId,
  isRuleId,
  type RuleId,
  type Severity,
} from "./rule-ids.js";

/** A list of demotion entries (exact ids or `prefix*`). */
export interface PolicyFilter {
  readonly demote: readonly string[];
}

/** What a rule does under a config and filter: refuse, warn, or nothing (optional and off). */
export type EffectiveSeverity = Severity | "off";

/** The empty filter: nothing demoted. */
export const EMPTY_POLICY_FILTER: PolicyFilter = Object.freeze({ demote: Object.freeze([]) });

const ENTRY_RE = /^[a-z0-9-]+\*?$/;

function bad(message: string): never {
  throw new PolicyConfigError("policy/filter", message);
}

/** Rule ids an entry names (exact id, or all ids with the prefix before a trailing `*`). */
function matches(entry: string): RuleId[] {
  if (entry.endsWith("*")) {
    const prefix = entry.slice(0, -1);
    return RULE_IDS.filter((id) => id.startsWith(prefix));
  }
  return isRuleId(entry) ? [entry] : [];
}

/**
 * A validated, de-duplicated filter. Throws PolicyConfigError ("policy/filter") for an entry
 * that is malformed, matches no rule, names a non-demotable rule exactly, or is a prefix that
 * matches only non-demotable rules (it would demote nothing, which is surely a mistake).
 */
export function parsePolicyFilter(entries: readonly string[]): PolicyFilter {
  const out: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== "string" || !ENTRY_RE.test(entry) || entry === "*") {
      bad(
        `malformed entry ${JSON.stringify(String(entry))}: use a rule id or a prefix ending in *`,
      );
    }
    const ids = matches(entry);
    if (ids.length === 0) bad(`${entry} matches no rule`);
    if (!entry.endsWith("*") && !RULES[ids[0]!].demotable) {
      bad(`${entry} is a format or state-machine rule and cannot be demoted`);
    }
    if (!ids.some((id) => RULES[id].demotable)) {
      bad(`${entry} matches only rules that cannot be demoted`);
    }
    if (!out.includes(entry)) out.push(entry);
  }
  return Object.freeze({ demote: Object.freeze(out) });
}

/** True when the filter demotes `ruleId` (never for a non-demotable rule, however written). */
export function isDemoted(ruleId: RuleId, filter: PolicyFilter): boolean {
  if (!RULES[ruleId].demotable) return false;
  return filter.demote.some((entry) =>
    entry.endsWith("*") ? ruleId.startsWith(entry.slice(0, -1)) : entry === ruleId,
  );
}

/** Effective severity: "off" for a disabled optional rule, "warn" if demoted, else the default. */
export function severityOf(
  ruleId: RuleId,
  filter: PolicyFilter,
  config: PolicyConfig,
): EffectiveSeverity {
  if (isOptionalRuleId(ruleId) && !config.optionalRules[ruleId]) return "off";
  if (isDemoted(ruleId, filter)) return "warn";
  return RULES[ruleId].defaultSeverity;
}
