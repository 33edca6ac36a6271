/**
 * Fixtures for the Payments tests: nodes with an injected clock and a chosen approver, channels
 * that receive an HTLC (the peer offers it: our holder commitment) or offer one (we offer it:
 * the peer's commitment we sign), and signed BOLT 11 invoices from a test payee.
 */
import type { Htlc } from "../../src/bolt3/htlc.js";
import { signInvoice } from "../../src/bolt11/sign.js";
import { sha256 } from "../../src/crypto/hash.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import type { Node } from "../../src/signer/node.js";
import type { CommitmentProposal } from "../../src/state/commitment-proposal.js";
import {
  fundChannel,
  nextCounterpartyProposal,
  nextHolderProposal,
  openTestChannel,
  peerSignsHolderCommitment,
  type TestChannel,
  testNode,
  type TestNodeOptions,
} from "./harness.js";

/** 2023-11-14 (ms): the tests' wall clock start. */
export const T0 = 1_700_000_000_000;

/** A settable clock. */
export interface TestClock {
  now: number;
  readonly clock: () => number;
}

/** A clock at `ms` that tests move by assigning `now`. */
export function testClock(ms = T0): TestClock {
  const c = { now: ms, clock: () => c.now };
  return c;
}

/** The test payee's key and node id. */
export const PAYEE_SECRET = sha256(Buffer.from("payments/payee"));
export const PAYEE = publicKey(PAYEE_SECRET);
export const OTHER_PAYEE = publicKey(sha256(Buffer.from("payments/other payee")));

/** The preimage and payment hash of test payment `label`. */
export function payment(label: string): { preimage: Uint8Array; hash: Uint8Array } {
  const preimage = sha256(Buffer.from(`payments/${label}`));
  return { preimage, hash: sha256(preimage) };
}

/** A BOLT 11 invoice of the test payee, issued at `issuedMs`, expiring `expirySeconds` later. */
export function testInvoice(
  hash: Uint8Array,
  amountMsat: bigint,
  issuedMs = T0,
  expirySeconds = 3600,
): string {
  return signInvoice(
    {
      network: "bitcoin",
      amountMsat,
      timestamp: Math.floor(issuedMs / 1000),
      fields: [
        { type: "p", paymentHash: hash },
        { type: "s", paymentSecret: sha256(hash) },
        { type: "d", description: "test" },
        { type: "x", expirySeconds },
      ],
    },
    PAYEE_SECRET,
  );
}

/** A node for payment tests (no approver unless given) on `clock`. */
export async function paymentNode(clock: TestClock, opts: TestNodeOptions = {}): Promise<Node> {
  return testNode({ approver: null, ...opts, clock: clock.clock });
}

/** A funded channel `id` on `node` (outbound, 0.03 BTC pushed so the peer can pay us too). */
export async function funded(node: Node, id: string): Promise<TestChannel> {
  const t = await openTestChannel(node, id, { pushMsat: 3_000_000_000n });
  await fundChannel(t);
  return t;
}

/** An HTLC with `hash` (holder's view direction). */
export function htlc(
  id: number,
  direction: Htlc["direction"],
  hash: Uint8Array,
  amountMsat: bigint,
  cltvExpiry: number,
): Htlc {
  return { id: BigInt(id), direction, paymentHash: hash, amountMsat, cltvExpiry };
}

/** The peer offers `h` (holder view: received) on `t`: we validate our next commitment. */
export async function receive(t: TestChannel, h: Htlc): Promise<void> {
  const p = nextHolderProposal(t);
  const holder = { ...p, toOtherMsat: p.toOtherMsat - h.amountMsat, htlcs: [...p.htlcs, h] };
  await t.channel.validateHolderCommitment(holder, peerSignsHolderCommitment(t, holder));
}

/** The peer's next commitment with `h` (holder view: offered) added: our balance pays it. */
export function offerProposal(t: TestChannel, h: Htlc): CommitmentProposal {
  const p = nextCounterpartyProposal(t);
  return {
    ...p,
    toOtherMsat: p.toOtherMsat - h.amountMsat,
    htlcs: [...p.htlcs, { ...h, direction: "received" }],
  };
}

/** We offer `h` on `t`: we sign the peer's next commitment carrying it. */
export async function offer(t: TestChannel, h: Htlc): Promise<void> {
  const cp = offerProposal(t, h);
  await t.channel.signCounterpartyCommitment(t.peer.point(cp.commitmentNumber), cp);
}
