/**
 * Reading hsmd requests and writing hsmd replies field by field, in Core Lightning's wire
 * conventions (hsmd_wire.csv: big-endian integers, `?x` = presence byte then x, wirestring =
 * NUL-terminated, bitcoin_tx = u32 length + tx + wally_psbt, wally_psbt = u32 length + bytes,
 * bitcoin_signature = 64-byte compact + sighash byte). A malformed request raises FormatError
 * (the handler turns it into HsmdClientError, as hsmd's "could not parse request").
 */
import { parseTx, type OutPoint, type Tx } from "../../../bitcoin/tx.js";
import { FormatError } from "../../../errors.js";
import { concatBytes } from "../../../util/bytes.js";

/** One hsm_htlc: who offered it (0 = the sender of the request's side LOCAL, 1 = REMOTE). */
export interface HsmHtlc {
  readonly side: 0 | 1;
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  readonly cltvExpiry: number;
}

/** A bitcoin_tx: the transaction and the PSBT carrying its input amounts/scripts. */
export interface WireTx {
  readonly tx: Tx;
  readonly psbt: Uint8Array;
}

/** unilateral_close_info of an hsm_utxo spent from a peer's commitment. */
export interface CloseInfo {
  readonly channelDbid: bigint;
  readonly peerId: Uint8Array;
  readonly commitmentPoint: Uint8Array | undefined;
  readonly optionAnchors: boolean;
  readonly csv: number;
}

/** One hsm_utxo. */
export interface HsmUtxo {
  readonly outpoint: OutPoint;
  readonly amountSat: bigint;
  readonly keyIndex: number;
  readonly scriptPubkey: Uint8Array;
  readonly closeInfo: CloseInfo | undefined;
}

/** Four basepoints in CLN order: revocation, payment, htlc, delayed_payment. */
export interface WireBasepoints {
  readonly revocation: Uint8Array;
  readonly payment: Uint8Array;
  readonly htlc: Uint8Array;
  readonly delayedPayment: Uint8Array;
}

/** A bitcoin_signature: compact signature and sighash type. */
export interface WireSignature {
  readonly signature: Uint8Array;
  readonly sighashType: number;
}

function malformed(what: string): never {
  throw new FormatError("cln/malformed", `could not parse request (${what})`);
}

/** Sequential reader over one request's payload (after the 2-byte type). */
export class WireReader {
  #off: number;
  constructor(
    readonly bytes: Uint8Array,
    offset = 2,
  ) {
    this.#off = offset;
  }

  /** The next n bytes (a copy). */
  take(n: number, what = "bytes"): Uint8Array {
    if (n < 0 || this.#off + n > this.bytes.length) malformed(what);
    const out = this.bytes.slice(this.#off, this.#off + n);
    this.#off += n;
    return out;
  }
  /** A u8. */
  u8(): number {
    return this.take(1, "u8")[0]!;
  }
  /** A bool (0 or 1; anything else is malformed). */
  bool(): boolean {
    const b = this.u8();
    if (b > 1) malformed("bool");
    return b === 1;
  }
  /** A big-endian u16. */
  u16(): number {
    const t = this.take(2, "u16");
    return (t[0]! << 8) | t[1]!;
  }
  /** A big-endian u32. */
  u32(): number {
    const t = this.take(4, "u32");
    return new DataView(t.buffer, t.byteOffset, 4).getUint32(0, false);
  }
  /** A big-endian u64. */
  u64(): bigint {
    const t = this.take(8, "u64");
    return new DataView(t.buffer, t.byteOffset, 8).getBigUint64(0, false);
  }
  /** A 33-byte node_id / pubkey (its validity is checked where it is used). */
  point(): Uint8Array {
    const p = this.take(33, "pubkey");
    if (p[0] !== 2 && p[0] !== 3) malformed("pubkey");
    return p;
  }
  /** 32 bytes: secret, sha256, bitcoin_txid (internal order). */
  b32(): Uint8Array {
    return this.take(32, "32 bytes");
  }
  /** u16 length then that many bytes. */
  varBytes16(): Uint8Array {
    return this.take(this.u16(), "u16-prefixed bytes");
  }
  /** `?x`: a presence bool, then x when present. */
  optional<T>(read: () => T): T | undefined {
    return this.bool() ? read() : undefined;
  }
  /** A NUL-terminated printable string. */
  wirestring(): string {
    const start = this.#off;
    for (let i = start; i < this.bytes.length; i++) {
      const b = this.bytes[i]!;
      if (b === 0) {
        const s = new TextDecoder().decode(this.bytes.subarray(start, i));
        this.#off = i + 1;
        return s;
      }
      if (b < 0x20) break;
    }
    return malformed("wirestring");
  }
  /** A wally_psbt: u32 length, then the PSBT bytes. */
  psbt(): Uint8Array {
    return this.take(this.u32(), "wally_psbt");
  }
  /** A bitcoin_tx: u32 length, the transaction, then its wally_psbt. */
  bitcoinTx(): WireTx {
    const raw = this.take(this.u32(), "bitcoin_tx");
    let tx: Tx;
    try {
      tx = parseTx(raw);
    } catch {
      return malformed("bitcoin_tx");
    }
    return { tx, psbt: this.psbt() };
  }
  /** A 64-byte compact secp256k1_ecdsa_signature. */
  signature(): Uint8Array {
    return this.take(64, "signature");
  }
  /** A bitcoin_signature: compact signature and sighash byte. */
  bitcoinSignature(): WireSignature {
    return { signature: this.signature(), sighashType: this.u8() };
  }
  /** Four basepoints (revocation, payment, htlc, delayed_payment). */
  basepoints(): WireBasepoints {
    return {
      revocation: this.point(),
      payment: this.point(),
      htlc: this.point(),
      delayedPayment: this.point(),
    };
  }
  /** A channel_type: u16 length, then feature bits (big-endian). */
  channelType(): Uint8Array {
    return this.varBytes16();
  }
  /** One hsm_htlc. */
  htlc(): HsmHtlc {
    const side = this.u8();
    if (side !== 0 && side !== 1) malformed("side");
    return {
      side,
      amountMsat: this.u64(),
      paymentHash: this.b32(),
      cltvExpiry: this.u32(),
    };
  }
  /** u16 count, then that many hsm_htlc. */
  htlcs(): HsmHtlc[] {
    const n = this.u16();
    return Array.from({ length: n }, () => this.htlc());
  }
  /** One hsm_utxo (towire_hsm_utxo layout). */
  utxo(): HsmUtxo {
    const txid = this.b32();
    const vout = this.u32();
    const amountSat = this.u64();
    const keyIndex = this.u32();
    this.bool(); // formerly is_p2sh
    const scriptPubkey = this.varBytes16();
    let closeInfo: CloseInfo | undefined;
    if (this.bool()) {
      const channelDbid = this.u64();
      const peerId = this.point();
      const commitmentPoint = this.optional(() => this.point());
      closeInfo = {
        channelDbid,
        peerId,
        commitmentPoint,
        optionAnchors: this.bool(),
        csv: this.u32(),
      };
    }
    this.bool(); // formerly is_in_coinbase
    return { outpoint: { txid, vout }, amountSat, keyIndex, scriptPubkey, closeInfo };
  }
  /** u16 count, then that many hsm_utxo. */
  utxos(): HsmUtxo[] {
    const n = this.u16();
    return Array.from({ length: n }, () => this.utxo());
  }
  /** The rest of the message (a TLV stream). */
  rest(): Uint8Array {
    return this.take(this.bytes.length - this.#off);
  }
  /** FormatError unless every byte was read. */
  end(): void {
    if (this.#off !== this.bytes.length) malformed("trailing bytes");
  }
}

/** Builds one reply message. */
export class WireWriter {
  readonly #parts: Uint8Array[] = [];
  constructor(type: number) {
    this.u16(type);
  }
  /** Appends raw bytes (copied). */
  bytes(b: Uint8Array): this {
    this.#parts.push(Uint8Array.from(b));
    return this;
  }
  /** Appends a u8. */
  u8(n: number): this {
    return this.bytes(Uint8Array.of(n));
  }
  /** Appends a bool. */
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }
  /** Appends a big-endian u16. */
  u16(n: number): this {
    return this.bytes(Uint8Array.of((n >> 8) & 0xff, n & 0xff));
  }
  /** Appends a big-endian u32. */
  u32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, false);
    return this.bytes(b);
  }
  /** Appends u16 length and bytes. */
  varBytes16(b: Uint8Array): this {
    return this.u16(b.length).bytes(b);
  }
  /** Appends u32 length and bytes. */
  varBytes32(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }
  /** Appends a bitcoin_signature (compact + sighash byte). */
  bitcoinSignature(sig64: Uint8Array, sighashType: number): this {
    return this.bytes(sig64).u8(sighashType);
  }
  /** The whole message. */
  done(): Uint8Array {
    return concatBytes(...this.#parts);
  }
}

/** A reply with no fields. */
export function emptyReply(type: number): Uint8Array {
  return new WireWriter(type).done();
}
