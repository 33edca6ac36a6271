/** The hsm_secret passphrase lightningd sends in hsmd_init's TLV (--hsm-passphrase / encrypted secrets). */
import { decodeHsmdMessage } from "../wire/codec.js";

/** The passphrase of an hsmd_init request, or undefined when it carries none. Throws on a malformed init. */
export function initPassphrase(init: Uint8Array): string | undefined {
  const msg = decodeHsmdMessage(init);
  const tlvs = msg.fields.tlvs;
  if (
    tlvs === null ||
    typeof tlvs !== "object" ||
    Array.isArray(tlvs) ||
    tlvs instanceof Uint8Array
  ) {
    return undefined;
  }
  const rec = (tlvs as Record<string, unknown>).hsm_passphrase;
  if (rec === null || typeof rec !== "object") return undefined;
  const pass = (rec as Record<string, unknown>).passphrase;
  return typeof pass === "string" ? pass : undefined;
}
