/**
 * Policy evaluation in two phases. Pure rule functions record violations in a Checker; the
 * shell then asks the Policy to judge them. Judging is side-effect free: any error-level
 * violation throws PolicyError and nothing is counted or logged, so a refused request leaves
 * no trace. Warnings are counted and logged only when the verdict is recorded — by settle()
 * at once, or by Verdict.record() after the caller has durably committed its new state.
 */
import { DEFAULT_POLICY_CONFIG, type PolicyConfig } from "./config.js";
import { PolicyError, type Violation } from "./errors.js";
import {
  EMPTY_POLICY_FILTER,
  severityOf,
  type EffectiveSeverity,
  type PolicyFilter,
} from "./filter.js";
import { RULE_IDS, type RuleId } from "./rule-ids.js";

/** Collects violations while pure rule functions run; holds no policy and decides nothing. */
export class Checker {
  readonly #violations: Violation[] = [];

  /** Records a violation of `ruleId` unless `cond` holds; returns `cond`. Lazy messages run only on failure. */
  check(cond: boolean, ruleId: RuleId, message: string | (() => string)): boolean {
    if (!cond) this.fail(ruleId, message);
    return cond;
  }

  /** Records a violation of `ruleId` unconditionally (a lazy message is evaluated now). */
  fail(ruleId: RuleId, message: string | (() => string)): void {
    const text = typeof message === "function" ? message() : message;
    this.#violations.push(Object.freeze({ ruleId, message: text }));
  }

  /** Every violation recorded so far, in order. */
  get violations(): readonly Violation[] {
    return this.#violations.slice();
  }
}

/** Per-rule warning counts; only Policy increments them. */
export class WarningCounter {
  readonly #counts = new Map<RuleId, number>();

  /** Adds one warning for `ruleId`. */
  increment(ruleId: RuleId): void {
    this.#counts.set(ruleId, (this.#counts.get(ruleId) ?? 0) + 1);
  }

  /** A snapshot copy: rule id → warnings counted so far (rules with none are absent). */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}

/** Receives each recorded warning once; must not be given secrets (messages have none). */
export interface PolicyLogger {
  warn(ruleId: RuleId, message: string): void;
}

/** A logger that discards everything. */
export const SILENT_POLICY_LOGGER: PolicyLogger = Object.freeze({ warn: () => undefined });

/** The outcome of judging a Checker that had no error-level violation. */
export interface Verdict {
  /** Warning-level violations (signed anyway). */
  readonly warnings: readonly Violation[];
  /** Violations of disabled optional rules, ignored. */
  readonly ignored: readonly Violation[];
  /** Counts and logs the warnings; idempotent (a second call does nothing). */
  record(): void;
}

/** Options of a Policy; every field has a default (DEFAULT_POLICY_CONFIG, no filter, silent logger). */
export interface PolicyOptions {
  readonly config?: PolicyConfig;
  readonly filter?: PolicyFilter;
  readonly logger?: PolicyLogger;
}

/** Config + filter + warning counts: decides what a Checker's violations mean. */
export class Policy {
  readonly config: PolicyConfig;
  readonly filter: PolicyFilter;
  readonly #logger: PolicyLogger;
  readonly #counter = new WarningCounter();
  readonly #severity: ReadonlyMap<RuleId, EffectiveSeverity>;

  constructor(options: PolicyOptions = {}) {
    this.config = options.config ?? DEFAULT_POLICY_CONFIG;
    this.filter = options.filter ?? EMPTY_POLICY_FILTER;
    this.#logger = options.logger ?? SILENT_POLICY_LOGGER;
    this.#severity = new Map(RULE_IDS.map((id) => [id, severityOf(id, this.filter, this.config)]));
  }

  /** Effective severity of `ruleId` under this policy's config and filter. */
  severityOf(ruleId: RuleId): EffectiveSeverity {
    return this.#severity.get(ruleId)!;
  }

  /** True unless `ruleId` is a disabled optional rule (lets callers skip expensive checks). */
  isEnabled(ruleId: RuleId): boolean {
    return this.severityOf(ruleId) !== "off";
  }

  /** A fresh Checker for one request. */
  checker(): Checker {
    return new Checker();
  }

  /** Throws PolicyError listing all error-level violations; else a Verdict. Records nothing. */
  judge(checker: Checker): Verdict {
    const errors: Violation[] = [];
    const warnings: Violation[] = [];
    const ignored: Violation[] = [];
    for (const v of checker.violations) {
      const sev = this.severityOf(v.ruleId);
      (sev === "error" ? errors : sev === "warn" ? warnings : ignored).push(v);
    }
    if (errors.length > 0) throw new PolicyError(errors);
    let recorded = false;
    return Object.freeze({
      warnings: Object.freeze(warnings),
      ignored: Object.freeze(ignored),
      record: () => {
        if (recorded) return;
        recorded = true;
        for (const w of warnings) {
          this.#counter.increment(w.ruleId);
          this.#logger.warn(w.ruleId, w.message);
        }
      },
    });
  }

  /** judge() then record(): throws PolicyError (nothing counted) or counts/logs warnings and returns them. */
  settle(checker: Checker): readonly Violation[] {
    const verdict = this.judge(checker);
    verdict.record();
    return verdict.warnings;
  }

  /** Snapshot of warnings counted so far, by rule id. */
  warnings(): Record<string, number> {
    return this.#counter.snapshot();
  }
}
