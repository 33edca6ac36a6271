/**
 * The BOLT 12 text form: hrp (lno, lnr, lni) + "1" + the TLV stream in bech32 characters with
 * no checksum. All lower or all upper case; a "+" followed by optional whitespace may join two
 * bech32 characters and is removed. Errors are FormatError `bolt12/string`.
 */
import { FormatError } from "../errors.js";

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const VALUE = new Map([...CHARSET].map((c, i) => [c, i]));
const JOIN = /([a-z0-9])\+\s*(?=[a-z0-9])/g;

function fail(message: string): never {
  throw new FormatError("bolt12/string", message);
}

/** Decodes a BOLT 12 string into its lower-case hrp and TLV bytes; FormatError if malformed. */
export function decodeBolt12String(text: string): { hrp: string; bytes: Uint8Array } {
  if (typeof text !== "string") fail("BOLT 12 string must be a string");
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) fail("mixed case");
  const joined = lower.replace(JOIN, "$1");
  const sep = joined.lastIndexOf("1");
  if (sep < 1) fail("no '1' separator after the prefix");
  const hrp = joined.slice(0, sep);
  if (!/^[a-z]+$/.test(hrp)) fail("bad prefix");
  const data = joined.slice(sep + 1);
  const out = new Uint8Array(Math.floor((data.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (const c of data) {
    const v = VALUE.get(c);
    if (v === undefined) fail("character outside the bech32 alphabet");
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) fail("bad padding");
  return { hrp, bytes: out };
}

/** The lower-case BOLT 12 string of `bytes` under `hrp` (no checksum, no "+" joins). */
export function encodeBolt12String(hrp: string, bytes: Uint8Array): string {
  if (!/^[a-z]+$/.test(hrp)) fail("bad prefix");
  let out = `${hrp}1`;
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0x1fff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CHARSET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += CHARSET[(acc << (5 - bits)) & 31];
  return out;
}
