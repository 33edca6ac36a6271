/**
 * The data model of a BOLT 11 invoice: its tagged fields (in the order they are written, which
 * the signature covers), the decoded invoice a reader gets and the unsigned invoice a writer
 * signs. Money is bigint msat; hashes, secrets and keys are byte arrays.
 */
import type { Network } from "../bitcoin/address.js";

/** One hop of a private route hint (`r` field); the pubkey starts the channel. */
export interface RouteHintHop {
  /** 33-byte node id at the start of the channel. */
  readonly pubkey: Uint8Array;
  /** The channel's short_channel_id as a u64. */
  readonly shortChannelId: bigint;
  readonly feeBaseMsat: bigint;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
}

/** An on-chain fallback (`f` field): witness version 0-16 + program, or 17 (P2PKH) / 18 (P2SH) + hash. */
export interface FallbackAddress {
  readonly version: number;
  /** Witness program (2-40 bytes) or the 20-byte hash for versions 17 and 18. */
  readonly program: Uint8Array;
}

/** A fallback as decoded for the invoice's network: also its scriptPubKey and address text. */
export interface DecodedFallback extends FallbackAddress {
  readonly script: Uint8Array;
  readonly address: string;
}

/** Why a reader skipped a field (it is kept, raw, so that re-encoding reproduces the invoice). */
export type SkipReason = "unknown-type" | "unknown-fallback-version" | "wrong-length";

/** A tagged field, typed by its bech32 type character; `raw` carries any other field verbatim. */
export type TaggedField =
  | { readonly type: "p"; readonly paymentHash: Uint8Array }
  | { readonly type: "s"; readonly paymentSecret: Uint8Array }
  | { readonly type: "d"; readonly description: string }
  | { readonly type: "h"; readonly descriptionHash: Uint8Array }
  | { readonly type: "n"; readonly payeeNodeId: Uint8Array }
  | { readonly type: "x"; readonly expirySeconds: number }
  | { readonly type: "c"; readonly minFinalCltvExpiryDelta: number }
  | { readonly type: "f"; readonly fallback: FallbackAddress }
  | { readonly type: "r"; readonly route: readonly RouteHintHop[] }
  | { readonly type: "9"; readonly featureBits: readonly number[] }
  | { readonly type: "m"; readonly paymentMetadata: Uint8Array }
  | {
      readonly type: "raw";
      /** The 5-bit type code (0-31). */
      readonly code: number;
      readonly words: readonly number[];
      /** Set by the decoder; ignored by the encoder. */
      readonly reason?: SkipReason;
    };

/** What a writer signs: network, amount, timestamp and the tagged fields in order. */
export interface UnsignedInvoice {
  readonly network: Network;
  /** Amount in msat, or undefined for "any amount". */
  readonly amountMsat: bigint | undefined;
  /** Seconds since 1970 (35 bits). */
  readonly timestamp: number;
  readonly fields: readonly TaggedField[];
}

/** The default expiry (seconds) when an invoice has no `x` field. */
export const DEFAULT_EXPIRY_SECONDS = 3600;

/** The contents of an invoice (signed or not): values come from the first valid field of each type. */
export interface InvoiceContents extends UnsignedInvoice {
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  /** Exactly one of description and descriptionHash is set. */
  readonly description: string | undefined;
  readonly descriptionHash: Uint8Array | undefined;
  /** The `x` field, or DEFAULT_EXPIRY_SECONDS. */
  readonly expirySeconds: number;
  /** The `c` field, or undefined (a payer then uses at least 18). */
  readonly minFinalCltvExpiryDelta: number | undefined;
  readonly fallbacks: readonly DecodedFallback[];
  readonly routeHints: readonly (readonly RouteHintHop[])[];
  /** Set feature bits, ascending. */
  readonly featureBits: readonly number[];
  readonly paymentMetadata: Uint8Array | undefined;
  /** The `n` field (33-byte payee node id), if any. */
  readonly payeeNodeIdField: Uint8Array | undefined;
  /** The raw fields a reader skips (unknown types, unknown fallback versions, wrong lengths). */
  readonly skipped: readonly (TaggedField & { readonly type: "raw" })[];
}

/** A decoded invoice whose signature has been checked. */
export interface Bolt11Invoice extends InvoiceContents {
  /** The payee: the `n` field when present, else the key recovered from the signature. */
  readonly payeeNodeId: Uint8Array;
  /** True when the payee came from an `n` field rather than public-key recovery. */
  readonly payeeFromField: boolean;
  /** Compact r||s (64 bytes) exactly as transmitted. */
  readonly signature: Uint8Array;
  readonly recoveryId: number;
  /** True when s > n/2 (accepted only without an `n` field; Warden never writes one). */
  readonly highS: boolean;
  /** SHA256(hrp || data without signature): the signed message. */
  readonly signingHash: Uint8Array;
}
