/**
 * Strict little-endian byte reader for Bitcoin wire formats. Every read is bounds checked and
 * raises a FormatError whose code is `format/<ctx>-<problem>` (e.g. `format/tx-truncated`),
 * where `ctx` names the structure being parsed. CompactSize values must use the shortest
 * encoding. Internal to the bitcoin layer.
 */
import { FormatError } from "../errors.js";

/** Cursor over an immutable byte array; throws FormatError instead of reading out of bounds. */
export class ByteReader {
  private readonly buf: Buffer;
  pos = 0;

  constructor(
    bytes: Uint8Array,
    readonly ctx: string,
  ) {
    if (!(bytes instanceof Uint8Array)) {
      throw new FormatError(`format/${ctx}-type`, "expected a Uint8Array");
    }
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** A FormatError with this reader's context prefix. */
  error(problem: string, message: string): FormatError {
    return new FormatError(`format/${this.ctx}-${problem}`, message);
  }

  private need(n: number): void {
    if (this.buf.length - this.pos < n) {
      throw this.error("truncated", `needed ${n} more bytes at offset ${this.pos}`);
    }
  }

  /** Reads one byte. */
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** Reads the next byte without consuming it; throws on end of input. */
  peekU8(): number {
    this.need(1);
    return this.buf[this.pos]!;
  }

  /** Reads a 32-bit unsigned little-endian integer. */
  u32le(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Reads a 64-bit unsigned little-endian integer as a bigint. */
  u64le(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  /**
   * Reads a canonical CompactSize no larger than `max` (at most 2^32-1, so always a safe number).
   * Non-shortest encodings are rejected (`varint-noncanonical`); values above `max` raise
   * `<overProblem>` (default `varint-range`).
   */
  compactSize(max: number, overProblem = "varint-range"): number {
    const b0 = this.u8();
    let v: number;
    if (b0 < 0xfd) return this.checkMax(b0, max, overProblem);
    if (b0 === 0xfd) {
      this.need(2);
      v = this.buf.readUInt16LE(this.pos);
      this.pos += 2;
      if (v < 0xfd) throw this.error("varint-noncanonical", "non-minimal CompactSize");
    } else if (b0 === 0xfe) {
      v = this.u32le();
      if (v <= 0xffff) throw this.error("varint-noncanonical", "non-minimal CompactSize");
    } else {
      const big = this.u64le();
      if (big <= 0xffffffffn) throw this.error("varint-noncanonical", "non-minimal CompactSize");
      throw this.error("varint-range", "CompactSize exceeds the allowed maximum");
    }
    return this.checkMax(v, max, overProblem);
  }

  private checkMax(v: number, max: number, problem: string): number {
    if (v > max) throw this.error(problem, `CompactSize ${v} exceeds limit ${max}`);
    return v;
  }

  /** Reads exactly `n` bytes into a fresh copy (later changes to the input do not leak in). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** Reads a CompactSize length (bounded by the remaining input) followed by that many bytes. */
  varBytes(): Uint8Array {
    const n = this.compactSize(this.remaining, "truncated");
    return this.bytes(n);
  }

  /** Throws `<ctx>-trailing` unless every byte has been consumed. */
  assertEnd(): void {
    if (this.pos !== this.buf.length) {
      throw this.error("trailing", `${this.buf.length - this.pos} unexpected trailing bytes`);
    }
  }
}
