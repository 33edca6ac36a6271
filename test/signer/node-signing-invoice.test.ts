/**
 * Invoice signing on the Node's surface (NodeSigner.signInvoice for BOLT 11,
 * NodeSigner.signBolt12Invoice for BOLT 12), guarded by policy-invoice-own-node: a request for
 * our node signs, another payee / payment hash / amount is refused by exactly that rule.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";
import { decodeInvoice, invoiceSigningData } from "../../src/bolt11/decode.js";
import type { TaggedField, UnsignedInvoice } from "../../src/bolt11/invoice.js";
import { encodeUnsignedInvoice } from "../../src/bolt11/sign.js";
import { bolt12SigningHash, SIGNATURE_TYPE } from "../../src/bolt12/signature.js";
import { readTlvStream, type TlvRecord, writeTlvStream } from "../../src/bolt12/tlv.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import type {
  Bolt12InvoiceSignRequest,
  InvoiceSignRequest,
} from "../../src/policy/rules/invoice.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { snapshot, testNode } from "./harness.js";
import { refusedExactly } from "./node-signing-fixtures.js";

const RULE = "policy-invoice-own-node";
const OTHER = publicKey(new Uint8Array(32).fill(0x22));
const HASH = new Uint8Array(32).fill(0xab);
const OTHER_HASH = new Uint8Array(32).fill(0xcd);
const AMOUNT = 250_000_000n;

async function setup() {
  const node = await testNode();
  return { node, signer: node.nodeSigner };
}

// ---- BOLT 11 ----

const request: InvoiceSignRequest = {
  paymentHash: HASH,
  amountMsat: AMOUNT,
  payeeNodeId: new Uint8Array(33), // set per node below
  description: "1 cup coffee",
  expirySeconds: 60,
};

function bolt11(over: { hash?: Uint8Array; amountMsat?: bigint; n?: Uint8Array } = {}): {
  hrp: string;
  words: number[];
} {
  const fields: TaggedField[] = [
    { type: "p", paymentHash: over.hash ?? HASH },
    { type: "s", paymentSecret: new Uint8Array(32).fill(0x33) },
    { type: "d", description: "1 cup coffee" },
    { type: "x", expirySeconds: 60 },
  ];
  if (over.n !== undefined) fields.push({ type: "n", payeeNodeId: over.n });
  const inv: UnsignedInvoice = {
    network: "bitcoin",
    amountMsat: over.amountMsat ?? AMOUNT,
    timestamp: 1_700_000_000,
    fields,
  };
  return encodeUnsignedInvoice(inv);
}

test("policy-invoice-own-node: signInvoice signs a BOLT 11 invoice for our node; it verifies and decodes to our node", async () => {
  const { node, signer } = await setup();
  const req = { ...request, payeeNodeId: node.nodeId };
  for (const n of [undefined, node.nodeId]) {
    const { hrp, words } = bolt11({ n });
    const sig = await signer.signInvoice(req, hrp, words);
    assert.equal(sig.length, 65);
    assert.ok(sig[64]! <= 3);
    const digest = sha256(invoiceSigningData(hrp, words));
    assert.ok(secp256k1.verify(sig.subarray(0, 64), digest, node.nodeId, { prehash: false }));
    const inv = decodeInvoice(bech32.encode(hrp, [...words, ...bech32.toWords(sig)], false));
    assert.equal(bytesToHex(inv.payeeNodeId), bytesToHex(node.nodeId));
    assert.equal(bytesToHex(inv.paymentHash), bytesToHex(HASH));
    assert.equal(inv.amountMsat, AMOUNT);
  }
});

test("policy-invoice-own-node: signInvoice refuses another payee (request or n field), changing nothing", async () => {
  const { node, signer } = await setup();
  const req = { ...request, payeeNodeId: node.nodeId };
  const before = await snapshot(node);
  const { hrp, words } = bolt11();
  await refusedExactly(signer.signInvoice({ ...req, payeeNodeId: OTHER }, hrp, words), RULE);
  const other = bolt11({ n: OTHER });
  await refusedExactly(signer.signInvoice(req, other.hrp, other.words), RULE, /n field/);
  assert.equal(await snapshot(node), before);
});

test("policy-invoice-own-node: signInvoice refuses another payment hash", async () => {
  const { node, signer } = await setup();
  const { hrp, words } = bolt11({ hash: OTHER_HASH });
  await refusedExactly(
    signer.signInvoice({ ...request, payeeNodeId: node.nodeId }, hrp, words),
    RULE,
    /payment hash/,
  );
});

test("policy-invoice-own-node: signInvoice refuses another amount", async () => {
  const { node, signer } = await setup();
  const { hrp, words } = bolt11({ amountMsat: AMOUNT + 1n });
  await refusedExactly(
    signer.signInvoice({ ...request, payeeNodeId: node.nodeId }, hrp, words),
    RULE,
    /msat/,
  );
});

// ---- BOLT 12 ----

function tu64(n: bigint): Uint8Array {
  const out: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return Uint8Array.from(out);
}

/** A BOLT 12 invoice TLV stream (a few offer fields, then the invoice fields). */
function bolt12(
  nodeId: Uint8Array,
  over: { hash?: Uint8Array; amountMsat?: bigint; nodeId?: Uint8Array } = {},
): Uint8Array {
  const records: TlvRecord[] = [
    { type: 10n, value: Buffer.from("coffee") }, // offer_description
    { type: 22n, value: nodeId }, // offer_issuer_id
    { type: 88n, value: publicKey(new Uint8Array(32).fill(0x44)) }, // invreq_payer_id
    { type: 164n, value: tu64(1_700_000_000n) }, // invoice_created_at
    { type: 168n, value: over.hash ?? HASH }, // invoice_payment_hash
    { type: 170n, value: tu64(over.amountMsat ?? AMOUNT) }, // invoice_amount
    { type: 176n, value: over.nodeId ?? nodeId }, // invoice_node_id
  ];
  return writeTlvStream(records);
}

function b12request(nodeId: Uint8Array): Bolt12InvoiceSignRequest {
  return { paymentHash: HASH, amountMsat: AMOUNT, payeeNodeId: nodeId };
}

test("policy-invoice-own-node: signBolt12Invoice signs a BOLT 12 invoice for our node (BIP 340, verified by noble)", async () => {
  const { node, signer } = await setup();
  const stream = bolt12(node.nodeId);
  const signed = await signer.signBolt12Invoice(b12request(node.nodeId), stream);
  assert.equal(bytesToHex(signed.subarray(0, stream.length)), bytesToHex(stream));
  const records = readTlvStream(signed);
  const sig = records.find((r) => r.type === SIGNATURE_TYPE)!.value;
  assert.equal(sig.length, 64);
  const digest = bolt12SigningHash("invoice", "signature", stream);
  assert.ok(schnorr.verify(sig, digest, node.nodeId.subarray(1)));
  const invoiceNodeId = records.find((r) => r.type === 176n)!.value;
  assert.equal(bytesToHex(invoiceNodeId), bytesToHex(node.nodeId));
});

test("policy-invoice-own-node: signBolt12Invoice refuses another payee (invoice_node_id or request)", async () => {
  const { node, signer } = await setup();
  const before = await snapshot(node);
  await refusedExactly(
    signer.signBolt12Invoice(b12request(node.nodeId), bolt12(node.nodeId, { nodeId: OTHER })),
    RULE,
    /invoice_node_id/,
  );
  await refusedExactly(signer.signBolt12Invoice(b12request(OTHER), bolt12(node.nodeId)), RULE);
  assert.equal(await snapshot(node), before);
});

test("policy-invoice-own-node: signBolt12Invoice refuses another payment hash", async () => {
  const { node, signer } = await setup();
  await refusedExactly(
    signer.signBolt12Invoice(b12request(node.nodeId), bolt12(node.nodeId, { hash: OTHER_HASH })),
    RULE,
    /payment hash/,
  );
});

test("policy-invoice-own-node: signBolt12Invoice refuses another amount", async () => {
  const { node, signer } = await setup();
  await refusedExactly(
    signer.signBolt12Invoice(
      b12request(node.nodeId),
      bolt12(node.nodeId, { amountMsat: AMOUNT + 1n }),
    ),
    RULE,
    /msat/,
  );
});
