/**
 * Policy parameters with mainnet-sane defaults. Units are in the names: `Blocks`, `Sat`,
 * `Msat`, `PerKw` (sat per 1000 weight units; 253 sat/kw ≈ 1 sat/vB, the relay floor).
 * Money is bigint; block counts, counts and fee rates are safe integers.
 *
 * Fee-rate defaults: 100_000 sat/kw ≈ 400 sat/vB caps what a lying node can make us burn via
 * update_fee (a 724-weight commitment then pays ≈ 72k sat), while staying above every fee
 * spike seen on mainnet so far for commitments that must confirm without anchors.
 *
 * Sweeps: the fee-rate cap widens as the deadline nears (see sweepMaxFeeratePerKw): waiting
 * beyond a deadline loses the whole output (a breach window closes, an HTLC can be claimed by
 * the peer), so paying up to the whole value is rational. A justice sweep passes the blocks
 * left until the cheater's to_self_delay matures and may therefore pay what it must.
 */
import type { Network } from "../bitcoin/address.js";
import { PolicyConfigError } from "./errors.js";
import { OPTIONAL_RULE_IDS, type OptionalRuleId } from "./rule-ids.js";

/** All policy parameters; build one with policyConfig(), which validates. */
export interface PolicyConfig {
  readonly network: Network;
  /** Range of the to_self_delay on OUR outputs (chosen by the peer). */
  readonly minHolderToSelfDelayBlocks: number;
  readonly maxHolderToSelfDelayBlocks: number;
  /** Range of the to_self_delay we impose on the peer (our window to punish a breach). */
  readonly minCounterpartyToSelfDelayBlocks: number;
  readonly maxCounterpartyToSelfDelayBlocks: number;
  readonly maxChannelCount: number;
  readonly maxFundingSat: bigint;
  /** Commitment (update_fee) fee-rate bounds. */
  readonly minFeeratePerKw: number;
  readonly maxFeeratePerKw: number;
  /** Maximum HTLC outputs per commitment (BOLT 2 caps max_accepted_htlcs at 483). */
  readonly maxHtlcCount: number;
  readonly maxHtlcValueInFlightMsat: bigint;
  /** An HTLC may expire at most this many blocks after the current height. */
  readonly maxCltvExpiryDeltaBlocks: number;
  readonly minMutualFeeratePerKw: number;
  readonly maxMutualFeeratePerKw: number;
  readonly maxMutualFeeSat: bigint;
  /** Our mutual-close output may be this much below the expected value (rounding). */
  readonly mutualValueToleranceMsat: bigint;
  /** Second-level HTLC tx fee-rate bounds (non-anchor channels; anchors HTLC txs pay 0). */
  readonly minHtlcFeeratePerKw: number;
  readonly maxHtlcFeeratePerKw: number;
  readonly minSweepFeeratePerKw: number;
  /** Sweep fee-rate cap while the deadline is at least sweepUrgencyHorizonBlocks away. */
  readonly maxSweepFeeratePerKw: number;
  readonly sweepUrgencyHorizonBlocks: number;
  /** Which optional rules run (see rule-ids.ts). */
  readonly optionalRules: Readonly<Record<OptionalRuleId, boolean>>;
  /** Allowlisted destinations as lower-case scriptPubKey hex (callers convert addresses). */
  readonly allowlist: readonly string[];
  /** On-chain wallet transactions (funding, withdrawal): fee-rate bounds and absolute fee cap. */
  readonly minOnchainFeeratePerKw: number;
  readonly maxOnchainFeeratePerKw: number;
  readonly maxOnchainFeeSat: bigint;
  /** Velocity limits: at most `…Limit…` per sliding window of `…WindowMs` milliseconds. */
  readonly velocityPaymentsLimitMsat: bigint;
  readonly velocityPaymentsWindowMs: number;
  readonly velocityTransferredLimitMsat: bigint;
  readonly velocityTransferredWindowMs: number;
  readonly velocityFundingLimitSat: bigint;
  readonly velocityFundingWindowMs: number;
  readonly velocityL1FeesLimitSat: bigint;
  readonly velocityL1FeesWindowMs: number;
  /** Routing fee bounds (incoming − outgoing): at most base + ppm of the outgoing amount. */
  readonly maxRoutingFeeBaseMsat: bigint;
  readonly maxRoutingFeePpm: number;
  /** An outgoing HTLC must expire at least this many blocks before its incoming one. */
  readonly minRoutingCltvDeltaBlocks: number;
  /** Fee a payment may add to its approved amount: base + ppm of the approved amount. */
  readonly maxPaymentFeeBaseMsat: bigint;
  readonly maxPaymentFeePpm: number;
}

/** Overrides accepted by policyConfig: any subset; optionalRules is merged key by key. */
export type PolicyConfigOverrides = Partial<Omit<PolicyConfig, "optionalRules">> & {
  readonly optionalRules?: Partial<Record<OptionalRuleId, boolean>>;
};

/** One day in milliseconds (the default velocity window). */
const DAY_MS = 86_400_000;

/** Mainnet-sane defaults; every value is documented on PolicyConfig. */
export const DEFAULT_POLICY_CONFIG: PolicyConfig = Object.freeze({
  network: "bitcoin",
  minHolderToSelfDelayBlocks: 144, // one day
  maxHolderToSelfDelayBlocks: 2016, // two weeks
  minCounterpartyToSelfDelayBlocks: 144,
  maxCounterpartyToSelfDelayBlocks: 2016,
  maxChannelCount: 1000,
  maxFundingSat: 1_000_000_000n, // 10 BTC
  minFeeratePerKw: 253,
  maxFeeratePerKw: 100_000,
  maxHtlcCount: 483,
  maxHtlcValueInFlightMsat: 100_000_000_000n, // 1 BTC
  maxCltvExpiryDeltaBlocks: 2016,
  minMutualFeeratePerKw: 253,
  maxMutualFeeratePerKw: 100_000,
  maxMutualFeeSat: 100_000n,
  mutualValueToleranceMsat: 2_000n,
  minHtlcFeeratePerKw: 253,
  maxHtlcFeeratePerKw: 100_000,
  minSweepFeeratePerKw: 253,
  maxSweepFeeratePerKw: 25_000, // ≈ 100 sat/vB when there is no hurry
  sweepUrgencyHorizonBlocks: 144,
  optionalRules: Object.freeze({
    "policy-revoke-watchtower-attested": false, // needs a configured watchtower
    "policy-commitment-payment-allowlisted": false, // needs a payee allowlist
    "policy-merchant-no-sends": false, // merchant profile
    "policy-no-routing": false, // no-routing profile
    "policy-ecdh-rate": true, // warns by default
  }),
  allowlist: Object.freeze([]),
  minOnchainFeeratePerKw: 253, // the relay floor: below it a funding tx may never confirm
  maxOnchainFeeratePerKw: 100_000, // ≈ 400 sat/vB, as for commitments
  maxOnchainFeeSat: 1_000_000n, // 0.01 BTC per transaction
  // Velocity, per day: a compromised node can drain at most this much per window.
  velocityPaymentsLimitMsat: 10_000_000_000n, // 0.1 BTC of outgoing payments
  velocityPaymentsWindowMs: DAY_MS,
  velocityTransferredLimitMsat: 100_000_000_000n, // 1 BTC moved to peers
  velocityTransferredWindowMs: DAY_MS,
  velocityFundingLimitSat: 500_000_000n, // 5 BTC of new channels
  velocityFundingWindowMs: DAY_MS,
  velocityL1FeesLimitSat: 2_000_000n, // 0.02 BTC of on-chain fees
  velocityL1FeesWindowMs: DAY_MS,
  maxRoutingFeeBaseMsat: 1_000_000n, // 1000 sat
  maxRoutingFeePpm: 10_000, // 1 %
  minRoutingCltvDeltaBlocks: 18, // BOLT 2's recommended minimum final delta
  maxPaymentFeeBaseMsat: 100_000n, // 100 sat
  maxPaymentFeePpm: 10_000, // 1 %
} satisfies PolicyConfig);

const NETWORKS: readonly Network[] = ["bitcoin", "testnet", "signet", "regtest"];
const U32_MAX = 0xffffffff;
const MAX_CSV_BLOCKS = 0xffff;
const BOLT2_MAX_HTLCS = 483;
const HEX_RE = /^(?:[0-9a-fA-F]{2})+$/;
/** Velocity windows are at most a year (longer ones are surely a unit mistake). */
const MAX_VELOCITY_WINDOW_MS = 366 * 86_400_000;

function bad(message: string): never {
  throw new PolicyConfigError("policy/config", message);
}

function intIn(cfg: PolicyConfig, key: keyof PolicyConfig, lo: number, hi: number): void {
  const v = cfg[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < lo || v > hi) {
    bad(`${key} must be an integer in [${lo}, ${hi}]`);
  }
}

function nonNegBigint(cfg: PolicyConfig, key: keyof PolicyConfig): void {
  const v = cfg[key];
  if (typeof v !== "bigint" || v < 0n) bad(`${key} must be a non-negative bigint`);
}

function ordered(cfg: PolicyConfig, lo: keyof PolicyConfig, hi: keyof PolicyConfig): void {
  if ((cfg[lo] as number) > (cfg[hi] as number)) bad(`${lo} must not exceed ${hi}`);
}

/** Defaults merged with `overrides`, validated (PolicyConfigError on unknown keys or nonsense). */
export function policyConfig(overrides: PolicyConfigOverrides = {}): PolicyConfig {
  for (const key of Object.keys(overrides)) {
    if (!(key in DEFAULT_POLICY_CONFIG)) bad(`unknown setting ${JSON.stringify(key)}`);
  }
  const optional: Record<OptionalRuleId, boolean> = { ...DEFAULT_POLICY_CONFIG.optionalRules };
  for (const [id, on] of Object.entries(overrides.optionalRules ?? {})) {
    if (!(OPTIONAL_RULE_IDS as readonly string[]).includes(id)) {
      bad(`optionalRules: ${JSON.stringify(id)} is not an optional rule`);
    }
    if (typeof on !== "boolean") bad(`optionalRules: ${id} must be true or false`);
    optional[id as OptionalRuleId] = on;
  }
  const allowlist = (overrides.allowlist ?? DEFAULT_POLICY_CONFIG.allowlist).map((h) => {
    if (typeof h !== "string" || !HEX_RE.test(h)) bad("allowlist entries must be scriptPubKey hex");
    return h.toLowerCase();
  });
  const defined = Object.fromEntries(
    Object.entries(overrides).filter(([, v]) => v !== undefined),
  ) as PolicyConfigOverrides;
  const cfg: PolicyConfig = {
    ...DEFAULT_POLICY_CONFIG,
    ...defined,
    optionalRules: Object.freeze(optional),
    allowlist: Object.freeze([...new Set(allowlist)]),
  };
  if (!NETWORKS.includes(cfg.network)) bad("network must be bitcoin, testnet, signet or regtest");
  intIn(cfg, "minHolderToSelfDelayBlocks", 0, MAX_CSV_BLOCKS);
  intIn(cfg, "maxHolderToSelfDelayBlocks", 0, MAX_CSV_BLOCKS);
  intIn(cfg, "minCounterpartyToSelfDelayBlocks", 0, MAX_CSV_BLOCKS);
  intIn(cfg, "maxCounterpartyToSelfDelayBlocks", 0, MAX_CSV_BLOCKS);
  ordered(cfg, "minHolderToSelfDelayBlocks", "maxHolderToSelfDelayBlocks");
  ordered(cfg, "minCounterpartyToSelfDelayBlocks", "maxCounterpartyToSelfDelayBlocks");
  intIn(cfg, "maxChannelCount", 0, Number.MAX_SAFE_INTEGER);
  nonNegBigint(cfg, "maxFundingSat");
  for (const [lo, hi] of [
    ["minFeeratePerKw", "maxFeeratePerKw"],
    ["minMutualFeeratePerKw", "maxMutualFeeratePerKw"],
    ["minHtlcFeeratePerKw", "maxHtlcFeeratePerKw"],
    ["minSweepFeeratePerKw", "maxSweepFeeratePerKw"],
  ] as const) {
    intIn(cfg, lo, 0, U32_MAX);
    intIn(cfg, hi, 0, U32_MAX);
    ordered(cfg, lo, hi);
  }
  intIn(cfg, "maxHtlcCount", 0, BOLT2_MAX_HTLCS);
  nonNegBigint(cfg, "maxHtlcValueInFlightMsat");
  intIn(cfg, "maxCltvExpiryDeltaBlocks", 0, U32_MAX);
  nonNegBigint(cfg, "maxMutualFeeSat");
  nonNegBigint(cfg, "mutualValueToleranceMsat");
  intIn(cfg, "sweepUrgencyHorizonBlocks", 1, U32_MAX);
  intIn(cfg, "minOnchainFeeratePerKw", 0, U32_MAX);
  intIn(cfg, "maxOnchainFeeratePerKw", 0, U32_MAX);
  ordered(cfg, "minOnchainFeeratePerKw", "maxOnchainFeeratePerKw");
  nonNegBigint(cfg, "maxOnchainFeeSat");
  for (const [limit, window] of [
    ["velocityPaymentsLimitMsat", "velocityPaymentsWindowMs"],
    ["velocityTransferredLimitMsat", "velocityTransferredWindowMs"],
    ["velocityFundingLimitSat", "velocityFundingWindowMs"],
    ["velocityL1FeesLimitSat", "velocityL1FeesWindowMs"],
  ] as const) {
    nonNegBigint(cfg, limit);
    intIn(cfg, window, 1, MAX_VELOCITY_WINDOW_MS);
  }
  nonNegBigint(cfg, "maxRoutingFeeBaseMsat");
  intIn(cfg, "maxRoutingFeePpm", 0, 1_000_000);
  intIn(cfg, "minRoutingCltvDeltaBlocks", 0, MAX_CSV_BLOCKS);
  nonNegBigint(cfg, "maxPaymentFeeBaseMsat");
  intIn(cfg, "maxPaymentFeePpm", 0, 1_000_000);
  return Object.freeze(cfg);
}

/**
 * Maximum sweep fee rate with `blocksToDeadline` blocks left: the normal cap at or beyond the
 * urgency horizon, then cap × horizon / blocks (doubling each time the time left halves), and
 * `undefined` (no fee-rate bound: the fee is capped only by the swept value) at or past the
 * deadline. Never below minSweepFeeratePerKw; non-increasing in blocksToDeadline.
 */
export function sweepMaxFeeratePerKw(
  config: PolicyConfig,
  blocksToDeadline: number,
): number | undefined {
  if (!Number.isFinite(blocksToDeadline) && blocksToDeadline > 0) {
    return config.maxSweepFeeratePerKw;
  }
  if (Number.isNaN(blocksToDeadline)) bad("blocksToDeadline must be a number");
  if (blocksToDeadline <= 0) return undefined;
  const horizon = config.sweepUrgencyHorizonBlocks;
  if (blocksToDeadline >= horizon) return config.maxSweepFeeratePerKw;
  const widened = Math.floor((config.maxSweepFeeratePerKw * horizon) / blocksToDeadline);
  return Math.max(config.minSweepFeeratePerKw, Math.min(widened, Number.MAX_SAFE_INTEGER));
}

/**
 * Maximum absolute sweep fee in sat for a sweep of `weight` weight units spending
 * `sweptValueSat`: the fee-rate cap applied to the weight (rounded up), never more than the
 * swept value, and the whole swept value at or past the deadline.
 */
export function sweepMaxFeeSat(
  config: PolicyConfig,
  blocksToDeadline: number,
  weight: number,
  sweptValueSat: bigint,
): bigint {
  if (!Number.isSafeInteger(weight) || weight < 0) bad("weight must be a non-negative integer");
  if (sweptValueSat < 0n) bad("sweptValueSat must be non-negative");
  const rate = sweepMaxFeeratePerKw(config, blocksToDeadline);
  if (rate === undefined) return sweptValueSat;
  const byRate = (BigInt(rate) * BigInt(weight) + 999n) / 1000n;
  return byRate < sweptValueSat ? byRate : sweptValueSat;
}
