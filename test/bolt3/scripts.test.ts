import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { p2wpkh } from "../../src/bitcoin/outputs.js";
import { decompileScript, OP } from "../../src/bitcoin/script.js";
import {
  commitmentFeeSat,
  commitmentWeight,
  htlcSuccessFeeSat,
  htlcTimeoutFeeSat,
  isHtlcTrimmed,
} from "../../src/bolt3/fees.js";
import {
  anchorScript,
  fundingScript,
  offeredHtlcScript,
  receivedHtlcScript,
  toLocalScript,
  toRemoteAnchorsScript,
  toRemoteOutput,
} from "../../src/bolt3/scripts.js";
import { CryptoError, FormatError } from "../../src/errors.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { keys, vectorHtlc, vectors } from "./fixtures.js";

const c = vectors.common;

describe("BOLT 3 scripts", () => {
  const untrimmed = vectors.variants[0]!.cases[1]!.untrimmed_outputs!;
  test("to_local witness script of Appendix C", () => {
    const want = untrimmed.find((o) => o.type === "to_local")!.wscript;
    assert.equal(
      bytesToHex(toLocalScript(keys.revocationPubkey, c.local_delay, keys.localDelayedPubkey)),
      want,
    );
  });
  test("offered and received HTLC scripts of Appendix C", () => {
    for (const o of untrimmed.filter((x) => x.htlc_id !== undefined)) {
      const h = vectorHtlc(o.htlc_id!);
      const got =
        h.direction === "offered"
          ? offeredHtlcScript("static_remotekey", keys, h.paymentHash)
          : receivedHtlcScript("static_remotekey", keys, h.paymentHash, h.cltvExpiry);
      assert.equal(bytesToHex(got), o.wscript);
    }
  });
  test("anchors variants append 1 OP_CSV OP_DROP before the final OP_ENDIF", () => {
    const h = vectorHtlc(0);
    const plain = decompileScript(receivedHtlcScript("static_remotekey", keys, h.paymentHash, 500));
    const anch = decompileScript(
      receivedHtlcScript("anchors_zero_fee_htlc_tx", keys, h.paymentHash, 500),
    );
    assert.deepEqual(anch.slice(0, -1), [
      ...plain.slice(0, -1),
      OP.OP_1,
      OP.CHECKSEQUENCEVERIFY,
      OP.DROP,
    ]);
    assert.equal(anch.at(-1), OP.ENDIF);
  });
  test("to_remote: P2WPKH for static_remotekey, P2WSH with 1-block CSV for anchors", () => {
    assert.deepEqual(
      toRemoteOutput("static_remotekey", keys.remotePaymentPubkey).scriptPubKey,
      p2wpkh(keys.remotePaymentPubkey),
    );
    const a = toRemoteOutput("anchors_zero_fee_htlc_tx", keys.remotePaymentPubkey);
    assert.deepEqual(a.witnessScript, toRemoteAnchorsScript(keys.remotePaymentPubkey));
    assert.deepEqual(decompileScript(a.witnessScript!).slice(1), [
      OP.CHECKSIGVERIFY,
      OP.OP_1,
      OP.CHECKSEQUENCEVERIFY,
    ]);
  });
  test("anchor script layout", () => {
    assert.deepEqual(decompileScript(anchorScript(keys.localFundingPubkey)).slice(1), [
      OP.CHECKSIG,
      OP.IFDUP,
      OP.NOTIF,
      OP.OP_16,
      OP.CHECKSEQUENCEVERIFY,
      OP.ENDIF,
    ]);
  });
  test("bad keys → typed errors", () => {
    assert.throws(() => fundingScript(new Uint8Array(33), keys.remoteFundingPubkey), CryptoError);
    assert.throws(() => fundingScript(new Uint8Array(32), keys.remoteFundingPubkey), FormatError);
    assert.throws(
      () => toLocalScript(keys.revocationPubkey, 65536, keys.localDelayedPubkey),
      FormatError,
    );
    assert.throws(
      () => offeredHtlcScript("static_remotekey", keys, new Uint8Array(20)),
      FormatError,
    );
    assert.throws(
      () => receivedHtlcScript("static_remotekey", keys, new Uint8Array(32), -1),
      FormatError,
    );
  });
});

describe("BOLT 3 fee calculation", () => {
  test("expected weights and fees", () => {
    assert.equal(commitmentWeight("static_remotekey", 0), 724);
    assert.equal(commitmentWeight("anchors_zero_fee_htlc_tx", 2), 1124 + 344);
    assert.equal(commitmentFeeSat("static_remotekey", 15000, 0), 10860n);
    assert.equal(htlcTimeoutFeeSat("static_remotekey", 5000), 3315n);
    assert.equal(htlcSuccessFeeSat("static_remotekey", 5000), 3515n);
    assert.equal(htlcTimeoutFeeSat("anchors_zero_fee_htlc_tx", 5000), 0n);
    assert.equal(htlcSuccessFeeSat("anchors_zero_fee_htlc_tx", 5000), 0n);
  });
  test("trimming thresholds (Appendix C maximum/minimum feerates)", () => {
    // HTLC #0 (1000 sat received): 546 + 647*703/1000 = 1000 is kept, 546 + 648*703/1000 = 1001 trims it.
    assert.equal(isHtlcTrimmed("static_remotekey", 647, 546n, "received", 1_000_000n), false);
    assert.equal(isHtlcTrimmed("static_remotekey", 648, 546n, "received", 1_000_000n), true);
    assert.equal(
      isHtlcTrimmed("anchors_zero_fee_htlc_tx", 1_000_000, 546n, "received", 546_000n),
      false,
    );
    assert.equal(isHtlcTrimmed("anchors_zero_fee_htlc_tx", 0, 546n, "offered", 545_999n), true);
    assert.throws(() => isHtlcTrimmed("static_remotekey", -1, 546n, "offered", 1n), FormatError);
  });
});
