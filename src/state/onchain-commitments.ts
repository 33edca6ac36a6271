/**
 * Shared pieces of the on-chain operations (HTLC transactions, sweeps): which stored commitment
 * a request may refer to, its recomposition from the signer's own state, and the HTLC found at
 * a commitment output index. Pure; nothing here touches a secret key.
 */
import { type Tx, validateTx } from "../bitcoin/tx.js";
import type { CommitmentTransaction } from "../bolt3/commitment.js";
import { buildHtlcTransactions, type HtlcTransaction } from "../bolt3/htlc-tx.js";
import type { Htlc } from "../bolt3/htlc.js";
import { sha256 } from "../crypto/hash.js";
import type { Checker } from "../policy/policy.js";
import type { WalletOracle } from "../policy/rules/destination.js";
import { constantTimeEqual, equalBytes } from "../util/bytes.js";
import type { ChannelSetup } from "./channel-setup.js";
import type { ChannelState } from "./channel-state.js";
import type { CommitmentInfo, HolderCommitmentInfo } from "./commitment-info.js";
import { StateError } from "./errors.js";
import { type CommitmentOwner, recomposeCommitment } from "./recompose.js";
import type { PlanContext } from "./transitions.js";

/** A PlanContext plus the node's wallet oracle (destinations of sweeps and fee-bump change). */
export interface OnchainContext extends PlanContext {
  isOurWallet: WalletOracle;
}

/** The setup of a channel that was set up (StateError `state/not-set-up` otherwise). */
export function requireSetup(state: ChannelState): ChannelSetup {
  if (state.phase === "new" || state.setup === undefined) {
    throw new StateError("state/not-set-up", "the channel is not set up");
  }
  return state.setup;
}

/**
 * Our holder commitment n if it may still reach the chain: the current one (the only one we
 * ever sign for broadcast). A revoked n is recorded as policy-commitment-holder-not-revoked
 * (never demotable) and yields undefined; any other number is a StateError.
 */
export function holderCommitmentFor(
  state: ChannelState,
  n: number,
  c: Checker,
): HolderCommitmentInfo | undefined {
  requireSetup(state);
  if (Number.isSafeInteger(n) && n >= 0 && n <= state.holderRevokedThrough) {
    c.fail("policy-commitment-holder-not-revoked", `holder commitment ${n} was revoked`);
    return undefined;
  }
  const cur = state.currentHolder;
  if (cur === undefined || cur.commitmentNumber !== n) {
    throw new StateError(
      "state/not-current-holder-commitment",
      `holder commitment ${n} is not the current one`,
    );
  }
  return cur;
}

/**
 * The counterparty commitment n the signer signed and the peer has not revoked (the current or
 * the previous one); StateError `state/counterparty-commitment-revoked` or
 * `state/unknown-counterparty-commitment` otherwise.
 */
export function counterpartyCommitmentFor(state: ChannelState, n: number): CommitmentInfo {
  requireSetup(state);
  if (Number.isSafeInteger(n) && n >= 0 && n <= state.counterpartyRevokedThrough) {
    throw new StateError(
      "state/counterparty-commitment-revoked",
      `counterparty commitment ${n} was revoked: only a justice sweep may spend it`,
    );
  }
  const found = [state.currentCounterparty, state.previousCounterparty].find(
    (i) => i !== undefined && i.commitmentNumber === n,
  );
  if (found === undefined) {
    throw new StateError(
      "state/unknown-counterparty-commitment",
      `counterparty commitment ${n} is neither the current nor the previous one`,
    );
  }
  return found;
}

/**
 * Rebuilds a stored commitment of `owner` from the channel's setup and the recorded values;
 * StateError `state/recompose-mismatch` if the txid differs from the recorded one (corrupt state).
 */
export function recomposeStored(
  owner: CommitmentOwner,
  setup: ChannelSetup,
  ctx: PlanContext,
  info: CommitmentInfo,
): CommitmentTransaction {
  const built = recomposeCommitment(
    owner,
    setup,
    ctx.holder,
    info.perCommitmentPoint,
    ctx.obscuringFactor,
    {
      commitmentNumber: info.commitmentNumber,
      feeratePerKw: info.feeratePerKw,
      toOwnerMsat: info.toOwnerMsat,
      toOtherMsat: info.toOtherMsat,
      htlcs: info.htlcs,
    },
  );
  if (!equalBytes(built.txid, info.txid)) {
    throw new StateError(
      "state/recompose-mismatch",
      `${owner} commitment ${info.commitmentNumber} does not recompose to its recorded txid`,
    );
  }
  return built;
}

/** An HTLC output of a recomposed commitment, its HTLC tx, and its position among HTLC outputs. */
export interface HtlcAtOutput {
  htlcTx: HtlcTransaction;
  /** Position among the commitment's HTLC outputs (the index into BOLT 2 htlc_signatures). */
  position: number;
}

/** The HTLC at commitment output `outputIndex`; StateError `state/no-htlc-output` if there is none. */
export function htlcAtOutput(built: CommitmentTransaction, outputIndex: number): HtlcAtOutput {
  const position = built.htlcOutputs.findIndex((o) => o.outputIndex === outputIndex);
  if (position < 0) {
    throw new StateError(
      "state/no-htlc-output",
      `commitment output ${outputIndex} is not an untrimmed HTLC output`,
    );
  }
  return { htlcTx: buildHtlcTransactions(built)[position]!, position };
}

/** Guarantees `preimage` is the 32-byte preimage of the HTLC's payment hash (StateError otherwise). */
export function checkPreimage(htlc: Htlc, preimage: Uint8Array | undefined): Uint8Array {
  if (preimage === undefined) {
    throw new StateError("state/preimage-missing", "claiming this HTLC needs its preimage");
  }
  if (!(preimage instanceof Uint8Array) || preimage.length !== 32) {
    throw new StateError("state/preimage-mismatch", "a payment preimage is 32 bytes");
  }
  if (!constantTimeEqual(sha256(preimage), htlc.paymentHash)) {
    throw new StateError("state/preimage-mismatch", `the preimage is not HTLC ${htlc.id}'s`);
  }
  return Uint8Array.from(preimage);
}

/** A validated private copy of the node's transaction (FormatError if malformed). */
export function copyTx(tx: Tx): Tx {
  validateTx(tx);
  return {
    version: tx.version,
    locktime: tx.locktime,
    inputs: tx.inputs.map((i) => ({
      prevout: { txid: Uint8Array.from(i.prevout.txid), vout: i.prevout.vout },
      scriptSig: Uint8Array.from(i.scriptSig),
      sequence: i.sequence,
      witness: i.witness.map((w) => Uint8Array.from(w)),
    })),
    outputs: tx.outputs.map((o) => ({ value: o.value, script: Uint8Array.from(o.script) })),
  };
}
