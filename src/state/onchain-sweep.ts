/**
 * Plans for sweeps: spending one of our outputs after a close. The spent output's script, and
 * where possible its value and outpoint, are recomposed from the signer's state; for a revoked
 * counterparty commitment (which the signer cannot recompose) the script is rebuilt from the
 * keys the revealed secret gives and must hash to the output the node says it spends. The node
 * brings the sweep tx it built (destination, fee, other inputs) and the outputs every input
 * spends. Pure: a plan names the key to sign with but never touches a secret key.
 */
import { p2pkhScriptCode, p2wpkh, p2wsh } from "../bitcoin/outputs.js";
import {
  type OutPoint,
  type Tx,
  type TxOut,
  txid as computeTxid,
  txWeight,
} from "../bitcoin/tx.js";
import { hasAnchors } from "../bolt3/channel-type.js";
import type { CommitmentTransaction } from "../bolt3/commitment.js";
import { commitmentIndexFromNumber } from "../bolt3/commitment-number.js";
import { ANCHOR_OUTPUT_VALUE_SAT, commitmentWeight, type HtlcDirection } from "../bolt3/fees.js";
import { derivePubkey, deriveRevocationPubkey } from "../bolt3/key-derivation.js";
import { perCommitmentPoint } from "../bolt3/per-commitment-secret.js";
import {
  anchorScript,
  htlcScriptContext,
  htlcScriptFromContext,
  toLocalScript,
  toRemoteAnchorsScript,
} from "../bolt3/scripts.js";
import { ShachainStore } from "../bolt3/shachain-store.js";
import { FormatError } from "../errors.js";
import type { Checker } from "../policy/policy.js";
import { checkSweep } from "../policy/rules/sweep.js";
import { equalBytes } from "../util/bytes.js";
import type { ChannelSetup } from "./channel-setup.js";
import type { ChannelState } from "./channel-state.js";
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
import { StateError } from "./errors.js";

/** An HTLC of a revoked counterparty commitment, as the node saw it (directions from the peer's view). */
export interface RevokedHtlc {
  direction: HtlcDirection;
  paymentHash: Uint8Array;
  cltvExpiry: number;
}

/** Which of our outputs a sweep input spends. */
export type SweepSource =
  /** The delayed to_local output of our (current, broadcast) holder commitment. */
  | { kind: "holder-to-local"; commitmentNumber: number }
  /** The delayed output of our HTLC tx for holder commitment output `commitmentOutputIndex`. */
  | { kind: "holder-htlc-tx-output"; commitmentNumber: number; commitmentOutputIndex: number }
  /**
   * An HTLC output of the peer's unrevoked commitment: with `preimage` an HTLC the peer
   * offered us (success path), else one we offered (timeout path, locktime = expiry).
   */
  | {
      kind: "counterparty-htlc";
      commitmentNumber: number;
      commitmentOutputIndex: number;
      preimage?: Uint8Array;
      /**
       * A success spend signed without the preimage, which the node adds itself (Core
       * Lightning never shows it to its signer): the signature alone, no witness.
       */
      preimageByNode?: boolean;
    }
  /** Our to_remote output of any counterparty commitment (revoked ones included). */
  | { kind: "counterparty-to-remote"; commitmentNumber: number }
  /**
   * Justice: the to_local of a revoked counterparty commitment, or the output of the peer's
   * HTLC tx on it (same script). `confirmedAtHeight`: when the spent tx confirmed (default:
   * now, the least urgent assumption).
   */
  | { kind: "justice-to-local"; commitmentNumber: number; confirmedAtHeight?: number }
  /** Justice: an HTLC output of a revoked counterparty commitment. */
  | {
      kind: "justice-htlc";
      commitmentNumber: number;
      htlc: RevokedHtlc;
      confirmedAtHeight?: number;
    }
  /** Our anchor of our current holder or an unrevoked counterparty commitment (CPFP). */
  | { kind: "anchor"; owner: "holder" | "counterparty"; commitmentNumber: number };

/** The node's sweep: its transaction, the input we sign, and what every input spends. */
export interface SweepRequest {
  tx: Tx;
  inputIndex: number;
  /** The output each input spends (PSBT witness_utxo), by input index. */
  spentOutputs: readonly TxOut[];
  source: SweepSource;
}

/** The key the shell signs a sweep with. */
export type SweepKey =
  /** derivePrivkey(delayed_payment_base_secret, point). */
  | { kind: "delayed"; perCommitmentPoint: Uint8Array }
  /** derivePrivkey(htlc_base_secret, point). */
  | { kind: "htlc"; perCommitmentPoint: Uint8Array }
  /** payment_base_secret (to_remote under static_remotekey / anchors). */
  | { kind: "payment" }
  /** funding secret (anchors). */
  | { kind: "funding" }
  /** deriveRevocationPrivkey(revocation_base_secret, the peer's revealed secret n). */
  | { kind: "revocation"; commitmentNumber: number };

/** What the shell signs for a sweep input. */
export interface SweepPlan {
  next: ChannelState;
  /** The node's sweep (a private copy): the transaction signed. */
  tx: Tx;
  inputIndex: number;
  /** BIP 143 scriptCode of the spent output. */
  scriptCode: Uint8Array;
  /** Value of the spent output (recomposed, or the node's for a revoked commitment). */
  valueSat: bigint;
  key: SweepKey;
  /** The input's witness around our DER signature (sighash type byte appended). */
  witness: (signature: Uint8Array) => Uint8Array[];
}

const EMPTY = new Uint8Array(0);
const ONE = Uint8Array.of(1);
/** A DER signature with sighash byte at its largest, for weight estimates. */
const DUMMY_SIGNATURE = new Uint8Array(73);
/** Stand-in deadline when nothing races us. */
const NO_DEADLINE = Number.POSITIVE_INFINITY;

/** The peer's revealed secret for its revoked commitment n (StateError if not revoked). */
export function revealedCounterpartySecret(state: ChannelState, n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > state.counterpartyRevokedThrough) {
    throw new StateError(
      "state/counterparty-commitment-not-revoked",
      `counterparty commitment ${n} was not revoked`,
    );
  }
  return ShachainStore.fromBytes(state.counterpartySecrets).getSecret(commitmentIndexFromNumber(n));
}

/** How one source spends its output. */
interface Spend {
  scriptCode: Uint8Array;
  scriptPubKey: Uint8Array;
  /** Recomposed value, or undefined to take the node's. */
  valueSat: bigint | undefined;
  /** Recomposed outpoint, or undefined to take the node's. */
  outpoint: OutPoint | undefined;
  csvBlocks: number | undefined;
  cltvExpiry: number | undefined;
  blocksToDeadline: number;
  key: SweepKey;
  witness: (signature: Uint8Array) => Uint8Array[];
  parent: { feeSat: bigint; weight: number } | undefined;
}

function outputOf(built: CommitmentTransaction, kind: string): CommitmentTransaction["outputs"][0] {
  const o = built.outputs.find((x) => x.kind === kind);
  if (o === undefined) {
    throw new StateError(
      "state/no-such-output",
      `commitment ${built.params.commitmentNumber} has no ${kind} output`,
    );
  }
  return o;
}

function p2wshSpend(
  script: Uint8Array,
  witness: (sig: Uint8Array) => Uint8Array[],
): Pick<Spend, "scriptCode" | "scriptPubKey" | "witness"> {
  return { scriptCode: script, scriptPubKey: p2wsh(script), witness };
}

function blocksUntil(height: number, chainHeight: number | undefined): number {
  // Without a chain view nothing is urgent: the tightest fee bound applies.
  return chainHeight === undefined ? NO_DEADLINE : height - chainHeight;
}

function breachWindow(setup: ChannelSetup, ctx: OnchainContext, confirmedAt?: number): number {
  const now = ctx.chainHeight;
  if (now === undefined) return setup.counterpartyToSelfDelay;
  return (confirmedAt ?? now) + setup.counterpartyToSelfDelay - now;
}

function spendOf(
  state: ChannelState,
  setup: ChannelSetup,
  ctx: OnchainContext,
  source: SweepSource,
  c: Checker,
): Spend | undefined {
  const anchors = hasAnchors(setup.channelType);
  switch (source.kind) {
    case "holder-to-local":
    case "holder-htlc-tx-output": {
      const info = holderCommitmentFor(state, source.commitmentNumber, c);
      if (info === undefined) return undefined;
      const built = recomposeStored("holder", setup, ctx, info);
      let script: Uint8Array;
      let valueSat: bigint;
      let outpoint: OutPoint | undefined;
      if (source.kind === "holder-to-local") {
        const o = outputOf(built, "to_local");
        script = o.witnessScript!;
        valueSat = o.valueSat;
        outpoint = { txid: built.txid, vout: o.outputIndex };
      } else {
        const { htlcTx } = htlcAtOutput(built, source.commitmentOutputIndex);
        script = htlcTx.outputWitnessScript;
        valueSat = htlcTx.tx.outputs[0]!.value;
        // A zero-fee anchors HTLC tx may be fee-bumped: its txid and output index are the node's.
        outpoint = anchors ? undefined : { txid: computeTxid(htlcTx.tx), vout: 0 };
      }
      return {
        ...p2wshSpend(script, (sig) => [sig, EMPTY, script]),
        valueSat,
        outpoint,
        csvBlocks: setup.holderToSelfDelay,
        cltvExpiry: undefined,
        blocksToDeadline: NO_DEADLINE,
        key: { kind: "delayed", perCommitmentPoint: info.perCommitmentPoint },
        parent: undefined,
      };
    }
    case "counterparty-htlc": {
      const info = counterpartyCommitmentFor(state, source.commitmentNumber);
      const built = recomposeStored("counterparty", setup, ctx, info);
      const o = built.htlcOutputs.find((x) => x.outputIndex === source.commitmentOutputIndex);
      if (o === undefined) {
        throw new StateError(
          "state/no-htlc-output",
          `commitment output ${source.commitmentOutputIndex} is not an untrimmed HTLC output`,
        );
      }
      const htlc = o.htlc!;
      const script = o.witnessScript!;
      // "offered" is from the peer's view: it offered, we claim with the preimage.
      const success = htlc.direction === "offered";
      const byNode = success && source.preimageByNode === true;
      const preimage = success && !byNode ? checkPreimage(htlc, source.preimage) : undefined;
      return {
        // Without the preimage (the node adds it) there is no witness to give, only the signature.
        ...p2wshSpend(script, (sig) => (byNode ? [] : [sig, preimage ?? EMPTY, script])),
        valueSat: o.valueSat,
        outpoint: { txid: built.txid, vout: o.outputIndex },
        csvBlocks: anchors ? 1 : undefined,
        cltvExpiry: success ? undefined : htlc.cltvExpiry,
        blocksToDeadline: blocksUntil(htlc.cltvExpiry, ctx.chainHeight),
        key: { kind: "htlc", perCommitmentPoint: info.perCommitmentPoint },
        parent: undefined,
      };
    }
    case "counterparty-to-remote": {
      const pubkey = ctx.holder.paymentBasepoint;
      let valueSat: bigint | undefined;
      let outpoint: OutPoint | undefined;
      if (source.commitmentNumber > state.counterpartyRevokedThrough) {
        const info = counterpartyCommitmentFor(state, source.commitmentNumber);
        const built = recomposeStored("counterparty", setup, ctx, info);
        const o = outputOf(built, "to_remote");
        valueSat = o.valueSat;
        outpoint = { txid: built.txid, vout: o.outputIndex };
      }
      const common = {
        valueSat,
        outpoint,
        cltvExpiry: undefined,
        blocksToDeadline: NO_DEADLINE,
        key: { kind: "payment" } as const,
        parent: undefined,
      };
      if (anchors) {
        const script = toRemoteAnchorsScript(pubkey);
        return { ...common, ...p2wshSpend(script, (sig) => [sig, script]), csvBlocks: 1 };
      }
      return {
        ...common,
        scriptCode: p2pkhScriptCode(pubkey),
        scriptPubKey: p2wpkh(pubkey),
        witness: (sig) => [sig, Uint8Array.from(pubkey)],
        csvBlocks: undefined,
      };
    }
    case "justice-to-local":
    case "justice-htlc": {
      const point = perCommitmentPoint(revealedCounterpartySecret(state, source.commitmentNumber));
      const cp = setup.counterpartyBasepoints;
      const revocationPubkey = deriveRevocationPubkey(ctx.holder.revocationBasepoint, point);
      let script: Uint8Array;
      let witness: (sig: Uint8Array) => Uint8Array[];
      if (source.kind === "justice-to-local") {
        const delayed = derivePubkey(cp.delayedPaymentBasepoint, point);
        script = toLocalScript(revocationPubkey, setup.counterpartyToSelfDelay, delayed);
        witness = (sig) => [sig, ONE, script];
      } else {
        const h = source.htlc;
        const sctx = htlcScriptContext(setup.channelType, {
          revocationPubkey,
          localHtlcPubkey: derivePubkey(cp.htlcBasepoint, point),
          remoteHtlcPubkey: derivePubkey(ctx.holder.htlcBasepoint, point),
        });
        script = htlcScriptFromContext(sctx, h.direction, h.paymentHash, h.cltvExpiry);
        witness = (sig) => [sig, Uint8Array.from(revocationPubkey), script];
      }
      return {
        ...p2wshSpend(script, witness),
        valueSat: undefined,
        outpoint: undefined,
        csvBlocks: undefined,
        cltvExpiry: undefined,
        blocksToDeadline: breachWindow(setup, ctx, source.confirmedAtHeight),
        key: { kind: "revocation", commitmentNumber: source.commitmentNumber },
        parent: undefined,
      };
    }
    case "anchor": {
      if (!anchors) throw new StateError("state/no-anchors", "the channel has no anchor outputs");
      let built: CommitmentTransaction;
      if (source.owner === "holder") {
        const info = holderCommitmentFor(state, source.commitmentNumber, c);
        if (info === undefined) return undefined;
        built = recomposeStored("holder", setup, ctx, info);
      } else {
        const info = counterpartyCommitmentFor(state, source.commitmentNumber);
        built = recomposeStored("counterparty", setup, ctx, info);
      }
      const o = outputOf(built, source.owner === "holder" ? "to_local_anchor" : "to_remote_anchor");
      const script = anchorScript(ctx.holder.fundingPubkey);
      let nearest = NO_DEADLINE;
      for (const h of built.htlcOutputs) {
        nearest = Math.min(nearest, blocksUntil(h.htlc!.cltvExpiry, ctx.chainHeight));
      }
      return {
        ...p2wshSpend(script, (sig) => [sig, script]),
        valueSat: ANCHOR_OUTPUT_VALUE_SAT,
        outpoint: { txid: built.txid, vout: o.outputIndex },
        csvBlocks: undefined,
        cltvExpiry: undefined,
        blocksToDeadline: nearest,
        key: { kind: "funding" },
        // CPFP: the commitment's fee and weight count with the sweep's.
        parent: {
          feeSat: built.feeSat,
          weight: commitmentWeight(setup.channelType, built.htlcOutputs.length),
        },
      };
    }
    default:
      throw new FormatError("format/sweep-source", "unknown sweep source");
  }
}

function sameOutpoint(a: OutPoint, b: OutPoint): boolean {
  return equalBytes(a.txid, b.txid) && a.vout === b.vout;
}

/**
 * Sign one input of a sweep: identify the spent output from the signer's state (or, for
 * justice, the revealed secret), refuse a request whose spent output differs from it
 * (StateError `state/sweep-input-mismatch`), and run the Sweep rules on the node's tx.
 * State is unchanged. Fees are judged with the node's values for inputs we do not sign: a lie
 * there only invalidates the signatures of those inputs.
 */
export function planSweep(
  state: ChannelState,
  ctx: OnchainContext,
  req: SweepRequest,
  c: Checker,
): SweepPlan | { next: ChannelState; refused: true } {
  const setup = requireSetup(state);
  const tx = copyTx(req.tx);
  const inputIndex = req.inputIndex;
  if (!Number.isSafeInteger(inputIndex) || inputIndex < 0 || inputIndex >= tx.inputs.length) {
    throw new FormatError("format/sweep-input", `input ${inputIndex} is not in the sweep`);
  }
  const spent = req.spentOutputs;
  if (!Array.isArray(spent) || spent.length !== tx.inputs.length) {
    throw new FormatError("format/sweep-input", "one spent output per input is needed");
  }
  for (const o of spent) {
    if (typeof o?.value !== "bigint" || o.value < 0n || !(o.script instanceof Uint8Array)) {
      throw new FormatError("format/sweep-input", "a spent output needs a value and a script");
    }
  }
  const spend = spendOf(state, setup, ctx, req.source, c);
  if (spend === undefined) return { next: state, refused: true };

  const claimed = spent[inputIndex]!;
  const prevout = tx.inputs[inputIndex]!.prevout;
  if (
    !equalBytes(claimed.script, spend.scriptPubKey) ||
    (spend.valueSat !== undefined && claimed.value !== spend.valueSat) ||
    (spend.outpoint !== undefined && !sameOutpoint(prevout, spend.outpoint))
  ) {
    throw new StateError(
      "state/sweep-input-mismatch",
      `input ${inputIndex} does not spend the ${req.source.kind} output the signer derived`,
    );
  }
  const valueSat = spend.valueSat ?? claimed.value;
  const estimated: Tx = {
    ...tx,
    inputs: tx.inputs.map((input, i) =>
      i === inputIndex ? { ...input, witness: spend.witness(DUMMY_SIGNATURE) } : input,
    ),
  };
  checkSweep(
    tx,
    {
      config: ctx.config,
      isOurWallet: ctx.isOurWallet,
      chainHeight: ctx.chainHeight,
      inputIndex,
      csvBlocks: spend.csvBlocks,
      cltvExpiry: spend.cltvExpiry,
      blocksToDeadline: spend.blocksToDeadline,
      spentValuesSat: spent.map((o, i) => (i === inputIndex ? valueSat : o.value)),
      weight: txWeight(estimated),
      parent: spend.parent,
    },
    c,
  );
  return {
    next: state,
    tx,
    inputIndex,
    scriptCode: spend.scriptCode,
    valueSat,
    key: spend.key,
    witness: spend.witness,
  };
}
