import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { p2wsh } from "../../src/bitcoin/outputs.js";
import type { Tx } from "../../src/bitcoin/tx.js";
import type { ChannelType } from "../../src/bolt3/channel-type.js";
import type { CommitmentTransaction } from "../../src/bolt3/commitment.js";
import { buildHtlcTransactions, type HtlcTransaction } from "../../src/bolt3/htlc-tx.js";
import { derivePubkey } from "../../src/bolt3/key-derivation.js";
import { receivedHtlcScript, offeredHtlcScript, toLocalScript } from "../../src/bolt3/scripts.js";
import { sha256 } from "../../src/crypto/hash.js";
import type { HolderHtlcTxRequest } from "../../src/state/onchain-htlc.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { holderPointOf } from "./harness.js";
import {
  HEIGHT,
  nobleDerivePubkey,
  nobleRevocationPubkey,
  type OnchainFixture,
  onchainFixture,
  preimageOf,
  rejectsWith,
  rejectsWithState,
  STRANGER,
  STRANGER_KEY,
  verifyCompactSignature,
  verifyWitnessSignature,
  WALLET,
} from "./htlc-fixtures.js";

const ALL = 0x01;
const SINGLE_ACP = 0x83;

function htlcTxOf(c: CommitmentTransaction, paymentHash: Uint8Array): HtlcTransaction {
  const h = buildHtlcTransactions(c).find(
    (x) => bytesToHex(x.htlc.paymentHash) === bytesToHex(paymentHash),
  );
  assert.ok(h !== undefined);
  return h;
}

function cloneTx(tx: Tx): Tx {
  return {
    ...tx,
    inputs: tx.inputs.map((i) => ({ ...i, prevout: { ...i.prevout }, witness: [...i.witness] })),
    outputs: tx.outputs.map((o) => ({ ...o })),
  };
}

/** The valid request for our HTLC-success (received HTLC) or HTLC-timeout (offered HTLC). */
function holderRequest(f: OnchainFixture, kind: "success" | "timeout"): HolderHtlcTxRequest {
  const h = kind === "success" ? f.received : f.offered;
  const built = htlcTxOf(f.holder, h.paymentHash);
  return {
    commitmentNumber: 1,
    commitmentOutputIndex: built.commitmentOutputIndex,
    tx: cloneTx(built.tx),
    ...(kind === "success" ? { preimage: preimageOf("received") } : {}),
  };
}

/** Independently checks a BOLT 3 HTLC-success / HTLC-timeout witness on input `index`. */
function assertHolderHtlcWitness(
  f: OnchainFixture,
  kind: "success" | "timeout",
  tx: Tx,
  index: number,
): void {
  const h = kind === "success" ? f.received : f.offered;
  const built = htlcTxOf(f.holder, h.paymentHash);
  const w = tx.inputs[index]!.witness;
  assert.equal(w.length, 5, "0 <remotesig> <localsig> <preimage or empty> <script>");
  assert.equal(w[0]!.length, 0);
  const script = w[4]!;
  // The script is the spent commitment output's, built from independently derived keys.
  const point = holderPointOf(f.t, 1);
  const ours = f.t.channel.basepoints;
  const theirs = f.t.peer.keys.basepoints;
  const keys = {
    revocationPubkey: nobleRevocationPubkey(theirs.revocationBasepoint, point),
    localHtlcPubkey: nobleDerivePubkey(ours.htlcBasepoint, point),
    remoteHtlcPubkey: nobleDerivePubkey(theirs.htlcBasepoint, point),
  };
  const expected =
    kind === "success"
      ? receivedHtlcScript(f.channelType, keys, h.paymentHash, h.cltvExpiry)
      : offeredHtlcScript(f.channelType, keys, h.paymentHash);
  assert.equal(bytesToHex(script), bytesToHex(expected));
  const spent = f.holder.tx.outputs[built.commitmentOutputIndex]!;
  assert.equal(bytesToHex(p2wsh(script)), bytesToHex(spent.script));
  const value = spent.value;
  const remoteType = f.channelType === "anchors_zero_fee_htlc_tx" ? SINGLE_ACP : ALL;
  assert.ok(
    verifyWitnessSignature(tx, index, script, value, w[1]!, keys.remoteHtlcPubkey, remoteType),
    "the peer's HTLC signature verifies",
  );
  assert.ok(
    verifyWitnessSignature(tx, index, script, value, w[2]!, keys.localHtlcPubkey, ALL),
    "our HTLC signature verifies",
  );
  if (kind === "success") {
    assert.equal(bytesToHex(sha256(w[3]!)), bytesToHex(h.paymentHash));
  } else {
    assert.equal(w[3]!.length, 0);
    assert.equal(tx.locktime, h.cltvExpiry);
  }
}

const TYPES: ChannelType[] = ["static_remotekey", "anchors_zero_fee_htlc_tx"];

for (const type of TYPES) {
  describe(`holder HTLC txs (${type})`, () => {
    for (const kind of ["success", "timeout"] as const) {
      test(`HTLC-${kind}: signed, and the assembled witness is BOLT 3's and verifies`, async () => {
        const f = await onchainFixture(type);
        const req = holderRequest(f, kind);
        const signed = await f.t.channel.signHolderHtlcTx(req);
        assert.equal(signed.tx.inputs.length, 1);
        assertHolderHtlcWitness(f, kind, signed.tx, 0);
        // The returned compact signature is the one in the witness.
        const built = htlcTxOf(f.holder, (kind === "success" ? f.received : f.offered).paymentHash);
        const ourKey = derivePubkey(f.t.channel.basepoints.htlcBasepoint, holderPointOf(f.t, 1));
        assert.ok(
          verifyCompactSignature(
            signed.tx,
            0,
            built.htlcWitnessScript,
            built.inputValueSat,
            signed.signature,
            ourKey,
            ALL,
          ),
        );
        // Nothing changed in state; a retry gives the same answer.
        const v = f.t.channel.version;
        const again = await f.t.channel.signHolderHtlcTx(req);
        assert.deepEqual(again.signature, signed.signature);
        assert.equal(f.t.channel.version, v);
      });
    }

    test("an HTLC-success without the right preimage is refused with a typed error", async () => {
      const f = await onchainFixture(type);
      const req = holderRequest(f, "success");
      await rejectsWithState(
        f.t.channel.signHolderHtlcTx({ ...req, preimage: preimageOf("offered") }),
        "state/preimage-mismatch",
      );
      await rejectsWithState(
        f.t.channel.signHolderHtlcTx({ ...req, preimage: undefined }),
        "state/preimage-missing",
      );
    });

    test("policy-commitment-holder-not-revoked: an HTLC tx of revoked holder commitment 0", async () => {
      const f = await onchainFixture(type);
      await rejectsWith(
        f.t.channel.signHolderHtlcTx({ ...holderRequest(f, "timeout"), commitmentNumber: 0 }),
        "policy-commitment-holder-not-revoked",
      );
    });

    test("policy-htlc-version: version 1", async () => {
      const f = await onchainFixture(type);
      const req = holderRequest(f, "timeout");
      req.tx.version = 1;
      await rejectsWith(f.t.channel.signHolderHtlcTx(req), "policy-htlc-version");
    });

    test("policy-htlc-locktime: an HTLC-success with a non-zero locktime", async () => {
      const f = await onchainFixture(type);
      const req = holderRequest(f, "success");
      req.tx.locktime = HEIGHT;
      await rejectsWith(f.t.channel.signHolderHtlcTx(req), "policy-htlc-locktime");
    });

    test("policy-htlc-cltv-range: an HTLC-timeout locktime before the HTLC expiry", async () => {
      const f = await onchainFixture(type);
      const req = holderRequest(f, "timeout");
      req.tx.locktime -= 1;
      await rejectsWith(f.t.channel.signHolderHtlcTx(req), "policy-htlc-cltv-range");
    });

    test("policy-htlc-sequence: a sequence other than BOLT 3's", async () => {
      const f = await onchainFixture(type);
      const req = holderRequest(f, "timeout");
      req.tx.inputs[0]!.sequence = 0xfffffffd;
      await rejectsWith(f.t.channel.signHolderHtlcTx(req), "policy-htlc-sequence");
    });

    test("policy-htlc-other: no input spends the HTLC output", async () => {
      const f = await onchainFixture(type);
      const req = holderRequest(f, "timeout");
      req.tx.inputs[0]!.prevout.vout += 1;
      await rejectsWith(f.t.channel.signHolderHtlcTx(req), "policy-htlc-other");
    });

    test("policy-htlc-other: an output script nobody claimed", async () => {
      const f = await onchainFixture(type);
      const req = holderRequest(f, "timeout");
      req.tx.outputs[0]!.script = WALLET;
      await rejectsWith(f.t.channel.signHolderHtlcTx(req), "policy-htlc-other");
    });

    // The node's output built with one wrong key or delay, and its claim of what it used.
    const point = (f: OnchainFixture): Uint8Array => holderPointOf(f.t, 1);
    const derived = (f: OnchainFixture) => ({
      revocationPubkey: nobleRevocationPubkey(
        f.t.peer.keys.basepoints.revocationBasepoint,
        point(f),
      ),
      delayedPubkey: nobleDerivePubkey(f.t.channel.basepoints.delayedPaymentBasepoint, point(f)),
      toSelfDelay: f.t.setup.holderToSelfDelay,
    });
    const stranger = STRANGER_KEY;
    const cases = [
      ["policy-htlc-revocation-pubkey", { revocationPubkey: stranger }],
      ["policy-htlc-delayed-pubkey", { delayedPubkey: stranger }],
      ["policy-htlc-to-self-delay", { toSelfDelay: 100 }],
    ] as const;
    for (const [id, wrong] of cases) {
      test(`${id}: the output uses a key or delay that is not the derived one`, async () => {
        const f = await onchainFixture(type);
        const req = holderRequest(f, "timeout");
        const k = { ...derived(f), ...wrong };
        req.tx.outputs[0]!.script = p2wsh(
          toLocalScript(k.revocationPubkey, k.toSelfDelay, k.delayedPubkey),
        );
        await rejectsWith(f.t.channel.signHolderHtlcTx({ ...req, claims: wrong }), id);
      });
    }

    test("policy-htlc-fee-range: the HTLC output pays a fee other than BOLT 3's", async () => {
      const f = await onchainFixture(type);
      const req = holderRequest(f, "timeout");
      req.tx.outputs[0]!.value -= 1_000n;
      await rejectsWith(f.t.channel.signHolderHtlcTx(req), "policy-htlc-fee-range");
    });
  });
}

describe("policy-htlc-fee-range (non-anchors HTLC feerate bounds, demotable)", () => {
  test("policy-htlc-fee-range: the commitment feerate is below minHtlcFeeratePerKw", async () => {
    const f = await onchainFixture("static_remotekey", { config: { minHtlcFeeratePerKw: 3000 } });
    await rejectsWith(
      f.t.channel.signHolderHtlcTx(holderRequest(f, "timeout")),
      "policy-htlc-fee-range",
    );
  });

  test("policy-htlc-fee-range: demoted, the same request is signed and the warning counted", async () => {
    const f = await onchainFixture("static_remotekey", {
      config: { minHtlcFeeratePerKw: 3000 },
      demote: ["policy-htlc-fee-range"],
    });
    const signed = await f.t.channel.signHolderHtlcTx(holderRequest(f, "timeout"));
    assertHolderHtlcWitness(f, "timeout", signed.tx, 0);
    assert.equal(f.t.node.policy.warnings()["policy-htlc-fee-range"], 1);
  });
});

describe("anchors: fee-bumped HTLC txs (SIGHASH_SINGLE|ANYONECANPAY pairs)", () => {
  /** The HTLC pair moved to index 1 behind a wallet input and a change output. */
  function bumped(f: OnchainFixture, kind: "success" | "timeout", change = WALLET) {
    const req = holderRequest(f, kind);
    const pair = req.tx;
    const tx: Tx = {
      version: 2,
      locktime: pair.locktime,
      inputs: [
        {
          prevout: { txid: sha256(Buffer.from("wallet utxo")), vout: 7 },
          scriptSig: new Uint8Array(0),
          sequence: 0xfffffffd,
          witness: [Uint8Array.of(1, 2, 3)],
        },
        pair.inputs[0]!,
      ],
      outputs: [{ value: 90_000n, script: change }, pair.outputs[0]!],
    };
    return { ...req, tx };
  }

  for (const kind of ["success", "timeout"] as const) {
    test(`HTLC-${kind} with a wallet input and change is signed; both signatures verify`, async () => {
      const f = await onchainFixture("anchors_zero_fee_htlc_tx");
      const signed = await f.t.channel.signHolderHtlcTx(bumped(f, kind));
      assert.equal(signed.tx.inputs.length, 2);
      assert.deepEqual(signed.tx.inputs[0]!.witness, [Uint8Array.of(1, 2, 3)], "not touched");
      assertHolderHtlcWitness(f, kind, signed.tx, 1);
    });
  }

  test("policy-onchain-no-unknown-outputs: fee-bump change to a stranger", async () => {
    const f = await onchainFixture("anchors_zero_fee_htlc_tx");
    await rejectsWith(
      f.t.channel.signHolderHtlcTx(bumped(f, "timeout", STRANGER)),
      "policy-onchain-no-unknown-outputs",
    );
  });

  test("policy-htlc-other: a fee bump is not allowed without anchors", async () => {
    const f = await onchainFixture("static_remotekey");
    const req = holderRequest(f, "timeout");
    req.tx.outputs.push({ value: 1_000n, script: WALLET });
    await rejectsWith(f.t.channel.signHolderHtlcTx(req), "policy-htlc-other");
  });

  test("policy-htlc-fee-range: the HTLC pair pays part of the fee (demoted: signed, counted)", async () => {
    const f = await onchainFixture("anchors_zero_fee_htlc_tx", {
      demote: ["policy-htlc-fee-range"],
    });
    const req = bumped(f, "timeout");
    req.tx.outputs[1]!.value -= 500n;
    const signed = await f.t.channel.signHolderHtlcTx(req);
    assert.equal(signed.tx.inputs[1]!.witness.length, 5);
    assert.equal(f.t.node.policy.warnings()["policy-htlc-fee-range"], 1);
  });
});

for (const type of TYPES) {
  describe(`counterparty HTLC tx signatures (${type})`, () => {
    test("signatures on every HTLC tx of the current commitment verify independently", async () => {
      const f = await onchainFixture(type);
      const c3 = f.counterparty(3);
      for (const [i, h] of buildHtlcTransactions(c3).entries()) {
        const sig = await f.t.channel.signCounterpartyHtlcTx({
          commitmentNumber: 3,
          commitmentOutputIndex: h.commitmentOutputIndex,
          tx: cloneTx(h.tx),
        });
        const ourKey = nobleDerivePubkey(f.t.channel.basepoints.htlcBasepoint, f.t.peer.point(3));
        const sighashType = type === "anchors_zero_fee_htlc_tx" ? SINGLE_ACP : ALL;
        assert.ok(
          verifyCompactSignature(
            h.tx,
            0,
            h.htlcWitnessScript,
            h.inputValueSat,
            sig,
            ourKey,
            sighashType,
          ),
          `HTLC ${i}`,
        );
      }
    });

    test("the previous, unrevoked commitment is signed; a revoked one is refused", async () => {
      const f = await onchainFixture(type);
      const h2 = buildHtlcTransactions(f.counterparty(2))[0]!;
      const sig = await f.t.channel.signCounterpartyHtlcTx({
        commitmentNumber: 2,
        commitmentOutputIndex: h2.commitmentOutputIndex,
      });
      assert.equal(sig.length, 64);
      const h1 = buildHtlcTransactions(f.counterparty(1))[0]!;
      await rejectsWithState(
        f.t.channel.signCounterpartyHtlcTx({
          commitmentNumber: 1,
          commitmentOutputIndex: h1.commitmentOutputIndex,
        }),
        "state/counterparty-commitment-revoked",
      );
    });

    test("policy-htlc-locktime / -version / -sequence on the peer's HTLC tx", async () => {
      const f = await onchainFixture(type);
      const hs = buildHtlcTransactions(f.counterparty(3));
      // From the peer's view: its offered HTLC has an HTLC-timeout, its received an HTLC-success.
      const success = hs.find((h) => h.kind === "htlc-success")!;
      const base = { commitmentNumber: 3, commitmentOutputIndex: success.commitmentOutputIndex };
      let tx = cloneTx(success.tx);
      tx.locktime = 1;
      await rejectsWith(
        f.t.channel.signCounterpartyHtlcTx({ ...base, tx }),
        "policy-htlc-locktime",
      );
      tx = cloneTx(success.tx);
      tx.version = 3;
      await rejectsWith(f.t.channel.signCounterpartyHtlcTx({ ...base, tx }), "policy-htlc-version");
      tx = cloneTx(success.tx);
      tx.inputs[0]!.sequence = 5;
      await rejectsWith(
        f.t.channel.signCounterpartyHtlcTx({ ...base, tx }),
        "policy-htlc-sequence",
      );
      tx = cloneTx(success.tx);
      tx.outputs.push({ value: 1n, script: WALLET });
      await rejectsWith(f.t.channel.signCounterpartyHtlcTx({ ...base, tx }), "policy-htlc-other");
    });
  });
}
