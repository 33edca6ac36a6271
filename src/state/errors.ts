/** Errors for requests the state machine cannot take at all (wrong phase, out-of-order numbers). */
import { WardenError } from "../errors.js";

/**
 * A request that does not fit the channel's state machine (codes `state/...`). Like a policy
 * refusal, it leaves the state unchanged.
 */
export class StateError extends WardenError {}
