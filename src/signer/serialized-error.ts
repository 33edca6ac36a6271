/**
 * Errors across a thread boundary: a thrown value as plain, structured-cloneable data, and back
 * as the same typed error (PolicyError with every violation, StateError / CryptoError /
 * FormatError / WardenError by code), so a refusal in a worker reaches the caller with its
 * rule ids. Used by the worker pool and by the LDK adapter's host.
 */
import { CryptoError, FormatError, WardenError } from "../errors.js";
import { PolicyError, type Violation } from "../policy/errors.js";
import { StateError } from "../state/errors.js";

/** A thrown error as data (WardenError code and, for policy refusals, every violation). */
export interface SerializedError {
  name: string;
  code: string | undefined;
  message: string;
  violations: { ruleId: string; message: string }[] | undefined;
}

/** A thrown value as plain data; never includes anything but name, code, message, rule ids. */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    return {
      name: e.name,
      code: e instanceof WardenError ? e.code : undefined,
      message: e.message,
      violations:
        e instanceof PolicyError
          ? e.violations.map((v) => ({ ruleId: v.ruleId, message: v.message }))
          : undefined,
    };
  }
  return { name: "Error", code: undefined, message: String(e), violations: undefined };
}

/** Rebuilds the typed error serializeError described. */
export function reviveError(e: SerializedError): Error {
  if (e.violations !== undefined && e.violations.length > 0) {
    return new PolicyError(e.violations as Violation[]);
  }
  if (e.code !== undefined) {
    const prefix = `${e.code}: `;
    const message = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    if (e.name === "StateError") return new StateError(e.code, message);
    if (e.name === "CryptoError") return new CryptoError(e.code, message);
    if (e.name === "FormatError") return new FormatError(e.code, message);
    return new WardenError(e.code, message);
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
