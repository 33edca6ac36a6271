/**
 * Splicing: the plan for signing our channel input of a splice transaction, and the pending
 * splice the channel state records before that signature leaves. Pure; no secret here.
 *
 * A splice spends the channel's current funding output (a shared input) and creates the new
 * funding output, the same P2WSH 2-of-2 of both funding keys, with the new channel value.
 * Inputs that spend our wallet and outputs to our wallet or the allowlist are our side's
 * on-chain contributions; everything else is the peer's (or foreign). The Splicing rules
 * (../policy/rules/splice.ts) bound our balance after the splice; the plan records it with the
 * new funding outpoint and value, so commitments on the new funding can be checked against it.
 */
import { p2wsh } from "../bitcoin/outputs.js";
import { SIGHASH_ALL, segwitV0Sighash } from "../bitcoin/sighash.js";
import { type OutPoint, type Tx, type TxOut, txid as txidOf, validateTx } from "../bitcoin/tx.js";
import { fundingScript } from "../bolt3/scripts.js";
import type { Checker } from "../policy/policy.js";
import type { PolicyConfig } from "../policy/config.js";
import { isAllowedDestination, type WalletOracle } from "../policy/rules/destination.js";
import { checkSplice } from "../policy/rules/splice.js";
import { equalBytes } from "../util/bytes.js";
import type { ChannelBasepoints } from "../bolt3/commitment-keys.js";
import type { CommitmentTransaction } from "../bolt3/commitment.js";
import { checkClaimedKeys, checkProposedCommitmentTx } from "../policy/rules/commitment-match.js";
import type { ChannelSetup } from "./channel-setup.js";
import type { ChannelState } from "./channel-state.js";
import type { CommitmentInfo, HolderCommitmentInfo } from "./commitment-info.js";
import type { CommitmentProposal } from "./commitment-proposal.js";
import { buildHtlcTransactions } from "../bolt3/htlc-tx.js";
import { commitmentSighash, counterpartyHtlcSighashType, htlcTxSighash } from "../bolt3/signing.js";
import { ecdsaVerify } from "../crypto/secp256k1.js";
import type { CounterpartySignatures } from "./transitions.js";
import { StateError } from "./errors.js";
import { recomposeCommitment } from "./recompose.js";
import { sameHtlcs } from "./transitions.js";

/** A splice we signed our channel input of, not yet known to be final on chain. */
export interface PendingSplice {
  /** The splice transaction's txid (internal byte order). */
  txid: Uint8Array;
  /** The new funding output. */
  fundingOutpoint: OutPoint;
  /** Its value: the channel value after the splice. */
  channelValueSat: bigint;
  /** Our balance after the splice (msat, before commitment fee): the least a commitment on the new funding may give us. */
  holderBalanceMsat: bigint;
  /** Our balance after minus before (msat): how much more (or less) a commitment on the new funding gives us than the same number on the current funding. */
  holderDeltaMsat: bigint;
  /** The peer's commitment on the new funding we signed last. */
  counterpartyCommitment?: CommitmentInfo | undefined;
  /** Our commitment on the new funding validated last, with the peer's signatures on it. */
  holderCommitment?: HolderCommitmentInfo | undefined;
  /**
   * True once we signed the splice tx; false while the splice is only announced (channeld's
   * accepter order: setup_channel and the new commitments come before hsmd_sign_splice_tx).
   */
  txSigned?: boolean | undefined;
}

/** At most this many splices (a splice and its RBF replacements) may be pending at once. */
export const MAX_PENDING_SPLICES = 8;

/** What the node asks: our signature on the channel input of `tx`. */
export interface SpliceRequest {
  /** The unsigned splice transaction. */
  tx: Tx;
  /** The output each input spends, in input order. */
  spentOutputs: readonly TxOut[];
  /** Index of the input spending the channel's funding output. */
  inputIndex: number;
  /**
   * Our balance after the splice (msat) when the protocol states it; otherwise the signer
   * takes the lowest balance that conserves our value (see rules/splice.ts).
   */
  holderBalanceMsat?: bigint;
}

/** What the plan needs besides the state. */
export interface SpliceContext {
  config: PolicyConfig;
  isOurWallet: WalletOracle;
  /** Our funding pubkey. */
  holderFundingPubkey: Uint8Array;
}

/** The next state (the splice recorded) and the BIP 143 digest of our channel input. */
export interface SplicePlan {
  next: ChannelState;
  digest: Uint8Array;
  splice: PendingSplice;
}

/** Plans signing the channel input of a splice; violations go to `c`, state errors throw. */
export function planSignSplice(
  state: ChannelState,
  ctx: SpliceContext,
  req: SpliceRequest,
  c: Checker,
): SplicePlan {
  const setup = state.setup;
  if (state.phase !== "operating" || setup === undefined) {
    throw new StateError("state/not-operating", `cannot splice a channel that is ${state.phase}`);
  }
  if (state.closing !== undefined) {
    throw new StateError("state/closing", `the channel is closing (${state.closing})`);
  }
  const holder = state.currentHolder;
  if (holder === undefined) {
    throw new StateError("state/no-commitment", "no commitment to splice from");
  }
  const { tx, spentOutputs: spent, inputIndex } = req;
  validateTx(tx);
  if (spent.length !== tx.inputs.length) {
    throw new StateError("state/bad-request", "need the spent output of every input");
  }
  if (!Number.isInteger(inputIndex) || inputIndex < 0 || inputIndex >= tx.inputs.length) {
    throw new StateError("state/bad-request", `no input ${inputIndex}`);
  }
  const script = fundingScript(ctx.holderFundingPubkey, setup.counterpartyBasepoints.fundingPubkey);
  const fundingSpk = p2wsh(script);
  const prev = tx.inputs[inputIndex]!.prevout;
  const channelInput = spent[inputIndex]!;
  c.check(
    equalBytes(prev.txid, setup.fundingOutpoint.txid) &&
      prev.vout === setup.fundingOutpoint.vout &&
      channelInput.value === setup.channelValueSat &&
      equalBytes(channelInput.script, fundingSpk),
    "policy-splice-value-conserved",
    "the input does not spend the channel's funding output (outpoint, value and script)",
  );

  const fundingOutputs = tx.outputs.flatMap((o, i) =>
    equalBytes(o.script, fundingSpk) ? [i] : [],
  );
  c.check(
    fundingOutputs.length === 1,
    "policy-onchain-output-scriptpubkey",
    () =>
      `${fundingOutputs.length} outputs are the 2-of-2 of the channel's funding keys (need exactly one)`,
  );
  const newIndex = fundingOutputs[0] ?? -1;

  let ourIn = 0n;
  let allIn = 0n;
  let ours = 0;
  spent.forEach((s, i) => {
    allIn += s.value;
    if (i !== inputIndex && ctx.isOurWallet(s.script)) {
      ourIn += s.value;
      ours++;
    }
  });
  let ourOut = 0n;
  let foreignOut = 0n;
  let allOut = 0n;
  tx.outputs.forEach((o, i) => {
    allOut += o.value;
    if (i === newIndex) return;
    if (isAllowedDestination(o.script, ctx.config, ctx.isOurWallet)) {
      ourOut += o.value;
      ours++;
    } else {
      foreignOut += o.value;
    }
  });
  let htlcMsat = 0n;
  for (const h of holder.htlcs) htlcMsat += h.amountMsat;
  // Our balance before: the lower of what our latest commitment and the peer's give us (equal
  // when the channel is quiescent, as a splice requires).
  const cp = state.currentCounterparty;
  const before =
    cp !== undefined && cp.toOtherMsat < holder.toOwnerMsat ? cp.toOtherMsat : holder.toOwnerMsat;
  const newValue = newIndex >= 0 ? tx.outputs[newIndex]!.value : 0n;
  const id = txidOf(tx);
  const pending = state.pendingSplices ?? [];
  const known = pending.find((p) => equalBytes(p.txid, id));
  if (known !== undefined) {
    c.check(
      known.fundingOutpoint.vout === newIndex && known.channelValueSat === newValue,
      "policy-splice-value-conserved",
      "the splice's funding output is not the one announced for it",
    );
  }
  const after = checkSplice(
    {
      holderBalanceMsat: before,
      htlcMsat,
      newChannelValueSat: newValue,
      ourInputsSat: ourIn,
      ourOutputsSat: ourOut,
      weContribute: ours > 0,
      foreignOutputsSat: foreignOut,
      feeSat: allIn - allOut,
      // An announced splice (its commitments may already be signed) states our balance.
      claimedHolderBalanceMsat: req.holderBalanceMsat ?? known?.holderBalanceMsat,
    },
    c,
  );

  const splice: PendingSplice = {
    txid: id,
    fundingOutpoint: { txid: id, vout: newIndex < 0 ? 0 : newIndex },
    channelValueSat: newValue,
    holderBalanceMsat: after,
    holderDeltaMsat: after - before,
    txSigned: true,
  };
  let next: ChannelState = state;
  if (known === undefined) {
    if (pending.length >= MAX_PENDING_SPLICES) {
      throw new StateError("state/too-many-splices", `${pending.length} splices already pending`);
    }
    next = { ...state, pendingSplices: [...pending, splice] };
  } else if (known.holderBalanceMsat !== after) {
    throw new StateError("state/splice-changed", "this splice was signed with another balance");
  } else if (known.txSigned !== true) {
    const signed: PendingSplice = { ...known, txSigned: true };
    next = { ...state, pendingSplices: pending.map((p) => (p === known ? signed : p)) };
  }
  const digest = segwitV0Sighash(tx, inputIndex, script, setup.channelValueSat, SIGHASH_ALL);
  return { next, digest, splice: known ?? splice };
}

/** The pending splice whose new funding outpoint is `outpoint`, with its index; undefined if none. */
export function pendingSpliceAt(
  state: ChannelState,
  outpoint: OutPoint,
): { index: number; splice: PendingSplice } | undefined {
  const list = state.pendingSplices ?? [];
  const index = list.findIndex(
    (p) =>
      equalBytes(p.fundingOutpoint.txid, outpoint.txid) && p.fundingOutpoint.vout === outpoint.vout,
  );
  return index < 0 ? undefined : { index, splice: list[index]! };
}

/** The channel's setup with a pending splice's funding outpoint and value. */
export function spliceSetup(setup: ChannelSetup, splice: PendingSplice): ChannelSetup {
  return {
    ...setup,
    fundingOutpoint: splice.fundingOutpoint,
    channelValueSat: splice.channelValueSat,
  };
}

/** The recomposed peer's commitment on a splice's funding, and the state recording it. */
export interface SpliceCommitmentPlan {
  next: ChannelState;
  commitment: CommitmentTransaction;
}

/** The setup of an operating, not closing channel (StateError `state/not-operating` otherwise). */
function operatingSetup(state: ChannelState): ChannelSetup {
  const setup = state.setup;
  if (state.phase !== "operating" || setup === undefined || state.closing !== undefined) {
    throw new StateError("state/not-operating", "the channel is not operating");
  }
  return setup;
}

/**
 * Recomposes a commitment of `owner` on a pending splice's funding and checks it against the
 * node's claims and tx (the commitment tx rules) and against the current commitment it must
 * mirror: same feerate and HTLCs, our balance at least the current one plus the splice's
 * recorded change for us (policy-splice-value-conserved).
 */
function recomposeSpliceCommitment(
  owner: "holder" | "counterparty",
  setup: ChannelSetup,
  ctx: { holder: ChannelBasepoints; obscuringFactor: number },
  splice: PendingSplice,
  point: Uint8Array,
  proposal: CommitmentProposal,
  current: { feeratePerKw: number; htlcs: CommitmentProposal["htlcs"]; oursMsat: bigint },
  c: Checker,
): ReturnType<typeof recomposeCommitment> {
  const spliced = spliceSetup(setup, splice);
  const built = recomposeCommitment(
    owner,
    spliced,
    ctx.holder,
    point,
    ctx.obscuringFactor,
    proposal,
  );
  checkClaimedKeys(
    owner,
    proposal,
    built.params.keys,
    built.params.toSelfDelay,
    setup.channelType,
    c,
  );
  if (proposal.tx !== undefined) checkProposedCommitmentTx(owner, proposal.tx, built, c);
  const ours = owner === "holder" ? proposal.toOwnerMsat : proposal.toOtherMsat;
  const least = current.oursMsat + splice.holderDeltaMsat;
  c.check(
    proposal.feeratePerKw === current.feeratePerKw &&
      sameHtlcs(proposal.htlcs, current.htlcs) &&
      ours >= least,
    "policy-splice-value-conserved",
    () =>
      `${owner === "holder" ? "our" : "the peer's"} commitment on the new funding gives us ${ours} msat (at least ${least}) or changes feerate/HTLCs`,
  );
  return built;
}

/**
 * Plans signing the peer's commitment n on a pending splice's new funding (channeld signs one
 * per funding for the same number while the splice is pending). It must mirror the peer's
 * current commitment n on the current funding — same number, point, feerate and HTLCs — with
 * the balances moved by the splice: ours at least the current one plus the splice's recorded
 * change for us (policy-splice-value-conserved). The node's tx must be the recomposition on the
 * new funding (the commitment tx rules); another tx for a number already signed on that funding
 * is policy-commitment-retry-same.
 */
export function planSignSpliceCounterpartyCommitment(
  state: ChannelState,
  ctx: { holder: ChannelBasepoints; obscuringFactor: number },
  splice: PendingSplice,
  point: Uint8Array,
  proposal: CommitmentProposal,
  c: Checker,
): SpliceCommitmentPlan {
  const setup = operatingSetup(state);
  const cur = state.currentCounterparty;
  const n = proposal.commitmentNumber;
  if (
    cur === undefined ||
    cur.commitmentNumber !== n ||
    !equalBytes(cur.perCommitmentPoint, point)
  ) {
    throw new StateError(
      "state/counterparty-commitment-number",
      `a splice commitment must be the peer's current commitment (${cur?.commitmentNumber}), not ${n}`,
    );
  }
  const built = recomposeSpliceCommitment(
    "counterparty",
    setup,
    ctx,
    splice,
    point,
    proposal,
    {
      feeratePerKw: cur.feeratePerKw,
      htlcs: cur.htlcs,
      oursMsat: cur.toOtherMsat,
    },
    c,
  );
  const id = txidOf(built.tx);
  const signed = splice.counterpartyCommitment;
  if (signed !== undefined && signed.commitmentNumber === n) {
    c.check(
      equalBytes(signed.txid, id),
      "policy-commitment-retry-same",
      `counterparty commitment ${n} on the new funding was already signed`,
    );
    return { next: state, commitment: built };
  }
  const list = state.pendingSplices ?? [];
  const record: CommitmentInfo = {
    commitmentNumber: n,
    perCommitmentPoint: new Uint8Array(point),
    feeratePerKw: proposal.feeratePerKw,
    toOwnerMsat: proposal.toOwnerMsat,
    toOtherMsat: proposal.toOtherMsat,
    htlcs: proposal.htlcs.map((h) => ({ ...h })),
    txid: id,
  };
  const updated: PendingSplice = { ...splice, counterpartyCommitment: record };
  return {
    next: { ...state, pendingSplices: list.map((p) => (p === splice ? updated : p)) },
    commitment: built,
  };
}

/**
 * Plans validating the peer's signatures on our commitment n on a pending splice's new funding
 * (channeld validates one per funding for the same number). Like the peer's (above), it must
 * mirror our current commitment n with our balance moved by the splice; the signatures must be
 * valid for the recomposition on the new funding. The plan records it in the pending splice, so
 * a signed commitment exists for the new funding once the splice is final.
 */
export function planValidateSpliceHolderCommitment(
  state: ChannelState,
  ctx: { holder: ChannelBasepoints; obscuringFactor: number },
  splice: PendingSplice,
  point: Uint8Array,
  proposal: CommitmentProposal,
  sigs: CounterpartySignatures,
  c: Checker,
): SpliceCommitmentPlan {
  const setup = operatingSetup(state);
  const cur = state.currentHolder;
  const n = proposal.commitmentNumber;
  if (cur === undefined || cur.commitmentNumber !== n) {
    throw new StateError(
      "state/holder-commitment-number",
      `a splice commitment must be our current commitment (${cur?.commitmentNumber}), not ${n}`,
    );
  }
  const built = recomposeSpliceCommitment(
    "holder",
    setup,
    ctx,
    splice,
    point,
    proposal,
    {
      feeratePerKw: cur.feeratePerKw,
      htlcs: cur.htlcs,
      oursMsat: cur.toOwnerMsat,
    },
    c,
  );
  if (
    !ecdsaVerify(
      sigs.commitmentSignature,
      commitmentSighash(built),
      setup.counterpartyBasepoints.fundingPubkey,
    )
  ) {
    throw new StateError(
      "state/bad-commitment-signature",
      "the peer's commitment signature is invalid",
    );
  }
  const htlcTxs = buildHtlcTransactions(built);
  if (sigs.htlcSignatures.length !== htlcTxs.length) {
    throw new StateError(
      "state/htlc-signature-count",
      `${sigs.htlcSignatures.length} HTLC signatures for ${htlcTxs.length} HTLC outputs`,
    );
  }
  const type = counterpartyHtlcSighashType(setup.channelType);
  for (let i = 0; i < htlcTxs.length; i++) {
    if (
      !ecdsaVerify(
        sigs.htlcSignatures[i]!,
        htlcTxSighash(htlcTxs[i]!, type),
        built.params.keys.remoteHtlcPubkey,
      )
    ) {
      throw new StateError("state/bad-htlc-signature", `the peer's HTLC signature ${i} is invalid`);
    }
  }
  const id = txidOf(built.tx);
  const known = splice.holderCommitment;
  if (known !== undefined && known.commitmentNumber === n) {
    c.check(
      equalBytes(known.txid, id) &&
        equalBytes(known.counterpartySignature, sigs.commitmentSignature),
      "policy-commitment-retry-same",
      `holder commitment ${n} on the new funding repeated with other content`,
    );
    return { next: state, commitment: built };
  }
  const record: HolderCommitmentInfo = {
    commitmentNumber: n,
    perCommitmentPoint: new Uint8Array(point),
    feeratePerKw: proposal.feeratePerKw,
    toOwnerMsat: proposal.toOwnerMsat,
    toOtherMsat: proposal.toOtherMsat,
    htlcs: proposal.htlcs.map((h) => ({ ...h })),
    txid: id,
    counterpartySignature: new Uint8Array(sigs.commitmentSignature),
    counterpartyHtlcSignatures: sigs.htlcSignatures.map((x) => new Uint8Array(x)),
    warnings: c.violations.map((v) => v.ruleId),
  };
  const updated: PendingSplice = { ...splice, holderCommitment: record };
  const list = state.pendingSplices ?? [];
  return {
    next: { ...state, pendingSplices: list.map((p) => (p === splice ? updated : p)) },
    commitment: built,
  };
}

/**
 * Plans the switch to a pending splice's funding once it is locked (both sides sent
 * splice_locked; channeld then asks hsmd_check_outpoint / hsmd_lock_outpoint of the new
 * outpoint): the setup takes the splice's funding outpoint and value, the current commitments
 * become the ones recorded on the new funding, and the other pending splices are dropped.
 * StateError unless both current commitments were mirrored on the new funding (we hold the
 * peer's signature on ours, and signed the peer's, for the current numbers).
 */
export function planLockSplice(state: ChannelState, funding: OutPoint): { next: ChannelState } {
  const setup = state.setup;
  if (
    setup !== undefined &&
    equalBytes(setup.fundingOutpoint.txid, funding.txid) &&
    setup.fundingOutpoint.vout === funding.vout
  ) {
    return { next: state }; // already locked (a retry), or the original funding
  }
  if (state.phase !== "operating" || setup === undefined || state.closing !== undefined) {
    throw new StateError("state/not-operating", "the channel is not operating");
  }
  const found = pendingSpliceAt(state, funding);
  if (found === undefined) {
    throw new StateError("state/unknown-splice", "no pending splice created this funding");
  }
  const { splice } = found;
  if (splice.txSigned !== true) {
    throw new StateError("state/splice-not-signed", "we never signed this splice");
  }
  const holder = splice.holderCommitment;
  const counterparty = splice.counterpartyCommitment;
  if (
    holder === undefined ||
    counterparty === undefined ||
    holder.commitmentNumber !== state.currentHolder?.commitmentNumber ||
    counterparty.commitmentNumber !== state.currentCounterparty?.commitmentNumber
  ) {
    throw new StateError(
      "state/splice-not-committed",
      "the current commitments were not both made on the splice's funding",
    );
  }
  return {
    next: {
      ...state,
      setup: spliceSetup(setup, splice),
      currentHolder: holder,
      currentCounterparty: counterparty,
      pendingSplices: undefined,
    },
  };
}

/**
 * Plans recording a splice announced before its tx is signed (channeld's accepter order:
 * hsmd_setup_channel with the new funding, then the commitments on it, then
 * hsmd_sign_splice_tx). Our balance after is the node's statement (`holderDeltaMsat`); the
 * commitments on the new funding give us at least that, and hsmd_sign_splice_tx later checks it
 * against the tx (the Splicing rules). An already known funding must have the same value.
 */
export function planAnnounceSplice(
  state: ChannelState,
  funding: OutPoint,
  channelValueSat: bigint,
  holderDeltaMsat: bigint,
): { next: ChannelState } {
  operatingSetup(state);
  const found = pendingSpliceAt(state, funding);
  if (found !== undefined) {
    if (found.splice.channelValueSat !== channelValueSat) {
      throw new StateError(
        "state/splice-changed",
        `the splice's funding output holds ${found.splice.channelValueSat} sat, not ${channelValueSat}`,
      );
    }
    return { next: state };
  }
  const holder = state.currentHolder;
  if (holder === undefined)
    throw new StateError("state/no-commitment", "no commitment to splice from");
  const cp = state.currentCounterparty;
  const before =
    cp !== undefined && cp.toOtherMsat < holder.toOwnerMsat ? cp.toOtherMsat : holder.toOwnerMsat;
  let htlcMsat = 0n;
  for (const h of holder.htlcs) htlcMsat += h.amountMsat;
  const after = before + holderDeltaMsat;
  if (after < 0n || after + htlcMsat > channelValueSat * 1000n) {
    throw new StateError(
      "state/splice-balance",
      `our balance after the splice would be ${after} msat`,
    );
  }
  const pending = state.pendingSplices ?? [];
  if (pending.length >= MAX_PENDING_SPLICES) {
    throw new StateError("state/too-many-splices", `${pending.length} splices already pending`);
  }
  const splice: PendingSplice = {
    txid: new Uint8Array(funding.txid),
    fundingOutpoint: { txid: new Uint8Array(funding.txid), vout: funding.vout },
    channelValueSat,
    holderBalanceMsat: after,
    holderDeltaMsat,
    txSigned: false,
  };
  return { next: { ...state, pendingSplices: [...pending, splice] } };
}
