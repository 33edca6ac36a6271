/**
 * The KeyDeriver contract: node key and per-channel keys from one root secret, in LDK's
 * KeysManager style or Core Lightning hsmd's style (docs/keys-derivation.md). Implementations
 * hold the root secret in a closure; they expose no enumerable secret fields.
 */
import type { ExtendedPrivateKey } from "./bip32.js";
import type { ChannelKeys } from "./channel-keys.js";

/** LDK channel reference: the 32-byte `channel_keys_id` (SignerProvider::generate_channel_keys_id). */
export interface LdkChannelRef {
  channelKeysId: Uint8Array;
}

/** Core Lightning channel reference: peer node id (33-byte compressed) and lightningd's channel dbid. */
export interface ClnChannelRef {
  peerId: Uint8Array;
  dbid: bigint;
}

interface KeyDeriverCommon {
  /** 32-byte node secret key (a copy). */
  nodeSecret(): Uint8Array;
  /** 33-byte node id (compressed public key of nodeSecret). */
  nodeId(): Uint8Array;
}

/** Keys as LDK's KeysManager::new(seed, starting_time_secs, starting_time_nanos) derives them. */
export interface LdkKeyDeriver extends KeyDeriverCommon {
  readonly style: "ldk";
  /** KeysManager::derive_channel_keys(_, channel_keys_id) secrets and basepoints. */
  channelKeys(ref: LdkChannelRef): ChannelKeys;
  /** KeysManager::generate_channel_keys_id for the given per-run child index and user_channel_id (u128). */
  channelKeysId(childIndex: number, userChannelId: bigint): Uint8Array;
  /** get_destination_script: P2WPKH of m/1' (same for every channel). */
  destinationScript(): Uint8Array;
  /** Public key behind get_shutdown_scriptpubkey (P2WPKH of m/2'). */
  shutdownPubkey(): Uint8Array;
  /** Secret of m/5', the inbound payment key material LDK expands with HKDF. */
  inboundPaymentKeyMaterial(): Uint8Array;
}

/** Keys as Core Lightning's hsmd derives them from hsm_secret (32-byte plain or 64-byte BIP 39 seed). */
export interface ClnKeyDeriver extends KeyDeriverCommon {
  readonly style: "cln";
  /** Per-channel secrets and basepoints (derive_basepoints of get_channel_seed(peer_id, dbid)). */
  channelKeys(ref: ClnChannelRef): ChannelKeys;
  /** The 32-byte per-channel seed get_channel_seed returns (secret). */
  channelSeed(ref: ClnChannelRef): Uint8Array;
  /** On-chain wallet root m/0/0 of the hsmd BIP 32 tree; wallet key k is its child k. */
  walletRoot(): ExtendedPrivateKey;
  /** Wallet key of (unhardened) index k: m/0/0/k, as bitcoin_key() derives it. */
  walletKey(index: number): ExtendedPrivateKey;
  /** BIP 86 base m/86'/0'/0' of a 64-byte (mnemonic) secret; null for a 32-byte secret. */
  bip86Base(): ExtendedPrivateKey | null;
  /** Secret of the bolt12 payer-id base key m/9735'. */
  bolt12BaseSecret(): Uint8Array;
  /** hsmd_derive_secret reply: HKDF of the node's derived_secret with `info`. */
  deriveSecret(info: Uint8Array | string): Uint8Array;
}

/** Either derivation style; switch on `style`. */
export type KeyDeriver = LdkKeyDeriver | ClnKeyDeriver;
