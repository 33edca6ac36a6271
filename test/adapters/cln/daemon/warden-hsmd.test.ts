/**
 * The shipped `bin/warden-hsmd`, driven the way lightningd drives its hsmd: spawned by absolute
 * path from the network directory with socket pairs on fds 0 and 3, hsmd_init and
 * hsmd_client_hsmfd on the root socket, each passed fd received with recvmsg and checked to be
 * blocking, then recorded Core Lightning v26.06.6 sessions replayed over the real sockets and
 * every reply compared byte for byte (all four golden sessions). State goes to the default
 * store (SQLite in the network directory); scenario 2 restarts node B's hsmd on the same store,
 * as lightningd did.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  decodeHsmdMessage,
  diffHsmdMessages,
  encodeHsmdMessage,
} from "../../../../src/adapters/cln/wire/codec.js";
import { mnemonicHsmSecretFile } from "../../../../src/keys/hsm-secret.js";
import { bytesToHex, equalBytes } from "../../../../src/util/bytes.js";
import { goldenDir, hsmSecret, loadSession, type GoldenMsg } from "../../../keys/golden.js";
import { FakeLightningd, fdpassOrFail, SyncWire, typeOf } from "./lightningd-harness.js";

const MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BIN = fileURLToPath(new URL("../../../../../bin/warden-hsmd", import.meta.url));
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function networkDir(node: "A" | "B"): string {
  const dir = mkdtempSync(join(tmpdir(), `warden-hsmd-${node}-`));
  dirs.push(dir);
  writeFileSync(join(dir, "hsm_secret"), hsmSecret(node), { mode: 0o400 });
  return dir;
}

/** The cooperative close destination of a scenario, allowlisted as the recording node's owner did. */
function allowlistOf(scenario: string): string {
  const info = JSON.parse(readFileSync(new URL(`${scenario}/info.json`, goldenDir), "utf8")) as {
    close_destination?: string;
  };
  return info.close_destination ?? "";
}

function spawnHsmd(dir: string, env: NodeJS.ProcessEnv = {}): FakeLightningd {
  const ld = new FakeLightningd(BIN, ["--developer"], {
    cwd: dir,
    env: {
      ...process.env,
      WARDEN_STORE: "",
      WARDEN_CLN_VERSION: "",
      WARDEN_ALLOWLIST: "",
      ...env,
    },
  });
  const version = ld.waitStatus((m) => m.type === 0xfff6);
  assert.equal(version.text, "v26.06.6", "status_version equals lightningd's version");
  return ld;
}

function fail(ld: FakeLightningd, m: GoldenMsg, why: string): never {
  assert.fail(`seq ${m.seq} ${m.name} on conn ${m.conn.n}: ${why}\nstderr:\n${ld.stderr}`);
}

/**
 * Replays one hsmd process of a recording: requests are sent on their connection in recorded
 * order, replies read and compared byte for byte; after each hsmd_client_hsmfd_reply the passed
 * fd becomes the next client connection. Returns the number of replies compared.
 */
function replay(ld: FakeLightningd, msgs: GoldenMsg[]): number {
  const fdpass = fdpassOrFail();
  const wires = new Map<number, SyncWire>([[0, ld.master]]);
  let clients = 0;
  let compared = 0;
  try {
    for (const m of msgs) {
      const wire = wires.get(m.conn.n);
      if (wire === undefined) fail(ld, m, "connection was never passed");
      if (m.dir === "req") {
        wire.send(m.bytes);
        continue;
      }
      let got: Uint8Array;
      try {
        got = wire.recv();
      } catch (e) {
        fail(ld, m, `no reply: ${(e as Error).message}`);
      }
      if (!equalBytes(got, m.bytes)) {
        fail(ld, m, `reply differs:\n  ${diffHsmdMessages(m.bytes, got).join("\n  ")}`);
      }
      compared++;
      if (m.conn.n === 0 && typeOf(m.bytes) === 109) {
        const { fd, byte } = ld.recvFd();
        assert.equal(byte, 0);
        assert.equal(fdpass.isBlocking(fd), true, `client ${clients + 1}'s fd is blocking`);
        clients++;
        wires.set(clients, new SyncWire(fd, `client ${clients}`));
      }
    }
  } finally {
    for (const [n, w] of wires) if (n !== 0) w.close();
  }
  return compared;
}

describe("bin/warden-hsmd as lightningd's hsmd", () => {
  it("--version prints exactly what lightningd compares, from any working directory", () => {
    const r = spawnSync(BIN, ["--version"], { cwd: "/", encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "v26.06.6\n");
    const custom = spawnSync(BIN, ["--version"], {
      cwd: tmpdir(),
      encoding: "utf8",
      env: { ...process.env, WARDEN_CLN_VERSION: "v25.09.3" },
    });
    assert.equal(custom.stdout, "v25.09.3\n");
  });

  it("WARDEN_CLN_VERSION=auto reports the version of the lightningd that runs it", () => {
    // A "lightningd" that is really node (hard link, or copy): its `--version` is node's, and
    // it starts warden-hsmd --version as lightningd's test_subdaemons does.
    const dir = mkdtempSync(join(tmpdir(), "warden-hsmd-auto-"));
    dirs.push(dir);
    const fake = join(dir, "lightningd");
    try {
      linkSync(process.execPath, fake);
    } catch {
      copyFileSync(process.execPath, fake);
      chmodSync(fake, 0o755);
    }
    const script = `const r = require("node:child_process").spawnSync(${JSON.stringify(BIN)}, ["--version"], { encoding: "utf8" }); process.stdout.write(r.stdout);`;
    const r = spawnSync(fake, ["-e", script], {
      encoding: "utf8",
      env: { ...process.env, WARDEN_CLN_VERSION: "auto" },
    });
    assert.equal(r.stdout, `${process.version}\n`);
  });

  it("refuses to run when not started by lightningd (no socket on fd 3)", () => {
    const r = spawnSync(BIN, [], { cwd: tmpdir(), encoding: "utf8", stdio: "pipe" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /fd 3 is not a socket/);
  });

  for (const [scenario, node] of [
    ["scenario1", "A"],
    ["scenario1", "B"],
    ["scenario2", "A"],
    ["scenario2", "B"],
  ] as const) {
    it(`replays ${scenario}/${node} byte for byte over the real sockets, every hsmd process on the same store`, async () => {
      const dir = networkDir(node);
      const msgs = loadSession(scenario, node);
      const procs = [...new Set(msgs.map((m) => m.proc))];
      for (const proc of procs) {
        // One hsmd process per lightningd start (scenario 2/B restarts), as lightningd runs them.
        const ld = spawnHsmd(dir, { WARDEN_ALLOWLIST: allowlistOf(scenario) });
        const part = msgs.filter((m) => m.proc === proc);
        assert.equal(replay(ld, part), part.filter((m) => m.dir === "rep").length);
        await ld.stop();
        assert.equal((await ld.waitExit()).code, 2);
        assert.ok(!ld.stderr.includes(bytesToHex(hsmSecret(node))), "no secret on stderr");
      }
      assert.ok(existsSync(join(dir, "warden.sqlite3")), "state went to the default SQLite store");
    });
  }

  it("serves BIP 39 mnemonic hsm_secrets, the passphrase coming in hsmd_init's TLV", async () => {
    const init = loadSession("scenario1", "A").find((m) => m.dir === "req" && m.type === 11)!;
    const fields = decodeHsmdMessage(init.bytes).fields;
    for (const pass of [undefined, "pw"]) {
      const dir = mkdtempSync(join(tmpdir(), "warden-hsmd-mnemonic-"));
      dirs.push(dir);
      writeFileSync(join(dir, "hsm_secret"), mnemonicHsmSecretFile(MNEMONIC, pass));
      const ld = spawnHsmd(dir, { WARDEN_STORE: "memory" });
      const request =
        pass === undefined
          ? init.bytes
          : encodeHsmdMessage("hsmd_init", {
              ...fields,
              tlvs: { hsm_passphrase: { passphrase: pass } },
            });
      const reply = decodeHsmdMessage(ld.request(request));
      assert.equal(reply.name, "hsmd_init_reply_v4", ld.stderr);
      const tlvs = reply.fields.tlvs as Record<string, Record<string, unknown>>;
      assert.equal(tlvs.hsm_secret_type?.hsm_type, pass === undefined ? 2 : 3);
      assert.ok(tlvs.bip86_base !== undefined, "mnemonic secrets announce a BIP 86 base");
      await ld.stop();
      await ld.waitExit();
    }
  });

  it("a request the policy refuses on lightningd's connection: no signature, status_fail, exit 0x80", async () => {
    const ld = spawnHsmd(networkDir("A"), { WARDEN_STORE: "memory" });
    const msgs = loadSession("scenario1", "A");
    replay(ld, msgs.slice(0, msgs.findIndex((x) => x.dir === "rep" && x.type === 114) + 1));
    // The recorded funding withdrawal, sent before any channel exists: its channel output is
    // neither the wallet's nor allowlisted.
    const withdrawal = msgs.find((m) => m.dir === "req" && m.type === 7)!;
    ld.master.send(withdrawal.bytes);
    const fail = ld.waitStatus((m) => m.type === 0xfff2);
    assert.match(fail.text ?? "", /bad request from lightningd \(type 7\)/);
    assert.equal((await ld.waitExit()).code, 0x80);
    assert.equal(ld.master.closedByPeer(1000), true, "no reply was sent before the exit");
    await ld.stop();
  });

  it("disconnects a client that sends bad input and keeps serving everyone else", async () => {
    const dir = networkDir("A");
    const ld = spawnHsmd(dir, { WARDEN_STORE: "memory" });
    const msgs = loadSession("scenario1", "A");
    replay(ld, msgs.slice(0, msgs.findIndex((x) => x.dir === "rep" && x.type === 114) + 1));
    const ecdh = msgs.find((m) => m.dir === "req" && m.type === 1)!;
    const ecdhReply = msgs.find((m) => m.seq > ecdh.seq && m.conn.n === ecdh.conn.n)!;
    // connectd's connection (dbid 0) carries our own node id.
    const nodeId = Buffer.from(msgs.find((m) => m.conn.kind === "client")!.conn.peer_id!, "hex");

    const client = (dbid: bigint, permissions: number): SyncWire => {
      const req = Buffer.alloc(2 + 33 + 16);
      req.writeUInt16BE(9, 0);
      nodeId.copy(req, 2);
      req.writeBigUInt64BE(dbid, 35);
      req.writeBigUInt64BE(BigInt(permissions), 43);
      assert.equal(typeOf(ld.request(req)), 109);
      const { fd } = ld.recvFd();
      assert.equal(fdpassOrFail().isBlocking(fd), true);
      return new SyncWire(fd, `client ${dbid}`);
    };
    const cases: Array<[string, number, Uint8Array]> = [
      ["unknown type", 447, Uint8Array.of(0x12, 0x34)],
      ["truncated request", 447, Uint8Array.of(0, 19, 1, 2)],
      ["not permitted (onchain client asking ECDH)", 12, ecdh.bytes],
      // hsmd_sign_withdrawal, no inputs, an 8-byte "PSBT": the magic, then garbage.
      [
        "malformed PSBT",
        447,
        Uint8Array.of(0, 7, 0, 0, 0, 0, 0, 8, 0x70, 0x73, 0x62, 0x74, 0xff, 0, 1, 2),
      ],
    ];
    let dbid = 100n;
    for (const [what, perms, bad] of cases) {
      const c = client(dbid++, perms);
      c.send(bad);
      assert.equal(c.closedByPeer(), true, `${what}: client disconnected`);
      ld.waitStatus((m) => m.type === 1000);
      c.close();
      // lightningd's own connection is unaffected.
      assert.ok(equalBytes(ld.request(ecdh.bytes), ecdhReply.bytes), `${what}: root still served`);
    }
    // Random bytes, framed or not, from many clients: each is at worst disconnected.
    const garbage = fc.sample(
      fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 0, maxLength: 400 })),
      { numRuns: 40, seed: 7 },
    );
    for (const [framed, bytes] of garbage) {
      const c = client(dbid++, 447);
      if (framed) c.send(bytes);
      else c.sendRaw(bytes);
      c.close();
    }
    assert.ok(equalBytes(ld.request(ecdh.bytes), ecdhReply.bytes), "root served after garbage");
    assert.doesNotMatch(ld.stderr, /FATAL|internal error/);
    // An oversized frame header.
    const big = client(dbid++, 447);
    big.sendRaw(Uint8Array.of(0x7f, 0xff, 0xff, 0xff));
    assert.equal(big.closedByPeer(), true);
    big.close();
    const ok = client(dbid, 1);
    ok.send(ecdh.bytes);
    assert.ok(equalBytes(ok.recv(), ecdhReply.bytes), "a new client is served normally");
    ok.close();
    await ld.stop();
    assert.equal((await ld.waitExit()).code, 2);
  });
});
