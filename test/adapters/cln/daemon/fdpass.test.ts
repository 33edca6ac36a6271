/** The fd-passing addon: socket pairs, SCM_RIGHTS with one 0x00 byte, blocking flags, errors. */
import assert from "node:assert/strict";
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { describe, it } from "node:test";
import { fdpassOrFail } from "./lightningd-harness.js";

describe("fdpass addon", () => {
  const fdpass = fdpassOrFail();

  it("passes a socket with SCM_RIGHTS after one 0x00 byte, and the received end works", () => {
    const [a, b] = fdpass.socketpair();
    const [x, y] = fdpass.socketpair();
    try {
      assert.equal(fdpass.isBlocking(a), true);
      assert.equal(fdpass.sendFd(a, x), true);
      const got = fdpass.recvFd(b);
      assert.ok(got !== null);
      assert.equal(got.byte, 0);
      assert.notEqual(got.fd, x, "a new descriptor for the same socket");
      writeSync(y, Buffer.from("ping"));
      const buf = Buffer.alloc(4);
      assert.equal(readSync(got.fd, buf, 0, 4, null), 4);
      assert.equal(buf.toString(), "ping");
      fdpass.close(got.fd);
    } finally {
      for (const fd of [a, b, x, y]) fdpass.close(fd);
    }
  });

  it("O_NONBLOCK is per end: making ours non-blocking leaves the passed end blocking", () => {
    const [a, b] = fdpass.socketpair();
    try {
      fdpass.setBlocking(a, false);
      assert.equal(fdpass.isBlocking(a), false);
      assert.equal(fdpass.isBlocking(b), true);
      assert.equal(fdpass.recvFd(a), null, "non-blocking and empty: null, not an error");
      assert.equal(fdpass.waitReadable(a, 0), false);
    } finally {
      fdpass.close(a);
      fdpass.close(b);
    }
  });

  it("reports end of stream, a byte without an fd, and bad arguments as fdpass/ errors", () => {
    const [a, b] = fdpass.socketpair();
    writeSync(a, Uint8Array.of(0));
    assert.throws(() => fdpass.recvFd(b), { code: "fdpass/no-fd" });
    fdpass.close(a);
    assert.throws(() => fdpass.recvFd(b), { code: "fdpass/eof" });
    fdpass.close(b);
    assert.throws(() => fdpass.sendFd(-1, 0), { code: "fdpass/arg" });
    assert.throws(() => fdpass.isBlocking(1.5), { code: "fdpass/arg" });
    const notSocket = openSync("/dev/null", "r");
    try {
      assert.throws(() => fdpass.sendFd(notSocket, notSocket), { code: "fdpass/sendmsg" });
    } finally {
      closeSync(notSocket);
    }
  });
});
