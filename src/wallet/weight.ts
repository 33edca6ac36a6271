/**
 * Weight of a wallet transaction once signed: the unsigned transaction with each input's
 * witness and scriptSig filled in — final ones the PSBT already carries, else the largest
 * standard signature for the spent script's type (P2WPKH: 72-byte DER+type signature and a
 * 33-byte key; P2TR key path: 64-byte signature; P2PKH: a 107-byte scriptSig). Inputs of
 * other types count as unsigned (an under-estimate, which only makes the fee rate look higher).
 */
import { classifyOutput } from "../bitcoin/outputs.js";
import { type Tx, type TxOut, txWeight } from "../bitcoin/tx.js";

/** What is known about one input's eventual witness. */
export interface InputWitnessInfo {
  readonly spent: TxOut | undefined;
  readonly finalScriptSig: Uint8Array | undefined;
  readonly finalScriptWitness: readonly Uint8Array[] | undefined;
}

const P2WPKH_WITNESS = [new Uint8Array(72), new Uint8Array(33)];
const P2TR_KEY_WITNESS = [new Uint8Array(64)];
const P2PKH_SCRIPT_SIG = new Uint8Array(107);
const EMPTY: Uint8Array = new Uint8Array(0);

/** The estimated weight of `tx` once every input is signed. */
export function estimateSignedWeight(tx: Tx, inputs: readonly InputWitnessInfo[]): number {
  const filled: Tx = {
    ...tx,
    inputs: tx.inputs.map((input, i) => {
      const info = inputs[i];
      const type = info?.spent === undefined ? "unknown" : classifyOutput(info.spent.script).type;
      let witness: Uint8Array[] = [];
      if (info?.finalScriptWitness !== undefined) witness = [...info.finalScriptWitness];
      else if (type === "p2wpkh") witness = P2WPKH_WITNESS;
      else if (type === "p2tr") witness = P2TR_KEY_WITNESS;
      let scriptSig = EMPTY;
      if (info?.finalScriptSig !== undefined) scriptSig = info.finalScriptSig;
      else if (type === "p2pkh") scriptSig = P2PKH_SCRIPT_SIG;
      return { ...input, witness, scriptSig };
    }),
  };
  return txWeight(filled);
}
