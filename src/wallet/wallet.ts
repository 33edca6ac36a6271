/**
 * The on-chain wallet signer: signs PSBTs (v0 and v2) that fund channels or withdraw, for
 * wallet inputs that are P2WPKH or P2TR key path, with keys re-derived from the wallet root.
 *
 * Flow of `signPsbt`, under the node-wide wallet lock and then the node's velocity lock
 * (PAYMENT_VELOCITY_LOCK, shared with the payments shell):
 *   parse → classify every input (ours? by re-deriving its claimed path; segwit? earlier amount
 *   claim?) and every output (a channel we fund, by its outpoint; our change, by re-deriving its
 *   claimed path; allowlisted) → the On-chain transactions rules (policy/rules/onchain.ts) →
 *   judge (a refusal throws PolicyError and changes nothing) → commit, in one Store commit, the
 *   first amount claim of each segwit v0 outpoint, the velocity record (funding, fees) and a
 *   "signed" marker for the txid (a retry of the same transaction is not counted twice) →
 *   sign: P2WPKH with BIP 143 SIGHASH_ALL (low-R ECDSA), P2TR with BIP 341 SIGHASH_DEFAULT and
 *   the BIP 86 tweak → return the PSBT with partial / tap key signatures, same PSBT version.
 *
 * Our change is an output whose claimed path re-derives to its script (or that the node's
 * configured `isOurWallet` oracle recognises); allowlisted means the policy config's
 * allowlist or the Store-backed Allowlist (exact script, or xpub child).
 *
 * A channel output is recognised only by the channel's funding outpoint (txid of this
 * unsigned transaction, output index) as fixed at channel setup; its script and value are then
 * checked against the channel. Lock order: a channel lock may be held when taking the wallet
 * lock, never the other way round (the wallet only reads channel state, which for these rules
 * only moves forward).
 *
 * Velocity: the wallet uses the node's one velocity tracker (`node.payments.velocity`), the same
 * object and Store record that counts payments and transferred value, and holds
 * PAYMENT_VELOCITY_LOCK from its check to its commit, so payments and on-chain signing never
 * race on that record. Lock order: channel → wallet → velocity (nothing holding the velocity
 * lock takes the wallet lock).
 */
import { Transaction, type TxOpts } from "@scure/btc-signer";
import { Psbt } from "../bitcoin/psbt.js";
import { p2pkhScriptCode, p2wsh, witnessProgram } from "../bitcoin/outputs.js";
import {
  SIGHASH_ALL,
  SIGHASH_DEFAULT,
  precomputeSegwitV0,
  precomputeTaproot,
  segwitV0Sighash,
  taprootKeySpendSighash,
} from "../bitcoin/sighash.js";
import { type OutPoint, type TxOut, txid as txidOf, txidToHex } from "../bitcoin/tx.js";
import { fundingScript } from "../bolt3/scripts.js";
import { ecdsaSign, schnorrSign, taprootTweakSeckey } from "../crypto/secp256k1.js";
import { signatureToDer } from "../crypto/signature.js";
import { FormatError } from "../errors.js";
import type { Violation } from "../policy/errors.js";
import {
  checkOnchainTx,
  type OnchainInputFacts,
  type OnchainOutputFacts,
} from "../policy/rules/onchain.js";
import { PAYMENT_VELOCITY_LOCK } from "../payments/payments.js";
import type { Node } from "../signer/node.js";
import { Allowlist, allowlistKey } from "../state/allowlist.js";
import { decodeState, encodeState } from "../state/codec.js";
import type { VelocityTracker } from "../state/velocity.js";
import type { StoreWrite } from "../store/store.js";
import { bytesToHex, concatBytes, equalBytes } from "../util/bytes.js";
import { inputClaims, outputClaims } from "./derivations.js";
import { type OwnedKey, type WalletKeyOptions, WalletKeys } from "./wallet-keys.js";
import { estimateSignedWeight } from "./weight.js";

/** Lock key of the wallet's node-wide records (channel ids cannot contain '#'). */
export const WALLET_LOCK = "#wallet";

/** Low-R signatures, as Bitcoin Core, LDK and Core Lightning produce them. */
const LOW_R = { lowR: true } as const;

const SCURE_OPTS: TxOpts = {
  allowUnknownOutputs: true,
  allowUnknownInputs: true,
  allowUnknownVersion: true,
  allowUnknown: true,
  disableScriptCheck: true,
  allowLegacyWitnessUtxo: true,
};

/**
 * What an OnchainWallet needs: the node, the wallet root, and optionally the allowlist reader.
 * There is no velocity option: the wallet always uses the node's shared tracker.
 */
export interface OnchainWalletOptions extends WalletKeyOptions {
  readonly node: Node;
  /** The allowlist reader; default: the node's, opened from its Store. */
  readonly allowlist?: Allowlist;
  /** Milliseconds clock; default the node's. */
  readonly clock?: () => number;
  /**
   * BIP 340 auxiliary randomness of taproot signatures: "random" (default, BIP 340's
   * recommendation) or "zero" (deterministic, as libwally signs for Core Lightning's hsmd).
   */
  readonly schnorrAux?: "random" | "zero";
}

/** A signed PSBT. */
export interface SignedPsbt {
  /** The PSBT with our signatures added, in the version it came in (0 or 2). */
  readonly psbt: Uint8Array;
  /** Indexes of the inputs we signed. */
  readonly signedInputs: readonly number[];
  /** Demoted rules that fired (signed anyway). */
  readonly warnings: readonly Violation[];
}

/** The Store key of the first amount claimed for a wallet-spent outpoint. */
export function inputAmountKey(nodeId: Uint8Array, o: OutPoint): string {
  return `node/${bytesToHex(nodeId)}/wallet/input/${txidToHex(o.txid)}:${o.vout}`;
}

/** The Store key marking a transaction (by unsigned txid) as signed. */
export function signedTxKey(nodeId: Uint8Array, txid: Uint8Array): string {
  return `node/${bytesToHex(nodeId)}/wallet/signed/${txidToHex(txid)}`;
}

interface AmountRecord {
  amountSat: bigint;
}

function parseScure(bytes: Uint8Array): Transaction {
  try {
    return Transaction.fromPSBT(bytes, SCURE_OPTS);
  } catch (e) {
    throw new FormatError("format/psbt", e instanceof Error ? e.message : String(e));
  }
}

/** Signs funding and withdrawal PSBTs of one Node's on-chain wallet. */
export class OnchainWallet {
  readonly node: Node;
  /** The wallet's keys (derive receive/change scripts with `keys.script`). */
  readonly keys: WalletKeys;
  readonly allowlist: Allowlist;
  /** The node's shared velocity tracker (`node.payments.velocity`). */
  readonly velocity: VelocityTracker;
  readonly #clock: () => number;
  readonly #zeroAux: boolean;

  private constructor(opts: OnchainWalletOptions, allowlist: Allowlist) {
    this.#zeroAux = opts.schnorrAux === "zero";
    this.node = opts.node;
    this.keys = new WalletKeys(opts);
    this.allowlist = allowlist;
    this.velocity = opts.node.payments.velocity;
    this.#clock = opts.clock ?? opts.node.clock;
  }

  /** A wallet for `opts.node`, loading the allowlist when not given; velocity is the node's. */
  static async open(opts: OnchainWalletOptions): Promise<OnchainWallet> {
    const { node } = opts;
    const allowlist =
      opts.allowlist ??
      (await Allowlist.open(node.store, allowlistKey(node.nodeId), {
        network: node.policy.config.network,
      }));
    return new OnchainWallet(opts, allowlist);
  }

  /**
   * Signs our inputs of a funding/withdrawal PSBT after every On-chain transactions rule
   * passed and the state recording it was committed; PolicyError (nothing changed) otherwise.
   * `externalInputs`: inputs the caller has shown to be ours by other keys (e.g. a to_remote
   * output of a peer's commitment) and signs itself once this resolves; they count as ours
   * for the "no wallet input" check and are left unsigned here. `externalOutputs`: outputs the
   * caller has shown to pay us by other keys (e.g. our HTLC tx's delayed output), counted as
   * our wallet's.
   */
  async signPsbt(
    bytes: Uint8Array,
    opts: {
      readonly externalInputs?: readonly number[];
      readonly externalOutputs?: readonly number[];
    } = {},
  ): Promise<SignedPsbt> {
    const view = Psbt.parse(bytes);
    if (view.tx.inputs.length === 0) throw new FormatError("format/psbt", "PSBT has no inputs");
    const scure = parseScure(bytes);
    await this.allowlist.refresh();
    const { locks } = this.node;
    return locks.runExclusive(WALLET_LOCK, () =>
      locks.runExclusive(PAYMENT_VELOCITY_LOCK, () =>
        this.#sign(view, scure, opts.externalInputs ?? [], opts.externalOutputs ?? []),
      ),
    );
  }

  async #sign(
    view: Psbt,
    scure: Transaction,
    externalInputs: readonly number[],
    externalOutputs: readonly number[],
  ): Promise<SignedPsbt> {
    const { node } = this;
    const { policy, store } = node;
    const tx = view.tx;
    const unsignedTxid = txidOf(tx);
    await this.velocity.refresh();
    const now = this.#clock();
    const isRetry = (await store.get(signedTxKey(node.nodeId, unsignedTxid))) !== undefined;

    // Inputs: ours (re-derived), segwit version, earlier amount claims.
    const owned: (OwnedKey | undefined)[] = [];
    const inputs: OnchainInputFacts[] = [];
    for (let i = 0; i < tx.inputs.length; i++) {
      const info = view.inputs[i]!;
      const spent = info.spent;
      const wp = spent === undefined ? undefined : witnessProgram(spent.script);
      const mine =
        spent === undefined ? undefined : this.keys.match(spent.script, inputClaims(scure, i));
      owned.push(mine);
      let previousAmount: bigint | undefined;
      if (wp?.version === 0) {
        const rec = await store.get(inputAmountKey(node.nodeId, tx.inputs[i]!.prevout));
        if (rec !== undefined) previousAmount = decodeState<AmountRecord>(rec.value).amountSat;
      }
      inputs.push({
        spent,
        witnessVersion: wp?.version,
        previousAmount,
        ours: mine?.kind,
        sighashType: info.sighashType,
      });
    }
    const external = externalInputs.filter((i) => i >= 0 && i < tx.inputs.length);
    if (!owned.some((o) => o !== undefined) && external.length === 0) {
      throw new FormatError("wallet/no-wallet-inputs", "no input re-derives to a wallet key");
    }
    if (owned.some((o) => o?.kind === "p2tr") && inputs.some((x) => x.spent === undefined)) {
      throw new FormatError("wallet/missing-utxo", "taproot signing needs every spent output");
    }

    // Outputs: a channel we fund (by outpoint), our change, allowlisted, or unknown.
    const funded = new Map<number, OnchainOutputFacts>();
    for (const id of node.channelIds()) {
      const ch = node.channel(id);
      const setup = ch.state.setup;
      if (setup === undefined || !equalBytes(setup.fundingOutpoint.txid, unsignedTxid)) continue;
      funded.set(setup.fundingOutpoint.vout, {
        kind: "funding",
        channelId: id,
        expectedScript: p2wsh(
          fundingScript(ch.basepoints.fundingPubkey, setup.counterpartyBasepoints.fundingPubkey),
        ),
        channelValueSat: setup.channelValueSat,
        isOutbound: setup.isOutbound,
        pushMsat: setup.pushMsat,
        countersigned: ch.state.nextHolderCommitNum >= 1,
      });
    }
    const outputs: OnchainOutputFacts[] = tx.outputs.map((out, i) => {
      const f = funded.get(i);
      if (f !== undefined) return f;
      if (externalOutputs.includes(i)) return { kind: "wallet" };
      const claims = outputClaims(scure, i);
      if (this.keys.match(out.script, claims) !== undefined || node.isOurWallet(out.script)) {
        return { kind: "wallet" };
      }
      if (
        policy.config.allowlist.includes(bytesToHex(out.script)) ||
        this.allowlist.matchScript(
          out.script,
          claims.map((c) => c.path),
        ) !== undefined
      ) {
        return { kind: "allowlisted" };
      }
      return { kind: "unknown" };
    });

    const estimatedWeight = estimateSignedWeight(
      tx,
      tx.inputs.map((_, i) => {
        const raw = scure.getInput(i);
        return {
          spent: view.inputs[i]!.spent,
          finalScriptSig: raw.finalScriptSig,
          finalScriptWitness: raw.finalScriptWitness,
        };
      }),
    );

    const checker = policy.checker();
    const amounts = checkOnchainTx(
      {
        config: policy.config,
        tx,
        inputs,
        outputs,
        estimatedWeight,
        velocity: isRetry ? undefined : (kind, amount) => this.velocity.check(kind, amount, now),
      },
      checker,
    );
    const verdict = policy.judge(checker);

    // State before signature: amount claims, velocity, the signed marker — one atomic commit.
    const writes: StoreWrite[] = [];
    inputs.forEach((inp, i) => {
      if (inp.witnessVersion !== 0 || inp.spent === undefined || inp.previousAmount !== undefined) {
        return;
      }
      const key = inputAmountKey(node.nodeId, tx.inputs[i]!.prevout);
      if (writes.some((w) => w.key === key)) return; // the same outpoint twice: tx is invalid anyway
      const rec: AmountRecord = { amountSat: inp.spent.value };
      writes.push({ key, value: encodeState(rec), expectedVersion: 0 });
    });
    let velocityPlan: ReturnType<VelocityTracker["plan"]> | undefined;
    if (!isRetry) {
      velocityPlan = this.velocity.plan(
        [
          { kind: "funding", amount: amounts.fundingSat },
          { kind: "l1-fees", amount: amounts.feeSat ?? 0n },
        ],
        now,
      );
      writes.push(velocityPlan.write);
      writes.push({
        key: signedTxKey(node.nodeId, unsignedTxid),
        value: encodeState({ feeSat: amounts.feeSat ?? 0n, fundingSat: amounts.fundingSat }),
        expectedVersion: 0,
      });
    }
    if (writes.length > 0) {
      const versions = await store.commit(writes);
      if (velocityPlan !== undefined) {
        const at = writes.indexOf(velocityPlan.write);
        this.velocity.committed(velocityPlan.next, versions[at]!);
      }
    }
    verdict.record();

    const signedInputs = this.#signInputs(view, scure, owned);
    return { psbt: scure.toPSBT(view.version), signedInputs, warnings: verdict.warnings };
  }

  #signInputs(view: Psbt, scure: Transaction, owned: readonly (OwnedKey | undefined)[]): number[] {
    const tx = view.tx;
    const signed: number[] = [];
    const v0 = owned.some((o) => o?.kind === "p2wpkh") ? precomputeSegwitV0(tx) : undefined;
    const prevouts: TxOut[] | undefined = owned.some((o) => o?.kind === "p2tr")
      ? view.inputs.map((x) => x.spent!)
      : undefined;
    const tap = prevouts === undefined ? undefined : precomputeTaproot(tx, prevouts);
    owned.forEach((o, i) => {
      if (o === undefined) return;
      const spent = view.inputs[i]!.spent!;
      const secret = o.key.secretKey();
      if (o.kind === "p2wpkh") {
        const pub = o.key.publicKey;
        const msg = segwitV0Sighash(tx, i, p2pkhScriptCode(pub), spent.value, SIGHASH_ALL, v0);
        const sig = concatBytes(
          signatureToDer(ecdsaSign(msg, secret, LOW_R)),
          new Uint8Array([SIGHASH_ALL]),
        );
        scure.updateInput(i, { partialSig: [[Uint8Array.from(pub), sig]] }, true);
      } else {
        const msg = taprootKeySpendSighash(tx, i, prevouts!, SIGHASH_DEFAULT, tap);
        const sig = schnorrSign(
          msg,
          taprootTweakSeckey(secret),
          this.#zeroAux ? new Uint8Array(32) : undefined,
        );
        scure.updateInput(i, { tapKeySig: sig }, true);
      }
      secret.fill(0);
      signed.push(i);
    });
    return signed;
  }
}
