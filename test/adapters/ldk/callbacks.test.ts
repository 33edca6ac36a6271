/**
 * Every adapter callback answers LDK with its error result instead of throwing (an exception
 * thrown into LDK aborts the process): here the Warden host is gone, so every call fails.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import * as ldk from "lightningdevkit";
import { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { initLdk } from "../../../src/adapters/ldk/sim/network.js";

test("callbacks answer with LDK's error results when Warden cannot answer", async () => {
  await initLdk();
  const lines: string[] = [];
  const w = await WardenLdkSigner.start(
    {
      seed: new Uint8Array(randomBytes(32)),
      startingTimeSecs: 1n,
      startingTimeNanos: 0,
      store: { kind: "memory" },
      approver: "none",
    },
    { log: (l) => lines.push(l) },
  );
  const keysId = w.signerProvider.generate_channel_keys_id(false, 100_000n, 0n);
  const live = w.signerProvider.derive_channel_signer(100_000n, keysId);
  await w.close();
  const script = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20));
  const closing = (): ldk.ClosingTransaction =>
    ldk.ClosingTransaction.constructor_new(
      50_000n,
      40_000n,
      script,
      script,
      ldk.OutPoint.constructor_new(new Uint8Array(32), 0),
    );
  assert.ok(!live.sign_closing_transaction(closing()).is_ok());
  assert.ok(!live.sign_holder_anchor_input(new Uint8Array(10), 0).is_ok());
  const other = w.signerProvider.derive_channel_signer(
    100_000n,
    w.signerProvider.generate_channel_keys_id(false, 100_000n, 0n),
  );
  assert.ok(!other.sign_closing_transaction(closing()).is_ok(), "a refusing signer");
  const ecdh = w.nodeSigner.ecdh(
    ldk.Recipient.LDKRecipient_Node,
    Uint8Array.from(
      Buffer.from("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "hex"),
    ),
    ldk.Option_BigEndianScalarZ.constructor_none(),
  );
  assert.ok(!ecdh.is_ok());
  assert.equal(w.refusals.length, 4);
  assert.ok(
    lines.every((l) => l.startsWith("warden: ")),
    "each failure is logged",
  );
});
