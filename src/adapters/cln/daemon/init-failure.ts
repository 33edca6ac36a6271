/** The error that makes warden-hsmd answer hsmd_init with hsmd_init_reply_failure and exit. */
import { WardenError } from "../../../errors.js";
import { HsmSecretErrorCode } from "./status-wire.js";

/** hsmd_init could not be served (e.g. hsm_secret unreadable): lightningd exits with `errorCode`. */
export class InitFailure extends WardenError {
  /** common/hsm_secret.h enum hsm_secret_error value. */
  readonly errorCode: number;
  constructor(code: string, message: string, errorCode: number = HsmSecretErrorCode.invalidFormat) {
    super(code, message);
    this.errorCode = errorCode;
  }
}
