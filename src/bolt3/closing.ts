/**
 * BOLT 3 "Legacy Closing Transaction" (mutual close negotiated with closing_signed): spends
 * the funding output to each side's shutdown scriptpubkey, the opener paying fee_satoshis,
 * outputs below the signer's dust limit removed, BIP 69 output order.
 */
import type { OutPoint, Tx } from "../bitcoin/tx.js";
import { txid as computeTxid } from "../bitcoin/tx.js";
import { FormatError } from "../errors.js";
import { assertBytes } from "../util/bytes.js";
import { Bolt3Error } from "./errors.js";
import { compareBytes } from "./scripts.js";
import { assertMsat, assertSat, assertU32 } from "./validate.js";

/** Inputs of a legacy closing transaction, from the point of view of the signing node ("local"). */
export interface ClosingParams {
  fundingOutpoint: OutPoint;
  fundingAmountSat: bigint;
  /** True when the local node opened the channel and pays the fee. */
  localIsOpener: boolean;
  /** Final balances; they must add up to the funding amount (no HTLCs remain at closing). */
  toLocalMsat: bigint;
  toRemoteMsat: bigint;
  /** scriptpubkeys from each side's shutdown message. */
  localScriptPubKey: Uint8Array;
  remoteScriptPubKey: Uint8Array;
  /** closing_signed fee_satoshis. */
  feeSat: bigint;
  /** The signing node's own dust_limit_satoshis. */
  dustLimitSat: bigint;
  /** BOLT 3 "MAY eliminate its own output": drop the local output. Default false. */
  omitLocalOutput?: boolean;
}

/** One output of a closing transaction. */
export interface ClosingOutput {
  side: "local" | "remote";
  outputIndex: number;
  valueSat: bigint;
  scriptPubKey: Uint8Array;
}

/** A built (unsigned) closing transaction. */
export interface ClosingTransaction {
  tx: Tx;
  txid: Uint8Array;
  outputs: ClosingOutput[];
  /** Sides whose output was removed (below dust, or omitted by choice). */
  removed: Array<"local" | "remote">;
  /** Fee actually paid: funding amount minus outputs (fee_satoshis plus removed value and msat rounding). */
  actualFeeSat: bigint;
}

/**
 * Builds the legacy closing tx: version 2, locktime 0, funding input with sequence 0xFFFFFFFF,
 * balances rounded down to satoshis, fee subtracted from the opener's output, outputs below
 * dustLimitSat removed, BIP 69 order. Bolt3Error if balances do not add up to the funding
 * amount or the fee exceeds the opener's balance.
 */
export function buildClosingTransaction(p: ClosingParams): ClosingTransaction {
  if (typeof p !== "object" || p === null) {
    throw new FormatError("format/type", "closing params must be an object");
  }
  if (typeof p.fundingOutpoint !== "object" || p.fundingOutpoint === null) {
    throw new FormatError("format/type", "fundingOutpoint must be an object");
  }
  assertBytes(p.fundingOutpoint.txid, 32, "funding txid");
  assertU32(p.fundingOutpoint.vout, "funding vout");
  assertSat(p.fundingAmountSat, "fundingAmountSat");
  assertMsat(p.toLocalMsat, "toLocalMsat");
  assertMsat(p.toRemoteMsat, "toRemoteMsat");
  assertSat(p.feeSat, "feeSat");
  assertSat(p.dustLimitSat, "dustLimitSat");
  if (
    !(p.localScriptPubKey instanceof Uint8Array) ||
    !(p.remoteScriptPubKey instanceof Uint8Array)
  ) {
    throw new FormatError("format/type", "shutdown scriptpubkeys must be Uint8Arrays");
  }
  if (typeof p.localIsOpener !== "boolean") {
    throw new FormatError("format/type", "localIsOpener must be a boolean");
  }
  if (p.toLocalMsat + p.toRemoteMsat !== p.fundingAmountSat * 1000n) {
    throw new Bolt3Error(
      "bolt3/balance-mismatch",
      "toLocalMsat + toRemoteMsat must equal the funding amount",
    );
  }
  let localSat = p.toLocalMsat / 1000n;
  let remoteSat = p.toRemoteMsat / 1000n;
  if (p.localIsOpener) localSat -= p.feeSat;
  else remoteSat -= p.feeSat;
  if (localSat < 0n || remoteSat < 0n) {
    throw new Bolt3Error("bolt3/closing-fee", "closing fee exceeds the opener's balance");
  }
  const candidates: Array<{ side: "local" | "remote"; value: bigint; script: Uint8Array }> = [];
  const removed: Array<"local" | "remote"> = [];
  if (localSat >= p.dustLimitSat && p.omitLocalOutput !== true) {
    candidates.push({ side: "local", value: localSat, script: p.localScriptPubKey });
  } else removed.push("local");
  if (remoteSat >= p.dustLimitSat) {
    candidates.push({ side: "remote", value: remoteSat, script: p.remoteScriptPubKey });
  } else removed.push("remote");
  candidates.sort((a, b) =>
    a.value !== b.value ? (a.value < b.value ? -1 : 1) : compareBytes(a.script, b.script),
  );
  const tx: Tx = {
    version: 2,
    inputs: [
      {
        prevout: { txid: Uint8Array.from(p.fundingOutpoint.txid), vout: p.fundingOutpoint.vout },
        scriptSig: new Uint8Array(0),
        sequence: 0xffffffff,
        witness: [],
      },
    ],
    outputs: candidates.map((c) => ({ value: c.value, script: Uint8Array.from(c.script) })),
    locktime: 0,
  };
  let sum = 0n;
  for (const c of candidates) sum += c.value;
  return {
    tx,
    txid: computeTxid(tx),
    outputs: candidates.map((c, i) => ({
      side: c.side,
      outputIndex: i,
      valueSat: c.value,
      scriptPubKey: tx.outputs[i]!.script,
    })),
    removed,
    actualFeeSat: p.fundingAmountSat - sum,
  };
}
