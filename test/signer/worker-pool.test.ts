/**
 * WorkerPool: requests reach the worker hosting their channel, one channel's requests run in
 * the order they were made (rounds included), and refusals come back as the same typed errors.
 * Two workers, a few channels, no HTLCs: fast.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  benchChannelKeys,
  benchKeySource,
  benchSetup,
  fundingInputs,
  roundInputs,
  type RoundInputs,
} from "../../bench/peer.js";
import { PolicyError } from "../../src/policy/errors.js";
import { channelShardHash, type RoundRequest, WorkerPool } from "../../src/signer/worker-pool.js";
import { StateError } from "../../src/state/errors.js";

const LABEL = "pool-test";

function request(r: RoundInputs): RoundRequest {
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

function plan(id: string): {
  setup: ReturnType<typeof benchSetup>;
  funding: ReturnType<typeof fundingInputs>;
  round: (n: number) => RoundInputs;
} {
  const holder = benchKeySource(LABEL).channelKeys(id);
  const peer = benchChannelKeys(`peer/${id}`);
  const setup = benchSetup(peer);
  return {
    setup,
    funding: fundingInputs(setup, holder, peer),
    round: (n) => roundInputs(setup, holder, peer, n, []),
  };
}

describe("WorkerPool", () => {
  let pool: WorkerPool;

  before(async () => {
    pool = await WorkerPool.start(
      {
        keyModule: new URL("../../bench/peer.js", import.meta.url).href,
        keyExport: "benchKeySource",
        keyArgs: [LABEL],
        chainHeight: 800_000,
      },
      2,
    );
  });

  after(async () => {
    await pool.close();
  });

  test("routes each channel to the worker its id hashes to", async () => {
    const ids = ["a", "b", "c", "d", "e", "f"];
    const shards = new Set(ids.map((id) => pool.shardOf(id)));
    assert.equal(shards.size, 2, "the ids cover both workers");
    for (const id of ids) assert.equal(pool.shardOf(id), channelShardHash(id) % pool.size);
    // A channel exists only on its own worker: every call below would fail elsewhere.
    await Promise.all(ids.map((id) => pool.newChannel(id)));
    const points = await Promise.all(ids.map((id) => pool.call(id, "getPerCommitmentPoint", 0)));
    for (let i = 0; i < ids.length; i++) {
      assert.deepEqual(
        Buffer.from(points[i]!),
        Buffer.from(benchKeySource(LABEL).channelKeys(ids[i]!).perCommitmentPoint(0)),
      );
    }
  });

  test("runs one channel's requests in the order they were made", async () => {
    const id = "ordered";
    const p = plan(id);
    // Nothing is awaited in between: each request is only valid after the one before it.
    const results = await Promise.all([
      pool.newChannel(id),
      pool.call(id, "setup", p.setup),
      pool.call(
        id,
        "signCounterpartyCommitment",
        p.funding.counterpartyPoint,
        p.funding.counterpartyProposal,
      ),
      pool.call(id, "validateHolderCommitment", p.funding.holderProposal, p.funding.holderSigs),
      pool.round(id, request(p.round(1))),
      pool.round(id, request(p.round(2))),
      pool.call(id, "revokeHolderCommitment", 1),
      pool.round(id, request(p.round(3))),
    ]);
    const last = results[7] as Awaited<ReturnType<WorkerPool["round"]>>;
    assert.equal(last.counterpartySignatures.signature.length, 64);
    assert.deepEqual(
      Buffer.from(last.holderSecret),
      Buffer.from(benchKeySource(LABEL).channelKeys(id).perCommitmentSecret(2)),
    );
  });

  test("returns typed errors: StateError with its code, PolicyError with its rule ids", async () => {
    await assert.rejects(pool.call("no-such-channel", "getPerCommitmentPoint", 0), (e) => {
      assert.ok(e instanceof StateError);
      assert.equal(e.code, "state/unknown-channel");
      return true;
    });
    const id = "refused";
    const p = plan(id);
    await pool.newChannel(id);
    await pool.call(id, "setup", p.setup);
    await pool.call(
      id,
      "signCounterpartyCommitment",
      p.funding.counterpartyPoint,
      p.funding.counterpartyProposal,
    );
    await pool.call(id, "validateHolderCommitment", p.funding.holderProposal, p.funding.holderSigs);
    // Revoking commitment 0 before commitment 1 was validated: a policy refusal.
    await assert.rejects(pool.call(id, "revokeHolderCommitment", 0), (e) => {
      assert.ok(e instanceof PolicyError);
      assert.deepEqual(
        e.violations.map((v) => v.ruleId),
        ["policy-revoke-new-commitment-signed"],
      );
      return true;
    });
    // A round whose revocation secret is wrong stops at that step with the rule id.
    const bad = request(p.round(1));
    bad.counterpartySecret = new Uint8Array(32).fill(1);
    await assert.rejects(pool.round(id, bad), (e) => {
      assert.ok(e instanceof PolicyError);
      assert.ok(e.violations.some((v) => v.ruleId === "policy-revocation-secret-matches"));
      return true;
    });
  });
});
