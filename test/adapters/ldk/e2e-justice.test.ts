/**
 * Scenario d: the counterparty B broadcasts a commitment it already revoked (one that paid it
 * more than it now owns). Warden's node A sees it confirm, signs the justice transaction
 * (revocation path of B's to_local) and the sweep of its own to_remote; both confirm on the
 * fake chain and A ends up with the whole channel, less fees — more than its latest balance.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { parseTx, type Tx, txid } from "../../../src/bitcoin/tx.js";
import { signatureToDer } from "../../../src/crypto/signature.js";
import { ecdsaSign } from "../../../src/crypto/secp256k1.js";
import { ldkKeyDeriver } from "../../../src/keys/ldk.js";
import { holderInner, numberFromIndex } from "../../../src/adapters/ldk/ldk-codec.js";
import type { WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { equalBytes } from "../../../src/util/bytes.js";
import {
  keysend,
  newNetwork,
  paidTo,
  randomP2wpkh,
  startWarden,
  badSignatures,
  verified,
} from "./e2e-harness.js";

const CHANNEL_SAT = 1_000_000n;

for (const anchors of [false, true]) {
  const type = anchors ? "anchors_zero_fee_htlc_tx" : "static_remotekey";
  describe(`LDK e2e (${type}): the counterparty broadcasts a revoked commitment`, () => {
    const wardens: WardenLdkSigner[] = [];
    after(async () => {
      for (const w of wardens) await w.close();
    });

    test("justice is signed and confirmed; our balance is whole", async () => {
      const net = await newNetwork();
      const wallet = randomP2wpkh();
      const seedB = new Uint8Array(randomBytes(32));
      const wardenA = await startWarden(net, { walletScripts: [wallet] });
      const wardenB = await startWarden(net, { seed: seedB });
      wardens.push(wardenA, wardenB);
      const A = net.addNode({ name: "A", signer: { kind: "warden", signer: wardenA }, anchors });
      const B = net.addNode({ name: "B", signer: { kind: "warden", signer: wardenB }, anchors });
      net.connect(A, B);
      net.openChannel(A, B, CHANNEL_SAT);
      const [recA] = wardenA.channels();
      const [recB] = wardenB.channels();
      assert.ok(recA !== undefined && recB !== undefined);

      // A pays B 400k sat (keysend: B is Warden-signed and LDK invoices need its node key);
      // B's commitment of that moment is kept; B then pays 350k back.
      keysend(A, B, 400_000_000n);
      net.pump();
      const oldN = wardenB.channelState(recB.id).nextHolderCommitNum - 1;
      const oldHolder = recB.holderCommitments.get(oldN);
      assert.ok(oldHolder !== undefined);
      keysend(B, A, 300_000_000n);
      net.pump();
      keysend(B, A, 50_000_000n);
      net.pump();
      assert.ok(wardenB.channelState(recB.id).holderRevokedThrough >= oldN, "B revoked it");
      const latestA = wardenA.channelState(recA.id).currentHolder!.toOwnerMsat / 1000n;

      // B (bypassing its signer) completes and broadcasts the revoked commitment.
      const inner = holderInner(oldHolder);
      assert.equal(numberFromIndex(inner.commitment_number()), oldN);
      const keysB = ldkKeyDeriver(seedB, 0n, 0).channelKeys({ channelKeysId: recB.keysId });
      const fundingB = recB.basepoints.fundingPubkey;
      const fundingA = recA.basepoints.fundingPubkey;
      const [k1, k2] = [fundingA, fundingB].sort((a, b) => Buffer.compare(a, b));
      const redeem = Uint8Array.from([0x52, 0x21, ...k1!, 0x21, ...k2!, 0x52, 0xae]);
      const built = inner.trust().built_transaction();
      const digest = built.get_sighash_all(redeem, CHANNEL_SAT);
      const sigB = ecdsaSign(digest, keysB.fundingSecret);
      const sigA = oldHolder.get_counterparty_sig();
      const der = (s: Uint8Array): Uint8Array => Uint8Array.from([...signatureToDer(s), 1]);
      const revoked: Tx = parseTx(built.get_transaction());
      const bySorted = equalBytes(k1!, fundingA) ? [der(sigA), der(sigB)] : [der(sigB), der(sigA)];
      revoked.inputs[0]!.witness = [new Uint8Array(0), ...bySorted, redeem];
      net.chain.broadcast(revoked);
      net.mine(1);
      assert.ok(
        net.chain.confirmedAt(txid(revoked)) !== undefined,
        "the revoked commitment confirmed",
      );

      // A's monitor claims B's to_local through the revocation path, signed by Warden.
      net.mine(3);
      const justice = net.chain
        .transactionsSince(0)
        .filter((t) => t.inputs.some((i) => equalBytes(i.prevout.txid, txid(revoked))))
        .filter((t) => A.broadcasts.some((b) => equalBytes(txid(b), txid(t))));
      assert.ok(justice.length >= 1, "a justice transaction confirmed");
      assert.ok(
        wardenA.refusals.every((r) => !r.op.startsWith("sign_justice")),
        "no justice signature refused",
      );
      // A's own to_remote on B's commitment: swept to A's wallet through Warden.
      net.mine(8);
      const sweep = net.sweep(A, wallet);
      assert.ok(sweep !== undefined, "A's to_remote swept");
      net.mine(1);
      assert.ok(net.chain.confirmedAt(txid(sweep)) !== undefined);

      // Whole: A holds the revoked commitment's outputs but the anchors, less the fees paid.
      const spentFrom = (t: Tx): bigint =>
        t.inputs.reduce((s, i) => s + net.chain.output(i.prevout)!.value, 0n);
      const outOf = (t: Tx): bigint => t.outputs.reduce((s, o) => s + o.value, 0n);
      const justiceOut = justice.reduce((s, t) => s + outOf(t), 0n);
      const justiceFees = justice.reduce((s, t) => s + spentFrom(t) - outOf(t), 0n);
      const swept = paidTo(sweep, wallet);
      const sweepFee = spentFrom(sweep) - outOf(sweep);
      const anchorOutputs = revoked.outputs
        .filter((o) => o.value === 330n)
        .reduce((s, o) => s + o.value, 0n);
      assert.equal(justiceOut + justiceFees + swept + sweepFee + anchorOutputs, outOf(revoked));
      assert.ok(justiceOut + swept > latestA, "A ends with more than its latest balance");
      // f: every commitment and closing signature Warden returned verifies against LDK's
      // own sighash (and every on-chain signature was checked when it confirmed).
      assert.deepEqual(badSignatures, []);
      assert.ok(verified.signatures > 0);
      assert.ok(
        justice.every((t) =>
          t.outputs.every((o) => equalBytes(o.script, wardenA.info.destinationScript)),
        ),
        "justice pays A's own destination script",
      );
    });
  });
}
