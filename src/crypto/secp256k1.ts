/**
 * The secp256k1 facade every other layer uses. It checks input lengths once, delegates to the
 * active backend (native libsecp256k1 addon when built, else tiny-secp256k1 WASM) and turns
 * invalid keys, tweaks, points and undefined results into `CryptoError`s. Messages never
 * contain key material.
 *
 * Backend selection at load time:
 * - WARDEN_SECP256K1_BACKEND=wasm forces WASM (=native requires native);
 * - WARDEN_REQUIRE_NATIVE=1 makes a missing/broken addon a hard error;
 * - otherwise a missing addon falls back to WASM with one visible warning.
 */
import { randomBytes } from "node:crypto";
import { CryptoError } from "../errors.js";
import type { EcdsaGrind, Secp256k1Backend } from "./backend.js";
import { loadNativeBackend } from "./backend-native.js";
import { wasmBackend } from "./backend-wasm.js";
import { taggedHash } from "./hash.js";
import { isScalarBelowOrder } from "./scalar.js";

const backends = new Map<string, Secp256k1Backend>([["wasm", wasmBackend]]);

function selectInitialBackend(): Secp256k1Backend {
  const forced = process.env["WARDEN_SECP256K1_BACKEND"];
  const required = process.env["WARDEN_REQUIRE_NATIVE"] === "1" || forced === "native";
  if (forced !== undefined && forced !== "" && forced !== "wasm" && forced !== "native") {
    throw new CryptoError("crypto/unknown-backend", `unknown WARDEN_SECP256K1_BACKEND=${forced}`);
  }
  if (forced === "wasm") return wasmBackend;
  const native = loadNativeBackend();
  if (native.ok) {
    backends.set("native", native.backend);
    return native.backend;
  }
  if (required) {
    throw new CryptoError(
      "crypto/native-unavailable",
      `native libsecp256k1 required but unavailable (${native.reason}); run: node scripts/build-native.mjs`,
    );
  }
  console.warn(
    `warden: native libsecp256k1 unavailable (${native.reason}); using WASM libsecp256k1 ` +
      "(tiny-secp256k1), ~4x slower. Fix: apt-get install libsecp256k1-dev && npm rebuild",
  );
  return wasmBackend;
}

let active: Secp256k1Backend = selectInitialBackend();

/** Name of the backend currently serving all calls ("native" or "wasm"). */
export function activeBackendName(): string {
  return active.name;
}

/** Names of the backends that loaded successfully in this process. */
export function availableBackends(): string[] {
  return [...backends.keys()];
}

/** Switches the active backend (tests, benchmarks); throws CryptoError if it is not available. */
export function useBackend(name: string): void {
  const b = backends.get(name);
  if (b === undefined)
    throw new CryptoError("crypto/unknown-backend", `backend ${name} unavailable`);
  active = b;
}

function len(b: unknown, n: number, what: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== n) {
    throw new CryptoError("crypto/invalid-length", `${what} must be ${n} bytes`);
  }
}

function badSeckey(): CryptoError {
  return new CryptoError("crypto/invalid-seckey", "secret key is not in [1, n-1]");
}

function badPubkey(): CryptoError {
  return new CryptoError("crypto/invalid-pubkey", "not a valid compressed public key");
}

function badTweak(): CryptoError {
  return new CryptoError("crypto/invalid-tweak", "tweak/scalar out of range");
}

function infinity(): CryptoError {
  return new CryptoError("crypto/infinity", "result is zero or the point at infinity");
}

/** True iff `b` is a 32-byte secret key in [1, n-1]. */
export function isValidSeckey(b: unknown): boolean {
  return b instanceof Uint8Array && b.length === 32 && active.isValidSeckey(b);
}

/**
 * Compressed points known to be on the curve, by content: parsing one costs a field square
 * root (several µs), and the BOLT 3 layer checks the same basepoints and derived keys many
 * times per commitment. Keys are the 33 bytes as a latin1 string (content, not identity, so a
 * byte array changed in place is looked up afresh). Bounded in two generations: when the newer
 * one is full it becomes the older one and the previous older one is dropped.
 */
let knownPoints = new Set<string>();
let knownPointsOld = new Set<string>();
const KNOWN_POINTS_GENERATION = 8_192;

/**
 * The byte arrays most recently checked (or produced by the backend, so on the curve by
 * construction), each with a snapshot of its content then: the BOLT 3 layer checks the keys it
 * just derived and the channel's basepoints over and over, and finding the same array with the
 * same content is an identity scan and a 33-byte comparison (no string, no parse, nothing for
 * the garbage collector). A changed array falls back to the checks above.
 */
const RECENT_ARRAYS = 64;
const recentArrays = new Array<Uint8Array | undefined>(RECENT_ARRAYS).fill(undefined);
const recentContent = new Uint8Array(RECENT_ARRAYS * 33);
let recentNext = 0;

function pointKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

function rememberPoint(key: string): void {
  if (knownPoints.size >= KNOWN_POINTS_GENERATION) {
    knownPointsOld = knownPoints;
    knownPoints = new Set<string>();
  }
  knownPoints.add(key);
}

function noteChecked(b: Uint8Array): void {
  const slot = recentNext;
  recentNext = (slot + 1) % RECENT_ARRAYS;
  recentArrays[slot] = b;
  recentContent.set(b, slot * 33);
}

function recentlyChecked(b: Uint8Array): boolean {
  for (let slot = 0; slot < RECENT_ARRAYS; slot++) {
    if (recentArrays[slot] !== b) continue;
    const at = slot * 33;
    for (let i = 0; i < 33; i++) if (b[i] !== recentContent[at + i]) return false;
    return true;
  }
  return false;
}

/** Returns `out`, a point the backend produced, noted as checked. */
function produced(out: Uint8Array): Uint8Array {
  noteChecked(out);
  return out;
}

/** True iff `b` is a 33-byte compressed public key on the curve. */
export function isValidPublicKey(b: unknown): boolean {
  if (!(b instanceof Uint8Array) || b.length !== 33) return false;
  if (recentlyChecked(b)) return true;
  const key = pointKey(b);
  if (!knownPoints.has(key) && !knownPointsOld.has(key)) {
    if (!active.isValidPublicKey(b)) return false;
    rememberPoint(key);
  }
  noteChecked(b);
  return true;
}

/** 33-byte compressed public key of a valid secret key. */
export function publicKey(seckey: Uint8Array): Uint8Array {
  len(seckey, 32, "secret key");
  const out = active.publicKey(seckey);
  if (out === null) throw badSeckey();
  return produced(out);
}

export type { EcdsaGrind } from "./backend.js";

/** Options for ECDSA signing. */
export interface EcdsaSignOptions {
  /** Grind until r < 2^255, saving a byte in DER. Default false. */
  lowR?: boolean;
  /**
   * How to grind when `lowR` is set: "core" (default) = Bitcoin Core's key.cpp, first attempt
   * without extra nonce data; "cln" = Core Lightning's sign_hash, whose first attempt already
   * passes 32 zero bytes, so its signatures differ from Core's for the same key and digest.
   */
  grind?: "core" | "cln";
}

function grindOf(opts: EcdsaSignOptions | undefined): EcdsaGrind {
  if (opts?.lowR !== true) return "none";
  const g = opts.grind ?? "core";
  if (g !== "core" && g !== "cln") {
    throw new CryptoError("crypto/unknown-grind", 'grind must be "core" or "cln"');
  }
  return g;
}

/**
 * Deterministic RFC 6979 ECDSA signature, 64-byte compact r||s, always low-S; with `lowR`,
 * r < 2^255 too, ground the way `grind` names (bit for bit what that implementation signs).
 */
export function ecdsaSign(
  msg32: Uint8Array,
  seckey: Uint8Array,
  opts?: EcdsaSignOptions,
): Uint8Array {
  len(msg32, 32, "message hash");
  len(seckey, 32, "secret key");
  const sig = active.ecdsaSign(msg32, seckey, grindOf(opts));
  if (sig === null) throw badSeckey();
  return sig;
}

/** True iff `sig64` is a valid low-S signature of `msg32` by `pubkey33`; never throws on a bad sig or key. */
export function ecdsaVerify(sig64: Uint8Array, msg32: Uint8Array, pubkey33: Uint8Array): boolean {
  len(msg32, 32, "message hash");
  if (!(sig64 instanceof Uint8Array) || sig64.length !== 64) return false;
  if (!(pubkey33 instanceof Uint8Array) || pubkey33.length !== 33) return false;
  return active.ecdsaVerify(sig64, msg32, pubkey33);
}

/** pub + tweak*G (33 bytes); tweak may be zero but must be < n. */
export function pubkeyTweakAdd(pub33: Uint8Array, tweak32: Uint8Array): Uint8Array {
  len(pub33, 33, "public key");
  len(tweak32, 32, "tweak");
  const out = active.pubkeyTweakAdd(pub33, tweak32);
  if (out !== null) return produced(out);
  if (!active.isValidPublicKey(pub33)) throw badPubkey();
  if (!isScalarBelowOrder(tweak32)) throw badTweak();
  throw infinity();
}

/** sec + tweak mod n (32 bytes); tweak may be zero but must be < n; zero result throws. */
export function seckeyTweakAdd(sec32: Uint8Array, tweak32: Uint8Array): Uint8Array {
  len(sec32, 32, "secret key");
  len(tweak32, 32, "tweak");
  const out = active.seckeyTweakAdd(sec32, tweak32);
  if (out !== null) return out;
  if (!active.isValidSeckey(sec32)) throw badSeckey();
  if (!isScalarBelowOrder(tweak32)) throw badTweak();
  throw infinity();
}

/** sec * tweak mod n (32 bytes); tweak must be in [1, n-1]. */
export function seckeyTweakMul(sec32: Uint8Array, tweak32: Uint8Array): Uint8Array {
  len(sec32, 32, "secret key");
  len(tweak32, 32, "tweak");
  const out = active.seckeyTweakMul(sec32, tweak32);
  if (out !== null) return out;
  if (!active.isValidSeckey(sec32)) throw badSeckey();
  throw badTweak();
}

/** n - sec (32 bytes) for a valid secret key. */
export function seckeyNegate(sec32: Uint8Array): Uint8Array {
  len(sec32, 32, "secret key");
  const out = active.seckeyNegate(sec32);
  if (out === null) throw badSeckey();
  return out;
}

/** A + B (33 bytes); throws CryptoError if either is invalid or the sum is infinity. */
export function pointAdd(pubA33: Uint8Array, pubB33: Uint8Array): Uint8Array {
  len(pubA33, 33, "public key");
  len(pubB33, 33, "public key");
  const out = active.pointAdd(pubA33, pubB33);
  if (out !== null) return produced(out);
  if (!active.isValidPublicKey(pubA33) || !active.isValidPublicKey(pubB33)) throw badPubkey();
  throw infinity();
}

/** scalar * P (33 bytes); scalar must be in [1, n-1]. */
export function pointMul(pub33: Uint8Array, scalar32: Uint8Array): Uint8Array {
  len(pub33, 33, "public key");
  len(scalar32, 32, "scalar");
  const out = active.pointMul(pub33, scalar32);
  if (out !== null) return out;
  if (!active.isValidPublicKey(pub33)) throw badPubkey();
  throw badTweak();
}

/** BOLT 8 ECDH: SHA256 of the compressed point sec * pub (32 bytes). */
export function ecdh(sec32: Uint8Array, pub33: Uint8Array): Uint8Array {
  len(sec32, 32, "secret key");
  len(pub33, 33, "public key");
  const out = active.ecdh(sec32, pub33);
  if (out !== null) return out;
  if (!active.isValidSeckey(sec32)) throw badSeckey();
  throw badPubkey();
}

/** BIP 340 x-only public key (32 bytes) of a valid secret key. */
export function xonlyPublicKey(sec32: Uint8Array): Uint8Array {
  len(sec32, 32, "secret key");
  const out = active.xonlyPublicKey(sec32);
  if (out === null) throw badSeckey();
  return out;
}

/** BIP 340 Schnorr signature (64 bytes); `aux32` defaults to 32 fresh random bytes. */
export function schnorrSign(msg32: Uint8Array, sec32: Uint8Array, aux32?: Uint8Array): Uint8Array {
  len(msg32, 32, "message");
  len(sec32, 32, "secret key");
  const aux = aux32 === undefined ? randomBytes(32) : aux32;
  len(aux, 32, "aux randomness");
  const out = active.schnorrSign(msg32, sec32, aux);
  if (out === null) throw badSeckey();
  return out;
}

/** True iff `sig64` is a valid BIP 340 signature of `msg32` by `xonly32`; never throws on a bad sig or key. */
export function schnorrVerify(sig64: Uint8Array, msg32: Uint8Array, xonly32: Uint8Array): boolean {
  len(msg32, 32, "message");
  if (!(sig64 instanceof Uint8Array) || sig64.length !== 64) return false;
  if (!(xonly32 instanceof Uint8Array) || xonly32.length !== 32) return false;
  return active.schnorrVerify(sig64, msg32, xonly32);
}

function tapTweak(xonly: Uint8Array, merkleRoot: Uint8Array | undefined): Uint8Array {
  if (merkleRoot === undefined) return taggedHash("TapTweak", xonly);
  len(merkleRoot, 32, "merkle root");
  return taggedHash("TapTweak", xonly, merkleRoot);
}

/** BIP 341 key-path secret: negate if P has odd y, then add TapTweak(x(P) || merkleRoot?). */
export function taprootTweakSeckey(sec32: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  const pub = publicKey(sec32);
  const base = pub[0] === 0x03 ? seckeyNegate(sec32) : sec32;
  const tweak = tapTweak(pub.subarray(1), merkleRoot);
  if (!isScalarBelowOrder(tweak)) throw badTweak();
  return seckeyTweakAdd(base, tweak);
}

/** BIP 341 output key Q = lift_x(internal) + TapTweak(internal || merkleRoot?)*G, as x and y parity. */
export function taprootOutputKey(
  internalXonly32: Uint8Array,
  merkleRoot?: Uint8Array,
): { xonly: Uint8Array; parity: 0 | 1 } {
  len(internalXonly32, 32, "internal key");
  const tweak = tapTweak(internalXonly32, merkleRoot);
  const out = active.xonlyTweakAdd(internalXonly32, tweak);
  if (out !== null) return out;
  const lifted = Buffer.concat([Buffer.from([0x02]), internalXonly32]);
  if (!active.isValidPublicKey(lifted)) throw badPubkey();
  if (!isScalarBelowOrder(tweak)) throw badTweak();
  throw infinity();
}
