/**
 * BIP 32 hierarchical deterministic keys (private derivation, public serialisation), enough for
 * LDK's KeysManager (m/0'.. m/5', channel keys under m/3') and Core Lightning's wallet tree
 * (m/0/0/k, bolt12 base m/9735', BIP 86 m/86'/0'/0'). Secret material is held in a private field
 * and redacted from JSON and util.inspect.
 */
import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { createBase58check } from "@scure/base";
import { hash160, sha256 } from "../crypto/hash.js";
import { isValidSeckey, publicKey, seckeyTweakAdd } from "../crypto/secp256k1.js";
import { CryptoError, FormatError } from "../errors.js";
import { concatBytes } from "../util/bytes.js";

/** First hardened child index, 2^31. */
export const HARDENED = 0x80000000;

/** 4-byte serialisation versions of an extended key pair (BIP 32 "Serialization format"). */
export interface Bip32Versions {
  /** Version of the public serialisation (xpub 0x0488b21e, tpub 0x043587cf). */
  public: number;
  /** Version of the private serialisation (xprv 0x0488ade4, tprv 0x04358394). */
  private: number;
}

/** Mainnet xpub/xprv versions. */
export const MAINNET_VERSIONS: Bip32Versions = { public: 0x0488b21e, private: 0x0488ade4 };
/** Testnet/signet/regtest tpub/tprv versions. */
export const TESTNET_VERSIONS: Bip32Versions = { public: 0x043587cf, private: 0x04358394 };

const base58check = createBase58check(sha256);

function hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha512", key).update(data).digest());
}

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, false);
  return out;
}

function assertIndex(index: unknown): asserts index is number {
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > 0xffffffff) {
    throw new FormatError("keys/bip32-index", "BIP 32 child index must be an integer in 0..2^32-1");
  }
}

/** A BIP 32 extended private key: secret, chain code and position in the tree. */
export class ExtendedPrivateKey {
  readonly #secret: Uint8Array;
  /** 32-byte chain code. */
  readonly chainCode: Uint8Array;
  /** 33-byte compressed public key. */
  readonly publicKey: Uint8Array;
  /** Depth in the tree (master = 0). */
  readonly depth: number;
  /** First 4 bytes of HASH160 of the parent public key (0 for the master), as a u32. */
  readonly parentFingerprint: number;
  /** Index of this key under its parent (0 for the master). */
  readonly childNumber: number;

  private constructor(
    secret: Uint8Array,
    chainCode: Uint8Array,
    depth: number,
    parentFingerprint: number,
    childNumber: number,
  ) {
    this.#secret = secret;
    this.chainCode = chainCode;
    this.publicKey = publicKey(secret);
    this.depth = depth;
    this.parentFingerprint = parentFingerprint;
    this.childNumber = childNumber;
  }

  /** BIP 32 master key from a 16..64-byte seed; CryptoError `keys/bip32-invalid` if IL is 0 or >= n. */
  static fromSeed(seed: Uint8Array): ExtendedPrivateKey {
    if (!(seed instanceof Uint8Array) || seed.length < 16 || seed.length > 64) {
      throw new FormatError("keys/seed-length", "BIP 32 seed must be 16..64 bytes");
    }
    const i = hmacSha512(new TextEncoder().encode("Bitcoin seed"), seed);
    const il = i.slice(0, 32);
    if (!isValidSeckey(il)) {
      throw new CryptoError("keys/bip32-invalid", "seed gives an invalid BIP 32 master key");
    }
    return new ExtendedPrivateKey(il, i.slice(32), 0, 0, 0);
  }

  /** 32-byte secret key (a copy). */
  secretKey(): Uint8Array {
    return Uint8Array.from(this.#secret);
  }

  /** This key's fingerprint: first 4 bytes of HASH160(publicKey), as a u32. */
  fingerprint(): number {
    const h = hash160(this.publicKey);
    return new DataView(h.buffer, h.byteOffset, 4).getUint32(0, false);
  }

  /** CKDpriv: child `index` (>= 2^31 hardened); CryptoError `keys/bip32-invalid` in the 2^-127 case BIP 32 skips. */
  deriveChild(index: number): ExtendedPrivateKey {
    assertIndex(index);
    const data =
      index >= HARDENED
        ? concatBytes(new Uint8Array([0]), this.#secret, u32be(index))
        : concatBytes(this.publicKey, u32be(index));
    const i = hmacSha512(this.chainCode, data);
    const il = i.slice(0, 32);
    if (!isValidSeckey(il)) {
      throw new CryptoError("keys/bip32-invalid", "BIP 32 child key is invalid (IL >= n)");
    }
    let child: Uint8Array;
    try {
      child = seckeyTweakAdd(this.#secret, il);
    } catch {
      throw new CryptoError("keys/bip32-invalid", "BIP 32 child key is zero");
    }
    return new ExtendedPrivateKey(child, i.slice(32), this.depth + 1, this.fingerprint(), index);
  }

  /** Derives along `path`, a list of indices or a string like "m/0'/1/2h". */
  derivePath(path: readonly number[] | string): ExtendedPrivateKey {
    const indices = typeof path === "string" ? parseBip32Path(path) : path;
    return indices.reduce<ExtendedPrivateKey>((key, index) => key.deriveChild(index), this);
  }

  /** 78-byte BIP 32 serialisation of the public key with the given 4-byte version. */
  publicBytes(version: number): Uint8Array {
    return this.#serialize(version, concatBytes(this.publicKey));
  }

  /** Base58Check extended public key (xpub/tpub per `versions`). */
  toXpub(versions: Bip32Versions = MAINNET_VERSIONS): string {
    return base58check.encode(this.publicBytes(versions.public));
  }

  /** Base58Check extended private key (xprv/tprv per `versions`): secret, never log it. */
  toXprv(versions: Bip32Versions = MAINNET_VERSIONS): string {
    return base58check.encode(
      this.#serialize(versions.private, concatBytes(new Uint8Array([0]), this.#secret)),
    );
  }

  #serialize(version: number, key33: Uint8Array): Uint8Array {
    assertIndex(version);
    return concatBytes(
      u32be(version),
      new Uint8Array([this.depth & 0xff]),
      u32be(this.parentFingerprint),
      u32be(this.childNumber),
      this.chainCode,
      key33,
    );
  }

  /** JSON form: public data only. */
  toJSON(): { depth: number; childNumber: number; publicKey: string; secret: string } {
    return {
      depth: this.depth,
      childNumber: this.childNumber,
      publicKey: Buffer.from(this.publicKey).toString("hex"),
      secret: "[redacted]",
    };
  }

  /** util.inspect form: public data only. */
  [inspect.custom](): string {
    return `ExtendedPrivateKey(depth=${this.depth}, child=${this.childNumber}, secret=[redacted])`;
  }
}

/** Parses "m/0'/1/2h" into child indices (hardened marked by ' or h); FormatError `keys/bip32-path`. */
export function parseBip32Path(path: string): number[] {
  if (typeof path !== "string") throw new FormatError("keys/bip32-path", "path must be a string");
  const parts = path.split("/");
  if (parts[0] !== "m") throw new FormatError("keys/bip32-path", "path must start with m");
  return parts.slice(1).map((p) => {
    const m = /^(\d{1,10})(['hH]?)$/.exec(p);
    if (m === null) throw new FormatError("keys/bip32-path", "bad path component");
    const n = Number(m[1]);
    if (n >= HARDENED) throw new FormatError("keys/bip32-path", "path index too large");
    return m[2] === "" ? n : n + HARDENED;
  });
}
