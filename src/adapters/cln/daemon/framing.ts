/**
 * Core Lightning's socket framing between its daemons (wire/wire_io.c, wire/wire_sync.c): each
 * message is preceded by its length as a 4-byte big-endian integer; lengths of 2^27 or more are
 * refused (E2BIG), so a peer cannot make us buffer more than that for one message.
 */
import { WardenError } from "../../../errors.js";

/** Core Lightning's WIRE_LEN_LIMIT: a frame's length must be strictly below this. */
export const WIRE_LEN_LIMIT = 1 << 27;

/** A framing violation on a socket: code "cln/frame-oversized" or "cln/frame-truncated". */
export class FrameError extends WardenError {}

/** The message with its 4-byte big-endian length prefix; FrameError if it is too long. */
export function encodeFrame(message: Uint8Array): Uint8Array {
  if (message.length >= WIRE_LEN_LIMIT) {
    throw new FrameError("cln/frame-oversized", `message of ${message.length} bytes`);
  }
  const out = new Uint8Array(4 + message.length);
  new DataView(out.buffer).setUint32(0, message.length, false);
  out.set(message, 4);
  return out;
}

/**
 * Splits a byte stream into messages. Bytes are kept only until their frame is complete; a
 * header announcing WIRE_LEN_LIMIT or more throws at once, before any of its body is buffered.
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Body length of the frame being read, or -1 while its header is incomplete. */
  #want = -1;
  #failed = false;

  /** Feeds bytes; returns every message completed by them, in order. FrameError on an oversized header. */
  push(bytes: Uint8Array): Uint8Array[] {
    if (this.#failed) throw new FrameError("cln/frame-oversized", "stream already failed");
    if (bytes.length > 0) {
      this.#chunks.push(bytes);
      this.#buffered += bytes.length;
    }
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.#want < 0) {
        if (this.#buffered < 4) break;
        const header = this.#take(4);
        const len = new DataView(header.buffer, header.byteOffset, 4).getUint32(0, false);
        if (len >= WIRE_LEN_LIMIT) {
          this.#failed = true;
          this.#chunks = [];
          this.#buffered = 0;
          throw new FrameError(
            "cln/frame-oversized",
            `frame length ${len} is not below Core Lightning's limit ${WIRE_LEN_LIMIT}`,
          );
        }
        this.#want = len;
      }
      if (this.#buffered < this.#want) break;
      out.push(this.#take(this.#want));
      this.#want = -1;
    }
    return out;
  }

  /** True when the stream stopped inside a frame (header or body incomplete). */
  get midFrame(): boolean {
    return this.#buffered > 0 || this.#want >= 0;
  }

  /** A description of the incomplete frame, for the error reported at end of stream. */
  describeTruncation(): string {
    if (this.#want < 0) return `end of stream after ${this.#buffered} of 4 length bytes`;
    return `end of stream after ${this.#buffered} of ${this.#want} message bytes`;
  }

  /** Removes and returns the first n buffered bytes (n ≤ buffered), copying only when split. */
  #take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    this.#buffered -= n;
    return out;
  }
}
