/**
 * The `hsm_secret` file, read like Core Lightning's hsmd reads it: from the working directory
 * (lightningd runs its hsmd in the network directory, e.g. ~/.lightning/bitcoin), in any of
 * its formats (plain 32 bytes, legacy encrypted, BIP 39 mnemonic with or without passphrase:
 * src/keys/hsm-secret.ts). A missing file is created with a fresh random 32-byte secret (plain
 * format), as hsmd creates one for a new node. Errors are InitFailure carrying hsmd's error
 * number, so lightningd reports them and exits. Nothing here logs or embeds secret bytes.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { HsmSecretError, parseHsmSecret, type HsmSecretType } from "../../../keys/hsm-secret.js";
import { InitFailure } from "./init-failure.js";

/** File name, as in Core Lightning. */
export const HSM_SECRET_FILE = "hsm_secret";

/** Length of the plain (legacy) format. */
export const PLAIN_HSM_SECRET_LEN = 32;

/** What was loaded. */
export interface LoadedHsmSecret {
  /** 32 bytes, or the 64-byte BIP 39 seed of the mnemonic formats. */
  readonly secret: Uint8Array;
  /** Core Lightning's hsm_secret_type (0 plain, 1 encrypted, 2/3 mnemonic). */
  readonly type: HsmSecretType;
  /** True when the file did not exist and a new secret was written. */
  readonly created: boolean;
  /** Set when the file's mode lets group or others read it. */
  readonly warning?: string;
}

/** Reads (or creates) `dir/hsm_secret` and returns its secret; InitFailure with hsmd's error code otherwise. */
export async function loadHsmSecret(
  dir: string,
  passphrase: string | undefined,
): Promise<LoadedHsmSecret> {
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
  try {
    const parsed = await parseHsmSecret(bytes, passphrase);
    return {
      secret: parsed.secret,
      type: parsed.type,
      created,
      ...(warning === undefined ? {} : { warning }),
    };
  } catch (e) {
    if (e instanceof HsmSecretError) {
      throw new InitFailure(
        "cln/hsm-secret-format",
        `Failed to load ${path}: ${e.message}`,
        e.clnCode,
      );
    }
    throw new InitFailure(
      "cln/hsm-secret-format",
      `Failed to load ${path}: ${e instanceof Error ? e.message : String(e)}`,
    );
  } finally {
    bytes.fill(0);
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
