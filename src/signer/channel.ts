/**
 * A channel of a signer Node. Every operation runs under the channel's lock in the order
 * recompose from own state → run rules → new state → commit to the Store → sign/reveal.
 * A refusal (PolicyError, StateError, or a malformed request) leaves the state unchanged, and
 * no signature or secret leaves before the state recording it is committed.
 */
import type { Tx } from "../bitcoin/tx.js";
import { buildClosingTransaction } from "../bolt3/closing.js";
import type { ChannelBasepoints } from "../bolt3/commitment-keys.js";
import type { CommitmentTransaction } from "../bolt3/commitment.js";
import { buildHtlcTransactions } from "../bolt3/htlc-tx.js";
import { derivePrivkey } from "../bolt3/key-derivation.js";
import { fundingScript } from "../bolt3/scripts.js";
import {
  commitmentSighash,
  counterpartyHtlcSighashType,
  fundingInputSighash,
  htlcTxSighash,
} from "../bolt3/signing.js";
import { fundingSpendWitness } from "../bolt3/witness.js";
import { txWeight } from "../bitcoin/tx.js";
import { ecdsaSign } from "../crypto/secp256k1.js";
import type { ChannelKeys } from "../keys/channel-keys.js";
import { PolicyError } from "../policy/errors.js";
import type { Checker } from "../policy/policy.js";
import { checkChannelSetup } from "../policy/rules/channel-open.js";
import { checkMutualClose, type MutualCloseProposal } from "../policy/rules/mutual-close.js";
import type { ChannelSetup } from "../state/channel-setup.js";
import type { ChannelPhase, ChannelState } from "../state/channel-state.js";
import { decodeState, encodeState, freezeDeep, frozenCopy } from "../state/codec.js";
import type { CommitmentProposal } from "../state/commitment-proposal.js";
import { StateError } from "../state/errors.js";
import { initialChannelState } from "../state/initial.js";
import { channelObscuringFactor, recomposeCommitment } from "../state/recompose.js";
import {
  type CounterpartySignatures,
  type PlanContext,
  planRevokeHolderCommitment,
  planSignCounterpartyCommitment,
  planSignHolderCommitment,
  planValidateCounterpartyRevocation,
  planValidateHolderCommitment,
} from "../state/transitions.js";
// On-chain operations (HTLC transactions, sweeps, channel announcement).
import { SIGHASH_ALL, segwitV0Sighash } from "../bitcoin/sighash.js";
import { deriveRevocationPrivkey } from "../bolt3/key-derivation.js";
import {
  htlcSuccessWitness,
  htlcTimeoutWitness,
  signatureWithSighashType,
} from "../bolt3/witness.js";
import { sha256d } from "../crypto/hash.js";
import {
  CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET,
  checkChannelAnnouncement,
  parseChannelAnnouncement,
} from "../policy/rules/channel-announcement.js";
import { type OnchainContext, requireSetup } from "../state/onchain-commitments.js";
import {
  type CounterpartyHtlcTxRequest,
  type HolderHtlcTxRequest,
  planSignCounterpartyHtlcTx,
  planSignHolderHtlcTx,
} from "../state/onchain-htlc.js";
import {
  planSweep,
  revealedCounterpartySecret,
  type SweepKey,
  type SweepRequest,
} from "../state/onchain-sweep.js";
import type { PaymentScope } from "../payments/payments.js";
import type { PaymentsOutcome } from "../policy/rules/payments.js";
import type { StoredValue } from "../store/store.js";
import type { Node } from "./node.js";

/** Low-R signatures, as LDK and Core Lightning produce them. */
const LOW_R = { lowR: true } as const;

/** Our signatures on a counterparty commitment (compact 64-byte form). */
export interface CommitmentSignatures {
  signature: Uint8Array;
  /** One per HTLC output, in commitment output order (BOLT 2 htlc_signatures). */
  htlcSignatures: Uint8Array[];
}

/** A fully signed transaction and our signature in it. */
export interface SignedTransaction {
  signature: Uint8Array;
  tx: Tx;
}

/** One channel: keys, state, and the validated operations on them. */
export class Channel {
  readonly id: string;
  readonly #node: Node;
  /** Derived on first use: a cold start of many channels derives no keys (5 EC mults each). */
  #keysCache: ChannelKeys | undefined;
  #state: ChannelState;
  #version: number;
  #obscuringFactor: number | undefined;

  private constructor(node: Node, id: string, state: ChannelState, version: number) {
    this.#node = node;
    this.id = id;
    this.#state = state;
    this.#version = version;
  }

  /** Creates and persists a new channel in phase `new`. */
  static async create(node: Node, id: string): Promise<Channel> {
    if (node.isForgotten(id)) {
      throw new PolicyError([
        { ruleId: "policy-channel-id-reuse", message: `channel ${id} reuses a forgotten id` },
      ]);
    }
    const state = initialChannelState();
    const stored = await node.store.get(node.channelKey(id));
    if (stored !== undefined) return Channel.load(node, id);
    // Versions are assigned by the store (unique across the store, not per key).
    const [version] = await node.store.commit([
      { key: node.channelKey(id), value: encodeState(state), expectedVersion: 0 },
    ]);
    return new Channel(node, id, state, version!);
  }

  /** Loads a persisted channel. */
  static async load(node: Node, id: string): Promise<Channel> {
    const stored = await node.store.get(node.channelKey(id));
    if (stored === undefined) throw new StateError("state/unknown-channel", `no channel ${id}`);
    return Channel.restore(node, id, stored);
  }

  /** A channel from its stored record (read by the caller, e.g. one Store.scan at cold start). */
  static restore(node: Node, id: string, stored: StoredValue): Channel {
    const state = decodeState<ChannelState>(stored.value);
    freezeDeep(state.setup);
    return new Channel(node, id, state, stored.version);
  }

  /** The holder keys of this channel, derived from the node's key source on first use. */
  get #keys(): ChannelKeys {
    this.#keysCache ??= this.#node.keys.channelKeys(this.id);
    return this.#keysCache;
  }

  /** Life-cycle phase. */
  get phase(): ChannelPhase {
    return this.#state.phase;
  }

  /** Store version of the state (a new store-assigned version on every committed change). */
  get version(): number {
    return this.#version;
  }

  /** The current enforcement state (read-only view, for inspection and tests). */
  get state(): Readonly<ChannelState> {
    return this.#state;
  }

  /** Our public basepoints for this channel (sent in open_channel / accept_channel). */
  get basepoints(): ChannelBasepoints {
    return this.#keys.basepoints;
  }

  /**
   * Runs `plan` on the current state under the channel lock, settles its violations with the
   * policy, commits the planned state if it changed, then runs `reveal` (signing) on the plan.
   * With a payment `scope` (a commitment that changes HTLCs), the payment hashes' locks are
   * taken inside the channel lock, the plan gets the ledger view, and its ledger change is
   * committed in the same Store commit as the channel state.
   */
  async #run<P extends { next: ChannelState; payments?: PaymentsOutcome | undefined }, R>(
    plan: (state: ChannelState, checker: Checker, payments?: PlanContext["payments"]) => P,
    reveal: (p: P) => R,
    afterCommit?: (p: P) => void,
    scope?: (state: ChannelState) => PaymentScope,
  ): Promise<R> {
    return this.#node.locks.runExclusive(this.id, async () => {
      const s = scope?.(this.#state);
      const pay = this.#node.payments;
      const keys = s === undefined ? [] : pay.lockKeys(s);
      if (s === undefined || keys.length === 0) return this.#settle(plan, reveal, afterCommit);
      return pay.withLocks(keys, async () =>
        this.#settle(plan, reveal, afterCommit, {
          channelId: this.id,
          rules: await pay.ruleContext(s),
        }),
      );
    });
  }

  /** The body of #run, under the locks. */
  async #settle<P extends { next: ChannelState; payments?: PaymentsOutcome | undefined }, R>(
    plan: (state: ChannelState, checker: Checker, payments?: PlanContext["payments"]) => P,
    reveal: (p: P) => R,
    afterCommit?: (p: P) => void,
    payments?: PlanContext["payments"],
  ): Promise<R> {
    const checker = this.#node.policy.checker();
    const p = plan(this.#state, checker, payments);
    const verdict = this.#node.policy.judge(checker);
    let next = p.next;
    const holder = next.currentHolder;
    if (
      next !== this.#state &&
      holder !== this.#state.currentHolder &&
      holder !== undefined &&
      !sameRuleIds(holder.warnings, verdict.warnings)
    ) {
      // Record only what the policy let through as a warning (not disabled optional rules).
      next = {
        ...next,
        currentHolder: { ...holder, warnings: verdict.warnings.map((w) => w.ruleId) },
      };
    }
    if (next !== this.#state) {
      // Commitment records never change once made: frozen, each is encoded once (codec.ts).
      freezeDeep(next.currentHolder);
      freezeDeep(next.currentCounterparty);
      freezeDeep(next.previousCounterparty);
      const key = this.#node.channelKey(this.id);
      const ledger = p.payments === undefined ? undefined : this.#node.payments.writes(p.payments);
      const [version, ...rest] = await this.#node.store.commit([
        { key, value: encodeState(next), expectedVersion: this.#version },
        ...(ledger?.writes ?? []),
      ]);
      this.#state = next;
      this.#version = version!;
      ledger?.committed(rest);
      afterCommit?.(p);
    }
    verdict.record();
    return reveal(p);
  }

  /** The HTLC change `proposal` makes against the current commitment of `owner`. */
  #paymentScope(
    owner: "holder" | "counterparty",
    state: ChannelState,
    proposal: CommitmentProposal,
  ): PaymentScope {
    const cur = owner === "holder" ? state.currentHolder : state.currentCounterparty;
    return {
      channelId: this.id,
      owner,
      commitmentNumber: proposal.commitmentNumber,
      previous: cur?.htlcs ?? [],
      next: proposal.htlcs,
    };
  }

  #context(): PlanContext {
    const setup = this.#state.setup;
    if (setup === undefined) throw new StateError("state/not-set-up", "the channel is not set up");
    this.#obscuringFactor ??= channelObscuringFactor(setup, this.#keys.basepoints);
    return {
      config: this.#node.policy.config,
      chainHeight: this.#node.chainHeight(),
      holder: this.#keys.basepoints,
      obscuringFactor: this.#obscuringFactor,
      fundingState: this.#node.fundingState(setup.fundingOutpoint),
    };
  }

  /**
   * Our per-commitment point for holder commitment n. Points up to the next-but-one commitment
   * are available (BOLT 2 sends the next point in funding_locked / revoke_and_ack).
   */
  async getPerCommitmentPoint(n: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.#state.nextHolderCommitNum + 1) {
      throw new StateError("state/point-too-far", `point ${n} is beyond the next commitment`);
    }
    return this.#keys.perCommitmentPoint(n);
  }

  /** Fixes the negotiated channel parameters after the Channel opening rules pass. */
  async setup(setup: ChannelSetup): Promise<void> {
    await this.#run(
      (state, c) => {
        if (state.phase !== "new") {
          throw new StateError("state/already-set-up", `channel ${this.id} is already set up`);
        }
        checkChannelSetup(
          {
            config: this.#node.policy.config,
            isOurWallet: this.#node.isOurWallet,
            openChannelCount: this.#node.openChannelCount,
            idForgotten: this.#node.isForgotten(this.id),
          },
          setup,
          c,
        );
        // Fail early on parameters the BOLT 3 engine cannot build with.
        channelObscuringFactor(setup, this.#keys.basepoints);
        // Our own frozen copy: the caller's object may change, and the record is encoded once.
        return { next: { ...state, phase: "operating" as const, setup: frozenCopy(setup) } };
      },
      () => undefined,
      () => this.#node.noteChannelOpened(),
    );
  }

  /** Validates the peer's signatures on our commitment n (commitment_signed). */
  async validateHolderCommitment(
    proposal: CommitmentProposal,
    sigs: CounterpartySignatures,
  ): Promise<void> {
    await this.#run(
      (state, c, payments) => {
        const point = this.#keys.perCommitmentPoint(proposal.commitmentNumber);
        const ctx = { ...this.#context(), payments };
        return planValidateHolderCommitment(state, ctx, point, proposal, sigs, c);
      },
      () => undefined,
      undefined,
      (state) => this.#paymentScope("holder", state, proposal),
    );
  }

  /** Releases the secret of holder commitment n (revoke_and_ack), once n+1 was validated. */
  async revokeHolderCommitment(n: number): Promise<Uint8Array> {
    return this.#run(
      (state, c) =>
        planRevokeHolderCommitment(state, n, c, {
          watchtowerAttested: this.#node.policy.isEnabled("policy-revoke-watchtower-attested")
            ? (k) => this.#node.watchtowerAttested?.(this.id, k) ?? false
            : undefined,
        }),
      (p) => this.#keys.perCommitmentSecret(p.commitmentNumber),
    );
  }

  /** Signs the peer's commitment n at its point, and our signatures on its HTLC txs. */
  async signCounterpartyCommitment(
    counterpartyPoint: Uint8Array,
    proposal: CommitmentProposal,
  ): Promise<CommitmentSignatures> {
    return this.#run(
      (state, c, payments) =>
        planSignCounterpartyCommitment(
          state,
          { ...this.#context(), payments },
          counterpartyPoint,
          proposal,
          c,
        ),
      (p) => this.#signCounterparty(p.commitment, counterpartyPoint),
      undefined,
      (state) => this.#paymentScope("counterparty", state, proposal),
    );
  }

  #signCounterparty(
    commitment: CommitmentTransaction,
    counterpartyPoint: Uint8Array,
  ): CommitmentSignatures {
    const signature = ecdsaSign(commitmentSighash(commitment), this.#keys.fundingSecret, LOW_R);
    const htlcTxs = buildHtlcTransactions(commitment);
    if (htlcTxs.length === 0) return { signature, htlcSignatures: [] };
    const htlcKey = derivePrivkey(
      this.#keys.htlcBaseSecret,
      counterpartyPoint,
      this.#keys.basepoints.htlcBasepoint,
    );
    const type = counterpartyHtlcSighashType(commitment.params.channelType);
    const htlcSignatures = htlcTxs.map((h) => ecdsaSign(htlcTxSighash(h, type), htlcKey, LOW_R));
    return { signature, htlcSignatures };
  }

  /** Accepts the peer's revocation secret for its commitment n. */
  async validateCounterpartyRevocation(n: number, secret: Uint8Array): Promise<void> {
    await this.#run(
      (state, c) => ({ next: planValidateCounterpartyRevocation(state, n, secret, c) }),
      () => undefined,
    );
  }

  /**
   * Signs our current, unrevoked holder commitment for broadcast (force close) and returns it
   * fully signed. The channel enters `closing`: nothing newer is signed or revoked afterwards.
   */
  async signHolderCommitment(n: number): Promise<SignedTransaction> {
    return this.#run(
      (state, c) => planSignHolderCommitment(state, n, c),
      (p) => {
        const setup = p.next.setup!;
        const h = p.holder;
        if (h === undefined) throw new StateError("state/refused", "nothing to sign");
        const built = recomposeCommitment(
          "holder",
          setup,
          this.#keys.basepoints,
          h.perCommitmentPoint,
          this.#context().obscuringFactor,
          {
            commitmentNumber: h.commitmentNumber,
            feeratePerKw: h.feeratePerKw,
            toOwnerMsat: h.toOwnerMsat,
            toOtherMsat: h.toOtherMsat,
            htlcs: h.htlcs,
          },
        );
        const signature = ecdsaSign(commitmentSighash(built), this.#keys.fundingSecret, LOW_R);
        const witness = fundingSpendWitness(
          built.params.keys.localFundingPubkey,
          signature,
          built.params.keys.remoteFundingPubkey,
          h.counterpartySignature,
          fundingScript(
            built.params.keys.localFundingPubkey,
            built.params.keys.remoteFundingPubkey,
          ),
        );
        const tx: Tx = {
          ...built.tx,
          inputs: [{ ...built.tx.inputs[0]!, witness }],
        };
        return { signature, tx };
      },
    );
  }

  /**
   * Records that the channel's closing transaction (mutual or our commitment) is final on chain:
   * `closing` → `closed`. Sweeps stay possible; nothing else is signed. StateError unless closing.
   */
  async markClosed(): Promise<void> {
    await this.#run(
      (state) => {
        if (state.phase === "closed") return { next: state };
        if (state.phase !== "closing") {
          throw new StateError("state/not-closing", `channel ${this.id} is ${state.phase}`);
        }
        return { next: { ...state, phase: "closed" as const } };
      },
      () => undefined,
      () => this.#node.noteChannelClosed(),
    );
  }

  /**
   * Signs a mutual closing transaction (legacy closing_signed) recomposed from the proposal,
   * after the Mutual close rules. Several fee proposals may be signed; afterwards the channel
   * is `closing` and no commitment is signed or revoked.
   */
  async signMutualClose(p: MutualCloseProposal): Promise<SignedTransaction> {
    return this.#run(
      (state, c) => {
        const setup = state.setup;
        if (state.phase === "new" || setup === undefined) {
          throw new StateError("state/not-set-up", "the channel is not set up");
        }
        if (state.closing === "holder-force-close") {
          throw new StateError("state/closing", "our commitment was signed for broadcast");
        }
        const built = buildClosingTransaction({
          fundingOutpoint: setup.fundingOutpoint,
          fundingAmountSat: setup.channelValueSat,
          localIsOpener: setup.isOutbound,
          toLocalMsat: p.toHolderMsat,
          toRemoteMsat: p.toCounterpartyMsat,
          localScriptPubKey: p.holderScript,
          remoteScriptPubKey: p.counterpartyScript,
          feeSat: p.feeSat,
          dustLimitSat: setup.holderDustLimitSat,
        });
        checkMutualClose(
          state,
          setup,
          this.#node.policy.config,
          this.#node.isOurWallet,
          p,
          txWeight(built.tx),
          c,
        );
        const next: ChannelState =
          state.closing === "mutual" ? state : { ...state, phase: "closing", closing: "mutual" };
        return { next, built, setup };
      },
      ({ built, setup }) => {
        const fundingKeys = [
          this.#keys.basepoints.fundingPubkey,
          setup.counterpartyBasepoints.fundingPubkey,
        ];
        const digest = fundingInputSighash(
          built.tx,
          fundingScript(fundingKeys[0]!, fundingKeys[1]!),
          setup.channelValueSat,
        );
        return { signature: ecdsaSign(digest, this.#keys.fundingSecret, LOW_R), tx: built.tx };
      },
    );
  }

  // ---- On-chain operations: HTLC transactions, sweeps, channel announcement. ----

  #onchainContext(): OnchainContext {
    return { ...this.#context(), isOurWallet: this.#node.isOurWallet };
  }

  /** The secret a sweep plan names (derived here, in the shell, never in a plan). */
  #sweepSecret(key: SweepKey): Uint8Array {
    switch (key.kind) {
      case "delayed":
        return derivePrivkey(
          this.#keys.delayedPaymentBaseSecret,
          key.perCommitmentPoint,
          this.#keys.basepoints.delayedPaymentBasepoint,
        );
      case "htlc":
        return derivePrivkey(
          this.#keys.htlcBaseSecret,
          key.perCommitmentPoint,
          this.#keys.basepoints.htlcBasepoint,
        );
      case "payment":
        return this.#keys.paymentBaseSecret;
      case "funding":
        return this.#keys.fundingSecret;
      case "revocation":
        return deriveRevocationPrivkey(
          this.#keys.revocationBaseSecret,
          revealedCounterpartySecret(this.#state, key.commitmentNumber),
        );
    }
  }

  /**
   * Signs our HTLC-success / HTLC-timeout tx for an HTLC output of the current holder
   * commitment, recomposed from state after the HTLC transaction rules, and returns the full
   * BOLT 3 witness with the peer's stored HTLC signature. A success needs the preimage
   * (StateError `state/preimage-mismatch` / `state/preimage-missing`); a revoked commitment is
   * refused (policy-commitment-holder-not-revoked). Other inputs of a fee bump are not signed.
   */
  async signHolderHtlcTx(req: HolderHtlcTxRequest): Promise<SignedInput> {
    return this.#run(
      (state, c) => planSignHolderHtlcTx(state, this.#onchainContext(), req, c),
      (p) => {
        if ("refused" in p) throw new StateError("state/refused", "nothing to sign");
        const script = p.htlcTx.htlcWitnessScript;
        const digest = segwitV0Sighash(
          p.signTx,
          p.inputIndex,
          script,
          p.htlcTx.inputValueSat,
          SIGHASH_ALL,
        );
        const key = derivePrivkey(
          this.#keys.htlcBaseSecret,
          p.perCommitmentPoint,
          this.#keys.basepoints.htlcBasepoint,
        );
        const signature = ecdsaSign(digest, key, LOW_R);
        const witness =
          p.preimage !== undefined
            ? htlcSuccessWitness(
                p.channelType,
                p.counterpartySignature,
                signature,
                p.preimage,
                script,
              )
            : htlcTimeoutWitness(p.channelType, p.counterpartySignature, signature, script);
        return { signature, witness, tx: withWitness(p.signTx, p.inputIndex, witness) };
      },
    );
  }

  /**
   * Our signature (compact, SIGHASH_SINGLE|ANYONECANPAY with anchors, else SIGHASH_ALL) on the
   * peer's HTLC tx for an HTLC output of its current or previous, unrevoked commitment,
   * recomposed from state; the node's copy, when given, must be exactly BOLT 3's.
   */
  async signCounterpartyHtlcTx(req: CounterpartyHtlcTxRequest): Promise<Uint8Array> {
    return this.#run(
      (state, c) => planSignCounterpartyHtlcTx(state, this.#onchainContext(), req, c),
      (p) => {
        const key = derivePrivkey(
          this.#keys.htlcBaseSecret,
          p.perCommitmentPoint,
          this.#keys.basepoints.htlcBasepoint,
        );
        const type = counterpartyHtlcSighashType(p.channelType);
        return ecdsaSign(htlcTxSighash(p.htlcTx, type), key, LOW_R);
      },
    );
  }

  /**
   * Signs (SIGHASH_ALL) one input of a sweep of our outputs after a close — delayed to_local
   * and HTLC tx outputs, the peer's commitment's HTLC and to_remote outputs, justice on a
   * revoked commitment, our anchor — after the Sweep rules, and returns our signature, the
   * input's witness and the tx with it. The spent output is derived from state (or from the
   * revealed secret for justice); other inputs are neither checked nor signed.
   */
  async signSweep(req: SweepRequest): Promise<SignedInput> {
    return this.#run(
      (state, c) => planSweep(state, this.#onchainContext(), req, c),
      (p) => {
        if ("refused" in p) throw new StateError("state/refused", "nothing to sign");
        const digest = segwitV0Sighash(p.tx, p.inputIndex, p.scriptCode, p.valueSat, SIGHASH_ALL);
        const signature = ecdsaSign(digest, this.#sweepSecret(p.key), LOW_R);
        const witness = p.witness(signatureWithSighashType(signature, SIGHASH_ALL));
        return { signature, witness, tx: withWitness(p.tx, p.inputIndex, witness) };
      },
    );
  }

  /**
   * Our bitcoin signature (funding key, compact) on a BOLT 7 channel_announcement (with its
   * 2-byte type): sha256d of the message after the type and the four signatures. Refused
   * (policy-gossip-own-channels) unless our node id and funding key share a slot, the slots
   * are in node-id order and the other bitcoin key is the peer's. The short_channel_id and
   * chain hash are not checked here (node-level gossip rules).
   */
  async signChannelAnnouncement(msg: Uint8Array): Promise<Uint8Array> {
    return this.#run(
      (state, c) => {
        const setup = requireSetup(state);
        const fields = parseChannelAnnouncement(msg);
        checkChannelAnnouncement(
          fields,
          this.#node.nodeId,
          this.#keys.basepoints.fundingPubkey,
          setup.counterpartyBasepoints.fundingPubkey,
          c,
        );
        return { next: state, digest: sha256d(msg.subarray(CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET)) };
      },
      (p) => ecdsaSign(p.digest, this.#keys.fundingSecret, LOW_R),
    );
  }
}

/** True when `ids` lists exactly the rule ids of `warnings`, in order. */
function sameRuleIds(ids: readonly string[], warnings: readonly { ruleId: string }[]): boolean {
  if (ids.length !== warnings.length) return false;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== warnings[i]!.ruleId) return false;
  return true;
}

/** Our signature on one input, that input's full witness, and the tx carrying it. */
export interface SignedInput {
  /** Compact 64-byte signature (the witness holds it DER-encoded with its sighash byte). */
  signature: Uint8Array;
  witness: Uint8Array[];
  tx: Tx;
}

function withWitness(tx: Tx, inputIndex: number, witness: Uint8Array[]): Tx {
  return {
    ...tx,
    inputs: tx.inputs.map((input, i) => (i === inputIndex ? { ...input, witness } : input)),
  };
}
