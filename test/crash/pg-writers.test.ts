/**
 * Several signer processes on one PostgreSQL database, driving the same channels at once:
 * writer A runs to the end while writer B is SIGKILLed at random points and restarted. Both
 * plan from their own copies, so they keep losing races (a commit that conflicts, a step the
 * other made first); the loser signs nothing, reloads and carries on. Every reply of both is
 * checked (protocol.ts): the same number never gets two signatures or secrets, no revoked
 * holder commitment is signed for broadcast, and the store covers every reply, read while the
 * other writer keeps going.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PolicyError } from "../../src/policy/errors.js";
import { Node } from "../../src/signer/node.js";
import { PgStore } from "../../src/store/pg-store.js";
import { testKeySource } from "../signer/harness.js";
import { startPgCluster } from "../store/pg-cluster.js";
import { crashChannelId, CRASH_NODE_LABEL, crashPolicy } from "./driver.js";
import { prng } from "./model.js";
import { CrashChecker } from "./protocol.js";
import { readStored, type RunResult, runDriver } from "./run-driver.js";

const CHANNELS = 3;
const ROUNDS = 30;
const KILLS = Number(process.env.WARDEN_CRASH_PG_KILLS ?? 15);

test(`postgres: two signer processes on the same channels, one SIGKILLed ${KILLS} times`, async (t) => {
  const cluster = await startPgCluster();
  const schema = "crash_writers";
  const env = {
    WARDEN_CRASH_PG_URL: cluster.connectionString,
    WARDEN_CRASH_PG_SCHEMA: schema,
    WARDEN_CRASH_SEED: "4242",
    WARDEN_CRASH_CHANNELS: String(CHANNELS),
    WARDEN_CRASH_CLOSE_AT: "6",
    WARDEN_CRASH_SHARED: "1",
  };
  const reader = await PgStore.open(cluster.connectionString, { schema });
  try {
    const all = new CrashChecker({ sequential: false });
    const b = new CrashChecker();
    const rand = prng(4242);
    const writerA = runDriver(env, undefined, ROUNDS);
    for (let k = 0; k < KILLS; k++) {
      const r = await runDriver(env, { ms: rand(150), fromSpawn: false });
      assert.ok(r.killed, `writer B ended by itself (${r.code}): ${r.stderr}`);
      for (const l of r.lines) {
        all.line(l);
        b.line(l);
      }
      // Read while writer A may be committing: stored numbers only grow, so this still holds.
      (await readStored(reader, CHANNELS)).forEach((s, ch) => all.stored(ch, s));
      assert.deepEqual(all.violations, [], `after kill ${k + 1}`);
    }
    const a: RunResult = await writerA;
    assert.equal(a.code, 0, a.stderr);
    const lastB = await runDriver(env, undefined, 2);
    assert.equal(lastB.code, 0, lastB.stderr);
    const checkA = new CrashChecker();
    for (const l of a.lines) {
      all.line(l);
      checkA.line(l);
    }
    for (const l of lastB.lines) {
      all.line(l);
      b.line(l);
    }
    (await readStored(reader, CHANNELS)).forEach((s, ch) => all.stored(ch, s));
    assert.deepEqual([...all.violations, ...checkA.violations, ...b.violations], []);
    t.diagnostic(
      `A: ${JSON.stringify(Object.fromEntries(checkA.counts))}; B: ${JSON.stringify(Object.fromEntries(b.counts))}; repeated signature replies: ${all.repeats}`,
    );
    // Both writers worked on the same commitments (and got the same bytes for them).
    assert.ok(all.repeats > 0);
    assert.ok((checkA.counts.get("cpsig") ?? 0) > 0 && (b.counts.get("cpsig") ?? 0) > 0);

    // A fresh signer on the database refuses to broadcast any revoked holder commitment.
    const node = await Node.open({
      keys: testKeySource(CRASH_NODE_LABEL),
      store: reader,
      policy: crashPolicy(),
      chainHeight: () => 800_000,
    });
    for (let i = 0; i < CHANNELS; i++) {
      const s = node.channel(crashChannelId(i)).state;
      assert.ok(s.nextCounterpartyCommitNum > ROUNDS || s.closing !== undefined);
      if (s.holderRevokedThrough < 0 || s.phase === "closed") continue;
      await assert.rejects(
        node.channel(crashChannelId(i)).signHolderCommitment(s.holderRevokedThrough),
        (e: unknown) =>
          e instanceof PolicyError && e.ruleId === "policy-commitment-holder-not-revoked",
      );
    }
  } finally {
    await reader.close();
    await cluster.stop();
  }
});
