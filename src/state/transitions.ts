/**
 * The channel state machine as pure functions: (state, request, context, checker) → plan.
 * A plan holds the next state and what the signer must sign or reveal; the shell settles the
 * checker's violations with the policy (refuse or count warnings), commits the next state, and
 * only then signs. Nothing here touches a secret key: signatures are the shell's job.
 */
import type { CommitmentKeys } from "../bolt3/commitment-keys.js";
import type { CommitmentTransaction } from "../bolt3/commitment.js";
import type { Htlc } from "../bolt3/htlc.js";
import { sameHtlc } from "../bolt3/htlc.js";
import { buildHtlcTransactions } from "../bolt3/htlc-tx.js";
import { commitmentIndexFromNumber } from "../bolt3/commitment-number.js";
import { perCommitmentPoint } from "../bolt3/per-commitment-secret.js";
import { ShachainStore } from "../bolt3/shachain-store.js";
import { commitmentSighash, counterpartyHtlcSighashType, htlcTxSighash } from "../bolt3/signing.js";
import { ecdsaVerify } from "../crypto/secp256k1.js";
import { WardenError } from "../errors.js";
import type { Checker } from "../policy/policy.js";
import type { PolicyConfig } from "../policy/config.js";
import { checkClaimedKeys, checkProposedCommitmentTx } from "../policy/rules/commitment-match.js";
import {
  checkCommitmentValues,
  type FundingState,
  holderBalanceMsat,
} from "../policy/rules/commitment.js";
import {
  checkCommitmentPayments,
  type PaymentRuleContext,
  type PaymentsOutcome,
} from "../policy/rules/payments.js";
import { constantTimeEqual, equalBytes } from "../util/bytes.js";
import type { ChannelBasepoints } from "../bolt3/commitment-keys.js";
import type { ChannelState } from "./channel-state.js";
import type { CommitmentInfo, HolderCommitmentInfo } from "./commitment-info.js";
import type { CommitmentProposal } from "./commitment-proposal.js";
import { StateError } from "./errors.js";
import { type CommitmentOwner, recomposeCommitment } from "./recompose.js";

/** Channel-independent inputs of a plan. */
export interface PlanContext {
  config: PolicyConfig;
  /** The signer's chain height, when it has a chain view. */
  chainHeight: number | undefined;
  /** Our public basepoints for this channel. */
  holder: ChannelBasepoints;
  /** The channel's obscuring factor (channelObscuringFactor). */
  obscuringFactor: number;
  /** The funding output on the signer's chain view; undefined when it has none. */
  fundingState?: FundingState | undefined;
  /** The payments ledger view, when the commitment changes HTLCs (Payments rules). */
  payments?: { channelId: string; rules: PaymentRuleContext } | undefined;
  /**
   * Our commitment's keys at `point` if the signer derived them ahead of time (from its own
   * basepoints and point, never from node input); undefined to derive them now.
   */
  holderKeys?: ((point: Uint8Array) => CommitmentKeys | undefined) | undefined;
}

/** A commitment plan: the next state and the recomposed commitment to sign or that was checked. */
export interface CommitmentPlan {
  next: ChannelState;
  commitment: CommitmentTransaction;
  /** True when the request repeats the last one exactly (state unchanged, same answer). */
  retry: boolean;
  /** The payments-ledger change to commit with the state (when HTLCs changed). */
  payments?: PaymentsOutcome | undefined;
}

/** Counterparty signatures on one of our commitments (compact 64-byte form). */
export interface CounterpartySignatures {
  commitmentSignature: Uint8Array;
  htlcSignatures: readonly Uint8Array[];
}

function requireOperating(state: ChannelState): NonNullable<ChannelState["setup"]> {
  if (state.phase === "new" || state.setup === undefined) {
    throw new StateError("state/not-set-up", "the channel is not set up");
  }
  if (state.phase === "closed") throw new StateError("state/closed", "the channel is closed");
  return state.setup;
}

function requireNotClosing(state: ChannelState): void {
  if (state.closing !== undefined) {
    throw new StateError("state/closing", `the channel is closing (${state.closing})`);
  }
}

/** True when both lists hold the same HTLCs in the same order. */
export function sameHtlcs(a: readonly Htlc[], b: readonly Htlc[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameHtlc(a[i]!, b[i]!)) return false;
  return true;
}

function sameCommitment(info: CommitmentInfo, point: Uint8Array, p: CommitmentProposal): boolean {
  return (
    equalBytes(info.perCommitmentPoint, point) &&
    info.feeratePerKw === p.feeratePerKw &&
    info.toOwnerMsat === p.toOwnerMsat &&
    info.toOtherMsat === p.toOtherMsat &&
    sameHtlcs(info.htlcs, p.htlcs)
  );
}

/**
 * The record of a commitment. An HTLC equal to the one at the same position of the owner's
 * previous record reuses that record's (frozen) HTLC object: the same value, encoded once.
 */
function info(
  p: CommitmentProposal,
  point: Uint8Array,
  built: CommitmentTransaction,
  previous: CommitmentInfo | undefined,
): CommitmentInfo {
  const prev = previous?.htlcs ?? [];
  const htlcs = new Array<Htlc>(p.htlcs.length);
  for (let i = 0; i < htlcs.length; i++) {
    const h = p.htlcs[i]!;
    const old = prev[i];
    htlcs[i] = old !== undefined && Object.isFrozen(old) && sameHtlc(old, h) ? old : { ...h };
  }
  return {
    commitmentNumber: p.commitmentNumber,
    perCommitmentPoint: point,
    feeratePerKw: p.feeratePerKw,
    toOwnerMsat: p.toOwnerMsat,
    toOtherMsat: p.toOtherMsat,
    htlcs,
    txid: built.txid,
  };
}

/** The recomposition attached to a plan that the policy will refuse (never signed). */
function recomposeRefused(
  state: ChannelState,
  ctx: PlanContext,
  owner: CommitmentOwner,
  point: Uint8Array,
  proposal: CommitmentProposal,
): CommitmentTransaction {
  return recomposeCommitment(owner, state.setup!, ctx.holder, point, ctx.obscuringFactor, proposal);
}

/**
 * Recomposes and runs every commitment rule (values, claimed keys, proposed tx) and, with a
 * ledger view, the Payments rules; returns the recomposition and the ledger change.
 */
function recomposeAndCheck(
  owner: CommitmentOwner,
  state: ChannelState,
  ctx: PlanContext,
  point: Uint8Array,
  proposal: CommitmentProposal,
  previous: CommitmentInfo | undefined,
  c: Checker,
): { built: CommitmentTransaction; payments: PaymentsOutcome | undefined } {
  const setup = state.setup!;
  const derived = owner === "holder" ? ctx.holderKeys?.(point) : undefined;
  const built = recomposeCommitment(
    owner,
    setup,
    ctx.holder,
    point,
    ctx.obscuringFactor,
    proposal,
    derived,
  );
  const keys: CommitmentKeys = built.params.keys;
  checkClaimedKeys(owner, proposal, keys, built.params.toSelfDelay, setup.channelType, c);
  if (proposal.tx !== undefined) checkProposedCommitmentTx(owner, proposal.tx, built, c);
  checkCommitmentValues(
    {
      owner,
      setup,
      config: ctx.config,
      chainHeight: ctx.chainHeight,
      previous,
      fundingState: ctx.fundingState,
    },
    proposal,
    built,
    c,
  );
  const pay = ctx.payments;
  const payments =
    pay === undefined
      ? undefined
      : checkCommitmentPayments(
          pay.rules,
          {
            channelId: pay.channelId,
            owner,
            commitmentNumber: proposal.commitmentNumber,
            previous: previous?.htlcs ?? [],
            next: proposal.htlcs,
          },
          previous === undefined
            ? undefined
            : {
                previousMsat: holderBalanceMsat(owner, previous),
                nextMsat: holderBalanceMsat(owner, proposal),
              },
          c,
        );
  return { built, payments };
}

/**
 * Validate holder commitment n (BOLT 2 commitment_signed): recompose our commitment at our
 * point n, run the commitment rules, verify the peer's commitment and HTLC signatures. The
 * plan makes n current; it is refused unless n is the next number and n-2 is revoked (at most
 * two unrevoked holder commitments exist), and a repeat of n must be identical.
 */
export function planValidateHolderCommitment(
  state: ChannelState,
  ctx: PlanContext,
  holderPoint: Uint8Array,
  proposal: CommitmentProposal,
  sigs: CounterpartySignatures,
  c: Checker,
): CommitmentPlan {
  const setup = requireOperating(state);
  requireNotClosing(state);
  const n = proposal.commitmentNumber;
  const cur = state.currentHolder;
  if (cur !== undefined && n === cur.commitmentNumber) {
    const same =
      sameCommitment(cur, holderPoint, proposal) &&
      equalBytes(cur.counterpartySignature, sigs.commitmentSignature) &&
      cur.counterpartyHtlcSignatures.length === sigs.htlcSignatures.length &&
      cur.counterpartyHtlcSignatures.every((s, i) => equalBytes(s, sigs.htlcSignatures[i]!));
    if (same) {
      const commitment = recomposeCommitment(
        "holder",
        setup,
        ctx.holder,
        holderPoint,
        ctx.obscuringFactor,
        proposal,
      );
      // The same content on another transaction (e.g. a splice's new funding) is no retry.
      if (proposal.tx !== undefined)
        checkProposedCommitmentTx("holder", proposal.tx, commitment, c);
      return { next: state, commitment, retry: true };
    }
    c.fail("policy-commitment-retry-same", `holder commitment ${n} repeated with other content`);
    // Refused (a state rule is never demoted): report it before anything else can throw.
    return {
      next: state,
      commitment: recomposeRefused(state, ctx, "holder", holderPoint, proposal),
      retry: false,
    };
  } else if (n !== state.nextHolderCommitNum) {
    throw new StateError(
      "state/holder-commitment-number",
      `expected holder commitment ${state.nextHolderCommitNum}, got ${n}`,
    );
  }
  if (n - 2 > state.holderRevokedThrough) {
    throw new StateError(
      "state/holder-not-revoked",
      `holder commitment ${n - 2} must be revoked before ${n} is validated`,
    );
  }
  const { built, payments } = recomposeAndCheck(
    "holder",
    state,
    ctx,
    holderPoint,
    proposal,
    cur,
    c,
  );

  // The peer's signatures must be valid for exactly what we recomposed.
  const fundingKey = setup.counterpartyBasepoints.fundingPubkey;
  if (!ecdsaVerify(sigs.commitmentSignature, commitmentSighash(built), fundingKey)) {
    throw new StateError(
      "state/bad-commitment-signature",
      "the peer's commitment signature is invalid",
    );
  }
  const htlcTxs = buildHtlcTransactions(built);
  if (sigs.htlcSignatures.length !== htlcTxs.length) {
    throw new StateError(
      "state/htlc-signature-count",
      `${sigs.htlcSignatures.length} HTLC signatures for ${htlcTxs.length} HTLC outputs`,
    );
  }
  const type = counterpartyHtlcSighashType(setup.channelType);
  const htlcKey = built.params.keys.remoteHtlcPubkey;
  for (let i = 0; i < htlcTxs.length; i++) {
    if (!ecdsaVerify(sigs.htlcSignatures[i]!, htlcTxSighash(htlcTxs[i]!, type), htlcKey)) {
      throw new StateError("state/bad-htlc-signature", `the peer's HTLC signature ${i} is invalid`);
    }
  }

  const holder: HolderCommitmentInfo = {
    ...info(proposal, holderPoint, built, cur),
    counterpartySignature: new Uint8Array(sigs.commitmentSignature),
    counterpartyHtlcSignatures: sigs.htlcSignatures.map((s) => new Uint8Array(s)),
    // Settled violations are warnings (errors never get this far).
    warnings: c.violations.map((v) => v.ruleId),
  };
  const next: ChannelState = { ...state, currentHolder: holder, nextHolderCommitNum: n + 1 };
  return { next, commitment: built, retry: false, payments };
}

/** A revocation plan: the next state and which holder commitment's secret to release. */
export interface RevokePlan {
  next: ChannelState;
  commitmentNumber: number;
}

/** What a revocation needs besides the state. */
export interface RevokeContext {
  /**
   * Set only when policy-revoke-watchtower-attested is enabled: true when the watchtower holds
   * the justice data for counterparty commitment k (and, by its contract, every one before it).
   */
  watchtowerAttested?: ((counterpartyCommitmentNumber: number) => boolean) | undefined;
}

/**
 * Rules whose demotion on commitment n+1 does not block revoking n: they judge the chain view,
 * not what commitment n+1 contains (a zero-conf operator demotes spends-active-utxo and must
 * still be able to move the channel forward).
 */
const REVOCATION_NEUTRAL: ReadonlySet<string> = new Set(["policy-commitment-spends-active-utxo"]);

/** Refuses a commitment number that is not a safe non-negative integer (StateError). */
export function assertCommitmentNumber(n: unknown): asserts n is number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new StateError("state/commitment-number", "a commitment number is a safe integer >= 0");
  }
}

/**
 * Revoke holder commitment n (BOLT 2 revoke_and_ack): allowed only once n+1 was validated
 * without violations, in order, and never after a close was signed. Revoking an already
 * revoked number is an idempotent retry. With policy-revoke-watchtower-attested enabled, the
 * watchtower must hold the justice data of the latest counterparty commitment the peer revoked
 * (counterpartyRevokedThrough): revoking our n is the step that makes the new state final on
 * our side, so the peer's superseded states must already be punishable without us.
 */
export function planRevokeHolderCommitment(
  state: ChannelState,
  n: number,
  c: Checker,
  ctx: RevokeContext = {},
): RevokePlan {
  requireOperating(state);
  assertCommitmentNumber(n);
  if (n <= state.holderRevokedThrough) {
    return { next: state, commitmentNumber: n };
  }
  if (state.closing !== undefined) {
    c.fail("policy-revoke-not-closed", `revoking after a ${state.closing} close was signed`);
  }
  if (n > state.nextHolderCommitNum - 2) {
    c.fail(
      "policy-revoke-new-commitment-signed",
      `holder commitment ${n + 1} has not been validated`,
    );
  } else if (n !== state.holderRevokedThrough + 1) {
    throw new StateError(
      "state/revoke-order",
      `holder commitment ${state.holderRevokedThrough + 1} is next to revoke`,
    );
  } else {
    const cur = state.currentHolder;
    const broke = cur?.warnings.filter((id) => !REVOCATION_NEUTRAL.has(id)) ?? [];
    if (cur !== undefined && cur.commitmentNumber === n + 1 && broke.length > 0) {
      c.fail(
        "policy-revoke-new-commitment-valid",
        `holder commitment ${n + 1} broke ${broke.join(", ")}`,
      );
    }
  }
  const k = state.counterpartyRevokedThrough;
  if (ctx.watchtowerAttested !== undefined && k >= 0) {
    c.check(
      ctx.watchtowerAttested(k),
      "policy-revoke-watchtower-attested",
      () => `the watchtower has not attested counterparty commitment ${k}`,
    );
  }
  return { next: { ...state, holderRevokedThrough: n }, commitmentNumber: n };
}

/**
 * Sign counterparty commitment n at the peer's point: recompose, run the commitment rules,
 * refuse unless n-2 was revoked; a repeat of the last number must be identical (and gets the
 * same signatures, RFC 6979 being deterministic).
 */
export function planSignCounterpartyCommitment(
  state: ChannelState,
  ctx: PlanContext,
  counterpartyPoint: Uint8Array,
  proposal: CommitmentProposal,
  c: Checker,
): CommitmentPlan {
  const setup = requireOperating(state);
  requireNotClosing(state);
  const n = proposal.commitmentNumber;
  const cur = state.currentCounterparty;
  if (cur !== undefined && n <= cur.commitmentNumber) {
    if (n === cur.commitmentNumber && sameCommitment(cur, counterpartyPoint, proposal)) {
      const commitment = recomposeCommitment(
        "counterparty",
        setup,
        ctx.holder,
        counterpartyPoint,
        ctx.obscuringFactor,
        proposal,
      );
      // The same content on another transaction (e.g. a splice's new funding) is no retry.
      if (proposal.tx !== undefined) {
        checkProposedCommitmentTx("counterparty", proposal.tx, commitment, c);
      }
      return { next: state, commitment, retry: true };
    }
    c.fail("policy-commitment-retry-same", `counterparty commitment ${n} was already signed`);
    return {
      next: state,
      commitment: recomposeRefused(state, ctx, "counterparty", counterpartyPoint, proposal),
      retry: false,
    };
  } else if (n !== state.nextCounterpartyCommitNum) {
    throw new StateError(
      "state/counterparty-commitment-number",
      `expected counterparty commitment ${state.nextCounterpartyCommitNum}, got ${n}`,
    );
  }
  c.check(
    n - 2 <= state.counterpartyRevokedThrough,
    "policy-commitment-previous-revoked",
    () => `counterparty commitment ${n - 2} is not revoked yet`,
  );
  const { built, payments } = recomposeAndCheck(
    "counterparty",
    state,
    ctx,
    counterpartyPoint,
    proposal,
    cur,
    c,
  );
  const next: ChannelState = {
    ...state,
    previousCounterparty: cur,
    currentCounterparty: info(proposal, counterpartyPoint, built, cur),
    nextCounterpartyCommitNum: n + 1,
  };
  return { next, commitment: built, retry: false, payments };
}

/**
 * Decoded counterparty secret stores by the identity of the state's serialized bytes (state
 * treats byte arrays as immutable values): a revocation then neither re-parses nor re-checks
 * the whole store. Cached stores are never modified; a plan inserts into a clone.
 */
const secretStores = new WeakMap<Uint8Array, ShachainStore>();

function decodedSecrets(bytes: Uint8Array): ShachainStore {
  let store = secretStores.get(bytes);
  if (store === undefined) {
    store = ShachainStore.fromBytes(bytes);
    secretStores.set(bytes, store);
  }
  return store;
}

/**
 * Accept the peer's revocation secret for its commitment n (BOLT 2 revoke_and_ack): the secret
 * must give the point we signed commitment n against and fit the BOLT 3 compact storage; the
 * peer may only revoke, in order, a commitment we have superseded by signing n+1.
 */
export function planValidateCounterpartyRevocation(
  state: ChannelState,
  n: number,
  secret: Uint8Array,
  c: Checker,
): ChannelState {
  requireOperating(state);
  assertCommitmentNumber(n);
  const stored = decodedSecrets(state.counterpartySecrets);
  if (n >= 0 && n <= state.counterpartyRevokedThrough) {
    const known = stored.getSecret(commitmentIndexFromNumber(n));
    c.check(
      known !== undefined && constantTimeEqual(known, secret),
      "policy-revocation-secret-matches",
      `a different secret for already revoked commitment ${n}`,
    );
    return state;
  }
  if (n !== state.counterpartyRevokedThrough + 1) {
    throw new StateError(
      "state/revocation-order",
      `counterparty commitment ${state.counterpartyRevokedThrough + 1} is next to revoke`,
    );
  }
  if (n > state.nextCounterpartyCommitNum - 2) {
    throw new StateError(
      "state/revocation-early",
      `counterparty commitment ${n} is not superseded by a signed one`,
    );
  }
  const revoked = [state.previousCounterparty, state.currentCounterparty].find(
    (i) => i?.commitmentNumber === n,
  );
  let point: Uint8Array | undefined;
  try {
    point = perCommitmentPoint(secret);
  } catch (e) {
    if (!(e instanceof WardenError)) throw e;
  }
  c.check(
    revoked !== undefined && point !== undefined && equalBytes(point, revoked.perCommitmentPoint),
    "policy-revocation-secret-matches",
    `the secret does not match the point of counterparty commitment ${n}`,
  );
  const store = stored.clone();
  try {
    store.insertSecret(secret, commitmentIndexFromNumber(n));
  } catch (e) {
    if (!(e instanceof WardenError)) throw e;
    c.fail("policy-revocation-shachain-consistent", "the secret contradicts earlier secrets");
  }
  const counterpartySecrets = store.toBytes();
  secretStores.set(counterpartySecrets, store);
  return {
    ...state,
    counterpartyRevokedThrough: n,
    counterpartySecrets,
    previousCounterparty:
      state.previousCounterparty?.commitmentNumber === n ? undefined : state.previousCounterparty,
  };
}

/**
 * Sign our current holder commitment for broadcast (force close). Only the current, unrevoked
 * commitment; the channel enters `closing` and nothing newer is ever signed or revoked.
 */
export function planSignHolderCommitment(
  state: ChannelState,
  n: number,
  c: Checker,
): { next: ChannelState; holder: HolderCommitmentInfo | undefined } {
  assertCommitmentNumber(n);
  const cur = state.currentHolder;
  if (
    state.holderCommitmentBroadcast === n &&
    cur?.commitmentNumber === n &&
    n > state.holderRevokedThrough
  ) {
    // A retry: the same commitment, already recorded as signed for broadcast (even once closed).
    return { next: state, holder: cur };
  }
  requireOperating(state);
  if (n <= state.holderRevokedThrough) {
    // A state rule: never demotable, so the policy refuses before anything is signed.
    c.fail("policy-commitment-holder-not-revoked", `holder commitment ${n} was revoked`);
    return { next: state, holder: undefined };
  }
  if (cur === undefined || cur.commitmentNumber !== n) {
    throw new StateError(
      "state/not-current-holder-commitment",
      `holder commitment ${n} is not the current one`,
    );
  }
  const next: ChannelState = {
    ...state,
    phase: "closing",
    closing: state.closing ?? "holder-force-close",
    holderCommitmentBroadcast: n,
  };
  return { next, holder: cur };
}
