import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { p2pkhScriptCode } from "../../src/bitcoin/outputs.js";
import {
  precomputeSegwitV0,
  precomputeTaproot,
  SIGHASH_ALL,
  SIGHASH_ANYONECANPAY,
  SIGHASH_DEFAULT,
  SIGHASH_NONE,
  SIGHASH_SINGLE,
  segwitV0Sighash,
  taprootKeySpendSighash,
} from "../../src/bitcoin/sighash.js";
import { parseTx, serializeTx, type TxOut } from "../../src/bitcoin/tx.js";
import { FormatError } from "../../src/errors.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";
import { finalizedTxArb, toScureTx, varBytesArb } from "./arbitraries.js";

function throwsCode(f: () => unknown, code: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof FormatError, String(e));
    assert.equal(e.code, code);
    return true;
  });
}

const V0_TYPES = [1, 2, 3, 0x81, 0x82, 0x83];
const V1_TYPES = [0, 1, 2, 3, 0x81, 0x82, 0x83];

describe("BIP 143 example vectors", () => {
  test("native P2WPKH (second input, SIGHASH_ALL)", () => {
    const tx = parseTx(
      hexToBytes(
        "0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000",
      ),
    );
    const pubkey = hexToBytes("025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee6357");
    const scriptCode = p2pkhScriptCode(pubkey);
    assert.equal(bytesToHex(scriptCode), "76a9141d0f172a0ecb48aee1be1f2687d2963ae33f71a188ac");
    const pre = precomputeSegwitV0(tx);
    assert.equal(
      bytesToHex(pre.hashPrevouts),
      "96b827c8483d4e9b96712b6713a7b68d6e8003a781feba36c31143470b4efd37",
    );
    assert.equal(
      bytesToHex(pre.hashSequence),
      "52b0a642eea2fb7ae638c36f6252b6750293dbe574a806984b8e4d8548339a3b",
    );
    assert.equal(
      bytesToHex(pre.hashOutputs),
      "863ef3e1a92afbfdb97f31ad0fc7683ee943e9abcf2501590ff8f6551f47e5e5",
    );
    const expected = "c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670";
    assert.equal(
      bytesToHex(segwitV0Sighash(tx, 1, scriptCode, 600_000_000n, SIGHASH_ALL)),
      expected,
    );
    assert.equal(
      bytesToHex(segwitV0Sighash(tx, 1, scriptCode, 600_000_000n, SIGHASH_ALL, pre)),
      expected,
    );
  });

  test("P2SH-P2WPKH (SIGHASH_ALL)", () => {
    const tx = parseTx(
      hexToBytes(
        "0100000001db6b1b20aa0fd7b23880be2ecbd4a98130974cf4748fb66092ac4d3ceb1a54770100000000feffffff02b8b4eb0b000000001976a914a457b684d7f0d539a46a45bbc043f35b59d0d96388ac0008af2f000000001976a914fd270b1ee6abcaea97fea7ad0402e8bd8ad6d77c88ac92040000",
      ),
    );
    const pubkey = hexToBytes("03ad1d8e89212f0b92c74d23bb710c00662ad1470198ac48c43f7d6f93a2a26873");
    const sighash = segwitV0Sighash(tx, 0, p2pkhScriptCode(pubkey), 1_000_000_000n, SIGHASH_ALL);
    assert.equal(
      bytesToHex(sighash),
      "64f3b0f4dd2bb3aa1ce8566d220cc74dda9df97d8490cc81d89d735c92e59fb6",
    );
  });

  test("native P2WSH: SIGHASH_SINGLE with no matching output, two scriptCodes", () => {
    const tx = parseTx(
      hexToBytes(
        "0100000002fe3dc9208094f3ffd12645477b3dc56f60ec4fa8e6f5d67c565d1c6b9216b36e0000000000ffffffff0815cf020f013ed6cf91d29f4202e8a58726b1ac6c79da47c23d1bee0a6925f80000000000ffffffff0100f2052a010000001976a914a30741f8145e5acadf23f751864167f32e0963f788ac00000000",
      ),
    );
    const value = 4_900_000_000n;
    const full = hexToBytes(
      "21026dccc749adc2a9d0d89497ac511f760f45c47dc5ed9cf352a58ac706453880aeadab210255a9626aebf5e29c0e6538428ba0d1dcf6ca98ffdf086aa8ced5e0d0215ea465ac",
    );
    const afterSep = hexToBytes(
      "210255a9626aebf5e29c0e6538428ba0d1dcf6ca98ffdf086aa8ced5e0d0215ea465ac",
    );
    assert.equal(
      bytesToHex(segwitV0Sighash(tx, 1, full, value, SIGHASH_SINGLE)),
      "82dde6e4f1e94d02c2b7ad03d2115d691f48d064e9d52f58194a6637e4194391",
    );
    assert.equal(
      bytesToHex(segwitV0Sighash(tx, 1, afterSep, value, SIGHASH_SINGLE)),
      "fef7bd749cce710c5c052bd796df1af0d935e59cea63736268bcbe2d2134fc47",
    );
  });

  test("native P2WSH: SINGLE|ANYONECANPAY does not commit to the input index", () => {
    const tx = parseTx(
      hexToBytes(
        "0100000002e9b542c5176808107ff1df906f46bb1f2583b16112b95ee5380665ba7fcfc0010000000000ffffffff80e68831516392fcd100d186b3c2c7b95c80b53c77e77c35ba03a66b429a2a1b0000000000ffffffff0280969800000000001976a914de4b231626ef508c9a74a8517e6783c0546d6b2888ac80969800000000001976a9146648a8cd4531e1ec47f35916de8e259237294d1e88ac00000000",
      ),
    );
    const t = SIGHASH_SINGLE | SIGHASH_ANYONECANPAY;
    const value = 16_777_215n;
    assert.equal(
      bytesToHex(
        segwitV0Sighash(
          tx,
          0,
          hexToBytes(
            "0063ab68210392972e2eb617b2388771abe27235fd5ac44af8e61693261550447a4c3e39da98ac",
          ),
          value,
          t,
        ),
      ),
      "e9071e75e25b8a1e298a72f0d2e9f4f95a0f5cdf86a533cda597eb402ed13b3a",
    );
    assert.equal(
      bytesToHex(
        segwitV0Sighash(
          tx,
          1,
          hexToBytes("68210392972e2eb617b2388771abe27235fd5ac44af8e61693261550447a4c3e39da98ac"),
          value,
          t,
        ),
      ),
      "cd72f1f1a433ee9df816857fad88d8ebd97e09a75cd481583eb841c330275e54",
    );
  });
});

/** The BIP 341 key-path wallet test vector (bitcoin/bips, bip341_wallet_vectors.json). */
const BIP341 = {
  rawUnsignedTx:
    "02000000097de20cbff686da83a54981d2b9bab3586f4ca7e48f57f5b55963115f3b334e9c010000000000000000d7b7cab57b1393ace2d064f4d4a2cb8af6def61273e127517d44759b6dafdd990000000000fffffffff8e1f583384333689228c5d28eac13366be082dc57441760d957275419a418420000000000fffffffff0689180aa63b30cb162a73c6d2a38b7eeda2a83ece74310fda0843ad604853b0100000000feffffffaa5202bdf6d8ccd2ee0f0202afbbb7461d9264a25e5bfd3c5a52ee1239e0ba6c0000000000feffffff956149bdc66faa968eb2be2d2faa29718acbfe3941215893a2a3446d32acd050000000000000000000e664b9773b88c09c32cb70a2a3e4da0ced63b7ba3b22f848531bbb1d5d5f4c94010000000000000000e9aa6b8e6c9de67619e6a3924ae25696bb7b694bb677a632a74ef7eadfd4eabf0000000000ffffffffa778eb6a263dc090464cd125c466b5a99667720b1c110468831d058aa1b82af10100000000ffffffff0200ca9a3b000000001976a91406afd46bcdfd22ef94ac122aa11f241244a37ecc88ac807840cb0000000020ac9a87f5594be208f8532db38cff670c450ed2fea8fcdefcc9a663f78bab962b0065cd1d",
  utxosSpent: [
    ["512053a1f6e454df1aa2776a2814a721372d6258050de330b3c6d10ee8f4e0dda343", 420000000n],
    ["5120147c9c57132f6e7ecddba9800bb0c4449251c92a1e60371ee77557b6620f3ea3", 462000000n],
    ["76a914751e76e8199196d454941c45d1b3a323f1433bd688ac", 294000000n],
    ["5120e4d810fd50586274face62b8a807eb9719cef49c04177cc6b76a9a4251d5450e", 504000000n],
    ["512091b64d5324723a985170e4dc5a0f84c041804f2cd12660fa5dec09fc21783605", 630000000n],
    ["00147dd65592d0ab2fe0d0257d571abf032cd9db93dc", 378000000n],
    ["512075169f4001aa68f15bbed28b218df1d0a62cbbcf1188c6665110c293c907b831", 672000000n],
    ["5120712447206d7a5238acc7ff53fbe94a3b64539ad291c7cdbc490b7577e4b17df5", 546000000n],
    ["512077e30a5522dd9f894c3f8b8bd4c4b2cf82ca7da8a3ea6a239655c39c050ab220", 588000000n],
  ] as const,
  intermediary: {
    hashAmounts: "58a6964a4f5f8f0b642ded0a8a553be7622a719da71d1f5befcefcdee8e0fde6",
    hashOutputs: "a2e6dab7c1f0dcd297c8d61647fd17d821541ea69c3cc37dcbad7f90d4eb4bc5",
    hashPrevouts: "e3b33bb4ef3a52ad1fffb555c0d82828eb22737036eaeb02a235d82b909c4c3f",
    hashScriptPubkeys: "23ad0f61ad2bca5ba6a7693f50fce988e17c3780bf2b1e720cfbb38fbdd52e21",
    hashSequences: "18959c7221ab5ce9e26c3cd67b22c24f8baa54bac281d8e6b05e400e6c3a957e",
  },
  inputs: [
    [0, 3, "2514a6272f85cfa0f45eb907fcb0d121b808ed37c6ea160a5a9046ed5526d555"],
    [1, 131, "325a644af47e8a5a2591cda0ab0723978537318f10e6a63d4eed783b96a71a4d"],
    [3, 1, "bf013ea93474aa67815b1b6cc441d23b64fa310911d991e713cd34c7f5d46669"],
    [4, 0, "4f900a0bae3f1446fd48490c2958b5a023228f01661cda3496a11da502a7f7ef"],
    [6, 2, "15f25c298eb5cdc7eb1d638dd2d45c97c4c59dcaec6679cfc16ad84f30876b85"],
    [7, 130, "cd292de50313804dabe4685e83f923d2969577191a3e1d2882220dca88cbeb10"],
    [8, 129, "cccb739eca6c13a8a89e6e5cd317ffe55669bbda23f2fd37b0f18755e008edd2"],
  ] as const,
};

describe("BIP 341 key-path wallet vectors", () => {
  const tx = parseTx(hexToBytes(BIP341.rawUnsignedTx));
  const prevouts: TxOut[] = BIP341.utxosSpent.map(([s, v]) => ({
    script: hexToBytes(s),
    value: v,
  }));

  test("shared hashes match the intermediary values", () => {
    const pre = precomputeTaproot(tx, prevouts);
    assert.equal(bytesToHex(pre.shaAmounts), BIP341.intermediary.hashAmounts);
    assert.equal(bytesToHex(pre.shaOutputs), BIP341.intermediary.hashOutputs);
    assert.equal(bytesToHex(pre.shaPrevouts), BIP341.intermediary.hashPrevouts);
    assert.equal(bytesToHex(pre.shaScriptPubkeys), BIP341.intermediary.hashScriptPubkeys);
    assert.equal(bytesToHex(pre.shaSequences), BIP341.intermediary.hashSequences);
  });

  test("every input's sigHash matches, with and without precomputation", () => {
    const pre = precomputeTaproot(tx, prevouts);
    for (const [index, type, expected] of BIP341.inputs) {
      assert.equal(bytesToHex(taprootKeySpendSighash(tx, index, prevouts, type)), expected);
      assert.equal(bytesToHex(taprootKeySpendSighash(tx, index, prevouts, type, pre)), expected);
    }
  });
});

describe("sighash: properties against scure", () => {
  test("segwitV0Sighash equals scure's preimageWitnessV0 for all six types", () => {
    fc.assert(
      fc.property(
        finalizedTxArb,
        fc.nat(),
        varBytesArb(80),
        fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
        fc.constantFrom(...V0_TYPES),
        (tx, i, scriptCode, value, type) => {
          const idx = i % tx.inputs.length;
          const scure = toScureTx(serializeTx(tx));
          const expected = scure.preimageWitnessV0(idx, scriptCode, type, value);
          const pre = precomputeSegwitV0(tx);
          assert.equal(
            bytesToHex(segwitV0Sighash(tx, idx, scriptCode, value, type)),
            bytesToHex(expected),
          );
          assert.equal(
            bytesToHex(segwitV0Sighash(tx, idx, scriptCode, value, type, pre)),
            bytesToHex(expected),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  test("taprootKeySpendSighash equals scure's preimageWitnessV1 for all seven types", () => {
    const prevoutArb = fc.record(
      {
        value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n / 8n }),
        script: varBytesArb(40),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(
        finalizedTxArb,
        fc.array(prevoutArb, { minLength: 6, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom(...V1_TYPES),
        (tx, pool, i, type) => {
          const idx = i % tx.inputs.length;
          const prevouts = pool.slice(0, tx.inputs.length);
          const scure = toScureTx(serializeTx(tx));
          const single = (type & 3) === SIGHASH_SINGLE;
          if (single && idx >= tx.outputs.length) {
            throwsCode(
              () => taprootKeySpendSighash(tx, idx, prevouts, type),
              "format/sighash-single-no-output",
            );
            return;
          }
          const expected = scure.preimageWitnessV1(
            idx,
            prevouts.map((p) => p.script),
            type,
            prevouts.map((p) => p.value),
          );
          assert.equal(
            bytesToHex(taprootKeySpendSighash(tx, idx, prevouts, type)),
            bytesToHex(expected),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  test("DEFAULT and ALL differ only in the committed type byte", () => {
    const tx = parseTx(hexToBytes(BIP341.rawUnsignedTx));
    const prevouts: TxOut[] = BIP341.utxosSpent.map(([s, v]) => ({
      script: hexToBytes(s),
      value: v,
    }));
    assert.notEqual(
      bytesToHex(taprootKeySpendSighash(tx, 0, prevouts, SIGHASH_DEFAULT)),
      bytesToHex(taprootKeySpendSighash(tx, 0, prevouts, SIGHASH_ALL)),
    );
  });
});

describe("sighash: bad requests are FormatErrors", () => {
  const tx = parseTx(hexToBytes(BIP341.rawUnsignedTx));
  const prevouts: TxOut[] = BIP341.utxosSpent.map(([s, v]) => ({
    script: hexToBytes(s),
    value: v,
  }));
  const code = new Uint8Array([0x51]);

  test("segwit v0", () => {
    throwsCode(() => segwitV0Sighash(tx, 9, code, 1n, SIGHASH_ALL), "format/sighash-input-index");
    throwsCode(() => segwitV0Sighash(tx, -1, code, 1n, SIGHASH_ALL), "format/sighash-input-index");
    throwsCode(() => segwitV0Sighash(tx, 0.5, code, 1n, SIGHASH_ALL), "format/sighash-input-index");
    for (const t of [0, 4, 0x80, 0x84, 0x41, 0x101, -1, 1.5]) {
      throwsCode(() => segwitV0Sighash(tx, 0, code, 1n, t), "format/sighash-type");
    }
    throwsCode(() => segwitV0Sighash(tx, 0, code, -1n, SIGHASH_ALL), "format/sighash-value");
    throwsCode(
      () => segwitV0Sighash(tx, 0, code, 1 as unknown as bigint, SIGHASH_ALL),
      "format/sighash-value",
    );
    throwsCode(
      () => segwitV0Sighash(tx, 0, "51" as unknown as Uint8Array, 1n, SIGHASH_ALL),
      "format/sighash-script-code",
    );
    const other = parseTx(hexToBytes(BIP341.rawUnsignedTx));
    throwsCode(
      () => segwitV0Sighash(tx, 0, code, 1n, SIGHASH_ALL, precomputeSegwitV0(other)),
      "format/sighash-precomputed",
    );
    throwsCode(
      () => segwitV0Sighash({ ...tx, inputs: [] }, 0, code, 1n, SIGHASH_ALL),
      "format/tx-no-inputs",
    );
  });

  test("taproot", () => {
    throwsCode(() => taprootKeySpendSighash(tx, 9, prevouts, 0), "format/sighash-input-index");
    for (const t of [4, 0x80, 0x84, 0x41, -1]) {
      throwsCode(() => taprootKeySpendSighash(tx, 0, prevouts, t), "format/sighash-type");
    }
    throwsCode(
      () => taprootKeySpendSighash(tx, 0, prevouts.slice(1), 0),
      "format/sighash-prevouts",
    );
    throwsCode(
      () =>
        taprootKeySpendSighash(tx, 0, [{ ...prevouts[0]!, value: -5n }, ...prevouts.slice(1)], 0),
      "format/sighash-prevouts",
    );
    throwsCode(
      () => taprootKeySpendSighash(tx, 2, prevouts, SIGHASH_SINGLE),
      "format/sighash-single-no-output",
    );
    throwsCode(
      () => taprootKeySpendSighash(tx, 0, [...prevouts], 0, precomputeTaproot(tx, prevouts)),
      "format/sighash-precomputed",
    );
    assert.equal(SIGHASH_NONE, 2);
  });
});
