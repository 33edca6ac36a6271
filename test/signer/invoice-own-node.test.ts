/**
 * policy-invoice-own-node: the signer signs an invoice only when its payee, payment hash,
 * amount, description and expiry are what the node asked for, with no duplicate or
 * wrong-length field a reader might take instead. Driven through a Checker and a Policy.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bech32 } from "@scure/base";
import { decodeInvoice, decodeUnsignedInvoice } from "../../src/bolt11/decode.js";
import type { TaggedField, UnsignedInvoice } from "../../src/bolt11/invoice.js";
import { encodeField } from "../../src/bolt11/fields.js";
import { encodeUnsignedInvoice, signInvoiceData } from "../../src/bolt11/sign.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import { PolicyError } from "../../src/policy/errors.js";
import { Policy } from "../../src/policy/policy.js";
import { checkInvoiceOwnNode, type InvoiceSignRequest } from "../../src/policy/rules/invoice.js";
import { bytesToHex } from "../../src/util/bytes.js";

const ourSecret = new Uint8Array(32).fill(0x11);
const ourNodeId = publicKey(ourSecret);
const otherNodeId = publicKey(new Uint8Array(32).fill(0x22));
const paymentHash = new Uint8Array(32).fill(0xab);

const request: InvoiceSignRequest = {
  paymentHash,
  amountMsat: 250_000_000n,
  payeeNodeId: ourNodeId,
  description: "1 cup coffee",
  expirySeconds: 60,
};

const honestFields: TaggedField[] = [
  { type: "p", paymentHash },
  { type: "s", paymentSecret: new Uint8Array(32).fill(0x33) },
  { type: "d", description: "1 cup coffee" },
  { type: "x", expirySeconds: 60 },
  { type: "9", featureBits: [8, 14] },
];

function invoice(over: Partial<UnsignedInvoice> = {}): UnsignedInvoice {
  return {
    network: "bitcoin",
    amountMsat: 250_000_000n,
    timestamp: 1_700_000_000,
    fields: honestFields,
    ...over,
  };
}

/** Runs the rule on the invoice as the node would hand it over (hrp + data words), plus `extra` fields a writer would not emit. */
function judge(
  inv: UnsignedInvoice,
  req: InvoiceSignRequest = request,
  extra: TaggedField[] = [],
): void {
  const { hrp, words } = encodeUnsignedInvoice(inv);
  for (const f of extra) {
    const { code, words: data } = encodeField(f);
    words.push(code, data.length >> 5, data.length & 31, ...data);
  }
  const policy = new Policy();
  const c = policy.checker();
  checkInvoiceOwnNode(req, decodeUnsignedInvoice(hrp, words), ourNodeId, c);
  policy.settle(c);
  // Accepted: the signature the signer returns makes an invoice payable to our node.
  const sig = signInvoiceData(hrp, words, ourSecret);
  const signed = decodeInvoice(bech32.encode(hrp, [...words, ...bech32.toWords(sig)], false));
  assert.equal(bytesToHex(signed.payeeNodeId), bytesToHex(ourNodeId));
}

function refused(f: () => void, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof PolicyError);
    assert.equal(e.code, "policy-invoice-own-node");
    assert.ok(
      e.violations.some((v) => message.test(v.message)),
      e.message,
    );
    return true;
  });
}

describe("policy-invoice-own-node", () => {
  test("signs the invoice the node asked for (with or without our n field)", () => {
    judge(invoice());
    judge(invoice({ fields: [...honestFields, { type: "n", payeeNodeId: ourNodeId }] }));
    judge(invoice({ amountMsat: undefined }), { ...request, amountMsat: undefined });
    const descriptionHash = new Uint8Array(32).fill(7);
    const hashed = honestFields.map((f): TaggedField =>
      f.type === "d" ? { type: "h", descriptionHash } : f,
    );
    judge(invoice({ fields: hashed }), { ...request, description: undefined, descriptionHash });
  });

  test("policy-invoice-own-node: refuses an invoice naming another payee (n field)", () => {
    refused(
      () => judge(invoice({ fields: [...honestFields, { type: "n", payeeNodeId: otherNodeId }] })),
      /n field is not our node/,
    );
  });

  test("policy-invoice-own-node: refuses a request whose payee is not our node id", () => {
    refused(
      () => judge(invoice(), { ...request, payeeNodeId: otherNodeId }),
      /payee is not our node/,
    );
  });

  test("policy-invoice-own-node: refuses another payment hash", () => {
    const fields = honestFields.map((f): TaggedField =>
      f.type === "p" ? { type: "p", paymentHash: new Uint8Array(32).fill(0xcd) } : f,
    );
    refused(() => judge(invoice({ fields })), /payment hash/);
  });

  test("policy-invoice-own-node: refuses another amount, and any-amount when an amount was asked", () => {
    refused(() => judge(invoice({ amountMsat: 250_000_001n })), /250000001 msat.*250000000 msat/);
    refused(() => judge(invoice({ amountMsat: undefined })), /any amount/);
  });

  test("policy-invoice-own-node: refuses a request naming no description", () => {
    refused(() => judge(invoice(), { ...request, description: undefined }), /neither/);
  });

  test("policy-invoice-own-node: refuses another description or expiry", () => {
    const fields = honestFields.map((f): TaggedField =>
      f.type === "d" ? { type: "d", description: "2 cups coffee" } : f,
    );
    refused(() => judge(invoice({ fields })), /description/);
    refused(() => judge(invoice(), { ...request, expirySeconds: 3600 }), /expires after 60 s/);
  });

  test("policy-invoice-own-node: refuses a second p field or a wrong-length p field", () => {
    const second: TaggedField = { type: "p", paymentHash: new Uint8Array(32).fill(0xcd) };
    refused(() => judge(invoice(), request, [second]), /2 p fields/);
    const wrongLength: TaggedField = { type: "raw", code: 1, words: new Array<number>(51).fill(0) };
    refused(() => judge(invoice({ fields: [wrongLength, ...honestFields] })), /wrong length/);
    refused(() => judge(invoice(), request, [{ type: "d", description: "other" }]), /2 d fields/);
  });
});
