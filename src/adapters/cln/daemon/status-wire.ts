/**
 * The few messages warden-hsmd writes on lightningd's status socket (fd 0, common/status_wire.csv
 * and hsmstatus_client_bad_request in hsmd_wire.csv), plus hsmd_init_reply_failure, the one reply
 * sent before the hsmd service exists. lightningd aborts on a status message it cannot parse, so
 * strings are made valid wirestrings (no byte below 0x20, NUL-terminated) and lengths clamped.
 */
import { concatBytes } from "../../../util/bytes.js";

/** common/status_levels.h enum log_level. */
export const LogLevel = {
  debug: 3,
  info: 4,
  unusual: 5,
  broken: 6,
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** common/status_levels.h enum status_failreason. */
export const FailReason = { masterIo: 0, hsmIo: 1, gossipIo: 2, internalError: 3 } as const;
export type FailReason = (typeof FailReason)[keyof typeof FailReason];

/** common/hsm_secret.h enum hsm_secret_error (lightningd exits with it on init failure). */
export const HsmSecretErrorCode = {
  passphraseRequired: 1,
  passphraseNotNeeded: 2,
  wrongPassphrase: 3,
  invalidMnemonic: 4,
  seedDerivationFailed: 6,
  invalidFormat: 7,
} as const;

const STATUS_LOG = 0xfff0;
const STATUS_FAIL = 0xfff2;
const STATUS_VERSION = 0xfff6;
const HSMSTATUS_CLIENT_BAD_REQUEST = 1000;
const HSMD_INIT_REPLY_FAILURE = 115;

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** A wirestring: UTF-8 with control characters replaced by '?', NUL-terminated, at most ~4 KiB. */
export function wirestring(s: string): Uint8Array {
  let clean = "";
  for (const ch of s.slice(0, 4000)) clean += ch.charCodeAt(0) < 0x20 ? "?" : ch;
  return concatBytes(Buffer.from(clean, "utf8"), Uint8Array.of(0));
}

/** status_version: the first message on the status socket; lightningd re-execs on a mismatch. */
export function encodeStatusVersion(version: string): Uint8Array {
  return concatBytes(u16(STATUS_VERSION), wirestring(version));
}

/** status_log at `level`, optionally about a peer (33-byte node id). */
export function encodeStatusLog(level: LogLevel, entry: string, peer?: Uint8Array): Uint8Array {
  const peerField =
    peer !== undefined && peer.length === 33
      ? concatBytes(Uint8Array.of(1), peer)
      : Uint8Array.of(0);
  return concatBytes(u16(STATUS_LOG), Uint8Array.of(level), peerField, wirestring(entry));
}

/** status_fail: sent just before the daemon exits with 0x80 | reason. */
export function encodeStatusFail(reason: FailReason, desc: string): Uint8Array {
  return concatBytes(u16(STATUS_FAIL), Uint8Array.of(reason), wirestring(desc));
}

/** hsmstatus_client_bad_request: which client sent what (the request is clamped to 65535 bytes). */
export function encodeClientBadRequest(
  clientId: Uint8Array,
  description: string,
  request: Uint8Array,
): Uint8Array {
  const id = clientId.length === 33 ? clientId : new Uint8Array(33);
  const msg = request.subarray(0, 0xffff);
  return concatBytes(
    u16(HSMSTATUS_CLIENT_BAD_REQUEST),
    id,
    wirestring(description),
    u16(msg.length),
    msg,
  );
}

/** hsmd_init_reply_failure: lightningd prints the message and exits with `errorCode`. */
export function encodeInitReplyFailure(errorCode: number, message: string): Uint8Array {
  return concatBytes(u16(HSMD_INIT_REPLY_FAILURE), u32(errorCode), wirestring(message));
}
