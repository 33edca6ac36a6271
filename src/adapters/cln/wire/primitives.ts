/**
 * Core Lightning's wire base types as hsmd uses them (wire/fromwire.c, bitcoin/*.c,
 * common/*.c, hsmd/hsm_utxo.c of v26.06): big-endian integers, fixed byte strings, and the
 * compound types the CSV names but does not define. Decoders check what Core Lightning's
 * fromwire_ checks (bool is 0/1, points are on the curve, signature scalars are < n, sighash
 * is ALL or SINGLE|ANYONECANPAY, embedded transactions and PSBTs parse), so anything they
 * return re-encodes to the same bytes.
 */
import { parseTx } from "../../../bitcoin/tx.js";
import { parsePsbt } from "../../../bitcoin/psbt.js";
import { isValidPublicKey } from "../../../crypto/secp256k1.js";
import { isScalarBelowOrder } from "../../../crypto/scalar.js";
import { WardenError } from "../../../errors.js";
import { HsmdWireError } from "./errors.js";

/** A decoded field value (see codec.ts for the mapping from wire types). */
export type WireValue =
  | bigint
  | number
  | boolean
  | Uint8Array
  | string
  | null
  | WireValue[]
  | { [field: string]: WireValue };

/** A decoded structure. */
export type WireRecord = { [field: string]: WireValue };

/** Bounds-checked big-endian cursor over one message. */
export class WireReader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** The next `n` bytes (a copy); `cln/wire-truncated` if fewer remain. */
  take(n: number, what: string): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining) {
      throw new HsmdWireError(
        "cln/wire-truncated",
        `${what}: needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`,
      );
    }
    // A plain copy: never a view into the caller's buffer (Buffer#slice would be one).
    const out = new Uint8Array(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** Unsigned big-endian integer of `size` bytes (1, 2 or 4) as a number. */
  uint(size: 1 | 2 | 4, what: string): number {
    const b = this.take(size, what);
    let v = 0;
    for (const x of b) v = v * 256 + x;
    return v;
  }

  /** Unsigned big-endian 64-bit integer. */
  u64(what: string): bigint {
    const b = this.take(8, what);
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    return v;
  }
}

/** Growable big-endian output buffer. */
export class WireWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  /** Appends raw bytes. */
  bytes(b: Uint8Array): void {
    this.chunks.push(Uint8Array.from(b));
    this.size += b.length;
  }

  /** Appends an unsigned big-endian integer of `size` bytes. */
  uint(v: number, size: 1 | 2 | 4): void {
    const out = new Uint8Array(size);
    let x = v;
    for (let i = size - 1; i >= 0; i--) {
      out[i] = x % 256;
      x = Math.floor(x / 256);
    }
    this.bytes(out);
  }

  /** Appends an unsigned big-endian 64-bit integer. */
  u64(v: bigint): void {
    const out = new Uint8Array(8);
    for (let i = 7; i >= 0; i--) out[i] = Number((v >> BigInt(8 * (7 - i))) & 0xffn);
    this.bytes(out);
  }

  /** All bytes written so far. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** How one base type is read and written. */
export interface BaseType {
  decode(r: WireReader, what: string): WireValue;
  encode(w: WireWriter, v: WireValue, what: string): void;
}

function bad(what: string, message: string): HsmdWireError {
  return new HsmdWireError("cln/wire-bad-value", `${what}: ${message}`);
}

/** `cln/wire-encode`: the value handed to the encoder does not fit. */
export function encodeError(what: string, message: string): HsmdWireError {
  return new HsmdWireError("cln/wire-encode", `${what}: ${message}`);
}

function asRecord(v: WireValue, what: string): WireRecord {
  if (typeof v !== "object" || v === null || v instanceof Uint8Array || Array.isArray(v)) {
    throw encodeError(what, "expected an object");
  }
  return v;
}

/** The field `name` of record `v`; encode error when missing. */
export function member(v: WireValue, name: string, what: string): WireValue {
  const rec = asRecord(v, what);
  if (!Object.prototype.hasOwnProperty.call(rec, name)) {
    throw encodeError(`${what}.${name}`, "missing");
  }
  return rec[name]!;
}

function uintType(size: 1 | 2 | 4): BaseType {
  const max = 2 ** (8 * size) - 1;
  return {
    decode: (r, what) => r.uint(size, what),
    encode(w, v, what) {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
        throw encodeError(what, `expected an integer in [0, ${max}]`);
      }
      w.uint(v, size);
    },
  };
}

/** u64 (and amounts); s64 reads the same 8 bytes as two's complement. */
function u64Type(signed: boolean): BaseType {
  const min = signed ? -(1n << 63n) : 0n;
  const max = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  return {
    decode(r, what) {
      const v = r.u64(what);
      return signed && v >= 1n << 63n ? v - (1n << 64n) : v;
    },
    encode(w, v, what) {
      if (typeof v !== "bigint" || v < min || v > max) {
        throw encodeError(what, `expected a bigint in [${min}, ${max}]`);
      }
      w.u64(v < 0n ? v + (1n << 64n) : v);
    },
  };
}

const boolType: BaseType = {
  decode(r, what) {
    const b = r.uint(1, what);
    if (b > 1) throw bad(what, "bool must be 0 or 1");
    return b === 1;
  },
  encode(w, v, what) {
    if (typeof v !== "boolean") throw encodeError(what, "expected a boolean");
    w.uint(v ? 1 : 0, 1);
  },
};

function checkBytes(v: WireValue, n: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== n) {
    throw encodeError(what, `expected ${n} bytes`);
  }
  return v;
}

/** Fixed-size byte string, with an optional validity check applied on both directions. */
function fixedBytes(n: number, check?: (b: Uint8Array, what: string) => void): BaseType {
  return {
    decode(r, what) {
      const b = r.take(n, what);
      check?.(b, what);
      return b;
    },
    encode(w, v, what) {
      const b = checkBytes(v, n, what);
      if (check !== undefined) {
        try {
          check(b, what);
        } catch (e) {
          if (e instanceof HsmdWireError) throw encodeError(what, e.message);
          throw e;
        }
      }
      w.bytes(b);
    },
  };
}

function checkPoint(b: Uint8Array, what: string): void {
  if (!isValidPublicKey(b)) throw bad(what, "not a valid compressed point");
}

/** secp256k1_ecdsa_signature_parse_compact: r and s must each be < n (zero is accepted). */
function checkCompactSig(b: Uint8Array, what: string): void {
  if (!isScalarBelowOrder(b.subarray(0, 32)) || !isScalarBelowOrder(b.subarray(32, 64))) {
    throw bad(what, "signature scalar out of range");
  }
}

const SIGHASH_ALL = 0x01;
const SIGHASH_SINGLE_ANYONECANPAY = 0x83;

/** hsmd_client_bad_request/fromwire_wirestring: bytes >= 0x20 up to a NUL, read as UTF-8. */
const wirestringType: BaseType = {
  decode(r, what) {
    const start = r.pos;
    let end = start;
    while (end < r.bytes.length && r.bytes[end] !== 0) {
      if (r.bytes[end]! < 0x20)
        throw new HsmdWireError("cln/wire-bad-string", `${what}: control byte`);
      end++;
    }
    if (end >= r.bytes.length) {
      throw new HsmdWireError("cln/wire-truncated", `${what}: string without its NUL terminator`);
    }
    const raw = r.take(end - start, what);
    r.take(1, what);
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
    } catch {
      throw new HsmdWireError("cln/wire-bad-string", `${what}: not UTF-8`);
    }
  },
  encode(w, v, what) {
    if (typeof v !== "string") throw encodeError(what, "expected a string");
    const raw = new TextEncoder().encode(v);
    if (raw.some((x) => x < 0x20)) throw encodeError(what, "control characters cannot be sent");
    w.bytes(raw);
    w.uint(0, 1);
  },
};

/** wally_psbt: u32 length (non-zero), then PSBT bytes that must parse. Kept as the raw bytes. */
const psbtType: BaseType = {
  decode(r, what) {
    const n = r.uint(4, `${what} length`);
    if (n === 0) throw new HsmdWireError("cln/wire-bad-psbt", `${what}: empty PSBT`);
    const b = r.take(n, what);
    checkPsbt(b, what);
    return b;
  },
  encode(w, v, what) {
    if (!(v instanceof Uint8Array) || v.length === 0 || v.length > 0xffffffff) {
      throw encodeError(what, "expected non-empty PSBT bytes");
    }
    try {
      checkPsbt(v, what);
    } catch (e) {
      if (e instanceof HsmdWireError) throw encodeError(what, e.message);
      throw e;
    }
    w.uint(v.length, 4);
    w.bytes(v);
  },
};

function checkPsbt(b: Uint8Array, what: string): void {
  try {
    parsePsbt(b);
  } catch (e) {
    // parsePsbt wraps the underlying parser's errors; anything else is still bad input here.
    const why = e instanceof WardenError ? e.code : "unparseable";
    throw new HsmdWireError("cln/wire-bad-psbt", `${what}: malformed PSBT (${why})`);
  }
}

function checkTx(b: Uint8Array, what: string): void {
  try {
    parseTx(b);
  } catch (e) {
    const why = e instanceof WardenError ? e.code : "unparseable";
    throw new HsmdWireError("cln/wire-bad-tx", `${what}: malformed transaction (${why})`);
  }
}

/** bitcoin_tx: u32 length + raw transaction, then its PSBT (wally_psbt). */
const bitcoinTxType: BaseType = {
  decode(r, what) {
    const n = r.uint(4, `${what} length`);
    const tx = r.take(n, `${what}.tx`);
    checkTx(tx, `${what}.tx`);
    const psbt = psbtType.decode(r, `${what}.psbt`);
    return { tx, psbt };
  },
  encode(w, v, what) {
    const tx = member(v, "tx", what);
    if (!(tx instanceof Uint8Array)) throw encodeError(`${what}.tx`, "expected bytes");
    try {
      checkTx(tx, `${what}.tx`);
    } catch (e) {
      if (e instanceof HsmdWireError) throw encodeError(`${what}.tx`, e.message);
      throw e;
    }
    w.uint(tx.length, 4);
    w.bytes(tx);
    psbtType.encode(w, member(v, "psbt", what), `${what}.psbt`);
  },
};

/** A structure of base-type members, written in order. */
function structType(members: ReadonlyArray<readonly [string, BaseType]>): BaseType {
  return {
    decode(r, what) {
      const out: WireRecord = {};
      for (const [name, t] of members) out[name] = t.decode(r, `${what}.${name}`);
      return out;
    },
    encode(w, v, what) {
      for (const [name, t] of members) t.encode(w, member(v, name, what), `${what}.${name}`);
    },
  };
}

/** An optional member as CLN writes it by hand: a bool, then the value when true. */
function optionalOf(t: BaseType): BaseType {
  return {
    decode: (r, what) => (boolType.decode(r, what) === true ? t.decode(r, what) : null),
    encode(w, v, what) {
      boolType.encode(w, v !== null, what);
      if (v !== null) t.encode(w, v, what);
    },
  };
}

/** u16 length + bytes (hand-written length-prefixed members such as hsm_utxo.script_pubkey). */
const u16Bytes: BaseType = {
  decode: (r, what) => r.take(r.uint(2, `${what} length`), what),
  encode(w, v, what) {
    if (!(v instanceof Uint8Array) || v.length > 0xffff) {
      throw encodeError(what, "expected at most 65535 bytes");
    }
    w.uint(v.length, 2);
    w.bytes(v);
  },
};

const u8 = uintType(1);
const u16 = uintType(2);
const u32 = uintType(4);
const u64 = u64Type(false);
const bytes32 = fixedBytes(32);
const pubkey = fixedBytes(33, checkPoint);
const nodeId = fixedBytes(33);

/** enum side (common/htlc_wire.c): one byte, LOCAL = 0 or REMOTE = 1. */
const sideType: BaseType = {
  decode(r, what) {
    const v = r.uint(1, what);
    if (v > 1) throw bad(what, "side must be 0 (LOCAL) or 1 (REMOTE)");
    return v;
  },
  encode(w, v, what) {
    if (v !== 0 && v !== 1) throw encodeError(what, "side must be 0 or 1");
    w.uint(v, 1);
  },
};

/** bitcoin_signature: compact signature + sighash type byte. */
const bitcoinSignature: BaseType = {
  decode(r, what) {
    const signature = fixedBytes(64, checkCompactSig).decode(r, `${what}.signature`);
    const sighash = r.uint(1, `${what}.sighash_type`);
    if (sighash !== SIGHASH_ALL && sighash !== SIGHASH_SINGLE_ANYONECANPAY) {
      throw bad(what, "sighash type must be ALL or SINGLE|ANYONECANPAY");
    }
    return { signature, sighash_type: sighash };
  },
  encode(w, v, what) {
    fixedBytes(64, checkCompactSig).encode(w, member(v, "signature", what), `${what}.signature`);
    const sighash = member(v, "sighash_type", what);
    if (sighash !== SIGHASH_ALL && sighash !== SIGHASH_SINGLE_ANYONECANPAY) {
      throw encodeError(`${what}.sighash_type`, "must be 0x01 or 0x83");
    }
    w.uint(sighash, 1);
  },
};

/** secp256k1_ecdsa_recoverable_signature: 64-byte compact signature + recovery id 0..3. */
const recoverableSignature = fixedBytes(65, (b, what) => {
  checkCompactSig(b, what);
  if (b[64]! > 3) throw bad(what, "recovery id must be 0..3");
});

/** ext_key: a 78-byte serialized BIP 32 key (public 02/03 or private 00 key data). */
const extKey = fixedBytes(78, (b, what) => {
  const k = b[45]!;
  if (k === 0x00) {
    if (!isScalarBelowOrder(b.subarray(46, 78))) throw bad(what, "private key out of range");
  } else if (!isValidPublicKey(b.subarray(45, 78))) {
    throw bad(what, "not a valid BIP 32 key");
  }
});

/** channel_type (wire/channel_type_wire.csv): u16 length + feature bytes; decoded as the bytes. */
const channelType = u16Bytes;

/** hsm_utxo (hsmd/hsm_utxo.c; part of the HSM ABI). */
const hsmUtxo = structType([
  ["txid", bytes32],
  ["outnum", u32],
  ["amount", u64],
  ["keyindex", u32],
  ["is_p2sh", boolType],
  ["script_pubkey", u16Bytes],
  [
    "close_info",
    optionalOf(
      structType([
        ["channel_id", u64],
        ["peer_id", nodeId],
        ["commitment_point", optionalOf(pubkey)],
        ["option_anchors", boolType],
        ["csv", u32],
      ]),
    ),
  ],
  ["is_in_coinbase", boolType],
]);

/**
 * Base types by CSV name. Values: u8/u16/u32 → number; u64/s64/amount_sat/amount_msat → bigint;
 * bool → boolean; byte strings → Uint8Array; wirestring → string; compound types → objects.
 */
export const BASE_TYPES: ReadonlyMap<string, BaseType> = new Map<string, BaseType>([
  ["u8", u8],
  ["byte", u8],
  ["u16", u16],
  ["u32", u32],
  ["u64", u64],
  ["s64", u64Type(true)],
  ["bool", boolType],
  ["amount_sat", u64],
  ["amount_msat", u64],
  ["node_id", nodeId],
  ["pubkey", pubkey],
  ["privkey", bytes32],
  ["secret", bytes32],
  ["sha256", bytes32],
  ["preimage", bytes32],
  ["bitcoin_txid", bytes32],
  ["channel_id", bytes32],
  ["chainparams", bytes32],
  ["short_channel_id", u64],
  ["bip340sig", fixedBytes(64)],
  ["secp256k1_ecdsa_signature", fixedBytes(64, checkCompactSig)],
  ["secp256k1_ecdsa_recoverable_signature", recoverableSignature],
  ["bitcoin_signature", bitcoinSignature],
  ["ext_key", extKey],
  ["wirestring", wirestringType],
  ["bitcoin_tx", bitcoinTxType],
  ["wally_psbt", psbtType],
  ["enum side", sideType],
  ["channel_type", channelType],
  ["hsm_utxo", hsmUtxo],
  [
    "bip32_key_version",
    structType([
      ["bip32_pubkey_version", u32],
      ["bip32_privkey_version", u32],
    ]),
  ],
  [
    "basepoints",
    structType([
      ["revocation", pubkey],
      ["payment", pubkey],
      ["htlc", pubkey],
      ["delayed_payment", pubkey],
    ]),
  ],
  [
    "secrets",
    structType([
      ["funding_privkey", bytes32],
      ["revocation_basepoint_secret", bytes32],
      ["payment_basepoint_secret", bytes32],
      ["delayed_payment_basepoint_secret", bytes32],
      ["htlc_basepoint_secret", bytes32],
    ]),
  ],
]);

/** The bool type (optional-field flags). */
export const BOOL_TYPE: BaseType = boolType;
