/**
 * HTLC transaction rules (catalogue section "HTLC transactions"): compare the node's
 * second-level HTLC-success / HTLC-timeout transaction with the signer's recomposition from the
 * commitment, field by field, so a lying node is refused with a precise id. With zero-fee
 * anchors our own HTLC tx may be fee-bumped: extra inputs and outputs are allowed as long as
 * the HTLC input/output pair keeps one index (SIGHASH_SINGLE|ANYONECANPAY pairs them).
 */
import type { Tx } from "../../bitcoin/tx.js";
import { type ChannelType, hasAnchors } from "../../bolt3/channel-type.js";
import type { HtlcTransaction } from "../../bolt3/htlc-tx.js";
import { bytesToHex, equalBytes } from "../../util/bytes.js";
import type { PolicyConfig } from "../config.js";
import type { Checker } from "../policy.js";
import { isAllowedDestination, type WalletOracle } from "./destination.js";

/** What the node says it put in the HTLC tx's output script (compared when present). */
export interface HtlcTxClaims {
  revocationPubkey?: Uint8Array;
  delayedPubkey?: Uint8Array;
  toSelfDelay?: number;
}

/** The derived values the claims are compared with. */
export interface HtlcOutputKeys {
  revocationPubkey: Uint8Array;
  delayedPubkey: Uint8Array;
  toSelfDelay: number;
}

/** What the HTLC tx rules need besides the two transactions. */
export interface HtlcTxRuleContext {
  config: PolicyConfig;
  isOurWallet: WalletOracle;
  channelType: ChannelType;
  /** Keys and delay of the recomposed output (the commitment owner's). */
  keys: HtlcOutputKeys;
  /** The commitment's feerate (the HTLC tx fee is BOLT 3's at this rate). */
  feeratePerKw: number;
  /** True for our own anchors HTLC tx: fee-bumping inputs and outputs may be added. */
  allowFeeBump: boolean;
  claims: HtlcTxClaims | undefined;
}

/**
 * Runs every HTLC transaction rule on `proposed` against the recomposed `built`. Returns the
 * index of the input spending the HTLC output (its output has the same index), or -1 when
 * there is none (then policy-htlc-other was recorded).
 */
export function checkHtlcTx(
  proposed: Tx,
  built: HtlcTransaction,
  ctx: HtlcTxRuleContext,
  c: Checker,
): number {
  const ref = built.tx;
  const refIn = ref.inputs[0]!;
  const refOut = ref.outputs[0]!;
  const anchors = hasAnchors(ctx.channelType);

  c.check(
    proposed.version === ref.version,
    "policy-htlc-version",
    () => `version ${proposed.version} is not ${ref.version}`,
  );
  if (built.kind === "htlc-timeout") {
    c.check(
      proposed.locktime === ref.locktime,
      "policy-htlc-cltv-range",
      () => `HTLC-timeout locktime ${proposed.locktime} is not the HTLC expiry ${ref.locktime}`,
    );
  } else {
    c.check(
      proposed.locktime === ref.locktime,
      "policy-htlc-locktime",
      () => `HTLC-success locktime ${proposed.locktime} is not 0`,
    );
  }

  const spending = proposed.inputs
    .map((input, i) => ({ input, i }))
    .filter(
      ({ input }) =>
        equalBytes(input.prevout.txid, refIn.prevout.txid) &&
        input.prevout.vout === refIn.prevout.vout,
    );
  if (spending.length !== 1) {
    c.fail("policy-htlc-other", "no single input spends the HTLC output");
    return -1;
  }
  const k = spending[0]!.i;
  if (!ctx.allowFeeBump) {
    c.check(
      proposed.inputs.length === 1 && proposed.outputs.length === 1,
      "policy-htlc-other",
      "an HTLC tx has exactly one input and one output",
    );
  }
  c.check(
    spending[0]!.input.sequence === refIn.sequence,
    "policy-htlc-sequence",
    () => `sequence ${spending[0]!.input.sequence} is not ${refIn.sequence}`,
  );

  const claims = ctx.claims;
  if (claims !== undefined) {
    if (claims.revocationPubkey !== undefined) {
      c.check(
        equalBytes(claims.revocationPubkey, ctx.keys.revocationPubkey),
        "policy-htlc-revocation-pubkey",
        "the output's revocation pubkey is not the derived one",
      );
    }
    if (claims.delayedPubkey !== undefined) {
      c.check(
        equalBytes(claims.delayedPubkey, ctx.keys.delayedPubkey),
        "policy-htlc-delayed-pubkey",
        "the output's delayed pubkey is not the derived one",
      );
    }
    if (claims.toSelfDelay !== undefined) {
      c.check(
        claims.toSelfDelay === ctx.keys.toSelfDelay,
        "policy-htlc-to-self-delay",
        () => `to_self_delay ${claims.toSelfDelay} is not the negotiated ${ctx.keys.toSelfDelay}`,
      );
    }
  }

  const out = proposed.outputs[k];
  if (out === undefined) {
    c.fail("policy-htlc-other", "no output pairs with the HTLC input");
    return k;
  }
  if (!equalBytes(out.script, refOut.script)) {
    // Explained by a claimed key or delay above when the node said what it used.
    const explained = c.violations.some(
      (v) =>
        v.ruleId === "policy-htlc-revocation-pubkey" ||
        v.ruleId === "policy-htlc-delayed-pubkey" ||
        v.ruleId === "policy-htlc-to-self-delay",
    );
    if (!explained) {
      c.fail("policy-htlc-other", "the output script is not the to_local-style script");
    }
  }
  // Any difference in the HTLC output's value is a difference in the fee the HTLC pays.
  c.check(out.value === refOut.value, "policy-htlc-fee-range", () =>
    anchors
      ? `the HTLC pair pays ${built.inputValueSat - out.value} sat of fee, not 0`
      : `the HTLC pays ${built.inputValueSat - out.value} sat of fee, not BOLT 3's ${built.feeSat}`,
  );
  if (!anchors) {
    c.check(
      ctx.feeratePerKw >= ctx.config.minHtlcFeeratePerKw &&
        ctx.feeratePerKw <= ctx.config.maxHtlcFeeratePerKw,
      "policy-htlc-fee-range",
      () =>
        `HTLC tx feerate ${ctx.feeratePerKw} sat/kw outside [${ctx.config.minHtlcFeeratePerKw}, ${ctx.config.maxHtlcFeeratePerKw}]`,
    );
  }

  if (ctx.allowFeeBump) {
    const htlcOut = bytesToHex(refOut.script);
    proposed.outputs.forEach((o, i) => {
      if (i === k) return;
      // Another of our HTLC pairs batched in (same to_local-style script), or wallet change.
      c.check(
        bytesToHex(o.script) === htlcOut ||
          isAllowedDestination(o.script, ctx.config, ctx.isOurWallet),
        "policy-onchain-no-unknown-outputs",
        () => `fee-bump output ${i} goes neither to our wallet nor to an allowlisted script`,
      );
    });
  }
  return k;
}
