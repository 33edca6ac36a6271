/**
 * The main-thread side of the Warden host: a worker thread running a Warden Node, reached
 * synchronously (for LDK's synchronous signer callbacks) or asynchronously (for calls that may
 * wait on a human). Errors come back typed: a policy refusal is a PolicyError with its rule ids.
 */
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import { reviveError } from "../../signer/serialized-error.js";
import type { HostError, HostOp, HostResponse, HostSpec } from "./host-protocol.js";

/** How long a synchronous call may wait for the host before it fails. */
const SYNC_TIMEOUT_MS = 60_000;
/** Polls of the reply port before the calling thread sleeps on the shared flag. */
const SPIN_POLLS = Number(process.env["WARDEN_LDK_SPIN_POLLS"] ?? 2000);

/** A running Warden host (one Node) and the two ways to call it. */
export class WardenHost {
  readonly #worker: Worker;
  readonly #sync: MessagePort;
  readonly #async: MessagePort;
  readonly #flag: Int32Array;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  #nextId = 1;
  #closed = false;
  /** Number of synchronous calls made, and the milliseconds spent waiting on them (benchmarks). */
  syncCalls = 0;
  syncWaitMs = 0;
  /** Synchronous calls by operation (channel calls by method). */
  readonly callsByOp = new Map<string, number>();

  private constructor(worker: Worker, sync: MessagePort, async: MessagePort, flag: Int32Array) {
    this.#worker = worker;
    this.#sync = sync;
    this.#async = async;
    this.#flag = flag;
    async.on("message", (r: HostResponse) => {
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(reviveError(r.error));
    });
  }

  /** Starts a host for `spec` and resolves once its Node is open. */
  static async start(spec: HostSpec): Promise<WardenHost> {
    const sync = new MessageChannel();
    const async = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    const worker = new Worker(new URL("./host.js", import.meta.url), {
      workerData: { spec, sync: sync.port2, async: async.port2, flag },
      transferList: [sync.port2, async.port2],
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: boolean; fatal?: HostError }): void => {
        async.port1.off("message", onMessage);
        if (m.fatal !== undefined) reject(reviveError(m.fatal));
        else resolve();
      };
      async.port1.on("message", onMessage);
      worker.once("error", reject);
    });
    return new WardenHost(worker, sync.port1, async.port1, new Int32Array(flag));
  }

  /**
   * Calls `op` and blocks this thread until the host answers: the result, or the host's error
   * rethrown typed. For LDK's synchronous callbacks.
   */
  call<T>(op: HostOp, ...args: unknown[]): T {
    if (this.#closed) throw new Error("warden host is closed");
    const id = this.#nextId++;
    this.syncCalls++;
    const name = op === "channel" ? String(args[1]) : op;
    this.callsByOp.set(name, (this.callsByOp.get(name) ?? 0) + 1);
    Atomics.store(this.#flag, 0, 0);
    const start = performance.now();
    this.#sync.postMessage({ id, op, args });
    const deadline = Date.now() + SYNC_TIMEOUT_MS;
    let spins = 0;
    for (;;) {
      // A short spin first: the host usually answers within microseconds, and sleeping then
      // waking this thread costs more than that on a busy machine.
      if (spins < SPIN_POLLS) spins++;
      else Atomics.wait(this.#flag, 0, 0, 50);
      const m = receiveMessageOnPort(this.#sync) as { message: HostResponse } | undefined;
      if (m !== undefined) {
        const r = m.message;
        if (r.id !== id) continue; // a late answer to a call that timed out
        this.syncWaitMs += performance.now() - start;
        if (r.ok) return r.value as T;
        throw reviveError(r.error);
      }
      if (spins >= SPIN_POLLS && Date.now() > deadline) {
        throw new Error(`warden host: ${op} timed out`);
      }
    }
  }

  /** Calls `op` without blocking (for calls that may wait, e.g. on a queued approval). */
  request<T>(op: HostOp, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("warden host is closed"));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#async.postMessage({ id, op, args });
    });
  }

  /** Closes the host's Store (every commit already done) and stops the host thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.request("closeStore");
    } catch {
      // The store is closed or the host is gone: nothing more to flush.
    }
    this.#closed = true;
    this.#sync.close();
    this.#async.close();
    await this.#worker.terminate();
  }
}
