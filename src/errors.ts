/**
 * Typed errors. Every error Warden raises carries a stable `code`; policy refusals (later
 * layers) carry the rule id from ../shared/docs/policy-rules.md as their code.
 * Messages never include secret material.
 */

/** Base class of every error Warden raises on purpose. */
export class WardenError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A secp256k1 input (key, tweak, signature, point) is invalid, or an operation is undefined. */
export class CryptoError extends WardenError {}

/** Malformed bytes or values: transactions, scripts, addresses, amounts, hex, encodings. */
export class FormatError extends WardenError {}
