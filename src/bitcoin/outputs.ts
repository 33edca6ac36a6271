/**
 * Standard output scripts (scriptPubKeys): builders for P2WSH, P2WPKH, P2TR, P2PKH, P2SH, the
 * BIP 143 P2WPKH scriptCode, and a strict classifier. All builders validate their inputs and
 * raise FormatError (`format/pubkey`, `format/length`, `format/witness-program`).
 */
import { hash160, sha256 } from "../crypto/hash.js";
import { FormatError } from "../errors.js";
import { assertBytes } from "../util/bytes.js";
import { OP } from "./script.js";

/** Standard output kinds recognised by `classifyOutput`. */
export type OutputType = "p2wpkh" | "p2wsh" | "p2tr" | "p2pkh" | "p2sh" | "op_return" | "unknown";

/** Result of `classifyOutput`: the kind, and the hash or key it commits to when there is one. */
export interface ClassifiedOutput {
  type: OutputType;
  /** 20-byte hash (p2pkh, p2sh, p2wpkh), 32-byte script hash (p2wsh) or x-only key (p2tr). */
  hash?: Uint8Array;
}

function assertCompressedPubkey(pubkey: unknown): asserts pubkey is Uint8Array {
  if (
    !(pubkey instanceof Uint8Array) ||
    pubkey.length !== 33 ||
    (pubkey[0] !== 0x02 && pubkey[0] !== 0x03)
  ) {
    throw new FormatError("format/pubkey", "expected a 33-byte compressed public key");
  }
}

function assertScript(script: unknown, what: string): asserts script is Uint8Array {
  if (!(script instanceof Uint8Array)) {
    throw new FormatError("format/script-type", `${what} must be a Uint8Array`);
  }
}

/** scriptPubKey for witness version `version` (0..16) and a 2..40-byte program (BIP 141). */
export function witnessOutput(version: number, program: Uint8Array): Uint8Array {
  if (!Number.isInteger(version) || version < 0 || version > 16) {
    throw new FormatError("format/witness-program", "witness version must be 0..16");
  }
  if (!(program instanceof Uint8Array) || program.length < 2 || program.length > 40) {
    throw new FormatError("format/witness-program", "witness program must be 2..40 bytes");
  }
  if (version === 0 && program.length !== 20 && program.length !== 32) {
    throw new FormatError("format/witness-program", "v0 witness program must be 20 or 32 bytes");
  }
  const out = new Uint8Array(2 + program.length);
  out[0] = version === 0 ? OP.OP_0 : OP.OP_1 + version - 1;
  out[1] = program.length;
  out.set(program, 2);
  return out;
}

/** P2WSH scriptPubKey `OP_0 <sha256(witnessScript)>`. */
export function p2wsh(witnessScript: Uint8Array): Uint8Array {
  assertScript(witnessScript, "witness script");
  return witnessOutput(0, sha256(witnessScript));
}

/** P2WPKH scriptPubKey `OP_0 <hash160(pubkey)>` for a 33-byte compressed key. */
export function p2wpkh(pubkey33: Uint8Array): Uint8Array {
  assertCompressedPubkey(pubkey33);
  return witnessOutput(0, hash160(pubkey33));
}

/** P2TR scriptPubKey `OP_1 <outputKey>` for an already tweaked 32-byte x-only output key. */
export function p2tr(outputXonly32: Uint8Array): Uint8Array {
  assertBytes(outputXonly32, 32, "taproot output key");
  return witnessOutput(1, outputXonly32);
}

/** P2PKH scriptPubKey for a 20-byte public key hash. */
export function p2pkhFromHash(hash20: Uint8Array): Uint8Array {
  assertBytes(hash20, 20, "public key hash");
  const out = new Uint8Array(25);
  out[0] = OP.DUP;
  out[1] = OP.HASH160;
  out[2] = 20;
  out.set(hash20, 3);
  out[23] = OP.EQUALVERIFY;
  out[24] = OP.CHECKSIG;
  return out;
}

/** P2PKH scriptPubKey `DUP HASH160 <hash160(pubkey)> EQUALVERIFY CHECKSIG` (compressed key). */
export function p2pkh(pubkey33: Uint8Array): Uint8Array {
  assertCompressedPubkey(pubkey33);
  return p2pkhFromHash(hash160(pubkey33));
}

/** P2SH scriptPubKey for a 20-byte script hash. */
export function p2shFromHash(hash20: Uint8Array): Uint8Array {
  assertBytes(hash20, 20, "script hash");
  const out = new Uint8Array(23);
  out[0] = OP.HASH160;
  out[1] = 20;
  out.set(hash20, 2);
  out[22] = OP.EQUAL;
  return out;
}

/** P2SH scriptPubKey `HASH160 <hash160(redeemScript)> EQUAL`. */
export function p2sh(redeemScript: Uint8Array): Uint8Array {
  assertScript(redeemScript, "redeem script");
  return p2shFromHash(hash160(redeemScript));
}

/** The BIP 143 scriptCode for spending P2WPKH: the P2PKH script of the key (no length prefix). */
export function p2pkhScriptCode(pubkey33: Uint8Array): Uint8Array {
  return p2pkh(pubkey33);
}

/** Classifies a scriptPubKey by exact template match; anything else is 'unknown'. */
export function classifyOutput(script: Uint8Array): ClassifiedOutput {
  assertScript(script, "scriptPubKey");
  const n = script.length;
  if (n === 22 && script[0] === OP.OP_0 && script[1] === 20) {
    return { type: "p2wpkh", hash: new Uint8Array(script.subarray(2)) };
  }
  if (n === 34 && script[0] === OP.OP_0 && script[1] === 32) {
    return { type: "p2wsh", hash: new Uint8Array(script.subarray(2)) };
  }
  if (n === 34 && script[0] === OP.OP_1 && script[1] === 32) {
    return { type: "p2tr", hash: new Uint8Array(script.subarray(2)) };
  }
  if (
    n === 25 &&
    script[0] === OP.DUP &&
    script[1] === OP.HASH160 &&
    script[2] === 20 &&
    script[23] === OP.EQUALVERIFY &&
    script[24] === OP.CHECKSIG
  ) {
    return { type: "p2pkh", hash: new Uint8Array(script.subarray(3, 23)) };
  }
  if (n === 23 && script[0] === OP.HASH160 && script[1] === 20 && script[22] === OP.EQUAL) {
    return { type: "p2sh", hash: new Uint8Array(script.subarray(2, 22)) };
  }
  if (n >= 1 && script[0] === OP.RETURN) return { type: "op_return" };
  return { type: "unknown" };
}

/**
 * The witness version and program of a segwit scriptPubKey (BIP 141 pattern: a version opcode
 * then one direct push of 2..40 bytes), or undefined when the script is not one.
 */
export function witnessProgram(
  script: Uint8Array,
): { version: number; program: Uint8Array } | undefined {
  assertScript(script, "scriptPubKey");
  const n = script.length;
  if (n < 4 || n > 42 || script[1] !== n - 2) return undefined;
  const op = script[0]!;
  let version: number;
  if (op === OP.OP_0) version = 0;
  else if (op >= OP.OP_1 && op <= OP.OP_16) version = op - OP.OP_1 + 1;
  else return undefined;
  return { version, program: new Uint8Array(script.subarray(2)) };
}
