import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { p2wpkh } from "../../src/bitcoin/outputs.js";
import { parseTx, serializeTx, txid } from "../../src/bitcoin/tx.js";
import { buildClosingTransaction, type ClosingParams } from "../../src/bolt3/closing.js";
import { Bolt3Error } from "../../src/bolt3/errors.js";
import { fundingScript } from "../../src/bolt3/scripts.js";
import { fundingInputSighash } from "../../src/bolt3/signing.js";
import { fundingSpendWitness } from "../../src/bolt3/witness.js";
import { ecdsaSign, ecdsaVerify } from "../../src/crypto/secp256k1.js";
import { FormatError } from "../../src/errors.js";
import { equalBytes } from "../../src/util/bytes.js";
import { caseParams, keys, secrets, vectors } from "./fixtures.js";

const fundingOutpoint = caseParams(
  "static_remotekey",
  vectors.variants[0]!.cases[0]!,
).fundingOutpoint;
const base: ClosingParams = {
  fundingOutpoint,
  fundingAmountSat: 10_000_000n,
  localIsOpener: true,
  toLocalMsat: 7_000_000_500n,
  toRemoteMsat: 2_999_999_500n,
  localScriptPubKey: p2wpkh(keys.localFundingPubkey),
  remoteScriptPubKey: p2wpkh(keys.remoteFundingPubkey),
  feeSat: 1_000n,
  dustLimitSat: 546n,
};

describe("BOLT 3 Legacy Closing Transaction", () => {
  test("fields, fee from the opener, msat rounded down, BIP 69 order", () => {
    const c = buildClosingTransaction(base);
    assert.equal(c.tx.version, 2);
    assert.equal(c.tx.locktime, 0);
    assert.equal(c.tx.inputs.length, 1);
    assert.equal(c.tx.inputs[0]!.sequence, 0xffffffff);
    assert.deepEqual(
      c.outputs.map((o) => [o.side, o.valueSat]),
      [
        ["remote", 2_999_999n],
        ["local", 6_999_000n],
      ],
    );
    assert.equal(c.actualFeeSat, 1_001n); // fee + the rounded-away msat
    assert.ok(equalBytes(c.txid, txid(c.tx)));
  });
  test("accepter opener pays from the remote output; equal amounts ordered by script", () => {
    const c = buildClosingTransaction({
      ...base,
      localIsOpener: false,
      toLocalMsat: 5_000_000_000n,
      toRemoteMsat: 5_000_000_000n,
      feeSat: 0n,
    });
    const [a, b] = c.outputs;
    assert.equal(a!.valueSat, b!.valueSat);
    assert.ok(Buffer.compare(Buffer.from(a!.scriptPubKey), Buffer.from(b!.scriptPubKey)) < 0);
    const d = buildClosingTransaction({ ...base, localIsOpener: false });
    assert.equal(d.outputs.find((o) => o.side === "remote")!.valueSat, 2_999_999n - 1_000n);
  });
  test("outputs below the dust limit are removed; the local output may be omitted", () => {
    const c = buildClosingTransaction({
      ...base,
      toLocalMsat: 9_999_500_000n,
      toRemoteMsat: 500_000n,
    });
    assert.deepEqual(c.removed, ["remote"]);
    assert.equal(c.tx.outputs.length, 1);
    const o = buildClosingTransaction({ ...base, omitLocalOutput: true });
    assert.deepEqual(o.removed, ["local"]);
    assert.equal(o.outputs[0]!.side, "remote");
  });
  test("signed closing tx round-trips with a valid 2-of-2 witness", () => {
    const c = buildClosingTransaction(base);
    const ws = fundingScript(keys.localFundingPubkey, keys.remoteFundingPubkey);
    const digest = fundingInputSighash(c.tx, ws, base.fundingAmountSat);
    const ls = ecdsaSign(digest, secrets.localFunding);
    const rs = ecdsaSign(digest, secrets.remoteFunding);
    assert.ok(ecdsaVerify(rs, digest, keys.remoteFundingPubkey));
    c.tx.inputs[0]!.witness = fundingSpendWitness(
      keys.localFundingPubkey,
      ls,
      keys.remoteFundingPubkey,
      rs,
      ws,
    );
    const parsed = parseTx(serializeTx(c.tx));
    assert.equal(parsed.inputs[0]!.witness.length, 4);
    assert.equal(parsed.inputs[0]!.witness[0]!.length, 0);
    assert.ok(equalBytes(txid(parsed), c.txid));
  });
  test("bad input → typed errors", () => {
    assert.throws(() => buildClosingTransaction({ ...base, feeSat: 8_000_000n }), Bolt3Error);
    assert.throws(() => buildClosingTransaction({ ...base, toLocalMsat: 1n }), Bolt3Error);
    assert.throws(() => buildClosingTransaction({ ...base, feeSat: -1n }), FormatError);
    assert.throws(
      () => buildClosingTransaction({ ...base, localScriptPubKey: "00" as unknown as Uint8Array }),
      FormatError,
    );
    assert.throws(
      () => buildClosingTransaction(undefined as unknown as ClosingParams),
      FormatError,
    );
  });
});
