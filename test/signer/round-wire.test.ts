/**
 * The binary form of an update round (round-wire.ts): every field survives a round trip
 * (with and without the optional claimed fields and a transaction), and decoding is strict.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { benchChannelKeys, benchHtlcs, benchSetup, roundInputs } from "../../bench/peer.js";
import { FormatError } from "../../src/errors.js";
import {
  decodeRoundRequest,
  decodeRoundResult,
  encodeRoundRequest,
  encodeRoundResult,
} from "../../src/signer/round-wire.js";
import type { RoundRequest } from "../../src/signer/worker-protocol.js";
import type { Tx } from "../../src/bitcoin/tx.js";

function sample(htlcs: number, n = 1): RoundRequest {
  const holder = benchChannelKeys("wire/holder");
  const peer = benchChannelKeys("wire/peer");
  const r = roundInputs(benchSetup(peer), holder, peer, n, benchHtlcs(htlcs, "wire"));
  return {
    counterpartyPoint: r.counterpartyPoint,
    counterpartyProposal: r.counterpartyProposal,
    counterpartyRevokedNumber: r.n - 1,
    counterpartySecret: r.counterpartySecret,
    holderProposal: r.holderProposal,
    holderSignatures: r.holderSigs,
    holderRevokedNumber: r.n - 1,
  };
}

/** Structural equality with byte arrays (Buffer or Uint8Array) compared by content. */
function same(a: unknown, b: unknown): void {
  assert.deepEqual(plain(a), plain(b));
}
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString("hex")}`;
  if (typeof v === "bigint") return `n:${v}`;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, plain(x)]),
    );
  }
  return v;
}

test("round-wire: a round with 0, 1 and 30 HTLCs survives encode/decode", () => {
  for (const h of [0, 1, 30]) {
    const q = sample(h, 2);
    const bytes = encodeRoundRequest(q);
    assert.equal(bytes.byteOffset, 0);
    assert.equal(bytes.byteLength, bytes.buffer.byteLength, "owns its buffer (transferable)");
    same(decodeRoundRequest(bytes), q);
  }
});

test("round-wire: claimed keys, to_self_delay and a transaction survive encode/decode", () => {
  const q = sample(2);
  const tx: Tx = {
    version: 2,
    locktime: 0x20000001,
    inputs: [
      {
        prevout: { txid: new Uint8Array(32).fill(7), vout: 1 },
        sequence: 0x80000000,
        scriptSig: new Uint8Array(0),
        witness: [],
      },
    ],
    outputs: [
      { value: 1000n, script: new Uint8Array([0x00, 0x14, ...new Uint8Array(20).fill(3)]) },
    ],
  };
  q.counterpartyProposal = {
    ...q.counterpartyProposal,
    claimedKeys: {
      revocationPubkey: new Uint8Array(33).fill(2),
      htlcRevocationPubkey: new Uint8Array(33).fill(3),
    },
    claimedToSelfDelay: 144,
    tx,
  };
  same(decodeRoundRequest(encodeRoundRequest(q)), q);
});

test("round-wire: results survive encode/decode", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.array(fc.uint8Array({ minLength: 64, maxLength: 64 }), { maxLength: 40 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (signature, htlcSignatures, holderSecret) => {
        const res = { counterpartySignatures: { signature, htlcSignatures }, holderSecret };
        same(decodeRoundResult(encodeRoundResult(res)), res);
      },
    ),
  );
});

test("round-wire: every truncation, a trailing byte, a bad version or direction is a FormatError", () => {
  const bytes = encodeRoundRequest(sample(3));
  for (let cut = 0; cut < bytes.length; cut += 7) {
    assert.throws(() => decodeRoundRequest(bytes.subarray(0, cut)), FormatError);
  }
  assert.throws(
    () => decodeRoundRequest(Uint8Array.from([...bytes, 0])),
    (e) => e instanceof FormatError && e.code === "format/round-trailing",
  );
  const badVersion = bytes.slice();
  badVersion[0] = 2;
  assert.throws(
    () => decodeRoundRequest(badVersion),
    (e) => e instanceof FormatError && e.code === "format/round-version",
  );
  // The first HTLC's direction byte: version, point, n, feerate, two amounts, count, id.
  const dirAt = 1 + 33 + 8 + 4 + 8 + 8 + 1 + 8;
  const badDir = bytes.slice();
  badDir[dirAt] = 2;
  assert.throws(
    () => decodeRoundRequest(badDir),
    (e) => e instanceof FormatError && e.code === "format/round-direction",
  );
});

test("round-wire: encoding refuses wrong-sized fixed fields instead of writing garbage", () => {
  const q = sample(0);
  q.counterpartySecret = new Uint8Array(31);
  assert.throws(
    () => encodeRoundRequest(q),
    (e) => e instanceof FormatError && e.code === "format/round-length",
  );
});
