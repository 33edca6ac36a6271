/**
 * The `hsm_secret` file, read like Core Lightning's hsmd reads it: from the working directory
 * (lightningd runs its hsmd in the network directory, e.g. ~/.lightning/bitcoin). The plain
 * format is the 32-byte secret itself; other formats (encrypted, BIP 39 mnemonic) go through
 * `parse` when one is supplied. A missing file is created with a fresh random 32-byte secret,
 * as hsmd does for a new node. Errors are InitFailure, so lightningd reports them and exits.
 * Nothing here logs or embeds secret bytes in an error.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { InitFailure } from "./init-failure.js";
import { HsmSecretErrorCode } from "./status-wire.js";

/** File name, as in Core Lightning. */
export const HSM_SECRET_FILE = "hsm_secret";

/** Length of the plain (legacy) format. */
export const PLAIN_HSM_SECRET_LEN = 32;

/** Parser of the non-plain formats: returns the secret, or throws (message must not include secrets). */
export type HsmSecretParser = (fileBytes: Uint8Array, passphrase: string | undefined) => Uint8Array;

/** What was loaded. */
export interface LoadedHsmSecret {
  readonly secret: Uint8Array;
  /** True when the file did not exist and a new secret was written. */
  readonly created: boolean;
  /** Set when the file's mode lets group or others read it. */
  readonly warning?: string;
}

/** Reads (or creates) `dir/hsm_secret` and returns the secret; InitFailure with hsmd's error code otherwise. */
export function loadHsmSecret(
  dir: string,
  passphrase: string | undefined,
  parse: HsmSecretParser | undefined,
): LoadedHsmSecret {
  const path = join(dir, HSM_SECRET_FILE);
  let bytes: Uint8Array;
  let created = false;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") {
      throw new InitFailure(
        "cln/hsm-secret-unreadable",
        `Could not read ${path}: ${code ?? (e as Error).message}`,
      );
    }
    if (passphrase !== undefined) {
      throw new InitFailure(
        "cln/hsm-secret-missing",
        `${path} does not exist; warden-hsmd only creates unencrypted secrets, ` +
          "create one with a passphrase with Core Lightning's lightning-hsmtool",
      );
    }
    bytes = createPlainSecret(path);
    created = true;
  }
  const warning = modeWarning(path);
  if (bytes.length === PLAIN_HSM_SECRET_LEN) {
    return { secret: new Uint8Array(bytes), created, ...(warning ? { warning } : {}) };
  }
  if (parse === undefined) {
    wipe(bytes);
    throw new InitFailure(
      "cln/hsm-secret-format",
      `${path} is ${bytes.length} bytes: only the plain 32-byte format is supported by this build`,
      HsmSecretErrorCode.invalidFormat,
    );
  }
  try {
    return { secret: parse(bytes, passphrase), created, ...(warning ? { warning } : {}) };
  } catch (e) {
    if (e instanceof InitFailure) throw e;
    throw new InitFailure(
      "cln/hsm-secret-format",
      `Failed to load ${path}: ${e instanceof Error ? e.message : String(e)}`,
      errorCodeOf(e),
    );
  } finally {
    wipe(bytes);
  }
}

/** Writes a new random 32-byte secret (O_EXCL, mode 0400, fsync'd) and returns it. */
function createPlainSecret(path: string): Uint8Array {
  const secret = randomBytes(PLAIN_HSM_SECRET_LEN);
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o400);
  } catch (e) {
    throw new InitFailure(
      "cln/hsm-secret-create",
      `Could not create ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    writeSync(fd, secret);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return secret;
}

function modeWarning(path: string): string | undefined {
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      return `${path} is readable by group or others (mode ${mode.toString(8)}); chmod 0400 it`;
    }
  } catch {
    // Unreadable metadata is not worth failing over; the read above succeeded.
  }
  return undefined;
}

/** hsmd's error code for a parser error carrying a recognisable code ("...passphrase..." etc.). */
function errorCodeOf(e: unknown): number {
  const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : "";
  if (code.includes("passphrase-required")) return HsmSecretErrorCode.passphraseRequired;
  if (code.includes("wrong-passphrase")) return HsmSecretErrorCode.wrongPassphrase;
  if (code.includes("mnemonic")) return HsmSecretErrorCode.invalidMnemonic;
  return HsmSecretErrorCode.invalidFormat;
}

function wipe(b: Uint8Array): void {
  b.fill(0);
}
