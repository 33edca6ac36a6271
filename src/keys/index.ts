/**
 * Key derivation from a root secret: LDK KeysManager style and Core Lightning hsmd style
 * (docs/keys-derivation.md).
 */
export {
  type Bip32Versions,
  ExtendedPrivateKey,
  HARDENED,
  MAINNET_VERSIONS,
  parseBip32Path,
  TESTNET_VERSIONS,
} from "./bip32.js";
export { type ChannelKeys, type ChannelSecrets, channelKeysFromSecrets } from "./channel-keys.js";
export { clnBip86Key, clnBolt12AliasSecret, clnBolt12PayerSecret, clnKeyDeriver } from "./cln.js";
export {
  detectHsmSecretType,
  ENCRYPTED_HSM_SECRET_LEN,
  encryptLegacyHsmSecret,
  HSM_SECRET_ERROR,
  HSM_SECRET_TYPE,
  HsmSecretError,
  type HsmSecretType,
  hsmSecretNeedsPassphrase,
  mnemonicHsmSecretFile,
  type ParsedHsmSecret,
  parseHsmSecret,
} from "./hsm-secret.js";
export { hkdfSha256 } from "./hkdf.js";
export type {
  ClnChannelRef,
  ClnKeyDeriver,
  KeyDeriver,
  LdkChannelRef,
  LdkKeyDeriver,
} from "./key-deriver.js";
export { ldkKeyDeriver } from "./ldk.js";
