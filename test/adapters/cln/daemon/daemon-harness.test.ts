/**
 * warden-hsmd's process behaviour over real sockets, with the hsmd service replaced by a test
 * double (fake-service.ts): a stand-in lightningd spawns the command with socket pairs on fds 0
 * and 3, runs init and hsmd_client_hsmfd, receives the passed fd, and checks framing, fd passing,
 * concurrency, and what each kind of bad input does (the bad client is disconnected and
 * reported; a bad lightningd connection ends the daemon with hsmd's exit codes).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  FakeLightningd,
  fdpassOrFail,
  frame,
  SyncWire,
  typeOf,
  type StatusMessage,
} from "./lightningd-harness.js";

const FAKE_MAIN = fileURLToPath(new URL("./fake-hsmd-main.js", import.meta.url));
const PEER = Uint8Array.from([0x02, ...new Array<number>(32).fill(0x11)]);
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function networkDir(secret: Uint8Array | null = randomBytes(32)): string {
  const dir = mkdtempSync(join(tmpdir(), "warden-hsmd-test-"));
  dirs.push(dir);
  if (secret !== null) writeFileSync(join(dir, "hsm_secret"), secret, { mode: 0o400 });
  return dir;
}

function msg(type: number, payload: Uint8Array | number[] = []): Uint8Array {
  return Uint8Array.from([type >> 8, type & 0xff, ...payload]);
}

function hsmfd(dbid: bigint, permissions: number, peer: Uint8Array = PEER): Uint8Array {
  const b = Buffer.alloc(2 + 33 + 16);
  b.writeUInt16BE(9, 0);
  b.set(peer, 2);
  b.writeBigUInt64BE(dbid, 35);
  b.writeBigUInt64BE(BigInt(permissions), 43);
  return b;
}

function start(dir: string, env: NodeJS.ProcessEnv = {}): FakeLightningd {
  return new FakeLightningd(process.execPath, [FAKE_MAIN, "--developer"], {
    cwd: dir,
    env: { ...process.env, WARDEN_STORE: "memory", WARDEN_TEST_FAKE_HSMD: "1", ...env },
  });
}

/** Starts, checks status_version, sends dev_preinit and init. */
function startAndInit(dir = networkDir()): FakeLightningd {
  const ld = start(dir);
  const version = ld.waitStatus((m) => m.type === 0xfff6);
  assert.equal(version.text, "v26.06.6");
  ld.master.send(msg(99, [0]));
  const init = ld.request(msg(11));
  assert.equal(typeOf(init), 114);
  return ld;
}

/** hsmd_client_hsmfd → 109, then the fd (one 0x00 byte, SCM_RIGHTS), which must be blocking. */
function newClient(ld: FakeLightningd, dbid: bigint, permissions: number): SyncWire {
  const reply = ld.request(hsmfd(dbid, permissions));
  assert.deepEqual([...reply], [0, 109]);
  const { fd, byte } = ld.recvFd();
  assert.equal(byte, 0, "the fd comes with one 0x00 byte");
  assert.equal(fdpassOrFail().isBlocking(fd), true, "the fd handed to lightningd is blocking");
  return new SyncWire(fd, `client dbid ${dbid}`);
}

function isBadRequest(text: RegExp): (m: StatusMessage) => boolean {
  return (m) => m.type === 1000 && text.test(m.text ?? "");
}

describe("warden-hsmd over real sockets (service test double)", () => {
  it("announces its version, serves init, passes a blocking client fd and serves it", async () => {
    const ld = startAndInit();
    const client = newClient(ld, 7n, 447);
    client.send(msg(1, [1, 2, 3]));
    assert.deepEqual([...client.recv()], [0, 100, 1, 2, 3]);
    // lightningd's own connection still works after the pass.
    assert.deepEqual([...ld.request(msg(1, [9]))], [0, 100, 9]);
    client.close();
    await ld.stop();
    const exit = await ld.waitExit();
    assert.equal(exit.code, 2, "lightningd going away ends hsmd with 2, as Core Lightning's");
  });

  it("serves clients concurrently: one waits inside a request while another is answered", async () => {
    const ld = startAndInit();
    const a = newClient(ld, 1n, 447);
    const b = newClient(ld, 2n, 447);
    a.send(msg(2)); // blocks in the service until some client sends 3
    b.send(msg(3));
    assert.equal(typeOf(b.recv()), 103);
    assert.equal(typeOf(a.recv()), 102);
    const many = Array.from({ length: 20 }, (_, i) => newClient(ld, BigInt(100 + i), 1));
    many.forEach((c, i) => c.send(msg(1, [i])));
    many.forEach((c, i) => assert.deepEqual([...c.recv()], [0, 100, i]));
    for (const c of [a, b, ...many]) c.close();
    await ld.stop();
    await ld.waitExit();
  });

  it("disconnects only the client that sends bad input, reports it, and carries on", async () => {
    const dir = networkDir();
    const ld = startAndInit(dir);
    const healthy = newClient(ld, 50n, 447);

    // Oversized length (2^27, Core Lightning's WIRE_LEN_LIMIT): closed before any body is read.
    const big = newClient(ld, 51n, 447);
    big.sendRaw(Uint8Array.of(0x08, 0, 0, 0));
    assert.equal(big.closedByPeer(), true);
    ld.waitStatus((m) => m.type === 0xfff0 && /frame length 134217728/.test(m.text ?? ""));

    // Unknown message type.
    const unknown = newClient(ld, 52n, 447);
    unknown.send(msg(0x7777, [1]));
    assert.equal(unknown.closedByPeer(), true);
    ld.waitStatus(isBadRequest(/Unknown request/));

    // A request outside the connection's permissions (ECDH without permission 1).
    const noPerm = newClient(ld, 53n, 8);
    noPerm.send(msg(1, [1]));
    assert.equal(noPerm.closedByPeer(), true);
    ld.waitStatus(isBadRequest(/capability/));

    // A refused signing request (malformed PSBT): no reply at all, only the disconnect.
    const psbt = newClient(ld, 54n, 447);
    psbt.send(msg(7, [0xde, 0xad]));
    assert.equal(psbt.closedByPeer(), true);
    ld.waitStatus(isBadRequest(/malformed PSBT/));

    // A frame too short to hold a type.
    const tiny = newClient(ld, 55n, 447);
    tiny.send(Uint8Array.of(7));
    assert.equal(tiny.closedByPeer(), true);
    ld.waitStatus((m) => m.type === 1000);

    // Truncated frame: 10 bytes announced, 3 sent, then the client goes away.
    const cut = newClient(ld, 56n, 447);
    cut.sendRaw(Uint8Array.of(0, 0, 0, 10, 0, 1, 2));
    cut.close();
    ld.waitStatus((m) => m.type === 0xfff0 && /after 3 of 10 message bytes/.test(m.text ?? ""));

    // Everyone else is unaffected.
    healthy.send(msg(1, [42]));
    assert.deepEqual([...healthy.recv()], [0, 100, 42]);
    assert.deepEqual([...ld.request(msg(1, [43]))], [0, 100, 43]);
    const later = newClient(ld, 57n, 447);
    later.send(msg(1, [44]));
    assert.deepEqual([...later.recv()], [0, 100, 44]);

    for (const c of [healthy, big, unknown, noPerm, psbt, tiny, later]) c.close();
    await ld.stop();
    const exit = await ld.waitExit();
    assert.equal(exit.code, 2);
    const secretHex = readFileSync(join(dir, "hsm_secret")).toString("hex");
    assert.ok(!ld.stderr.includes(secretHex), "stderr never shows hsm_secret");
    assert.match(ld.stderr, /client 02(11){32} \(dbid 52, permissions 447\): .*Unknown request/);
  });

  it("answers pipelined requests on one connection in order, one at a time", async () => {
    const ld = startAndInit();
    const c = newClient(ld, 3n, 447);
    // Five requests in one write; the second (2) waits for a release that only a later one
    // on another connection gives, so replies must not overtake each other.
    c.sendRaw(Buffer.concat([1, 2, 1, 1, 1].map((t, i) => frame(msg(t, t === 1 ? [i] : [])))));
    assert.deepEqual([...c.recv()], [0, 100, 0]);
    const other = newClient(ld, 4n, 447);
    other.send(msg(3));
    assert.equal(typeOf(other.recv()), 103);
    assert.equal(typeOf(c.recv()), 102);
    for (const i of [2, 3, 4]) assert.deepEqual([...c.recv()], [0, 100, i]);
    c.close();
    other.close();
    await ld.stop();
    await ld.waitExit();
  });

  it("a status socket lightningd is not reading never holds up lightningd's requests", async () => {
    const ld = startAndInit();
    // Each refused request is echoed to lightningd's status socket (up to 64 KiB): 16 of them
    // overfill a socket buffer nobody reads, while lightningd waits on fd 3 (as during its
    // synchronous hsm requests). A blocking status write would deadlock both.
    const bulky = msg(0x7777, new Array<number>(60_000).fill(0xab));
    for (let i = 0; i < 16; i++) {
      const c = newClient(ld, BigInt(200 + i), 447);
      c.send(bulky);
      assert.equal(c.closedByPeer(), true);
      c.close();
    }
    assert.deepEqual([...ld.request(msg(1, [77]))], [0, 100, 77]);
    let reports = 0;
    ld.waitStatus((m) => m.type === 1000 && ++reports === 16);
    await ld.stop();
    assert.equal((await ld.waitExit()).code, 2);
  });

  it("a new client for a dbid replaces the previous one", async () => {
    const ld = startAndInit();
    const first = newClient(ld, 9n, 447);
    const second = newClient(ld, 9n, 447);
    assert.equal(first.closedByPeer(), true);
    second.send(msg(1, [5]));
    assert.deepEqual([...second.recv()], [0, 100, 5]);
    first.close();
    second.close();
    await ld.stop();
    await ld.waitExit();
  });

  it("a request lightningd may not send ends the daemon with status_fail and exit 0x80", async () => {
    const ld = startAndInit();
    ld.master.send(msg(0x7777));
    const fail = ld.waitStatus((m) => m.type === 0xfff2);
    assert.equal(fail.bytes[2], 0, "STATUS_FAIL_MASTER_IO");
    assert.match(fail.text ?? "", /bad request from lightningd \(type 30583\)/);
    const exit = await ld.waitExit();
    assert.equal(exit.code, 0x80);
    assert.match(ld.stderr, /FATAL: bad request from lightningd/);
    await ld.stop();
  });

  it("a request before hsmd_init is a bad request from lightningd", async () => {
    const ld = start(networkDir());
    ld.master.send(hsmfd(1n, 447));
    ld.waitStatus((m) => m.type === 0xfff2 && /before hsmd_init/.test(m.text ?? ""));
    assert.equal((await ld.waitExit()).code, 0x80);
    await ld.stop();
  });

  it("an oversized or truncated frame from lightningd ends the daemon with exit 2", async () => {
    const big = startAndInit();
    big.master.sendRaw(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    assert.equal((await big.waitExit()).code, 2);
    assert.match(big.stderr, /fd 3\) failed: .*frame length 4294967295/);
    await big.stop();

    const cut = startAndInit();
    cut.master.sendRaw(Uint8Array.of(0, 0, 0, 8, 0, 1));
    cut.master.close();
    assert.equal((await cut.waitExit()).code, 2);
    assert.match(cut.stderr, /after 2 of 8 message bytes/);
    await cut.stop();
  });

  it("an hsm_secret it cannot use answers hsmd_init_reply_failure and exits 0x83", async () => {
    const ld = start(networkDir(randomBytes(31)));
    const reply = ld.request(msg(11));
    assert.equal(typeOf(reply), 115);
    assert.equal(Buffer.from(reply).readUInt32BE(2), 7, "HSM_SECRET_ERR_INVALID_FORMAT");
    assert.match(Buffer.from(reply.subarray(6)).toString(), /hsm_secret.*shorter than 32 bytes/);
    assert.equal((await ld.waitExit()).code, 0x83);
    await ld.stop();
  });

  it("creates a missing hsm_secret (32 random bytes, mode 0400), as hsmd does", async () => {
    const dir = networkDir(null);
    const ld = startAndInit(dir);
    const st = statSync(join(dir, "hsm_secret"));
    assert.equal(st.size, 32);
    assert.equal(st.mode & 0o777, 0o400);
    await ld.stop();
    await ld.waitExit();
  });

  it("SIGTERM shuts down cleanly (exit 0)", async () => {
    const ld = startAndInit();
    ld.child.kill("SIGTERM");
    assert.equal((await ld.waitExit()).code, 0);
    await ld.stop();
  });

  it("frames written by the harness are what Core Lightning expects (4-byte big-endian length)", () => {
    assert.deepEqual([...frame(Uint8Array.of(0, 11))], [0, 0, 0, 2, 0, 11]);
  });
});
