/**
 * Child process of bench/shard.ts: one sharding run in a fresh process, so every run starts
 * alike (no heap or JIT state carried over from other runs). Prints rounds/s as its last line.
 * Usage: node shard-child.js MODE CHANNELS ROUNDS HTLCS, MODE = in-process | workers:N
 * (the parent pins an in-process run to one core with taskset).
 */
import { inProcess, plans, throughput } from "./shard.js";

const [mode, ...rest] = process.argv.slice(2);
const [channels, rounds, htlcs] = rest.map(Number);
const ps = plans(channels ?? 64, rounds ?? 20, htlcs ?? 10);
const workers = mode?.startsWith("workers:") === true ? Number(mode.slice(8)) : 0;
console.log(String(workers > 0 ? await throughput(workers, ps) : await inProcess(ps)));
