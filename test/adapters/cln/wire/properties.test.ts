/**
 * Properties of the hsmd wire codec: for generated values of every message type,
 * decode(encode(v)) gives v back and re-encodes to the same bytes; and arbitrary or mutated
 * bytes either decode to a message that re-encodes exactly or raise HsmdWireError, nothing else.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  decodeHsmdMessage,
  encodeHsmdMessage,
  HsmdWireError,
  type WireValue,
} from "../../../../src/adapters/cln/wire/codec.js";
import {
  HSMD_MESSAGES,
  HSMD_SUBTYPES,
  HSMD_TLVS,
} from "../../../../src/adapters/cln/wire/messages.js";
import type { HsmdFieldDef } from "../../../../src/adapters/cln/wire/schema.js";
import { publicKey } from "../../../../src/crypto/secp256k1.js";
import { bytesToHex } from "../../../../src/util/bytes.js";
import { loadSession } from "../../../keys/golden.js";
import { be32, N } from "../../../crypto/arbitraries.js";

type Arb = fc.Arbitrary<WireValue>;

const golden = [
  ...loadSession("scenario1", "A"),
  ...loadSession("scenario1", "B"),
  ...loadSession("scenario2", "A"),
  ...loadSession("scenario2", "B"),
];

// Real transactions/PSBTs and BIP 32 keys from the golden traffic (generating valid ones is not the point here).
const goldenTxs: WireValue[] = [];
const goldenPsbts: Uint8Array[] = [];
const goldenExtKeys: Uint8Array[] = [];
for (const m of golden) {
  const d = decodeHsmdMessage(m.bytes);
  const tx = d.fields["tx"];
  if (tx !== undefined && goldenTxs.length < 8) goldenTxs.push(tx);
  const psbt = d.fields["psbt"];
  if (psbt instanceof Uint8Array && goldenPsbts.length < 4) goldenPsbts.push(psbt);
  const bip32 = d.fields["bip32"];
  if (bip32 instanceof Uint8Array && goldenExtKeys.length < 2) goldenExtKeys.push(bip32);
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const varBytes = (max: number) => fc.uint8Array({ maxLength: max });
const pubkeyArb = fc.bigInt(1n, N - 1n).map((k) => new Uint8Array(publicKey(be32(k))));
const scalarArb = fc.bigInt(0n, N - 1n).map(be32);
const compactSigArb = fc.tuple(scalarArb, scalarArb).map(([r, s]) => Uint8Array.from([...r, ...s]));
const u64Arb = fc.bigInt(0n, (1n << 64n) - 1n);
const rec = (o: Record<string, Arb>): Arb => fc.record(o, { noNullPrototype: true }) as Arb;
const nodeIdArb = fc.oneof(pubkeyArb, bytes(33));
const stringArb = fc
  .string({ unit: "grapheme", maxLength: 12 })
  .filter((s) => ![...new TextEncoder().encode(s)].some((b) => b < 0x20));

const base: Record<string, Arb> = {
  u8: fc.integer({ min: 0, max: 0xff }),
  u16: fc.integer({ min: 0, max: 0xffff }),
  u32: fc.integer({ min: 0, max: 0xffffffff }),
  u64: u64Arb,
  bool: fc.boolean(),
  amount_sat: u64Arb,
  amount_msat: u64Arb,
  node_id: nodeIdArb,
  pubkey: pubkeyArb,
  privkey: bytes(32),
  secret: bytes(32),
  sha256: bytes(32),
  bitcoin_txid: bytes(32),
  chainparams: bytes(32),
  bip340sig: bytes(64),
  secp256k1_ecdsa_signature: compactSigArb,
  secp256k1_ecdsa_recoverable_signature: fc
    .tuple(compactSigArb, fc.integer({ min: 0, max: 3 }))
    .map(([s, id]) => Uint8Array.from([...s, id])),
  bitcoin_signature: rec({ signature: compactSigArb, sighash_type: fc.constantFrom(0x01, 0x83) }),
  ext_key: fc.constantFrom(...goldenExtKeys),
  wirestring: stringArb,
  bitcoin_tx: fc.constantFrom(...goldenTxs),
  wally_psbt: fc.constantFrom(...goldenPsbts),
  "enum side": fc.constantFrom(0, 1),
  channel_type: varBytes(8),
  hsm_utxo: rec({
    txid: bytes(32),
    outnum: base_u32(),
    amount: u64Arb,
    keyindex: base_u32(),
    is_p2sh: fc.boolean(),
    script_pubkey: varBytes(40),
    close_info: fc.option(
      rec({
        channel_id: u64Arb,
        peer_id: nodeIdArb,
        commitment_point: fc.option(pubkeyArb, { nil: null }),
        option_anchors: fc.boolean(),
        csv: base_u32(),
      }),
      { nil: null },
    ),
    is_in_coinbase: fc.boolean(),
  }),
  bip32_key_version: rec({ bip32_pubkey_version: base_u32(), bip32_privkey_version: base_u32() }),
  basepoints: rec({
    revocation: pubkeyArb,
    payment: pubkeyArb,
    htlc: pubkeyArb,
    delayed_payment: pubkeyArb,
  }),
  secrets: rec({
    funding_privkey: bytes(32),
    revocation_basepoint_secret: bytes(32),
    payment_basepoint_secret: bytes(32),
    delayed_payment_basepoint_secret: bytes(32),
    htlc_basepoint_secret: bytes(32),
  }),
};

function base_u32() {
  return fc.integer({ min: 0, max: 0xffffffff });
}

function typeArb(type: string): Arb {
  const b = base[type];
  if (b !== undefined) return b;
  const sub = HSMD_SUBTYPES.find((s) => s.name === type);
  if (sub !== undefined) return fieldsArb(sub.fields);
  const tlv = HSMD_TLVS.find((t) => t.name === type);
  if (tlv !== undefined) {
    const o: Record<string, Arb> = {};
    for (const r of tlv.records) o[r.name] = fieldsArb(r.fields);
    return fc.record(o, { requiredKeys: [], noNullPrototype: true }) as Arb;
  }
  throw new Error(`no arbitrary for ${type}`);
}

/** Values for a field list; length fields are filled in from the arrays they count. */
function fieldsArb(fields: readonly HsmdFieldDef[]): Arb {
  const counted = new Set(
    fields.map((f) => f.count).filter((c): c is string => typeof c === "string"),
  );
  const o: Record<string, Arb> = {};
  for (const f of fields) {
    if (counted.has(f.name)) continue;
    const t = typeArb(f.type);
    if (f.optional) o[f.name] = fc.option(t, { nil: null });
    else if (f.count === null) o[f.name] = t;
    else if (f.type === "u8") o[f.name] = varBytes(typeof f.count === "number" ? 0 : 40);
    else o[f.name] = fc.array(t, { maxLength: 3 });
  }
  return fc.record(o).map((v) => {
    const out: Record<string, WireValue> = {};
    for (const f of fields) {
      if (counted.has(f.name)) {
        const arr = fields.find((g) => g.count === f.name)!;
        const n = (v[arr.name] as Uint8Array | WireValue[]).length;
        out[f.name] = f.type === "u64" ? BigInt(n) : n;
      } else {
        out[f.name] = v[f.name]!;
      }
    }
    return out;
  });
}

function expectWireErrorOrExact(b: Uint8Array): void {
  try {
    const d = decodeHsmdMessage(b);
    assert.equal(bytesToHex(encodeHsmdMessage(d.name, d.fields)), bytesToHex(b));
  } catch (e) {
    if (!(e instanceof HsmdWireError)) throw e;
  }
}

describe("hsmd codec properties", () => {
  test("every message type: decode(encode(v)) = v and re-encodes identically", () => {
    let types = 0;
    for (const def of HSMD_MESSAGES) {
      fc.assert(
        fc.property(fieldsArb(def.fields), (v) => {
          const enc = encodeHsmdMessage(def.name, v as Record<string, WireValue>);
          const d = decodeHsmdMessage(enc);
          assert.equal(d.name, def.name);
          assert.deepEqual(d.fields, v);
          assert.equal(bytesToHex(encodeHsmdMessage(def.type, d.fields)), bytesToHex(enc));
        }),
        { numRuns: 25 },
      );
      types++;
    }
    assert.equal(types, HSMD_MESSAGES.length);
  });

  test("random bytes: an exact round trip or HsmdWireError, never another error", () => {
    const typeArbs = fc.constantFrom(...HSMD_MESSAGES.map((m) => m.type), 0, 0xffff);
    fc.assert(
      fc.property(typeArbs, varBytes(200), (type, body) => {
        expectWireErrorOrExact(Uint8Array.from([type >> 8, type & 0xff, ...body]));
      }),
      { numRuns: 2000 },
    );
  });

  test("mutated golden messages: an exact round trip or HsmdWireError", () => {
    const samples = golden.filter((_, i) => i % 7 === 0).map((m) => m.bytes);
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (msg, edits) => {
          const b = Uint8Array.from(msg);
          for (const [at, v] of edits) b[at % b.length] = v;
          expectWireErrorOrExact(b);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
