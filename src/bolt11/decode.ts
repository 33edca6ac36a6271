/**
 * BOLT 11 invoice decoding and signature check. Every malformed input ends in a FormatError
 * (or CryptoError for signatures) with a stable `bolt11/...` code, never a crash.
 *
 * Spec conflicts, and what Warden does (see also ../shared/vectors/bolt11-invoices.json):
 * - Wrong-length `p`, `h`, `s`, `n` fields. The spec's example "Same, but including fields
 *   which must be ignored." is listed as valid and relies on readers skipping them (the old
 *   rule), while the current reader text says to fail. Warden's reader SKIPS them (and unknown
 *   fields): they are kept as `raw` fields in `fields` and listed in `skipped`, so the signature
 *   still covers them and a policy can see them. This matches the spec's own example and LDK
 *   (the node Warden signs for). Warden as a writer is strict instead: it never emits them, and
 *   policy-invoice-own-node refuses to sign an invoice that carries any (see
 *   src/policy/rules/invoice.ts), so a lenient and a strict reader always agree on what Warden
 *   signs.
 * - "Public-key recovery with high-S signature". Without an `n` field the reader recovers the
 *   key from (r, s, recovery id) with s used as transmitted, exactly as libsecp256k1's
 *   secp256k1_ecdsa_recover, and accepts high S as the spec says. For that example this yields
 *   02d0139c…803d, not the example key 03e7156a…d9ad: the example negated s without flipping
 *   the recovery id, and no consistent recovery maps it back. Warden does not special-case it
 *   (guessing a flipped id would let one signature name two payees); `highS` is reported.
 * - With an `n` field, a high-S signature fails (`bolt11/signature-high-s`), per the spec.
 */
import { bech32 } from "@scure/base";
import { scriptToAddress } from "../bitcoin/address.js";
import { sha256 } from "../crypto/hash.js";
import { ecdsaVerify, isValidPublicKey } from "../crypto/secp256k1.js";
import { isLowS } from "../crypto/signature.js";
import { CURVE_ORDER, bytesToScalar, scalarToBytes } from "../crypto/scalar.js";
import { CryptoError, FormatError } from "../errors.js";
import { checkInvoiceFeatures } from "./features.js";
import { fallbackScript, parseField } from "./fields.js";
import { parseHrp } from "./hrp.js";
import {
  DEFAULT_EXPIRY_SECONDS,
  type Bolt11Invoice,
  type DecodedFallback,
  type InvoiceContents,
  type RouteHintHop,
  type TaggedField,
} from "./invoice.js";
import { recoverPublicKey } from "../crypto/recovery.js";
import { wordsToBytesPadded, wordsToUint } from "./words.js";

/** Longest invoice string accepted (bech32 without BIP 173's 90-character limit, but bounded). */
export const MAX_INVOICE_LENGTH = 7089;
const TIMESTAMP_WORDS = 7;
const SIGNATURE_WORDS = 104;

function fail(code: string, message: string): never {
  throw new FormatError(`bolt11/${code}`, message);
}

function badSignature(code: string, message: string): never {
  throw new CryptoError(`bolt11/${code}`, message);
}

/** The hrp and 5-bit data words of a bech32 string (checksum checked, case folded). */
function bech32Words(invoice: string): { hrp: string; words: number[] } {
  if (typeof invoice !== "string") fail("type", "invoice must be a string");
  if (invoice.length > MAX_INVOICE_LENGTH) fail("too-long", "invoice string is too long");
  const lower = invoice.toLowerCase();
  if (invoice !== lower && invoice !== invoice.toUpperCase()) {
    fail("bech32-mixed-case", "invoice mixes upper and lower case");
  }
  if (lower.lastIndexOf("1") < 1) fail("bech32-separator", "no '1' separator after the prefix");
  try {
    const { prefix, words } = bech32.decode(lower as `${string}1${string}`, false);
    return { hrp: prefix, words };
  } catch {
    fail("bech32", "invalid bech32 characters or checksum");
  }
}

/** hrp bytes || data words (zero-padded to a byte) — the message whose SHA256 is signed. */
export function invoiceSigningData(hrp: string, dataWords: readonly number[]): Uint8Array {
  const hrpBytes = new TextEncoder().encode(hrp);
  const data = wordsToBytesPadded(dataWords, Math.ceil((dataWords.length * 5) / 8));
  const out = new Uint8Array(hrpBytes.length + data.length);
  out.set(hrpBytes);
  out.set(data, hrpBytes.length);
  return out;
}

function first<T extends TaggedField["type"]>(
  fields: readonly TaggedField[],
  type: T,
): Extract<TaggedField, { type: T }> | undefined {
  return fields.find((f) => f.type === type) as Extract<TaggedField, { type: T }> | undefined;
}

/** The payee whose key the signature proves: the `n` field (low-S required) or public-key recovery. */
function checkSignature(
  digest: Uint8Array,
  rs: Uint8Array,
  recoveryId: number,
  n: Uint8Array | undefined,
): Uint8Array {
  const r = bytesToScalar(rs.subarray(0, 32));
  const s = bytesToScalar(rs.subarray(32));
  if (r === 0n || r >= CURVE_ORDER || s === 0n || s >= CURVE_ORDER) {
    badSignature("signature-invalid", "signature r or s out of range");
  }
  if (n !== undefined) {
    if (!isValidPublicKey(n)) fail("payee-key", "the n field is not a valid public key");
    if (!isLowS(rs)) badSignature("signature-high-s", "high-S signature with an n field");
    if (!ecdsaVerify(rs, digest, n))
      badSignature("signature-invalid", "signature does not match n");
    return n;
  }
  const q = recoverPublicKey(digest, rs, recoveryId);
  if (q === undefined) badSignature("signature-unrecoverable", "public-key recovery fails");
  // Belt and braces: (r, s) and (r, n - s) verify under the same key; the facade wants low S.
  const low = isLowS(rs)
    ? rs
    : Uint8Array.of(...rs.subarray(0, 32), ...scalarToBytes(CURVE_ORDER - s));
  if (!ecdsaVerify(low, digest, q))
    badSignature("signature-invalid", "recovered key does not verify");
  return q;
}

/**
 * The contents of an unsigned invoice given as its lower-case hrp and data words (timestamp +
 * tagged fields, no signature) — the form LDK and CLN hand a signer; FormatError `bolt11/...`.
 */
export function decodeUnsignedInvoice(hrp: string, dataWords: readonly number[]): InvoiceContents {
  if (typeof hrp !== "string" || hrp !== hrp.toLowerCase())
    fail("prefix", "hrp must be lower case");
  const { network, amountMsat } = parseHrp(hrp);
  if (!Array.isArray(dataWords) || dataWords.some((w) => !Number.isInteger(w) || w < 0 || w > 31)) {
    fail("words", "data must be 5-bit words");
  }
  if (dataWords.length < TIMESTAMP_WORDS) fail("too-short", "too short for a timestamp");
  const end = dataWords.length;
  const timestamp = wordsToUint(dataWords.slice(0, TIMESTAMP_WORDS), "timestamp");
  const fields: TaggedField[] = [];
  for (let pos = TIMESTAMP_WORDS; pos < end;) {
    if (pos + 3 > end) fail("field-overflow", "truncated tagged field header");
    const code = dataWords[pos]!;
    const length = dataWords[pos + 1]! * 32 + dataWords[pos + 2]!;
    if (pos + 3 + length > end)
      fail("field-overflow", "tagged field runs past the end of the data");
    fields.push(parseField(code, dataWords.slice(pos + 3, pos + 3 + length)));
    pos += 3 + length;
  }

  const p = first(fields, "p");
  if (p === undefined) fail("missing-payment-hash", "no valid p (payment_hash) field");
  const s = first(fields, "s");
  if (s === undefined) fail("missing-payment-secret", "no valid s (payment_secret) field");
  const d = first(fields, "d");
  const h = first(fields, "h");
  if ((d === undefined) === (h === undefined)) {
    fail("description", "exactly one of d (description) and h (description hash) is required");
  }
  const features = first(fields, "9")?.featureBits ?? [];
  checkInvoiceFeatures(features);

  const fallbacks: DecodedFallback[] = [];
  const routeHints: (readonly RouteHintHop[])[] = [];
  for (const f of fields) {
    if (f.type === "r") routeHints.push(f.route);
    if (f.type !== "f") continue;
    const script = fallbackScript(f.fallback);
    fallbacks.push({ ...f.fallback, script, address: scriptToAddress(script, network) });
  }
  return {
    network,
    amountMsat,
    timestamp,
    fields,
    paymentHash: p.paymentHash,
    paymentSecret: s.paymentSecret,
    description: d?.description,
    descriptionHash: h?.descriptionHash,
    expirySeconds: first(fields, "x")?.expirySeconds ?? DEFAULT_EXPIRY_SECONDS,
    minFinalCltvExpiryDelta: first(fields, "c")?.minFinalCltvExpiryDelta,
    fallbacks,
    routeHints,
    featureBits: features,
    paymentMetadata: first(fields, "m")?.paymentMetadata,
    payeeNodeIdField: first(fields, "n")?.payeeNodeId,
    skipped: fields.filter((f) => f.type === "raw"),
  };
}

/** Decodes a BOLT 11 invoice string and checks its signature; FormatError/CryptoError `bolt11/...` otherwise. */
export function decodeInvoice(invoice: string): Bolt11Invoice {
  const { hrp, words } = bech32Words(invoice);
  parseHrp(hrp);
  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS) {
    fail("too-short", "too short for a timestamp and a signature");
  }
  const end = words.length - SIGNATURE_WORDS;
  const contents = decodeUnsignedInvoice(hrp, words.slice(0, end));
  const sigBytes = wordsToBytesPadded(words.slice(end), 65);
  const recoveryId = sigBytes[64]!;
  if (recoveryId > 3) badSignature("recovery-id", "recovery id must be 0-3");
  const rs = sigBytes.slice(0, 64);
  const signingHash = sha256(invoiceSigningData(hrp, words.slice(0, end)));
  const n = contents.payeeNodeIdField;
  const payeeNodeId = checkSignature(signingHash, rs, recoveryId, n);
  return {
    ...contents,
    payeeNodeId,
    payeeFromField: n !== undefined,
    signature: rs,
    recoveryId,
    highS: !isLowS(rs),
    signingHash,
  };
}
