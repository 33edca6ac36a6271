/**
 * Crash tests: the driver (driver.ts) runs in a child process on a SQLite store and is killed
 * with SIGKILL at seeded random points, then restarted on the same store, again and again
 * (WARDEN_CRASH_KILLS in all, default 200, over WARDEN_CRASH_LANES independent stores run
 * side by side, default 2). After every kill the stored state is read and checked against
 * every reply the driver had written out (protocol.ts: nothing replied is lost, no revoked
 * commitment signed for broadcast, no second secret or signature for a commitment number,
 * counterparty numbers monotone). A last run without a kill must finish, and a fresh Node on
 * the store must refuse to sign any revoked holder commitment for broadcast.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PolicyError } from "../../src/policy/errors.js";
import { Node } from "../../src/signer/node.js";
import type { ChannelState } from "../../src/state/channel-state.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { testKeySource } from "../signer/harness.js";
import { crashChannelId, CRASH_NODE_LABEL, crashPolicy } from "./driver.js";
import { prng } from "./model.js";
import { CrashChecker } from "./protocol.js";
import { readStored, runDriver } from "./run-driver.js";

const KILLS = Number(process.env.WARDEN_CRASH_KILLS ?? 200);
const LANES = Number(process.env.WARDEN_CRASH_LANES ?? 2);
const SEED = Number(process.env.WARDEN_CRASH_SEED ?? 0xc0ffee);
const CHANNELS = 3;
/** Channel 0 is force-closed after this many rounds (while the kills go on). */
const CLOSE_AT = 8;

/** The driver's environment for the SQLite store `file`. */
function sqliteEnv(file: string, seed: number): Record<string, string> {
  return {
    WARDEN_CRASH_STORE: file,
    WARDEN_CRASH_SEED: String(seed),
    WARDEN_CRASH_CHANNELS: String(CHANNELS),
    WARDEN_CRASH_CLOSE_AT: String(CLOSE_AT),
  };
}

/** Reads every crash channel's state from the SQLite store `file` (no driver running). */
async function readSqlite(file: string): Promise<(ChannelState | undefined)[]> {
  const store = SqliteStore.open(file);
  try {
    return await readStored(store, CHANNELS);
  } finally {
    await store.close();
  }
}

/** Which step each channel is at (for the spread of kill points). */
function stepOf(s: ChannelState | undefined): string {
  if (s === undefined) return "absent";
  if (s.phase === "new") return "new";
  if (s.closing !== undefined) return "closing";
  const k = s.nextCounterpartyCommitNum - 1;
  if (k < 0) return "funding";
  if (s.counterpartyRevokedThrough < k - 1) return "await-peer-revocation";
  if (s.nextHolderCommitNum < k + 1) return "await-holder-commitment";
  if (s.holderRevokedThrough < k - 1) return "await-our-revocation";
  return "round-complete";
}

/** One store's kill/restart loop; returns the checker and the kill-point spread. */
async function lane(
  lane: number,
  kills: number,
): Promise<{ checker: CrashChecker; steps: Set<string>; rounds: number }> {
  const dir = mkdtempSync(join(tmpdir(), "warden-crash-"));
  const file = join(dir, "warden.sqlite3");
  const seed = (SEED + lane * 7919) >>> 0;
  const rand = prng(seed);
  const checker = new CrashChecker();
  const steps = new Set<string>();
  try {
    let done = 0;
    let runs = 0;
    while (done < kills) {
      runs++;
      assert.ok(runs < kills * 3, `lane ${lane}: too many runs without a kill`);
      // Mostly while driving (0-120 ms after start); one in ten from the spawn (while loading).
      const fromSpawn = rand(10) === 0;
      const ms = fromSpawn ? rand(400) : rand(120);
      const r = await runDriver(sqliteEnv(file, seed), { ms, fromSpawn });
      if (!r.killed) {
        assert.fail(`lane ${lane}: the driver ended by itself (${r.code}): ${r.stderr}`);
      }
      done++;
      for (const l of r.lines) checker.line(l);
      const stored = await readSqlite(file);
      stored.forEach((s, ch) => {
        steps.add(stepOf(s));
        checker.stored(ch, s);
      });
      assert.deepEqual(checker.violations, [], `lane ${lane} after kill ${done}`);
    }
    // The last run, uninterrupted: a few more rounds, then a clean exit.
    const last = await runDriver(sqliteEnv(file, seed), undefined, 3);
    assert.equal(last.code, 0, last.stderr);
    assert.equal(last.lines.at(-1)?.t, "done");
    for (const l of last.lines) checker.line(l);
    const stored = await readSqlite(file);
    stored.forEach((s, ch) => checker.stored(ch, s));
    assert.deepEqual(checker.violations, []);

    // A fresh signer on the store refuses to broadcast any revoked holder commitment.
    const store = SqliteStore.open(file);
    const node = await Node.open({
      keys: testKeySource(CRASH_NODE_LABEL),
      store,
      policy: crashPolicy(),
      chainHeight: () => 800_000,
    });
    let rounds = 0;
    for (let i = 0; i < CHANNELS; i++) {
      const channel = node.channel(crashChannelId(i));
      const s = channel.state;
      rounds += s.nextCounterpartyCommitNum;
      for (const n of new Set([0, s.holderRevokedThrough >> 1, s.holderRevokedThrough])) {
        if (n < 0 || n > s.holderRevokedThrough) continue;
        await assert.rejects(
          channel.signHolderCommitment(n),
          (e: unknown) =>
            (e instanceof PolicyError && e.ruleId === "policy-commitment-holder-not-revoked") ||
            (e instanceof Error && /state\/closed/.test(e.message)),
        );
      }
    }
    await store.close();
    return { checker, steps, rounds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(`crash: ${KILLS} SIGKILLs of a signer driving ${CHANNELS} channels, restarted on its store`, async (t) => {
  const per = Math.ceil(KILLS / LANES);
  const results = await Promise.all(Array.from({ length: LANES }, (_, l) => lane(l, per)));
  const steps = new Set(results.flatMap((r) => [...r.steps]));
  for (const [l, r] of results.entries()) {
    t.diagnostic(
      `lane ${l}: ${per} kills, ${r.rounds} counterparty commitments, replies ${JSON.stringify(Object.fromEntries(r.checker.counts))}`,
    );
  }
  t.diagnostic(`kill points: ${[...steps].sort().join(", ")}`);
  // The kills landed in the middle of rounds, not only between them.
  for (const step of ["await-peer-revocation", "await-holder-commitment", "round-complete"]) {
    assert.ok(steps.has(step), `some kill left a channel at ${step} (saw ${[...steps]})`);
  }
  for (const r of results) {
    assert.ok(r.rounds >= 3 * CHANNELS, `the channels made progress (${r.rounds} commitments)`);
    assert.ok((r.checker.counts.get("secret") ?? 0) > 0);
    assert.ok((r.checker.counts.get("bcast") ?? 0) > 0, "channel 0 was force-closed");
    assert.ok((r.checker.counts.get("refused") ?? 0) > 0, "revoked broadcasts were refused");
  }
});

// The checks themselves: each guarantee broken once must be reported.
test("crash checker: a second signature or secret for one number is reported", () => {
  const c = new CrashChecker();
  c.line({ t: "cpsig", ch: 0, n: 3, sig: "aa" });
  c.line({ t: "cpsig", ch: 0, n: 3, sig: "aa" });
  assert.deepEqual(c.violations, []);
  c.line({ t: "cpsig", ch: 0, n: 3, sig: "bb" });
  c.line({ t: "secret", ch: 1, n: 2, secret: "01" });
  c.line({ t: "secret", ch: 1, n: 2, secret: "02" });
  assert.equal(c.violations.length, 2);
});

test("crash checker: broadcast of a revoked commitment, either order, is reported", () => {
  const a = new CrashChecker();
  a.line({ t: "secret", ch: 0, n: 4, secret: "01" });
  a.line({ t: "bcast", ch: 0, n: 4, sig: "aa" });
  const b = new CrashChecker();
  b.line({ t: "bcast", ch: 0, n: 4, sig: "aa" });
  b.line({ t: "secret", ch: 0, n: 4, secret: "01" });
  const ok = new CrashChecker();
  ok.line({ t: "secret", ch: 0, n: 3, secret: "01" });
  ok.line({ t: "bcast", ch: 0, n: 4, sig: "aa" });
  assert.equal(a.violations.length, 1);
  assert.equal(b.violations.length, 1);
  assert.deepEqual(ok.violations, []);
});

test("crash checker: a replied update missing from the store, or numbers going back, is reported", () => {
  const state = {
    nextCounterpartyCommitNum: 6,
    counterpartyRevokedThrough: 4,
    nextHolderCommitNum: 6,
    holderRevokedThrough: 4,
    holderCommitmentBroadcast: undefined,
  };
  const c = new CrashChecker();
  c.line({ t: "cpsig", ch: 0, n: 5, sig: "aa" });
  c.line({ t: "secret", ch: 0, n: 4, secret: "01" });
  c.stored(0, state);
  assert.deepEqual(c.violations, []);
  c.line({ t: "cpsig", ch: 0, n: 6, sig: "bb" });
  c.stored(0, state);
  assert.equal(c.violations.length, 1, "commitment 6 was replied but not stored");
  c.stored(0, { ...state, nextCounterpartyCommitNum: 7, holderRevokedThrough: 3 });
  assert.equal(c.violations.length, 3, "revocation 4 lost, and the stored number went back");
  c.line({ t: "cpsig", ch: 0, n: 5, sig: "aa" });
  assert.equal(c.violations.length, 4, "counterparty numbers must not go back");
});
