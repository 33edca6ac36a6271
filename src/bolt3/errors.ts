/**
 * BOLT 3 errors: an input is well-formed but violates a BOLT 3 rule (a shachain secret that
 * does not derive the stored ones, a locktime that is not a commitment's, balances that do
 * not add up to the funding amount...). Messages never include secrets.
 */
import { WardenError } from "../errors.js";

/** A BOLT 3 rule is violated by otherwise well-formed input; `code` starts with "bolt3/". */
export class Bolt3Error extends WardenError {}
