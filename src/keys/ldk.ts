/**
 * LDK-style derivation (rust-lightning `KeysManager`, lightning/src/sign/mod.rs, v0.1):
 * BIP 32 master from the 32-byte seed; node secret m/0', destination key m/1', shutdown key
 * m/2', channel master m/3', inbound payment key m/5'. Channel keys come from a SHA-256 chain
 * over channel_keys_id, the seed and the channel master's hardened child. The starting time
 * affects none of these keys, only LDK's RNG and its generated channel_keys_id.
 */
import { inspect } from "node:util";
import { p2wpkh } from "../bitcoin/outputs.js";
import { sha256 } from "../crypto/hash.js";
import { FormatError } from "../errors.js";
import { assertBytes, concatBytes } from "../util/bytes.js";
import { ExtendedPrivateKey, HARDENED } from "./bip32.js";
import { type ChannelKeys, channelKeysFromSecrets } from "./channel-keys.js";
import type { LdkChannelRef, LdkKeyDeriver } from "./key-deriver.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function assertStartingTime(secs: unknown, nanos: unknown): asserts secs is bigint {
  if (typeof secs !== "bigint" || secs < 0n || secs >= 1n << 64n) {
    throw new FormatError("keys/starting-time", "startingTimeSecs must be a u64 bigint");
  }
  if (typeof nanos !== "number" || !Number.isInteger(nanos) || nanos < 0 || nanos > 0xffffffff) {
    throw new FormatError("keys/starting-time", "startingTimeNanos must be a u32");
  }
}

/** LDK's per-channel secrets for `channelKeysId` given the seed and channel master key m/3'. */
function deriveLdkChannelKeys(
  seed: Uint8Array,
  channelMaster: ExtendedPrivateKey,
  channelKeysId: Uint8Array,
): ChannelKeys {
  // chan_id = u64 BE of id[0..8]; `as u32` keeps its low 32 bits (id[4..8]); then % 2^31, hardened.
  const low32 = new DataView(channelKeysId.buffer, channelKeysId.byteOffset, 8).getUint32(4, false);
  const child = channelMaster.deriveChild((low32 % HARDENED) + HARDENED);
  const channelSeed = sha256(concatBytes(channelKeysId, seed, child.secretKey()));
  const commitmentSeed = sha256(concatBytes(channelSeed, utf8("commitment seed")));
  const step = (info: string, prev: Uint8Array): Uint8Array =>
    sha256(concatBytes(channelSeed, prev, utf8(info)));
  const fundingSecret = step("funding key", commitmentSeed);
  const revocationBaseSecret = step("revocation base key", fundingSecret);
  const paymentBaseSecret = step("payment key", revocationBaseSecret);
  const delayedPaymentBaseSecret = step("delayed payment base key", paymentBaseSecret);
  const htlcBaseSecret = step("HTLC base key", delayedPaymentBaseSecret);
  return channelKeysFromSecrets({
    fundingSecret,
    revocationBaseSecret,
    paymentBaseSecret,
    delayedPaymentBaseSecret,
    htlcBaseSecret,
    commitmentSeed,
  });
}

/** A deriver giving the node id and channel keys LDK's KeysManager::new(seed, secs, nanos) gives. */
export function ldkKeyDeriver(
  seed: Uint8Array,
  startingTimeSecs: bigint,
  startingTimeNanos: number,
): LdkKeyDeriver {
  assertBytes(seed, 32, "LDK seed");
  assertStartingTime(startingTimeSecs, startingTimeNanos);
  const seedCopy = Uint8Array.from(seed);
  const master = ExtendedPrivateKey.fromSeed(seedCopy);
  const nodeKey = master.deriveChild(HARDENED + 0);
  const destinationKey = master.deriveChild(HARDENED + 1);
  const shutdownKey = master.deriveChild(HARDENED + 2);
  const channelMaster = master.deriveChild(HARDENED + 3);
  const inboundKey = master.deriveChild(HARDENED + 5);
  const secs = startingTimeSecs;
  const nanos = startingTimeNanos;

  const deriver: LdkKeyDeriver = {
    style: "ldk",
    nodeSecret: () => nodeKey.secretKey(),
    nodeId: () => Uint8Array.from(nodeKey.publicKey),
    channelKeys(ref: LdkChannelRef): ChannelKeys {
      if (typeof ref !== "object" || ref === null) {
        throw new FormatError("keys/channel-ref", "LDK channel ref must be an object");
      }
      assertBytes(ref.channelKeysId, 32, "channelKeysId");
      return deriveLdkChannelKeys(seedCopy, channelMaster, ref.channelKeysId);
    },
    channelKeysId(childIndex: number, userChannelId: bigint): Uint8Array {
      if (!Number.isInteger(childIndex) || childIndex < 0 || childIndex >= 0xffffffff) {
        throw new FormatError("keys/channel-ref", "child index must be a u32 below 2^32-1");
      }
      if (typeof userChannelId !== "bigint" || userChannelId < 0n || userChannelId >= 1n << 128n) {
        throw new FormatError("keys/channel-ref", "userChannelId must be a u128 bigint");
      }
      const id = new Uint8Array(32);
      const v = new DataView(id.buffer);
      v.setUint32(0, childIndex, false);
      v.setUint32(4, nanos, false);
      v.setBigUint64(8, secs, false);
      v.setBigUint64(16, userChannelId >> 64n, false);
      v.setBigUint64(24, userChannelId & 0xffffffffffffffffn, false);
      return id;
    },
    destinationScript: () => p2wpkh(destinationKey.publicKey),
    shutdownPubkey: () => Uint8Array.from(shutdownKey.publicKey),
    inboundPaymentKeyMaterial: () => inboundKey.secretKey(),
  };
  Object.defineProperty(deriver, inspect.custom, {
    value: () => "LdkKeyDeriver([redacted])",
    enumerable: false,
  });
  Object.defineProperty(deriver, "toJSON", {
    value: () => ({ style: "ldk", secrets: "[redacted]" }),
    enumerable: false,
  });
  return Object.freeze(deriver);
}
