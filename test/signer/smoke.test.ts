import assert from "node:assert/strict";
import { test } from "node:test";
import { perCommitmentPoint } from "../../src/bolt3/per-commitment-secret.js";
import { PolicyError } from "../../src/policy/errors.js";
import { bytesToHex } from "../../src/util/bytes.js";
import {
  fundChannel,
  holderPointOf,
  openTestChannel,
  peerSignsHolderCommitment,
  peerVerifiesCounterpartySigs,
  testHtlc,
  testNode,
} from "./harness.js";

test("a channel opens, adds an HTLC, revokes in order and force-closes", async () => {
  const node = await testNode();
  const t = await openTestChannel(node);
  await fundChannel(t);
  const htlc = testHtlc(0, "offered", 50_000_000n);
  // Their commitment 1: the HTLC we offered is "received" from their view.
  const cp1 = {
    commitmentNumber: 1,
    feeratePerKw: 2500,
    toOwnerMsat: 0n,
    toOtherMsat: 10_000_000_000n - 50_000_000n,
    htlcs: [{ ...htlc, direction: "received" as const }],
  };
  const sigs = await t.channel.signCounterpartyCommitment(t.peer.point(1), cp1);
  assert.ok(peerVerifiesCounterpartySigs(t, cp1, sigs));
  assert.equal(sigs.htlcSignatures.length, 1);
  // They revoke their commitment 0.
  await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
  // Our commitment 1.
  const h1 = {
    commitmentNumber: 1,
    feeratePerKw: 2500,
    toOwnerMsat: 10_000_000_000n - 50_000_000n,
    toOtherMsat: 0n,
    htlcs: [htlc],
  };
  await t.channel.validateHolderCommitment(h1, peerSignsHolderCommitment(t, h1));
  const secret0 = await t.channel.revokeHolderCommitment(0);
  assert.equal(bytesToHex(perCommitmentPoint(secret0)), bytesToHex(holderPointOf(t, 0)));
  // Revoking 1 now is refused: 2 was not validated.
  await assert.rejects(t.channel.revokeHolderCommitment(1), (e: unknown) => {
    return e instanceof PolicyError && e.ruleId === "policy-revoke-new-commitment-signed";
  });
  // Force close signs the current one; then signing a revoked one is refused.
  const signed = await t.channel.signHolderCommitment(1);
  assert.equal(signed.tx.inputs[0]!.witness.length, 4);
  await assert.rejects(t.channel.signHolderCommitment(0), (e: unknown) => {
    return e instanceof PolicyError && e.ruleId === "policy-commitment-holder-not-revoked";
  });
});
