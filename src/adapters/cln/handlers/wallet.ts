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
import { p2pkhScriptCode, p2wpkh, p2wsh } from "../../../bitcoin/outputs.js";
import { SIGHASH_ALL, segwitV0Sighash } from "../../../bitcoin/sighash.js";
import { parseTx } from "../../../bitcoin/tx.js";
import { derivePrivkey } from "../../../bolt3/key-derivation.js";
import { toRemoteAnchorsScript } from "../../../bolt3/scripts.js";
import { ecdsaSign, publicKey } from "../../../crypto/secp256k1.js";
import { signatureToDer } from "../../../crypto/signature.js";
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

/** An input spending our to_remote output of a peer's commitment (hsm_utxo close_info). */
interface CloseInput {
  index: number;
  secret: Uint8Array;
  pub: Uint8Array;
  /** P2WSH witness script (anchors), or undefined for P2WPKH. */
  witnessScript: Uint8Array | undefined;
  amountSat: bigint;
}

function reversed(b: Uint8Array): Uint8Array {
  return Uint8Array.from(b).reverse();
}

function inputIndexes(scure: Transaction, u: HsmUtxo): number[] {
  const out: number[] = [];
  for (let i = 0; i < scure.inputsLength; i++) {
    const inp = scure.getInput(i);
    if (
      inp.txid !== undefined &&
      equalBytes(reversed(inp.txid), u.outpoint.txid) &&
      inp.index === u.outpoint.vout
    ) {
      out.push(i);
    }
  }
  return out;
}

/**
 * The key of a close_info UTXO, as hsmd's hsm_unilateral_close_privkey derives it: the
 * channel's payment basepoint secret (tweaked by the commitment point before
 * option_static_remotekey); its script must be exactly the to_remote output's.
 */
function closeKey(ctx: RequestContext, u: HsmUtxo): Omit<CloseInput, "index"> {
  const info = u.closeInfo!;
  const keys = ctx.core.deriver.channelKeys({ peerId: info.peerId, dbid: info.channelDbid });
  const secret =
    info.commitmentPoint === undefined
      ? keys.paymentBaseSecret
      : derivePrivkey(
          keys.paymentBaseSecret,
          info.commitmentPoint,
          keys.basepoints.paymentBasepoint,
        );
  const pub = publicKey(secret);
  const witnessScript = info.optionAnchors ? toRemoteAnchorsScript(pub) : undefined;
  const script = witnessScript !== undefined ? p2wsh(witnessScript) : p2wpkh(pub);
  if ((info.optionAnchors && info.csv !== 1) || !equalBytes(script, u.scriptPubkey)) {
    throw new HsmdClientError("cln/bad-request", "close_info utxo is not our to_remote output");
  }
  return { secret, pub, witnessScript, amountSat: u.amountSat };
}

/** Which PSBT inputs the hsm_utxos name, each checked to re-derive to its script. */
function ourInputs(
  ctx: RequestContext,
  scure: Transaction,
  utxos: readonly HsmUtxo[],
): { wallet: OurInput[]; close: CloseInput[] } {
  const wallet: OurInput[] = [];
  const close: CloseInput[] = [];
  for (const u of utxos) {
    if (u.closeInfo !== undefined) {
      const k = closeKey(ctx, u);
      for (const index of inputIndexes(scure, u)) close.push({ index, ...k });
      continue;
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
    ctx.core.noteWalletIndex(u.keyIndex);
    for (const index of inputIndexes(scure, u))
      wallet.push({ index, kind, pub, keyIndex: u.keyIndex });
  }
  return { wallet, close };
}

/**
 * Signs `psbt`'s inputs named by `utxos`: wallet keys by the on-chain wallet (which runs the
 * On-chain transactions rules on the whole transaction), then — only once those passed — our
 * to_remote outputs of peers' commitments with their channel key. Returns the PSBT as hsmd
 * writes it.
 */
export async function signWalletInputs(
  ctx: RequestContext,
  utxos: readonly HsmUtxo[],
  psbt: Uint8Array,
  ourOutputs: readonly number[] = [],
): Promise<Uint8Array> {
  let scure: Transaction;
  try {
    scure = Transaction.fromPSBT(psbt, SCURE_OPTS);
  } catch {
    throw new HsmdClientError("cln/malformed", "bad PSBT");
  }
  const { wallet: ours, close } = ourInputs(ctx, scure, utxos);
  // The wallet re-derives keys from claimed paths below its root (m/0/0, or BIP 86's).
  for (const o of ours) {
    const der = { fingerprint: 0, path: ctx.core.walletClaimPath(o.keyIndex) };
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
  const signed = await ctx.core.wallet().signPsbt(scure.toPSBT(0), {
    externalInputs: close.map((c) => c.index),
    externalOutputs: ourOutputs,
  });
  const result = Transaction.fromPSBT(signed.psbt, SCURE_OPTS);
  const raw = parseRawPsbt(psbt);
  const pathZero = new Uint8Array(4);
  for (const o of ours) {
    const inp = result.getInput(o.index);
    const fingerprint = hash160(o.pub).subarray(0, 4);
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
  if (close.length > 0) {
    const tx = parseTx(scure.unsignedTx);
    for (const c of close) {
      const scriptCode = c.witnessScript ?? p2pkhScriptCode(c.pub);
      const digest = segwitV0Sighash(tx, c.index, scriptCode, c.amountSat, SIGHASH_ALL);
      const sig = ecdsaSign(digest, c.secret, { lowR: true });
      insertInputEntry(
        raw,
        c.index,
        Uint8Array.of(0x02, ...c.pub),
        Uint8Array.of(...signatureToDer(sig), SIGHASH_ALL),
      );
      if (c.witnessScript !== undefined) {
        insertInputEntry(raw, c.index, Uint8Array.of(0x05), c.witnessScript);
      }
      insertInputEntry(
        raw,
        c.index,
        Uint8Array.of(0x06, ...c.pub),
        Uint8Array.of(...hash160(c.pub).subarray(0, 4), ...pathZero),
      );
      c.secret.fill(0);
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
