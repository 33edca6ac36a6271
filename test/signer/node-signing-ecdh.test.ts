import assert from "node:assert/strict";
import { test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { CryptoError } from "../../src/errors.js";
import { clnKeyDeriver } from "../../src/keys/cln.js";
import { policyConfig } from "../../src/policy/config.js";
import { PolicyConfigError } from "../../src/policy/errors.js";
import { parsePolicyFilter } from "../../src/policy/filter.js";
import { Policy, type PolicyLogger } from "../../src/policy/policy.js";
import type { RuleId } from "../../src/policy/rule-ids.js";
import { Node } from "../../src/signer/node.js";
import { NodeSigner } from "../../src/signer/node-signer.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { Cursor, hsmSecret, loadSession, pairs } from "../keys/golden.js";
import { testKeySource } from "./harness.js";

const RULE = "policy-ecdh-rate";
/** The harness node secret of label "holder", derived here independently. */
const NODE_SECRET = sha256(Buffer.from("holder/node"));

/** A node whose policy logs warnings into `logged`, and its signer on a fake clock. */
async function meteredSigner(
  opts: { demote?: string[]; enabled?: boolean; limit?: number; windowMs?: number } = {},
) {
  const logged: RuleId[] = [];
  const logger: PolicyLogger = { warn: (ruleId) => void logged.push(ruleId) };
  const policy = new Policy({
    config: policyConfig({ optionalRules: { [RULE]: opts.enabled ?? true } }),
    filter: parsePolicyFilter(opts.demote ?? []),
    logger,
  });
  const node = await Node.open({ keys: testKeySource("holder"), store: new MemoryStore(), policy });
  const clock = { now: 1_000_000 };
  const signer = new NodeSigner(node, {
    clock: () => clock.now,
    ecdhRateLimit: opts.limit ?? 3,
    ecdhRateWindowMs: opts.windowMs ?? 1000,
  });
  return { node, signer, clock, logged };
}

function point(i: number): Uint8Array {
  return secp256k1.getPublicKey(sha256(Buffer.from(`remote ${i}`)), true);
}

/** BOLT 8 ECDH computed by noble: SHA256 of the compressed shared point. */
function expectedShared(pub: Uint8Array): string {
  return bytesToHex(sha256(secp256k1.getSharedSecret(NODE_SECRET, pub, true)));
}

test("ecdh: SHA256 of the compressed point nodeSecret·P, checked with noble", async () => {
  const { signer } = await meteredSigner({ limit: 1000 });
  for (let i = 0; i < 5; i++) {
    assert.equal(bytesToHex(await signer.ecdh(point(i))), expectedShared(point(i)));
  }
  await assert.rejects(signer.ecdh(new Uint8Array(33)), CryptoError);
  await assert.rejects(signer.ecdh(point(1).subarray(1)), CryptoError);
});

test("ecdh: Core Lightning hsmd golden ECDH replies, byte for byte", async () => {
  for (const name of ["A", "B"] as const) {
    const deriver = clnKeyDeriver(hsmSecret(name));
    const node = await Node.open({
      keys: {
        nodeId: () => deriver.nodeId(),
        nodeSecret: () => deriver.nodeSecret(),
        channelKeys: () => {
          throw new Error("no channels in this test");
        },
      },
      store: new MemoryStore(),
    });
    for (const scenario of ["scenario1", "scenario2"]) {
      const seen = pairs(loadSession(scenario, name), 1);
      assert.ok(seen.length > 0);
      for (const [req, rep] of seen) {
        const c = new Cursor(req.bytes);
        c.take(2);
        const r = new Cursor(rep.bytes);
        assert.equal(r.u16(), 100);
        assert.equal(bytesToHex(await node.nodeSigner.ecdh(c.take(33))), bytesToHex(r.take(32)));
      }
    }
  }
});

test("policy-ecdh-rate: one request more than the limit within the window warns (the default) and is answered", async () => {
  const { node, signer, clock, logged } = await meteredSigner({ limit: 3, windowMs: 1000 });
  assert.equal(node.policy.severityOf(RULE), "warn");
  for (let i = 0; i < 3; i++) {
    await signer.ecdh(point(i));
    clock.now += 100;
  }
  assert.deepEqual(node.policy.warnings(), {});
  // The one thing changed: a fourth request inside the same window.
  const shared = await signer.ecdh(point(3));
  assert.equal(bytesToHex(shared), expectedShared(point(3)));
  assert.deepEqual(node.policy.warnings(), { [RULE]: 1 });
  assert.deepEqual(logged, [RULE]);
  // Once the window has slid past the burst, requests are quiet again.
  clock.now += 1000;
  await signer.ecdh(point(4));
  assert.deepEqual(node.policy.warnings(), { [RULE]: 1 });
});

test("policy-ecdh-rate: the same over-rate request under a demoting filter is answered and counted", async () => {
  const { node, signer, logged } = await meteredSigner({ demote: [RULE], limit: 2 });
  assert.equal(node.policy.severityOf(RULE), "warn");
  await signer.ecdh(point(0));
  await signer.ecdh(point(1));
  assert.equal(bytesToHex(await signer.ecdh(point(2))), expectedShared(point(2)));
  assert.deepEqual(node.policy.warnings(), { [RULE]: 1 });
  assert.deepEqual(logged, [RULE]);
});

test("policy-ecdh-rate: disabled (optional rule off), an over-rate request is neither refused nor counted", async () => {
  const { node, signer } = await meteredSigner({ enabled: false, limit: 1 });
  for (let i = 0; i < 5; i++) await signer.ecdh(point(i));
  assert.deepEqual(node.policy.warnings(), {});
});

test("policy-ecdh-rate: every request past the limit in a burst is one warning; the window slides", async () => {
  const { node, signer, clock } = await meteredSigner({ limit: 5, windowMs: 1000 });
  for (let i = 0; i < 8; i++) await signer.ecdh(point(i)); // all at the same instant
  assert.deepEqual(node.policy.warnings(), { [RULE]: 3 });
  // 999 ms later the burst is still in the window, at 1000 ms it has left it.
  clock.now += 999;
  await signer.ecdh(point(9));
  assert.deepEqual(node.policy.warnings(), { [RULE]: 4 });
  clock.now += 1;
  await signer.ecdh(point(9));
  assert.deepEqual(node.policy.warnings(), { [RULE]: 4 });
});

test("ECDH rate settings are validated", async () => {
  const { node } = await meteredSigner();
  assert.throws(() => new NodeSigner(node, { ecdhRateLimit: 0 }), PolicyConfigError);
  assert.throws(() => new NodeSigner(node, { ecdhRateLimit: 1.5 }), PolicyConfigError);
  assert.throws(() => new NodeSigner(node, { ecdhRateWindowMs: 0 }), PolicyConfigError);
});
