import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { ChannelType } from "../../src/bolt3/channel-type.js";
import {
  buildCommitmentTransaction,
  type CommitmentParams,
  type CommitmentTransaction,
} from "../../src/bolt3/commitment.js";
import { commitmentNumberFromTx } from "../../src/bolt3/commitment-number.js";
import { commitmentSighashes } from "../../src/bolt3/commitment-sighashes.js";
import { Bolt3Error } from "../../src/bolt3/errors.js";
import type { Htlc } from "../../src/bolt3/htlc.js";
import { buildHtlcTransaction, buildHtlcTransactions } from "../../src/bolt3/htlc-tx.js";
import { ecdsaVerify } from "../../src/crypto/secp256k1.js";
import { signatureFromDer } from "../../src/crypto/signature.js";
import { CryptoError, FormatError } from "../../src/errors.js";
import { equalBytes, hexToBytes } from "../../src/util/bytes.js";
import { caseParams, keys, variantChannelType, vectors } from "./fixtures.js";

/** Independent BIP 69 + cltv check of consecutive outputs. */
function assertSorted(c: CommitmentTransaction): void {
  for (let i = 1; i < c.outputs.length; i++) {
    const a = c.outputs[i - 1]!;
    const b = c.outputs[i]!;
    assert.ok(a.valueSat <= b.valueSat, "values ascending");
    if (a.valueSat < b.valueSat) continue;
    const sa = Buffer.from(a.scriptPubKey);
    const sb = Buffer.from(b.scriptPubKey);
    const cmp = Buffer.compare(sa, sb);
    assert.ok(cmp <= 0, "scripts ascending for equal values");
    if (cmp === 0 && a.htlc && b.htlc)
      assert.ok(a.htlc.cltvExpiry <= b.htlc.cltvExpiry, "cltv ascending");
  }
}

const htlcArb = fc.record({
  direction: fc.constantFrom<"offered" | "received">("offered", "received"),
  amountMsat: fc.oneof(
    fc.bigInt({ min: 0n, max: 10_000_000n }),
    fc.bigInt({ min: 0n, max: 2_000_000_000n }),
  ),
  hashByte: fc.integer({ min: 0, max: 3 }), // few hashes: identical outputs happen
  cltvExpiry: fc.integer({ min: 400, max: 410 }),
});

const paramsArb = fc
  .record({
    channelType: fc.constantFrom<ChannelType>("static_remotekey", "anchors_zero_fee_htlc_tx"),
    feeratePerKw: fc.oneof(
      fc.integer({ min: 0, max: 20_000 }),
      fc.integer({ min: 0, max: 0xffffffff }),
    ),
    dustLimitSat: fc.bigInt({ min: 354n, max: 5_000n }),
    htlcs: fc.array(htlcArb, { maxLength: 25 }),
    localShare: fc.double({ min: 0, max: 1, noNaN: true }),
    extraMsat: fc.bigInt({ min: 0n, max: 50_000_000_000n }),
    localIsOpener: fc.boolean(),
    commitmentNumber: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  })
  .map((r): CommitmentParams => {
    const htlcs: Htlc[] = r.htlcs.map((x, i) => ({
      id: BigInt(i),
      direction: x.direction,
      amountMsat: x.amountMsat,
      paymentHash: new Uint8Array(32).fill(x.hashByte),
      cltvExpiry: x.cltvExpiry,
    }));
    let htlcTotal = 0n;
    for (const x of htlcs) htlcTotal += x.amountMsat;
    // Balances: `extraMsat` split between the sides (a float only picks the split point).
    const toLocalMsat = (r.extraMsat * BigInt(Math.floor(r.localShare * 1000))) / 1000n;
    const toRemoteMsat = r.extraMsat - toLocalMsat;
    // Round the funding up to whole satoshis by giving the remainder to the remote side.
    const totalMsat = toLocalMsat + toRemoteMsat + htlcTotal;
    const pad = (1000n - (totalMsat % 1000n)) % 1000n;
    return {
      ...caseParams("static_remotekey", vectors.variants[0]!.cases[0]!),
      channelType: r.channelType,
      commitmentNumber: r.commitmentNumber,
      localIsOpener: r.localIsOpener,
      feeratePerKw: r.feeratePerKw,
      dustLimitSat: r.dustLimitSat,
      toLocalMsat,
      toRemoteMsat: toRemoteMsat + pad,
      fundingAmountSat: (totalMsat + pad) / 1000n,
      htlcs,
    };
  });

describe("commitment builder properties (fast-check)", () => {
  test("outputs are BIP 69 + cltv_expiry sorted", () => {
    fc.assert(
      fc.property(paramsArb, (p) => assertSorted(buildCommitmentTransaction(p))),
      { numRuns: 150 },
    );
  });

  test("sum of outputs + fee == funding; fee == base fee paid + trimmed + msat rounding - anchors", () => {
    fc.assert(
      fc.property(paramsArb, (p) => {
        const c = buildCommitmentTransaction(p);
        let outSum = 0n;
        for (const o of c.outputs) outSum += o.valueSat;
        assert.equal(outSum + c.feeSat, p.fundingAmountSat);

        const anchors = p.channelType === "anchors_zero_fee_htlc_tx";
        const htlcFee = (h: Htlc) =>
          anchors
            ? 0n
            : (BigInt(p.feeratePerKw) * (h.direction === "offered" ? 663n : 703n)) / 1000n;
        const trimmed = p.htlcs.filter((h) => h.amountMsat / 1000n < p.dustLimitSat + htlcFee(h));
        assert.deepEqual(c.trimmedHtlcs, trimmed);
        const untrimmedCount = BigInt(p.htlcs.length - trimmed.length);
        const baseFee =
          (BigInt(p.feeratePerKw) * ((anchors ? 1124n : 724n) + 172n * untrimmedCount)) / 1000n;
        assert.equal(c.baseFeeSat, baseFee);

        const localSat = p.toLocalMsat / 1000n;
        const remoteSat = p.toRemoteMsat / 1000n;
        let floorSum = localSat + remoteSat;
        for (const h of p.htlcs) floorSum += h.amountMsat / 1000n;
        const rounding = p.fundingAmountSat - floorSum;
        assert.ok(rounding >= 0n && rounding <= BigInt(p.htlcs.length + 1));

        const openerSat = p.localIsOpener ? localSat : remoteSat;
        const openerCost = baseFee + (anchors ? 660n : 0n);
        const paid = openerCost < openerSat ? openerCost : openerSat;
        assert.equal(c.openerShortfallSat, openerCost - paid);
        let trimmedSat = 0n;
        for (const h of trimmed) trimmedSat += h.amountMsat / 1000n;
        const hasLocal = c.outputs.some((o) => o.kind === "to_local");
        const hasRemote = c.outputs.some((o) => o.kind === "to_remote");
        assert.equal(hasLocal, c.toLocalSat >= p.dustLimitSat);
        assert.equal(hasRemote, c.toRemoteSat >= p.dustLimitSat);
        const trimmedBalances = (hasLocal ? 0n : c.toLocalSat) + (hasRemote ? 0n : c.toRemoteSat);
        const anchorCount = BigInt(c.outputs.filter((o) => o.kind.endsWith("_anchor")).length);
        assert.equal(c.feeSat, rounding + trimmedSat + trimmedBalances + paid - 330n * anchorCount);

        // Anchors: one per side with an output, both when untrimmed HTLCs remain.
        const localAnchor = c.outputs.some((o) => o.kind === "to_local_anchor");
        const remoteAnchor = c.outputs.some((o) => o.kind === "to_remote_anchor");
        assert.equal(localAnchor, anchors && (hasLocal || untrimmedCount > 0n));
        assert.equal(remoteAnchor, anchors && (hasRemote || untrimmedCount > 0n));

        // Locktime/sequence carry the commitment number.
        assert.equal(
          commitmentNumberFromTx(c.tx.locktime, c.tx.inputs[0]!.sequence, p.obscuringFactor),
          p.commitmentNumber,
        );
      }),
      { numRuns: 150 },
    );
  });

  test("HTLC txs spend their HTLC outputs with the BOLT 3 fields", () => {
    fc.assert(
      fc.property(paramsArb, (p) => {
        const c = buildCommitmentTransaction(p);
        const txs = buildHtlcTransactions(c);
        assert.equal(txs.length, c.htlcOutputs.length);
        const anchors = p.channelType === "anchors_zero_fee_htlc_tx";
        for (const [i, t] of txs.entries()) {
          const o = c.htlcOutputs[i]!;
          assert.equal(t.commitmentOutputIndex, o.outputIndex);
          assert.ok(equalBytes(t.tx.inputs[0]!.prevout.txid, c.txid));
          assert.equal(t.tx.inputs[0]!.prevout.vout, o.outputIndex);
          assert.equal(t.inputValueSat, o.valueSat);
          assert.equal(t.tx.version, 2);
          assert.equal(t.tx.inputs[0]!.sequence, anchors ? 1 : 0);
          assert.equal(t.tx.locktime, t.kind === "htlc-timeout" ? o.htlc!.cltvExpiry : 0);
          assert.equal(t.tx.outputs[0]!.value + t.feeSat, o.valueSat);
          assert.ok(
            t.tx.outputs[0]!.value >= p.dustLimitSat,
            "untrimmed HTLC txs pay at least the dust limit",
          );
          if (anchors) assert.equal(t.feeSat, 0n);
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe("spec examples and helpers", () => {
  test("BOLT 3 Fee Calculation example: base fee 5340, actual fee 7140", () => {
    const mk = (id: number, direction: "offered" | "received", amountMsat: bigint): Htlc => ({
      id: BigInt(id),
      direction,
      amountMsat,
      paymentHash: new Uint8Array(32).fill(id),
      cltvExpiry: 500,
    });
    const htlcs = [
      mk(0, "offered", 5_000_000n),
      mk(1, "offered", 1_000_000n),
      mk(2, "received", 7_000_000n),
      mk(3, "received", 800_000n),
    ];
    const c = buildCommitmentTransaction({
      ...caseParams("static_remotekey", vectors.variants[0]!.cases[0]!),
      feeratePerKw: 5000,
      toLocalMsat: 6_986_200_000n,
      toRemoteMsat: 3_000_000_000n,
      htlcs,
    });
    assert.equal(c.baseFeeSat, 5340n);
    assert.equal(c.feeSat, 7140n);
    assert.deepEqual(
      c.trimmedHtlcs.map((h) => h.id),
      [1n, 3n],
    );
    const [timeout, success] = buildHtlcTransactions(c);
    assert.equal(timeout!.kind, "htlc-timeout");
    assert.equal(timeout!.tx.outputs[0]!.value, 5000n - 3315n);
    assert.equal(success!.kind, "htlc-success");
    assert.equal(success!.tx.outputs[0]!.value, 7000n - 3515n);
  });

  test("buildHtlcTransaction from explicit params equals the commitment-derived one", () => {
    const k = vectors.variants[1]!.cases[2]!;
    const c = buildCommitmentTransaction(caseParams("anchors_zero_fee_htlc_tx", k));
    for (const t of buildHtlcTransactions(c)) {
      const single = buildHtlcTransaction({
        channelType: "anchors_zero_fee_htlc_tx",
        commitmentTxid: c.txid,
        commitmentOutputIndex: t.commitmentOutputIndex,
        htlc: t.htlc,
        htlcWitnessScript: t.htlcWitnessScript,
        feeratePerKw: k.local_feerate_per_kw,
        toSelfDelay: 144,
        revocationPubkey: keys.revocationPubkey,
        localDelayedPubkey: keys.localDelayedPubkey,
      });
      assert.deepEqual(single, t);
    }
  });

  test("commitmentSighashes digests verify the vectors' remote signatures", () => {
    for (const v of vectors.variants) {
      for (const k of v.cases) {
        const s = commitmentSighashes(caseParams(variantChannelType(v.id), k));
        assert.ok(
          ecdsaVerify(
            signatureFromDer(hexToBytes(k.remote_signature)),
            s.commitment,
            keys.remoteFundingPubkey,
          ),
        );
        assert.equal(s.htlcs.length, k.htlc_txs.length);
        const sorted = [...k.htlc_txs].sort((a, b) => a.output_index - b.output_index);
        sorted.forEach((ht, i) => {
          const sig = signatureFromDer(hexToBytes(ht.remote_htlc_signature));
          assert.ok(ecdsaVerify(sig, s.htlcs[i]!, keys.remoteHtlcPubkey), `${k.name} htlc ${i}`);
        });
      }
    }
  });

  test("483 offered + 483 received HTLCs: builds, sorted, all HTLC txs", () => {
    const htlcs: Htlc[] = [];
    for (let i = 0; i < 966; i++) {
      htlcs.push({
        id: BigInt(i >> 1),
        direction: i % 2 === 0 ? "offered" : "received",
        amountMsat: 1_000_000n + BigInt(i) * 1000n,
        paymentHash: new Uint8Array(32).fill(i & 0xff),
        cltvExpiry: 500 + (i % 7),
      });
    }
    let total = 0n;
    for (const h of htlcs) total += h.amountMsat;
    const base = caseParams("anchors_zero_fee_htlc_tx", vectors.variants[1]!.cases[0]!);
    const p = {
      ...base,
      htlcs,
      fundingAmountSat: 10_000_000n,
      toLocalMsat: 7_000_000_000n - total,
      feeratePerKw: 253,
    };
    const s = commitmentSighashes(p);
    assert.equal(s.htlcs.length, 966);
    assertSorted(buildCommitmentTransaction(p));
  });
});

describe("bad input → typed errors", () => {
  const base = caseParams("static_remotekey", vectors.variants[0]!.cases[1]!);
  const bad = (patch: Partial<CommitmentParams>) => () =>
    buildCommitmentTransaction({ ...base, ...patch });
  test("wrong-length and non-point keys", () => {
    assert.throws(bad({ keys: { ...keys, revocationPubkey: new Uint8Array(32) } }), FormatError);
    const offCurve = new Uint8Array(33).fill(0xff);
    offCurve[0] = 0x02;
    assert.throws(bad({ keys: { ...keys, localDelayedPubkey: offCurve } }), CryptoError);
    assert.throws(
      bad({ keys: { ...keys, remotePaymentPubkey: "03ab" as unknown as Uint8Array } }),
      FormatError,
    );
    assert.throws(bad({ keys: undefined as unknown as CommitmentParams["keys"] }), FormatError);
  });
  test("negative, overflowing or non-bigint amounts", () => {
    assert.throws(bad({ toLocalMsat: -1n }), FormatError);
    assert.throws(bad({ toLocalMsat: 5 as unknown as bigint }), FormatError);
    assert.throws(bad({ fundingAmountSat: 2_100_000_000_000_001n }), FormatError);
    assert.throws(bad({ htlcs: [{ ...base.htlcs[0]!, amountMsat: -5n }] }), FormatError);
    assert.throws(bad({ htlcs: [{ ...base.htlcs[0]!, amountMsat: 2n ** 64n }] }), FormatError);
  });
  test("balances that do not add up to the funding amount", () => {
    assert.throws(
      bad({ toLocalMsat: base.toLocalMsat + 1n }),
      (e: unknown) => e instanceof Bolt3Error && e.code === "bolt3/balance-mismatch",
    );
  });
  test("feerate not a u32; absurd u32 feerate is reported, not a crash", () => {
    assert.throws(bad({ feeratePerKw: -1 }), FormatError);
    assert.throws(bad({ feeratePerKw: 2 ** 32 }), FormatError);
    assert.throws(bad({ feeratePerKw: 1.5 }), FormatError);
    const c = buildCommitmentTransaction({ ...base, feeratePerKw: 0xffffffff });
    assert.ok(c.openerShortfallSat > 0n);
    assert.ok(!c.outputs.some((o) => o.kind === "to_local"));
  });
  test("commitment number / obscuring factor above 2^48-1", () => {
    assert.throws(bad({ commitmentNumber: 2 ** 48 }), FormatError);
    assert.throws(bad({ obscuringFactor: 2 ** 48 }), FormatError);
  });
  test("dust limit below 354, duplicate HTLC ids, too many HTLCs, bad HTLC fields", () => {
    assert.throws(bad({ dustLimitSat: 353n }), Bolt3Error);
    assert.throws(
      bad({ htlcs: [base.htlcs[0]!, base.htlcs[0]!] }),
      (e: unknown) => e instanceof Bolt3Error && e.code === "bolt3/htlc-duplicate",
    );
    const many: Htlc[] = Array.from({ length: 484 }, (_, i) => ({
      ...base.htlcs[2]!,
      id: BigInt(i),
      amountMsat: 0n,
    }));
    assert.throws(
      bad({ htlcs: many, toLocalMsat: base.toLocalMsat + 12_000_000n }),
      (e: unknown) => e instanceof Bolt3Error && e.code === "bolt3/htlc-count",
    );
    assert.throws(
      bad({
        htlcs: [{ ...base.htlcs[0]!, paymentHash: new Uint8Array(31) }, ...base.htlcs.slice(1)],
      }),
      FormatError,
    );
    assert.throws(
      bad({
        htlcs: [{ ...base.htlcs[0]!, direction: "sideways" as "offered" }, ...base.htlcs.slice(1)],
      }),
      FormatError,
    );
    assert.throws(
      bad({ htlcs: [{ ...base.htlcs[0]!, cltvExpiry: -1 }, ...base.htlcs.slice(1)] }),
      FormatError,
    );
    assert.throws(bad({ htlcs: [null as unknown as Htlc] }), FormatError);
  });
  test("malformed params object", () => {
    assert.throws(
      () => buildCommitmentTransaction(null as unknown as CommitmentParams),
      FormatError,
    );
    assert.throws(bad({ channelType: "legacy" as ChannelType }), FormatError);
    assert.throws(bad({ fundingOutpoint: { txid: new Uint8Array(31), vout: 0 } }), FormatError);
    assert.throws(bad({ toSelfDelay: 70000 }), FormatError);
  });
});
