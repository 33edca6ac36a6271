/**
 * Channel hsmd requests, each through Warden's Channel state machine: points, setup, the
 * commitment/revocation dance, counterparty HTLC txs, mutual close, force close and the
 * funding outpoint checks. Core Lightning's transactions are never signed as given: Warden
 * recomposes them from its own state and compares (see ../commitment.ts).
 */
import { Psbt } from "../../../bitcoin/psbt.js";
import { serializeTx, txid as txidOf, type Tx, type TxOut } from "../../../bitcoin/tx.js";
import { SIGHASH_ALL } from "../../../bitcoin/sighash.js";
import type { ChannelType } from "../../../bolt3/channel-type.js";
import { counterpartyHtlcSighashType } from "../../../bolt3/signing.js";
import type { Channel } from "../../../signer/channel.js";
import type { ChannelSetup } from "../../../state/channel-setup.js";
import { revealedCounterpartySecret } from "../../../state/onchain-sweep.js";
import { pendingSpliceAt, spliceSetup } from "../../../state/splice.js";
import { constantTimeEqual, equalBytes } from "../../../util/bytes.js";
import { htlcsFromCln, proposalFromCln } from "../commitment.js";
import {
  channelById,
  clientChannelId,
  clnChannelId,
  HsmdClientError,
  type RequestContext,
} from "./context.js";
import { emptyReply, type WireSignature, type WireTx, WireWriter } from "./io.js";

function clientChannel(ctx: RequestContext): Channel {
  return channelById(ctx, clientChannelId(ctx));
}

function requireSetup(channel: Channel): ChannelSetup {
  const setup = channel.state.setup;
  if (setup === undefined) throw new HsmdClientError("cln/not-set-up", "channel not set up");
  return setup;
}

function commitNumber(n: bigint): number {
  if (n >= 1n << 48n) throw new HsmdClientError("cln/bad-request", `commitment number ${n}`);
  return Number(n);
}

/** The outputs the inputs of `w` spend, from its PSBT (witness UTXOs). */
export function spentOutputs(w: WireTx): TxOut[] {
  let psbt: Psbt;
  try {
    psbt = Psbt.parse(w.psbt);
  } catch {
    throw new HsmdClientError("cln/malformed", "bad PSBT in bitcoin_tx");
  }
  if (psbt.inputs.length !== w.tx.inputs.length) {
    throw new HsmdClientError("cln/malformed", "PSBT does not match its transaction");
  }
  return psbt.inputs.map((i, k) => {
    if (i.spent === undefined) throw new HsmdClientError("cln/malformed", `input ${k}: no UTXO`);
    return i.spent;
  });
}

/**
 * Channel type of Core Lightning's channel_type feature bits (BOLT 9): static_remotekey (12),
 * optionally anchors (22); option_scid_alias (46) and option_zeroconf (50) may be added, as they
 * change no transaction.
 */
export function channelTypeFromFeatures(bits: Uint8Array): ChannelType {
  const set = new Set<number>();
  for (let i = 0; i < bits.length; i++) {
    const byte = bits[bits.length - 1 - i]!;
    for (let b = 0; b < 8; b++) if ((byte >> b) & 1) set.add(i * 8 + b);
  }
  const core = [...set].filter((b) => b !== 46 && b !== 50);
  const only = (...want: number[]): boolean =>
    core.length === want.length && want.every((w) => set.has(w));
  if (only(12, 22)) return "anchors_zero_fee_htlc_tx";
  if (only(12)) return "static_remotekey";
  throw new HsmdClientError(
    "cln/unsupported",
    `channel type with feature bits ${[...set].sort((a, b) => a - b).join(",")} is not supported`,
  );
}

/** hsmd_get_per_commitment_point: Channel.getPerCommitmentPoint (never an old secret). */
export async function handleGetPerCommitmentPoint(ctx: RequestContext): Promise<Uint8Array> {
  const n = commitNumber(ctx.r.u64());
  ctx.r.end();
  const point = await clientChannel(ctx).getPerCommitmentPoint(n);
  return new WireWriter(118).bytes(point).bool(false).done();
}

/** hsmd_setup_channel: Channel.setup (the Channel opening rules). */
export async function handleSetupChannel(ctx: RequestContext): Promise<Uint8Array> {
  const r = ctx.r;
  const isOutbound = r.bool();
  const channelValueSat = r.u64();
  const pushMsat = r.u64();
  const fundingTxid = r.b32();
  const fundingVout = r.u16();
  const localToSelfDelay = r.u16();
  const localShutdown = r.varBytes16();
  const localShutdownIndex = r.optional(() => r.u32());
  const bp = r.basepoints();
  const remoteFunding = r.point();
  const remoteToSelfDelay = r.u16();
  const remoteShutdown = r.varBytes16();
  const channelType = channelTypeFromFeatures(r.channelType());
  r.end();
  if (localShutdownIndex !== undefined) ctx.core.noteWalletIndex(localShutdownIndex);
  const dust = ctx.core.dustLimitSat;
  const setup: ChannelSetup = {
    channelType,
    fundingOutpoint: { txid: fundingTxid, vout: fundingVout },
    channelValueSat,
    isOutbound,
    pushMsat,
    // Core Lightning's local_to_self_delay is the delay it imposes on the peer's outputs.
    holderToSelfDelay: remoteToSelfDelay,
    counterpartyToSelfDelay: localToSelfDelay,
    holderDustLimitSat: dust,
    counterpartyDustLimitSat: dust,
    counterpartyBasepoints: {
      fundingPubkey: remoteFunding,
      revocationBasepoint: bp.revocation,
      paymentBasepoint: bp.payment,
      delayedPaymentBasepoint: bp.delayedPayment,
      htlcBasepoint: bp.htlc,
    },
    holderShutdownScript: localShutdown.length > 0 ? localShutdown : undefined,
    counterpartyShutdownScript: remoteShutdown.length > 0 ? remoteShutdown : undefined,
  };
  const channel = clientChannel(ctx);
  const current = channel.state.setup;
  if (current !== undefined && isSpliceSetup(current, setup)) {
    // push_value carries the other side's relative splice amount (sat, as a raw signed u64).
    const theirRelativeSat = pushMsat >= 1n << 63n ? pushMsat - (1n << 64n) : pushMsat;
    const oursMsat = (channelValueSat - current.channelValueSat - theirRelativeSat) * 1000n;
    await channel.announceSplice(setup.fundingOutpoint, channelValueSat, oursMsat);
    return emptyReply(131);
  }
  await channel.setup(setup);
  return emptyReply(131);
}

/**
 * True when `next` is the setup_channel channeld sends for a splice (update_hsmd_with_splice):
 * the set-up channel's parameters with another funding outpoint and value, the push field
 * carrying the other side's relative splice amount, and no upfront shutdown scripts (they
 * cannot change, so channeld leaves them out).
 */
function isSpliceSetup(current: ChannelSetup, next: ChannelSetup): boolean {
  const sameOutpoint =
    equalBytes(current.fundingOutpoint.txid, next.fundingOutpoint.txid) &&
    current.fundingOutpoint.vout === next.fundingOutpoint.vout;
  const keys = current.counterpartyBasepoints;
  const nk = next.counterpartyBasepoints;
  return (
    !sameOutpoint &&
    current.channelType === next.channelType &&
    current.isOutbound === next.isOutbound &&
    current.holderToSelfDelay === next.holderToSelfDelay &&
    current.counterpartyToSelfDelay === next.counterpartyToSelfDelay &&
    equalBytes(keys.fundingPubkey, nk.fundingPubkey) &&
    equalBytes(keys.revocationBasepoint, nk.revocationBasepoint) &&
    equalBytes(keys.paymentBasepoint, nk.paymentBasepoint) &&
    equalBytes(keys.delayedPaymentBasepoint, nk.delayedPaymentBasepoint) &&
    equalBytes(keys.htlcBasepoint, nk.htlcBasepoint) &&
    next.holderShutdownScript === undefined &&
    next.counterpartyShutdownScript === undefined
  );
}

/**
 * hsmd_check_outpoint: is the funding outpoint buried? With a chain view, when its funding
 * transaction is mined; without one Warden cannot tell and answers as hsmd does (true).
 */
export async function handleCheckOutpoint(ctx: RequestContext): Promise<Uint8Array> {
  const txid = ctx.r.b32();
  const vout = ctx.r.u16();
  ctx.r.end();
  const channel = clientChannel(ctx);
  const setup = requireSetup(channel);
  const current =
    equalBytes(setup.fundingOutpoint.txid, txid) && setup.fundingOutpoint.vout === vout;
  if (!current && pendingSpliceAt(channel.state, { txid, vout }) === undefined) {
    throw new HsmdClientError("cln/bad-request", "not this channel's funding outpoint");
  }
  const chain = ctx.core.chain;
  const buried = chain === undefined ? true : (chain.confirmations(txid) ?? 0) > 0;
  return new WireWriter(132).bool(buried).done();
}

/**
 * hsmd_lock_outpoint: the channel's funding outpoint (channel_ready), or a pending splice's
 * (splice_locked): Channel.lockSplice switches the channel to that funding.
 */
export async function handleLockOutpoint(ctx: RequestContext): Promise<Uint8Array> {
  const txid = ctx.r.b32();
  const vout = ctx.r.u16();
  ctx.r.end();
  const channel = clientChannel(ctx);
  const setup = requireSetup(channel);
  if (equalBytes(setup.fundingOutpoint.txid, txid) && setup.fundingOutpoint.vout === vout) {
    return emptyReply(137);
  }
  if (pendingSpliceAt(channel.state, { txid, vout }) === undefined) {
    throw new HsmdClientError("cln/bad-request", "not this channel's funding outpoint");
  }
  await channel.lockSplice({ txid, vout });
  return emptyReply(137);
}

function checkRemoteFundingKey(setup: ChannelSetup, key: Uint8Array): void {
  if (!equalBytes(setup.counterpartyBasepoints.fundingPubkey, key)) {
    throw new HsmdClientError("cln/bad-request", "remote funding key is not the channel's");
  }
}

/** hsmd_sign_remote_commitment_tx: Channel.signCounterpartyCommitment on the recomposed tx. */
export async function handleSignRemoteCommitment(ctx: RequestContext): Promise<Uint8Array> {
  const r = ctx.r;
  const w = r.bitcoinTx();
  const remoteFunding = r.point();
  const point = r.point();
  r.bool(); // option_static_remotekey: implied by the channel type fixed at setup
  const n = commitNumber(r.u64());
  const htlcs = r.htlcs();
  const feerate = r.u32();
  r.end();
  const channel = clientChannel(ctx);
  const setup = requireSetup(channel);
  checkRemoteFundingKey(setup, remoteFunding);
  // While a splice is pending channeld also signs the peer's commitment on the new funding.
  const input = w.tx.inputs.length === 1 ? w.tx.inputs[0]!.prevout : undefined;
  const splice = input === undefined ? undefined : pendingSpliceAt(channel.state, input);
  const proposal = proposalFromCln({
    owner: "counterparty",
    setup: splice === undefined ? setup : spliceSetup(setup, splice.splice),
    holder: channel.basepoints,
    point,
    commitmentNumber: n,
    feeratePerKw: feerate,
    htlcs: htlcsFromCln("counterparty", htlcs),
    tx: w.tx,
  });
  const sigs =
    splice === undefined
      ? await channel.signCounterpartyCommitment(point, proposal)
      : await channel.signSpliceCounterpartyCommitment(input!, point, proposal);
  return new WireWriter(112).bitcoinSignature(sigs.signature, SIGHASH_ALL).done();
}

function checkSighash(sig: WireSignature, expected: number, what: string): Uint8Array {
  if (sig.sighashType !== expected) {
    throw new HsmdClientError("cln/bad-request", `${what} has sighash type ${sig.sighashType}`);
  }
  return sig.signature;
}

/**
 * hsmd_validate_commitment_tx: Channel.validateHolderCommitment (the peer's signatures on our
 * recomposed commitment n); replies with our point n+1 and never an old secret.
 */
export async function handleValidateCommitment(ctx: RequestContext): Promise<Uint8Array> {
  const r = ctx.r;
  const w = r.bitcoinTx();
  const htlcs = r.htlcs();
  const n = commitNumber(r.u64());
  const feerate = r.u32();
  const sig = r.bitcoinSignature();
  const htlcSigs = Array.from({ length: r.u16() }, () => r.bitcoinSignature());
  r.end();
  const channel = clientChannel(ctx);
  const setup = requireSetup(channel);
  const point = await channel.getPerCommitmentPoint(n);
  // While a splice is pending channeld also validates our commitment on the new funding.
  const input = w.tx.inputs.length === 1 ? w.tx.inputs[0]!.prevout : undefined;
  const splice = input === undefined ? undefined : pendingSpliceAt(channel.state, input);
  const proposal = proposalFromCln({
    owner: "holder",
    setup: splice === undefined ? setup : spliceSetup(setup, splice.splice),
    holder: channel.basepoints,
    point,
    commitmentNumber: n,
    feeratePerKw: feerate,
    htlcs: htlcsFromCln("holder", htlcs),
    tx: w.tx,
  });
  const htlcType = counterpartyHtlcSighashType(setup.channelType);
  const sigs = {
    commitmentSignature: checkSighash(sig, SIGHASH_ALL, "commitment signature"),
    htlcSignatures: htlcSigs.map((s) => checkSighash(s, htlcType, "HTLC signature")),
  };
  if (splice === undefined) await channel.validateHolderCommitment(proposal, sigs);
  else await channel.validateSpliceHolderCommitment(input!, proposal, sigs);
  const next = await channel.getPerCommitmentPoint(n + 1);
  return new WireWriter(135).bool(false).bytes(next).done();
}

/** hsmd_revoke_commitment_tx: Channel.revokeHolderCommitment → secret n and our point n+2. */
export async function handleRevokeCommitment(ctx: RequestContext): Promise<Uint8Array> {
  const n = commitNumber(ctx.r.u64());
  ctx.r.end();
  const channel = clientChannel(ctx);
  const secret = await channel.revokeHolderCommitment(n);
  const next = await channel.getPerCommitmentPoint(n + 2);
  return new WireWriter(140).bytes(secret).bytes(next).done();
}

/** hsmd_validate_revocation: Channel.validateCounterpartyRevocation. */
export async function handleValidateRevocation(ctx: RequestContext): Promise<Uint8Array> {
  const n = commitNumber(ctx.r.u64());
  const secret = ctx.r.b32();
  ctx.r.end();
  await clientChannel(ctx).validateCounterpartyRevocation(n, secret);
  return emptyReply(136);
}

/**
 * hsmd_sign_remote_htlc_tx: Channel.signCounterpartyHtlcTx for the HTLC output the tx spends,
 * of the peer's commitment at `remote_per_commit_point` (current or previous, unrevoked).
 */
export async function handleSignRemoteHtlcTx(ctx: RequestContext): Promise<Uint8Array> {
  const r = ctx.r;
  const w = r.bitcoinTx();
  r.varBytes16(); // wscript: recomposed by Warden
  const point = r.point();
  r.bool(); // option_anchor_outputs: implied by the channel type
  r.end();
  const channel = clientChannel(ctx);
  const setup = requireSetup(channel);
  const s = channel.state;
  // An HTLC tx of the peer's commitment on a pending splice's funding spends that commitment.
  const spent = w.tx.inputs.length === 1 ? w.tx.inputs[0]!.prevout.txid : undefined;
  const splice = (s.pendingSplices ?? []).find((p) => {
    const c = p.counterpartyCommitment;
    return (
      c !== undefined &&
      spent !== undefined &&
      equalBytes(c.txid, spent) &&
      equalBytes(c.perCommitmentPoint, point)
    );
  });
  const commitment =
    splice?.counterpartyCommitment ??
    [s.currentCounterparty, s.previousCounterparty].find(
      (c) => c !== undefined && equalBytes(c.perCommitmentPoint, point),
    );
  if (commitment === undefined || w.tx.inputs.length !== 1) {
    throw new HsmdClientError("cln/bad-request", "not an HTLC tx of an unrevoked commitment");
  }
  const sig = await channel.signCounterpartyHtlcTx({
    commitmentNumber: commitment.commitmentNumber,
    commitmentOutputIndex: w.tx.inputs[0]!.prevout.vout,
    tx: w.tx,
    ...(splice !== undefined ? { spliceFunding: splice.fundingOutpoint } : {}),
  });
  return new WireWriter(112)
    .bitcoinSignature(sig, counterpartyHtlcSighashType(setup.channelType))
    .done();
}

/**
 * hsmd_sign_mutual_close_tx: Channel.signMutualClose on the proposal the tx stands for. Our
 * output is the one whose value matches our committed balance best; the fee is what the
 * outputs leave of the funding. Warden signs its own recomposition, which must be the node's tx.
 */
export async function handleSignMutualClose(ctx: RequestContext): Promise<Uint8Array> {
  const w = ctx.r.bitcoinTx();
  const remoteFunding = ctx.r.point();
  ctx.r.end();
  const channel = clientChannel(ctx);
  checkRemoteFundingKey(requireSetup(channel), remoteFunding);
  const sig = await signMutualCloseTx(channel, w.tx);
  return new WireWriter(112).bitcoinSignature(sig, SIGHASH_ALL).done();
}

/** Channel.signMutualClose for the proposal `tx` stands for; the recomposition must be `tx`. */
async function signMutualCloseTx(channel: Channel, tx: Tx): Promise<Uint8Array> {
  const setup = requireSetup(channel);
  const outs = tx.outputs;
  if (outs.length < 1 || outs.length > 2 || tx.inputs.length !== 1) {
    throw new HsmdClientError("cln/bad-request", "not a closing transaction");
  }
  let outSum = 0n;
  for (const o of outs) outSum += o.value;
  const feeSat = setup.channelValueSat - outSum;
  const committed = channel.state.currentHolder?.toOwnerMsat ?? setup.channelValueSat * 1000n;
  const feeMsat = feeSat * 1000n;
  const candidates: { ours: TxOut | undefined; theirs: TxOut | undefined }[] =
    outs.length === 2
      ? [
          { ours: outs[0], theirs: outs[1] },
          { ours: outs[1], theirs: outs[0] },
        ]
      : [
          { ours: outs[0], theirs: undefined },
          { ours: undefined, theirs: outs[0] },
        ];
  const holderMsat = (o: TxOut | undefined): bigint =>
    (o?.value ?? 0n) * 1000n + (setup.isOutbound ? feeMsat : 0n);
  const distance = (o: TxOut | undefined): bigint => {
    const d = holderMsat(o) - committed;
    return d < 0n ? -d : d;
  };
  const best = candidates.reduce((x, y) => (distance(y.ours) < distance(x.ours) ? y : x));
  const toHolderMsat = holderMsat(best.ours);
  const signed = await channel.signMutualClose({
    toHolderMsat,
    toCounterpartyMsat: setup.channelValueSat * 1000n - toHolderMsat,
    holderScript: best.ours?.script ?? new Uint8Array(0),
    counterpartyScript: best.theirs?.script ?? new Uint8Array(0),
    feeSat,
  });
  if (!sameUnsignedTx(signed.tx, tx)) {
    throw new HsmdClientError("cln/bad-request", "closing tx differs from Warden's");
  }
  return signed.signature;
}

/**
 * hsmd_sign_splice_tx (channeld): Channel.signSpliceTx on the channel input `input_index` of
 * the splice tx, whose PSBT gives the spent outputs. The remote funding key must be the
 * channel's (the new funding output is the 2-of-2 of the same keys). Our wallet's inputs are
 * not signed here: channeld gets them signed through hsmd_sign_withdrawal (signpsbt), as hsmd.
 */
export async function handleSignSpliceTx(ctx: RequestContext): Promise<Uint8Array> {
  const w = ctx.r.bitcoinTx();
  const remoteFunding = ctx.r.point();
  const inputIndex = ctx.r.u32();
  ctx.r.end();
  const channel = clientChannel(ctx);
  checkRemoteFundingKey(requireSetup(channel), remoteFunding);
  if (inputIndex >= w.tx.inputs.length) {
    throw new HsmdClientError("cln/bad-request", `the splice tx has no input ${inputIndex}`);
  }
  const sig = await channel.signSpliceTx({
    tx: w.tx,
    spentOutputs: spentOutputs(w),
    inputIndex,
  });
  return new WireWriter(112).bitcoinSignature(sig, SIGHASH_ALL).done();
}

/**
 * hsmd_sign_commitment_tx (lightningd, force close): Channel.signHolderCommitment of our
 * current commitment; the node's tx must be the one Warden recomposes.
 */
export async function handleSignCommitmentTx(ctx: RequestContext): Promise<Uint8Array> {
  const peerId = ctx.r.point();
  const dbid = ctx.r.u64();
  const w = ctx.r.bitcoinTx();
  const remoteFunding = ctx.r.point();
  const n = commitNumber(ctx.r.u64());
  ctx.r.end();
  const channel = channelById(ctx, clnChannelId(peerId, dbid));
  checkRemoteFundingKey(requireSetup(channel), remoteFunding);
  if (channel.state.closing === "mutual") {
    // After a mutual close lightningd signs its last_tx, which is then the closing tx.
    const sig = await signMutualCloseTx(channel, w.tx);
    return new WireWriter(105).bitcoinSignature(sig, SIGHASH_ALL).done();
  }
  const current = channel.state.currentHolder;
  if (current === undefined || !equalBytes(current.txid, txidOf(w.tx))) {
    throw new HsmdClientError("cln/bad-request", "not our current commitment transaction");
  }
  const signed = await channel.signHolderCommitment(n);
  if (!sameUnsignedTx(signed.tx, w.tx)) {
    throw new HsmdClientError("cln/bad-request", "not our current commitment transaction");
  }
  return new WireWriter(105).bitcoinSignature(signed.signature, SIGHASH_ALL).done();
}

/** Commitment number of the revoked counterparty commitment whose secret is `secret`. */
export function revokedCommitmentOf(channel: Channel, secret: Uint8Array): number {
  const s = channel.state;
  for (let n = s.counterpartyRevokedThrough; n >= 0; n--) {
    if (constantTimeEqual(revealedCounterpartySecret(s, n), secret)) return n;
  }
  throw new HsmdClientError("cln/bad-request", "not a revealed revocation secret");
}

/** Network-independent helper re-exported for handlers that compare transactions. */
export function sameUnsignedTx(a: Tx, b: Tx): boolean {
  return equalBytes(serializeTx(a, false), serializeTx(b, false));
}
