/**
 * Pipelined host requests (WardenHost.post): the LDK adapter sends validations whose answer
 * LDK does not need without waiting. The host runs sync-port requests one at a time in
 * order, so a later call's answer implies every earlier request was committed or refused;
 * a refusal comes back typed to that request's onFailure when a later call (or flush) reads it.
 * An ordered request (requestInOrder) runs in the same order but resolves with its answer.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { WardenHost } from "../../../src/adapters/ldk/client.js";
import type { HostInfo } from "../../../src/adapters/ldk/host-protocol.js";
import { sha256 } from "../../../src/crypto/hash.js";
import { StateError } from "../../../src/state/errors.js";
import { bytesToHex } from "../../../src/util/bytes.js";

const host = await WardenHost.start({
  seed: new Uint8Array(randomBytes(32)),
  startingTimeSecs: 1n,
  startingTimeNanos: 0,
  store: { kind: "memory" },
  approver: "none",
});
after(() => host.close());

test("a pipelined request runs before the call sent after it", () => {
  const preimage = new Uint8Array(randomBytes(32));
  const failures: unknown[] = [];
  host.post("addPreimage", [preimage], (e) => failures.push(e));
  const known = host.call<Uint8Array[]>("preimages", [sha256(preimage)]);
  assert.deepEqual(known.map(bytesToHex), [bytesToHex(preimage)]);
  assert.deepEqual(failures, [], "a pipelined request that succeeded reports nothing");
});

test("a pipelined refusal reaches its onFailure, typed, before the next call returns", () => {
  const failures: unknown[] = [];
  host.post(
    "channel",
    ["00".repeat(32), "validateCounterpartyRevocation", [0, new Uint8Array(32)]],
    (e) => failures.push(e),
  );
  // The call after it still gets its own answer.
  const info = host.call<HostInfo>("info");
  assert.equal(info.nodeId.length, 33);
  assert.equal(failures.length, 1);
  const e = failures[0];
  assert.ok(e instanceof StateError, String(e));
  assert.equal(e.code, "state/unknown-channel");
});

test("flush() waits for every pipelined request and reports the refused ones", () => {
  const failures: string[] = [];
  for (let i = 0; i < 5; i++) {
    host.post(
      "channel",
      [`${i}`.padStart(64, "0"), "validateCounterpartyRevocation", [0, new Uint8Array(32)]],
      () => failures.push(`refused ${i}`),
    );
    host.post("addPreimage", [new Uint8Array(randomBytes(32))], () => failures.push("odd"));
  }
  host.flush();
  assert.deepEqual(
    failures,
    [0, 1, 2, 3, 4].map((i) => `refused ${i}`),
  );
  // Nothing is reported twice.
  host.flush();
  host.call("info");
  assert.equal(failures.length, 5);
});

test("an ordered request runs before the call sent after it and resolves with its answer", async () => {
  const preimage = new Uint8Array(randomBytes(32));
  const added = host.requestInOrder("addPreimage", preimage);
  // No await in between: the host has run the ordered request when this call returns.
  const known = host.call<Uint8Array[]>("preimages", [sha256(preimage)]);
  assert.deepEqual(known.map(bytesToHex), [bytesToHex(preimage)]);
  assert.equal(await added, undefined);
});

test("an ordered request's refusal rejects it, typed, even when flush() read the answer", async () => {
  const refused = host.requestInOrder(
    "channel",
    "ab".repeat(32),
    "validateCounterpartyRevocation",
    [0, new Uint8Array(32)],
  );
  host.flush();
  await assert.rejects(refused, (e: unknown) => {
    assert.ok(e instanceof StateError, String(e));
    assert.equal(e.code, "state/unknown-channel");
    return true;
  });
});

test("an ordered request nobody follows still resolves (its answer read by the event loop)", async () => {
  const info = await host.requestInOrder<HostInfo>("info");
  assert.equal(info.nodeId.length, 33);
});
