/**
 * Core Lightning hsmd-style derivation (v26.06: hsmd/libhsmd.c, common/derive_basepoints.c),
 * all HKDF-SHA256 from `hsm_secret` (32-byte plain secret, or the 64-byte BIP 39 seed of a
 * mnemonic secret). The exact recipe is in docs/keys-derivation.md.
 */
import { inspect } from "node:util";
import { sha256 } from "../crypto/hash.js";
import { isValidSeckey, publicKey, seckeyTweakAdd } from "../crypto/secp256k1.js";
import { CryptoError, FormatError } from "../errors.js";
import { assertBytes, concatBytes } from "../util/bytes.js";
import { ExtendedPrivateKey, HARDENED } from "./bip32.js";
import { type ChannelKeys, channelKeysFromSecrets } from "./channel-keys.js";
import { hkdfSha256 } from "./hkdf.js";
import type { ClnChannelRef, ClnKeyDeriver } from "./key-deriver.js";

const NO_SALT = new Uint8Array(0);
/** Bound on hsmd's "retry with salt+1" loops; each retry has probability ~2^-128. */
const MAX_SALT = 16;

/** hsmd's loop salt: a C u32 copied raw, i.e. 4 bytes little-endian on every supported host. */
function u32le(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

function u64le(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, true);
  return out;
}

function assertChannelRef(ref: unknown): asserts ref is ClnChannelRef {
  if (typeof ref !== "object" || ref === null) {
    throw new FormatError("keys/channel-ref", "CLN channel ref must be an object");
  }
  const r = ref as { peerId?: unknown; dbid?: unknown };
  assertBytes(r.peerId, 33, "peerId");
  if (r.peerId[0] !== 0x02 && r.peerId[0] !== 0x03) {
    throw new FormatError("keys/channel-ref", "peerId must be a compressed public key");
  }
  if (typeof r.dbid !== "bigint" || r.dbid < 0n || r.dbid >= 1n << 64n) {
    throw new FormatError("keys/channel-ref", "dbid must be a u64 bigint");
  }
}

/** hsmd node_key(): HKDF(salt=u32le(i), ikm=secret[0..32], info "nodeid"), first i giving a valid key. */
function clnNodeSecret(secret32: Uint8Array): Uint8Array {
  for (let salt = 0; salt < MAX_SALT; salt++) {
    const k = hkdfSha256(secret32, u32le(salt), "nodeid", 32);
    if (isValidSeckey(k)) return k;
  }
  throw new CryptoError("keys/invalid-secret", "no valid node key");
}

/** hsmd_init: BIP 32 master from HKDF(salt=u32le(i), ikm=whole secret, info "bip32 seed"). */
function clnBip32Master(secret: Uint8Array): ExtendedPrivateKey {
  for (let salt = 0; salt < MAX_SALT; salt++) {
    const bip32Seed = hkdfSha256(secret, u32le(salt), "bip32 seed", 32);
    try {
      return ExtendedPrivateKey.fromSeed(bip32Seed);
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
    }
  }
  throw new CryptoError("keys/bip32-invalid", "no valid BIP 32 master key");
}

/** derive_basepoints(): HKDF(no salt, ikm=channel seed, "c-lightning") → f, r, h, p, d, shaseed. */
function clnChannelKeysFromSeed(channelSeed: Uint8Array): ChannelKeys {
  const okm = hkdfSha256(channelSeed, NO_SALT, "c-lightning", 192);
  return channelKeysFromSecrets({
    fundingSecret: okm.slice(0, 32),
    revocationBaseSecret: okm.slice(32, 64),
    htlcBaseSecret: okm.slice(64, 96),
    paymentBaseSecret: okm.slice(96, 128),
    delayedPaymentBaseSecret: okm.slice(128, 160),
    commitmentSeed: okm.slice(160, 192),
  });
}

/** A deriver giving the node id, wallet tree and channel keys CLN's hsmd derives from `hsmSecret`. */
export function clnKeyDeriver(hsmSecret: Uint8Array): ClnKeyDeriver {
  if (!(hsmSecret instanceof Uint8Array) || (hsmSecret.length !== 32 && hsmSecret.length !== 64)) {
    throw new FormatError(
      "keys/seed-length",
      "hsm_secret must be 32 (plain) or 64 (BIP 39 seed) bytes",
    );
  }
  const secret = Uint8Array.from(hsmSecret);
  const first32 = secret.slice(0, 32);
  const nodeSecret = clnNodeSecret(first32);
  const nodeId = publicKey(nodeSecret);
  const master = clnBip32Master(secret);
  const walletRoot = master.deriveChild(0).deriveChild(0);
  const bolt12 = master.deriveChild(HARDENED + 9735);
  const bip86Base =
    secret.length === 64
      ? ExtendedPrivateKey.fromSeed(secret).derivePath([HARDENED + 86, HARDENED, HARDENED])
      : null;
  const derivedSecret = hkdfSha256(secret, NO_SALT, "derived secrets", 32);
  const channelBase = hkdfSha256(first32, NO_SALT, "peer seed", 32);

  const channelSeed = (ref: ClnChannelRef): Uint8Array => {
    assertChannelRef(ref);
    return hkdfSha256(channelBase, concatBytes(ref.peerId, u64le(ref.dbid)), "per-peer seed", 32);
  };

  const deriver: ClnKeyDeriver = {
    style: "cln",
    nodeSecret: () => Uint8Array.from(nodeSecret),
    nodeId: () => Uint8Array.from(nodeId),
    channelSeed,
    channelKeys: (ref: ClnChannelRef) => clnChannelKeysFromSeed(channelSeed(ref)),
    walletRoot: () => walletRoot,
    walletKey(index: number): ExtendedPrivateKey {
      if (!Number.isInteger(index) || index < 0 || index >= HARDENED) {
        throw new FormatError("keys/bip32-index", "wallet index must be in 0..2^31-1");
      }
      return walletRoot.deriveChild(index);
    },
    bip86Base: () => bip86Base,
    bolt12BaseSecret: () => bolt12.secretKey(),
    deriveSecret: (info: Uint8Array | string) => hkdfSha256(derivedSecret, NO_SALT, info, 32),
  };
  Object.defineProperty(deriver, inspect.custom, {
    value: () => "ClnKeyDeriver([redacted])",
    enumerable: false,
  });
  Object.defineProperty(deriver, "toJSON", {
    value: () => ({ style: "cln", secrets: "[redacted]" }),
    enumerable: false,
  });
  return Object.freeze(deriver);
}

/**
 * Wallet key m/86'/0'/0'/0/index of a 64-byte (mnemonic) secret, as hsmd's bip86_key() derives
 * it (check_bip86_pubkey, wallet UTXOs and bip137 signing on such nodes); null for a 32-byte
 * secret, which has no BIP 86 tree.
 */
export function clnBip86Key(deriver: ClnKeyDeriver, index: number): ExtendedPrivateKey | null {
  if (!Number.isInteger(index) || index < 0 || index >= HARDENED) {
    throw new FormatError("keys/bip32-index", "BIP 86 index must be in 0..2^31-1");
  }
  const base = deriver.bip86Base();
  return base === null ? null : base.derivePath([0, index]);
}

/**
 * hsmd_sign_bolt12 with a public tweak (invoice_request payer keys): the bolt12 base secret
 * m/9735' plus SHA256(bolt12 base pubkey || publicTweak), mod n.
 */
export function clnBolt12PayerSecret(deriver: ClnKeyDeriver, publicTweak: Uint8Array): Uint8Array {
  if (!(publicTweak instanceof Uint8Array)) {
    throw new FormatError("keys/bolt12-tweak", "public tweak must be bytes");
  }
  const base = deriver.bolt12BaseSecret();
  const tweak = sha256(concatBytes(publicKey(base), publicTweak));
  return seckeyTweakAdd(base, tweak);
}

/**
 * hsmd_sign_bolt12_2 with a tweak message (signing with an alias): the node secret plus
 * SHA256(deriveSecret(info) || tweakMessage), mod n (common/bolt12_id.c bolt12_alias_tweak).
 */
export function clnBolt12AliasSecret(
  deriver: ClnKeyDeriver,
  info: Uint8Array,
  tweakMessage: Uint8Array,
): Uint8Array {
  if (!(info instanceof Uint8Array) || !(tweakMessage instanceof Uint8Array)) {
    throw new FormatError("keys/bolt12-tweak", "info and tweak message must be bytes");
  }
  const tweak = sha256(concatBytes(deriver.deriveSecret(info), tweakMessage));
  return seckeyTweakAdd(deriver.nodeSecret(), tweak);
}
