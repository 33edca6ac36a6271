/**
 * A Warden host whose thread stops (crash, exit, termination): every waiting request is
 * rejected with `ldk/host-dead`, every pipelined one reported as failed, later calls fail at
 * once (instead of timing out one by one), and close() still completes.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { test } from "node:test";
import { WardenHost } from "../../../src/adapters/ldk/client.js";
import { WardenError } from "../../../src/errors.js";

const isHostDead = (e: unknown): boolean => {
  assert.ok(e instanceof WardenError, String(e));
  assert.equal(e.code, "ldk/host-dead");
  return true;
};

test("a host thread that stops fails its waiting, pipelined and later calls at once", async () => {
  const host = await WardenHost.start({
    seed: new Uint8Array(randomBytes(32)),
    startingTimeSecs: 1n,
    startingTimeNanos: 0,
    store: { kind: "memory" },
    // A queued approval waits for a human: it is still waiting when the thread stops.
    approver: "queue",
  });
  const waiting = host.request(
    "approveKeysend",
    new Uint8Array(33).fill(2),
    new Uint8Array(32),
    1_000n,
  );
  // The request reached the queue (the host answers requests on one port in order).
  for (let i = 0; i < 200; i++) {
    if ((await host.request<unknown[]>("pendingApprovals")).length > 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const exited = once(host.worker, "exit");
  await host.worker.terminate();
  await exited;

  await assert.rejects(waiting, isHostDead);
  // (Without the exit noticed, this call would wait out its timeout and fail otherwise.)
  assert.throws(() => host.call("info"), isHostDead);
  assert.throws(() => host.post("addPreimage", [new Uint8Array(32)], () => undefined), isHostDead);
  await assert.rejects(host.requestInOrder("info"), isHostDead);
  await assert.rejects(host.request("info"), isHostDead);
  await host.close();
});
