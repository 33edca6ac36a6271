/**
 * The BOLT 11 `9` field: a big-endian feature bit vector in 5-bit words, bit 0 being the least
 * significant bit of the last word. "It's ok to be odd": unknown odd bits are ignored, an
 * unknown even bit fails the invoice. Known bits are the BOLT 9 features whose context includes
 * `9` (invoices), including the ASSUMED ones writers still set. Error codes:
 * `bolt11/unknown-required-feature`, `bolt11/feature-dependency`.
 */
import { FormatError } from "../errors.js";

/** Feature pairs (even bit) that BOLT 9 allows in invoices. */
export const KNOWN_INVOICE_FEATURES: ReadonlyMap<number, string> = new Map([
  [8, "var_onion_optin"],
  [14, "payment_secret"],
  [16, "basic_mpp"],
  [24, "option_route_blinding"],
  [36, "option_attribution_data"],
  [48, "option_payment_metadata"],
]);

/** Dependencies (even bit of the feature → even bit of the features it needs). */
const DEPENDS_ON: ReadonlyMap<number, readonly number[]> = new Map([[16, [14]]]);

function hasPair(bits: ReadonlySet<number>, even: number): boolean {
  return bits.has(even) || bits.has(even + 1);
}

/** Set bit numbers (ascending) of a feature word vector. */
export function featureBitsFromWords(words: readonly number[]): number[] {
  const bits: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[words.length - 1 - i]!;
    for (let b = 0; b < 5; b++) if ((w >> b) & 1) bits.push(i * 5 + b);
  }
  return bits;
}

/** The minimal word vector with exactly `bits` set (no leading zero words; [] for no bits). */
export function featureWordsFromBits(bits: readonly number[]): number[] {
  if (bits.length === 0) return [];
  for (const b of bits) {
    if (!Number.isInteger(b) || b < 0 || b > 5115) {
      throw new FormatError("bolt11/feature-bit", "feature bits must be integers in [0, 5115]");
    }
  }
  const count = Math.floor(Math.max(...bits) / 5) + 1;
  const words = new Array<number>(count).fill(0);
  for (const b of bits) words[count - 1 - Math.floor(b / 5)]! |= 1 << (b % 5);
  return words;
}

/** Throws unless every even (required) bit is known and known dependencies are set. */
export function checkInvoiceFeatures(bits: readonly number[]): void {
  const set = new Set(bits);
  for (const b of set) {
    if (b % 2 === 0 && !KNOWN_INVOICE_FEATURES.has(b)) {
      throw new FormatError(
        "bolt11/unknown-required-feature",
        `the invoice requires unknown feature bit ${b}`,
      );
    }
  }
  for (const [feature, needs] of DEPENDS_ON) {
    if (!hasPair(set, feature)) continue;
    for (const n of needs) {
      if (!hasPair(set, n)) {
        throw new FormatError(
          "bolt11/feature-dependency",
          `feature ${KNOWN_INVOICE_FEATURES.get(feature)} needs ${KNOWN_INVOICE_FEATURES.get(n)}`,
        );
      }
    }
  }
}
