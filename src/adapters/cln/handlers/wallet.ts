/**
 * hsmd_sign_withdrawal: Core Lightning's funding and withdrawal PSBTs, signed by Warden's
 * on-chain wallet (the On-chain transactions rules: our change, channels we fund, allowlisted
 * destinations, fees, velocity). Core Lightning names its inputs by hsm_utxo (wallet key index
 * k of m/0/0/k) instead of PSBT derivations, so each hsm_utxo is first checked to re-derive to
 * the script it claims and handed to the wallet as a derivation claim. The reply is the node's
 * PSBT with, for each of our inputs, what hsmd adds (libwally order): the signature (partial
 * sig or taproot key-path sig) and the key path hsmd's psbt_input_add_pubkey writes
 * (fingerprint hash160(pubkey)[0..4], path [0]).
 */
import { Transaction, type TxOpts } from "@scure/btc-signer";
import { p2wpkh } from "../../../bitcoin/outputs.js";
import { bip86Script } from "../../../keys/xpub.js";
import { hash160 } from "../../../crypto/hash.js";
import { equalBytes } from "../../../util/bytes.js";
import { HsmdClientError, type RequestContext } from "./context.js";
import { type HsmUtxo, WireWriter } from "./io.js";
import { insertInputEntry, parseRawPsbt, serializeRawPsbt } from "../psbt-raw.js";

const SCURE_OPTS: TxOpts = {
  allowUnknownOutputs: true,
  allowUnknownInputs: true,
  allowUnknownVersion: true,
  allowUnknown: true,
  disableScriptCheck: true,
  allowLegacyWitnessUtxo: true,
};

interface OurInput {
  index: number;
  kind: "p2wpkh" | "p2tr";
  pub: Uint8Array;
  keyIndex: number;
}

function reversed(b: Uint8Array): Uint8Array {
  return Uint8Array.from(b).reverse();
}

/** Which PSBT inputs the hsm_utxos name, each checked to re-derive to its script. */
function ourInputs(ctx: RequestContext, scure: Transaction, utxos: readonly HsmUtxo[]): OurInput[] {
  const out: OurInput[] = [];
  for (const u of utxos) {
    if (u.closeInfo !== undefined) {
      throw new HsmdClientError(
        "cln/unsupported",
        "spending a peer commitment's to_remote output from the wallet is not implemented",
      );
    }
    if (u.keyIndex >= 0x80000000) throw new HsmdClientError("cln/bad-request", "index too great");
    const base = ctx.core.deriver.bip86Base();
    const pub =
      base !== null
        ? base.derivePath([0, u.keyIndex]).publicKey
        : ctx.core.deriver.walletKey(u.keyIndex).publicKey;
    let kind: "p2wpkh" | "p2tr";
    if (equalBytes(u.scriptPubkey, p2wpkh(pub))) kind = "p2wpkh";
    else if (equalBytes(u.scriptPubkey, bip86Script(pub))) kind = "p2tr";
    else throw new HsmdClientError("cln/bad-request", `utxo ${u.keyIndex} is not our key's`);
    for (let i = 0; i < scure.inputsLength; i++) {
      const inp = scure.getInput(i);
      if (
        inp.txid !== undefined &&
        equalBytes(reversed(inp.txid), u.outpoint.txid) &&
        inp.index === u.outpoint.vout
      ) {
        ctx.core.noteWalletIndex(u.keyIndex);
        out.push({ index: i, kind, pub, keyIndex: u.keyIndex });
      }
    }
  }
  return out;
}

/** Signs `psbt`'s inputs named by `utxos` with the wallet; the reply PSBT as hsmd writes it. */
export async function signWalletInputs(
  ctx: RequestContext,
  utxos: readonly HsmUtxo[],
  psbt: Uint8Array,
): Promise<Uint8Array> {
  let scure: Transaction;
  try {
    scure = Transaction.fromPSBT(psbt, SCURE_OPTS);
  } catch {
    throw new HsmdClientError("cln/malformed", "bad PSBT");
  }
  const ours = ourInputs(ctx, scure, utxos);
  // The wallet re-derives keys from claimed paths below its root m/0/0.
  for (const o of ours) {
    const der = { fingerprint: 0, path: [0, 0, o.keyIndex] };
    if (o.kind === "p2wpkh") {
      scure.updateInput(o.index, { bip32Derivation: [[o.pub, der]] }, true);
    } else {
      scure.updateInput(
        o.index,
        { tapBip32Derivation: [[o.pub.subarray(1), { hashes: [], der }]] },
        true,
      );
    }
  }
  const signed = await ctx.core.wallet().signPsbt(scure.toPSBT(0));
  const result = Transaction.fromPSBT(signed.psbt, SCURE_OPTS);
  const raw = parseRawPsbt(psbt);
  for (const o of ours) {
    const inp = result.getInput(o.index);
    const fingerprint = hash160(o.pub).subarray(0, 4);
    const pathZero = new Uint8Array(4);
    if (o.kind === "p2wpkh") {
      const sig = inp.partialSig?.find(([pub]) => equalBytes(pub, o.pub))?.[1];
      if (sig === undefined) throw new HsmdClientError("cln/internal", "input not signed");
      insertInputEntry(raw, o.index, Uint8Array.of(0x02, ...o.pub), sig);
      insertInputEntry(
        raw,
        o.index,
        Uint8Array.of(0x06, ...o.pub),
        Uint8Array.of(...fingerprint, ...pathZero),
      );
    } else {
      const sig = inp.tapKeySig;
      if (sig === undefined) throw new HsmdClientError("cln/internal", "input not signed");
      insertInputEntry(raw, o.index, Uint8Array.of(0x13), sig);
      insertInputEntry(
        raw,
        o.index,
        Uint8Array.of(0x16, ...o.pub.subarray(1)),
        Uint8Array.of(0, ...fingerprint, ...pathZero),
      );
    }
  }
  return serializeRawPsbt(raw);
}

/** hsmd_sign_withdrawal → hsmd_sign_withdrawal_reply. */
export async function handleSignWithdrawal(ctx: RequestContext): Promise<Uint8Array> {
  const utxos = ctx.r.utxos();
  const psbt = ctx.r.psbt();
  ctx.r.end();
  const reply = await signWalletInputs(ctx, utxos, psbt);
  return new WireWriter(107).varBytes32(reply).done();
}
