import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as ldk from "lightningdevkit";
import { p2wpkh } from "../../src/bitcoin/outputs.js";
import { sha256 } from "../../src/crypto/hash.js";
import { ldkKeyDeriver } from "../../src/keys/index.js";
import { bytesToHex } from "../../src/util/bytes.js";

const hex = bytesToHex;
const INITIAL_COMMITMENT_INDEX = 2n ** 48n - 1n;

function ok<T>(r: object, what: string): T {
  assert.ok("res" in r, `${what} returned Err`);
  return (r as { res: T }).res;
}

const seeds = [
  new Uint8Array(32).fill(7),
  sha256(new TextEncoder().encode("warden-ldk-keys-test")),
];
const startingTimes: Array<[bigint, number]> = [
  [1n, 0],
  [1_767_225_600n, 123_456_789],
];
const channelKeysIds = [
  new Uint8Array(32),
  sha256(new TextEncoder().encode("channel-1")),
  Uint8Array.from({ length: 32 }, (_, i) => 255 - i), // child index bytes 4..8 with top bit set
];

describe("LDK KeysManager derivation against lightningdevkit 0.1.0 (WASM)", () => {
  before(async () => {
    const wasm = readFileSync(
      fileURLToPath(import.meta.resolve("lightningdevkit/liblightningjs.wasm")),
    );
    await ldk.initializeWasmFromBinary(wasm);
  });

  for (const seed of seeds) {
    for (const [secs, nanos] of startingTimes) {
      test(`seed ${hex(seed).slice(0, 8)}…, start ${secs}.${nanos}: node id, scripts, channel keys`, () => {
        const km = ldk.KeysManager.constructor_new(seed, secs, nanos);
        const ours = ldkKeyDeriver(seed, secs, nanos);

        const nodeId = ok<Uint8Array>(
          km.as_NodeSigner().get_node_id(ldk.Recipient.LDKRecipient_Node),
          "get_node_id",
        );
        assert.equal(hex(ours.nodeId()), hex(nodeId));
        assert.equal(hex(ours.nodeSecret()), hex(km.get_node_secret_key()));

        const sp = km.as_SignerProvider();
        const dest = ok<Uint8Array>(sp.get_destination_script(channelKeysIds[0]!), "dest");
        assert.equal(hex(ours.destinationScript()), hex(dest));
        const shutdown = ok<ldk.ShutdownScript>(sp.get_shutdown_scriptpubkey(), "shutdown");
        assert.equal(hex(p2wpkh(ours.shutdownPubkey())), hex(shutdown.into_inner()));

        // generate_channel_keys_id: first call uses child index 0.
        const userChannelId = 0x0123456789abcdefn;
        const genId = sp.generate_channel_keys_id(false, 100_000n, userChannelId);
        assert.equal(hex(ours.channelKeysId(0, userChannelId)), hex(genId));

        for (const id of [...channelKeysIds, genId]) {
          const signer = km.derive_channel_keys(1_000_000n, id);
          const keys = ours.channelKeys({ channelKeysId: id });
          assert.equal(hex(keys.fundingSecret), hex(signer.get_funding_key()));
          assert.equal(hex(keys.revocationBaseSecret), hex(signer.get_revocation_base_key()));
          assert.equal(hex(keys.paymentBaseSecret), hex(signer.get_payment_key()));
          assert.equal(
            hex(keys.delayedPaymentBaseSecret),
            hex(signer.get_delayed_payment_base_key()),
          );
          assert.equal(hex(keys.htlcBaseSecret), hex(signer.get_htlc_base_key()));
          assert.equal(hex(keys.commitmentSeed), hex(signer.get_commitment_seed()));

          const cs = signer.as_ChannelSigner();
          const pk = cs.get_pubkeys();
          const b = keys.basepoints;
          assert.equal(hex(b.fundingPubkey), hex(pk.get_funding_pubkey()));
          assert.equal(hex(b.revocationBasepoint), hex(pk.get_revocation_basepoint().get_a()));
          assert.equal(hex(b.paymentBasepoint), hex(pk.get_payment_point()));
          assert.equal(
            hex(b.delayedPaymentBasepoint),
            hex(pk.get_delayed_payment_basepoint().get_a()),
          );
          assert.equal(hex(b.htlcBasepoint), hex(pk.get_htlc_basepoint().get_a()));

          // LDK's idx counts down from 2^48-1: commitment number n is idx 2^48-1-n.
          for (const n of [0, 1, 1000]) {
            const idx = INITIAL_COMMITMENT_INDEX - BigInt(n);
            const point = ok<Uint8Array>(cs.get_per_commitment_point(idx), "point");
            assert.equal(hex(keys.perCommitmentPoint(n)), hex(point), `n=${n}`);
            const secret = ok<Uint8Array>(cs.release_commitment_secret(idx), "secret");
            assert.equal(hex(keys.perCommitmentSecret(n)), hex(secret), `n=${n}`);
          }
        }
      });
    }
  }

  test("starting time changes neither node id nor channel keys (only the RNG and generated ids)", () => {
    const seed = seeds[1]!;
    const a = ldkKeyDeriver(seed, 1n, 0);
    const b = ldkKeyDeriver(seed, 99n, 42);
    assert.equal(hex(a.nodeId()), hex(b.nodeId()));
    const id = channelKeysIds[1]!;
    assert.equal(
      hex(a.channelKeys({ channelKeysId: id }).basepoints.fundingPubkey),
      hex(b.channelKeys({ channelKeysId: id }).basepoints.fundingPubkey),
    );
    assert.notEqual(hex(a.channelKeysId(0, 1n)), hex(b.channelKeysId(0, 1n)));
  });
});
