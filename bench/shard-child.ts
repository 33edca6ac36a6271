/**
 * Child process of bench/shard.ts: one sharding run in a fresh process, so every run starts
 * alike (no heap or JIT state carried over from other runs). Prints rounds/s as its last line.
 * Usage: node shard-child.js MODE CHANNELS ROUNDS HTLCS, where MODE is
 *   in-process   one Node on this thread (the parent pins it to one core with taskset);
 *   workers:N    the channels sharded over a WorkerPool of N workers;
 *   ideal:N      N worker threads each running its share of the channels in-process, with no
 *                messages at all: what N threads of this machine give with zero coordination.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { inProcess, plans, throughput } from "./shard.js";

interface IdealShare {
  channels: number;
  rounds: number;
  htlcs: number;
}

if (isMainThread) {
  const [mode, ...rest] = process.argv.slice(2);
  const [channels = 64, rounds = 20, htlcs = 10] = rest.map(Number);
  const n = (prefix: string): number =>
    mode?.startsWith(prefix) === true ? Number(mode.slice(prefix.length)) : 0;
  if (n("ideal:") > 0) {
    const threads = n("ideal:");
    const share: IdealShare = { channels: Math.ceil(channels / threads), rounds, htlcs };
    const ws = Array.from(
      { length: threads },
      () => new Worker(new URL(import.meta.url), { workerData: share }),
    );
    // Each thread reports the milliseconds its timed part took; the figure is all the rounds
    // over the slowest thread's time.
    const ms = await Promise.all(ws.map((w) => new Promise<number>((r) => w.once("message", r))));
    await Promise.all(ws.map((w) => w.terminate()));
    console.log(String(Math.round((threads * share.channels * rounds * 1000) / Math.max(...ms))));
  } else {
    const ps = plans(channels, rounds, htlcs);
    console.log(
      String(n("workers:") > 0 ? await throughput(n("workers:"), ps) : await inProcess(ps)),
    );
  }
} else {
  const share = workerData as IdealShare;
  const ps = plans(share.channels, share.rounds, share.htlcs);
  const perSec = await inProcess(ps);
  parentPort?.postMessage((share.channels * share.rounds * 1000) / perSec);
}
