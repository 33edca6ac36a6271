import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2tr, p2wpkh } from "../../src/bitcoin/outputs.js";
import { parseTx } from "../../src/bitcoin/tx.js";
import { perCommitmentPoint, perCommitmentSecret } from "../../src/bolt3/per-commitment-secret.js";
import { sha256d } from "../../src/crypto/hash.js";
import { ecdsaVerify, publicKey, taprootOutputKey } from "../../src/crypto/secp256k1.js";
import { clnKeyDeriver } from "../../src/keys/index.js";
import { bytesToHex, hexToBytes } from "../../src/util/bytes.js";
import { Cursor, type GoldenMsg, goldenDir, hsmSecret, loadSession, pairs } from "./golden.js";

const nodes = JSON.parse(readFileSync(new URL("nodes.json", goldenDir), "utf8")) as Record<
  "A" | "B",
  { node_id: string; hsm_secret_hex: string }
>;
const hex = bytesToHex;

/**
 * CLN's sign_hash (bitcoin/signature.c): RFC 6979 with 32 bytes of extra entropy whose first
 * u32 (little-endian) counts 0, 1, 2... until R is low. Unlike Bitcoin Core, the FIRST attempt
 * already passes 32 zero bytes (not "no extra data"), so the nonce differs from Core's grind.
 */
function clnSignHash(msg32: Uint8Array, secret: Uint8Array): Uint8Array {
  for (let i = 0; ; i++) {
    const extraEntropy = new Uint8Array(32);
    new DataView(extraEntropy.buffer).setUint32(0, i, true);
    const sig = secp256k1.sign(msg32, secret, { prehash: false, extraEntropy, format: "compact" });
    if (sig[0]! < 0x80) return sig;
  }
}

describe("CLN hsmd derivation against golden v26.06.6 sessions", () => {
  for (const node of ["A", "B"] as const) {
    const deriver = clnKeyDeriver(hsmSecret(node));

    test(`${node}: node id from hsm_secret matches nodes.json`, () => {
      assert.equal(nodes[node].hsm_secret_hex, hex(hsmSecret(node)));
      assert.equal(hex(deriver.nodeId()), nodes[node].node_id);
      assert.equal(hex(publicKey(deriver.nodeSecret())), nodes[node].node_id);
    });

    for (const scenario of ["scenario1", "scenario2"]) {
      const msgs = loadSession(scenario, node);

      test(`${node}/${scenario}: hsmd_init_reply node id, bip32 xpub (m/0/0) and bolt12 key`, () => {
        const inits = pairs(msgs, 11);
        assert.ok(inits.length >= 1);
        for (const [req, rep] of inits) {
          const rq = new Cursor(req.bytes);
          assert.equal(rq.u16(), 11);
          const pubVersion = rq.u32();
          rq.u32(); // private version
          const c = new Cursor(rep.bytes);
          assert.equal(c.u16(), 114);
          c.u32(); // hsm_version
          const ncaps = c.u16();
          c.take(4 * ncaps);
          assert.equal(hex(c.take(33)), hex(deriver.nodeId()));
          const xpub = c.take(78);
          assert.equal(hex(xpub), hex(deriver.walletRoot().publicBytes(pubVersion)));
          assert.equal(hex(c.take(33)), hex(publicKey(deriver.bolt12BaseSecret())));
          assert.equal(deriver.bip86Base(), null); // 32-byte secret: no bip86_base TLV
        }
      });

      test(`${node}/${scenario}: hsmd_check_pubkey wallet keys m/0/0/k`, () => {
        const checks = pairs(msgs, 28);
        assert.ok(checks.length > 10);
        for (const [req, rep] of checks) {
          assert.equal(hex(rep.bytes), "008001");
          const c = new Cursor(req.bytes);
          c.u16();
          const index = c.u32();
          assert.equal(hex(deriver.walletKey(index).publicKey), hex(c.take(33)), `index ${index}`);
        }
      });

      test(`${node}/${scenario}: hsmd_derive_secret replies`, () => {
        const ds = pairs(msgs, 27);
        assert.ok(ds.length > 0);
        for (const [req, rep] of ds) {
          const c = new Cursor(req.bytes);
          c.u16();
          const info = c.take(c.u16());
          assert.equal(hex(deriver.deriveSecret(info)), hex(rep.bytes.subarray(2)));
        }
      });

      test(`${node}/${scenario}: hsmd_get_channel_basepoints reply byte for byte`, () => {
        const bps = pairs(msgs, 10);
        assert.ok(bps.length >= 1);
        for (const [req, rep] of bps) {
          const c = new Cursor(req.bytes);
          c.u16();
          const peerId = c.take(33).slice();
          const dbid = c.u64();
          const b = deriver.channelKeys({ peerId, dbid }).basepoints;
          // reply: type, basepoints (revocation, payment, htlc, delayed_payment), funding_pubkey
          const expected =
            "006e" +
            hex(b.revocationBasepoint) +
            hex(b.paymentBasepoint) +
            hex(b.htlcBasepoint) +
            hex(b.delayedPaymentBasepoint) +
            hex(b.fundingPubkey);
          assert.equal(hex(rep.bytes), expected);
        }
      });

      test(`${node}/${scenario}: hsmd_get_per_commitment_point replies (shaseed, index 2^48-1-n)`, () => {
        const pcs = pairs(msgs, 18);
        assert.ok(pcs.length >= 2);
        for (const [req, rep] of pcs) {
          assert.ok(req.conn.peer_id !== null);
          const keys = deriver.channelKeys({
            peerId: hexToBytes(req.conn.peer_id),
            dbid: BigInt(req.conn.dbid),
          });
          const c = new Cursor(req.bytes);
          c.u16();
          const n = Number(c.u64());
          const r = new Cursor(rep.bytes);
          r.u16();
          const point = hex(r.take(33));
          assert.equal(hex(keys.perCommitmentPoint(n)), point, `n=${n}`);
          assert.equal(hex(perCommitmentPoint(perCommitmentSecret(keys.commitmentSeed, n))), point);
          assert.equal(r.u8(), 0); // no old_commitment_secret since HSM_VERSION 6
        }
      });

      test(`${node}/${scenario}: node_announcement signature reproduced with the node secret`, () => {
        const anns = pairs(msgs, 6);
        assert.ok(anns.length >= 1);
        for (const [req, rep] of anns) {
          const c = new Cursor(req.bytes);
          c.u16();
          const ann = c.take(c.u16());
          // BOLT 7: signature over double-SHA256 of the message after the type and signature.
          const h = sha256d(ann.subarray(66));
          const sig = rep.bytes.subarray(2);
          assert.ok(ecdsaVerify(sig, h, deriver.nodeId()));
          assert.equal(hex(clnSignHash(h, deriver.nodeSecret())), hex(sig));
        }
      });
    }
  }

  for (const scenario of ["scenario1", "scenario2"]) {
    test(`${scenario}: A's hsmd_setup_channel remote basepoints are B's derived keys`, () => {
      const a = loadSession(scenario, "A");
      const b = loadSession(scenario, "B");
      const bReq = pairs(b, 10)[0]![0];
      const bc = new Cursor(bReq.bytes);
      bc.u16();
      const bKeys = clnKeyDeriver(hsmSecret("B")).channelKeys({
        peerId: bc.take(33).slice(),
        dbid: bc.u64(),
      }).basepoints;
      const setup = a.find((m: GoldenMsg) => m.type === 31);
      assert.ok(setup !== undefined);
      const c = new Cursor(setup.bytes);
      c.u16();
      c.u8(); // is_outbound
      c.take(8 + 8 + 32 + 2 + 2); // value, push, txid, txout, to_self_delay
      c.take(c.u16()); // local_shutdown_script
      if (c.u8() === 1) c.u32(); // ?local_shutdown_wallet_index
      assert.equal(hex(c.take(33)), hex(bKeys.revocationBasepoint));
      assert.equal(hex(c.take(33)), hex(bKeys.paymentBasepoint));
      assert.equal(hex(c.take(33)), hex(bKeys.htlcBasepoint));
      assert.equal(hex(c.take(33)), hex(bKeys.delayedPaymentBasepoint));
      assert.equal(hex(c.take(33)), hex(bKeys.fundingPubkey));
    });

    test(`${scenario}: funding tx spends A's wallet keys (P2WPKH and BIP 86-tweaked P2TR of m/0/0/k)`, () => {
      const info = JSON.parse(
        readFileSync(new URL(`${scenario}/info.json`, goldenDir), "utf8"),
      ) as {
        fundchannel: { tx: string };
      };
      const chain = JSON.parse(
        readFileSync(new URL(`${scenario}/chain-txs.json`, goldenDir), "utf8"),
      ) as { confirmed: Array<{ txid: string; hex: string }> };
      const funding = parseTx(hexToBytes(info.fundchannel.tx));
      const a = clnKeyDeriver(hsmSecret("A"));
      const walletScripts = new Map<string, string>();
      for (let k = 0; k < 8; k++) {
        const pub = a.walletKey(k).publicKey;
        walletScripts.set(hex(p2wpkh(pub)), `p2wpkh/${k}`);
        walletScripts.set(hex(p2tr(taprootOutputKey(pub.subarray(1)).xonly)), `p2tr/${k}`);
      }
      const kinds: string[] = [];
      for (const input of funding.inputs) {
        const prevTxid = hex(Uint8Array.from(input.prevout.txid).reverse());
        const prev = chain.confirmed.find((t) => t.txid === prevTxid);
        assert.ok(prev !== undefined, "previous tx on chain");
        const script = hex(parseTx(hexToBytes(prev.hex)).outputs[input.prevout.vout]!.script);
        const kind = walletScripts.get(script);
        assert.ok(kind !== undefined, `input script ${script} is one of A's wallet keys`);
        kinds.push(kind.split("/")[0]!);
      }
      assert.deepEqual(kinds.sort(), ["p2tr", "p2wpkh"]);
    });
  }
});
