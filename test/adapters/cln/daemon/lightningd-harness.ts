/**
 * A stand-in for lightningd, as it drives its hsmd: socket pairs on the child's fds 0 (status)
 * and 3 (requests), synchronous blocking reads and writes with 4-byte big-endian framing (like
 * wire_sync_read/wire_sync_write), and fdpass_recv after hsmd_client_hsmfd_reply. Every read has
 * a deadline so a silent daemon fails the test instead of hanging it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireFdPass, type FdPass } from "../../../../src/adapters/cln/daemon/fdpass.js";

/** The fd-passing addon, or a loud failure saying how to build it (tests never skip silently). */
export function fdpassOrFail(): FdPass {
  try {
    return requireFdPass();
  } catch (e) {
    throw new Error(
      `these tests need native/build/Release/warden_fdpass.node: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

const DEFAULT_TIMEOUT_MS = 20_000;

/** Reads exactly n bytes from a blocking fd before the deadline; throws on timeout or EOF. */
export function readExact(fd: number, n: number, deadline: number, what: string): Uint8Array {
  const fdpass = fdpassOrFail();
  const out = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    const left = deadline - Date.now();
    if (left <= 0 || !fdpass.waitReadable(fd, Math.max(1, Math.min(left, 2 ** 31 - 1)))) {
      throw new Error(`timed out reading ${what} (${off}/${n} bytes)`);
    }
    const got = readSync(fd, out, off, n - off, null);
    if (got === 0) throw new EofError(`end of stream reading ${what} (${off}/${n} bytes)`);
    off += got;
  }
  return out;
}

/** The peer closed the socket. */
export class EofError extends Error {}

/** A blocking, framed socket end, as lightningd and its subdaemons use the hsmd sockets. */
export class SyncWire {
  #closed = false;
  constructor(
    readonly fd: number,
    readonly name: string,
  ) {}

  /** Writes one framed message (blocking). */
  send(message: Uint8Array): void {
    this.sendRaw(frame(message));
  }

  /** Writes raw bytes (for malformed frames). */
  sendRaw(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
  }

  /** Reads one framed message. */
  recv(timeoutMs = DEFAULT_TIMEOUT_MS): Uint8Array {
    const deadline = Date.now() + timeoutMs;
    const header = readExact(this.fd, 4, deadline, `${this.name} frame header`);
    const len = new DataView(header.buffer, header.byteOffset, 4).getUint32(0, false);
    return readExact(this.fd, len, deadline, `${this.name} frame body`);
  }

  /** True when the peer has closed the socket (EOF within the timeout, no data first). */
  closedByPeer(timeoutMs = DEFAULT_TIMEOUT_MS): boolean {
    const fdpass = fdpassOrFail();
    if (!fdpass.waitReadable(this.fd, timeoutMs)) return false;
    const b = Buffer.alloc(1);
    try {
      return readSync(this.fd, b, 0, 1, null) === 0;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ECONNRESET";
    }
  }

  /** Closes the fd once (a second call does nothing, so no reused fd number is ever closed). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fdpassOrFail().close(this.fd);
  }
}

/** `message` with its 4-byte big-endian length. */
export function frame(message: Uint8Array): Uint8Array {
  const out = Buffer.alloc(4 + message.length);
  out.writeUInt32BE(message.length, 0);
  out.set(message, 4);
  return out;
}

/** The 2-byte type of a message. */
export function typeOf(m: Uint8Array): number {
  return (m[0]! << 8) | m[1]!;
}

/** One status message from fd 0, decoded enough for assertions. */
export interface StatusMessage {
  readonly type: number;
  readonly bytes: Uint8Array;
  /** status_log / status_fail / status_version / bad request text. */
  readonly text?: string;
}

function cstring(b: Uint8Array, off: number): string {
  const end = b.indexOf(0, off);
  return Buffer.from(b.subarray(off, end < 0 ? b.length : end)).toString("utf8");
}

/** Decodes the status messages warden-hsmd sends (status_log/fail/version, bad request). */
export function decodeStatus(m: Uint8Array): StatusMessage {
  const type = typeOf(m);
  if (type === 0xfff6) return { type, bytes: m, text: cstring(m, 2) };
  if (type === 0xfff2) return { type, bytes: m, text: cstring(m, 3) };
  if (type === 0xfff0) return { type, bytes: m, text: cstring(m, m[3] === 1 ? 37 : 4) };
  if (type === 1000) return { type, bytes: m, text: cstring(m, 2 + 33) };
  return { type, bytes: m };
}

const stderrDirs: string[] = [];
const children: ChildProcess[] = [];
// A failed test must not leave a daemon behind (nor keep the test process alive: see unref).
process.on("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of stderrDirs) rmSync(d, { recursive: true, force: true });
});

/** A spawned hsmd with lightningd's sockets around it. */
export class FakeLightningd {
  readonly child: ChildProcess;
  readonly master: SyncWire;
  readonly status: SyncWire;
  readonly statusLog: StatusMessage[] = [];
  /** The child's stderr goes to a file, readable at any time (the harness blocks in reads). */
  readonly #stderrDir: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** Spawns `command args` with the status socket on fd 0 and the request socket on fd 3. */
  constructor(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
    const fdpass = fdpassOrFail();
    const [statusOurs, statusTheirs] = fdpass.socketpair();
    const [masterOurs, masterTheirs] = fdpass.socketpair();
    this.#stderrDir = mkdtempSync(join(tmpdir(), "warden-hsmd-stderr-"));
    stderrDirs.push(this.#stderrDir);
    const stderrFd = openSync(join(this.#stderrDir, "stderr"), "w");
    try {
      this.child = spawn(command, args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: [statusTheirs, "ignore", stderrFd, masterTheirs],
      });
    } finally {
      closeSync(stderrFd);
      fdpass.close(statusTheirs);
      fdpass.close(masterTheirs);
    }
    children.push(this.child);
    this.child.unref();
    this.status = new SyncWire(statusOurs, "status (fd 0)");
    this.master = new SyncWire(masterOurs, "master (fd 3)");
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => resolve({ code, signal }));
    });
  }

  /** Sends a request on the master socket and reads the reply (lightningd's hsm_sync_req). */
  request(message: Uint8Array, timeoutMs = DEFAULT_TIMEOUT_MS): Uint8Array {
    this.master.send(message);
    return this.master.recv(timeoutMs);
  }

  /** Receives the fd passed after hsmd_client_hsmfd_reply (ccan fdpass_recv). */
  recvFd(timeoutMs = DEFAULT_TIMEOUT_MS): { fd: number; byte: number } {
    const fdpass = fdpassOrFail();
    if (!fdpass.waitReadable(this.master.fd, timeoutMs))
      throw new Error("timed out waiting for the fd");
    const got = fdpass.recvFd(this.master.fd);
    if (got === null) throw new Error("no fd after hsmd_client_hsmfd_reply");
    return got;
  }

  /** Reads status messages until one matches (each one read is also kept in statusLog). */
  waitStatus(pred: (m: StatusMessage) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): StatusMessage {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = decodeStatus(this.status.recv(Math.max(1, deadline - Date.now())));
      this.statusLog.push(m);
      if (pred(m)) return m;
    }
  }

  /** Everything the child wrote on stderr so far. */
  get stderr(): string {
    try {
      return readFileSync(join(this.#stderrDir, "stderr"), "utf8");
    } catch {
      return "";
    }
  }

  /** Waits for exit, with a deadline; kills the child if it does not exit. */
  async waitExit(
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(new Error(`hsmd did not exit within ${timeoutMs} ms; stderr:\n${this.stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes our sockets (lightningd going away) and makes sure the child is gone. */
  async stop(): Promise<void> {
    // Like lightningd exiting: the request socket goes first; status is drained until hsmd exits.
    this.master.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.waitExit().catch(() => undefined);
    }
    this.status.close();
  }
}
