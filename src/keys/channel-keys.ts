/**
 * One channel's holder key set: the five base secrets, the per-commitment (shachain) seed and
 * the public basepoints BOLT 2 sends in open_channel / accept_channel. Both derivation styles
 * (LDK, Core Lightning) produce this same shape. Secrets are redacted from JSON and inspect.
 */
import { inspect } from "node:util";
import type { ChannelBasepoints } from "../bolt3/commitment-keys.js";
import { perCommitmentPoint, perCommitmentSecret } from "../bolt3/per-commitment-secret.js";
import { isValidSeckey, publicKey } from "../crypto/secp256k1.js";
import { CryptoError } from "../errors.js";
import { bytesToHex } from "../util/bytes.js";

/** A channel's holder secrets and public basepoints. */
export interface ChannelKeys {
  /** Secret of funding_pubkey (2-of-2 funding output). */
  readonly fundingSecret: Uint8Array;
  /** Secret of revocation_basepoint. */
  readonly revocationBaseSecret: Uint8Array;
  /** Secret of payment_basepoint (to_remote key under option_static_remotekey). */
  readonly paymentBaseSecret: Uint8Array;
  /** Secret of delayed_payment_basepoint. */
  readonly delayedPaymentBaseSecret: Uint8Array;
  /** Secret of htlc_basepoint. */
  readonly htlcBaseSecret: Uint8Array;
  /** BOLT 3 per-commitment seed (CLN `shaseed`, LDK `commitment_seed`). */
  readonly commitmentSeed: Uint8Array;
  /** Public keys of the five secrets above. */
  readonly basepoints: ChannelBasepoints;
  /** per_commitment_secret of commitment number n (BOLT 3 index 2^48-1-n). */
  perCommitmentSecret(commitmentNumber: number): Uint8Array;
  /** per_commitment_point of commitment number n. */
  perCommitmentPoint(commitmentNumber: number): Uint8Array;
}

/** The six 32-byte secrets a derivation style produces for one channel. */
export interface ChannelSecrets {
  fundingSecret: Uint8Array;
  revocationBaseSecret: Uint8Array;
  paymentBaseSecret: Uint8Array;
  delayedPaymentBaseSecret: Uint8Array;
  htlcBaseSecret: Uint8Array;
  commitmentSeed: Uint8Array;
}

function checkedPublicKey(secret: Uint8Array, what: string): Uint8Array {
  if (!isValidSeckey(secret)) {
    throw new CryptoError("keys/invalid-secret", `derived ${what} is not a valid secret key`);
  }
  return publicKey(secret);
}

/**
 * How many recent per-commitment secrets and points a key set remembers: a round uses our
 * points n, n+1, n+2 and the secret of n-1 (Channel.prepareNextHolder derives them ahead).
 */
const RECENT_COMMITMENTS = 6;

/** A copy of the same kind (Buffer stays Buffer), so cached values look as freshly derived ones. */
function copyBytes(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? Buffer.from(b) : new Uint8Array(b);
}

/** Adds n → v to a small insertion-ordered cache, dropping the oldest entry beyond the limit. */
function remember(cache: Map<number, Uint8Array>, n: number, v: Uint8Array): void {
  cache.set(n, v);
  if (cache.size > RECENT_COMMITMENTS) cache.delete(cache.keys().next().value!);
}

class ChannelKeySet implements ChannelKeys {
  readonly fundingSecret: Uint8Array;
  readonly revocationBaseSecret: Uint8Array;
  readonly paymentBaseSecret: Uint8Array;
  readonly delayedPaymentBaseSecret: Uint8Array;
  readonly htlcBaseSecret: Uint8Array;
  readonly commitmentSeed: Uint8Array;
  readonly basepoints: ChannelBasepoints;
  readonly #secrets = new Map<number, Uint8Array>();
  readonly #points = new Map<number, Uint8Array>();

  constructor(s: ChannelSecrets) {
    this.fundingSecret = Uint8Array.from(s.fundingSecret);
    this.revocationBaseSecret = Uint8Array.from(s.revocationBaseSecret);
    this.paymentBaseSecret = Uint8Array.from(s.paymentBaseSecret);
    this.delayedPaymentBaseSecret = Uint8Array.from(s.delayedPaymentBaseSecret);
    this.htlcBaseSecret = Uint8Array.from(s.htlcBaseSecret);
    this.commitmentSeed = Uint8Array.from(s.commitmentSeed);
    this.basepoints = Object.freeze({
      fundingPubkey: checkedPublicKey(this.fundingSecret, "funding key"),
      revocationBasepoint: checkedPublicKey(this.revocationBaseSecret, "revocation base key"),
      paymentBasepoint: checkedPublicKey(this.paymentBaseSecret, "payment base key"),
      delayedPaymentBasepoint: checkedPublicKey(
        this.delayedPaymentBaseSecret,
        "delayed payment base key",
      ),
      htlcBasepoint: checkedPublicKey(this.htlcBaseSecret, "htlc base key"),
    });
  }

  perCommitmentSecret(commitmentNumber: number): Uint8Array {
    return copyBytes(this.#secret(commitmentNumber));
  }

  perCommitmentPoint(commitmentNumber: number): Uint8Array {
    let point = this.#points.get(commitmentNumber);
    if (point === undefined) {
      point = perCommitmentPoint(this.#secret(commitmentNumber));
      remember(this.#points, commitmentNumber, point);
    }
    return copyBytes(point);
  }

  /**
   * The secret of commitment n (48 SHA-256 from the seed), remembered for the last few numbers:
   * one update derives point n+1 then, a round later, releases secret n. Callers get copies.
   */
  #secret(commitmentNumber: number): Uint8Array {
    let secret = this.#secrets.get(commitmentNumber);
    if (secret === undefined) {
      secret = perCommitmentSecret(this.commitmentSeed, commitmentNumber);
      remember(this.#secrets, commitmentNumber, secret);
    }
    return secret;
  }

  toJSON(): Record<string, string> {
    const b = this.basepoints;
    return {
      fundingPubkey: bytesToHex(b.fundingPubkey),
      revocationBasepoint: bytesToHex(b.revocationBasepoint),
      paymentBasepoint: bytesToHex(b.paymentBasepoint),
      delayedPaymentBasepoint: bytesToHex(b.delayedPaymentBasepoint),
      htlcBasepoint: bytesToHex(b.htlcBasepoint),
      secrets: "[redacted]",
    };
  }

  [inspect.custom](): string {
    return `ChannelKeys(${JSON.stringify(this.toJSON())})`;
  }
}

/** Builds a ChannelKeys from the six secrets (copied); CryptoError `keys/invalid-secret` if one is not in [1, n-1]. */
export function channelKeysFromSecrets(secrets: ChannelSecrets): ChannelKeys {
  return new ChannelKeySet(secrets);
}
