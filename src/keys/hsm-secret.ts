/**
 * Core Lightning's `hsm_secret` file formats (v25.12+, common/hsm_secret.c of v26.06), told
 * apart by length and content exactly as Core Lightning does:
 *
 * - 32 bytes: the plain secret (type 0, HSM_SECRET_PLAIN);
 * - 73 bytes: the legacy encrypted secret (type 1): a libsodium secretstream
 *   (XChaCha20-Poly1305) header (24 bytes) and ciphertext (32 + 17 bytes), keyed by
 *   Argon2id(passphrase, salt "c-lightning" zero-padded to 16 bytes, OPSLIMIT_MODERATE = 3,
 *   MEMLIMIT_MODERATE = 256 MiB) → the 32-byte secret;
 * - anything else of at least 32 bytes: a BIP 39 mnemonic file, 32 bytes of passphrase check
 *   (all zero when there is no passphrase, type 2; else SHA256 of the 64-byte BIP 39 seed,
 *   type 3) followed by the English mnemonic → the 64-byte BIP 39 seed
 *   (PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic" + passphrase, on the raw UTF-8 bytes
 *   as libwally does).
 *
 * The type number is what hsmd reports in the `hsm_secret_type` TLV of hsmd_init_reply_v4;
 * `HsmSecretError.clnCode` is Core Lightning's `enum hsm_secret_error`, the error_code of
 * hsmd_init_reply_failure.
 */
import { createHash, pbkdf2Sync } from "node:crypto";
import { inspect } from "node:util";
import { validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { WardenError } from "../errors.js";
import { constantTimeEqual } from "../util/bytes.js";

/** hsm_secret formats, numbered as Core Lightning's `enum hsm_secret_type`. */
export const HSM_SECRET_TYPE = {
  plain: 0,
  encrypted: 1,
  mnemonicNoPassphrase: 2,
  mnemonicWithPassphrase: 3,
} as const;

/** One of HSM_SECRET_TYPE's values. */
export type HsmSecretType = (typeof HSM_SECRET_TYPE)[keyof typeof HSM_SECRET_TYPE];

/** Core Lightning's `enum hsm_secret_error` (hsmd_init_reply_failure error_code). */
export const HSM_SECRET_ERROR = {
  passphraseRequired: 1,
  passphraseNotNeeded: 2,
  wrongPassphrase: 3,
  invalidMnemonic: 4,
  encryptionFailed: 5,
  seedDerivationFailed: 6,
  invalidFormat: 7,
} as const;

/** An hsm_secret file that cannot be used (as given); never carries secret material. */
export class HsmSecretError extends WardenError {
  /** Core Lightning's hsm_secret_error number for this failure. */
  readonly clnCode: number;
  constructor(code: string, clnCode: number, message: string) {
    super(code, message);
    this.clnCode = clnCode;
  }
}

/** The secret an hsm_secret file holds. */
export interface ParsedHsmSecret {
  readonly type: HsmSecretType;
  /** 32 bytes (plain, encrypted) or the 64-byte BIP 39 seed (mnemonic formats): clnKeyDeriver's input. */
  readonly secret: Uint8Array;
}

const PLAIN_LEN = 32;
const HEADER_LEN = 24; // crypto_secretstream_xchacha20poly1305_HEADERBYTES
const ABYTES = 17; // crypto_secretstream_xchacha20poly1305_ABYTES
/** Length of the legacy encrypted format. */
export const ENCRYPTED_HSM_SECRET_LEN = HEADER_LEN + PLAIN_LEN + ABYTES;
const ARGON2_SALT = (() => {
  const s = new Uint8Array(16);
  s.set(new TextEncoder().encode("c-lightning"));
  return s;
})();
const ARGON2ID_OPSLIMIT_MODERATE = 3;
const ARGON2ID_MEMLIMIT_MODERATE = 268_435_456;
const ARGON2ID_ALG_13 = 2;

function fail(code: string, clnCode: number, message: string): never {
  throw new HsmSecretError(`cln/hsm-secret-${code}`, clnCode, message);
}

function passphraseBytes(p: string | Uint8Array | undefined): Uint8Array | undefined {
  if (p === undefined) return undefined;
  if (typeof p === "string") return new TextEncoder().encode(p);
  if (p instanceof Uint8Array) return p;
  fail("bad-passphrase", HSM_SECRET_ERROR.wrongPassphrase, "passphrase must be a string or bytes");
}

/** Which format `file` is in (detect_hsm_secret_type), or null when it is too short to be any. */
export function detectHsmSecretType(file: Uint8Array): HsmSecretType | null {
  if (file.length < PLAIN_LEN) return null;
  if (file.length === PLAIN_LEN) return HSM_SECRET_TYPE.plain;
  if (file.length === ENCRYPTED_HSM_SECRET_LEN) return HSM_SECRET_TYPE.encrypted;
  return file.subarray(0, 32).every((b) => b === 0)
    ? HSM_SECRET_TYPE.mnemonicNoPassphrase
    : HSM_SECRET_TYPE.mnemonicWithPassphrase;
}

/** True iff reading `file` needs a passphrase (encrypted, or a mnemonic with passphrase). */
export function hsmSecretNeedsPassphrase(file: Uint8Array): boolean {
  const t = detectHsmSecretType(file);
  return t === HSM_SECRET_TYPE.encrypted || t === HSM_SECRET_TYPE.mnemonicWithPassphrase;
}

/** BIP 39 seed of `mnemonic` + passphrase on raw UTF-8 bytes, no normalisation (libwally). */
function bip39Seed(mnemonic: Uint8Array, passphrase: Uint8Array | undefined): Uint8Array {
  const salt = Buffer.concat([Buffer.from("mnemonic"), passphrase ?? new Uint8Array(0)]);
  return new Uint8Array(pbkdf2Sync(mnemonic, salt, 2048, 64, "sha512"));
}

/** The 32-byte passphrase check of a mnemonic file: zeros without passphrase, else SHA256(seed). */
function passphraseCheck(mnemonic: Uint8Array, passphrase: Uint8Array | undefined): Uint8Array {
  if (passphrase === undefined) return new Uint8Array(32);
  return new Uint8Array(createHash("sha256").update(bip39Seed(mnemonic, passphrase)).digest());
}

function isValidEnglishMnemonic(mnemonic: Uint8Array): boolean {
  // libwally compares words byte for byte; refusing non-ASCII keeps NFKD look-alikes out.
  if (mnemonic.some((b) => b >= 0x80)) return false;
  return validateMnemonic(Buffer.from(mnemonic).toString("latin1"), wordlist);
}

function redacted<T extends object>(value: T): T {
  Object.defineProperty(value, inspect.custom, { value: () => "ParsedHsmSecret([redacted])" });
  Object.defineProperty(value, "toJSON", { value: () => ({ secret: "[redacted]" }) });
  return Object.freeze(value);
}

type Sodium = (typeof import("libsodium-wrappers-sumo"))["default"];
let sodiumLoaded: Promise<Sodium> | undefined;

/** libsodium (WASM), loaded on first use only: plain and mnemonic secrets never need it. */
function loadSodium(): Promise<Sodium> {
  sodiumLoaded ??= import("libsodium-wrappers-sumo").then(async (m) => {
    await m.default.ready;
    return m.default;
  });
  return sodiumLoaded;
}

async function argon2Key(sodium: Sodium, passphrase: Uint8Array): Promise<Uint8Array> {
  try {
    return sodium.crypto_pwhash(
      32,
      passphrase,
      ARGON2_SALT,
      ARGON2ID_OPSLIMIT_MODERATE,
      ARGON2ID_MEMLIMIT_MODERATE,
      ARGON2ID_ALG_13,
    );
  } catch {
    // get_encryption_key() failing (e.g. out-of-bounds passphrase) is reported as a wrong passphrase.
    fail("wrong-passphrase", HSM_SECRET_ERROR.wrongPassphrase, "cannot derive the encryption key");
  }
}

async function decryptLegacy(file: Uint8Array, passphrase: Uint8Array): Promise<Uint8Array> {
  const sodium = await loadSodium();
  const key = await argon2Key(sodium, passphrase);
  try {
    const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(
      file.subarray(0, HEADER_LEN),
      key,
    );
    const out = sodium.crypto_secretstream_xchacha20poly1305_pull(
      state,
      file.subarray(HEADER_LEN),
      null,
    );
    if (out === false || out.message.length !== PLAIN_LEN) throw new Error("auth");
    return Uint8Array.from(out.message);
  } catch {
    fail("wrong-passphrase", HSM_SECRET_ERROR.wrongPassphrase, "wrong passphrase");
  } finally {
    key.fill(0);
  }
}

/**
 * Reads an hsm_secret file as Core Lightning v26's hsmd does (extract_hsm_secret): returns its
 * type and the secret clnKeyDeriver takes, or throws HsmSecretError (passphrase required / not
 * needed / wrong, invalid mnemonic, invalid format) with Core Lightning's error number.
 */
export async function parseHsmSecret(
  file: Uint8Array,
  passphrase?: string | Uint8Array,
): Promise<ParsedHsmSecret> {
  if (!(file instanceof Uint8Array)) {
    fail("invalid-format", HSM_SECRET_ERROR.invalidFormat, "hsm_secret must be bytes");
  }
  const pass = passphraseBytes(passphrase);
  const type = detectHsmSecretType(file);
  switch (type) {
    case null:
      fail("invalid-format", HSM_SECRET_ERROR.invalidFormat, "hsm_secret shorter than 32 bytes");
    // eslint-disable-next-line no-fallthrough -- fail() never returns
    case HSM_SECRET_TYPE.plain:
      // A passphrase given for a plain secret is ignored, as Core Lightning does.
      return redacted({ type, secret: Uint8Array.from(file) });
    case HSM_SECRET_TYPE.encrypted:
      if (pass === undefined) {
        fail("passphrase-required", HSM_SECRET_ERROR.passphraseRequired, "hsm_secret is encrypted");
      }
      return redacted({ type, secret: await decryptLegacy(file, pass) });
    case HSM_SECRET_TYPE.mnemonicNoPassphrase:
    case HSM_SECRET_TYPE.mnemonicWithPassphrase: {
      let mnemonic = file.subarray(32);
      const nul = mnemonic.indexOf(0);
      if (nul >= 0) mnemonic = mnemonic.subarray(0, nul); // tal_strndup stops at a NUL
      if (type === HSM_SECRET_TYPE.mnemonicWithPassphrase) {
        if (pass === undefined) {
          fail("passphrase-required", HSM_SECRET_ERROR.passphraseRequired, "needs a passphrase");
        }
        if (!constantTimeEqual(passphraseCheck(mnemonic, pass), file.subarray(0, 32))) {
          fail("wrong-passphrase", HSM_SECRET_ERROR.wrongPassphrase, "wrong passphrase");
        }
      } else if (pass !== undefined) {
        fail("passphrase-not-needed", HSM_SECRET_ERROR.passphraseNotNeeded, "has no passphrase");
      }
      if (!isValidEnglishMnemonic(mnemonic)) {
        fail("invalid-mnemonic", HSM_SECRET_ERROR.invalidMnemonic, "not a valid BIP 39 mnemonic");
      }
      return redacted({ type, secret: bip39Seed(mnemonic, pass) });
    }
  }
}

/** The hsm_secret file Core Lightning writes for `mnemonic` (+ passphrase): check bytes, then the words. */
export function mnemonicHsmSecretFile(
  mnemonic: string,
  passphrase?: string | Uint8Array,
): Uint8Array {
  const words = new TextEncoder().encode(mnemonic);
  if (!isValidEnglishMnemonic(words)) {
    fail("invalid-mnemonic", HSM_SECRET_ERROR.invalidMnemonic, "not a valid BIP 39 mnemonic");
  }
  const check = passphraseCheck(words, passphraseBytes(passphrase));
  const out = new Uint8Array(32 + words.length);
  out.set(check, 0);
  out.set(words, 32);
  return out;
}

/** The legacy 73-byte encrypted hsm_secret of `secret32` under `passphrase` (hsmtool encrypt; random header). */
export async function encryptLegacyHsmSecret(
  secret32: Uint8Array,
  passphrase: string | Uint8Array,
): Promise<Uint8Array> {
  if (!(secret32 instanceof Uint8Array) || secret32.length !== PLAIN_LEN) {
    fail("invalid-format", HSM_SECRET_ERROR.invalidFormat, "secret must be 32 bytes");
  }
  const sodium = await loadSodium();
  const key = await argon2Key(sodium, passphraseBytes(passphrase)!);
  try {
    const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
    const cipher = sodium.crypto_secretstream_xchacha20poly1305_push(
      state,
      secret32,
      null,
      sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
    );
    const out = new Uint8Array(ENCRYPTED_HSM_SECRET_LEN);
    out.set(header, 0);
    out.set(cipher, HEADER_LEN);
    return out;
  } finally {
    key.fill(0);
  }
}
