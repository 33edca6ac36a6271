/**
 * warden-hsmd's reporting: framed status messages to lightningd on fd 0 (they land in
 * lightningd's log, as Core Lightning's own hsmd does) and plain lines on stderr.
 * Writes are queued, never blocking the event loop: lightningd may be blocked waiting for a
 * reply on fd 3 while its status socket is full, and a blocking write here would deadlock both
 * (Core Lightning's hsmd queues them too). `flush()` waits for the queue before an exit.
 * Callers never pass secrets: entries are built from message types, node ids, dbids and
 * error texts only.
 */
import { Socket } from "node:net";
import { bytesToHex } from "../../../util/bytes.js";
import { encodeFrame } from "./framing.js";
import type { HsmdClientContext } from "./service.js";
import {
  encodeClientBadRequest,
  encodeStatusFail,
  encodeStatusLog,
  encodeStatusVersion,
  type FailReason,
  LogLevel,
} from "./status-wire.js";

/** Where stderr lines go (tests capture them). */
export type LineSink = (line: string) => void;

/** A short, public description of a connection for logs: "client 02ab…(dbid 5, perms 447)". */
export function describeClient(ctx: HsmdClientContext): string {
  if (ctx.peerId === null) return "lightningd (root)";
  return `client ${bytesToHex(ctx.peerId)} (dbid ${ctx.dbid}, permissions ${ctx.permissions})`;
}

/** The status socket to lightningd plus stderr. */
export class StatusChannel {
  readonly #socket: Socket | null;
  readonly #stderr: LineSink;
  readonly #onDead: (err: Error) => void;
  #dead = false;
  /** Settles when the last queued message has been written (or failed). */
  #last: Promise<void> = Promise.resolve();

  /**
   * @param fd the status socket (0), or null to report on stderr only
   * @param onDead called once when the status socket cannot be written (lightningd is gone)
   */
  constructor(fd: number | null, stderr: LineSink, onDead: (err: Error) => void) {
    this.#stderr = stderr;
    this.#onDead = onDead;
    this.#socket = fd === null ? null : new Socket({ fd, readable: false, writable: true });
    this.#socket?.on("error", (err: Error) => this.#die(err));
  }

  /** Resolves once everything queued so far is written, the socket failed, or `timeoutMs` passed. */
  flush(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    return Promise.race([this.#last, timeout]).finally(() => clearTimeout(timer));
  }

  /** Announces our version: lightningd compares it with its own and re-execs on a mismatch. */
  version(version: string): void {
    this.#send(encodeStatusVersion(version));
  }

  debug(entry: string, peer?: Uint8Array): void {
    this.#send(encodeStatusLog(LogLevel.debug, entry, peer));
  }

  info(entry: string, peer?: Uint8Array): void {
    this.#stderr(`warden-hsmd: ${entry}`);
    this.#send(encodeStatusLog(LogLevel.info, entry, peer));
  }

  unusual(entry: string, peer?: Uint8Array): void {
    this.#stderr(`warden-hsmd: ${entry}`);
    this.#send(encodeStatusLog(LogLevel.unusual, entry, peer));
  }

  broken(entry: string, peer?: Uint8Array): void {
    this.#stderr(`warden-hsmd: BROKEN: ${entry}`);
    this.#send(encodeStatusLog(LogLevel.broken, entry, peer));
  }

  /** A client sent a request we refuse: log it and tell lightningd (hsmstatus_client_bad_request). */
  badRequest(client: HsmdClientContext, description: string, request: Uint8Array): void {
    const type = request.length >= 2 ? (request[0]! << 8) | request[1]! : -1;
    this.broken(`${describeClient(client)}: ${description} (request type ${type}); disconnecting`);
    this.#send(encodeClientBadRequest(client.peerId ?? new Uint8Array(33), description, request));
  }

  /** The fatal report sent just before exiting: status_fail on fd 0 and a line on stderr. */
  fatal(reason: FailReason, desc: string): void {
    this.#stderr(`warden-hsmd: FATAL: ${desc}`);
    this.#send(encodeStatusFail(reason, desc));
  }

  #send(message: Uint8Array): void {
    const socket = this.#socket;
    if (socket === null || this.#dead) return;
    const frame = encodeFrame(message);
    this.#last = new Promise((resolve) => {
      socket.write(frame, (err) => {
        if (err) this.#die(err);
        resolve();
      });
    });
  }

  #die(err: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#socket?.destroy();
    this.#onDead(err);
  }
}
