/**
 * Child process of bench/store.ts: opens a Node over an existing SQLite store (argv: file,
 * node label, expected channel count), and prints one JSON line with the cold-start time and
 * the process's RSS. A process of its own, so the RSS is the signer's and nothing else's.
 */
import { performance } from "node:perf_hooks";
import { Node } from "../src/signer/node.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import { testKeySource } from "../test/signer/harness.js";

const [file, label, expected] = process.argv.slice(2);
const rssBefore = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const store = SqliteStore.open(file!);
const node = await Node.open({ keys: testKeySource(label!), store });
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const count = node.channelIds().length;
if (count !== Number(expected)) throw new Error(`loaded ${count} channels, expected ${expected}`);
// One channel used after the cold start: its keys are derived on demand.
const firstUse = node.channel(node.channelIds()[0]!).basepoints.fundingPubkey.length;
if (firstUse !== 33) throw new Error("bad basepoint");
const mem = process.memoryUsage();
console.log(
  JSON.stringify({
    channels: count,
    coldStartMs: Math.round(ms),
    // CPU time of the cold start: on a shared machine the wall time also holds waiting for a core.
    coldStartCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    rssMiB: Math.round(mem.rss / 2 ** 20),
    heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    rssBeforeMiB: Math.round(rssBefore / 2 ** 20),
  }),
);
await store.close();
