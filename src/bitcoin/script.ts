/**
 * Bitcoin Script: opcode table, compile/decompile and CScriptNum encoding.
 *
 * Naming: `OP` maps opcode names WITHOUT the `OP_` prefix to their byte (`OP.CHECKSIG`,
 * `OP.CHECKLOCKTIMEVERIFY`, `OP["2DROP"]`), except the small-integer opcodes, which keep it
 * because bare digits are not identifiers: `OP.OP_0` (= `OP.FALSE`), `OP.OP_1` (= `OP.TRUE`)
 * … `OP.OP_16`, and `OP.OP_1NEGATE`.
 *
 * A script chunk is either a number (an opcode byte) or a Uint8Array (data to push). As in
 * Bitcoin Core's `CScript << bytes`, data is pushed with the shortest length prefix (direct,
 * PUSHDATA1/2/4) and is never rewritten into OP_n: to push a number use `pushInt`.
 */
import { FormatError } from "../errors.js";

/** Opcode bytes by name (see the module comment for the naming rule). */
export const OP = Object.freeze({
  OP_0: 0x00,
  FALSE: 0x00,
  PUSHDATA1: 0x4c,
  PUSHDATA2: 0x4d,
  PUSHDATA4: 0x4e,
  OP_1NEGATE: 0x4f,
  RESERVED: 0x50,
  OP_1: 0x51,
  TRUE: 0x51,
  OP_2: 0x52,
  OP_3: 0x53,
  OP_4: 0x54,
  OP_5: 0x55,
  OP_6: 0x56,
  OP_7: 0x57,
  OP_8: 0x58,
  OP_9: 0x59,
  OP_10: 0x5a,
  OP_11: 0x5b,
  OP_12: 0x5c,
  OP_13: 0x5d,
  OP_14: 0x5e,
  OP_15: 0x5f,
  OP_16: 0x60,
  NOP: 0x61,
  VER: 0x62,
  IF: 0x63,
  NOTIF: 0x64,
  VERIF: 0x65,
  VERNOTIF: 0x66,
  ELSE: 0x67,
  ENDIF: 0x68,
  VERIFY: 0x69,
  RETURN: 0x6a,
  TOALTSTACK: 0x6b,
  FROMALTSTACK: 0x6c,
  "2DROP": 0x6d,
  "2DUP": 0x6e,
  "3DUP": 0x6f,
  "2OVER": 0x70,
  "2ROT": 0x71,
  "2SWAP": 0x72,
  IFDUP: 0x73,
  DEPTH: 0x74,
  DROP: 0x75,
  DUP: 0x76,
  NIP: 0x77,
  OVER: 0x78,
  PICK: 0x79,
  ROLL: 0x7a,
  ROT: 0x7b,
  SWAP: 0x7c,
  TUCK: 0x7d,
  CAT: 0x7e,
  SUBSTR: 0x7f,
  LEFT: 0x80,
  RIGHT: 0x81,
  SIZE: 0x82,
  INVERT: 0x83,
  AND: 0x84,
  OR: 0x85,
  XOR: 0x86,
  EQUAL: 0x87,
  EQUALVERIFY: 0x88,
  RESERVED1: 0x89,
  RESERVED2: 0x8a,
  "1ADD": 0x8b,
  "1SUB": 0x8c,
  "2MUL": 0x8d,
  "2DIV": 0x8e,
  NEGATE: 0x8f,
  ABS: 0x90,
  NOT: 0x91,
  "0NOTEQUAL": 0x92,
  ADD: 0x93,
  SUB: 0x94,
  MUL: 0x95,
  DIV: 0x96,
  MOD: 0x97,
  LSHIFT: 0x98,
  RSHIFT: 0x99,
  BOOLAND: 0x9a,
  BOOLOR: 0x9b,
  NUMEQUAL: 0x9c,
  NUMEQUALVERIFY: 0x9d,
  NUMNOTEQUAL: 0x9e,
  LESSTHAN: 0x9f,
  GREATERTHAN: 0xa0,
  LESSTHANOREQUAL: 0xa1,
  GREATERTHANOREQUAL: 0xa2,
  MIN: 0xa3,
  MAX: 0xa4,
  WITHIN: 0xa5,
  RIPEMD160: 0xa6,
  SHA1: 0xa7,
  SHA256: 0xa8,
  HASH160: 0xa9,
  HASH256: 0xaa,
  CODESEPARATOR: 0xab,
  CHECKSIG: 0xac,
  CHECKSIGVERIFY: 0xad,
  CHECKMULTISIG: 0xae,
  CHECKMULTISIGVERIFY: 0xaf,
  NOP1: 0xb0,
  CHECKLOCKTIMEVERIFY: 0xb1,
  CHECKSEQUENCEVERIFY: 0xb2,
  NOP4: 0xb3,
  NOP5: 0xb4,
  NOP6: 0xb5,
  NOP7: 0xb6,
  NOP8: 0xb7,
  NOP9: 0xb8,
  NOP10: 0xb9,
  CHECKSIGADD: 0xba,
} as const);

/** One element of a script: an opcode byte or data to push. */
export type ScriptChunk = number | Uint8Array;

/** Largest push `compileScript` accepts (far above any consensus limit, keeps sizes sane). */
const MAX_PUSH = 0xffffffff;

function pushPrefixLength(len: number): number {
  if (len < OP.PUSHDATA1) return 1;
  if (len <= 0xff) return 2;
  if (len <= 0xffff) return 3;
  return 5;
}

/**
 * Compiles chunks to script bytes. Numbers must be non-push opcodes (0x00 or 0x4f..0xff); byte
 * arrays are pushed with the shortest length prefix. FormatError (`format/script-chunk`) on
 * anything else.
 */
export function compileScript(chunks: ScriptChunk[]): Uint8Array {
  if (!Array.isArray(chunks)) throw new FormatError("format/script-chunk", "expected an array");
  let size = 0;
  for (const c of chunks) {
    if (typeof c === "number") {
      if (!Number.isInteger(c) || c < 0 || c > 0xff || (c >= 0x01 && c <= OP.PUSHDATA4)) {
        throw new FormatError(
          "format/script-chunk",
          `opcode ${c} is not a non-push opcode byte (push data as a Uint8Array)`,
        );
      }
      size += 1;
    } else if (c instanceof Uint8Array) {
      if (c.length > MAX_PUSH) throw new FormatError("format/script-chunk", "push too large");
      size += pushPrefixLength(c.length) + c.length;
    } else {
      throw new FormatError("format/script-chunk", "chunk must be a number or a Uint8Array");
    }
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const c of chunks) {
    if (typeof c === "number") {
      out[pos++] = c;
      continue;
    }
    const len = c.length;
    if (len < OP.PUSHDATA1) {
      out[pos++] = len;
    } else if (len <= 0xff) {
      out[pos++] = OP.PUSHDATA1;
      out[pos++] = len;
    } else if (len <= 0xffff) {
      out[pos++] = OP.PUSHDATA2;
      out.writeUInt16LE(len, pos);
      pos += 2;
    } else {
      out[pos++] = OP.PUSHDATA4;
      out.writeUInt32LE(len, pos);
      pos += 4;
    }
    out.set(c, pos);
    pos += len;
  }
  return out;
}

/**
 * Splits script bytes into chunks: pushes (direct or PUSHDATA1/2/4) become Uint8Array copies,
 * every other byte (including OP_0 and OP_1..OP_16) a number. FormatError
 * `format/script-truncated` when a push runs past the end.
 */
export function decompileScript(script: Uint8Array): ScriptChunk[] {
  if (!(script instanceof Uint8Array)) {
    throw new FormatError("format/script-type", "script must be a Uint8Array");
  }
  const out: ScriptChunk[] = [];
  const n = script.length;
  let pos = 0;
  while (pos < n) {
    const op = script[pos++]!;
    let len: number;
    if (op >= 0x01 && op < OP.PUSHDATA1) {
      len = op;
    } else if (op === OP.PUSHDATA1) {
      if (pos + 1 > n) throw truncated();
      len = script[pos]!;
      pos += 1;
    } else if (op === OP.PUSHDATA2) {
      if (pos + 2 > n) throw truncated();
      len = script[pos]! | (script[pos + 1]! << 8);
      pos += 2;
    } else if (op === OP.PUSHDATA4) {
      if (pos + 4 > n) throw truncated();
      len =
        (script[pos]! | (script[pos + 1]! << 8) | (script[pos + 2]! << 16)) +
        script[pos + 3]! * 0x1000000;
      pos += 4;
    } else {
      out.push(op);
      continue;
    }
    if (pos + len > n) throw truncated();
    out.push(new Uint8Array(script.subarray(pos, pos + len)));
    pos += len;
  }
  return out;
}

function truncated(): FormatError {
  return new FormatError("format/script-truncated", "push runs past the end of the script");
}

/** Minimal CScriptNum encoding (little-endian magnitude, sign bit in the top byte; 0 → empty). */
export function scriptNum(n: number | bigint): Uint8Array {
  let v: bigint;
  if (typeof n === "bigint") v = n;
  else if (typeof n === "number" && Number.isSafeInteger(n)) v = BigInt(n);
  else throw new FormatError("format/script-num", "script number must be a safe integer");
  if (v === 0n) return new Uint8Array(0);
  const neg = v < 0n;
  let abs = neg ? -v : v;
  const bytes: number[] = [];
  while (abs > 0n) {
    bytes.push(Number(abs & 0xffn));
    abs >>= 8n;
  }
  const last = bytes.length - 1;
  if (bytes[last]! & 0x80) bytes.push(neg ? 0x80 : 0x00);
  else if (neg) bytes[last]! |= 0x80;
  return Uint8Array.from(bytes);
}

/**
 * Decodes a CScriptNum of at most `maxLen` bytes (4 for arithmetic, 5 for CLTV/CSV); rejects
 * non-minimal encodings. FormatError `format/script-num` otherwise.
 */
export function decodeScriptNum(bytes: Uint8Array, maxLen = 4): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length > maxLen) {
    throw new FormatError("format/script-num", `script number longer than ${maxLen} bytes`);
  }
  const len = bytes.length;
  if (len === 0) return 0n;
  const top = bytes[len - 1]!;
  if ((top & 0x7f) === 0 && (len === 1 || (bytes[len - 2]! & 0x80) === 0)) {
    throw new FormatError("format/script-num", "non-minimal script number");
  }
  let v = 0n;
  for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (top & 0x80) {
    v &= ~(0x80n << BigInt(8 * (len - 1)));
    v = -v;
  }
  return v;
}

/** The chunk that pushes integer `n` minimally: OP_0, OP_1NEGATE, OP_1..OP_16, else CScriptNum. */
export function pushInt(n: number | bigint): ScriptChunk {
  const bytes = scriptNum(n);
  const v = typeof n === "bigint" ? n : BigInt(n);
  if (v === 0n) return OP.OP_0;
  if (v === -1n) return OP.OP_1NEGATE;
  if (v >= 1n && v <= 16n) return OP.OP_1 + Number(v) - 1;
  return bytes;
}
