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
  /** Back-to-back pairs of runs (one core, then two workers), each in a fresh process. */
  pairs: number;
  /** Validated update rounds per second, median over the pairs' runs. */
  oneCoreUpdatesPerSec: number;
  twoWorkersUpdatesPerSec: number;
  /** For reference: one worker, and in-process unpinned (median of its runs). */
  oneWorkerUpdatesPerSec: number;
  inProcessUpdatesPerSec: number;
  /**
   * Two workers on both cores over the in-process run confined to ONE core (taskset -c 0, so
   * V8's GC and compiler threads cannot borrow the other core): the median of the pairs'
   * ratios (each pair run back to back, so a drift of the machine's speed hits both alike),
   * with the lowest and highest pair.
   */
  twoWorkersOverOneCore: number;
  twoWorkersOverOneCoreMin: number;
  twoWorkersOverOneCoreMax: number;
  goalTwoWorkersOverOneCore: number;
}

/**
 * Rounds/s of one run in a fresh child process (bench/shard-child.ts); `pin` confines it to
 * CPU 0 with taskset. Throws if the child fails (or taskset is missing).
 */
function childRun(
  mode: "in-process" | `workers:${number}`,
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
 * Runs the sharding bench: `pairs` back-to-back pairs of runs, one core then two workers,
 * each run in a fresh process; then one-worker and in-process runs for reference.
 */
export async function benchShard(
  channels: number,
  rounds: number,
  htlcCount: number,
  pairs: number,
): Promise<ShardFigures> {
  const one: number[] = [];
  const two: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const c = childRun("in-process", true, channels, rounds, htlcCount);
    const w = childRun("workers:2", false, channels, rounds, htlcCount);
    one.push(c);
    two.push(w);
    ratios.push(w / c);
  }
  const refRuns = Math.max(1, Math.ceil(pairs / 2));
  const oneWorker: number[] = [];
  const inProc: number[] = [];
  for (let i = 0; i < refRuns; i++) {
    oneWorker.push(childRun("workers:1", false, channels, rounds, htlcCount));
    inProc.push(childRun("in-process", false, channels, rounds, htlcCount));
  }
  const figures: ShardFigures = {
    channels,
    roundsPerChannel: rounds,
    htlcs: htlcCount,
    pairs,
    oneCoreUpdatesPerSec: Math.round(median(one)),
    twoWorkersUpdatesPerSec: Math.round(median(two)),
    oneWorkerUpdatesPerSec: Math.round(median(oneWorker)),
    inProcessUpdatesPerSec: Math.round(median(inProc)),
    twoWorkersOverOneCore: round3(median(ratios)),
    twoWorkersOverOneCoreMin: round3(Math.min(...ratios)),
    twoWorkersOverOneCoreMax: round3(Math.max(...ratios)),
    goalTwoWorkersOverOneCore: 1.8,
  };
  console.log(
    `\nsharding: ${channels} channels x ${rounds} update rounds, ${htlcCount} HTLCs (validated rounds/s, each run a fresh process)`,
  );
  for (let i = 0; i < pairs; i++) {
    console.log(
      `  pair ${i + 1}: one core (in-process, taskset -c 0) ${Math.round(one[i]!)}   2 workers ${Math.round(two[i]!)}   ratio ${ratios[i]!.toFixed(3)}`,
    );
  }
  console.log(
    `  2 workers / one core: median ${figures.twoWorkersOverOneCore} (min ${figures.twoWorkersOverOneCoreMin}, max ${figures.twoWorkersOverOneCoreMax}; goal >= 1.8)`,
  );
  console.log(
    `  reference: 1 worker ${figures.oneWorkerUpdatesPerSec}   in-process unpinned ${figures.inProcessUpdatesPerSec}`,
  );
  return figures;
}
