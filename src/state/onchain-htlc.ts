/**
 * Plans for second-level HTLC transactions: our own HTLC-success / HTLC-timeout on the holder
 * commitment (we hold the peer's signature and add ours), and our signature on the peer's HTLC
 * txs of one of its unrevoked commitments (Core Lightning's sign_remote_htlc_tx). Every HTLC tx
 * is recomposed from the stored commitment; the node only names the HTLC by its commitment
 * output index and brings the transaction it built (and, for a success, the preimage). Pure:
 * plans never touch a secret key and never change the state.
 */
import type { OutPoint, Tx } from "../bitcoin/tx.js";
import type { ChannelType } from "../bolt3/channel-type.js";
import { hasAnchors } from "../bolt3/channel-type.js";
import type { HtlcTransaction } from "../bolt3/htlc-tx.js";
import type { Checker } from "../policy/policy.js";
import { checkHtlcTx, type HtlcTxClaims } from "../policy/rules/htlc-tx.js";
import type { ChannelState } from "./channel-state.js";
import type { CommitmentInfo } from "./commitment-info.js";
import { StateError } from "./errors.js";
import { pendingSpliceAt, spliceSetup } from "./splice.js";
import {
  checkPreimage,
  copyTx,
  counterpartyCommitmentFor,
  holderCommitmentFor,
  htlcAtOutput,
  type OnchainContext,
  recomposeStored,
  requireSetup,
} from "./onchain-commitments.js";

/** The node's request to sign our HTLC tx spending an HTLC output of our holder commitment. */
export interface HolderHtlcTxRequest {
  /** Our holder commitment (the current one: the only one we sign for broadcast). */
  commitmentNumber: number;
  /** Index of the HTLC output in that commitment. */
  commitmentOutputIndex: number;
  /**
   * The HTLC tx the node built. Without anchors exactly BOLT 3's; with zero-fee anchors it
   * may add fee-paying inputs and change outputs, the HTLC input and output at one index.
   */
  tx: Tx;
  /** payment_preimage, for an HTLC-success (an HTLC we received). */
  preimage?: Uint8Array;
  /** What the node put in the output script (compared when present, for precise rule ids). */
  claims?: HtlcTxClaims;
  /**
   * Sign SIGHASH_SINGLE|ANYONECANPAY (zero-fee anchors only), so the node can add its fee
   * inputs and change afterwards (Core Lightning's HTLC tx "mingle"); no witness is returned.
   */
  anyoneCanPay?: boolean;
  /**
   * An HTLC-success signed without the preimage, which the node adds itself (Core Lightning
   * never shows it to its signer): the signature alone, no witness. The signature is useless
   * without the preimage and pays only to our delayed output.
   */
  preimageByNode?: boolean;
}

/** The node's request for our signature on an HTLC tx of an unrevoked counterparty commitment. */
export interface CounterpartyHtlcTxRequest {
  /** The peer's commitment: the current one or the previous, not yet revoked one. */
  commitmentNumber: number;
  commitmentOutputIndex: number;
  /** The node's copy of the peer's HTLC tx (compared with BOLT 3's when present). */
  tx?: Tx;
  claims?: HtlcTxClaims;
  /** The funding of a pending splice when the commitment is the one made on that funding. */
  spliceFunding?: OutPoint;
}

/** What the shell signs for our own HTLC tx. */
export interface HolderHtlcPlan {
  next: ChannelState;
  channelType: ChannelType;
  /** The recomposed BOLT 3 HTLC tx. */
  htlcTx: HtlcTransaction;
  /** The tx to sign: the node's, with the HTLC pair replaced by the recomposed one. */
  signTx: Tx;
  inputIndex: number;
  /** Our per-commitment point of the holder commitment (our HTLC key is derived at it). */
  perCommitmentPoint: Uint8Array;
  /** The peer's signature on this HTLC tx, from state. */
  counterpartySignature: Uint8Array;
  /** For an HTLC-success: the checked preimage. */
  preimage: Uint8Array | undefined;
}

/** What the shell signs for the peer's HTLC tx. */
export interface CounterpartyHtlcPlan {
  next: ChannelState;
  channelType: ChannelType;
  htlcTx: HtlcTransaction;
  /** The peer's per-commitment point (our HTLC key on its commitment is derived at it). */
  perCommitmentPoint: Uint8Array;
}

/**
 * Sign our HTLC-success / HTLC-timeout for the current holder commitment: recompose the HTLC
 * tx from the stored commitment, run the HTLC transaction rules on the node's tx, check the
 * preimage of a success. Refused for a revoked commitment (policy-commitment-holder-not-revoked).
 */
export function planSignHolderHtlcTx(
  state: ChannelState,
  ctx: OnchainContext,
  req: HolderHtlcTxRequest,
  c: Checker,
): HolderHtlcPlan | { next: ChannelState; refused: true } {
  const setup = requireSetup(state);
  const proposed = copyTx(req.tx);
  const info = holderCommitmentFor(state, req.commitmentNumber, c);
  if (info === undefined) return { next: state, refused: true };
  const built = recomposeStored("holder", setup, ctx, info);
  const { htlcTx, position } = htlcAtOutput(built, req.commitmentOutputIndex);
  if (req.anyoneCanPay === true && !hasAnchors(setup.channelType)) {
    throw new StateError("state/no-anchors", "SIGHASH_SINGLE|ANYONECANPAY needs anchors");
  }
  const preimage =
    htlcTx.kind === "htlc-success" && req.preimageByNode !== true
      ? checkPreimage(htlcTx.htlc, req.preimage)
      : undefined;
  const k = checkHtlcTx(
    proposed,
    htlcTx,
    {
      config: ctx.config,
      isOurWallet: ctx.isOurWallet,
      channelType: setup.channelType,
      keys: {
        revocationPubkey: built.params.keys.revocationPubkey,
        delayedPubkey: built.params.keys.localDelayedPubkey,
        toSelfDelay: setup.holderToSelfDelay,
      },
      feeratePerKw: info.feeratePerKw,
      allowFeeBump: hasAnchors(setup.channelType),
      claims: req.claims,
    },
    c,
  );
  const counterpartySignature = info.counterpartyHtlcSignatures[position];
  if (counterpartySignature === undefined) {
    throw new StateError(
      "state/no-htlc-signature",
      `no counterparty signature for HTLC output ${req.commitmentOutputIndex}`,
    );
  }
  // Sign the recomposed HTLC pair; anything else in the tx is the node's fee bump, checked above.
  const inputIndex = k < 0 ? 0 : k;
  const signTx: Tx =
    k < 0
      ? htlcTx.tx
      : {
          version: htlcTx.tx.version,
          locktime: htlcTx.tx.locktime,
          inputs: proposed.inputs.map((input, i) =>
            i === k ? { ...htlcTx.tx.inputs[0]!, witness: [] } : input,
          ),
          outputs: proposed.outputs.map((o, i) => (i === k ? { ...htlcTx.tx.outputs[0]! } : o)),
        };
  return {
    next: state,
    channelType: setup.channelType,
    htlcTx,
    signTx,
    inputIndex,
    perCommitmentPoint: info.perCommitmentPoint,
    counterpartySignature,
    preimage,
  };
}

/**
 * Sign the peer's HTLC tx for an HTLC output of its current or previous (unrevoked)
 * commitment, recomposed from the stored commitment; the node's copy, when given, must be
 * exactly BOLT 3's (no fee-bumping: the peer adds that under its own SINGLE|ANYONECANPAY).
 */
export function planSignCounterpartyHtlcTx(
  state: ChannelState,
  ctx: OnchainContext,
  req: CounterpartyHtlcTxRequest,
  c: Checker,
): CounterpartyHtlcPlan {
  let setup = requireSetup(state);
  let info = req.spliceFunding === undefined ? undefined : spliceCommitment(state, req);
  if (info !== undefined)
    setup = spliceSetup(setup, pendingSpliceAt(state, req.spliceFunding!)!.splice);
  info ??= counterpartyCommitmentFor(state, req.commitmentNumber);
  const built = recomposeStored("counterparty", setup, ctx, info);
  const { htlcTx } = htlcAtOutput(built, req.commitmentOutputIndex);
  // Without the node's copy, the recomposition itself still faces the fee rule.
  checkHtlcTx(
    req.tx === undefined ? htlcTx.tx : copyTx(req.tx),
    htlcTx,
    {
      config: ctx.config,
      isOurWallet: ctx.isOurWallet,
      channelType: setup.channelType,
      keys: {
        revocationPubkey: built.params.keys.revocationPubkey,
        delayedPubkey: built.params.keys.localDelayedPubkey,
        toSelfDelay: setup.counterpartyToSelfDelay,
      },
      feeratePerKw: info.feeratePerKw,
      allowFeeBump: false,
      claims: req.claims,
    },
    c,
  );
  return {
    next: state,
    channelType: setup.channelType,
    htlcTx,
    perCommitmentPoint: info.perCommitmentPoint,
  };
}

/** The peer's commitment n recorded on the pending splice at `req.spliceFunding` (StateError if none). */
function spliceCommitment(state: ChannelState, req: CounterpartyHtlcTxRequest): CommitmentInfo {
  const found = pendingSpliceAt(state, req.spliceFunding!);
  const info = found?.splice.counterpartyCommitment;
  if (info === undefined || info.commitmentNumber !== req.commitmentNumber) {
    throw new StateError(
      "state/unknown-splice",
      `no commitment ${req.commitmentNumber} of the peer on that splice's funding`,
    );
  }
  return info;
}
