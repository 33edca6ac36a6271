/**
 * BOLT 1 BigSize: a variable-length big-endian u64 (1, 3, 5 or 9 bytes: < 0xfd as one byte,
 * else 0xfd/0xfe/0xff + u16/u32/u64). Encodings must be minimal; reading a non-minimal or
 * truncated one throws FormatError `bolt12/bigsize`.
 */
import { FormatError } from "../errors.js";

/** The largest BigSize value, 2^64 - 1. */
export const MAX_BIGSIZE = (1n << 64n) - 1n;

function fail(message: string): never {
  throw new FormatError("bolt12/bigsize", message);
}

/** Minimal BigSize bytes of 0 <= value < 2^64. */
export function encodeBigSize(value: bigint): Uint8Array {
  if (typeof value !== "bigint" || value < 0n || value > MAX_BIGSIZE) {
    fail("BigSize value must be a bigint in [0, 2^64)");
  }
  if (value < 0xfdn) return Uint8Array.of(Number(value));
  const [prefix, size] =
    value <= 0xffffn ? [0xfd, 2] : value <= 0xffffffffn ? [0xfe, 4] : [0xff, 8];
  const out = new Uint8Array(1 + size);
  out[0] = prefix;
  for (let i = 0; i < size; i++) out[size - i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The value and byte length of the minimal BigSize at `offset`; FormatError if truncated or non-minimal. */
export function decodeBigSize(bytes: Uint8Array, offset = 0): { value: bigint; length: number } {
  if (offset >= bytes.length) fail("truncated BigSize");
  const first = bytes[offset]!;
  if (first < 0xfd) return { value: BigInt(first), length: 1 };
  const size = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
  if (offset + 1 + size > bytes.length) fail("truncated BigSize");
  let value = 0n;
  for (let i = 1; i <= size; i++) value = (value << 8n) | BigInt(bytes[offset + i]!);
  const min = first === 0xfd ? 0xfdn : first === 0xfe ? 0x10000n : 0x100000000n;
  if (value < min) fail("non-minimal BigSize");
  return { value, length: 1 + size };
}
