/**
 * Tagged fields ⇄ 5-bit words, one field at a time. Reading follows the BOLT 11 reader rules as
 * Warden applies them (see decode.ts for the spec conflict on wrong lengths): a `p`, `h`, `s`
 * or `n` field of the wrong length, an `f` field with an unknown version (19-31) and a field of
 * unknown type come back as a `raw` field with a skip reason; `x`, `c` and `9` must be minimal
 * (no leading zero word); `d` must be UTF-8; `f` must be a valid program or hash for its
 * version; `r` must be whole 51-byte hops. Writing is the exact inverse, so decode → encode
 * reproduces the words.
 */
import { p2pkhFromHash, p2shFromHash, witnessOutput } from "../bitcoin/outputs.js";
import { FormatError } from "../errors.js";
import { featureBitsFromWords, featureWordsFromBits } from "./features.js";
import type { FallbackAddress, RouteHintHop, TaggedField } from "./invoice.js";
import { bytesToWords, uintToWords, wordsToBytes, wordsToUint } from "./words.js";

/** The bech32 alphabet: a field's type character is the letter of its 5-bit code. */
export const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

type Known = Exclude<TaggedField["type"], "raw">;

/** 5-bit type code of each known field. */
export const FIELD_CODE: Readonly<Record<Known, number>> = {
  p: 1,
  s: 16,
  d: 13,
  h: 23,
  n: 19,
  x: 6,
  c: 24,
  f: 9,
  r: 3,
  "9": 5,
  m: 27,
};

/** data_length (words) of the fixed-size fields. */
const FIXED_LENGTH: Readonly<Partial<Record<Known, number>>> = { p: 52, s: 52, h: 52, n: 53 };

const HOP_BYTES = 33 + 8 + 4 + 4 + 2;
const MAX_FIELD_WORDS = 1023;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function fail(code: string, message: string): never {
  throw new FormatError(`bolt11/${code}`, message);
}

function minimalUint(words: readonly number[], what: string): number {
  if (words.length > 0 && words[0] === 0) fail("non-minimal", `${what} has a leading zero word`);
  return wordsToUint(words, what);
}

function fixedBytes(words: readonly number[], byteLength: number): Uint8Array {
  return wordsToBytes(words, "field").subarray(0, byteLength);
}

/** The scriptPubKey a fallback pays to; FormatError `bolt11/fallback` if malformed for its version. */
export function fallbackScript(fb: FallbackAddress): Uint8Array {
  const { version, program } = fb;
  if (version === 17 || version === 18) {
    if (program.length !== 20) fail("fallback", `version ${version} needs a 20-byte hash`);
    return version === 17 ? p2pkhFromHash(program) : p2shFromHash(program);
  }
  if (!Number.isInteger(version) || version < 0 || version > 16) {
    fail("fallback", "fallback version must be 0-18");
  }
  if (program.length < 2 || program.length > 40) fail("fallback", "witness program of bad length");
  if (version === 0 && program.length !== 20 && program.length !== 32) {
    fail("fallback", "v0 witness program must be 20 or 32 bytes");
  }
  return witnessOutput(version, program);
}

function parseRoute(words: readonly number[]): RouteHintHop[] {
  const bytes = wordsToBytes(words, "route hint");
  if (bytes.length === 0 || bytes.length % HOP_BYTES !== 0) {
    fail("route-hint", `route hint must be whole ${HOP_BYTES}-byte hops`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hops: RouteHintHop[] = [];
  for (let o = 0; o < bytes.length; o += HOP_BYTES) {
    hops.push({
      pubkey: bytes.slice(o, o + 33),
      shortChannelId: view.getBigUint64(o + 33),
      feeBaseMsat: BigInt(view.getUint32(o + 41)),
      feeProportionalMillionths: view.getUint32(o + 45),
      cltvExpiryDelta: view.getUint16(o + 49),
    });
  }
  return hops;
}

function encodeRoute(route: readonly RouteHintHop[]): Uint8Array {
  if (route.length === 0) fail("route-hint", "a route hint needs at least one hop");
  const bytes = new Uint8Array(route.length * HOP_BYTES);
  const view = new DataView(bytes.buffer);
  route.forEach((hop, i) => {
    const o = i * HOP_BYTES;
    if (hop.pubkey.length !== 33) fail("route-hint", "hop pubkey must be 33 bytes");
    const u32 = (v: number | bigint) =>
      typeof v === "bigint"
        ? v >= 0n && v <= 0xffffffffn
        : Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
    if (!u32(hop.feeBaseMsat) || !u32(hop.feeProportionalMillionths)) {
      fail("route-hint", "hop fees must be u32");
    }
    if (
      !Number.isInteger(hop.cltvExpiryDelta) ||
      hop.cltvExpiryDelta < 0 ||
      hop.cltvExpiryDelta > 0xffff
    ) {
      fail("route-hint", "hop cltv_expiry_delta must be u16");
    }
    if (hop.shortChannelId < 0n || hop.shortChannelId >= 1n << 64n)
      fail("route-hint", "short_channel_id must be u64");
    bytes.set(hop.pubkey, o);
    view.setBigUint64(o + 33, hop.shortChannelId);
    view.setUint32(o + 41, Number(hop.feeBaseMsat));
    view.setUint32(o + 45, hop.feeProportionalMillionths);
    view.setUint16(o + 49, hop.cltvExpiryDelta);
  });
  return bytes;
}

/** Reads one tagged field's data; unknown or skippable fields come back as `raw` with a reason. */
export function parseField(code: number, words: readonly number[]): TaggedField {
  const type = BECH32_CHARSET[code] as Known;
  const raw = (reason: "unknown-type" | "unknown-fallback-version" | "wrong-length") =>
    ({ type: "raw", code, words: words.slice(), reason }) as const;
  if (FIELD_CODE[type] !== code) return raw("unknown-type");
  const fixed = FIXED_LENGTH[type];
  if (fixed !== undefined && words.length !== fixed) return raw("wrong-length");
  switch (type) {
    case "p":
      return { type, paymentHash: fixedBytes(words, 32) };
    case "s":
      return { type, paymentSecret: fixedBytes(words, 32) };
    case "h":
      return { type, descriptionHash: fixedBytes(words, 32) };
    case "n":
      return { type, payeeNodeId: fixedBytes(words, 33) };
    case "d": {
      const bytes = wordsToBytes(words, "description");
      let description: string;
      try {
        description = utf8.decode(bytes);
      } catch {
        fail("description-utf8", "description is not valid UTF-8");
      }
      return { type, description };
    }
    case "x":
      return { type, expirySeconds: minimalUint(words, "expiry") };
    case "c":
      return { type, minFinalCltvExpiryDelta: minimalUint(words, "min_final_cltv_expiry_delta") };
    case "9":
      if (words.length === 0 || words[0] === 0) {
        fail("non-minimal", "features field has a leading zero word");
      }
      return { type, featureBits: featureBitsFromWords(words) };
    case "m":
      return { type, paymentMetadata: wordsToBytes(words, "payment metadata") };
    case "r":
      return { type, route: parseRoute(words) };
    case "f": {
      if (words.length === 0) fail("fallback", "empty fallback field");
      const version = words[0]!;
      if (version > 18) return raw("unknown-fallback-version");
      const fallback = { version, program: wordsToBytes(words.slice(1), "fallback") };
      fallbackScript(fallback);
      return { type, fallback };
    }
  }
}

/** The 5-bit type code and data words of a field; FormatError if a value is out of range. */
export function encodeField(field: TaggedField): { code: number; words: number[] } {
  const code = field.type === "raw" ? field.code : FIELD_CODE[field.type];
  const bytes = (b: Uint8Array, n: number | undefined, what: string) => {
    if (!(b instanceof Uint8Array) || (n !== undefined && b.length !== n)) {
      fail("field-value", `${what} must be ${n} bytes`);
    }
    return bytesToWords(b);
  };
  let words: number[];
  switch (field.type) {
    case "p":
      words = bytes(field.paymentHash, 32, "payment hash");
      break;
    case "s":
      words = bytes(field.paymentSecret, 32, "payment secret");
      break;
    case "h":
      words = bytes(field.descriptionHash, 32, "description hash");
      break;
    case "n":
      words = bytes(field.payeeNodeId, 33, "payee node id");
      break;
    case "d":
      words = bytesToWords(new TextEncoder().encode(field.description));
      break;
    case "m":
      words = bytes(field.paymentMetadata, undefined, "payment metadata");
      break;
    case "x":
      words = uintToWords(field.expirySeconds);
      break;
    case "c":
      words = uintToWords(field.minFinalCltvExpiryDelta);
      break;
    case "9":
      words = featureWordsFromBits(field.featureBits);
      if (words.length === 0) fail("field-value", "omit the features field when no bit is set");
      break;
    case "r":
      words = bytesToWords(encodeRoute(field.route));
      break;
    case "f":
      fallbackScript(field.fallback);
      words = [field.fallback.version, ...bytesToWords(field.fallback.program)];
      break;
    case "raw":
      if (!Number.isInteger(code) || code < 0 || code > 31)
        fail("field-value", "type code must be 0-31");
      words = field.words.slice();
      if (words.some((w) => !Number.isInteger(w) || w < 0 || w > 31)) {
        fail("field-value", "words must be 5-bit values");
      }
      break;
  }
  if (words.length > MAX_FIELD_WORDS)
    fail("field-too-long", `field ${BECH32_CHARSET[code]} exceeds 1023 words`);
  return { code, words };
}
