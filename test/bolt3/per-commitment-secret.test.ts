import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  commitmentIndexFromNumber,
  commitmentLocktimeSequence,
  commitmentNumberFromIndex,
  commitmentNumberFromTx,
  commitmentObscuringFactor,
  FIRST_COMMITMENT_INDEX,
  MAX_COMMITMENT_NUMBER,
  obscureCommitmentNumber,
  obscuredCommitmentNumberFromTx,
} from "../../src/bolt3/commitment-number.js";
import { Bolt3Error } from "../../src/bolt3/errors.js";
import {
  generateFromSeed,
  perCommitmentPoint,
  perCommitmentSecret,
} from "../../src/bolt3/per-commitment-secret.js";
import { FormatError } from "../../src/errors.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";
import { type CommitmentVectors, loadVector, type SecretVectors } from "./vectors.js";

const v = loadVector<SecretVectors>("bolt03-per-commitment-secrets.json");

describe("BOLT 3 Appendix D: generation tests", () => {
  assert.equal(v.generation_tests.length, 5);
  for (const t of v.generation_tests) {
    test(t.name, () => {
      assert.equal(bytesToHex(generateFromSeed(hexToBytes(t.seed), t.I)), t.output.toLowerCase());
    });
  }
  test("perCommitmentSecret(seed, n) is generateFromSeed(seed, 2^48-1 - n)", () => {
    const seed = hexToBytes(v.generation_tests[1]!.seed);
    assert.equal(bytesToHex(perCommitmentSecret(seed, 0)), v.generation_tests[1]!.output);
    assert.deepEqual(
      perCommitmentSecret(seed, 7),
      generateFromSeed(seed, FIRST_COMMITMENT_INDEX - 7),
    );
  });
  test("per-commitment point of the Appendix C secret", () => {
    const c = loadVector<CommitmentVectors>("bolt03-commitment-txs.json").common.internal;
    const secret = hexToBytes(c.x_local_per_commitment_secret!).subarray(0, 32);
    assert.equal(bytesToHex(perCommitmentPoint(secret)), c.local_per_commitment_point);
  });
  test("bad seed / index → FormatError", () => {
    assert.throws(() => generateFromSeed(new Uint8Array(31), 1), FormatError);
    assert.throws(() => generateFromSeed(new Uint8Array(32), 2 ** 48), FormatError);
    assert.throws(() => generateFromSeed(new Uint8Array(32), -1), FormatError);
    assert.throws(() => generateFromSeed(new Uint8Array(32), 1.5), FormatError);
    assert.throws(() => perCommitmentSecret(new Uint8Array(32), 2 ** 48), FormatError);
  });
});

describe("commitment numbers and the obscured commitment number", () => {
  const c = loadVector<CommitmentVectors>("bolt03-commitment-txs.json").common;
  const factor = commitmentObscuringFactor(
    hexToBytes(c.local_payment_basepoint),
    hexToBytes(c.remote_payment_basepoint),
  );
  test("obscuring factor of Appendix C is 0x2bb038521914", () => {
    assert.equal(factor, Number.parseInt(c.obscuring_factor, 16));
  });
  test("Appendix C locktime 0x2052193e / sequence 0x802bb038 for commitment 42, and back", () => {
    const obscured = obscureCommitmentNumber(42, factor);
    assert.equal(obscured, 0x2bb03852193e); // 0x2bb038521914 ^ 42
    const { locktime, sequence } = commitmentLocktimeSequence(obscured);
    assert.equal(locktime, 0x2052193e);
    assert.equal(sequence, 0x802bb038);
    assert.equal(obscuredCommitmentNumberFromTx(locktime, sequence), obscured);
    assert.equal(commitmentNumberFromTx(locktime, sequence, factor), 42);
  });
  test("index/number conversions", () => {
    assert.equal(commitmentIndexFromNumber(0), 2 ** 48 - 1);
    assert.equal(commitmentNumberFromIndex(2 ** 48 - 1), 0);
    assert.equal(commitmentNumberFromIndex(commitmentIndexFromNumber(123456789)), 123456789);
    assert.equal(commitmentIndexFromNumber(MAX_COMMITMENT_NUMBER), 0);
    assert.throws(() => commitmentIndexFromNumber(2 ** 48), FormatError);
    assert.throws(() => commitmentNumberFromIndex(-1), FormatError);
  });
  test("obscuring is an involution over all 48 bits", () => {
    for (const n of [0, 1, 42, 2 ** 24 - 1, 2 ** 24, 2 ** 47 + 5, MAX_COMMITMENT_NUMBER]) {
      assert.equal(obscureCommitmentNumber(obscureCommitmentNumber(n, factor), factor), n);
      const { locktime, sequence } = commitmentLocktimeSequence(obscureCommitmentNumber(n, factor));
      assert.equal(commitmentNumberFromTx(locktime, sequence, factor), n);
    }
  });
  test("non-commitment locktime/sequence → Bolt3Error", () => {
    assert.throws(() => obscuredCommitmentNumberFromTx(0, 0xffffffff), Bolt3Error);
    assert.throws(() => obscuredCommitmentNumberFromTx(0x2052193e, 0xfffffffe), Bolt3Error);
    assert.throws(() => obscuredCommitmentNumberFromTx(2 ** 32, 0x80000000), FormatError);
  });
});
