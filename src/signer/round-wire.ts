/**
 * A compact binary form of one update round (RoundRequest) and its result (RoundResult), as a
 * remote client would send them over a socket. A sharded signer forwards these bytes to the
 * worker that owns the channel without looking inside (the buffer is transferred, not copied),
 * and only the worker decodes them: the routing thread does almost no work per request.
 *
 * Layout (integers big-endian, lengths CompactSize):
 *   request  = 0x01 point33 proposal u64:cpRevoked secret32 proposal sigs u64:holderRevoked
 *   proposal = u64:n u32:feerate u64:toOwner u64:toOther count (htlc)* u8:flags
 *              [u8:keyMask (varbytes)*] [u32:toSelfDelay] [varbytes:tx]
 *   htlc     = u64:id u8:direction(0 offered, 1 received) u64:amountMsat hash32 u32:cltvExpiry
 *   sigs     = varbytes count (varbytes)*
 *   result   = 0x01 sigs secret32
 * Decoding is strict: FormatError (`format/round-…`) on truncation, trailing bytes or bad values.
 */
import { ByteReader } from "../bitcoin/bytes-reader.js";
import { parseTx, serializeTx } from "../bitcoin/tx.js";
import type { CommitmentKeys } from "../bolt3/commitment-keys.js";
import type { Htlc } from "../bolt3/htlc.js";
import { FormatError } from "../errors.js";
import type { ClaimedCommitmentKeys, CommitmentProposal } from "../state/commitment-proposal.js";
import type { RoundRequest, RoundResult } from "./worker-protocol.js";

const VERSION = 1;

/** The claimed-key fields, in the order of the key mask bits. */
const KEY_FIELDS: readonly (keyof ClaimedCommitmentKeys)[] = [
  "revocationPubkey",
  "localDelayedPubkey",
  "localHtlcPubkey",
  "remoteHtlcPubkey",
  "remotePaymentPubkey",
  "localFundingPubkey",
  "remoteFundingPubkey",
  "htlcRevocationPubkey",
] satisfies readonly (keyof CommitmentKeys | "htlcRevocationPubkey")[];

const FLAG_KEYS = 1;
const FLAG_DELAY = 2;
const FLAG_TX = 4;

/** Growable big-endian writer (the request size depends on optional fields). */
class Writer {
  #buf = new Uint8Array(512);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n));
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#pos++] = v;
  }

  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new FormatError("format/round-range", `${v} is not a u32`);
    }
    this.#room(4);
    this.#view.setUint32(this.#pos, v);
    this.#pos += 4;
  }

  u64(v: bigint | number): void {
    const b = BigInt(v);
    if (b < 0n || b > 0xffffffffffffffffn) {
      throw new FormatError("format/round-range", `${b} is not a u64`);
    }
    this.#room(8);
    this.#view.setBigUint64(this.#pos, b);
    this.#pos += 8;
  }

  count(n: number): void {
    if (n < 0xfd) this.u8(n);
    else if (n <= 0xffff) {
      this.u8(0xfd);
      this.#room(2);
      this.#view.setUint16(this.#pos, n, true);
      this.#pos += 2;
    } else {
      this.u8(0xfe);
      this.#room(4);
      this.#view.setUint32(this.#pos, n, true);
      this.#pos += 4;
    }
  }

  fixed(b: Uint8Array, n: number, what: string): void {
    if (!(b instanceof Uint8Array) || b.length !== n) {
      throw new FormatError("format/round-length", `${what} must be ${n} bytes`);
    }
    this.#room(n);
    this.#buf.set(b, this.#pos);
    this.#pos += n;
  }

  varBytes(b: Uint8Array): void {
    this.count(b.length);
    this.fixed(b, b.length, "bytes");
  }

  /** The written bytes in a buffer of their own (transferable without taking anything else). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

/** Big-endian reads on top of the strict ByteReader. */
class Reader {
  readonly r: ByteReader;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    this.r = new ByteReader(bytes, "round");
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u32(): number {
    const at = this.r.pos;
    this.r.bytes(4);
    return this.#view.getUint32(at);
  }

  u64(): bigint {
    const at = this.r.pos;
    this.r.bytes(8);
    return this.#view.getBigUint64(at);
  }

  /** A u64 that must fit a JS number (commitment numbers are < 2^48). */
  safe(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw this.r.error("range", "number exceeds 2^53-1");
    }
    return Number(v);
  }

  count(): number {
    return this.r.compactSize(this.r.remaining, "truncated");
  }
}

function writeProposal(w: Writer, p: CommitmentProposal): void {
  w.u64(p.commitmentNumber);
  w.u32(p.feeratePerKw);
  w.u64(p.toOwnerMsat);
  w.u64(p.toOtherMsat);
  w.count(p.htlcs.length);
  for (const h of p.htlcs) {
    w.u64(h.id);
    w.u8(h.direction === "offered" ? 0 : 1);
    w.u64(h.amountMsat);
    w.fixed(h.paymentHash, 32, "payment hash");
    w.u32(h.cltvExpiry);
  }
  const keys = p.claimedKeys;
  const flags =
    (keys !== undefined ? FLAG_KEYS : 0) |
    (p.claimedToSelfDelay !== undefined ? FLAG_DELAY : 0) |
    (p.tx !== undefined ? FLAG_TX : 0);
  w.u8(flags);
  if (keys !== undefined) {
    let mask = 0;
    KEY_FIELDS.forEach((f, i) => {
      if (keys[f] !== undefined) mask |= 1 << i;
    });
    w.u8(mask);
    for (const f of KEY_FIELDS) {
      const k = keys[f];
      if (k !== undefined) w.varBytes(k);
    }
  }
  if (p.claimedToSelfDelay !== undefined) w.u32(p.claimedToSelfDelay);
  if (p.tx !== undefined) w.varBytes(serializeTx(p.tx));
}

function readProposal(r: Reader): CommitmentProposal {
  const commitmentNumber = r.safe();
  const feeratePerKw = r.u32();
  const toOwnerMsat = r.u64();
  const toOtherMsat = r.u64();
  const n = r.count();
  const htlcs: Htlc[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.u64();
    const dir = r.r.u8();
    if (dir > 1) throw r.r.error("direction", `HTLC direction ${dir} is not 0 or 1`);
    const amountMsat = r.u64();
    const paymentHash = r.r.bytes(32);
    const cltvExpiry = r.u32();
    htlcs.push({
      id,
      direction: dir === 0 ? "offered" : "received",
      amountMsat,
      paymentHash,
      cltvExpiry,
    });
  }
  const flags = r.r.u8();
  if (flags > (FLAG_KEYS | FLAG_DELAY | FLAG_TX))
    throw r.r.error("flags", `unknown flags ${flags}`);
  const p: CommitmentProposal = { commitmentNumber, feeratePerKw, toOwnerMsat, toOtherMsat, htlcs };
  if ((flags & FLAG_KEYS) !== 0) {
    const mask = r.r.u8();
    const keys: ClaimedCommitmentKeys = {};
    KEY_FIELDS.forEach((f, i) => {
      if ((mask & (1 << i)) !== 0) keys[f] = r.r.varBytes();
    });
    p.claimedKeys = keys;
  }
  if ((flags & FLAG_DELAY) !== 0) p.claimedToSelfDelay = r.u32();
  if ((flags & FLAG_TX) !== 0) p.tx = parseTx(r.r.varBytes());
  return p;
}

function writeSigs(w: Writer, main: Uint8Array, htlc: readonly Uint8Array[]): void {
  w.varBytes(main);
  w.count(htlc.length);
  for (const s of htlc) w.varBytes(s);
}

function readSigs(r: Reader): { main: Uint8Array; htlc: Uint8Array[] } {
  const main = r.r.varBytes();
  const n = r.count();
  const htlc: Uint8Array[] = [];
  for (let i = 0; i < n; i++) htlc.push(r.r.varBytes());
  return { main, htlc };
}

function readVersion(r: Reader): void {
  const v = r.r.u8();
  if (v !== VERSION) throw r.r.error("version", `round encoding version ${v} is not ${VERSION}`);
}

/** Encodes a round request; the result owns its whole ArrayBuffer (safe to transfer). */
export function encodeRoundRequest(q: RoundRequest): Uint8Array {
  const w = new Writer();
  w.u8(VERSION);
  w.fixed(q.counterpartyPoint, 33, "counterparty point");
  writeProposal(w, q.counterpartyProposal);
  w.u64(q.counterpartyRevokedNumber);
  w.fixed(q.counterpartySecret, 32, "counterparty secret");
  writeProposal(w, q.holderProposal);
  writeSigs(w, q.holderSignatures.commitmentSignature, q.holderSignatures.htlcSignatures);
  w.u64(q.holderRevokedNumber);
  return w.finish();
}

/** Decodes encodeRoundRequest's bytes exactly (FormatError on anything else). */
export function decodeRoundRequest(bytes: Uint8Array): RoundRequest {
  const r = new Reader(bytes);
  readVersion(r);
  const counterpartyPoint = r.r.bytes(33);
  const counterpartyProposal = readProposal(r);
  const counterpartyRevokedNumber = r.safe();
  const counterpartySecret = r.r.bytes(32);
  const holderProposal = readProposal(r);
  const sigs = readSigs(r);
  const holderRevokedNumber = r.safe();
  r.r.assertEnd();
  return {
    counterpartyPoint,
    counterpartyProposal,
    counterpartyRevokedNumber,
    counterpartySecret,
    holderProposal,
    holderSignatures: { commitmentSignature: sigs.main, htlcSignatures: sigs.htlc },
    holderRevokedNumber,
  };
}

/** Encodes a round result; the result owns its whole ArrayBuffer (safe to transfer). */
export function encodeRoundResult(res: RoundResult): Uint8Array {
  const w = new Writer();
  w.u8(VERSION);
  writeSigs(w, res.counterpartySignatures.signature, res.counterpartySignatures.htlcSignatures);
  w.fixed(res.holderSecret, 32, "holder secret");
  return w.finish();
}

/** Decodes encodeRoundResult's bytes exactly (FormatError on anything else). */
export function decodeRoundResult(bytes: Uint8Array): RoundResult {
  const r = new Reader(bytes);
  readVersion(r);
  const sigs = readSigs(r);
  const holderSecret = r.r.bytes(32);
  r.r.assertEnd();
  return {
    counterpartySignatures: { signature: sigs.main, htlcSignatures: sigs.htlc },
    holderSecret,
  };
}
