/**
 * Throughput of validated updates with channels sharded over worker threads (WorkerPool):
 * C channels × R update rounds (each round the four operations of bench/signer.ts, N HTLCs),
 * all channels at once, each channel's requests in order. Through the pool each round is one
 * request (WorkerPool.round) that the worker runs as the four separately validated and
 * committed operations. The peer's inputs are computed beforehand, so the timed part is the
 * signer's work plus routing. Reported for 1 and 2 workers with the same workload in the same
 * run (and in-process, no workers, for reference) with the 2-worker / 1-worker ratio.
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
  /** Validated update rounds per second. */
  inProcessUpdatesPerSec: number;
  oneWorkerUpdatesPerSec: number;
  twoWorkersUpdatesPerSec: number;
  twoOverOne: number;
  /**
   * The in-process run in a child process confined to ONE core (taskset -c 0), so V8's GC and
   * compiler threads cannot borrow the second core; undefined where taskset is missing.
   */
  oneCoreUpdatesPerSec: number | undefined;
  /** twoWorkersUpdatesPerSec / oneCoreUpdatesPerSec: "throughput on both cores vs one core". */
  twoWorkersOverOneCore: number | undefined;
  goalTwoOverOne: number;
}

/** Rounds/s of the in-process run pinned to CPU 0 in a child process, or undefined. */
function oneCore(channels: number, rounds: number, htlcCount: number): number | undefined {
  const script = fileURLToPath(new URL("./shard-one-core.js", import.meta.url));
  const r = spawnSync(
    "taskset",
    ["-c", "0", process.execPath, script, String(channels), String(rounds), String(htlcCount)],
    { encoding: "utf8" },
  );
  if (r.status !== 0) return undefined;
  const last = r.stdout.trim().split("\n").pop() ?? "";
  const n = Number(last);
  return Number.isFinite(n) && n > 0 ? n : undefined;
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
async function throughput(workers: number, ps: ChannelPlan[]): Promise<number> {
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

/** Runs the sharding bench; each figure is the best of `repeats` runs. */
export async function benchShard(
  channels: number,
  rounds: number,
  htlcCount: number,
  repeats: number,
): Promise<ShardFigures> {
  const ps = plans(channels, rounds, htlcCount);
  let inProc = 0;
  let one = 0;
  let two = 0;
  let single: number | undefined;
  for (let i = 0; i < repeats; i++) {
    const c = oneCore(channels, rounds, htlcCount);
    if (c !== undefined) single = Math.max(single ?? 0, c);
    inProc = Math.max(inProc, await inProcess(ps));
    one = Math.max(one, await throughput(1, ps));
    two = Math.max(two, await throughput(2, ps));
  }
  const ratio = Math.round((two / one) * 1000) / 1000;
  console.log(
    `\nsharding: ${channels} channels x ${rounds} update rounds, ${htlcCount} HTLCs (validated rounds/s)`,
  );
  const overCore = single === undefined ? undefined : Math.round((two / single) * 1000) / 1000;
  console.log(`  in-process ${inProc}   1 worker ${one}   2 workers ${two}   2/1 = ${ratio}`);
  console.log(
    `  one core (in-process, pinned to CPU 0) ${single ?? "n/a"}   2 workers / one core = ${overCore ?? "n/a"}`,
  );
  return {
    channels,
    roundsPerChannel: rounds,
    htlcs: htlcCount,
    inProcessUpdatesPerSec: inProc,
    oneWorkerUpdatesPerSec: one,
    twoWorkersUpdatesPerSec: two,
    twoOverOne: ratio,
    oneCoreUpdatesPerSec: single,
    twoWorkersOverOneCore: overCore,
    goalTwoOverOne: 1.8,
  };
}
