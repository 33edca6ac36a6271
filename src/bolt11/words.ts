/**
 * 5-bit "words" (bech32 field elements) ⇄ bytes and unsigned integers, with the BOLT 11 padding
 * conventions: byte data is zero-padded up to a whole word when written, and when read the
 * trailing bits that do not fill a byte are padding (at most 4 bits; a whole spare word is an
 * error). Integers are big-endian words with no padding.
 */
import { FormatError } from "../errors.js";

/** Words needed for `byteLength` bytes of zero-padded data: ceil(8·n / 5). */
export function wordCountForBytes(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}

/** The bytes packed into `words`, ignoring up to 4 trailing padding bits; FormatError on a spare word. */
export function wordsToBytes(words: readonly number[], what: string): Uint8Array {
  const byteLength = Math.floor((words.length * 5) / 8);
  if (words.length * 5 - byteLength * 8 >= 5) {
    throw new FormatError("bolt11/padding", `${what}: a whole word of padding`);
  }
  return wordsToBytesPadded(words, byteLength);
}

/** The first `byteLength` bytes packed into `words` (the rest of the bits are padding). */
export function wordsToBytesPadded(words: readonly number[], byteLength: number): Uint8Array {
  const out = new Uint8Array(byteLength);
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (j < byteLength) out[j++] = (acc >> bits) & 0xff;
    }
  }
  // The bits of a last partial byte, zero-padded on the right (the signing data keeps them).
  if (bits > 0 && j < byteLength) out[j] = (acc << (8 - bits)) & 0xff;
  return out;
}

/** The bytes as words, the last word zero-padded: exactly wordCountForBytes(bytes.length) words. */
export function bytesToWords(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0x1fff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return out;
}

/** Big-endian value of up to 10 words (50 bits, a safe integer); FormatError if longer. */
export function wordsToUint(words: readonly number[], what: string): number {
  if (words.length > 10) throw new FormatError("bolt11/field-too-long", `${what} is too long`);
  let v = 0;
  for (const w of words) v = v * 32 + w;
  return v;
}

/** Minimal big-endian words of a safe non-negative integer (0 → no words). */
export function uintToWords(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FormatError("bolt11/integer", "integer field must be a safe non-negative integer");
  }
  const out: number[] = [];
  let v = value;
  while (v > 0) {
    out.unshift(v % 32);
    v = Math.floor(v / 32);
  }
  return out;
}

/** `value` as exactly `count` big-endian words (no range check beyond the caller's). */
export function uintToFixedWords(value: number, count: number): number[] {
  const out = new Array<number>(count).fill(0);
  let v = value;
  for (let i = count - 1; i >= 0; i--) {
    out[i] = v % 32;
    v = Math.floor(v / 32);
  }
  return out;
}
