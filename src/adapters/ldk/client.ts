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
import type { HostError, HostOp, HostRequest, HostResponse, HostSpec } from "./host-protocol.js";
import { HOST_DEAD, SYNC_DONE, SYNC_WORDS_BYTES } from "./host-protocol.js";
import { WardenError } from "../../errors.js";

/** How long a synchronous call may wait for the host before it fails. */
const SYNC_TIMEOUT_MS = 60_000;
/**
 * How long (ms) a blocked call polls the shared word before the calling thread sleeps on it:
 * the host usually answers well within this, and a sleeping thread wakes up late.
 */
const SPIN_MS = Number(process.env["WARDEN_LDK_CALL_SPIN_MS"] ?? 2);

/** Whether sync-port sequence number `done` is at or past `id` (int32, wrapping). */
function reached(done: number, id: number): boolean {
  return ((done - id) | 0) >= 0;
}

/** A running Warden host (one Node) and the ways to call it. */
export class WardenHost {
  readonly #worker: Worker;
  readonly #sync: MessagePort;
  readonly #async: MessagePort;
  readonly #flag: Int32Array;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  /** Pipelined requests not known finished yet (id → what to do if it was refused). */
  readonly #posted = new Map<number, (error: unknown) => void>();
  /** Ordered requests (sync port, not waited for) whose answer was not read yet. */
  readonly #ordered = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  #nextId = 1;
  /** Sync-port sequence: the id of the last request sent on it (int32, wrapping). */
  #syncSeq = 0;
  #closed = false;
  /** Why the host thread stopped, once it did: every call fails with it. */
  #dead: WardenError | undefined;
  /** Number of synchronous calls made, and the milliseconds spent waiting on them (benchmarks). */
  syncCalls = 0;
  syncWaitMs = 0;
  /** Pipelined requests sent. */
  postedCalls = 0;
  /** Synchronous and pipelined calls by operation (channel calls by method). */
  readonly callsByOp = new Map<string, number>();

  private constructor(worker: Worker, sync: MessagePort, async: MessagePort, flag: Int32Array) {
    this.#worker = worker;
    this.#sync = sync;
    this.#async = async;
    this.#flag = flag;
    // Answers nobody blocks on (ordered requests, refused pipelined ones) arrive here when no
    // synchronous call reads them first (receiveMessageOnPort takes them before this fires).
    sync.on("message", (r: HostResponse) => this.#settleAnswer(r));
    worker.on("error", (e: unknown) =>
      this.#fail(`the host thread failed: ${e instanceof Error ? e.message : String(e)}`),
    );
    worker.on("exit", (code) => this.#fail(`the host thread exited (code ${code})`));
    async.on("message", (r: HostResponse | { fatal: HostError }) => {
      if ("fatal" in r) {
        this.#fail(`the host stopped: ${reviveError(r.fatal).message}`);
        return;
      }
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(reviveError(r.error));
    });
  }

  /**
   * The host thread stopped (crash, exit, termination): every waiting request is rejected,
   * every pipelined one reported as failed (its outcome unknown), and later calls throw.
   */
  #fail(why: string): void {
    if (this.#dead !== undefined || this.#closed) return;
    const dead = new WardenError("ldk/host-dead", why);
    this.#dead = dead;
    for (const p of [...this.#pending.values(), ...this.#ordered.values()]) p.reject(dead);
    this.#pending.clear();
    this.#ordered.clear();
    const posted = [...this.#posted.values()];
    this.#posted.clear();
    for (const onFailure of posted) onFailure(dead);
  }

  /** The host thread, for supervision (its resource use; termination). */
  get worker(): Worker {
    return this.#worker;
  }

  /** Starts a host for `spec` and resolves once its Node is open. */
  static async start(spec: HostSpec): Promise<WardenHost> {
    const sync = new MessageChannel();
    const async = new MessageChannel();
    const flag = new SharedArrayBuffer(SYNC_WORDS_BYTES);
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

  #send(op: HostOp, args: unknown[], pipelined: boolean): number {
    if (this.#closed) throw new Error("warden host is closed");
    if (this.#dead !== undefined) throw this.#dead;
    const id = (this.#syncSeq = (this.#syncSeq + 1) | 0);
    const name = op === "channel" ? String(args[1]) : op;
    this.callsByOp.set(name, (this.callsByOp.get(name) ?? 0) + 1);
    const req: HostRequest = pipelined ? { id, op, args, pipelined } : { id, op, args };
    this.#sync.postMessage(req);
    return id;
  }

  /**
   * Blocks until the host finished sync-port request `id` (and so every one before it), then
   * reads the answers waiting: refusals of pipelined requests go to their onFailure; the
   * answer to `id` itself, if it was a call, is returned.
   */
  #waitFor(id: number, what: string, isCall: boolean): HostResponse | undefined {
    const spinUntil = performance.now() + SPIN_MS;
    const deadline = Date.now() + SYNC_TIMEOUT_MS;
    for (let polls = 0; ; polls++) {
      const done = Atomics.load(this.#flag, SYNC_DONE);
      if (reached(done, id)) break;
      if (Atomics.load(this.#flag, HOST_DEAD) !== 0) {
        this.#fail(`the host stopped on an unexpected error during ${what}`);
        throw this.#dead!;
      }
      // Poll first (the clock read only every 64 polls), then sleep until the host notifies.
      if ((polls & 63) !== 63 || performance.now() < spinUntil) continue;
      Atomics.wait(this.#flag, SYNC_DONE, done, 50);
      if (Date.now() > deadline) throw new Error(`warden host: ${what} timed out`);
    }
    let own: HostResponse | undefined;
    for (;;) {
      const m = receiveMessageOnPort(this.#sync) as { message: HostResponse } | undefined;
      if (m === undefined) break;
      const r = m.message;
      if (isCall && r.id === id) own = r;
      else this.#settleAnswer(r);
    }
    // Every pipelined request up to `id` is finished: the refused ones were just reported.
    for (const k of this.#posted.keys()) {
      if (reached(id, k)) this.#posted.delete(k);
      else break;
    }
    return own;
  }

  /** Settles what waits on an answer read from the sync port (other than a blocking call's). */
  #settleAnswer(r: HostResponse): void {
    const ordered = this.#ordered.get(r.id);
    if (ordered !== undefined) {
      this.#ordered.delete(r.id);
      if (r.ok) ordered.resolve(r.value);
      else ordered.reject(reviveError(r.error));
      return;
    }
    const onFailure = this.#posted.get(r.id);
    if (onFailure !== undefined && !r.ok) {
      this.#posted.delete(r.id);
      onFailure(reviveError(r.error));
    }
  }

  /**
   * Calls `op` and blocks this thread until the host answers: the result, or the host's error
   * rethrown typed. For LDK's synchronous callbacks. Runs after every pipelined request sent
   * before it.
   */
  call<T>(op: HostOp, ...args: unknown[]): T {
    this.syncCalls++;
    const start = performance.now();
    const id = this.#send(op, args, false);
    const r = this.#waitFor(id, op, true);
    this.syncWaitMs += performance.now() - start;
    if (r === undefined) throw new Error(`warden host: no answer to ${op}`);
    if (r.ok) return r.value as T;
    throw reviveError(r.error);
  }

  /**
   * Sends `op` without waiting for it (a validation whose answer LDK does not need now). The
   * host runs it before any later call; if it refuses, `onFailure` gets the typed error when
   * a later call or flush() reads the answer.
   */
  post(op: HostOp, args: unknown[], onFailure: (error: unknown) => void): void {
    this.postedCalls++;
    const id = this.#send(op, args, true);
    this.#posted.set(id, onFailure);
  }

  /**
   * Sends `op` on the sync port without blocking and resolves with its answer: the host runs
   * it after every sync-port request sent before it and before every one sent after it. For
   * state changes later calls depend on (an approval ahead of the payment's commitments) when
   * they cannot wait on a human: the host runs sync-port requests one at a time.
   */
  requestInOrder<T>(op: HostOp, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("warden host is closed"));
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    return new Promise<T>((resolve, reject) => {
      const id = this.#send(op, args, false);
      this.#ordered.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** Blocks until every pipelined request was committed or refused (refusals reported). */
  flush(): void {
    if (this.#posted.size === 0 && this.#ordered.size === 0) return;
    const start = performance.now();
    this.#waitFor(this.#syncSeq, "flush", false);
    this.syncWaitMs += performance.now() - start;
  }

  /** Calls `op` without blocking (for calls that may wait, e.g. on a queued approval). */
  request<T>(op: HostOp, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("warden host is closed"));
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#async.postMessage({ id, op, args });
    });
  }

  /** Closes the host's Store (every commit already done) and stops the host thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#dead !== undefined) {
      this.#closed = true;
      this.#sync.close();
      this.#async.close();
      await this.#worker.terminate();
      return;
    }
    try {
      this.flush();
    } catch {
      // The host is gone: nothing more to flush.
    }
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
