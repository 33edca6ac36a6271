/**
 * Serves one hsmd connection over a UNIX socket: reads length-prefixed requests, hands them to
 * the connection's handler one at a time, and writes each reply before reading the next (like
 * Core Lightning's hsmd, a slow client only slows itself). Anything wrong with the connection
 * (bad frame, refused request, socket error) ends it through exactly one event; nothing thrown
 * by the handler escapes.
 */
import { Socket } from "node:net";
import { encodeFrame, FrameDecoder, FrameError } from "./framing.js";
import type { HsmdConnection } from "./service.js";

/** Why a connection ended. */
export type ConnectionEnd =
  | { readonly kind: "eof" }
  | { readonly kind: "frame"; readonly error: FrameError }
  | { readonly kind: "socket"; readonly error: Error }
  | { readonly kind: "refused"; readonly error: unknown; readonly request: Uint8Array }
  | { readonly kind: "closed" };

/** What the owner of a connection decides. */
export interface ConnectionEvents {
  /**
   * A reply carried a new client: create its socket pair, serve our end, and pass the other end
   * over `via` (which has just written the reply). Resolves when the fd has been sent.
   */
  passClient(via: ConnectionServer, client: HsmdConnection): Promise<void>;
  /** The connection is over (called once, after the socket is destroyed unless `kind` is refused). */
  ended(server: ConnectionServer, end: ConnectionEnd): void | Promise<void>;
}

/** One served socket. */
export class ConnectionServer {
  readonly handler: HsmdConnection;
  /** The socket's file descriptor (for passing fds over it). */
  readonly fd: number;
  readonly #socket: Socket;
  readonly #events: ConnectionEvents;
  readonly #decoder = new FrameDecoder();
  readonly #queue: Uint8Array[] = [];
  #busy = false;
  #eof = false;
  #done = false;
  /** Settles when no request of this connection is being handled. */
  #idle: Promise<void> = Promise.resolve();

  /** Starts serving `fd` (taken over: closed when the connection ends). */
  constructor(fd: number, handler: HsmdConnection, events: ConnectionEvents) {
    this.fd = fd;
    this.handler = handler;
    this.#events = events;
    this.#socket = new Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
    this.#socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on("end", () => {
      this.#eof = true;
      void this.#pump();
    });
    this.#socket.on("error", (error: Error) => this.#finish({ kind: "socket", error }));
    this.#socket.on("close", () => this.#finish({ kind: "closed" }));
  }

  /** True once the connection has ended. */
  get done(): boolean {
    return this.#done;
  }

  /** Resolves when the request being handled (if any) has settled. */
  idle(): Promise<void> {
    return this.#idle;
  }

  /** Writes one message (framed); resolves when the kernel has it. */
  write(message: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.write(encodeFrame(message), (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Ends the connection now (queued requests are dropped). */
  close(): void {
    this.#finish({ kind: "closed" });
  }

  #onData(chunk: Buffer): void {
    if (this.#done) return;
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (e) {
      this.#finish({ kind: "frame", error: e as FrameError });
      return;
    }
    if (frames.length === 0) return;
    this.#queue.push(...frames);
    this.#socket.pause();
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#busy || this.#done) return;
    this.#busy = true;
    let release!: () => void;
    this.#idle = new Promise((r) => (release = r));
    try {
      while (this.#queue.length > 0 && !this.#done) {
        await this.#serveOne(this.#queue.shift()!);
      }
    } finally {
      this.#busy = false;
      release();
    }
    if (this.#done) return;
    if (this.#eof) {
      if (this.#decoder.midFrame) {
        const error = new FrameError("cln/frame-truncated", this.#decoder.describeTruncation());
        this.#finish({ kind: "frame", error });
      } else {
        this.#finish({ kind: "eof" });
      }
      return;
    }
    this.#socket.resume();
  }

  async #serveOne(request: Uint8Array): Promise<void> {
    let reply;
    try {
      reply = await this.handler.handle(request);
    } catch (error) {
      this.#finish({ kind: "refused", error, request });
      return;
    }
    if (this.#done) return;
    try {
      if (reply.message !== null) await this.write(reply.message);
      if (reply.newClient !== undefined) await this.#events.passClient(this, reply.newClient);
    } catch (e) {
      this.#finish({ kind: "socket", error: e instanceof Error ? e : new Error(String(e)) });
    }
  }

  #finish(end: ConnectionEnd): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue.length = 0;
    // A refused request is reported before the socket goes (the owner may still write on it).
    if (end.kind !== "refused") this.#socket.destroy();
    void Promise.resolve()
      .then(() => this.#events.ended(this, end))
      .catch(() => undefined) // the owner reports its own failures; none may crash the process
      .finally(() => this.#socket.destroy());
  }
}
