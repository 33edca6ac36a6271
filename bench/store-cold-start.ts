/**
 * Child process of bench/store.ts: opens a Node over an existing store and prints one JSON line
 * with the cold-start time, its CPU time and the process's RSS. A process of its own, so the
 * RSS is the signer's and nothing else's.
 *
 * argv: `sqlite <file> <label> <channels>` or `postgres <url> <schema> <label> <channels>`.
 */
import { performance } from "node:perf_hooks";
import { Node } from "../src/signer/node.js";
import { PgStore } from "../src/store/pg-store.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import type { Store } from "../src/store/store.js";
import { testKeySource } from "../test/signer/harness.js";

const args = process.argv.slice(2);
const backend = args[0];
const [label, expected] = backend === "postgres" ? args.slice(3) : args.slice(2);
const rssBefore = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const store: Store =
  backend === "postgres"
    ? await PgStore.open(args[1]!, { schema: args[2]! })
    : SqliteStore.open(args[1]!);
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
    backend,
    channels: count,
    coldStartMs: Math.round(ms),
    // CPU time of this process: on a shared machine the wall time also holds waiting for a core.
    coldStartCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    rssMiB: Math.round(mem.rss / 2 ** 20),
    heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    rssBeforeMiB: Math.round(rssBefore / 2 ** 20),
  }),
);
await store.close();
