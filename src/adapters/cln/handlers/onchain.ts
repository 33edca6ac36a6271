/**
 * On-chain sweeps after a close, through Channel.signSweep (the Sweep rules: destination our
 * wallet or allowlisted, fee, version, sequence, locktime), with the spent output recomposed
 * from Warden's state: our delayed to_local (onchaind / lightningd), the peer's commitment's
 * HTLC outputs, and justice on a revoked commitment (channeld's watchtower penalty txs).
 */
import { Psbt } from "../../../bitcoin/psbt.js";
import { SIGHASH_ALL, SIGHASH_ANYONECANPAY, SIGHASH_SINGLE } from "../../../bitcoin/sighash.js";
import { signatureToDer } from "../../../crypto/signature.js";
import { insertInputEntry, parseRawPsbt, serializeRawPsbt } from "../psbt-raw.js";
import { signWalletInputs } from "./wallet.js";
import type { Channel } from "../../../signer/channel.js";
import type { RevokedHtlc, SweepSource } from "../../../state/onchain-sweep.js";
import { ripemd160 } from "../../../crypto/hash.js";
import { bytesToHex, equalBytes } from "../../../util/bytes.js";
import { revokedCommitmentOf, spentOutputs } from "./channel.js";
import {
  channelById,
  clientChannelId,
  clnChannelId,
  HsmdClientError,
  type RequestContext,
} from "./context.js";
import { type WireTx, WireWriter } from "./io.js";

/** The channel a sweep names: the connection's (onchaind) or the request's (lightningd). */
function sweepChannel(ctx: RequestContext, any: { peerId: Uint8Array; dbid: bigint } | undefined) {
  return channelById(
    ctx,
    any === undefined ? clientChannelId(ctx) : clnChannelId(any.peerId, any.dbid),
  );
}

async function signSweep(
  channel: Channel,
  w: WireTx,
  inputIndex: number,
  source: SweepSource,
): Promise<Uint8Array> {
  // hsmd signs single-input sweeps only (handle_sign_to_us_tx), always input 0.
  if (w.tx.inputs.length !== 1 || inputIndex >= w.tx.inputs.length) {
    throw new HsmdClientError("cln/bad-request", "bad txinput count");
  }
  const signed = await channel.signSweep({
    tx: w.tx,
    inputIndex: 0,
    spentOutputs: spentOutputs(w),
    source,
  });
  return new WireWriter(112).bitcoinSignature(signed.signature, SIGHASH_ALL).done();
}

function readAny(ctx: RequestContext): { input: number; peerId: Uint8Array; dbid: bigint } {
  const input = ctx.r.u32();
  const peerId = ctx.r.point();
  const dbid = ctx.r.u64();
  return { input, peerId, dbid };
}

function commitNumber(n: bigint): number {
  if (n >= 1n << 48n) throw new HsmdClientError("cln/bad-request", `commitment number ${n}`);
  return Number(n);
}

/** hsmd_sign_(any_)delayed_payment_to_us: our to_local of our broadcast commitment. */
export async function handleDelayedPaymentToUs(ctx: RequestContext): Promise<Uint8Array> {
  const n = commitNumber(ctx.r.u64());
  const w = ctx.r.bitcoinTx();
  ctx.r.varBytes16(); // wscript: recomposed by Warden
  const any = ctx.type === 142 ? readAny(ctx) : undefined;
  ctx.r.end();
  return signSweep(sweepChannel(ctx, any), w, any?.input ?? 0, {
    kind: "holder-to-local",
    commitmentNumber: n,
  });
}

/**
 * hsmd_sign_(any_)remote_htlc_to_us: an HTLC output of the peer's (unrevoked) commitment at
 * `remote_per_commitment_point`, swept to us (Sweep rules). Core Lightning sends no preimage:
 * a success spend is signed without it (the signature is useless without the preimage).
 */
export async function handleRemoteHtlcToUs(ctx: RequestContext): Promise<Uint8Array> {
  const point = ctx.r.point();
  const w = ctx.r.bitcoinTx();
  ctx.r.varBytes16();
  ctx.r.bool();
  const any = ctx.type === 143 ? readAny(ctx) : undefined;
  ctx.r.end();
  const channel = sweepChannel(ctx, any);
  const s = channel.state;
  const commitment = [s.currentCounterparty, s.previousCounterparty].find(
    (c) => c !== undefined && equalBytes(c.perCommitmentPoint, point),
  );
  if (commitment === undefined || w.tx.inputs.length !== 1) {
    throw new HsmdClientError("cln/bad-request", "not an output of the peer's commitment");
  }
  return signSweep(channel, w, any?.input ?? 0, {
    kind: "counterparty-htlc",
    commitmentNumber: commitment.commitmentNumber,
    commitmentOutputIndex: w.tx.inputs[0]!.prevout.vout,
    preimageByNode: true,
  });
}

/**
 * hsmd_sign_(any_)penalty_to_us: justice on a revoked peer commitment, the revocation secret
 * being one the peer revealed to Warden: its to_local output (or the output of the peer's HTLC
 * tx on it, same script), or one of its HTLC outputs. Core Lightning sends only the HTLC's
 * script; the HTLC is found in Warden's payments ledger (same channel, the script's
 * RIPEMD160(payment_hash) and, for an HTLC we offered, expiry) and Channel.signSweep then
 * rebuilds its script from it and the revoked commitment's keys (Sweep rules apply).
 */
export async function handlePenaltyToUs(ctx: RequestContext): Promise<Uint8Array> {
  const secret = ctx.r.b32();
  const w = ctx.r.bitcoinTx();
  const wscript = ctx.r.varBytes16();
  const any = ctx.type === 144 ? readAny(ctx) : undefined;
  ctx.r.end();
  const channel = sweepChannel(ctx, any);
  const n = revokedCommitmentOf(channel, secret);
  if (wscript[0] === 0x63) {
    return signSweep(channel, w, any?.input ?? 0, {
      kind: "justice-to-local",
      commitmentNumber: n,
    });
  }
  // Several ledger HTLCs may share the hash (multi-part payments): the first one whose
  // rebuilt script is the spent output's is signed; the others are refused unsigned.
  let last: unknown;
  for (const htlc of revokedHtlcsOf(ctx, channel.id, wscript)) {
    try {
      return await signSweep(channel, w, any?.input ?? 0, {
        kind: "justice-htlc",
        commitmentNumber: n,
        htlc,
      });
    } catch (e) {
      last = e;
    }
  }
  throw last ?? new HsmdClientError("cln/bad-request", "no known HTLC has this script");
}

/** Candidate HTLCs (seen from the peer's commitment) whose script `wscript` may be. */
function revokedHtlcsOf(
  ctx: RequestContext,
  channelId: string,
  wscript: Uint8Array,
): RevokedHtlc[] {
  const hex = bytesToHex(wscript);
  const out: RevokedHtlc[] = [];
  const seen = new Set<string>();
  for (const rec of ctx.core.node().payments.records().values()) {
    if (!hex.includes(bytesToHex(ripemd160(rec.paymentHash)))) continue;
    for (const h of rec.htlcs) {
      if (h.channelId !== channelId) continue;
      const key = `${h.direction}:${h.cltvExpiry}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // On the peer's commitment an HTLC we offered is one it received, and vice versa.
      out.push({
        direction: h.direction === "offered" ? "received" : "offered",
        paymentHash: rec.paymentHash,
        cltvExpiry: h.cltvExpiry,
      });
    }
  }
  return out;
}

/**
 * hsmd_sign_anchorspend (lightningd CPFP of a commitment through our anchor): the wallet inputs
 * named by hsm_utxos are signed by the on-chain wallet (as hsmd_sign_withdrawal), and the one
 * other input must be our anchor of our current holder commitment or of an unrevoked peer
 * commitment, signed by Channel.signSweep (Sweep rules: the change goes to our wallet or an
 * allowlisted address, fee bounds). Reply: the PSBT with hsmd's additions (libwally layout).
 */
export async function handleAnchorSpend(ctx: RequestContext): Promise<Uint8Array> {
  const peerId = ctx.r.point();
  const dbid = ctx.r.u64();
  const utxos = ctx.r.utxos();
  const psbt = ctx.r.psbt();
  ctx.r.end();
  const channel = channelById(ctx, clnChannelId(peerId, dbid));
  let view: Psbt;
  try {
    view = Psbt.parse(psbt);
  } catch {
    throw new HsmdClientError("cln/malformed", "bad PSBT");
  }
  const tx = view.tx;
  const others = tx.inputs
    .map((inp, i) => ({ inp, i }))
    .filter(
      ({ inp }) =>
        !utxos.some(
          (u) =>
            equalBytes(u.outpoint.txid, inp.prevout.txid) && u.outpoint.vout === inp.prevout.vout,
        ),
    );
  if (others.length !== 1) {
    throw new HsmdClientError("cln/bad-request", "an anchor spend has exactly one anchor input");
  }
  const anchor = others[0]!;
  const s = channel.state;
  let source: SweepSource | undefined;
  if (s.currentHolder !== undefined && equalBytes(s.currentHolder.txid, anchor.inp.prevout.txid)) {
    source = {
      kind: "anchor",
      owner: "holder",
      commitmentNumber: s.currentHolder.commitmentNumber,
    };
  } else {
    const cp = [s.currentCounterparty, s.previousCounterparty].find(
      (c) => c !== undefined && equalBytes(c.txid, anchor.inp.prevout.txid),
    );
    if (cp !== undefined) {
      source = { kind: "anchor", owner: "counterparty", commitmentNumber: cp.commitmentNumber };
    }
  }
  if (source === undefined) {
    throw new HsmdClientError("cln/bad-request", "the anchor is not of a current commitment");
  }
  const spent = view.inputs.map((x, k) => {
    if (x.spent === undefined) throw new HsmdClientError("cln/malformed", `input ${k}: no UTXO`);
    return x.spent;
  });
  const signed = await channel.signSweep({
    tx,
    inputIndex: anchor.i,
    spentOutputs: spent,
    source,
  });
  const withWallet = utxos.length > 0 ? await signWalletInputs(ctx, utxos, psbt) : psbt;
  const raw = parseRawPsbt(withWallet);
  insertInputEntry(
    raw,
    anchor.i,
    Uint8Array.of(0x02, ...channel.basepoints.fundingPubkey),
    Uint8Array.of(...signatureToDer(signed.signature), SIGHASH_ALL),
  );
  return new WireWriter(148).varBytes32(serializeRawPsbt(raw)).done();
}

/**
 * hsmd_sign_any_local_htlc_tx: our HTLC-success / HTLC-timeout tx of our (broadcast) holder
 * commitment, through Channel.signHolderHtlcTx (HTLC transaction rules, recomposed from
 * state). With anchors it is signed SIGHASH_SINGLE|ANYONECANPAY, as hsmd does, for lightningd
 * to add fee inputs (hsmd_sign_htlc_tx_mingle); an HTLC-success is signed without the preimage,
 * which Core Lightning never shows its signer (the signature is useless without it).
 */
export async function handleLocalHtlcTx(ctx: RequestContext): Promise<Uint8Array> {
  const n = commitNumber(ctx.r.u64());
  const w = ctx.r.bitcoinTx();
  ctx.r.varBytes16(); // wscript: recomposed by Warden
  const anchors = ctx.r.bool();
  const any = readAny(ctx);
  ctx.r.end();
  if (w.tx.inputs.length !== 1 || any.input !== 0) {
    throw new HsmdClientError("cln/bad-request", "bad txinput count");
  }
  const channel = channelById(ctx, clnChannelId(any.peerId, any.dbid));
  const signed = await channel.signHolderHtlcTx({
    commitmentNumber: n,
    commitmentOutputIndex: w.tx.inputs[0]!.prevout.vout,
    tx: w.tx,
    anyoneCanPay: anchors,
    preimageByNode: true,
  });
  return new WireWriter(112)
    .bitcoinSignature(
      signed.signature,
      anchors ? SIGHASH_SINGLE | SIGHASH_ANYONECANPAY : SIGHASH_ALL,
    )
    .done();
}

/**
 * hsmd_sign_htlc_tx_mingle: lightningd added wallet inputs (and change) to our anchors HTLC tx
 * signed SIGHASH_SINGLE|ANYONECANPAY. The HTLC input / output pair is checked again through
 * Channel.signHolderHtlcTx (the pair must be BOLT 3's, everything else a fee bump; that
 * signature is not used), then the wallet inputs are signed by the on-chain wallet with the
 * HTLC tx's delayed output counted as ours.
 */
export async function handleHtlcTxMingle(ctx: RequestContext): Promise<Uint8Array> {
  const peerId = ctx.r.point();
  const dbid = ctx.r.u64();
  const utxos = ctx.r.utxos();
  const psbt = ctx.r.psbt();
  ctx.r.end();
  const channel = channelById(ctx, clnChannelId(peerId, dbid));
  let view: Psbt;
  try {
    view = Psbt.parse(psbt);
  } catch {
    throw new HsmdClientError("cln/malformed", "bad PSBT");
  }
  const holder = channel.state.currentHolder;
  const k = view.tx.inputs.findIndex(
    (i) => holder !== undefined && equalBytes(i.prevout.txid, holder.txid),
  );
  if (holder === undefined || k < 0) {
    throw new HsmdClientError("cln/bad-request", "no HTLC input of our current commitment");
  }
  await channel.signHolderHtlcTx({
    commitmentNumber: holder.commitmentNumber,
    commitmentOutputIndex: view.tx.inputs[k]!.prevout.vout,
    tx: view.tx,
    anyoneCanPay: true,
    preimageByNode: true,
  });
  const reply = await signWalletInputs(ctx, utxos, psbt, [k]);
  return new WireWriter(150).varBytes32(reply).done();
}
