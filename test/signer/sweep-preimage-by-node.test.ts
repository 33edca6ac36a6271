/**
 * A success sweep of an HTLC the peer offered us on its commitment, signed without the
 * preimage (SweepSource preimageByNode, for Core Lightning, whose signer never sees preimages):
 * the signature verifies for the HTLC's script and our HTLC key; no witness is returned; the
 * Sweep rules still apply (a foreign destination is refused).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { derivePubkey } from "../../src/bolt3/key-derivation.js";
import {
  HEIGHT,
  htlcOutputIndex,
  onchainFixture,
  rejectsWith,
  STRANGER,
  sweepTx,
  verifyCompactSignature,
} from "./htlc-fixtures.js";

for (const type of ["anchors_zero_fee_htlc_tx", "static_remotekey"] as const) {
  test(`${type}: the peer's offered HTLC, success path, without the preimage`, async () => {
    const f = await onchainFixture(type);
    const c = f.counterparty(3);
    const idx = htlcOutputIndex(c, f.received.paymentHash);
    const out = c.htlcOutputs.find((o) => o.outputIndex === idx)!;
    const request = (dest?: Uint8Array) => ({
      tx: sweepTx({ txid: c.txid, vout: idx }, out.valueSat, {
        sequence: type === "anchors_zero_fee_htlc_tx" ? 1 : 0xfffffffd,
        locktime: HEIGHT,
        ...(dest ? { dest } : {}),
      }),
      inputIndex: 0,
      spentOutputs: [{ value: out.valueSat, script: out.scriptPubKey }],
      source: {
        kind: "counterparty-htlc" as const,
        commitmentNumber: 3,
        commitmentOutputIndex: idx,
        preimageByNode: true,
      },
    });
    const signed = await f.t.channel.signSweep(request());
    assert.deepEqual(signed.witness, []);
    const key = derivePubkey(f.t.channel.basepoints.htlcBasepoint, f.t.peer.point(3));
    const ok = verifyCompactSignature(
      signed.tx,
      0,
      out.witnessScript!,
      out.valueSat,
      signed.signature,
      key,
      0x01,
    );
    assert.ok(ok);
    await rejectsWith(
      f.t.channel.signSweep(request(STRANGER)),
      "policy-sweep-destination-allowlisted",
    );
  });
}
