/** The policy framework: rule catalogue, config, filter, errors and evaluation (rules live in ./rules/). */
export * from "./config.js";
export * from "./errors.js";
export * from "./filter.js";
export * from "./policy.js";
export * from "./rule-ids.js";
