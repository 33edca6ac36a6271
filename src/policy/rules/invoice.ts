/**
 * policy-invoice-own-node: when the node asks the signer to sign a BOLT 11 invoice, the signer
 * signs only an invoice that says what the node asked for — for our node, with the requested
 * payment hash, amount, description (or description hash) and expiry — and nothing that a
 * reader could take for another value. An invoice signed with the node key is a claim "pay this
 * node this amount for this hash"; a compromised node must not get our signature on one that
 * points a payer at someone else's `n`, another hash or another amount.
 *
 * Warden's BOLT 11 reader skips wrong-length `p`/`h`/`s`/`n` fields (the spec's example) while
 * the current spec text makes readers fail on them; as a writer Warden therefore refuses any
 * skipped field of those types, and any repeated single-valued field (p, s, d, h, n, x, c, 9,
 * m), so that every reader, lenient or strict, sees exactly the values checked here.
 * Messages name the mismatching field and amounts only (no hashes or secrets).
 */
import type { InvoiceContents } from "../../bolt11/invoice.js";
import { equalBytes } from "../../util/bytes.js";
import type { Checker } from "../policy.js";

const RULE = "policy-invoice-own-node";

/** What the node asked for when it requested an invoice signature. */
export interface InvoiceSignRequest {
  readonly paymentHash: Uint8Array;
  /** Amount in msat, or undefined for an any-amount invoice. */
  readonly amountMsat: bigint | undefined;
  /** The payee the node claims: must be our node id. */
  readonly payeeNodeId: Uint8Array;
  /** The description (`d`); one of description and descriptionHash is required. */
  readonly description?: string | undefined;
  /** The description hash (`h`); takes precedence over description when both are given. */
  readonly descriptionHash?: Uint8Array | undefined;
  /** Expiry in seconds; undefined accepts the invoice's (default 3600). */
  readonly expirySeconds?: number | undefined;
}

/** BOLT 11 type codes of the fields an invoice may carry at most once, with their letters. */
const SINGLE_VALUED: ReadonlyMap<number, string> = new Map([
  [1, "p"],
  [16, "s"],
  [13, "d"],
  [23, "h"],
  [19, "n"],
  [6, "x"],
  [24, "c"],
  [5, "9"],
  [27, "m"],
]);
/** Fixed-length fields a lenient reader skips at a wrong length and a strict one fails on. */
const FIXED_LENGTH_CODES = new Set([1, 16, 23, 19]);

const CODE_OF: Readonly<Record<string, number>> = {
  p: 1,
  s: 16,
  d: 13,
  h: 23,
  n: 19,
  x: 6,
  c: 24,
  "9": 5,
  m: 27,
  f: 9,
  r: 3,
};

function fmtAmount(a: bigint | undefined): string {
  return a === undefined ? "any amount" : `${a} msat`;
}

/** Records policy-invoice-own-node violations unless `decoded` is exactly the invoice `request` asked for, payable to `ourNodeId`. */
export function checkInvoiceOwnNode(
  request: InvoiceSignRequest,
  decoded: InvoiceContents,
  ourNodeId: Uint8Array,
  c: Checker,
): void {
  c.check(equalBytes(request.payeeNodeId, ourNodeId), RULE, "the request's payee is not our node");
  const n = decoded.payeeNodeIdField;
  c.check(
    n === undefined || equalBytes(n, ourNodeId),
    RULE,
    "the invoice's n field is not our node",
  );
  c.check(
    equalBytes(decoded.paymentHash, request.paymentHash),
    RULE,
    "the invoice's payment hash is not the one requested",
  );
  c.check(
    decoded.amountMsat === request.amountMsat,
    RULE,
    () =>
      `the invoice asks for ${fmtAmount(decoded.amountMsat)}, the node asked for ${fmtAmount(request.amountMsat)}`,
  );
  if (request.descriptionHash !== undefined) {
    c.check(
      decoded.descriptionHash !== undefined &&
        equalBytes(decoded.descriptionHash, request.descriptionHash),
      RULE,
      "the invoice's description hash is not the one requested",
    );
  } else if (request.description !== undefined) {
    c.check(
      decoded.description === request.description,
      RULE,
      "the invoice's description is not the one requested",
    );
  } else {
    c.fail(RULE, "the request names neither a description nor a description hash");
  }
  if (request.expirySeconds !== undefined) {
    c.check(
      decoded.expirySeconds === request.expirySeconds,
      RULE,
      () => `the invoice expires after ${decoded.expirySeconds} s, not ${request.expirySeconds} s`,
    );
  }

  const counts = new Map<number, number>();
  for (const f of decoded.fields) {
    const code = f.type === "raw" ? f.code : CODE_OF[f.type]!;
    counts.set(code, (counts.get(code) ?? 0) + 1);
    if (f.type === "raw" && FIXED_LENGTH_CODES.has(f.code)) {
      c.fail(RULE, `the invoice has a ${SINGLE_VALUED.get(f.code)} field of the wrong length`);
    }
  }
  for (const [code, letter] of SINGLE_VALUED) {
    const k = counts.get(code) ?? 0;
    c.check(k <= 1, RULE, () => `the invoice has ${k} ${letter} fields`);
  }
}

/** BOLT 12 `invoice` TLV types the rule reads (BOLT 12, "Invoices"). */
export const BOLT12_INVOICE_PAYMENT_HASH = 168n;
/** invoice_amount (tu64, msat). */
export const BOLT12_INVOICE_AMOUNT = 170n;
/** invoice_node_id (33-byte point): the key that signs the invoice. */
export const BOLT12_INVOICE_NODE_ID = 176n;

/** What the node asked for when it requested a BOLT 12 invoice signature. */
export interface Bolt12InvoiceSignRequest {
  readonly paymentHash: Uint8Array;
  /** invoice_amount in msat (required in every BOLT 12 invoice). */
  readonly amountMsat: bigint;
  /** The payee the node claims: must be our node id. */
  readonly payeeNodeId: Uint8Array;
}

/** A minimal big-endian tu64, or undefined when `v` is not one (too long or not minimal). */
function readTu64(v: Uint8Array): bigint | undefined {
  if (v.length > 8 || (v.length > 0 && v[0] === 0)) return undefined;
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  return n;
}

/**
 * Records policy-invoice-own-node violations unless the BOLT 12 invoice `records` (a parsed
 * TLV stream, types strictly increasing so each field appears at most once) is payable to
 * `ourNodeId` (invoice_node_id), for the requested payment hash and amount.
 */
export function checkBolt12InvoiceOwnNode(
  request: Bolt12InvoiceSignRequest,
  records: readonly { readonly type: bigint; readonly value: Uint8Array }[],
  ourNodeId: Uint8Array,
  c: Checker,
): void {
  const field = (t: bigint): Uint8Array | undefined => records.find((r) => r.type === t)?.value;
  c.check(equalBytes(request.payeeNodeId, ourNodeId), RULE, "the request's payee is not our node");
  const nodeId = field(BOLT12_INVOICE_NODE_ID);
  c.check(
    nodeId !== undefined && equalBytes(nodeId, ourNodeId),
    RULE,
    "the invoice's invoice_node_id is not our node",
  );
  const hash = field(BOLT12_INVOICE_PAYMENT_HASH);
  c.check(
    hash !== undefined && equalBytes(hash, request.paymentHash),
    RULE,
    "the invoice's payment hash is not the one requested",
  );
  const raw = field(BOLT12_INVOICE_AMOUNT);
  const amount = raw === undefined ? undefined : readTu64(raw);
  c.check(
    amount !== undefined && amount === request.amountMsat,
    RULE,
    () =>
      `the invoice asks for ${amount === undefined ? "no valid amount" : `${amount} msat`}, the node asked for ${request.amountMsat} msat`,
  );
}
