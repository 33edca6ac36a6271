/**
 * On-chain transaction rules (catalogue section "On-chain transactions"): a funding or
 * withdrawal transaction spending our wallet's coins. Pure: the wallet shell re-derives and
 * classifies every input and output first (which inputs are ours, which output is our change,
 * allowlisted, or the funding output of one of our channels) and passes the facts here.
 *
 * - Every output is our wallet, allowlisted, or the funding output of a channel we open
 *   (policy-onchain-no-unknown-outputs). A funding output must be exactly the channel's 2-of-2
 *   (…-output-scriptpubkey) for exactly the channel value (…-output-match-commitment), of an
 *   outbound channel (…-no-fund-inbound) without push (…-no-channel-push), whose first holder
 *   commitment the peer has signed (…-initial-commitment-countersigned).
 * - A funding transaction spends only native segwit outputs, so its txid cannot change
 *   (…-funding-non-malleable).
 * - A segwit v0 input's amount (which v0 signatures do not commit to across inputs) must equal
 *   what any earlier request claimed for the same outpoint (…-input-amount-consistent).
 * - Version 1 or 2, at most 400 000 weight, SIGHASH_ALL/DEFAULT on our inputs
 *   (…-format-standard); fee within absolute and rate bounds (…-fee-range); channel funding
 *   and fees within their velocity windows (policy-velocity-funding, policy-velocity-l1-fees).
 */
import type { Tx, TxOut } from "../../bitcoin/tx.js";
import type { VelocityCheck } from "../../state/velocity.js";
import { equalBytes } from "../../util/bytes.js";
import type { PolicyConfig } from "../config.js";
import type { Checker } from "../policy.js";

/** Bitcoin Core's MAX_STANDARD_TX_WEIGHT. */
export const MAX_STANDARD_TX_WEIGHT = 400_000;

/** What the wallet established about one input. */
export interface OnchainInputFacts {
  /** The spent output as the request claims it, when it does. */
  readonly spent: TxOut | undefined;
  /** Witness version of the spent script when it is a native segwit program, else undefined. */
  readonly witnessVersion: number | undefined;
  /** Amount an earlier request claimed for this outpoint (segwit v0 inputs), if any. */
  readonly previousAmount: bigint | undefined;
  /** Set when the input is ours (re-derived) and will be signed. */
  readonly ours: "p2wpkh" | "p2tr" | undefined;
  /** The PSBT's sighash type for the input, when it names one. */
  readonly sighashType: number | undefined;
}

/** What the wallet established about one output. */
export type OnchainOutputFacts =
  | { readonly kind: "wallet" }
  | { readonly kind: "allowlisted" }
  | {
      readonly kind: "funding";
      readonly channelId: string;
      /** p2wsh(fundingScript(our funding key, their funding key)). */
      readonly expectedScript: Uint8Array;
      readonly channelValueSat: bigint;
      readonly isOutbound: boolean;
      readonly pushMsat: bigint;
      /** The peer signed our first holder commitment (nextHolderCommitNum >= 1). */
      readonly countersigned: boolean;
    }
  | { readonly kind: "unknown" };

/** Everything the on-chain rules look at. */
export interface OnchainRuleContext {
  readonly config: PolicyConfig;
  readonly tx: Tx;
  readonly inputs: readonly OnchainInputFacts[];
  readonly outputs: readonly OnchainOutputFacts[];
  /** Weight of the transaction once signed (our witnesses exact, others estimated). */
  readonly estimatedWeight: number;
  /** Velocity check of an amount now; undefined skips velocity (a retry already counted). */
  readonly velocity:
    ((kind: "funding" | "l1-fees", amountSat: bigint) => VelocityCheck) | undefined;
}

/** Amounts the rules computed, for the shell to record after commit. */
export interface OnchainAmounts {
  /** Fee in sat, when every input's amount is known and the outputs do not exceed them. */
  readonly feeSat: bigint | undefined;
  /** Total value of the funding outputs of our channels. */
  readonly fundingSat: bigint;
}

/** Runs every On-chain transactions rule; returns the fee and funding amounts it judged. */
export function checkOnchainTx(ctx: OnchainRuleContext, c: Checker): OnchainAmounts {
  const { tx, config } = ctx;

  c.check(
    tx.version === 1 || tx.version === 2,
    "policy-onchain-format-standard",
    () => `version ${tx.version} is not 1 or 2`,
  );
  c.check(
    ctx.estimatedWeight <= MAX_STANDARD_TX_WEIGHT,
    "policy-onchain-format-standard",
    () => `weight ${ctx.estimatedWeight} exceeds ${MAX_STANDARD_TX_WEIGHT}`,
  );
  ctx.inputs.forEach((inp, i) => {
    if (inp.ours === undefined || inp.sighashType === undefined) return;
    const ok = inp.sighashType === 1 || (inp.ours === "p2tr" && inp.sighashType === 0);
    c.check(
      ok,
      "policy-onchain-format-standard",
      () => `input ${i} asks for sighash type ${inp.sighashType}; we sign only ALL/DEFAULT`,
    );
  });

  // Amount claims for segwit v0 inputs must not change between requests.
  ctx.inputs.forEach((inp, i) => {
    if (inp.spent === undefined || inp.previousAmount === undefined) return;
    c.check(
      inp.previousAmount === inp.spent.value,
      "policy-onchain-input-amount-consistent",
      () =>
        `input ${i} claims ${inp.spent!.value} sat; an earlier request claimed ${inp.previousAmount} sat`,
    );
  });

  let fundingSat = 0n;
  let funds = false;
  ctx.outputs.forEach((o, i) => {
    const out = tx.outputs[i]!;
    if (o.kind === "wallet" || o.kind === "allowlisted") return;
    if (o.kind === "unknown") {
      c.fail(
        "policy-onchain-no-unknown-outputs",
        `output ${i} is not our wallet, allowlisted, or a channel we fund`,
      );
      return;
    }
    funds = true;
    fundingSat += out.value;
    c.check(
      equalBytes(out.script, o.expectedScript),
      "policy-onchain-output-scriptpubkey",
      () => `output ${i} is not the 2-of-2 of channel ${o.channelId}`,
    );
    c.check(
      out.value === o.channelValueSat,
      "policy-onchain-output-match-commitment",
      () => `output ${i} pays ${out.value} sat; channel ${o.channelId} is ${o.channelValueSat} sat`,
    );
    c.check(
      o.countersigned,
      "policy-onchain-initial-commitment-countersigned",
      () => `channel ${o.channelId}: the peer has not signed our first commitment`,
    );
    c.check(
      o.pushMsat === 0n,
      "policy-onchain-no-channel-push",
      () => `channel ${o.channelId} pushes ${o.pushMsat} msat to the peer`,
    );
    c.check(
      o.isOutbound,
      "policy-onchain-no-fund-inbound",
      () => `channel ${o.channelId} was opened by the peer`,
    );
  });

  if (funds) {
    ctx.inputs.forEach((inp, i) => {
      c.check(
        inp.witnessVersion !== undefined,
        "policy-onchain-funding-non-malleable",
        () => `input ${i} is not a native segwit spend (its txid could change)`,
      );
    });
  }

  let feeSat: bigint | undefined;
  if (ctx.inputs.some((inp) => inp.spent === undefined)) {
    c.fail("policy-onchain-fee-range", "the fee is unknown: some input lacks its spent output");
  } else {
    let inSum = 0n;
    for (const inp of ctx.inputs) inSum += inp.spent!.value;
    let outSum = 0n;
    for (const o of tx.outputs) outSum += o.value;
    const fee = inSum - outSum;
    if (fee < 0n) {
      c.fail("policy-onchain-fee-range", () => `outputs exceed inputs by ${-fee} sat`);
    } else {
      feeSat = fee;
      const weight = BigInt(Math.max(1, ctx.estimatedWeight));
      const ratePerKw = (fee * 1000n) / weight;
      c.check(
        fee <= config.maxOnchainFeeSat,
        "policy-onchain-fee-range",
        () => `fee ${fee} sat exceeds ${config.maxOnchainFeeSat} sat`,
      );
      c.check(
        ratePerKw >= BigInt(config.minOnchainFeeratePerKw) &&
          ratePerKw <= BigInt(config.maxOnchainFeeratePerKw),
        "policy-onchain-fee-range",
        () =>
          `fee rate ${ratePerKw} sat/kw outside [${config.minOnchainFeeratePerKw}, ${config.maxOnchainFeeratePerKw}]`,
      );
    }
  }

  if (ctx.velocity !== undefined) {
    if (fundingSat > 0n) {
      const v = ctx.velocity("funding", fundingSat);
      c.check(
        v.ok,
        "policy-velocity-funding",
        () =>
          `funding ${fundingSat} sat on top of ${v.used} sat exceeds ${v.limit} sat per ${v.windowMs} ms`,
      );
    }
    if (feeSat !== undefined && feeSat > 0n) {
      const v = ctx.velocity("l1-fees", feeSat);
      c.check(
        v.ok,
        "policy-velocity-l1-fees",
        () =>
          `fee ${feeSat} sat on top of ${v.used} sat exceeds ${v.limit} sat per ${v.windowMs} ms`,
      );
    }
  }
  return { feeSat, fundingSat };
}
