import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import {
  Address,
  NETWORK,
  OutScript,
  p2pkh as scureP2pkh,
  p2wpkh as scureP2wpkh,
  TEST_NETWORK,
} from "@scure/btc-signer";
import fc from "fast-check";
import { addressToScript, type Network, scriptToAddress } from "../../src/bitcoin/address.js";
import {
  classifyOutput,
  p2pkh,
  p2pkhScriptCode,
  p2sh,
  p2tr,
  p2wpkh,
  p2wsh,
  witnessOutput,
  witnessProgram,
} from "../../src/bitcoin/outputs.js";
import { FormatError } from "../../src/errors.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";

function throwsCode(f: () => unknown, code: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof FormatError, String(e));
    assert.equal(e.code, code);
    return true;
  });
}

const NETWORKS: Network[] = ["bitcoin", "testnet", "signet", "regtest"];
const SCURE_NET = {
  bitcoin: NETWORK,
  testnet: TEST_NETWORK,
  signet: TEST_NETWORK,
  regtest: { ...TEST_NETWORK, bech32: "bcrt" },
} as const;

const seckeyArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((k) => secp256k1.utils.isValidSecretKey(k));
const pubkeyArb = seckeyArb.map((k) => secp256k1.getPublicKey(k, true));

describe("outputs", () => {
  test("builders produce the standard templates and agree with scure", () => {
    fc.assert(
      fc.property(pubkeyArb, fc.uint8Array({ maxLength: 80 }), (pub, script) => {
        assert.equal(bytesToHex(p2wpkh(pub)), bytesToHex(scureP2wpkh(pub).script));
        assert.equal(bytesToHex(p2pkh(pub)), bytesToHex(scureP2pkh(pub).script));
        assert.deepEqual(p2pkhScriptCode(pub), p2pkh(pub));
        const wsh = p2wsh(script);
        assert.equal(
          bytesToHex(wsh),
          bytesToHex(OutScript.encode({ type: "wsh", hash: classifyOutput(wsh).hash! })),
        );
        assert.equal(OutScript.decode(wsh).type, "wsh");
        const sh = p2sh(script);
        assert.equal(classifyOutput(sh).type, "p2sh");
        assert.equal(OutScript.decode(sh).type, "sh");
        const key = pub.subarray(1);
        assert.equal(
          bytesToHex(p2tr(key)),
          bytesToHex(OutScript.encode({ type: "tr", pubkey: key })),
        );
      }),
      { numRuns: 50 },
    );
  });

  test("known P2WSH: BIP 143 witness script hashes to its scriptPubKey", () => {
    const ws = hexToBytes(
      "21026dccc749adc2a9d0d89497ac511f760f45c47dc5ed9cf352a58ac706453880aeadab210255a9626aebf5e29c0e6538428ba0d1dcf6ca98ffdf086aa8ced5e0d0215ea465ac",
    );
    assert.equal(
      bytesToHex(p2wsh(ws)),
      "00205d1b56b63d714eebe542309525f484b7e9d6f686b3781b6f61ef925d66d6f6a0",
    );
    const pub = hexToBytes("025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee6357");
    assert.equal(bytesToHex(p2wpkh(pub)), "00141d0f172a0ecb48aee1be1f2687d2963ae33f71a1");
  });

  test("classifyOutput recognises each template exactly", () => {
    const h20 = new Uint8Array(20).fill(9);
    const h32 = new Uint8Array(32).fill(8);
    assert.deepEqual(classifyOutput(witnessOutput(0, h20)), { type: "p2wpkh", hash: h20 });
    assert.deepEqual(classifyOutput(witnessOutput(0, h32)), { type: "p2wsh", hash: h32 });
    assert.deepEqual(classifyOutput(witnessOutput(1, h32)), { type: "p2tr", hash: h32 });
    assert.deepEqual(classifyOutput(Uint8Array.of(0x6a, 1, 2)), { type: "op_return" });
    assert.deepEqual(classifyOutput(witnessOutput(2, h32)), { type: "unknown" });
    assert.deepEqual(classifyOutput(new Uint8Array(0)), { type: "unknown" });
    // P2SH with a wrong terminator, P2PKH one byte short, v0 with 21-byte program
    assert.equal(classifyOutput(hexToBytes(`a914${"00".repeat(20)}88`)).type, "unknown");
    assert.equal(classifyOutput(hexToBytes(`76a914${"00".repeat(20)}88`)).type, "unknown");
    assert.equal(classifyOutput(hexToBytes(`0015${"00".repeat(21)}`)).type, "unknown");
    assert.equal(witnessProgram(hexToBytes(`0015${"00".repeat(21)}`))?.version, 0);
    assert.equal(witnessProgram(hexToBytes(`004c14${"00".repeat(20)}`)), undefined);
    assert.equal(witnessProgram(hexToBytes("5101ff")), undefined);
  });

  test("builders reject bad keys and lengths", () => {
    const pub = secp256k1.getPublicKey(new Uint8Array(32).fill(1), true);
    throwsCode(() => p2wpkh(pub.subarray(1)), "format/pubkey");
    throwsCode(
      () => p2wpkh(secp256k1.getPublicKey(new Uint8Array(32).fill(1), false)),
      "format/pubkey",
    );
    throwsCode(() => p2pkh(Uint8Array.of(4, ...pub.subarray(1))), "format/pubkey");
    throwsCode(() => p2tr(pub), "format/length");
    throwsCode(() => p2wsh("00" as unknown as Uint8Array), "format/script-type");
    throwsCode(() => witnessOutput(17, new Uint8Array(20)), "format/witness-program");
    throwsCode(() => witnessOutput(0, new Uint8Array(16)), "format/witness-program");
    throwsCode(() => witnessOutput(1, new Uint8Array(41)), "format/witness-program");
    throwsCode(() => classifyOutput(null as unknown as Uint8Array), "format/script-type");
  });
});

describe("addresses: BIP 173 / BIP 350 vectors", () => {
  const VALID: Array<[string, Network, string]> = [
    [
      "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
      "bitcoin",
      "0014751e76e8199196d454941c45d1b3a323f1433bd6",
    ],
    [
      "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
      "testnet",
      "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ],
    [
      "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
      "bitcoin",
      "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ],
    ["BC1SW50QGDZ25J", "bitcoin", "6002751e"],
    ["bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bitcoin", "5210751e76e8199196d454941c45d1b3a323"],
    [
      "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
      "signet",
      "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ],
    [
      "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
      "testnet",
      "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ],
    [
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
      "bitcoin",
      "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ],
    [
      "bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry",
      "regtest",
      "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ],
    // base58: the P2PKH of hash160 = 0x00..00 and the well-known P2SH 3P14159f73E4gFr7JterCCQh9QjiTjiZrG
    ["1111111111111111111114oLvT2", "bitcoin", `76a914${"00".repeat(20)}88ac`],
    [
      "3P14159f73E4gFr7JterCCQh9QjiTjiZrG",
      "bitcoin",
      "a914e9c3dd0c07aac76179ebc76a6c78d4d67c6c160a87",
    ],
  ];

  test("valid addresses decode to the expected scripts and re-encode (lower case)", () => {
    for (const [addr, net, hex] of VALID) {
      const script = addressToScript(addr, net);
      assert.equal(bytesToHex(script), hex, addr);
      const isBase58 = /^[13mn2]/.test(addr);
      assert.equal(scriptToAddress(script, net), isBase58 ? addr : addr.toLowerCase());
    }
  });

  const INVALID: Array<[string, string]> = [
    ["tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", "format/address-encoding"],
    [
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
      "format/address-checksum-variant",
    ],
    [
      "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
      "format/address-checksum-variant",
    ],
    ["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "format/address-checksum-variant"],
    ["bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "format/address-encoding"],
    [
      "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
      "format/address-witness-version",
    ],
    ["bc1pw5dgrnzv", "format/address-program-length"],
    [
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
      "format/address-program-length",
    ],
    ["BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "format/address-program-length"],
    ["bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "format/address-encoding"],
    ["bc1gmk9yu", "format/address-witness-version"],
    ["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "format/address-encoding"],
    ["BC1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "format/address-mixed-case"],
    ["", "format/address-type"],
    ["1111111111111111111114oLvT3", "format/address-encoding"],
    ["0OIl", "format/address-encoding"],
  ];

  test("invalid mainnet addresses raise the right FormatError", () => {
    for (const [addr, code] of INVALID) {
      assert.throws(
        () => addressToScript(addr, "bitcoin"),
        (e: unknown) => e instanceof FormatError && e.code === code,
        `${addr} → ${code}`,
      );
    }
  });

  test("testnet-prefixed invalid vectors", () => {
    throwsCode(
      () =>
        addressToScript(
          "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
          "testnet",
        ),
      "format/address-checksum-variant",
    );
    throwsCode(
      () =>
        addressToScript(
          "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
          "testnet",
        ),
      "format/address-checksum-variant",
    );
    throwsCode(
      () =>
        addressToScript(
          "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
          "testnet",
        ),
      "format/address-mixed-case",
    );
    throwsCode(
      () =>
        addressToScript(
          "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
          "testnet",
        ),
      "format/address-encoding",
    );
  });

  test("wrong network is rejected for bech32 and base58", () => {
    throwsCode(() => addressToScript(VALID[0]![0], "testnet"), "format/address-network");
    throwsCode(() => addressToScript(VALID[1]![0], "bitcoin"), "format/address-network");
    throwsCode(() => addressToScript(VALID[1]![0], "regtest"), "format/address-network");
    throwsCode(() => addressToScript(VALID[8]![0], "testnet"), "format/address-network");
    throwsCode(
      () => addressToScript("1111111111111111111114oLvT2", "testnet"),
      "format/address-network",
    );
    throwsCode(
      () => addressToScript("1111111111111111111114oLvT2", "nope" as Network),
      "format/network",
    );
    throwsCode(() => addressToScript(42 as unknown as string, "bitcoin"), "format/address-type");
  });

  test("scriptToAddress rejects scripts with no address", () => {
    throwsCode(() => scriptToAddress(Uint8Array.of(0x6a), "bitcoin"), "format/address-nonstandard");
    throwsCode(
      () => scriptToAddress(hexToBytes(`0015${"00".repeat(21)}`), "bitcoin"),
      "format/address-nonstandard",
    );
    throwsCode(() => scriptToAddress(new Uint8Array(0), "bitcoin"), "format/address-nonstandard");
  });
});

describe("addresses: properties against scure", () => {
  const scriptArb = fc.oneof(
    pubkeyArb.map((p) => p2wpkh(p)),
    pubkeyArb.map((p) => p2pkh(p)),
    fc.uint8Array({ maxLength: 60 }).map((s) => p2wsh(s)),
    fc.uint8Array({ maxLength: 60 }).map((s) => p2sh(s)),
    pubkeyArb.map((p) => p2tr(p.subarray(1))),
  );

  test("scriptToAddress equals scure's Address encoder and round trips on every network", () => {
    fc.assert(
      fc.property(scriptArb, fc.constantFrom(...NETWORKS), (script, net) => {
        const addr = scriptToAddress(script, net);
        const scure = Address(SCURE_NET[net]).encode(
          OutScript.decode(script) as Parameters<ReturnType<typeof Address>["encode"]>[0],
        );
        assert.equal(addr, scure);
        assert.deepEqual(new Uint8Array(addressToScript(addr, net)), new Uint8Array(script));
        if (addr.startsWith("b") || addr.startsWith("t")) {
          assert.deepEqual(
            new Uint8Array(addressToScript(addr.toUpperCase(), net)),
            new Uint8Array(script),
          );
        }
      }),
      { numRuns: 120 },
    );
  });

  test("future witness versions round trip", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.uint8Array({ minLength: 2, maxLength: 40 }),
        fc.constantFrom(...NETWORKS),
        (v, prog, net) => {
          const script = witnessOutput(v, prog);
          assert.deepEqual(
            new Uint8Array(addressToScript(scriptToAddress(script, net), net)),
            script,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  test("random strings never crash the decoder", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.constantFrom(...NETWORKS), (s, net) => {
        try {
          addressToScript(s, net);
        } catch (e) {
          assert.ok(e instanceof FormatError, String(e));
        }
      }),
      { numRuns: 300 },
    );
    // mutations of a valid address: always a FormatError (checksums catch single changes)
    const good = VALID_BECH32;
    const chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: good.length - 1 }),
        fc.constantFrom(...chars),
        (pos, ch) => {
          fc.pre(good[pos] !== ch);
          const bad = good.slice(0, pos) + ch + good.slice(pos + 1);
          assert.throws(() => addressToScript(bad, "bitcoin"), FormatError);
        },
      ),
      { numRuns: 100 },
    );
  });
});

const VALID_BECH32 = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0";
