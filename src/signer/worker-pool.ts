/**
 * Channel sharding over worker threads. Channels are independent (own state, own lock), so a
 * pool of N workers each hosts a Node over its own store shard and every channel lives on the
 * worker its id hashes to. Requests for one channel always go to the same worker, in the order
 * they were made, and are serialized there by the channel lock; different channels run in
 * parallel on different cores. Messages carry plain data, batched per event-loop turn in both
 * directions (order kept); errors come back as the same typed
 * errors (PolicyError with its violations, StateError, other WardenErrors by code).
 *
 * Each shard is a separate Node: node-wide state (open-channel count, forgotten ids) is per
 * shard, so a node-wide limit must be split across shards by the caller.
 */
import { Worker } from "node:worker_threads";
import { packBytes } from "../util/pack-bytes.js";
import { reviveError, type SerializedError } from "./serialized-error.js";
import {
  type ChannelMethod,
  MAX_BATCH,
  type MethodArgs,
  type MethodResult,
  type RoundRequest,
  type RoundResult,
  type WorkerNodeSpec,
  type WorkerRequest,
  type WorkerRequestBody,
  type WorkerResponse,
} from "./worker-protocol.js";

export type {
  ChannelMethod,
  RoundRequest,
  RoundResult,
  WorkerNodeSpec,
} from "./worker-protocol.js";

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** FNV-1a 32-bit hash of a channel id (stable across processes and runs). */
export function channelShardHash(channelId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < channelId.length; i++) {
    h ^= channelId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One worker and its in-flight requests. */
class Shard {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  #queue: WorkerRequest[] = [];
  #nextId = 1;

  constructor(worker: Worker) {
    this.worker = worker;
    worker.on("message", (batch: WorkerResponse[]) => {
      for (const m of batch) {
        const p = this.pending.get(m.id);
        if (p === undefined) continue;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(reviveError(m.error));
      }
    });
    worker.on("error", (e) => this.#failAll(e));
    worker.on("exit", (code) => this.#failAll(new Error(`worker exited with code ${code}`)));
  }

  /**
   * Queues a request; the queue goes out as one message once the current turn of the event
   * loop is over or MAX_BATCH requests wait (many channels awaiting at once then cost a few
   * messages, not one each).
   */
  send(req: WorkerRequestBody): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.#queue.push({ ...req, id });
      if (this.#queue.length === 1) setImmediate(() => this.#flush());
      else if (this.#queue.length >= MAX_BATCH) this.#flush();
    });
  }

  #flush(): void {
    if (this.#queue.length === 0) return;
    const batch = packBytes(this.#queue);
    this.#queue = [];
    this.worker.postMessage(batch.value, batch.buffer === undefined ? [] : [batch.buffer]);
  }

  #failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/** A pool of worker threads hosting channel shards. */
export class WorkerPool {
  readonly #shards: Shard[];

  private constructor(shards: Shard[]) {
    this.#shards = shards;
  }

  /** Starts `workers` worker threads, each opening a Node from `spec` over its own store. */
  static async start(spec: WorkerNodeSpec, workers: number): Promise<WorkerPool> {
    if (!Number.isSafeInteger(workers) || workers < 1) {
      throw new RangeError("a worker pool needs at least one worker");
    }
    const url = new URL("./worker-host.js", import.meta.url);
    const shards = await Promise.all(
      Array.from({ length: workers }, async () => {
        const worker = new Worker(url, { workerData: spec });
        await new Promise<void>((resolve, reject) => {
          const onMessage = (m: { ready?: boolean; fatal?: SerializedError }): void => {
            worker.off("message", onMessage);
            if (m.fatal !== undefined) reject(reviveError(m.fatal));
            else resolve();
          };
          worker.on("message", onMessage);
          worker.once("error", reject);
        });
        return new Shard(worker);
      }),
    );
    return new WorkerPool(shards);
  }

  /** Number of workers. */
  get size(): number {
    return this.#shards.length;
  }

  /** Index of the worker hosting channel `channelId`. */
  shardOf(channelId: string): number {
    return channelShardHash(channelId) % this.#shards.length;
  }

  /** Creates channel `channelId` on its worker (Node.newChannel). */
  async newChannel(channelId: string): Promise<void> {
    await this.#shards[this.shardOf(channelId)]!.send({ op: "newChannel", channelId });
  }

  /** Runs Channel method `method` of channel `channelId` on its worker. */
  async call<M extends ChannelMethod>(
    channelId: string,
    method: M,
    ...args: MethodArgs<M>
  ): Promise<MethodResult<M>> {
    const shard = this.#shards[this.shardOf(channelId)]!;
    return (await shard.send({ op: "call", channelId, method, args })) as MethodResult<M>;
  }

  /**
   * Runs one update round of channel `channelId` on its worker in a single request: the four
   * operations of RoundRequest, each validated and committed on its own, in order. Rejects
   * with the typed error of the first refused step (the later steps did not run).
   */
  async round(channelId: string, round: RoundRequest): Promise<RoundResult> {
    const shard = this.#shards[this.shardOf(channelId)]!;
    return (await shard.send({ op: "round", channelId, round })) as RoundResult;
  }

  /** Stops every worker (in-flight requests are rejected). */
  async close(): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.worker.terminate()));
  }
}
