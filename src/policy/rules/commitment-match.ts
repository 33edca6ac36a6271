/**
 * Commitment structure rules: when the node supplies its own built transaction or the keys it
 * used, compare them with the signer's recomposition and name exactly what differs (catalogue
 * section "Commitment transactions": input, version/locktime/sequence, outputs, keys, delay,
 * anchors, trimming). The signer always signs its own recomposition; these rules make a lying
 * node visible with a precise id instead of an invalid signature.
 */
import { p2wsh } from "../../bitcoin/outputs.js";
import type { Tx, TxOut } from "../../bitcoin/tx.js";
import { type ChannelType, hasAnchors } from "../../bolt3/channel-type.js";
import type { CommitmentKeys } from "../../bolt3/commitment-keys.js";
import type { CommitmentOutputKind, CommitmentTransaction } from "../../bolt3/commitment.js";
import { ANCHOR_OUTPUT_VALUE_SAT } from "../../bolt3/fees.js";
import { anchorScript, htlcScriptContext, htlcScriptFromContext } from "../../bolt3/scripts.js";
import type { CommitmentProposal } from "../../state/commitment-proposal.js";
import type { CommitmentOwner } from "../../state/recompose.js";
import { bytesToHex, equalBytes } from "../../util/bytes.js";
import type { Checker } from "../policy.js";
import type { RuleId } from "../rule-ids.js";

/** True for a P2WSH scriptPubKey (OP_0 <32 bytes>). */
function isP2wsh(script: Uint8Array): boolean {
  return script.length === 34 && script[0] === 0x00 && script[1] === 0x20;
}

function outKey(o: TxOut): string {
  return `${o.value}:${bytesToHex(o.script)}`;
}

/**
 * Compares the node's claimed keys and delay with the derived ones. Funding keys: on an anchors
 * channel they key the anchors (policy-commitment-anchor-match-fundingkey); on other channels
 * they only form the funding script the input spends (policy-commitment-input-match-funding).
 * A claimed `htlcRevocationPubkey` must be the derived revocationpubkey, which BOLT 3 also puts
 * in every HTLC script (policy-commitment-htlc-revocation-pubkey).
 */
export function checkClaimedKeys(
  owner: CommitmentOwner,
  proposal: CommitmentProposal,
  derived: CommitmentKeys,
  toSelfDelay: number,
  channelType: ChannelType,
  c: Checker,
): void {
  const claimed = proposal.claimedKeys;
  if (claimed !== undefined) {
    const cmp = (k: keyof CommitmentKeys, id: RuleId): void => {
      const v = claimed[k];
      if (v !== undefined) c.check(equalBytes(v, derived[k]), id, `${k} is not the derived key`);
    };
    cmp("revocationPubkey", "policy-commitment-revocation-pubkey");
    if (claimed.htlcRevocationPubkey !== undefined) {
      c.check(
        equalBytes(claimed.htlcRevocationPubkey, derived.revocationPubkey),
        "policy-commitment-htlc-revocation-pubkey",
        "the HTLC revocation key is not the derived revocationpubkey",
      );
    }
    cmp("localDelayedPubkey", "policy-commitment-broadcaster-pubkey");
    cmp("remotePaymentPubkey", "policy-commitment-countersignatory-pubkey");
    // "holder"/"counterparty" name the party the HTLC key belongs to.
    cmp(
      "localHtlcPubkey",
      owner === "holder"
        ? "policy-commitment-htlc-holder-htlc-pubkey"
        : "policy-commitment-htlc-counterparty-htlc-pubkey",
    );
    cmp(
      "remoteHtlcPubkey",
      owner === "holder"
        ? "policy-commitment-htlc-counterparty-htlc-pubkey"
        : "policy-commitment-htlc-holder-htlc-pubkey",
    );
    const fundingRule: RuleId = hasAnchors(channelType)
      ? "policy-commitment-anchor-match-fundingkey"
      : "policy-commitment-input-match-funding";
    cmp("localFundingPubkey", fundingRule);
    cmp("remoteFundingPubkey", fundingRule);
  }
  if (proposal.claimedToSelfDelay !== undefined) {
    c.check(
      proposal.claimedToSelfDelay === toSelfDelay,
      "policy-commitment-to-self-delay-range",
      () => `to_self_delay ${proposal.claimedToSelfDelay} is not the negotiated ${toSelfDelay}`,
    );
  }
}

/** Compares the node's built commitment tx with the recomposed one, rule by rule. */
export function checkProposedCommitmentTx(
  owner: CommitmentOwner,
  proposed: Tx,
  built: CommitmentTransaction,
  c: Checker,
): void {
  const ref = built.tx;
  c.check(proposed.version === ref.version, "policy-commitment-version", "version is not 2");
  c.check(
    proposed.locktime === ref.locktime,
    "policy-commitment-locktime",
    "locktime does not carry the obscured commitment number",
  );
  c.check(proposed.inputs.length === 1, "policy-commitment-input-single", "not exactly one input");
  const input = proposed.inputs[0];
  if (input !== undefined) {
    const fund = ref.inputs[0]!.prevout;
    c.check(
      equalBytes(input.prevout.txid, fund.txid) && input.prevout.vout === fund.vout,
      "policy-commitment-input-match-funding",
      "the input does not spend the funding outpoint",
    );
    c.check(
      input.sequence === ref.inputs[0]!.sequence,
      "policy-commitment-sequence",
      "sequence does not carry the obscured commitment number",
    );
  }

  const p = built.params;
  const anchors = hasAnchors(p.channelType);
  const holderKind: CommitmentOutputKind = owner === "holder" ? "to_local" : "to_remote";
  const byKind = new Map<CommitmentOutputKind, string>();
  for (const o of built.outputs) byKind.set(o.kind, bytesToHex(o.scriptPubKey));
  const holderScript = byKind.get(holderKind);
  const cpScript = byKind.get(holderKind === "to_local" ? "to_remote" : "to_local");

  // Anchor scripts for both funding keys, whether or not the recomposition has them.
  const localAnchor = bytesToHex(p2wsh(anchorScript(p.keys.localFundingPubkey)));
  const remoteAnchor = bytesToHex(p2wsh(anchorScript(p.keys.remoteFundingPubkey)));
  const holderAnchor = owner === "holder" ? localAnchor : remoteAnchor;
  const cpAnchor = owner === "holder" ? remoteAnchor : localAnchor;

  // Scripts of HTLCs the recomposition trimmed: their presence means untrimmed dust.
  const trimmedScripts = new Set<string>();
  if (built.trimmedHtlcs.length > 0) {
    const ctx = htlcScriptContext(p.channelType, {
      revocationPubkey: p.keys.revocationPubkey,
      localHtlcPubkey: p.keys.localHtlcPubkey,
      remoteHtlcPubkey: p.keys.remoteHtlcPubkey,
    });
    for (const h of built.trimmedHtlcs) {
      trimmedScripts.add(
        bytesToHex(p2wsh(htlcScriptFromContext(ctx, h.direction, h.paymentHash, h.cltvExpiry))),
      );
    }
  }

  const expected = new Map<string, number>();
  for (const o of ref.outputs) expected.set(outKey(o), (expected.get(outKey(o)) ?? 0) + 1);
  let holderCount = 0;
  let cpCount = 0;
  for (const o of proposed.outputs) {
    const script = bytesToHex(o.script);
    const isAnchor = script === localAnchor || script === remoteAnchor;
    if (script === holderScript) holderCount++;
    if (script === cpScript) cpCount++;
    if (isAnchor) {
      c.check(
        anchors,
        "policy-commitment-anchors-not-when-off",
        "anchor output on a non-anchor channel",
      );
      c.check(
        o.value === ANCHOR_OUTPUT_VALUE_SAT,
        "policy-commitment-anchor-amount",
        () => `anchor of ${o.value} sat`,
      );
    }
    const k = outKey(o);
    const left = expected.get(k) ?? 0;
    if (left > 0) {
      expected.set(k, left - 1);
      continue;
    }
    if (trimmedScripts.has(script)) {
      c.fail("policy-commitment-outputs-trimmed", "an HTLC below the dust limit was not trimmed");
    } else if (!isAnchor && o.value === ANCHOR_OUTPUT_VALUE_SAT && isP2wsh(o.script)) {
      // BOLT 2 dust limits are at least 354 sat, so an untrimmed HTLC or to_local output is
      // never 330 sat: a 330-sat P2WSH output is an anchor keyed to neither funding key.
      c.fail(
        anchors
          ? "policy-commitment-anchor-match-fundingkey"
          : "policy-commitment-anchors-not-when-off",
        "an anchor output keyed to neither funding pubkey",
      );
    } else if (isAnchor) {
      c.check(!anchors, "policy-commitment-no-unrecognized-outputs", "an extra anchor output");
    } else if (script === holderScript || script === cpScript) {
      // A duplicate is reported by the singular-to-* rules below; a lone one has a wrong amount.
      const dup = script === holderScript ? holderCount > 1 : cpCount > 1;
      c.check(
        dup,
        "policy-commitment-no-unrecognized-outputs",
        "a balance output with a wrong amount",
      );
    } else {
      c.fail("policy-commitment-no-unrecognized-outputs", "an output the signer would not create");
    }
  }
  c.check(holderCount <= 1, "policy-commitment-singular-to-holder", "more than one output to us");
  c.check(
    cpCount <= 1,
    "policy-commitment-singular-to-counterparty",
    "more than one output to the peer",
  );
  // What the recomposition has and the proposal lacks.
  const proposedScripts = new Set(proposed.outputs.map((o) => bytesToHex(o.script)));
  for (const o of built.outputs) {
    const k = outKey({ value: o.valueSat, script: o.scriptPubKey });
    if ((expected.get(k) ?? 0) === 0) continue;
    const script = bytesToHex(o.scriptPubKey);
    // A balance output present with a wrong amount was reported above.
    if ((o.kind === "to_local" || o.kind === "to_remote") && proposedScripts.has(script)) continue;
    if (script === holderAnchor) {
      c.fail("policy-commitment-anchor-to-holder", "our anchor output is missing");
    } else if (script === cpAnchor) {
      c.fail("policy-commitment-anchor-to-counterparty", "the peer's anchor output is missing");
    } else if (o.kind === "offered_htlc" || o.kind === "received_htlc") {
      c.fail("policy-commitment-outputs-trimmed", "an HTLC above the dust limit was trimmed");
    } else {
      c.fail(
        o.kind === holderKind
          ? "policy-commitment-singular-to-holder"
          : "policy-commitment-singular-to-counterparty",
        `the ${o.kind} output is missing or different`,
      );
    }
  }
  // Same outputs but another order: not the BOLT 3 transaction.
  if (proposed.outputs.length === ref.outputs.length) {
    const sameOrder = proposed.outputs.every((o, i) => outKey(o) === outKey(ref.outputs[i]!));
    const sameSet = [...expected.values()].every((v) => v === 0);
    if (sameSet) {
      c.check(
        sameOrder,
        "policy-commitment-no-unrecognized-outputs",
        "outputs not in BOLT 3 order",
      );
    }
  }
}
