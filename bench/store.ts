/**
 * Store figures for `npm run bench` (key "store"):
 *  - commit latency p50/p99 per backend: one channel-state record (a real channel's encoded
 *    state after funding and two update rounds) rewritten with version compare-and-swap, as
 *    every signer operation does — memory, SQLite (WAL, synchronous=FULL, fsync'd), PostgreSQL
 *    (a throwaway local cluster with fsync on; "unavailable" with the reason if none can be
 *    started) and a replicated store over two SQLite files and memory;
 *  - cold start of a node with many channels (100 000): Node.open over a SQLite store, timed
 *    in a child process that also reports its RSS. The channel records are copies of the real
 *    channel's state under distinct ids (writing 100 000 setups would only slow the bench).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { encodeState } from "../src/state/codec.js";
import { MemoryStore } from "../src/store/memory-store.js";
import { PgStore } from "../src/store/pg-store.js";
import { ReplicatedStore } from "../src/store/replicated-store.js";
import { storeMacKey } from "../src/store/seal.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import type { Store, StoreWrite } from "../src/store/store.js";
import {
  fundChannel,
  honestRound,
  nextCounterpartyProposal,
  nextHolderProposal,
  openTestChannel,
  testNode,
} from "../test/signer/harness.js";
import { startPgCluster } from "../test/store/pg-cluster.js";

/** Commit latency of one backend, in milliseconds. */
export interface CommitLatency {
  commits: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** Everything bench/store.ts reports. */
export interface StoreFigures {
  recordBytes: number;
  commit: Record<string, CommitLatency | { unavailable: string }>;
  coldStart: Record<string, unknown>;
  goals: Record<string, boolean | null>;
}

const NODE_LABEL = "bench-store";

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A real channel's state record and the store key prefix of its node. */
async function realChannelRecord(): Promise<{
  record: Uint8Array;
  channelKey: (id: string) => string;
}> {
  const node = await testNode({ label: NODE_LABEL });
  const t = await openTestChannel(node, "template");
  await fundChannel(t);
  for (let i = 0; i < 2; i++)
    await honestRound(t, nextCounterpartyProposal(t), nextHolderProposal(t));
  return { record: encodeState(t.channel.state), channelKey: (id) => node.channelKey(id) };
}

/** Latency of `n` single-record CAS commits of `record` (after 20 warm-up commits). */
async function commitLatency(store: Store, record: Uint8Array, n: number): Promise<CommitLatency> {
  const key = `bench/${randomBytes(4).toString("hex")}`;
  let version = 0;
  const samples: number[] = [];
  for (let i = 0; i < n + 20; i++) {
    const value = record.slice();
    value[value.length - 2] = i & 0xff; // a changed state, as after an update
    const t0 = performance.now();
    [version] = (await store.commit([{ key, value, expectedVersion: version }])) as [number];
    const dt = performance.now() - t0;
    if (i >= 20) samples.push(dt);
  }
  samples.sort((a, b) => a - b);
  return {
    commits: n,
    p50Ms: round3(percentile(samples, 50)),
    p99Ms: round3(percentile(samples, 99)),
    meanMs: round3(samples.reduce((a, b) => a + b, 0) / n),
  };
}

/**
 * The disk's floor under any durable commit: one 4 KiB write + fdatasync in `dir`, p50/p99.
 * A SQLite commit (WAL, synchronous=FULL) does one such sync; its latency cannot be lower.
 */
function fsyncFloor(dir: string, n: number): CommitLatency {
  const fd = openSync(join(dir, "fsync-probe"), "w");
  const page = randomBytes(4096);
  const samples: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      writeSync(fd, page, 0, page.length, 0);
      fdatasyncSync(fd);
      samples.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
  }
  samples.sort((a, b) => a - b);
  return {
    commits: n,
    p50Ms: round3(percentile(samples, 50)),
    p99Ms: round3(percentile(samples, 99)),
    meanMs: round3(samples.reduce((a, b) => a + b, 0) / n),
  };
}

/** Writes `channels` copies of `record` as channels c000000… of the bench node. */
async function fillChannels(
  store: Store,
  channelKey: (id: string) => string,
  record: Uint8Array,
  channels: number,
): Promise<void> {
  for (let i = 0; i < channels; i += 1000) {
    const writes: StoreWrite[] = [];
    for (let j = i; j < Math.min(channels, i + 1000); j++) {
      writes.push({
        key: channelKey(`c${String(j).padStart(6, "0")}`),
        value: record,
        expectedVersion: 0,
      });
    }
    await store.commit(writes);
  }
}

/** Runs the store bench; prints a table and returns the figures. */
export async function benchStore(channels: number, commits: number): Promise<StoreFigures> {
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-store-"));
  try {
    const { record, channelKey } = await realChannelRecord();
    const commit: StoreFigures["commit"] = {};

    commit["disk fsync floor (4 KiB + fdatasync)"] = fsyncFloor(dir, commits);
    commit["memory"] = await commitLatency(new MemoryStore(), record, commits * 4);
    const sqlite = SqliteStore.openInDataDir(join(dir, "sqlite"));
    commit["sqlite"] = await commitLatency(sqlite, record, commits * 2);
    await sqlite.close();

    try {
      const cluster = await startPgCluster({ fsync: true });
      try {
        const pg = await PgStore.open(cluster.connectionString);
        commit["postgres"] = await commitLatency(pg, record, commits);
        await pg.close();
      } finally {
        await cluster.stop();
      }
    } catch (e) {
      commit["postgres"] = { unavailable: (e as Error).message.slice(0, 300) };
    }

    const replicated = new ReplicatedStore(
      [
        { name: "sqlite-a", store: SqliteStore.openInDataDir(join(dir, "replica-a")) },
        { name: "sqlite-b", store: SqliteStore.openInDataDir(join(dir, "replica-b")) },
        { name: "memory", store: new MemoryStore() },
      ],
      { macKey: storeMacKey(randomBytes(32)) },
    );
    commit["replicated(2×sqlite+memory)"] = await commitLatency(replicated, record, commits);
    await replicated.close();

    console.log(`\nstore: commit of one ${record.length}-byte channel record (CAS)`);
    console.log("  backend                          p50 ms    p99 ms   mean ms");
    for (const [name, c] of Object.entries(commit)) {
      if ("unavailable" in c) console.log(`  ${name.padEnd(30)} unavailable: ${c.unavailable}`);
      else
        console.log(
          `  ${name.padEnd(30)} ${c.p50Ms.toFixed(3).padStart(8)}  ${c.p99Ms.toFixed(3).padStart(8)}  ${c.meanMs.toFixed(3).padStart(8)}`,
        );
    }

    // Cold start: a node with `channels` channels in one SQLite file, opened by a fresh process.
    const file = join(dir, "cold", "warden.sqlite3");
    const fill = SqliteStore.openInDataDir(join(dir, "cold"));
    const tf = performance.now();
    await fillChannels(fill, channelKey, record, channels);
    const fillMs = performance.now() - tf;
    await fill.close();
    const child = spawnSync(
      process.execPath,
      [
        fileURLToPath(new URL("./store-cold-start.js", import.meta.url)),
        file,
        NODE_LABEL,
        String(channels),
      ],
      { encoding: "utf8", timeout: 300_000 },
    );
    let coldStart: Record<string, unknown>;
    if (child.status === 0) {
      coldStart = {
        backend: "sqlite",
        ...(JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>),
        fileMiB: Math.round(statSync(file).size / 2 ** 20),
        fillMs: Math.round(fillMs),
      };
    } else {
      coldStart = {
        backend: "sqlite",
        channels,
        failed: (child.stderr || String(child.error)).slice(-500),
      };
    }
    console.log(`\nstore: cold start of a node with ${channels} channels (SQLite, child process)`);
    console.log(`  ${JSON.stringify(coldStart)}`);

    const sq = commit["sqlite"];
    const goals: StoreFigures["goals"] = {
      sqliteCommitP50AtMost1ms: "p50Ms" in sq ? sq.p50Ms <= 1 : null,
      coldStartAtMost10s:
        typeof coldStart["coldStartMs"] === "number" && channels >= 100_000
          ? coldStart["coldStartMs"] <= 10_000
          : null,
      rssAtMost1GiB:
        typeof coldStart["maxRssMiB"] === "number" && channels >= 100_000
          ? coldStart["maxRssMiB"] <= 1024
          : null,
    };
    console.log(`  goals: ${JSON.stringify(goals)}`);
    return { recordBytes: record.length, commit, coldStart, goals };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/store.js [channels] [commits]` runs this part of the bench alone.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await benchStore(
    Number(process.argv[2] ?? 100_000),
    Number(process.argv[3] ?? 500),
  );
  console.log(JSON.stringify({ store: figures }));
}
