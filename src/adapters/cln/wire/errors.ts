/**
 * The one error the hsmd wire codec raises. Codes: `cln/wire-truncated`, `cln/wire-trailing`,
 * `cln/wire-unknown-type`, `cln/wire-bad-value` (a field out of its domain: bool not 0/1, point
 * not on the curve, signature scalar >= n, bad sighash, ...), `cln/wire-bad-string`,
 * `cln/wire-bad-tx`, `cln/wire-bad-psbt`, `cln/wire-bad-tlv`, `cln/wire-encode` (a value given
 * to the encoder does not fit its field). Messages name fields, never their contents.
 */
import { WardenError } from "../../../errors.js";

/** A malformed hsmd wire message, or a value the encoder cannot write. */
export class HsmdWireError extends WardenError {}
