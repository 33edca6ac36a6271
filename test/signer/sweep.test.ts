import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { p2pkhScriptCode, p2wpkh, p2wsh } from "../../src/bitcoin/outputs.js";
import { txid, type Tx, type TxOut } from "../../src/bitcoin/tx.js";
import type { ChannelType } from "../../src/bolt3/channel-type.js";
import { buildHtlcTransactions } from "../../src/bolt3/htlc-tx.js";
import {
  anchorScript,
  offeredHtlcScript,
  receivedHtlcScript,
  toLocalScript,
  toRemoteAnchorsScript,
} from "../../src/bolt3/scripts.js";
import { sha256 } from "../../src/crypto/hash.js";
import type { SweepRequest } from "../../src/state/onchain-sweep.js";
import type { SignedInput } from "../../src/signer/channel.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { holderPointOf } from "./harness.js";
import {
  HEIGHT,
  htlcOutputIndex,
  nobleDerivePubkey,
  nobleRevocationPubkey,
  type OnchainFixture,
  onchainFixture,
  outputOfKind,
  preimageOf,
  rejectsWith,
  rejectsWithState,
  STRANGER,
  sweepTx,
  verifyWitnessSignature,
  WALLET,
} from "./htlc-fixtures.js";

const ALL = 0x01;
const TYPES: ChannelType[] = ["static_remotekey", "anchors_zero_fee_htlc_tx"];

function anchors(f: OnchainFixture): boolean {
  return f.channelType === "anchors_zero_fee_htlc_tx";
}

/** Expected spend of one sweep input, derived independently (noble keys). */
interface Expect {
  scriptCode: Uint8Array;
  pubkey: Uint8Array;
  /** Witness items after our signature. */
  rest: Uint8Array[];
}

/** A valid sweep request and what its witness must be. */
interface Case {
  req: SweepRequest;
  expect: Expect;
}

function single(tx: Tx, spent: TxOut, source: SweepRequest["source"]): SweepRequest {
  return { tx, inputIndex: 0, spentOutputs: [spent], source };
}

/** Our delayed to_local on holder commitment 1 (sequence = our to_self_delay). */
function holderToLocal(f: OnchainFixture, over: Parameters<typeof sweepTx>[2] = {}): Case {
  const o = outputOfKind(f.holder, "to_local");
  const tx = sweepTx({ txid: f.holder.txid, vout: o.outputIndex }, o.valueSat, {
    sequence: f.t.setup.holderToSelfDelay,
    ...over,
  });
  const point = holderPointOf(f.t, 1);
  const script = toLocalScript(
    nobleRevocationPubkey(f.t.peer.keys.basepoints.revocationBasepoint, point),
    f.t.setup.holderToSelfDelay,
    nobleDerivePubkey(f.t.channel.basepoints.delayedPaymentBasepoint, point),
  );
  assert.equal(bytesToHex(p2wsh(script)), bytesToHex(o.scriptPubKey));
  return {
    req: single(
      tx,
      { value: o.valueSat, script: o.scriptPubKey },
      {
        kind: "holder-to-local",
        commitmentNumber: 1,
      },
    ),
    expect: {
      scriptCode: script,
      pubkey: nobleDerivePubkey(f.t.channel.basepoints.delayedPaymentBasepoint, point),
      rest: [new Uint8Array(0), script],
    },
  };
}

/** The delayed output of our HTLC-timeout. */
function holderHtlcTxOutput(f: OnchainFixture): Case {
  const h = buildHtlcTransactions(f.holder).find((x) => x.kind === "htlc-timeout")!;
  const out = h.tx.outputs[0]!;
  // With anchors the node's (fee-bumped) HTLC tx has its own txid; without, it is BOLT 3's.
  const prevout = anchors(f)
    ? { txid: sha256(Buffer.from("bumped htlc tx")), vout: 1 }
    : { txid: txid(h.tx), vout: 0 };
  const tx = sweepTx(prevout, out.value, { sequence: f.t.setup.holderToSelfDelay });
  const point = holderPointOf(f.t, 1);
  const delayed = nobleDerivePubkey(f.t.channel.basepoints.delayedPaymentBasepoint, point);
  const script = toLocalScript(
    nobleRevocationPubkey(f.t.peer.keys.basepoints.revocationBasepoint, point),
    f.t.setup.holderToSelfDelay,
    delayed,
  );
  return {
    req: single(tx, out, {
      kind: "holder-htlc-tx-output",
      commitmentNumber: 1,
      commitmentOutputIndex: h.commitmentOutputIndex,
    }),
    expect: { scriptCode: script, pubkey: delayed, rest: [new Uint8Array(0), script] },
  };
}

/** Keys of the peer's commitment n, derived independently. */
function peerCommitmentKeys(f: OnchainFixture, n: 1 | 2 | 3) {
  const point = f.t.peer.point(n);
  return {
    revocationPubkey: nobleRevocationPubkey(f.t.channel.basepoints.revocationBasepoint, point),
    localHtlcPubkey: nobleDerivePubkey(f.t.peer.keys.basepoints.htlcBasepoint, point),
    remoteHtlcPubkey: nobleDerivePubkey(f.t.channel.basepoints.htlcBasepoint, point),
    localDelayedPubkey: nobleDerivePubkey(f.t.peer.keys.basepoints.delayedPaymentBasepoint, point),
  };
}

/** An HTLC output of the peer's commitment n: success path (we received) or timeout (we offered). */
function counterpartyHtlc(
  f: OnchainFixture,
  path: "success" | "timeout",
  n: 2 | 3 = 3,
  over: Parameters<typeof sweepTx>[2] = {},
): Case {
  const c = f.counterparty(n);
  const ours = path === "success" ? f.received : f.offered;
  const idx = htlcOutputIndex(c, ours.paymentHash);
  const o = c.tx.outputs[idx]!;
  const tx = sweepTx({ txid: c.txid, vout: idx }, o.value, {
    sequence: anchors(f) ? 1 : 0xfffffffd,
    locktime: path === "timeout" ? ours.cltvExpiry : HEIGHT,
    ...over,
  });
  const keys = peerCommitmentKeys(f, n);
  // From the peer's view our received HTLC is one it offered, and vice versa.
  const script =
    path === "success"
      ? offeredHtlcScript(f.channelType, keys, ours.paymentHash)
      : receivedHtlcScript(f.channelType, keys, ours.paymentHash, ours.cltvExpiry);
  assert.equal(bytesToHex(p2wsh(script)), bytesToHex(o.script));
  const preimage = preimageOf("received");
  return {
    req: single(tx, o, {
      kind: "counterparty-htlc",
      commitmentNumber: n,
      commitmentOutputIndex: idx,
      ...(path === "success" ? { preimage } : {}),
    }),
    expect: {
      scriptCode: script,
      pubkey: keys.remoteHtlcPubkey,
      rest: [path === "success" ? preimage : new Uint8Array(0), script],
    },
  };
}

/** Our to_remote on the peer's commitment n (revoked or not). */
function toRemote(f: OnchainFixture, n: 1 | 3): Case {
  const c = f.counterparty(n);
  const o = outputOfKind(c, "to_remote");
  const tx = sweepTx({ txid: c.txid, vout: o.outputIndex }, o.valueSat, {
    sequence: anchors(f) ? 1 : 0xfffffffd,
  });
  const pub = f.t.channel.basepoints.paymentBasepoint;
  const script = anchors(f) ? toRemoteAnchorsScript(pub) : undefined;
  assert.equal(
    bytesToHex(script === undefined ? p2wpkh(pub) : p2wsh(script)),
    bytesToHex(o.scriptPubKey),
  );
  return {
    req: single(
      tx,
      { value: o.valueSat, script: o.scriptPubKey },
      {
        kind: "counterparty-to-remote",
        commitmentNumber: n,
      },
    ),
    expect: {
      scriptCode: script ?? p2pkhScriptCode(pub),
      pubkey: pub,
      rest: [script ?? pub],
    },
  };
}

/** Justice on revoked peer commitment 1: its to_local, or our offered HTLC on it. */
function justice(
  f: OnchainFixture,
  what: "to_local" | "htlc",
  over: Parameters<typeof sweepTx>[2] = {},
  confirmedAtHeight?: number,
): Case {
  const c = f.counterparty(1);
  const keys = peerCommitmentKeys(f, 1);
  if (what === "to_local") {
    const o = outputOfKind(c, "to_local");
    const script = toLocalScript(
      keys.revocationPubkey,
      f.t.setup.counterpartyToSelfDelay,
      keys.localDelayedPubkey,
    );
    const tx = sweepTx({ txid: c.txid, vout: o.outputIndex }, o.valueSat, over);
    return {
      req: single(
        tx,
        { value: o.valueSat, script: o.scriptPubKey },
        {
          kind: "justice-to-local",
          commitmentNumber: 1,
          ...(confirmedAtHeight !== undefined ? { confirmedAtHeight } : {}),
        },
      ),
      expect: {
        scriptCode: script,
        pubkey: keys.revocationPubkey,
        rest: [Uint8Array.of(1), script],
      },
    };
  }
  const idx = htlcOutputIndex(c, f.offered.paymentHash);
  const o = c.tx.outputs[idx]!;
  const script = receivedHtlcScript(
    f.channelType,
    keys,
    f.offered.paymentHash,
    f.offered.cltvExpiry,
  );
  const tx = sweepTx({ txid: c.txid, vout: idx }, o.value, over);
  return {
    req: single(tx, o, {
      kind: "justice-htlc",
      commitmentNumber: 1,
      htlc: {
        direction: "received",
        paymentHash: f.offered.paymentHash,
        cltvExpiry: f.offered.cltvExpiry,
      },
    }),
    expect: {
      scriptCode: script,
      pubkey: keys.revocationPubkey,
      rest: [keys.revocationPubkey, script],
    },
  };
}

/** Our anchor (CPFP) of holder commitment 1 or peer commitment 3, with a wallet input. */
function anchorSpend(f: OnchainFixture, owner: "holder" | "counterparty"): Case {
  const c = owner === "holder" ? f.holder : f.counterparty(3);
  const o = outputOfKind(c, owner === "holder" ? "to_local_anchor" : "to_remote_anchor");
  const walletIn: TxOut = { value: 100_000n, script: WALLET };
  const tx: Tx = {
    version: 2,
    locktime: HEIGHT,
    inputs: [
      {
        prevout: { txid: c.txid, vout: o.outputIndex },
        scriptSig: new Uint8Array(0),
        sequence: 0xfffffffd,
        witness: [],
      },
      {
        prevout: { txid: sha256(Buffer.from("utxo")), vout: 0 },
        scriptSig: new Uint8Array(0),
        sequence: 0xfffffffd,
        witness: [],
      },
    ],
    outputs: [{ value: 100_330n - 4_000n, script: WALLET }],
  };
  const script = anchorScript(f.t.channel.basepoints.fundingPubkey);
  return {
    req: {
      tx,
      inputIndex: 0,
      spentOutputs: [{ value: o.valueSat, script: o.scriptPubKey }, walletIn],
      source: { kind: "anchor", owner, commitmentNumber: owner === "holder" ? 1 : 3 },
    },
    expect: { scriptCode: script, pubkey: f.t.channel.basepoints.fundingPubkey, rest: [script] },
  };
}

/** Independently verifies the signed input's witness: our signature, then the expected items. */
function assertSwept(c: Case, signed: SignedInput): void {
  const i = c.req.inputIndex;
  const w = signed.tx.inputs[i]!.witness;
  assert.deepEqual(w, signed.witness);
  assert.equal(w.length, 1 + c.expect.rest.length);
  c.expect.rest.forEach((item, k) => assert.equal(bytesToHex(w[k + 1]!), bytesToHex(item)));
  const value = c.req.spentOutputs[i]!.value;
  assert.ok(
    verifyWitnessSignature(signed.tx, i, c.expect.scriptCode, value, w[0]!, c.expect.pubkey, ALL),
    "our sweep signature verifies independently",
  );
}

for (const type of TYPES) {
  describe(`sweeps (${type}): every kind is signed and verifies independently`, () => {
    const kinds: Array<[string, (f: OnchainFixture) => Case]> = [
      ["delayed to_local of our holder commitment", (f) => holderToLocal(f)],
      ["the delayed output of our HTLC tx", (f) => holderHtlcTxOutput(f)],
      [
        "the peer's commitment HTLC, success path with preimage",
        (f) => counterpartyHtlc(f, "success"),
      ],
      [
        "the peer's commitment HTLC, timeout path (locktime = expiry)",
        (f) => counterpartyHtlc(f, "timeout"),
      ],
      ["the peer's previous commitment HTLC", (f) => counterpartyHtlc(f, "success", 2)],
      ["our to_remote on the peer's current commitment", (f) => toRemote(f, 3)],
      ["our to_remote on a revoked peer commitment", (f) => toRemote(f, 1)],
      ["justice: revoked to_local", (f) => justice(f, "to_local")],
      ["justice: revoked HTLC output", (f) => justice(f, "htlc")],
    ];
    if (type === "anchors_zero_fee_htlc_tx") {
      kinds.push(["our anchor of the holder commitment (CPFP)", (f) => anchorSpend(f, "holder")]);
      kinds.push([
        "our anchor of the peer's commitment (CPFP)",
        (f) => anchorSpend(f, "counterparty"),
      ]);
    }
    for (const [name, make] of kinds) {
      test(name, async () => {
        const f = await onchainFixture(type);
        const c = make(f);
        const v = f.t.channel.version;
        assertSwept(c, await f.t.channel.signSweep(c.req));
        assert.equal(f.t.channel.version, v, "state unchanged");
      });
    }

    test("policy-sweep-version: version 1", async () => {
      const f = await onchainFixture(type);
      const c = holderToLocal(f);
      c.req.tx.version = 1;
      await rejectsWith(f.t.channel.signSweep(c.req), "policy-sweep-version");
    });

    test("policy-sweep-sequence: a sequence below the to_self_delay", async () => {
      const f = await onchainFixture(type);
      const c = holderToLocal(f, { sequence: f.t.setup.holderToSelfDelay - 1 });
      await rejectsWith(f.t.channel.signSweep(c.req), "policy-sweep-sequence");
    });

    test("policy-sweep-sequence: a relative lock that delays a justice sweep", async () => {
      const f = await onchainFixture(type);
      await rejectsWith(
        f.t.channel.signSweep(justice(f, "to_local", { sequence: 100 }).req),
        "policy-sweep-sequence",
      );
    });

    test("policy-sweep-locktime: a locktime beyond the current height", async () => {
      const f = await onchainFixture(type);
      const c = holderToLocal(f, { locktime: HEIGHT + 10 });
      await rejectsWith(f.t.channel.signSweep(c.req), "policy-sweep-locktime");
    });

    test("policy-sweep-locktime: without a chain view, a block-height locktime is accepted but a time-based one is not", async () => {
      const f = await onchainFixture(type, { chainHeight: null });
      const later = holderToLocal(f, { locktime: HEIGHT + 10 });
      assertSwept(later, await f.t.channel.signSweep(later.req));
      const timeBased = holderToLocal(f, { locktime: 500_000_000 });
      await rejectsWith(f.t.channel.signSweep(timeBased.req), "policy-sweep-locktime");
    });

    test("policy-sweep-locktime: an HTLC timeout whose locktime is not the expiry", async () => {
      const f = await onchainFixture(type);
      const c = counterpartyHtlc(f, "timeout", 3, { locktime: f.offered.cltvExpiry - 1 });
      await rejectsWith(f.t.channel.signSweep(c.req), "policy-sweep-locktime");
    });

    test("policy-sweep-destination-allowlisted: a sweep to a stranger (and demoted)", async () => {
      const f = await onchainFixture(type);
      await rejectsWith(
        f.t.channel.signSweep(holderToLocal(f, { dest: STRANGER }).req),
        "policy-sweep-destination-allowlisted",
      );
      const g = await onchainFixture(type, { demote: ["policy-sweep-destination-allowlisted"] });
      const c = holderToLocal(g, { dest: STRANGER });
      assertSwept(c, await g.t.channel.signSweep(c.req));
      assert.equal(g.t.node.policy.warnings()["policy-sweep-destination-allowlisted"], 1);
    });

    test("policy-sweep-fee-range: too much fee without a deadline (and demoted)", async () => {
      const f = await onchainFixture(type);
      await rejectsWith(
        f.t.channel.signSweep(holderToLocal(f, { feeSat: 50_000n }).req),
        "policy-sweep-fee-range",
      );
      const g = await onchainFixture(type, { demote: ["policy-sweep-fee-range"] });
      const c = holderToLocal(g, { feeSat: 50_000n });
      assertSwept(c, await g.t.channel.signSweep(c.req));
      assert.equal(g.t.node.policy.warnings()["policy-sweep-fee-range"], 1);
    });

    test("policy-sweep-fee-range: a fee rate below the minimum", async () => {
      const f = await onchainFixture(type);
      await rejectsWith(
        f.t.channel.signSweep(holderToLocal(f, { feeSat: 10n }).req),
        "policy-sweep-fee-range",
      );
    });

    test("policy-sweep-fee-range: a justice sweep may pay more as the breach window closes", async () => {
      const f = await onchainFixture(type);
      const fee = { feeSat: 60_000n };
      // Just confirmed: the whole to_self_delay is left, the normal cap applies.
      await rejectsWith(
        f.t.channel.signSweep(justice(f, "to_local", fee).req),
        "policy-sweep-fee-range",
      );
      // Four blocks before the cheater's delay matures, the cap has widened 36-fold.
      const late = justice(f, "to_local", fee, HEIGHT - f.t.setup.counterpartyToSelfDelay + 4);
      assertSwept(late, await f.t.channel.signSweep(late.req));
      // Past the window, the whole value may go to fees.
      const past = justice(f, "to_local", { feeSat: 2_000_000n }, HEIGHT - 1_000);
      assertSwept(past, await f.t.channel.signSweep(past.req));
    });

    test("justice: a spent output that does not hash to the rebuilt script is refused", async () => {
      const f = await onchainFixture(type);
      const c = justice(f, "to_local");
      c.req.spentOutputs = [{ value: c.req.spentOutputs[0]!.value, script: WALLET }];
      await rejectsWithState(f.t.channel.signSweep(c.req), "state/sweep-input-mismatch");
    });

    test("a recomposed spend with the wrong outpoint or value is refused", async () => {
      const f = await onchainFixture(type);
      const c = holderToLocal(f);
      c.req.tx.inputs[0]!.prevout.vout += 1;
      await rejectsWithState(f.t.channel.signSweep(c.req), "state/sweep-input-mismatch");
      const d = holderToLocal(f);
      d.req.spentOutputs = [{ ...d.req.spentOutputs[0]!, value: 1n }];
      await rejectsWithState(f.t.channel.signSweep(d.req), "state/sweep-input-mismatch");
    });

    test("an HTLC success sweep needs the preimage; a non-revoked commitment gets no justice", async () => {
      const f = await onchainFixture(type);
      const c = counterpartyHtlc(f, "success");
      await rejectsWithState(
        f.t.channel.signSweep({
          ...c.req,
          source: { ...c.req.source, preimage: preimageOf("x") } as SweepRequest["source"],
        }),
        "state/preimage-mismatch",
      );
      const j = justice(f, "to_local");
      await rejectsWithState(
        f.t.channel.signSweep({
          ...j.req,
          source: { kind: "justice-to-local", commitmentNumber: 2 },
        }),
        "state/counterparty-commitment-not-revoked",
      );
    });

    test("policy-commitment-holder-not-revoked: sweeping revoked holder commitment 0", async () => {
      const f = await onchainFixture(type);
      const c = holderToLocal(f);
      await rejectsWith(
        f.t.channel.signSweep({
          ...c.req,
          source: { kind: "holder-to-local", commitmentNumber: 0 },
        }),
        "policy-commitment-holder-not-revoked",
      );
    });
  });
}

test("anchors: a CPFP is judged as a package with the commitment it bumps", async () => {
  const f = await onchainFixture("anchors_zero_fee_htlc_tx");
  const c = anchorSpend(f, "holder");
  // Child alone: fee below the floor; the parent's fee lifts the package over it.
  c.req.tx.outputs[0]!.value = 100_330n - 50n;
  assertSwept(c, await f.t.channel.signSweep(c.req));
  const none = await onchainFixture("static_remotekey");
  const d = toRemote(none, 3);
  await rejectsWithState(
    none.t.channel.signSweep({
      ...d.req,
      source: { kind: "anchor", owner: "holder", commitmentNumber: 1 },
    }),
    "state/no-anchors",
  );
});
