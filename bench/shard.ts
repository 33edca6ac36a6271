/**
 * Throughput of validated updates with channels sharded over worker threads (WorkerPool):
 * C channels × R update rounds (each round the four operations of bench/signer.ts, N HTLCs),
 * all channels at once, each channel's requests in order. Through the pool each round is one
 * request (WorkerPool.round) that the worker runs as the four separately validated and
 * committed operations. The peer's inputs are computed beforehand, so the timed part is the
 * signer's work plus routing. The goal compares two workers (both cores) with the same work
 * in-process on one core; each run is a fresh child process (shard-child.ts), and the runs
 * alternate in back-to-back pairs so the machine's drifting speed hits both sides alike.
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { ChannelSetup } from "../src/state/channel-setup.js";
import { type RoundRequest, WorkerPool, type WorkerNodeSpec } from "../src/signer/worker-pool.js";
import {
  BENCH_CHAIN_HEIGHT,
  benchChannelKeys,
  benchHtlcs,
  benchKeySource,
  benchSetup,
  fundingInputs,
  type RoundInputs,
  roundInputs,
} from "./peer.js";
import { openBenchChannel, runRound } from "./signer.js";
import { Node } from "../src/signer/node.js";
import { MemoryStore } from "../src/store/memory-store.js";
import { ApproveAll } from "../src/payments/approver.js";
import { Policy } from "../src/policy/policy.js";

/** Everything one channel needs, computed before timing. */
export interface ChannelPlan {
  id: string;
  setup: ChannelSetup;
  funding: ReturnType<typeof fundingInputs>;
  /** Untimed rounds first (the workers' JIT warms up), then the timed ones. */
  warmup: RoundInputs[];
  rounds: RoundInputs[];
  /** The same rounds as worker requests (one message element per round). */
  warmupRequests: RoundRequest[];
  roundRequests: RoundRequest[];
}

/** The pool request of one round: the four operations of bench/signer.ts runRound. */
function roundRequest(r: RoundInputs): RoundRequest {
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

/** Untimed rounds per channel before timing starts. */
const WARMUP_ROUNDS = 3;

/** Figures under "shard" in the bench JSON. */
export interface ShardFigures {
  channels: number;
  roundsPerChannel: number;
  htlcs: number;
  /** Back-to-back groups of runs (one of each kind below), each run in a fresh process. */
  pairs: number;
  /**
   * Validated update rounds per second, medians over the groups. In-process, confined to one
   * core (taskset -c 0: V8's GC and compiler threads too).
   */
  oneCoreUpdatesPerSec: number;
  /** The channels sharded over two workers, both cores. */
  twoWorkersUpdatesPerSec: number;
  /** The same sharded signer (one worker, main thread and all) confined to one core. */
  poolOnOneCoreUpdatesPerSec: number;
  /** Two threads each running half the channels in-process, no messages: this machine's ceiling. */
  idealTwoThreadsUpdatesPerSec: number;
  /**
   * The goal's ratio: two workers over the best one-core run (in-process, pinned); the median
   * of the groups' ratios (each group run back to back, so a drift of the machine's speed
   * hits both alike), with the lowest and highest.
   */
  twoWorkersOverOneCore: number;
  twoWorkersOverOneCoreMin: number;
  twoWorkersOverOneCoreMax: number;
  /** The sharded signer's own scaling: two workers over itself confined to one core. */
  twoWorkersOverPoolOnOneCore: number;
  /** The ceiling: zero-coordination threads over the one-core run. */
  idealOverOneCore: number;
  goalTwoWorkersOverOneCore: number;
}

/**
 * Rounds/s of one run in a fresh child process (bench/shard-child.ts); `pin` confines it to
 * CPU 0 with taskset. Throws if the child fails (or taskset is missing).
 */
function childRun(
  mode: "in-process" | `workers:${number}` | `ideal:${number}`,
  pin: boolean,
  channels: number,
  rounds: number,
  htlcCount: number,
): number {
  const script = fileURLToPath(new URL("./shard-child.js", import.meta.url));
  const node = [
    process.execPath,
    script,
    mode,
    String(channels),
    String(rounds),
    String(htlcCount),
  ];
  const r = pin
    ? spawnSync("taskset", ["-c", "0", ...node], { encoding: "utf8" })
    : spawnSync(node[0]!, node.slice(1), { encoding: "utf8" });
  const last = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  const n = Number(last);
  if (r.status !== 0 || !Number.isFinite(n) || n <= 0) {
    throw new Error(
      `shard bench child ${mode}${pin ? " (taskset)" : ""} failed: ${r.stderr ?? r.error}`,
    );
  }
  return n;
}

const HOLDER_LABEL = "bench-holder";

export function plans(channels: number, rounds: number, htlcCount: number): ChannelPlan[] {
  const keys = benchKeySource(HOLDER_LABEL);
  return Array.from({ length: channels }, (_, i) => {
    const id = `shard-${i}`;
    const holder = keys.channelKeys(id);
    const peer = benchChannelKeys(`peer/${id}`);
    const setup = benchSetup(peer);
    const hs = benchHtlcs(htlcCount, id);
    const warmup = Array.from({ length: WARMUP_ROUNDS }, (_, r) =>
      roundInputs(setup, holder, peer, r + 1, hs),
    );
    const timed = Array.from({ length: rounds }, (_, r) =>
      roundInputs(setup, holder, peer, WARMUP_ROUNDS + r + 1, hs),
    );
    return {
      id,
      setup,
      funding: fundingInputs(setup, holder, peer),
      warmup,
      rounds: timed,
      warmupRequests: warmup.map(roundRequest),
      roundRequests: timed.map(roundRequest),
    };
  });
}

/** Opens and funds every channel through the pool (not timed). */
async function openAll(pool: WorkerPool, ps: ChannelPlan[]): Promise<void> {
  await Promise.all(
    ps.map(async (p) => {
      await pool.newChannel(p.id);
      await pool.call(p.id, "setup", p.setup);
      await pool.call(
        p.id,
        "signCounterpartyCommitment",
        p.funding.counterpartyPoint,
        p.funding.counterpartyProposal,
      );
      await pool.call(
        p.id,
        "validateHolderCommitment",
        p.funding.holderProposal,
        p.funding.holderSigs,
      );
    }),
  );
}

/**
 * Every channel runs its rounds (in order), all channels at once, through the pool: one round
 * request per round, which the worker runs as the four separately validated and committed
 * operations (WorkerPool.round).
 */
async function poolRounds(
  pool: WorkerPool,
  ps: ChannelPlan[],
  which: (p: ChannelPlan) => RoundRequest[],
): Promise<void> {
  await Promise.all(
    ps.map(async (p) => {
      for (const r of which(p)) await pool.round(p.id, r);
    }),
  );
}

/** Rounds per second over `workers` workers. */
export async function throughput(workers: number, ps: ChannelPlan[]): Promise<number> {
  const spec: WorkerNodeSpec = {
    keyModule: new URL("./peer.js", import.meta.url).href,
    keyExport: "benchKeySource",
    keyArgs: [HOLDER_LABEL],
    chainHeight: BENCH_CHAIN_HEIGHT,
    approver: "approve-all",
  };
  const pool = await WorkerPool.start(spec, workers);
  try {
    await openAll(pool, ps);
    await poolRounds(pool, ps, (p) => p.warmupRequests);
    const t0 = performance.now();
    await poolRounds(pool, ps, (p) => p.roundRequests);
    const s = (performance.now() - t0) / 1000;
    return Math.round((ps.length * ps[0]!.rounds.length) / s);
  } finally {
    await pool.close();
  }
}

/** The same work on one in-process Node (no workers, no messages). */
export async function inProcess(ps: ChannelPlan[]): Promise<number> {
  const node = await Node.open({
    keys: benchKeySource(HOLDER_LABEL),
    store: new MemoryStore(),
    policy: new Policy(),
    chainHeight: () => BENCH_CHAIN_HEIGHT,
    // The bench's offered HTLCs are our own payments: approved, as an owner would.
    approver: new ApproveAll(),
  });
  const chans = await Promise.all(ps.map((p) => openBenchChannel(p.id, node)));
  await Promise.all(
    chans.map(async (c, i) => {
      for (const r of ps[i]!.warmup) await runRound(c.channel, r);
    }),
  );
  const t0 = performance.now();
  await Promise.all(
    chans.map(async (c, i) => {
      for (const r of ps[i]!.rounds) await runRound(c.channel, r);
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return Math.round((ps.length * ps[0]!.rounds.length) / s);
}

const median = (xs: readonly number[]): number => {
  const a = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(a.length / 2);
  return a.length % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
};

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Runs the sharding bench: `pairs` back-to-back groups of four runs (one core, two workers,
 * the pool on one core, ideal threads), each run in a fresh process.
 */
export async function benchShard(
  channels: number,
  rounds: number,
  htlcCount: number,
  pairs: number,
): Promise<ShardFigures> {
  const run = (mode: Parameters<typeof childRun>[0], pin: boolean): number =>
    childRun(mode, pin, channels, rounds, htlcCount);
  const rows: { one: number; two: number; pool1: number; ideal: number }[] = [];
  for (let i = 0; i < pairs; i++) {
    rows.push({
      one: run("in-process", true),
      two: run("workers:2", false),
      pool1: run("workers:1", true),
      ideal: run("ideal:2", false),
    });
  }
  const ratios = rows.map((r) => r.two / r.one);
  const med = (f: (r: (typeof rows)[number]) => number): number => median(rows.map(f));
  const figures: ShardFigures = {
    channels,
    roundsPerChannel: rounds,
    htlcs: htlcCount,
    pairs,
    oneCoreUpdatesPerSec: Math.round(med((r) => r.one)),
    twoWorkersUpdatesPerSec: Math.round(med((r) => r.two)),
    poolOnOneCoreUpdatesPerSec: Math.round(med((r) => r.pool1)),
    idealTwoThreadsUpdatesPerSec: Math.round(med((r) => r.ideal)),
    twoWorkersOverOneCore: round3(median(ratios)),
    twoWorkersOverOneCoreMin: round3(Math.min(...ratios)),
    twoWorkersOverOneCoreMax: round3(Math.max(...ratios)),
    twoWorkersOverPoolOnOneCore: round3(med((r) => r.two / r.pool1)),
    idealOverOneCore: round3(med((r) => r.ideal / r.one)),
    goalTwoWorkersOverOneCore: 1.8,
  };
  console.log(
    `\nsharding: ${channels} channels x ${rounds} update rounds, ${htlcCount} HTLCs (validated rounds/s, each run a fresh process)`,
  );
  console.log("  group   one core   2 workers   ratio   pool on one core   ideal 2 threads");
  rows.forEach((r, i) => {
    console.log(
      `  ${String(i + 1).padStart(5)}   ${String(Math.round(r.one)).padStart(8)}   ${String(Math.round(r.two)).padStart(9)}   ${ratios[i]!.toFixed(3)}   ${String(Math.round(r.pool1)).padStart(16)}   ${String(Math.round(r.ideal)).padStart(15)}`,
    );
  });
  console.log(
    `  2 workers / one core (in-process, pinned): median ${figures.twoWorkersOverOneCore} (min ${figures.twoWorkersOverOneCoreMin}, max ${figures.twoWorkersOverOneCoreMax}; goal >= 1.8)`,
  );
  console.log(
    `  2 workers / the pool on one core: ${figures.twoWorkersOverPoolOnOneCore}   ideal 2 threads / one core: ${figures.idealOverOneCore}`,
  );
  return figures;
}

// `node dist/bench/shard.js [groups] [rounds]`: this bench alone (64 channels, 10 HTLCs).
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await benchShard(
    64,
    Number(process.argv[3] ?? 20),
    10,
    Number(process.argv[2] ?? 5),
  );
  console.log(JSON.stringify({ shard: figures }));
}
