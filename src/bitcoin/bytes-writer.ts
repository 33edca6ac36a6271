/**
 * Fixed-size little-endian byte writer for Bitcoin wire formats. The caller computes the exact
 * output size first (see `compactSizeLength`), the writer fills one preallocated Buffer and
 * `finish()` checks that every byte was written. Internal to the bitcoin layer.
 */
import { FormatError } from "../errors.js";

/** Largest value a CompactSize field may carry in this code base (callers pass JS numbers). */
const MAX_COMPACT_NUMBER = Number.MAX_SAFE_INTEGER;

/** Serialized length in bytes (1, 3, 5 or 9) of the canonical CompactSize encoding of `n`. */
export function compactSizeLength(n: number): number {
  if (n < 0xfd) return 1;
  if (n <= 0xffff) return 3;
  if (n <= 0xffffffff) return 5;
  return 9;
}

/** Writes into a preallocated buffer of exactly the announced size; never reallocates. */
export class ByteWriter {
  readonly buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Writes one byte (0..255). */
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  /** Writes a 32-bit unsigned integer, little endian. */
  u32le(v: number): void {
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  /** Writes a 64-bit unsigned integer, little endian. */
  u64le(v: bigint): void {
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
  }

  /** Writes `n` as a canonical (shortest) CompactSize. */
  compactSize(n: number): void {
    const b = this.buf;
    if (n < 0xfd) {
      b[this.pos++] = n;
    } else if (n <= 0xffff) {
      b[this.pos] = 0xfd;
      b.writeUInt16LE(n, this.pos + 1);
      this.pos += 3;
    } else if (n <= 0xffffffff) {
      b[this.pos] = 0xfe;
      b.writeUInt32LE(n, this.pos + 1);
      this.pos += 5;
    } else {
      if (n > MAX_COMPACT_NUMBER) throw new FormatError("format/varint-range", "too large");
      b[this.pos] = 0xff;
      b.writeBigUInt64LE(BigInt(n), this.pos + 1);
      this.pos += 9;
    }
  }

  /** Copies raw bytes. */
  bytes(src: Uint8Array): void {
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Writes a CompactSize length prefix followed by the bytes. */
  varBytes(src: Uint8Array): void {
    this.compactSize(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Returns the buffer; throws if the announced size was not filled exactly (a bug, not input). */
  finish(): Buffer {
    if (this.pos !== this.buf.length) {
      throw new Error(`ByteWriter size mismatch: wrote ${this.pos} of ${this.buf.length}`);
    }
    return this.buf;
  }
}
