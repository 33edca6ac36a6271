/**
 * BOLT 3 "Efficient Per-commitment Secret Storage": the counterparty's revealed
 * per-commitment secrets kept in 49 (index, secret) buckets, O(log n) space, with the
 * `insert_secret` consistency check and `derive_old_secret` lookup.
 *
 * Secrets are received in descending index order starting at 2^48-1; this store enforces that
 * order. Secrets never appear in toString(), toJSON() or util.inspect(); persist with toBytes().
 */
import { FormatError } from "../errors.js";
import { assertBytes, constantTimeEqual } from "../util/bytes.js";
import { assertCommitmentNumber, FIRST_COMMITMENT_INDEX } from "./commitment-number.js";
import { Bolt3Error } from "./errors.js";
import { deriveSecret, trailingZeros48 } from "./per-commitment-secret.js";

const BUCKETS = 49;
const ENTRY_BYTES = 1 + 6 + 32;
const FORMAT_VERSION = 1;

/** Smallest index >= m with exactly b trailing zeros (index 0 counts as 48), or -1 if none <= 2^48-1. */
function lowestIndexInBucket(m: number, b: number): number {
  if (b === 48) return m === 0 ? 0 : -1;
  const step = 2 ** b;
  let q = Math.ceil(m / step);
  if (q % 2 === 0) q += 1;
  const x = q * step;
  return x <= FIRST_COMMITMENT_INDEX ? x : -1;
}

/** Compact store of per-commitment secrets received from the counterparty (BOLT 3 secret storage). */
export class ShachainStore {
  readonly #indices: number[] = new Array<number>(BUCKETS).fill(-1);
  readonly #secrets: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(BUCKETS);
  #minIndex = -1;

  /** Lowest index received so far, or undefined when empty. */
  get minIndex(): number | undefined {
    return this.#minIndex < 0 ? undefined : this.#minIndex;
  }

  /** The index the next insertSecret must use (2^48-1 when empty, undefined after index 0). */
  get nextIndex(): number | undefined {
    if (this.#minIndex < 0) return FIRST_COMMITMENT_INDEX;
    return this.#minIndex === 0 ? undefined : this.#minIndex - 1;
  }

  /** Number of secrets received (FIRST_COMMITMENT_INDEX - minIndex + 1). */
  get count(): number {
    return this.#minIndex < 0 ? 0 : FIRST_COMMITMENT_INDEX - this.#minIndex + 1;
  }

  /**
   * BOLT 3 `insert_secret`: stores the secret for `index` after checking it derives every
   * stored secret below its bucket. Throws Bolt3Error ("bolt3/shachain-order" if `index` is
   * not the next expected one, "bolt3/shachain-mismatch" if it is inconsistent) and then
   * leaves the store unchanged.
   */
  insertSecret(secret: Uint8Array, index: number): void {
    assertBytes(secret, 32, "per-commitment secret");
    assertCommitmentNumber(index, "per-commitment index");
    if (index !== this.nextIndex) {
      throw new Bolt3Error(
        "bolt3/shachain-order",
        `expected per-commitment index ${String(this.nextIndex)}, got ${index}`,
      );
    }
    const bucket = trailingZeros48(index);
    for (let b = 0; b < bucket; b++) {
      const stored = this.#secrets[b];
      if (stored === undefined) continue;
      if (!constantTimeEqual(deriveSecret(secret, bucket, this.#indices[b]!), stored)) {
        throw new Bolt3Error(
          "bolt3/shachain-mismatch",
          `the secret for index ${index} does not derive the stored secret for index ${this.#indices[b]}`,
        );
      }
    }
    this.#indices[bucket] = index;
    this.#secrets[bucket] = new Uint8Array(secret);
    this.#minIndex = index;
  }

  /** True when the secret at `index` was received (and can be derived). */
  hasSecret(index: number): boolean {
    assertCommitmentNumber(index, "per-commitment index");
    return this.#minIndex >= 0 && index >= this.#minIndex;
  }

  /**
   * BOLT 3 `derive_old_secret`: the secret at `index`, derived from the bucket whose prefix
   * matches. Throws Bolt3Error("bolt3/shachain-unknown") if that index was not received.
   */
  getSecret(index: number): Uint8Array {
    assertCommitmentNumber(index, "per-commitment index");
    for (let b = 0; b < BUCKETS; b++) {
      const stored = this.#secrets[b];
      if (stored === undefined) continue;
      if (index - (index % 2 ** b) === this.#indices[b]) return deriveSecret(stored, b, index);
    }
    throw new Bolt3Error(
      "bolt3/shachain-unknown",
      `per-commitment secret ${index} was not received`,
    );
  }

  /** An independent copy of this store. */
  clone(): ShachainStore {
    // Stored secrets are never written in place (insertSecret replaces a bucket's array), so
    // the copy may share them; nothing needs re-checking.
    const copy = new ShachainStore();
    for (let b = 0; b < BUCKETS; b++) {
      copy.#indices[b] = this.#indices[b]!;
      copy.#secrets[b] = this.#secrets[b];
    }
    copy.#minIndex = this.#minIndex;
    return copy;
  }

  /**
   * Serialization for persistence (contains secrets; store it as such):
   * version(1)=1 | count(1) | count x (bucket(1) | index(6, big-endian) | secret(32)),
   * buckets in increasing order.
   */
  toBytes(): Uint8Array {
    const present: number[] = [];
    for (let b = 0; b < BUCKETS; b++) if (this.#secrets[b] !== undefined) present.push(b);
    const out = new Uint8Array(2 + present.length * ENTRY_BYTES);
    out[0] = FORMAT_VERSION;
    out[1] = present.length;
    let o = 2;
    for (const b of present) {
      out[o] = b;
      let idx = this.#indices[b]!;
      for (let k = 6; k >= 1; k--) {
        out[o + k] = idx % 256;
        idx = Math.floor(idx / 256);
      }
      out.set(this.#secrets[b]!, o + 7);
      o += ENTRY_BYTES;
    }
    return out;
  }

  /**
   * Parses toBytes() output. Throws FormatError on malformed bytes and Bolt3Error
   * ("bolt3/shachain-mismatch" or "bolt3/shachain-state") if the buckets are inconsistent or
   * could not result from inserting secrets in order from 2^48-1.
   */
  static fromBytes(bytes: Uint8Array): ShachainStore {
    if (!(bytes instanceof Uint8Array) || bytes.length < 2 || bytes[0] !== FORMAT_VERSION) {
      throw new FormatError("format/shachain", "not a serialized shachain store (version 1)");
    }
    const n = bytes[1]!;
    if (n > BUCKETS || bytes.length !== 2 + n * ENTRY_BYTES) {
      throw new FormatError("format/shachain", "shachain store has a wrong length");
    }
    const store = new ShachainStore();
    let min = -1;
    let prevBucket = -1;
    for (let e = 0, o = 2; e < n; e++, o += ENTRY_BYTES) {
      const b = bytes[o]!;
      let idx = 0;
      for (let k = 1; k <= 6; k++) idx = idx * 256 + bytes[o + k]!;
      if (b <= prevBucket || b >= BUCKETS || trailingZeros48(idx) !== b) {
        throw new FormatError("format/shachain", "shachain store entry in the wrong bucket");
      }
      prevBucket = b;
      store.#indices[b] = idx;
      store.#secrets[b] = bytes.slice(o + 7, o + ENTRY_BYTES);
      if (min < 0 || idx < min) min = idx;
    }
    for (let b = 0; b < BUCKETS; b++) {
      const expected = n === 0 ? -1 : lowestIndexInBucket(min, b);
      if (store.#indices[b] !== expected) {
        throw new Bolt3Error(
          "bolt3/shachain-state",
          "shachain store buckets are not a valid state",
        );
      }
    }
    for (let hi = 0; hi < BUCKETS; hi++) {
      const top = store.#secrets[hi];
      if (top === undefined) continue;
      const topIndex = store.#indices[hi]!;
      for (let lo = 0; lo < hi; lo++) {
        const s = store.#secrets[lo];
        const loIndex = store.#indices[lo]!;
        // Only a bucket whose index has the higher bucket's index as prefix derives from it.
        if (s === undefined || loIndex - (loIndex % 2 ** hi) !== topIndex) continue;
        if (!constantTimeEqual(deriveSecret(top, hi, loIndex), s)) {
          throw new Bolt3Error(
            "bolt3/shachain-mismatch",
            "shachain store secrets are inconsistent",
          );
        }
      }
    }
    store.#minIndex = min;
    return store;
  }

  /** A description without secrets. */
  toString(): string {
    return `ShachainStore(count=${this.count}, minIndex=${String(this.minIndex)})`;
  }

  /** JSON without secrets (use toBytes() to persist). */
  toJSON(): { type: "ShachainStore"; count: number; minIndex: number | null } {
    return { type: "ShachainStore", count: this.count, minIndex: this.minIndex ?? null };
  }

  /** util.inspect / console.log output without secrets. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
