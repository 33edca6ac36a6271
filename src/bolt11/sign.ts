/**
 * Writing BOLT 11 invoices: hrp + timestamp + tagged fields (in the given order) + a
 * recoverable ECDSA signature. Signatures are the facade's deterministic RFC 6979, low-S,
 * without low-R grinding — what the spec's examples use — and the recovery id is found by
 * recovering each candidate. The writer enforces the rules a reader relies on: exactly one `p`
 * and `s`, exactly one of `d`/`h`, a 35-bit timestamp, no unknown required feature.
 */
import { bech32 } from "@scure/base";
import { sha256 } from "../crypto/hash.js";
import { ecdsaSign, publicKey } from "../crypto/secp256k1.js";
import { CryptoError, FormatError } from "../errors.js";
import { equalBytes } from "../util/bytes.js";
import { decodeUnsignedInvoice, invoiceSigningData, MAX_INVOICE_LENGTH } from "./decode.js";
import { checkInvoiceFeatures } from "./features.js";
import { encodeField } from "./fields.js";
import { formatHrp } from "./hrp.js";
import type { UnsignedInvoice } from "./invoice.js";
import { recoverPublicKey } from "../crypto/recovery.js";
import { bytesToWords, uintToFixedWords } from "./words.js";

const MAX_TIMESTAMP = 2 ** 35 - 1;

function fail(code: string, message: string): never {
  throw new FormatError(`bolt11/${code}`, message);
}

function checkWritable(inv: UnsignedInvoice): void {
  const count = (t: string) => inv.fields.filter((f) => f.type === t).length;
  if (count("p") !== 1) fail("missing-payment-hash", "an invoice needs exactly one p field");
  if (count("s") !== 1) fail("missing-payment-secret", "an invoice needs exactly one s field");
  if (count("d") + count("h") !== 1) {
    fail("description", "an invoice needs exactly one d or h field");
  }
  for (const f of inv.fields) if (f.type === "9") checkInvoiceFeatures(f.featureBits);
  if (!Number.isSafeInteger(inv.timestamp) || inv.timestamp < 0 || inv.timestamp > MAX_TIMESTAMP) {
    fail("timestamp", "timestamp must fit in 35 bits");
  }
}

/** The hrp and the data words before the signature, exactly as signed; FormatError if not writable. */
export function encodeUnsignedInvoice(inv: UnsignedInvoice): { hrp: string; words: number[] } {
  checkWritable(inv);
  const hrp = formatHrp(inv.network, inv.amountMsat);
  const words = uintToFixedWords(inv.timestamp, 7);
  for (const field of inv.fields) {
    const { code, words: data } = encodeField(field);
    words.push(code, data.length >> 5, data.length & 31, ...data);
  }
  return { hrp, words };
}

/** SHA256 of the invoice's signing data: the 32-byte message a BOLT 11 signature signs. */
export function invoiceSigningHash(inv: UnsignedInvoice): Uint8Array {
  const { hrp, words } = encodeUnsignedInvoice(inv);
  return sha256(invoiceSigningData(hrp, words));
}

/** r||s||recovery id (65 bytes): the RFC 6979 low-S signature of `digest32` by `nodeSecret` and the id that recovers its key. */
export function signRecoverable(digest32: Uint8Array, nodeSecret: Uint8Array): Uint8Array {
  const rs = ecdsaSign(digest32, nodeSecret);
  const pub = publicKey(nodeSecret);
  for (let id = 0; id < 4; id++) {
    const q = recoverPublicKey(digest32, rs, id);
    if (q !== undefined && equalBytes(q, pub)) {
      const sig = new Uint8Array(65);
      sig.set(rs);
      sig[64] = id;
      return sig;
    }
  }
  throw new CryptoError("bolt11/recovery-id", "no recovery id recovers the signing key");
}

/**
 * The recoverable signature (r||s||recovery id, 65 bytes) of an invoice handed over as its
 * lower-case hrp and data words (timestamp + tagged fields), as LDK and CLN ask a signer for
 * it; the words are signed exactly as given once they decode as an invoice (FormatError
 * otherwise) — check them with policy-invoice-own-node first.
 */
export function signInvoiceData(
  hrp: string,
  dataWords: readonly number[],
  nodeSecret: Uint8Array,
): Uint8Array {
  decodeUnsignedInvoice(hrp, dataWords);
  return signRecoverable(sha256(invoiceSigningData(hrp, dataWords)), nodeSecret);
}

/** The bech32 invoice string for `inv`, signed by `nodeSecret` (RFC 6979, low-S, with recovery id). */
export function signInvoice(inv: UnsignedInvoice, nodeSecret: Uint8Array): string {
  const { hrp, words } = encodeUnsignedInvoice(inv);
  const sig = signInvoiceData(hrp, words, nodeSecret);
  const out = bech32.encode(hrp, [...words, ...bytesToWords(sig)], false);
  if (out.length > MAX_INVOICE_LENGTH) fail("too-long", "invoice string is too long");
  return out;
}
