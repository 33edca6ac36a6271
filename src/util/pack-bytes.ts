/**
 * Packs the byte arrays of a plain message into one buffer before it crosses threads.
 * Structured cloning gives every Uint8Array of a message its own backing store, and a request
 * of the channel signer carries dozens (hashes, points, signatures): allocating, tracking and
 * freeing them costs the receiving thread's garbage collector more than the signing work it
 * saves. packBytes copies them into one ArrayBuffer (to be transferred, not copied) and
 * returns the message with views into it in their place; the receiver needs nothing special.
 */

/** A message whose byte arrays are views into `buffer`, and that buffer (to transfer). */
export interface PackedMessage<T> {
  value: T;
  /** Undefined when the message holds no byte arrays. */
  buffer: ArrayBuffer | undefined;
}

/**
 * Returns a copy of `value` in which every Uint8Array is a view into one new ArrayBuffer.
 * Walks arrays and plain objects only (other values, including class instances, are kept
 * as they are); the input is not changed. Guarantees: equal content, same shape.
 */
export function packBytes<T>(value: T): PackedMessage<T> {
  let total = 0;
  const sizeOf = (v: unknown): void => {
    if (v instanceof Uint8Array) total += v.length;
    else if (Array.isArray(v)) for (const x of v) sizeOf(x);
    else if (isPlainObject(v)) for (const k in v) sizeOf(v[k]);
  };
  sizeOf(value);
  if (total === 0) return { value, buffer: undefined };
  const buffer = new ArrayBuffer(total);
  const bytes = new Uint8Array(buffer);
  let at = 0;
  const copy = (v: unknown): unknown => {
    if (v instanceof Uint8Array) {
      bytes.set(v, at);
      const view = new Uint8Array(buffer, at, v.length);
      at += v.length;
      return view;
    }
    if (Array.isArray(v)) return v.map(copy);
    if (isPlainObject(v)) {
      // Null prototype: a "__proto__" key stays an own property (structured cloning makes the
      // receiver's copy an ordinary object).
      const out = Object.create(null) as Record<string, unknown>;
      for (const k in v) out[k] = copy(v[k]);
      return out;
    }
    return v;
  };
  return { value: copy(value) as T, buffer };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
