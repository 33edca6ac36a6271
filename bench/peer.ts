/**
 * An honest counterparty for the signer benches: deterministic keys from labels, a channel
 * setup with funds on both sides, and the inputs of each update round (the peer's proposals,
 * points, revocation secrets and its signatures on our commitment) precomputed outside timing.
 * Kept apart from test/ so the benches do not depend on the test harness.
 */
import type { Htlc } from "../src/bolt3/htlc.js";
import { buildHtlcTransactions } from "../src/bolt3/htlc-tx.js";
import { derivePrivkey } from "../src/bolt3/key-derivation.js";
import {
  commitmentSighash,
  counterpartyHtlcSighashType,
  htlcTxSighash,
} from "../src/bolt3/signing.js";
import { sha256 } from "../src/crypto/hash.js";
import { ecdsaSign, publicKey } from "../src/crypto/secp256k1.js";
import { type ChannelKeys, channelKeysFromSecrets } from "../src/keys/channel-keys.js";
import type { NodeKeySource } from "../src/signer/node.js";
import type { ChannelSetup } from "../src/state/channel-setup.js";
import type { CommitmentProposal } from "../src/state/commitment-proposal.js";
import { channelObscuringFactor, recomposeCommitment } from "../src/state/recompose.js";
import type { CounterpartySignatures } from "../src/state/transitions.js";

/** Channel value of every bench channel (sat). */
export const BENCH_CHANNEL_SAT = 10_000_000n;
/** What the opener (us) pushed to the peer at funding (msat), so both sides can offer HTLCs. */
export const BENCH_PUSH_MSAT = 4_000_000_000n;
/** Commitment fee rate of the bench channels. */
export const BENCH_FEERATE = 2500;
/** The chain height the bench nodes report (HTLC expiries are near it). */
export const BENCH_CHAIN_HEIGHT = 800_000;

/** Deterministic channel keys from a label (bench only). */
export function benchChannelKeys(label: string): ChannelKeys {
  const k = (what: string): Uint8Array => sha256(Buffer.from(`${label}/${what}`));
  return channelKeysFromSecrets({
    fundingSecret: k("funding"),
    revocationBaseSecret: k("revocation"),
    paymentBaseSecret: k("payment"),
    delayedPaymentBaseSecret: k("delayed"),
    htlcBaseSecret: k("htlc"),
    commitmentSeed: k("seed"),
  });
}

/** A key source deriving every channel's keys from a node label and the channel id. */
export function benchKeySource(label: string): NodeKeySource {
  const nodeSecret = sha256(Buffer.from(`${label}/node`));
  return {
    nodeId: () => publicKey(nodeSecret),
    nodeSecret: () => Uint8Array.from(nodeSecret),
    channelKeys: (id: string) => benchChannelKeys(`${label}/${id}`),
  };
}

/** Setup of a bench channel: outbound anchors channel, 0.1 BTC, 0.04 BTC pushed to the peer. */
export function benchSetup(peer: ChannelKeys): ChannelSetup {
  return {
    channelType: "anchors_zero_fee_htlc_tx",
    fundingOutpoint: { txid: sha256(Buffer.from("bench funding")), vout: 0 },
    channelValueSat: BENCH_CHANNEL_SAT,
    isOutbound: true,
    pushMsat: BENCH_PUSH_MSAT,
    holderToSelfDelay: 144,
    counterpartyToSelfDelay: 144,
    holderDustLimitSat: 546n,
    counterpartyDustLimitSat: 546n,
    counterpartyBasepoints: peer.basepoints,
    holderShutdownScript: undefined,
    counterpartyShutdownScript: undefined,
  };
}

/** `n` untrimmed HTLCs from the holder's view: even ids offered by us, odd ids received. */
export function benchHtlcs(n: number, channelLabel = ""): Htlc[] {
  const htlcs: Htlc[] = [];
  for (let i = 0; i < n; i++) {
    htlcs.push({
      id: BigInt(i),
      direction: i % 2 === 0 ? "offered" : "received",
      amountMsat: 1_000_000n + BigInt(i) * 1_000n,
      // Distinct per channel: the same hash on two channels would be one payment paid twice.
      paymentHash: sha256(Buffer.from(`bench preimage ${channelLabel}/${i}`)),
      cltvExpiry: BENCH_CHAIN_HEIGHT + 100 + (i % 50),
    });
  }
  return htlcs;
}

/** The holder's and the peer's commitment proposals of number `n` carrying `htlcs`. */
export function benchProposals(
  n: number,
  htlcs: readonly Htlc[],
): { holder: CommitmentProposal; counterparty: CommitmentProposal } {
  let holderMsat = BENCH_CHANNEL_SAT * 1000n - BENCH_PUSH_MSAT;
  let peerMsat = BENCH_PUSH_MSAT;
  for (const h of htlcs) {
    if (h.direction === "offered") holderMsat -= h.amountMsat;
    else peerMsat -= h.amountMsat;
  }
  const flipped = htlcs.map((h) => ({
    ...h,
    direction: h.direction === "offered" ? ("received" as const) : ("offered" as const),
  }));
  return {
    holder: {
      commitmentNumber: n,
      feeratePerKw: BENCH_FEERATE,
      toOwnerMsat: holderMsat,
      toOtherMsat: peerMsat,
      htlcs: [...htlcs],
    },
    counterparty: {
      commitmentNumber: n,
      feeratePerKw: BENCH_FEERATE,
      toOwnerMsat: peerMsat,
      toOtherMsat: holderMsat,
      htlcs: flipped,
    },
  };
}

/** The peer's signatures on our holder commitment for `proposal` (what commitment_signed carries). */
export function peerSignsHolder(
  setup: ChannelSetup,
  holder: ChannelKeys,
  peer: ChannelKeys,
  proposal: CommitmentProposal,
): CounterpartySignatures {
  const point = holder.perCommitmentPoint(proposal.commitmentNumber);
  const of = channelObscuringFactor(setup, holder.basepoints);
  const built = recomposeCommitment("holder", setup, holder.basepoints, point, of, proposal);
  const commitmentSignature = ecdsaSign(commitmentSighash(built), peer.fundingSecret);
  const htlcKey = derivePrivkey(peer.htlcBaseSecret, point);
  const type = counterpartyHtlcSighashType(setup.channelType);
  const htlcSignatures = buildHtlcTransactions(built).map((h) =>
    ecdsaSign(htlcTxSighash(h, type), htlcKey),
  );
  return { commitmentSignature, htlcSignatures };
}

/** Everything the peer sends in one update round n ≥ 1 (plain data, structured-cloneable). */
export interface RoundInputs {
  n: number;
  counterpartyPoint: Uint8Array;
  counterpartyProposal: CommitmentProposal;
  /** The peer's secret for its commitment n-1 (revoke_and_ack). */
  counterpartySecret: Uint8Array;
  holderProposal: CommitmentProposal;
  holderSigs: CounterpartySignatures;
}

/** Funding (round 0) inputs: both commitments 0 without HTLCs. */
export function fundingInputs(
  setup: ChannelSetup,
  holder: ChannelKeys,
  peer: ChannelKeys,
): Omit<RoundInputs, "counterpartySecret"> {
  const p = benchProposals(0, []);
  return {
    n: 0,
    counterpartyPoint: peer.perCommitmentPoint(0),
    counterpartyProposal: p.counterparty,
    holderProposal: p.holder,
    holderSigs: peerSignsHolder(setup, holder, peer, p.holder),
  };
}

/** The inputs of update round `n` (≥ 1) with `htlcs` on both commitments. */
export function roundInputs(
  setup: ChannelSetup,
  holder: ChannelKeys,
  peer: ChannelKeys,
  n: number,
  htlcs: readonly Htlc[],
): RoundInputs {
  const p = benchProposals(n, htlcs);
  return {
    n,
    counterpartyPoint: peer.perCommitmentPoint(n),
    counterpartyProposal: p.counterparty,
    counterpartySecret: peer.perCommitmentSecret(n - 1),
    holderProposal: p.holder,
    holderSigs: peerSignsHolder(setup, holder, peer, p.holder),
  };
}
