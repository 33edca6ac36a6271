/**
 * Child process of bench/shard.ts: the in-process sharding workload, run by a parent that pins
 * this process to one core. Prints rounds/s as its last line.
 * Usage: node shard-one-core.js CHANNELS ROUNDS HTLCS
 */
import { inProcess, plans } from "./shard.js";

const [channels, rounds, htlcs] = process.argv.slice(2).map(Number);
const ps = plans(channels ?? 64, rounds ?? 10, htlcs ?? 10);
console.log(String(await inProcess(ps)));
