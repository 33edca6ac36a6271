/** BOLT 12 signing primitives: BigSize, TLV streams, merkle root, BIP 340 signatures, string form. */
export * from "./bigsize.js";
export * from "./merkle.js";
export * from "./signature.js";
export * from "./string.js";
export * from "./tlv.js";
