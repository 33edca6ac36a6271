/** Where the signer may send our money on chain: our wallet or an allowlisted script. */
import { bytesToHex } from "../../util/bytes.js";
import type { PolicyConfig } from "../config.js";

/** Recognises scripts of the owner's own on-chain wallet (re-derived by the node layer). */
export type WalletOracle = (scriptPubKey: Uint8Array) => boolean;

/** True when `script` is our wallet's or on the configured allowlist (exact scriptPubKey). */
export function isAllowedDestination(
  script: Uint8Array,
  config: PolicyConfig,
  isOurWallet: WalletOracle,
): boolean {
  return isOurWallet(script) || config.allowlist.includes(bytesToHex(script));
}
