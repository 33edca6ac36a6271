/**
 * BIP 32 extended PUBLIC keys: parsing xpub/tpub strings and public (non-hardened) child
 * derivation, plus the three single-key output scripts a child can be paid with (P2WPKH,
 * P2PKH, and P2TR with the BIP 86 key-path-only tweak). Used to recognise allowlisted
 * destinations and our own wallet's outputs by re-deriving, never by trusting a claimed key.
 */
import { createHmac } from "node:crypto";
import { createBase58check } from "@scure/base";
import type { Network } from "../bitcoin/address.js";
import { p2pkh, p2tr, p2wpkh } from "../bitcoin/outputs.js";
import { hash160, sha256 } from "../crypto/hash.js";
import { isScalarBelowOrder } from "../crypto/scalar.js";
import { isValidPublicKey, pubkeyTweakAdd, taprootOutputKey } from "../crypto/secp256k1.js";
import { CryptoError, FormatError } from "../errors.js";
import { type ExtendedPrivateKey, HARDENED, MAINNET_VERSIONS, TESTNET_VERSIONS } from "./bip32.js";
import { concatBytes } from "../util/bytes.js";

const base58check = createBase58check(sha256);

/** Single-key output kinds an extended key's child can be paid with. */
export type SingleKeyOutputKind = "p2wpkh" | "p2pkh" | "p2tr";

/** Every single-key kind, in the order they are tried. */
export const SINGLE_KEY_OUTPUT_KINDS: readonly SingleKeyOutputKind[] = ["p2wpkh", "p2tr", "p2pkh"];

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, false);
  return out;
}

function fail(message: string): never {
  throw new FormatError("wallet/xpub", message);
}

/** The BIP 86 P2TR scriptPubKey of a key (key path only: Q = P + H_TapTweak(x(P))·G). */
export function bip86Script(pubkey33: Uint8Array): Uint8Array {
  return p2tr(taprootOutputKey(pubkey33.subarray(1)).xonly);
}

/** The scriptPubKey of `kind` paying the single key `pubkey33`. */
export function singleKeyScript(kind: SingleKeyOutputKind, pubkey33: Uint8Array): Uint8Array {
  if (kind === "p2wpkh") return p2wpkh(pubkey33);
  if (kind === "p2pkh") return p2pkh(pubkey33);
  return bip86Script(pubkey33);
}

/** A BIP 32 extended public key (no secret): position in the tree, key and chain code. */
export class ExtendedPublicKey {
  /** 33-byte compressed public key. */
  readonly publicKey: Uint8Array;
  readonly chainCode: Uint8Array;
  readonly depth: number;
  readonly parentFingerprint: number;
  readonly childNumber: number;

  private constructor(
    publicKey: Uint8Array,
    chainCode: Uint8Array,
    depth: number,
    parentFingerprint: number,
    childNumber: number,
  ) {
    this.publicKey = publicKey;
    this.chainCode = chainCode;
    this.depth = depth;
    this.parentFingerprint = parentFingerprint;
    this.childNumber = childNumber;
  }

  /** Parses an xpub (mainnet) or tpub (test networks) for `network`; FormatError `wallet/xpub` otherwise. */
  static parse(xpub: string, network: Network): ExtendedPublicKey {
    if (typeof xpub !== "string" || xpub.length > 120) fail("xpub must be a short string");
    let b: Uint8Array;
    try {
      b = base58check.decode(xpub);
    } catch {
      fail("invalid base58check string or checksum");
    }
    if (b.length !== 78) fail(`extended key of ${b.length} bytes`);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const version = view.getUint32(0, false);
    const want = network === "bitcoin" ? MAINNET_VERSIONS.public : TESTNET_VERSIONS.public;
    if (version !== want) {
      fail(`not an extended public key for ${network} (version 0x${version.toString(16)})`);
    }
    const depth = b[4]!;
    const parentFingerprint = view.getUint32(5, false);
    const childNumber = view.getUint32(9, false);
    if (depth === 0 && (parentFingerprint !== 0 || childNumber !== 0)) {
      fail("a master key must have a zero parent fingerprint and child number");
    }
    const key = b.slice(45, 78);
    if (!isValidPublicKey(key)) fail("key is not a valid compressed point");
    return new ExtendedPublicKey(key, b.slice(13, 45), depth, parentFingerprint, childNumber);
  }

  /** The public half of a private extended key. */
  static fromPrivate(k: ExtendedPrivateKey): ExtendedPublicKey {
    return new ExtendedPublicKey(
      Uint8Array.from(k.publicKey),
      Uint8Array.from(k.chainCode),
      k.depth,
      k.parentFingerprint,
      k.childNumber,
    );
  }

  /** This key's fingerprint: first 4 bytes of HASH160(publicKey), as a u32. */
  fingerprint(): number {
    const h = hash160(this.publicKey);
    return new DataView(h.buffer, h.byteOffset, 4).getUint32(0, false);
  }

  /** CKDpub: non-hardened child `index`; CryptoError `keys/bip32-invalid` in BIP 32's skip case. */
  deriveChild(index: number): ExtendedPublicKey {
    if (!Number.isInteger(index) || index < 0 || index >= HARDENED) {
      throw new FormatError("keys/bip32-index", "public derivation needs an index in 0..2^31-1");
    }
    const i = new Uint8Array(
      createHmac("sha512", this.chainCode)
        .update(concatBytes(this.publicKey, u32be(index)))
        .digest(),
    );
    const il = i.slice(0, 32);
    if (!isScalarBelowOrder(il)) {
      throw new CryptoError("keys/bip32-invalid", "BIP 32 child key is invalid (IL >= n)");
    }
    let key: Uint8Array;
    try {
      key = pubkeyTweakAdd(this.publicKey, il);
    } catch {
      throw new CryptoError("keys/bip32-invalid", "BIP 32 child key is the point at infinity");
    }
    return new ExtendedPublicKey(key, i.slice(32), this.depth + 1, this.fingerprint(), index);
  }

  /** Derives along a non-hardened relative path. */
  derivePath(path: readonly number[]): ExtendedPublicKey {
    return path.reduce<ExtendedPublicKey>((k, index) => k.deriveChild(index), this);
  }

  /** Base58Check serialisation (xpub for bitcoin, tpub otherwise). */
  toBase58(network: Network): string {
    const version = network === "bitcoin" ? MAINNET_VERSIONS.public : TESTNET_VERSIONS.public;
    return base58check.encode(
      concatBytes(
        u32be(version),
        new Uint8Array([this.depth & 0xff]),
        u32be(this.parentFingerprint),
        u32be(this.childNumber),
        this.chainCode,
        this.publicKey,
      ),
    );
  }
}
