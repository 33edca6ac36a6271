/** BOLT 3 transaction engine: public API. */
export { assertChannelType, CHANNEL_TYPES, type ChannelType, hasAnchors } from "./channel-type.js";
export {
  buildClosingTransaction,
  type ClosingOutput,
  type ClosingParams,
  type ClosingTransaction,
} from "./closing.js";
export {
  buildCommitmentTransaction,
  type CommitmentOutput,
  type CommitmentOutputKind,
  type CommitmentParams,
  type CommitmentTransaction,
  MAX_HTLCS_PER_DIRECTION,
  MIN_DUST_LIMIT_SAT,
} from "./commitment.js";
export {
  assertCommitmentKeys,
  type ChannelBasepoints,
  type CommitmentKeys,
  deriveCommitmentKeys,
} from "./commitment-keys.js";
export {
  assertCommitmentNumber,
  type CommitmentLocktimeSequence,
  commitmentIndexFromNumber,
  commitmentLocktimeSequence,
  commitmentNumberFromIndex,
  commitmentNumberFromTx,
  commitmentObscuringFactor,
  FIRST_COMMITMENT_INDEX,
  MAX_COMMITMENT_NUMBER,
  obscureCommitmentNumber,
  obscuredCommitmentNumberFromTx,
} from "./commitment-number.js";
export { type CommitmentSighashes, commitmentSighashes } from "./commitment-sighashes.js";
export { Bolt3Error } from "./errors.js";
export {
  ANCHOR_OUTPUT_VALUE_SAT,
  COMMITMENT_BASE_WEIGHT,
  COMMITMENT_BASE_WEIGHT_ANCHORS,
  commitmentFeeSat,
  commitmentWeight,
  feeForWeightSat,
  HTLC_OUTPUT_WEIGHT,
  HTLC_SUCCESS_WEIGHT,
  HTLC_SUCCESS_WEIGHT_ANCHORS,
  HTLC_TIMEOUT_WEIGHT,
  HTLC_TIMEOUT_WEIGHT_ANCHORS,
  type HtlcDirection,
  htlcSuccessFeeSat,
  htlcTimeoutFeeSat,
  htlcTxFeeSat,
  isHtlcTrimmed,
} from "./fees.js";
export { assertHtlc, type Htlc } from "./htlc.js";
export {
  buildHtlcTransaction,
  buildHtlcTransactions,
  type HtlcTransaction,
  type HtlcTxKind,
  type HtlcTxParams,
  htlcTxKind,
} from "./htlc-tx.js";
export {
  derivePrivkey,
  derivePubkey,
  deriveRevocationPrivkey,
  deriveRevocationPubkey,
} from "./key-derivation.js";
export {
  generateFromSeed,
  perCommitmentPoint,
  perCommitmentSecret,
} from "./per-commitment-secret.js";
export {
  anchorScript,
  fundingScript,
  type HtlcScriptKeys,
  htlcTxOutputScript,
  offeredHtlcScript,
  receivedHtlcScript,
  toLocalScript,
  toRemoteAnchorsScript,
  toRemoteOutput,
} from "./scripts.js";
export { ShachainStore } from "./shachain-store.js";
export {
  commitmentSighash,
  counterpartyHtlcSighashType,
  fundingInputSighash,
  htlcTxSighash,
  ownerHtlcSighashType,
} from "./signing.js";
export {
  fundingSpendWitness,
  htlcSuccessWitness,
  htlcTimeoutWitness,
  signatureWithSighashType,
} from "./witness.js";
