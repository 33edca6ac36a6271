/**
 * A channel of a signer Node. Every operation runs under the channel's lock in the order
 * recompose from own state → run rules → new state → commit to the Store → sign/reveal.
 * A refusal (PolicyError, StateError, or a malformed request) leaves the state unchanged, and
 * no signature or secret leaves before the state recording it is committed.
 */
import type { Tx } from "../bitcoin/tx.js";
import { buildClosingTransaction } from "../bolt3/closing.js";
import {
  type ChannelBasepoints,
  type CommitmentKeys,
  deriveCommitmentKeys,
} from "../bolt3/commitment-keys.js";
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
import type { Checker, Policy } from "../policy/policy.js";
import { checkChannelSetup } from "../policy/rules/channel-open.js";
import { checkMutualClose, type MutualCloseProposal } from "../policy/rules/mutual-close.js";
import type { ChannelSetup } from "../state/channel-setup.js";
import type { ChannelPhase, ChannelState } from "../state/channel-state.js";
import { decodeState, encodeState, freezeDeep, frozenCopy } from "../state/codec.js";
import type { CommitmentProposal } from "../state/commitment-proposal.js";
import { StateError } from "../state/errors.js";
import type { StoredValue } from "../store/store.js";
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
import {
  SIGHASH_ALL,
  SIGHASH_ANYONECANPAY,
  SIGHASH_SINGLE,
  segwitV0Sighash,
} from "../bitcoin/sighash.js";
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
import type { OutPoint } from "../bitcoin/tx.js";
import {
  pendingSpliceAt,
  planSignSplice,
  planSignSpliceCounterpartyCommitment,
  planAnnounceSplice,
  planLockSplice,
  planValidateSpliceHolderCommitment,
  type SpliceRequest,
} from "../state/splice.js";
import type { StoreWrite } from "../store/store.js";
import { equalBytes } from "../util/bytes.js";
import type { Node } from "./node.js";
import { isRefusal, retryOnConflict, StaleStateSignal } from "./retry.js";

const SIGHASH_SINGLE_ANYONECANPAY = SIGHASH_SINGLE | SIGHASH_ANYONECANPAY;

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
  /** The in-memory copy may differ from the stored one (a commit failed or lost a race). */
  #stale = false;
  /** Keys of our next commitment derived ahead of time (prepareNextHolder). */
  #prepared:
    { point: Uint8Array; counterparty: ChannelBasepoints; keys: CommitmentKeys } | undefined;

  private constructor(node: Node, id: string, state: ChannelState, version: number) {
    this.#node = node;
    this.id = id;
    this.#state = state;
    this.#version = version;
  }

  /**
   * Creates and persists a new channel in phase `new` (or loads it if it exists). `fence`, the
   * node record unchanged at the version isForgotten read, is committed with the new channel,
   * so a concurrent forgetChannel of the same id by another writer makes this commit fail.
   */
  static async create(
    node: Node,
    id: string,
    fence?: { write: StoreWrite; committed: (version: number) => void },
  ): Promise<Channel> {
    if (node.isForgotten(id)) {
      throw new PolicyError([
        { ruleId: "policy-channel-id-reuse", message: `channel ${id} reuses a forgotten id` },
      ]);
    }
    const state = initialChannelState();
    const stored = await node.store.get(node.channelKey(id));
    if (stored !== undefined) return Channel.load(node, id);
    // Versions are assigned by the store (unique across the store, not per key).
    const [version, fenceVersion] = await node.store.commit([
      { key: node.channelKey(id), value: encodeState(state), expectedVersion: 0 },
      ...(fence === undefined ? [] : [fence.write]),
    ]);
    if (fence !== undefined) fence.committed(fenceVersion!);
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
   *
   * Another writer of the same Store (a second signer process) may have changed the records:
   * a commit that loses the race, a refusal made on a copy that is no longer the stored one,
   * and (with `fresh`, for answers that depend on the current state rather than on a fact the
   * state records for good) a plan that commits nothing on such a copy all reveal nothing; the
   * channel and ledger records are reloaded and the request planned again (retry.ts), so a
   * retried request gets the answer the stored state implies.
   */
  async #run<P extends { next: ChannelState; payments?: PaymentsOutcome | undefined }, R>(
    plan: (state: ChannelState, checker: Checker, payments?: PlanContext["payments"]) => P,
    reveal: (p: P) => R,
    afterCommit?: (p: P) => void,
    scope?: (state: ChannelState) => PaymentScope,
    fresh = false,
  ): Promise<R> {
    return this.#node.locks.runExclusive(this.id, () =>
      retryOnConflict(
        (attempt) => this.#attempt(attempt > 1, fresh, plan, reveal, afterCommit, scope),
        async () => {
          this.#stale = true;
        },
      ),
    );
  }

  /** One plan of #run, under the channel lock: reload if stale, take the payment locks. */
  async #attempt<P extends { next: ChannelState; payments?: PaymentsOutcome | undefined }, R>(
    retrying: boolean,
    fresh: boolean,
    plan: (state: ChannelState, checker: Checker, payments?: PlanContext["payments"]) => P,
    reveal: (p: P) => R,
    afterCommit?: (p: P) => void,
    scope?: (state: ChannelState) => PaymentScope,
  ): Promise<R> {
    const reloaded = this.#stale;
    if (reloaded) await this.reloadLocked();
    const s = scope?.(this.#state);
    const pay = this.#node.payments;
    const keys = s === undefined ? [] : pay.lockKeys(s);
    if (s === undefined || keys.length === 0) {
      return this.#settle(plan, reveal, afterCommit, [], fresh);
    }
    return pay.withLocks(keys, async () => {
      await pay.refresh(keys, retrying || reloaded);
      const payments = { channelId: this.id, rules: await pay.ruleContext(s) };
      return this.#settle(plan, reveal, afterCommit, keys, fresh, payments);
    });
  }

  /**
   * Reloads the channel's state from the Store if another writer changed it (StateError
   * `state/unknown-channel` if it was forgotten). The caller holds the channel lock.
   */
  async reloadLocked(): Promise<void> {
    const stored = await this.#node.store.get(this.#node.channelKey(this.id));
    if (stored === undefined) {
      throw new StateError("state/unknown-channel", `channel ${this.id} was forgotten`);
    }
    this.#stale = false;
    if (stored.version === this.#version) return;
    const state = decodeState<ChannelState>(stored.value);
    freezeDeep(state.setup);
    const wasOpen = isOpen(this.#state.phase);
    this.#state = state;
    this.#version = stored.version;
    // Keep the node's bookkeeping (normally done after our own commits) in step.
    if (!wasOpen && isOpen(state.phase)) this.#node.noteChannelOpened();
    if (wasOpen && !isOpen(state.phase)) this.#node.noteChannelClosed();
  }

  /**
   * StaleStateSignal when the stored channel (or a ledger record behind `paymentKeys`, held)
   * is not the copy this process planned on: what was planned must not be revealed.
   */
  async #requireFresh(paymentKeys: readonly string[]): Promise<void> {
    const key = this.#node.channelKey(this.id);
    const stored = await this.#node.store.get(key);
    if (stored?.version !== this.#version) throw new StaleStateSignal(key);
    if (paymentKeys.length > 0 && (await this.#node.payments.moved(paymentKeys))) {
      throw new StaleStateSignal(paymentKeys[0]!);
    }
  }

  /** The body of #run, under the locks. */
  async #settle<P extends { next: ChannelState; payments?: PaymentsOutcome | undefined }, R>(
    plan: (state: ChannelState, checker: Checker, payments?: PlanContext["payments"]) => P,
    reveal: (p: P) => R,
    afterCommit: ((p: P) => void) | undefined,
    paymentKeys: readonly string[],
    fresh: boolean,
    payments?: PlanContext["payments"],
  ): Promise<R> {
    const checker = this.#node.policy.checker();
    let p: P;
    let verdict: ReturnType<Policy["judge"]>;
    try {
      p = plan(this.#state, checker, payments);
      verdict = this.#node.policy.judge(checker);
    } catch (e) {
      // A refusal stands only if it was made on the stored state.
      if (isRefusal(e)) await this.#requireFresh(paymentKeys);
      throw e;
    }
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
      let versions: number[];
      try {
        versions = await this.#node.store.commit([
          { key, value: encodeState(next), expectedVersion: this.#version },
          ...(ledger?.writes ?? []),
        ]);
      } catch (e) {
        // Lost race, or an outcome unknown (applied or not): reload before the next plan.
        this.#stale = true;
        ledger?.failed();
        throw e;
      }
      const [version, ...rest] = versions;
      this.#state = next;
      this.#version = version!;
      ledger?.committed(rest);
      afterCommit?.(p);
    } else if (fresh) {
      // Nothing to commit, and what is revealed depends on the current state (not on a fact
      // the state records for good, as a retry's answer does): it must be the stored state.
      await this.#requireFresh([]);
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
   * Our per-commitment point for holder commitment n (public: no secret is released by it).
   * Points up to two past the next holder commitment are available: BOLT 2 sends the next
   * point in channel_ready / revoke_and_ack, and a node that validates a holder commitment
   * asynchronously (LDK 0.1) asks for the one after that before the validation completes.
   */
  async getPerCommitmentPoint(n: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new StateError("state/point-too-far", `point ${n} is beyond the next commitment`);
    }
    if (n > this.#state.nextHolderCommitNum + 2) {
      // Another writer may have moved the channel on: decide on the stored state.
      await this.#node.locks.runExclusive(this.id, () => this.reloadLocked());
      if (n > this.#state.nextHolderCommitNum + 2) {
        throw new StateError("state/point-too-far", `point ${n} is beyond the next commitment`);
      }
    }
    return this.#keys.perCommitmentPoint(n);
  }

  /** Fixes the negotiated channel parameters after the Channel opening rules pass. */
  async setup(setup: ChannelSetup): Promise<void> {
    await this.#run(
      (state, c) => {
        if (state.phase !== "new") {
          // A retry of the setup that was committed (its reply lost) succeeds again.
          const same =
            state.setup !== undefined &&
            equalBytes(encodeState(state.setup), encodeState(frozenCopy(setup)));
          if (same) return { next: state };
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

  /**
   * Derives, while the signer is idle, the keys of the holder commitment the peer signs next
   * (our point is known in advance), so that validating it needs only what depends on the
   * peer's values, and warms the key set's cache for the rest of that round. Changes no state
   * and reveals nothing; a no-op for a channel that is not operating.
   */
  prepareNextHolder(): void {
    const state = this.#state;
    const setup = state.setup;
    if (state.phase !== "operating" || setup === undefined || state.closing !== undefined) return;
    const n = state.nextHolderCommitNum;
    const point = this.#keys.perCommitmentPoint(n);
    const counterparty = setup.counterpartyBasepoints;
    if (this.#prepared !== undefined && equalBytes(this.#prepared.point, point)) return;
    // The rest of that round: the secret of n-1 (revoked once n is validated), and our points
    // n+1 and n+2 (a node asks for them with n). All stay in the key set's small cache.
    if (n >= 1) this.#keys.perCommitmentSecret(n - 1).fill(0);
    this.#keys.perCommitmentPoint(n + 1);
    this.#keys.perCommitmentPoint(n + 2);
    const keys = deriveCommitmentKeys(this.#keys.basepoints, counterparty, point);
    this.#prepared = { point, counterparty, keys };
  }

  /** The prepared keys of our commitment at `point`, if prepareNextHolder derived them. */
  #preparedHolderKeys(point: Uint8Array): CommitmentKeys | undefined {
    const p = this.#prepared;
    if (p === undefined || p.counterparty !== this.#state.setup?.counterpartyBasepoints) {
      return undefined;
    }
    return equalBytes(p.point, point) ? p.keys : undefined;
  }

  /** Validates the peer's signatures on our commitment n (commitment_signed). */
  async validateHolderCommitment(
    proposal: CommitmentProposal,
    sigs: CounterpartySignatures,
  ): Promise<void> {
    await this.#run(
      (state, c, payments) => {
        const point = this.#keys.perCommitmentPoint(proposal.commitmentNumber);
        const ctx = {
          ...this.#context(),
          payments,
          holderKeys: (p: Uint8Array) => this.#preparedHolderKeys(p),
        };
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
    const signature = ecdsaSign(
      commitmentSighash(commitment),
      this.#keys.fundingSecret,
      this.#node.ecdsaOptions,
    );
    const htlcTxs = buildHtlcTransactions(commitment);
    if (htlcTxs.length === 0) return { signature, htlcSignatures: [] };
    const htlcKey = derivePrivkey(
      this.#keys.htlcBaseSecret,
      counterpartyPoint,
      this.#keys.basepoints.htlcBasepoint,
    );
    const type = counterpartyHtlcSighashType(commitment.params.channelType);
    const htlcSignatures = htlcTxs.map((h) =>
      ecdsaSign(htlcTxSighash(h, type), htlcKey, this.#node.ecdsaOptions),
    );
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
        const signature = ecdsaSign(
          commitmentSighash(built),
          this.#keys.fundingSecret,
          this.#node.ecdsaOptions,
        );
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
        return {
          signature: ecdsaSign(digest, this.#keys.fundingSecret, this.#node.ecdsaOptions),
          tx: built.tx,
        };
      },
    );
  }

  /**
   * Signs (SIGHASH_ALL, compact) our channel input of a splice transaction after the Splicing
   * rules: the input spends the current funding output, exactly one output is the new funding
   * (the same 2-of-2), and our balance after the splice conserves our value (rules/splice.ts).
   * The pending splice (new funding outpoint and value, our balance after) is committed to the
   * state before the signature leaves; the same request again gets the same signature. Other
   * inputs (our wallet's) are neither signed nor checked beyond their amounts.
   */
  async signSpliceTx(req: SpliceRequest): Promise<Uint8Array> {
    return this.#run(
      (state, c) => {
        const p = planSignSplice(
          state,
          {
            config: this.#node.policy.config,
            isOurWallet: this.#node.isOurWallet,
            holderFundingPubkey: this.#keys.basepoints.fundingPubkey,
          },
          req,
          c,
        );
        if (p.next !== state) freezeDeep(p.next.pendingSplices);
        return p;
      },
      (p) => ecdsaSign(p.digest, this.#keys.fundingSecret, this.#node.ecdsaOptions),
    );
  }

  /**
   * Signs the peer's commitment n on the new funding of the pending splice at `funding` (and
   * our signatures on its HTLC txs): it must mirror the peer's current commitment n with the
   * balances the splice recorded (state/splice.ts). StateError `state/unknown-splice` when no
   * splice we signed created `funding`.
   */
  async signSpliceCounterpartyCommitment(
    funding: OutPoint,
    counterpartyPoint: Uint8Array,
    proposal: CommitmentProposal,
  ): Promise<CommitmentSignatures> {
    return this.#run(
      (state, c) => {
        const found = pendingSpliceAt(state, funding);
        if (found === undefined) {
          throw new StateError("state/unknown-splice", "no pending splice created this funding");
        }
        const p = planSignSpliceCounterpartyCommitment(
          state,
          this.#context(),
          found.splice,
          counterpartyPoint,
          proposal,
          c,
        );
        if (p.next !== state) freezeDeep(p.next.pendingSplices);
        return p;
      },
      (p) => this.#signCounterparty(p.commitment, counterpartyPoint),
    );
  }

  /**
   * Validates the peer's signatures on our commitment n on the new funding of the pending
   * splice at `funding` and records it there: it must mirror our current commitment n with the
   * balances the splice recorded (state/splice.ts). StateError `state/unknown-splice` when no
   * splice we signed created `funding`.
   */
  async validateSpliceHolderCommitment(
    funding: OutPoint,
    proposal: CommitmentProposal,
    sigs: CounterpartySignatures,
  ): Promise<void> {
    await this.#run(
      (state, c) => {
        const found = pendingSpliceAt(state, funding);
        if (found === undefined) {
          throw new StateError("state/unknown-splice", "no pending splice created this funding");
        }
        const point = this.#keys.perCommitmentPoint(proposal.commitmentNumber);
        const p = planValidateSpliceHolderCommitment(
          state,
          this.#context(),
          found.splice,
          point,
          proposal,
          sigs,
          c,
        );
        if (p.next !== state) freezeDeep(p.next.pendingSplices);
        return p;
      },
      () => undefined,
    );
  }

  /**
   * Records a splice announced before its tx is signed: its new funding and value, and our
   * balance change the node states (checked against the tx when it is signed, signSpliceTx).
   * Nothing is signed. A known funding with the same value is a no-op.
   */
  async announceSplice(
    funding: OutPoint,
    channelValueSat: bigint,
    holderDeltaMsat: bigint,
  ): Promise<void> {
    await this.#run(
      (state) => {
        const p = planAnnounceSplice(state, funding, channelValueSat, holderDeltaMsat);
        if (p.next !== state) freezeDeep(p.next.pendingSplices);
        return p;
      },
      () => undefined,
    );
  }

  /**
   * Switches the channel to the pending splice's funding at `funding` once the splice is locked:
   * the setup's funding outpoint and value, and the current commitments, become the splice's
   * (state/splice.ts planLockSplice). Locking the current funding is a no-op.
   */
  async lockSplice(funding: OutPoint): Promise<void> {
    await this.#run(
      (state) => {
        const p = planLockSplice(state, funding);
        if (p.next !== state) freezeDeep(p.next.setup);
        return p;
      },
      () => undefined,
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
        const acp = req.anyoneCanPay === true;
        const digest = segwitV0Sighash(
          p.signTx,
          p.inputIndex,
          script,
          p.htlcTx.inputValueSat,
          acp ? SIGHASH_SINGLE_ANYONECANPAY : SIGHASH_ALL,
        );
        const key = derivePrivkey(
          this.#keys.htlcBaseSecret,
          p.perCommitmentPoint,
          this.#keys.basepoints.htlcBasepoint,
        );
        const signature = ecdsaSign(digest, key, this.#node.ecdsaOptions);
        // Without the preimage or with the node's fee inputs still to come, no witness.
        if (acp || (p.htlcTx.kind === "htlc-success" && p.preimage === undefined)) {
          return { signature, witness: [], tx: p.signTx };
        }
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
      undefined,
      undefined,
      true,
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
        return ecdsaSign(htlcTxSighash(p.htlcTx, type), key, this.#node.ecdsaOptions);
      },
      undefined,
      undefined,
      true,
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
        const signature = ecdsaSign(digest, this.#sweepSecret(p.key), this.#node.ecdsaOptions);
        const witness = p.witness(signatureWithSighashType(signature, SIGHASH_ALL));
        return { signature, witness, tx: withWitness(p.tx, p.inputIndex, witness) };
      },
      undefined,
      undefined,
      true,
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
      (p) => ecdsaSign(p.digest, this.#keys.fundingSecret, this.#node.ecdsaOptions),
    );
  }
}

/** True in the phases that count as an open channel (Node.openChannelCount). */
function isOpen(phase: ChannelPhase): boolean {
  return phase === "operating" || phase === "closing";
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
