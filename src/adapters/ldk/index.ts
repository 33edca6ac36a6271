/** Warden as the signer of an LDK node (lightningdevkit 0.1.x TypeScript bindings). */
export { WardenLdkSigner, LDK_DUST_LIMIT_SAT } from "./signer.js";
export type { ChainView, SignatureEvent, SignerRefusal, WardenLdkSignerOptions } from "./signer.js";
export { WardenHost } from "./client.js";
export type { HostSpec, HostStoreSpec, HostInfo } from "./host-protocol.js";
export { ChannelRecord } from "./channel-record.js";
