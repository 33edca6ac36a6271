/**
 * One velocity record per node: the on-chain wallet and the payments shell share the node's
 * velocity tracker and its lock, so approving a payment (policy-velocity-payments) and signing
 * a funding PSBT (policy-velocity-funding / -l1-fees) never conflict on the Store record and
 * both are counted, in either order and concurrently.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApproveAll } from "../../src/payments/approver.js";
import { decodeState } from "../../src/state/codec.js";
import {
  type VelocityBucket,
  type VelocityKind,
  VelocityTracker,
  velocityKey,
  velocityLimits,
} from "../../src/state/velocity.js";
import { payment, testInvoice } from "../signer/payments-fixtures.js";
import {
  CHANNEL_SAT,
  fundingRequest,
  verifySignedPsbt,
  walletEnv,
  type WalletEnv,
} from "./fixtures.js";

const PAYMENT_MSAT = 5_000_000n;
const FEE_SAT = 1000n;

/** Sum per kind of the velocity record as stored (not the in-memory tracker). */
async function storedVelocity(env: WalletEnv): Promise<Record<VelocityKind, bigint>> {
  const stored = await env.store.get(velocityKey(env.node.nodeId));
  assert.ok(stored !== undefined, "the velocity record is stored");
  const raw = decodeState<Partial<Record<VelocityKind, VelocityBucket[]>>>(stored.value);
  const sum = (k: VelocityKind): bigint => (raw[k] ?? []).reduce((a, b) => a + b.amount, 0n);
  return {
    payments: sum("payments"),
    transferred: sum("transferred"),
    funding: sum("funding"),
    "l1-fees": sum("l1-fees"),
  };
}

async function scenario(order: "payment-first" | "psbt-first" | "concurrent"): Promise<void> {
  const env = await walletEnv({ approver: new ApproveAll() });
  assert.equal(env.wallet.velocity, env.node.payments.velocity, "one tracker per node");
  const { psbt } = await fundingRequest(env);
  const invoice = testInvoice(payment(`shared-velocity/${order}`).hash, PAYMENT_MSAT);
  const pay = (): Promise<void> => env.node.approveInvoice(invoice);
  const sign = (): Promise<unknown> => env.wallet.signPsbt(psbt);
  let signed: unknown;
  if (order === "payment-first") {
    await pay();
    signed = await sign();
  } else if (order === "psbt-first") {
    signed = await sign();
    await pay();
  } else {
    [, signed] = await Promise.all([pay(), sign()]);
  }
  const { psbt: out } = signed as { psbt: Uint8Array };
  assert.deepEqual(verifySignedPsbt(out), { ecdsa: 1, schnorr: 1 });

  const now = env.clock.now;
  const v = env.node.payments.velocity;
  assert.equal(v.check("payments", 0n, now).used, PAYMENT_MSAT);
  assert.equal(v.check("funding", 0n, now).used, CHANNEL_SAT);
  assert.equal(v.check("l1-fees", 0n, now).used, FEE_SAT);

  const stored = await storedVelocity(env);
  assert.equal(stored.payments, PAYMENT_MSAT);
  assert.equal(stored.funding, CHANNEL_SAT);
  assert.equal(stored["l1-fees"], FEE_SAT);

  // A fresh reader of the store (a restarted node) sees both kinds too.
  const fresh = await VelocityTracker.open(
    env.store,
    velocityKey(env.node.nodeId),
    velocityLimits(env.node.policy.config),
  );
  assert.equal(fresh.check("payments", 0n, now).used, PAYMENT_MSAT);
  assert.equal(fresh.check("funding", 0n, now).used, CHANNEL_SAT);
  assert.ok(env.node.payments.record(payment(`shared-velocity/${order}`).hash)?.approval);
}

test("shared velocity: approve a payment, then sign a funding PSBT — no conflict, both counted", async () => {
  await scenario("payment-first");
});

test("shared velocity: sign a funding PSBT, then approve a payment — no conflict, both counted", async () => {
  await scenario("psbt-first");
});

test("shared velocity: approve a payment and sign a funding PSBT concurrently — no conflict, both counted", async () => {
  await scenario("concurrent");
});

test("shared velocity: concurrent payments and PSBT signing, repeated, never conflict", async () => {
  const env = await walletEnv({ approver: new ApproveAll() });
  const { psbt } = await fundingRequest(env);
  const hashes = [0, 1, 2, 3].map((i) => payment(`shared-velocity/many/${i}`).hash);
  await Promise.all([
    ...hashes.map((h) => env.node.approveInvoice(testInvoice(h, PAYMENT_MSAT))),
    env.wallet.signPsbt(psbt),
    env.wallet.signPsbt(psbt), // a retry: signed again, counted once
  ]);
  const stored = await storedVelocity(env);
  assert.equal(stored.payments, 4n * PAYMENT_MSAT);
  assert.equal(stored.funding, CHANNEL_SAT);
  assert.equal(stored["l1-fees"], FEE_SAT);
});
