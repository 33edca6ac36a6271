/** BOLT 11 invoices: decode + signature check, encode + sign, and the parts they are built from. */
export * from "./decode.js";
export * from "./features.js";
export * from "./fields.js";
export * from "./hrp.js";
export * from "./invoice.js";
export { recoverPublicKey } from "../crypto/recovery.js";
export * from "./sign.js";
