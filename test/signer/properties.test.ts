/**
 * Safety properties under random request streams, honest and malicious (wrong numbers, replays,
 * skipped and early revocations, wrong secrets, bad signatures, balance theft, force close and
 * mutual close followed by more requests). Whatever the order, the signer never:
 * (a) signs for broadcast a holder commitment it revoked (or revokes one it broadcast),
 * (b) releases secret n before holder commitment n+1 was validated,
 * (c) signs counterparty commitment n+2 before n was revoked,
 * (d) changes its state or store on a refused request (every refusal is a typed WardenError).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { p2wpkh } from "../../src/bitcoin/outputs.js";
import { sha256 } from "../../src/crypto/hash.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import { WardenError } from "../../src/errors.js";
import type { CommitmentProposal } from "../../src/state/commitment-proposal.js";
import { bytesToHex } from "../../src/util/bytes.js";
import {
  fundChannel,
  nextCounterpartyProposal,
  nextHolderProposal,
  openTestChannel,
  peerSignsHolderCommitment,
  snapshot,
  type TestChannel,
  testHtlc,
  testPreimage,
  testNode,
} from "./harness.js";
import { pointOfSecret } from "./independent.js";

/** How a commitment proposal is changed before it is sent. */
type Mutation = "none" | "fee" | "htlc" | "settle" | "steal";

type Action =
  | { kind: "signCp"; delta: number; mutation: Mutation; wrongPoint: boolean }
  | { kind: "peerRevoke"; delta: number; wrongSecret: boolean }
  | { kind: "validateHolder"; delta: number; mutation: Mutation; badSig: boolean }
  | { kind: "revoke"; delta: number }
  | { kind: "forceClose"; delta: number }
  | { kind: "mutualClose" }
  | { kind: "replay" }
  | { kind: "honest"; mutation: Mutation };

const delta = fc.constantFrom(0, 0, 0, 0, -1, 1, 2);
const mutation = fc.constantFrom<Mutation>(
  "none",
  "none",
  "fee",
  "htlc",
  "htlc",
  "settle",
  "steal",
);
const sometimes = fc.integer({ min: 0, max: 7 }).map((i) => i === 0);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("signCp" as const),
      delta,
      mutation,
      wrongPoint: sometimes,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("peerRevoke" as const),
      delta,
      wrongSecret: sometimes,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("validateHolder" as const),
      delta,
      mutation,
      badSig: sometimes,
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("revoke" as const), delta }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("forceClose" as const), delta }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("mutualClose" as const) }) },
  { weight: 12, arbitrary: fc.record({ kind: fc.constant("honest" as const), mutation }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("replay" as const) }) },
);

const OUR_WALLET = p2wpkh(publicKey(sha256(Buffer.from("prop wallet"))));

/** Applies `m` to a proposal; `holder` tells whose view the directions are in. */
function mutate(
  p: CommitmentProposal,
  m: Mutation,
  holder: boolean,
  seq: number,
): CommitmentProposal {
  switch (m) {
    case "none":
      return p;
    case "fee":
      return { ...p, feeratePerKw: 253 + ((seq * 7919) % 20_000) };
    case "htlc": {
      // Alternate: an HTLC we offer (our balance pays) or one the peer offers.
      const byUs = seq % 2 === 0;
      const amount = 1_000_000n + BigInt(seq) * 1000n;
      const h = { ...testHtlc(1000 + seq, holder === byUs ? "offered" : "received", amount) };
      const ourField = holder ? "toOwnerMsat" : "toOtherMsat";
      const theirField = holder ? "toOtherMsat" : "toOwnerMsat";
      const payer = byUs ? ourField : theirField;
      return { ...p, [payer]: p[payer] - amount, htlcs: [...p.htlcs, h] };
    }
    case "settle": {
      // Remove the first HTLC as fulfilled (the receiver is credited).
      const h = p.htlcs[0];
      if (h === undefined) return p;
      const receiverIsOwner = h.direction === "received";
      const field = receiverIsOwner ? "toOwnerMsat" : "toOtherMsat";
      return { ...p, [field]: p[field] + h.amountMsat, htlcs: p.htlcs.slice(1) };
    }
    case "steal": {
      const ourField = holder ? "toOwnerMsat" : "toOtherMsat";
      const theirField = holder ? "toOtherMsat" : "toOwnerMsat";
      return { ...p, [ourField]: p[ourField] - 5_000n, [theirField]: p[theirField] + 5_000n };
    }
  }
}

/** The next step of an honest BOLT 2 exchange from state `s` (the peer drives the updates). */
function honestStep(
  s: TestChannel["channel"]["state"],
  m: Mutation,
): Exclude<Action, { kind: "honest" }> {
  const cpCur = s.nextCounterpartyCommitNum - 1;
  if (cpCur - 1 > s.counterpartyRevokedThrough) {
    return { kind: "peerRevoke", delta: 0, wrongSecret: false };
  }
  if (s.nextHolderCommitNum - 1 < cpCur) {
    return { kind: "validateHolder", delta: 0, mutation: "none", badSig: false };
  }
  if (s.holderRevokedThrough < s.nextHolderCommitNum - 2) return { kind: "revoke", delta: 0 };
  return { kind: "signCp", delta: 0, mutation: m === "steal" ? "none" : m, wrongPoint: false };
}

/** Runs `actions` on a fresh funded channel, checking the four properties after each one. */
async function run(actions: readonly Action[]): Promise<Record<string, number>> {
  const accepted: Record<string, number> = {};
  const node = await testNode({ config: { allowlist: [bytesToHex(OUR_WALLET)] } });
  const t: TestChannel = await openTestChannel(node, "prop", { pushMsat: 3_000_000_000n });
  await fundChannel(t);
  const ch = t.channel;
  const validatedHolder = new Set<number>([0]);
  const released = new Set<number>();
  const broadcast = new Set<number>();
  let cpRevokedThrough = -1;
  let last: (() => Promise<unknown>) | undefined;

  for (const [seq, requested] of actions.entries()) {
    const s = ch.state;
    const a = requested.kind === "honest" ? honestStep(s, requested.mutation) : requested;
    let request: () => Promise<unknown>;
    let onSuccess: (result: unknown) => void = () => undefined;
    // A fulfilled HTLC's preimage reaches the signer first (the node got it from the peer).
    const settling =
      requested.kind !== "replay" && "mutation" in a && a.mutation === "settle"
        ? (a.kind === "signCp" ? s.currentCounterparty : s.currentHolder)?.htlcs[0]
        : undefined;
    if (settling !== undefined) await node.addPreimage(testPreimage(Number(settling.id)));
    switch (a.kind) {
      case "signCp": {
        const base = nextCounterpartyProposal(t);
        const p = mutate(
          { ...base, commitmentNumber: base.commitmentNumber + a.delta },
          a.mutation,
          false,
          seq,
        );
        const n = p.commitmentNumber;
        const point = a.wrongPoint ? t.peer.point(n + 1) : t.peer.point(Math.max(0, n));
        request = () => ch.signCounterpartyCommitment(point, p);
        // (c) n is signed only once n-2 was revoked (a retry of a signed number is fine).
        onSuccess = () =>
          assert.ok(n - 2 <= cpRevokedThrough, `(c) signed ${n} with ${cpRevokedThrough} revoked`);
        break;
      }
      case "peerRevoke": {
        const n = s.counterpartyRevokedThrough + 1 + a.delta;
        const secret = t.peer.secret(Math.max(0, a.wrongSecret ? n + 1 : n));
        request = () => ch.validateCounterpartyRevocation(n, secret);
        onSuccess = () => {
          cpRevokedThrough = Math.max(cpRevokedThrough, n);
        };
        break;
      }
      case "validateHolder": {
        const base = nextHolderProposal(t);
        const p = mutate(
          { ...base, commitmentNumber: base.commitmentNumber + a.delta },
          a.mutation,
          true,
          seq,
        );
        const n = p.commitmentNumber;
        const sigs = peerSignsHolderCommitment(t, { ...p, commitmentNumber: Math.max(0, n) });
        if (a.badSig)
          sigs.commitmentSignature = peerSignsHolderCommitment(t, {
            ...p,
            feeratePerKw: p.feeratePerKw + 1,
            commitmentNumber: Math.max(0, n),
          }).commitmentSignature;
        request = () => ch.validateHolderCommitment(p, sigs);
        onSuccess = () => validatedHolder.add(n);
        break;
      }
      case "revoke": {
        const n = s.holderRevokedThrough + 1 + a.delta;
        request = () => ch.revokeHolderCommitment(n);
        onSuccess = (secret) => {
          // (b) secret n only once n+1 was validated; it is the secret of point n.
          assert.ok(validatedHolder.has(n + 1), `(b) released ${n} before ${n + 1} was validated`);
          assert.ok(!broadcast.has(n), `(a) revoked broadcast commitment ${n}`);
          assert.equal(
            bytesToHex(pointOfSecret(secret as Uint8Array)),
            bytesToHex(t.node.keys.channelKeys(ch.id).perCommitmentPoint(n)),
          );
          released.add(n);
        };
        break;
      }
      case "forceClose": {
        const n = s.nextHolderCommitNum - 1 + a.delta;
        request = () => ch.signHolderCommitment(n);
        onSuccess = () => {
          assert.ok(!released.has(n), `(a) broadcast revoked commitment ${n}`);
          broadcast.add(n);
        };
        break;
      }
      case "mutualClose": {
        const h = s.currentHolder!;
        request = () =>
          ch.signMutualClose({
            toHolderMsat: h.toOwnerMsat,
            toCounterpartyMsat: t.setup.channelValueSat * 1000n - h.toOwnerMsat,
            holderScript: OUR_WALLET,
            counterpartyScript: OUR_WALLET,
            feeSat: 700n,
          });
        break;
      }
      case "replay":
        if (last === undefined) continue;
        request = last;
        break;
    }
    last = request;
    const before = await snapshot(node, ch);
    let result: unknown;
    try {
      result = await request();
    } catch (e) {
      // (d) a refusal is typed and changes nothing.
      assert.ok(e instanceof WardenError, `untyped refusal: ${String(e)}`);
      assert.equal(await snapshot(node, ch), before, `(d) ${a.kind} was refused but changed state`);
      continue;
    }
    onSuccess(result);
    accepted[a.kind] = (accepted[a.kind] ?? 0) + 1;
    // Invariants of the recorded state.
    const after = ch.state;
    assert.ok(after.holderRevokedThrough < after.nextHolderCommitNum - 1, "current holder revoked");
    assert.ok(after.nextCounterpartyCommitNum - 3 <= after.counterpartyRevokedThrough);
  }
  return accepted;
}

test("no request stream makes the signer break (a)-(d)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(actionArb, { minLength: 5, maxLength: 40 }), async (actions) => {
      await run(actions);
    }),
    { numRuns: 80, seed: 20240601 },
  );
});

test("an honest stream is accepted: the properties are not vacuous", async () => {
  // The same generator restricted to honest steps in BOLT 2 order keeps the channel moving.
  const honest: Action[] = [];
  for (let i = 0; i < 6; i++) {
    honest.push(
      { kind: "signCp", delta: 0, mutation: i % 2 === 0 ? "htlc" : "settle", wrongPoint: false },
      { kind: "peerRevoke", delta: 0, wrongSecret: false },
      { kind: "validateHolder", delta: 0, mutation: "none", badSig: false },
      { kind: "revoke", delta: 0 },
    );
  }
  honest.push(
    { kind: "forceClose", delta: 0 },
    { kind: "revoke", delta: 0 },
    { kind: "signCp", delta: 0, mutation: "none", wrongPoint: false },
  );
  const accepted = await run(honest);
  assert.deepEqual(accepted, {
    signCp: 6,
    peerRevoke: 6,
    validateHolder: 6,
    revoke: 6,
    forceClose: 1,
  });
});
