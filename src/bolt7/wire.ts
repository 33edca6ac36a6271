/**
 * BOLT 1 fundamental types for the gossip codecs: a strict big-endian reader (every read is
 * bounds checked and raises FormatError `format/<ctx>-truncated`) and a size-exact writer.
 * Internal to bolt7/.
 */
import { FormatError } from "../errors.js";

/** Cursor over a BOLT message; throws FormatError instead of reading out of bounds. */
export class WireReader {
  readonly #b: Uint8Array;
  readonly #view: DataView;
  pos = 0;

  constructor(
    bytes: Uint8Array,
    readonly ctx: string,
  ) {
    if (!(bytes instanceof Uint8Array)) {
      throw new FormatError(`format/${ctx}-type`, "expected a Uint8Array");
    }
    this.#b = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.#b.length - this.pos;
  }

  /** A FormatError with this reader's context prefix. */
  error(problem: string, message: string): FormatError {
    return new FormatError(`format/${this.ctx}-${problem}`, message);
  }

  #need(n: number): void {
    if (this.#b.length - this.pos < n) {
      throw this.error("truncated", `needed ${n} more bytes at offset ${this.pos}`);
    }
  }

  /** Reads one byte. */
  u8(): number {
    this.#need(1);
    return this.#b[this.pos++]!;
  }

  /** Reads a big-endian u16. */
  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  /** Reads a big-endian u32. */
  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** Reads a big-endian u64 as a bigint. */
  u64(): bigint {
    this.#need(8);
    const v = this.#view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** Reads exactly `n` bytes into a fresh copy. */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.#b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads a u16 length followed by that many bytes. */
  u16Bytes(): Uint8Array {
    return this.bytes(this.u16());
  }

  /** Every byte not yet consumed (a fresh copy; empty at the end). */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
}

/** Writes into a preallocated buffer of exactly the announced size. */
export class WireWriter {
  readonly buf: Uint8Array;
  readonly #view: DataView;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.#view = new DataView(this.buf.buffer);
  }

  /** Writes one byte. */
  u8(v: number): void {
    this.#view.setUint8(this.pos, v);
    this.pos += 1;
  }

  /** Writes a big-endian u16. */
  u16(v: number): void {
    this.#view.setUint16(this.pos, v);
    this.pos += 2;
  }

  /** Writes a big-endian u32. */
  u32(v: number): void {
    this.#view.setUint32(this.pos, v);
    this.pos += 4;
  }

  /** Writes a big-endian u64. */
  u64(v: bigint): void {
    this.#view.setBigUint64(this.pos, v);
    this.pos += 8;
  }

  /** Copies raw bytes. */
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes a u16 length prefix and the bytes. */
  u16Bytes(b: Uint8Array): void {
    this.u16(b.length);
    this.bytes(b);
  }

  /** The message; throws if the announced size was not filled exactly (a bug, not input). */
  finish(): Uint8Array {
    if (this.pos !== this.buf.length) {
      throw new Error(`WireWriter size mismatch: wrote ${this.pos} of ${this.buf.length}`);
    }
    return this.buf;
  }
}

/** FormatError `format/<ctx>-field` unless `b` is a Uint8Array of `len` bytes (any length if undefined). */
export function fieldBytes(
  ctx: string,
  b: unknown,
  len: number | undefined,
  name: string,
): Uint8Array {
  if (!(b instanceof Uint8Array) || (len !== undefined && b.length !== len)) {
    const what = len === undefined ? "bytes" : `${len} bytes`;
    throw new FormatError(`format/${ctx}-field`, `${name} must be ${what}`);
  }
  return b;
}

/** FormatError `format/<ctx>-field` unless `v` is an integer in [0, max]. */
export function fieldInt(ctx: string, v: unknown, max: number, name: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
    throw new FormatError(`format/${ctx}-field`, `${name} must be an integer in [0, ${max}]`);
  }
  return v;
}

/** FormatError `format/<ctx>-field` unless `v` is a u64 bigint. */
export function fieldU64(ctx: string, v: unknown, name: string): bigint {
  if (typeof v !== "bigint" || v < 0n || v > 0xffff_ffff_ffff_ffffn) {
    throw new FormatError(`format/${ctx}-field`, `${name} must be a u64 bigint`);
  }
  return v;
}

/** FormatError `format/<ctx>-field` unless `b` fits a u16 length prefix. */
export function fieldU16Bytes(ctx: string, b: unknown, name: string): Uint8Array {
  const out = fieldBytes(ctx, b, undefined, name);
  if (out.length > 0xffff) {
    throw new FormatError(`format/${ctx}-field`, `${name} is longer than 65535 bytes`);
  }
  return out;
}

/** The 2-byte big-endian message type of `msg`, or undefined if it is shorter than 2 bytes. */
export function messageType(msg: Uint8Array): number | undefined {
  return msg.length < 2 ? undefined : (msg[0]! << 8) | msg[1]!;
}
