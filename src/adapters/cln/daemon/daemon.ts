/**
 * warden-hsmd's process logic, as Core Lightning's hsmd behaves (hsmd/hsmd.c):
 *   - fd 0 is lightningd's status socket: status_version first, then logs and
 *     hsmstatus_client_bad_request reports;
 *   - fd 3 is the root (lightningd) connection; its end (EOF, bad frame, socket error) exits 2,
 *     a request it may not send or that cannot be parsed exits 0x80 (status_fail master I/O),
 *     a failed hsmd_init answers hsmd_init_reply_failure and exits 0x83;
 *   - hsmd_client_hsmfd makes a socket pair: the reply is written, then our end is served as a
 *     new connection and the other end (blocking) is sent with SCM_RIGHTS after a 0x00 byte;
 *   - a client that misbehaves (bad frame, unknown or forbidden request, refused signature) is
 *     reported and disconnected; every other connection carries on;
 *   - a new client for a dbid replaces (disconnects) the previous one with that dbid.
 * The hsmd service is opened when hsmd_init arrives (its TLV may carry the hsm_secret passphrase);
 * hsmd_dev_preinit messages received before that are handed to it first.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { WardenError } from "../../../errors.js";
import { ConnectionServer, type ConnectionEnd, type ConnectionEvents } from "./connection.js";
import type { FdPass } from "./fdpass.js";
import type { HsmdConnection, HsmdReply, HsmdService } from "./service.js";
import { describeClient, type LineSink, StatusChannel } from "./status-channel.js";
import { InitFailure } from "./init-failure.js";
import { encodeInitReplyFailure, FailReason } from "./status-wire.js";

/** hsmd_init's message type; hsmd_dev_preinit's. */
const HSMD_INIT = 11;
const HSMD_DEV_PREINIT = 99;
/** MASTER | SIGN_GOSSIP | ECDH: the root connection's permissions (hsmd/permissions.h). */
export const ROOT_PERMISSIONS = 1024 | 2 | 1;

/** Exit codes, as hsmd's: master gone, status_fail(master I/O), status_fail(internal error). */
export const ExitCode = {
  ok: 0,
  statusGone: 1,
  masterGone: 2,
  masterBadRequest: 0x80,
  internalError: 0x83,
} as const;

/** Everything the daemon needs from its process. */
export interface HsmdDaemonOptions {
  /** lightningd's status socket (0), or null for none. */
  readonly statusFd: number | null;
  /** lightningd's request socket (3). */
  readonly masterFd: number;
  /** Version announced in status_version (must equal lightningd's). */
  readonly version: string;
  readonly fdpass: FdPass;
  /** Opens the hsmd service for this hsmd_init request; InitFailure to refuse it. */
  openService(init: Uint8Array): Promise<HsmdService>;
  readonly stderr: LineSink;
  /** Ends the process (tests observe it instead). */
  exit(code: number): void;
}

/** How long a shutdown waits for requests in progress before closing the store. */
const DRAIN_MS = 5000;
/** How long passing an fd may wait for room in the root socket. */
const SEND_FD_MS = 10_000;

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function messageType(m: Uint8Array): number {
  return m.length >= 2 ? (m[0]! << 8) | m[1]! : -1;
}

/** The root connection until hsmd_init has opened the service, then the service's root. */
class RootGate implements HsmdConnection {
  readonly context = { peerId: null, dbid: 0n, permissions: ROOT_PERMISSIONS };
  service: HsmdService | null = null;
  #root: HsmdConnection | null = null;
  readonly #preinit: Uint8Array[] = [];
  readonly #open: (init: Uint8Array) => Promise<HsmdService>;

  constructor(open: (init: Uint8Array) => Promise<HsmdService>) {
    this.#open = open;
  }

  async handle(request: Uint8Array): Promise<HsmdReply> {
    if (this.#root !== null) return this.#root.handle(request);
    const type = messageType(request);
    if (type === HSMD_DEV_PREINIT) {
      this.#preinit.push(request);
      return { message: null };
    }
    if (type !== HSMD_INIT) {
      throw new WardenError("cln/before-init", `request type ${type} before hsmd_init`);
    }
    let service: HsmdService;
    try {
      service = await this.#open(request);
    } catch (e) {
      if (e instanceof InitFailure) throw e;
      throw new InitFailure("cln/init-failed", describeError(e));
    }
    this.service = service;
    const root = service.root();
    this.#root = root;
    for (const p of this.#preinit.splice(0)) await root.handle(p);
    return root.handle(request);
  }
}

/** A running warden-hsmd. */
export class HsmdDaemon implements ConnectionEvents {
  readonly status: StatusChannel;
  readonly #opts: HsmdDaemonOptions;
  readonly #gate: RootGate;
  readonly #root: ConnectionServer;
  readonly #clients = new Set<ConnectionServer>();
  readonly #byDbid = new Map<bigint, ConnectionServer>();
  #stopping = false;

  /** Announces the version on the status socket and starts serving the root connection. */
  constructor(opts: HsmdDaemonOptions) {
    this.#opts = opts;
    this.status = new StatusChannel(opts.statusFd, opts.stderr, (err) => {
      // While stopping for another reason, that reason's exit code stands.
      if (this.#stopping) return;
      opts.stderr(`warden-hsmd: status socket to lightningd failed (${err.message}); exiting`);
      void this.shutdown(ExitCode.statusGone);
    });
    this.status.version(opts.version);
    this.#gate = new RootGate((init) => opts.openService(init));
    this.#root = new ConnectionServer(opts.masterFd, this.#gate, this);
  }

  /** Number of client connections being served (not counting lightningd's). */
  get clientCount(): number {
    return this.#clients.size;
  }

  async passClient(via: ConnectionServer, client: HsmdConnection): Promise<void> {
    if (via !== this.#root) {
      throw new WardenError("cln/not-root", "only lightningd's connection may create clients");
    }
    const { fdpass } = this.#opts;
    const [ours, theirs] = fdpass.socketpair();
    try {
      const ctx = client.context;
      this.status.debug(`new_client: ${ctx.dbid}`);
      const server = new ConnectionServer(ours, client, this);
      this.#clients.add(server);
      if (ctx.dbid !== 0n) {
        const previous = this.#byDbid.get(ctx.dbid);
        this.#byDbid.set(ctx.dbid, server);
        // Like hsmd: a new connection for a channel replaces the old one.
        previous?.close();
      }
      if (this.#stopping) server.close();
      await this.#sendFd(via.fd, theirs);
    } finally {
      fdpass.close(theirs);
    }
  }

  async #sendFd(sock: number, fd: number): Promise<void> {
    const deadline = Date.now() + SEND_FD_MS;
    while (!this.#opts.fdpass.sendFd(sock, fd)) {
      if (Date.now() > deadline) {
        throw new WardenError("cln/fdpass-timeout", "lightningd does not read its socket");
      }
      await sleep(2);
    }
  }

  async ended(server: ConnectionServer, end: ConnectionEnd): Promise<void> {
    if (server === this.#root) return this.#rootEnded(server, end);
    this.#clients.delete(server);
    const ctx = server.handler.context;
    if (this.#byDbid.get(ctx.dbid) === server) this.#byDbid.delete(ctx.dbid);
    const who = describeClient(ctx);
    switch (end.kind) {
      case "refused":
        this.status.badRequest(ctx, describeError(end.error), end.request);
        break;
      case "frame":
        this.status.broken(`${who}: ${end.error.message}; disconnecting`, ctx.peerId ?? undefined);
        break;
      case "socket":
        this.status.unusual(`${who}: socket error: ${end.error.message}`, ctx.peerId ?? undefined);
        break;
      case "eof":
        this.status.debug(`${who} closed its connection`, ctx.peerId ?? undefined);
        break;
      case "closed":
        break;
    }
  }

  async #rootEnded(server: ConnectionServer, end: ConnectionEnd): Promise<void> {
    if (this.#stopping) return;
    switch (end.kind) {
      case "eof":
        this.#opts.stderr("warden-hsmd: lightningd closed its connection (fd 3); exiting");
        return this.shutdown(ExitCode.masterGone);
      case "frame":
      case "socket":
        this.#opts.stderr(
          `warden-hsmd: FATAL: lightningd's connection (fd 3) failed: ${end.error.message}`,
        );
        return this.shutdown(ExitCode.masterGone);
      case "closed":
        return this.shutdown(ExitCode.masterGone);
      case "refused": {
        const desc = describeError(end.error);
        if (end.error instanceof InitFailure) {
          try {
            await server.write(encodeInitReplyFailure(end.error.errorCode, desc));
          } catch {
            // lightningd is gone: the status report below is all we can do.
          }
          this.status.fatal(FailReason.internalError, `hsmd_init failed: ${desc}`);
          return this.shutdown(ExitCode.internalError);
        }
        const type = messageType(end.request);
        this.status.fatal(
          FailReason.masterIo,
          `bad request from lightningd (type ${type}): ${desc}`,
        );
        return this.shutdown(ExitCode.masterBadRequest);
      }
    }
  }

  /** Stops serving, lets requests in progress settle, closes the service, then exits with `code`. */
  async shutdown(code: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const servers = [this.#root, ...this.#clients];
    for (const s of this.#clients) s.close();
    await Promise.race([
      Promise.allSettled(servers.map((s) => s.idle())),
      sleep(DRAIN_MS, undefined, { ref: false }),
    ]);
    try {
      await this.#gate.service?.close();
    } catch (e) {
      this.#opts.stderr(`warden-hsmd: closing the store failed: ${describeError(e)}`);
    }
    this.#root.close();
    await this.status.flush();
    this.#opts.exit(code);
  }
}
