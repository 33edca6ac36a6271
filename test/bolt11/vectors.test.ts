/**
 * The BOLT 11 examples (../shared/vectors/bolt11-invoices.json): each valid invoice decodes to
 * the listed fields with a valid signature, re-signs to the identical string (RFC 6979), and
 * each invalid one is rejected with the expected error code. One test per vector, named after it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { decodeInvoice } from "../../src/bolt11/decode.js";
import type { Bolt11Invoice, UnsignedInvoice } from "../../src/bolt11/invoice.js";
import { invoiceSigningHash, signInvoice } from "../../src/bolt11/sign.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import { WardenError } from "../../src/errors.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";

interface Hop {
  pubkey: string;
  short_channel_id: string;
  fee_base_msat: number;
  fee_proportional_millionths: number;
  cltv_expiry_delta: number;
}

interface ValidVector {
  name: string;
  invoice: string;
  priv_key: string;
  network: string;
  amount_msat: number | null;
  timestamp: number;
  payment_hash: string;
  payment_secret: string;
  description: string | null;
  description_hash: string | null;
  expiry: number | null;
  min_final_cltv_expiry_delta: number | null;
  features: { bits: number[]; data_length: number };
  fallback_addresses: { version: number; hash_or_program: string; address: string }[];
  route_hints: Hop[][];
  payment_metadata: string | null;
  payee_node_id_n_field: string | null;
  payee_node_id: string;
  skipped_fields: { type: string; data_length: number; why: string }[];
  signature: { rs: string; recovery_id: number; high_s: boolean; signing_hash: string };
  spec_conflict?: string;
}

interface InvalidVector {
  name: string;
  invoice: string;
  reason: string;
}

const root = new URL("../../../", import.meta.url);
const file = JSON.parse(
  readFileSync(new URL("../shared/vectors/bolt11-invoices.json", root), "utf8"),
) as { valid: ValidVector[]; invalid: InvalidVector[] };

const NETWORK: Record<string, string> = { mainnet: "bitcoin", testnet: "testnet" };
const HIGH_S_NAME = "Public-key recovery with high-S signature";
const IGNORED_FIELDS_NAME = "Same, but including fields which must be ignored.";

/** The error code each invalid example must fail with. */
const EXPECTED_CODE: Record<string, string> = {
  "Same, but adding invalid unknown feature 100": "bolt11/unknown-required-feature",
  "Bech32 checksum is invalid.": "bolt11/bech32",
  "Malformed bech32 string (no 1)": "bolt11/bech32-separator",
  "Malformed bech32 string (mixed case)": "bolt11/bech32-mixed-case",
  "Signature is not recoverable.": "bolt11/signature-unrecoverable",
  "String is too short.": "bolt11/too-short",
  "Invalid multiplier": "bolt11/amount",
  "Invalid sub-millisatoshi precision.": "bolt11/amount",
  "Missing required `s` field.": "bolt11/missing-payment-secret",
  "Non canonical signature (high-S) with 'n' field defined": "bolt11/signature-high-s",
};

function scid(text: string): bigint {
  const [b, t, o] = text.split("x").map(BigInt) as [bigint, bigint, bigint];
  return (b << 40n) | (t << 16n) | o;
}

function hexOrNull(b: Uint8Array | undefined): string | null {
  return b === undefined ? null : bytesToHex(b);
}

function unsignedOf(inv: Bolt11Invoice): UnsignedInvoice {
  return {
    network: inv.network,
    amountMsat: inv.amountMsat,
    timestamp: inv.timestamp,
    fields: inv.fields,
  };
}

function checkDecoded(v: ValidVector, inv: Bolt11Invoice): void {
  assert.equal(inv.network, NETWORK[v.network]);
  assert.equal(inv.amountMsat, v.amount_msat === null ? undefined : BigInt(v.amount_msat));
  assert.equal(inv.timestamp, v.timestamp);
  assert.equal(bytesToHex(inv.paymentHash), v.payment_hash);
  assert.equal(bytesToHex(inv.paymentSecret), v.payment_secret);
  assert.equal(inv.description ?? null, v.description);
  assert.equal(hexOrNull(inv.descriptionHash), v.description_hash);
  assert.equal(inv.expirySeconds, v.expiry ?? 3600);
  assert.equal(inv.minFinalCltvExpiryDelta ?? null, v.min_final_cltv_expiry_delta);
  assert.deepEqual(inv.featureBits, v.features.bits);
  assert.deepEqual(
    inv.fallbacks.map((f) => ({
      version: f.version,
      program: bytesToHex(f.program),
      address: f.address,
    })),
    v.fallback_addresses.map((f) => ({
      version: f.version,
      program: f.hash_or_program,
      address: f.address,
    })),
  );
  assert.deepEqual(
    inv.routeHints.map((route) =>
      route.map((h) => ({
        pubkey: bytesToHex(h.pubkey),
        scid: h.shortChannelId,
        base: h.feeBaseMsat,
        ppm: h.feeProportionalMillionths,
        cltv: h.cltvExpiryDelta,
      })),
    ),
    v.route_hints.map((route) =>
      route.map((h) => ({
        pubkey: h.pubkey,
        scid: scid(h.short_channel_id),
        base: BigInt(h.fee_base_msat),
        ppm: h.fee_proportional_millionths,
        cltv: h.cltv_expiry_delta,
      })),
    ),
  );
  assert.equal(hexOrNull(inv.paymentMetadata), v.payment_metadata);
  assert.equal(inv.payeeFromField, v.payee_node_id_n_field !== null);
  assert.equal(bytesToHex(inv.payeeNodeId), v.payee_node_id);
  const features = inv.fields.find((f) => f.type === "9");
  assert.ok(features !== undefined);
  assert.deepEqual(
    inv.skipped.map((f) => f.words.length),
    v.skipped_fields.map((f) => f.data_length),
  );
  assert.equal(bytesToHex(inv.signature), v.signature.rs);
  assert.equal(inv.recoveryId, v.signature.recovery_id);
  assert.equal(inv.highS, v.signature.high_s);
  assert.equal(bytesToHex(inv.signingHash), v.signature.signing_hash);
  assert.equal(bytesToHex(invoiceSigningHash(unsignedOf(inv))), v.signature.signing_hash);
}

describe("BOLT 11 valid examples", () => {
  for (const v of file.valid) {
    test(v.name, () => {
      const inv = decodeInvoice(v.invoice);
      checkDecoded(v, inv);
      const key = hexToBytes(v.priv_key);
      const resigned = signInvoice(unsignedOf(inv), key);
      if (v.name === HIGH_S_NAME) {
        // Spec conflict (see src/bolt11/decode.ts): standard recovery names 02d0…, not the
        // example key; re-signing with the example key gives the low-S first example.
        assert.notEqual(bytesToHex(inv.payeeNodeId), bytesToHex(publicKey(key)));
        assert.equal(resigned, file.valid[0]!.invoice);
      } else {
        // RFC 6979 signatures reproduce the example byte for byte (upper-case examples compare folded).
        assert.equal(resigned, v.invoice.toLowerCase());
        assert.equal(bytesToHex(inv.payeeNodeId), bytesToHex(publicKey(key)));
      }
      if (v.name === IGNORED_FIELDS_NAME) {
        // Spec conflict (see src/bolt11/decode.ts): Warden's reader skips these fields.
        assert.deepEqual(
          inv.skipped.map((f) => f.reason),
          v.skipped_fields.map((f) =>
            f.why === "unknown field"
              ? "unknown-type"
              : f.why.startsWith("unknown fallback")
                ? "unknown-fallback-version"
                : "wrong-length",
          ),
        );
      }
    });
  }
});

describe("BOLT 11 invalid examples", () => {
  for (const v of file.invalid) {
    test(v.name, () => {
      const code = EXPECTED_CODE[v.name];
      assert.ok(code !== undefined, "every invalid example has an expected code");
      assert.throws(
        () => decodeInvoice(v.invoice),
        (e: unknown) => e instanceof WardenError && e.code === code,
      );
    });
  }
});
