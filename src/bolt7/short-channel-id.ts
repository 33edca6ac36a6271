/**
 * BOLT 7 short_channel_id: 3 bytes block height, 3 bytes transaction index in the block, 2
 * bytes output index, big-endian, 8 bytes in all; written `HEIGHTxTXINDEXxOUTPUT` as humans
 * (and Core Lightning) print it.
 */
import { FormatError } from "../errors.js";

/** The three parts of a short_channel_id. */
export interface ShortChannelId {
  readonly blockHeight: number;
  readonly txIndex: number;
  readonly outputIndex: number;
}

const U24_MAX = 0xffffff;
const U16_MAX = 0xffff;

function bad(message: string): never {
  throw new FormatError("format/short-channel-id", message);
}

/** The parts of an 8-byte short_channel_id; FormatError `format/short-channel-id` unless 8 bytes. */
export function decodeShortChannelId(b: Uint8Array): ShortChannelId {
  if (!(b instanceof Uint8Array) || b.length !== 8) bad("a short_channel_id is 8 bytes");
  return {
    blockHeight: (b[0]! << 16) | (b[1]! << 8) | b[2]!,
    txIndex: (b[3]! << 16) | (b[4]! << 8) | b[5]!,
    outputIndex: (b[6]! << 8) | b[7]!,
  };
}

/** The 8 bytes of `scid`; FormatError unless height and tx index fit 24 bits and output 16 bits. */
export function encodeShortChannelId(scid: ShortChannelId): Uint8Array {
  const { blockHeight: h, txIndex: t, outputIndex: o } = scid;
  for (const [v, max, name] of [
    [h, U24_MAX, "block height"],
    [t, U24_MAX, "tx index"],
    [o, U16_MAX, "output index"],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > max) bad(`${name} must be an integer in [0, ${max}]`);
  }
  return Uint8Array.of(
    h >> 16,
    (h >> 8) & 0xff,
    h & 0xff,
    t >> 16,
    (t >> 8) & 0xff,
    t & 0xff,
    o >> 8,
    o & 0xff,
  );
}

/** `HEIGHTxTXINDEXxOUTPUT` of an 8-byte short_channel_id. */
export function shortChannelIdToString(b: Uint8Array): string {
  const s = decodeShortChannelId(b);
  return `${s.blockHeight}x${s.txIndex}x${s.outputIndex}`;
}

/** The 8 bytes of `HEIGHTxTXINDEXxOUTPUT`; FormatError on anything else. */
export function shortChannelIdFromString(text: string): Uint8Array {
  const m = typeof text === "string" ? /^(\d{1,8})x(\d{1,8})x(\d{1,5})$/.exec(text) : null;
  if (m === null) bad("expected HEIGHTxTXINDEXxOUTPUT");
  return encodeShortChannelId({
    blockHeight: Number(m[1]),
    txIndex: Number(m[2]),
    outputIndex: Number(m[3]),
  });
}
