/**
 * The `npm start` demo: LDK nodes (lightningdevkit's real channel state machines, in process)
 * on a fake chain, Alice signed by Warden over the embedded SQLite store, Bob by LDK's own
 * KeysManager. Alice opens a channel, pays Bob (each payment approved by the demo's approver
 * answering Warden's approval queue), receives keysends, tips and is tipped below the dust
 * limit, a compromised Alice node tries to steal (refused, with rule ids), and the channel
 * closes cooperatively to Alice's allowlisted cold address. Tells the story on stdout; the
 * last line is one JSON object.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ldk from "lightningdevkit";
import { txid } from "../bitcoin/tx.js";
import { WardenLdkSigner } from "../adapters/ldk/signer.js";
import { initLdk, ok, SimNetwork } from "../adapters/ldk/sim/network.js";
import { createInvoice, payInvoice, sendKeysend } from "../adapters/ldk/sim/payments.js";
import { bytesToHex, equalBytes } from "../util/bytes.js";
import type { PendingApproval } from "../payments/approvals.js";

/** Demo options (from the command line). */
export interface DemoOptions {
  /** Directory of the SQLite store; default a fresh temporary directory. */
  stateDir?: string;
  anchors: boolean;
  payments: number;
  verbose: boolean;
}

/** The demo's result (the last stdout line). */
export interface DemoResult {
  payments: number;
  refused: string[];
  balances: Record<string, number>;
  lost_sat: number;
}

const CHANNEL_SAT = 500_000n;

function p2wpkhOf(seedLabel: string): Uint8Array {
  const h = new Uint8Array(20);
  h.set(new TextEncoder().encode(seedLabel).subarray(0, 20));
  return Uint8Array.of(0x00, 0x14, ...h);
}

/** Runs the demo, printing its story with `say`; resolves to the summary. */
export async function runDemo(o: DemoOptions, say: (line: string) => void): Promise<DemoResult> {
  const t0 = performance.now();
  const stateDir = resolve(o.stateDir ?? mkdtempSync(join(tmpdir(), "warden-demo-")));
  mkdirSync(stateDir, { recursive: true });
  const storeFile = join(stateDir, "warden.sqlite3");
  say(`Warden demo — state directory: ${stateDir} (SQLite store ${storeFile})`);
  await initLdk();
  const net = new SimNetwork(undefined, o.verbose ? say : () => undefined);
  const cold = p2wpkhOf("alice-cold-storage");
  const attacker = p2wpkhOf("mallory-the-attacker");
  const alice = await WardenLdkSigner.start(
    {
      seed: new Uint8Array(randomBytes(32)),
      startingTimeSecs: BigInt(Math.floor(Date.now() / 1000)),
      startingTimeNanos: 0,
      store: { kind: "sqlite", path: storeFile },
      config: { network: "regtest", allowlist: [bytesToHex(cold)] },
      approver: "queue",
      chainHeight: net.chain.height,
    },
    {
      chain: net.chain,
      shutdownScript: cold,
      log: o.verbose ? (l) => say(`  ${l}`) : () => undefined,
    },
  );
  try {
    const type = o.anchors ? "anchors_zero_fee_htlc_tx" : "static_remotekey";
    const A = net.addNode({
      name: "Alice",
      signer: { kind: "warden", signer: alice },
      anchors: o.anchors,
    });
    const B = net.addNode({ name: "Bob", signer: { kind: "keysmanager" }, anchors: o.anchors });
    say(`Alice (${short(A.nodeId)}) is an LDK node whose every signature comes from Warden;`);
    say(`Bob (${short(B.nodeId)}) is an LDK node signed by LDK's own KeysManager.`);
    net.connect(A, B);
    const chanId = net.openChannel(A, B, CHANNEL_SAT);
    const [rec] = alice.channels();
    if (rec === undefined) throw new Error("Alice has no channel");
    say(
      `Alice opened a ${CHANNEL_SAT} sat ${type} channel to Bob; funding confirmed at height ${net.chain.height}.`,
    );

    // Payments: every invoice Alice pays is put to the demo's approver first.
    let paid = 0;
    let received = 0;
    for (let i = 0; i < o.payments; i++) {
      const amountMsat = 10_000_000n + BigInt(i) * 1_000_000n;
      const inv = createInvoice(B, amountMsat, `coffee #${i + 1}`);
      const approved = alice.approveInvoice(inv.to_str());
      const request = await nextApprovalRequest(alice);
      const decision = amountMsat <= 50_000_000n ? "approve" : "refuse";
      if (i === 0) {
        say(
          `Approval request ${request.id.slice(0, 12)}…: pay ${Number(request.amountMsat / 1000n)} sat to Bob ("coffee #1"); the demo's approver answers: ${decision}.`,
        );
      }
      await alice.host.request("answerApproval", request.id, decision);
      await approved;
      payInvoice(A, inv);
      net.pump();
      paid++;
      if (i % 2 === 1) {
        sendKeysend(B, A, 3_000_000n);
        net.pump();
        received++;
      }
    }
    say(
      `Alice paid Bob ${A.paymentsSent} invoices (each approved) and received ${A.paymentsClaimed} keysends from Bob.`,
    );

    // Tips below the dust limit: their HTLCs have no output, and LDK shows its signer none.
    const tip = createInvoice(B, 100_000n, "tip");
    const tipApproved = alice.approveInvoice(tip.to_str());
    await alice.host.request("answerApproval", (await nextApprovalRequest(alice)).id, "approve");
    await tipApproved;
    payInvoice(A, tip);
    sendKeysend(B, A, 50_000n);
    net.pump();
    paid++;
    received++;
    say(
      "Alice tipped Bob 100 sat (approved) and Bob tipped back 50 sat: below the 354 sat dust " +
        "limit, so LDK showed Warden no HTLC; Warden found both in LDK's channel list, " +
        "recomposed the commitments with them and checked them like any payment.",
    );
    const predictedMsat = alice.channelState(rec.id).currentHolder!.toOwnerMsat;
    say(`Warden's own copy of the channel: Alice's balance is ${predictedMsat / 1000n} sat.`);

    // A compromised Alice node tries to steal, through the signer objects LDK uses.
    say(
      "Now Alice's node is compromised: it asks Warden to close to Mallory's address, then to sign an old, revoked commitment.",
    );
    const refused: string[] = [];
    const signer = alice.signerProvider.derive_channel_signer(rec.valueSat, rec.keysId);
    const fo = rec.requireParams().fundingOutpoint;
    const mark = alice.refusals.length;
    signer.sign_closing_transaction(
      ldk.ClosingTransaction.constructor_new(
        predictedMsat / 1000n - 1_000n,
        CHANNEL_SAT - predictedMsat / 1000n,
        attacker,
        p2wpkhOf("bob"),
        ldk.OutPoint.constructor_new(fo.txid, fo.vout),
      ),
    );
    const old = rec.holderCommitments.get(1);
    if (old !== undefined) signer.sign_holder_commitment(old);
    for (const r of alice.refusals.slice(mark)) {
      refused.push(...r.ruleIds);
      const why = r.message.replace(/^[a-z0-9-]+: /, "");
      say(`Theft attempt through ${r.op}: REFUSED by ${r.ruleIds.join(", ")} (${why}).`);
    }

    // Cooperative close to Alice's allowlisted cold address.
    ok(A.cm.close_channel(chanId, B.nodeId), "close_channel");
    net.pump();
    net.mine(1);
    const closing = net.chain
      .transactionsSince(0)
      .find((t) =>
        t.inputs.some((i) => equalBytes(i.prevout.txid, fo.txid) && i.prevout.vout === fo.vout),
      );
    if (closing === undefined) throw new Error("the closing transaction did not confirm");
    const fee = CHANNEL_SAT - closing.outputs.reduce((s, out) => s + out.value, 0n);
    const toCold = closing.outputs
      .filter((out) => equalBytes(out.script, cold))
      .reduce((s, out) => s + out.value, 0n);
    const toBob = closing.outputs.reduce((s, out) => s + out.value, 0n) - toCold;
    net.mine(6);
    say(
      `Cooperative close ${bytesToHex(Uint8Array.from(txid(closing)).reverse()).slice(0, 16)}… confirmed: ${toCold} sat to Alice's cold address, ${toBob} sat to Bob, fee ${fee} sat (paid by the opener).`,
    );
    const lost = predictedMsat / 1000n - fee - toCold;
    say(
      `Alice lost ${lost} sat: what Warden predicted is what the chain paid. (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    return {
      payments: paid + received,
      refused,
      balances: {
        alice_predicted_sat: Number(predictedMsat / 1000n),
        alice_onchain_sat: Number(toCold),
        bob_onchain_sat: Number(toBob),
        closing_fee_sat: Number(fee),
      },
      lost_sat: Number(lost),
    };
  } finally {
    await alice.close();
  }
}

function short(id: Uint8Array): string {
  return `${bytesToHex(id).slice(0, 12)}…`;
}

async function nextApprovalRequest(w: WardenLdkSigner): Promise<PendingApproval> {
  for (let i = 0; i < 400; i++) {
    const pending = await w.host.request<PendingApproval[]>("pendingApprovals");
    if (pending[0] !== undefined) return pending[0];
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("no approval request arrived");
}
