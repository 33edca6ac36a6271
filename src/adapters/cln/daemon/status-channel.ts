/**
 * warden-hsmd's reporting: framed status messages to lightningd on fd 0 (they land in
 * lightningd's log, as Core Lightning's own hsmd does) and plain lines on stderr.
 * Writes are synchronous so a message is out before the process exits. Callers never pass
 * secrets: entries are built from message types, node ids, dbids and error texts only.
 */
import { writeSync } from "node:fs";
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

const SLEEP = new Int32Array(new SharedArrayBuffer(4));

/** The status socket to lightningd plus stderr. */
export class StatusChannel {
  readonly #fd: number | null;
  readonly #stderr: LineSink;
  readonly #onDead: (err: Error) => void;
  #dead = false;

  /**
   * @param fd the status socket (0), or null to report on stderr only
   * @param onDead called once when the status socket cannot be written (lightningd is gone)
   */
  constructor(fd: number | null, stderr: LineSink, onDead: (err: Error) => void) {
    this.#fd = fd;
    this.#stderr = stderr;
    this.#onDead = onDead;
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
    if (this.#fd === null || this.#dead) return;
    const frame = encodeFrame(message);
    let off = 0;
    let waited = 0;
    while (off < frame.length) {
      try {
        off += writeSync(this.#fd, frame, off, frame.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code === "EAGAIN" || code === "EWOULDBLOCK") && waited < 10_000) {
          Atomics.wait(SLEEP, 0, 0, 1);
          waited++;
          continue;
        }
        this.#dead = true;
        this.#onDead(e instanceof Error ? e : new Error(String(e)));
        return;
      }
    }
  }
}
