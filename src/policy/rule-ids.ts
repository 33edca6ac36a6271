/**
 * The policy rule catalogue (../shared/docs/policy-rules.md) as data: every rule id, its
 * section, default severity, whether an operator may demote it to a warning, and whether it is
 * optional (off unless enabled in PolicyConfig.optionalRules).
 *
 * Demotability criterion. Each rule has a `kind`:
 *  - "format": the rule refuses something that is not what the signer would itself build or
 *    derive from its own state plus the few legitimate protocol inputs: transaction fields
 *    (version, locktime, sequence), inputs, output sets, scripts and keys, negotiated channel
 *    parameters (a to_self_delay other than the negotiated one is a mismatch, not a bound),
 *    trimming, anchors, accounting identities (value conserved, initial funding value),
 *    channel types the BOLT 3 engine does not build, cryptographic facts (a revocation secret
 *    that does not match, a header chain that does not validate) and domain separation (a
 *    "message" that is a transaction). Demoting one would turn the signer into a blind signer
 *    for attacker-chosen fields, so format rules can NEVER be demoted.
 *  - "state": state-machine safety: never sign a revoked or superseded state, revoke only in
 *    protocol order, a retry must be identical, no new state after a close (signed or seen on
 *    chain), never reuse a forgotten channel id, never contradict a fact the signer already
 *    recorded (an input amount). Violations lose funds outright, so these can NEVER be
 *    demoted either.
 *  - "limit": an economic or operational bound or preference (fee ranges, counts, sizes,
 *    velocity, allowlists, payment approval, chain freshness). The operator may judge these,
 *    so they are demotable to "warn" with a PolicyFilter.
 *
 * Default severity is "error" (refuse) for every rule except policy-ecdh-rate, a heuristic
 * that warns. Optional rules (the catalogue's "(optional)" and "(profile)" rules) need
 * configuration the signer cannot guess (a watchtower, a payee allowlist, a node profile), so
 * all but policy-ecdh-rate are disabled by default; see DEFAULT_POLICY_CONFIG.optionalRules.
 */

/** Every rule id of the catalogue, in catalogue order. */
export const RULE_IDS = [
  // Channel opening
  "policy-channel-contest-delay-range-holder",
  "policy-channel-contest-delay-range-counterparty",
  "policy-channel-safe-mode",
  "policy-channel-id-reuse",
  "policy-channel-upfront-shutdown-allowlisted",
  "policy-channel-count-limit",
  "policy-funding-max",
  // On-chain transactions
  "policy-onchain-output-scriptpubkey",
  "policy-onchain-output-match-commitment",
  "policy-onchain-initial-commitment-countersigned",
  "policy-onchain-no-unknown-outputs",
  "policy-onchain-no-channel-push",
  "policy-onchain-no-fund-inbound",
  "policy-onchain-fee-range",
  "policy-onchain-format-standard",
  "policy-onchain-funding-non-malleable",
  "policy-onchain-input-amount-consistent",
  "policy-velocity-funding",
  "policy-velocity-l1-fees",
  // Commitment transactions
  "policy-commitment-input-single",
  "policy-commitment-input-match-funding",
  "policy-commitment-version",
  "policy-commitment-locktime",
  "policy-commitment-sequence",
  "policy-commitment-singular-to-holder",
  "policy-commitment-singular-to-counterparty",
  "policy-commitment-no-unrecognized-outputs",
  "policy-commitment-revocation-pubkey",
  "policy-commitment-broadcaster-pubkey",
  "policy-commitment-countersignatory-pubkey",
  "policy-commitment-htlc-revocation-pubkey",
  "policy-commitment-htlc-holder-htlc-pubkey",
  "policy-commitment-htlc-counterparty-htlc-pubkey",
  "policy-commitment-to-self-delay-range",
  "policy-commitment-initial-funding-value",
  "policy-commitment-first-no-htlcs",
  "policy-commitment-fee-range",
  "policy-commitment-htlc-count-limit",
  "policy-commitment-htlc-inflight-limit",
  "policy-commitment-htlc-cltv-range",
  "policy-commitment-outputs-trimmed",
  "policy-commitment-anchors-not-when-off",
  "policy-commitment-anchor-to-holder",
  "policy-commitment-anchor-to-counterparty",
  "policy-commitment-anchor-amount",
  "policy-commitment-anchor-match-fundingkey",
  "policy-commitment-previous-revoked",
  "policy-commitment-retry-same",
  "policy-commitment-holder-not-revoked",
  "policy-commitment-spends-active-utxo",
  "policy-commitment-balance-decrease-justified",
  // Revocation
  "policy-revoke-new-commitment-signed",
  "policy-revoke-new-commitment-valid",
  "policy-revoke-not-closed",
  "policy-revocation-secret-matches",
  "policy-revocation-shachain-consistent",
  "policy-revoke-watchtower-attested",
  // Payments
  "policy-routing-balanced",
  "policy-routing-fee-limit",
  "policy-routing-cltv-delta",
  "policy-routing-input-active",
  "policy-commitment-payment-settled-preimage",
  "policy-commitment-payment-invoiced",
  "policy-commitment-payment-approved",
  "policy-commitment-payment-allowlisted",
  "policy-invoice-not-expired",
  "policy-payment-not-duplicate",
  "policy-velocity-payments",
  "policy-velocity-transferred",
  "policy-allowance-recurring",
  "policy-merchant-no-sends",
  "policy-no-routing",
  // HTLC transactions
  "policy-htlc-version",
  "policy-htlc-locktime",
  "policy-htlc-sequence",
  "policy-htlc-other",
  "policy-htlc-revocation-pubkey",
  "policy-htlc-delayed-pubkey",
  "policy-htlc-to-self-delay",
  "policy-htlc-fee-range",
  "policy-htlc-cltv-range",
  // Mutual close
  "policy-mutual-destination-allowlisted",
  "policy-mutual-value-matches-commitment",
  "policy-mutual-fee-range",
  "policy-mutual-no-pending-htlcs",
  // Sweeps
  "policy-sweep-version",
  "policy-sweep-sequence",
  "policy-sweep-locktime",
  "policy-sweep-destination-allowlisted",
  "policy-sweep-fee-range",
  // Splicing
  "policy-splice-out-destination",
  "policy-splice-value-conserved",
  // Node-level signing
  "policy-gossip-own-channels",
  "policy-invoice-own-node",
  "policy-ecdh-rate",
  "policy-message-prefix",
  // Chain
  "policy-chain-headers-valid",
  "policy-chain-tip-fresh",
  "policy-chain-close-seen-no-new-state",
] as const;

/** A rule id from the catalogue. */
export type RuleId = (typeof RULE_IDS)[number];

/** The optional rules: disabled or enabled per PolicyConfig.optionalRules. */
export const OPTIONAL_RULE_IDS = [
  "policy-revoke-watchtower-attested",
  "policy-commitment-payment-allowlisted",
  "policy-merchant-no-sends",
  "policy-no-routing",
  "policy-ecdh-rate",
] as const satisfies readonly RuleId[];

/** An optional rule id. */
export type OptionalRuleId = (typeof OPTIONAL_RULE_IDS)[number];

/** What a rule does when it fires: refuse the request, or sign and log + count. */
export type Severity = "error" | "warn";

/** Why a rule is (not) demotable; see the criterion at the top of this file. */
export type RuleKind = "format" | "state" | "limit";

/** Catalogue entry of one rule. */
export interface RuleInfo {
  readonly id: RuleId;
  /** The catalogue section heading (e.g. "Commitment transactions"). */
  readonly section: string;
  readonly defaultSeverity: Severity;
  /** False for "format" and "state" rules: no filter can demote them. */
  readonly demotable: boolean;
  /** True when the rule only runs if enabled in PolicyConfig.optionalRules. */
  readonly optional: boolean;
  readonly kind: RuleKind;
  readonly summary: string;
}

const CHANNEL = "Channel opening";
const ONCHAIN = "On-chain transactions";
const COMMITMENT = "Commitment transactions";
const REVOCATION = "Revocation";
const PAYMENTS = "Payments";
const HTLC = "HTLC transactions";
const MUTUAL = "Mutual close";
const SWEEPS = "Sweeps";
const SPLICING = "Splicing";
const NODE = "Node-level signing";
const CHAIN = "Chain";

type Def = readonly [section: string, kind: RuleKind, summary: string];

const DEFS: Record<RuleId, Def> = {
  "policy-channel-contest-delay-range-holder": [
    CHANNEL,
    "limit",
    "holder to_self_delay outside the configured range",
  ],
  "policy-channel-contest-delay-range-counterparty": [
    CHANNEL,
    "limit",
    "counterparty to_self_delay outside the configured range",
  ],
  "policy-channel-safe-mode": [
    CHANNEL,
    "format",
    "channel type other than static_remotekey or anchors_zero_fee_htlc_tx",
  ],
  "policy-channel-id-reuse": [CHANNEL, "state", "channel id at or below the highest forgotten one"],
  "policy-channel-upfront-shutdown-allowlisted": [
    CHANNEL,
    "limit",
    "upfront shutdown script neither our wallet nor allowlisted",
  ],
  "policy-channel-count-limit": [CHANNEL, "limit", "more open channels than configured"],
  "policy-funding-max": [CHANNEL, "limit", "channel larger than the configured maximum"],

  "policy-onchain-output-scriptpubkey": [
    ONCHAIN,
    "format",
    "funding output script is not the channel's 2-of-2",
  ],
  "policy-onchain-output-match-commitment": [
    ONCHAIN,
    "format",
    "funding output amount differs from the channel value",
  ],
  "policy-onchain-initial-commitment-countersigned": [
    ONCHAIN,
    "state",
    "funding before the peer signed our first commitment",
  ],
  "policy-onchain-no-unknown-outputs": [
    ONCHAIN,
    "limit",
    "output not to our wallet, an allowlisted destination or a channel we fund",
  ],
  "policy-onchain-no-channel-push": [ONCHAIN, "limit", "funding a channel with a push to the peer"],
  "policy-onchain-no-fund-inbound": [
    ONCHAIN,
    "limit",
    "our funds used for a channel the peer opened",
  ],
  "policy-onchain-fee-range": [
    ONCHAIN,
    "limit",
    "on-chain fee rate or absolute fee outside bounds",
  ],
  "policy-onchain-format-standard": [ONCHAIN, "format", "non-standard version or size"],
  "policy-onchain-funding-non-malleable": [
    ONCHAIN,
    "format",
    "non-segwit input in a channel funding transaction",
  ],
  "policy-onchain-input-amount-consistent": [
    ONCHAIN,
    "state",
    "input amount differs from one claimed earlier for the same outpoint",
  ],
  "policy-velocity-funding": [ONCHAIN, "limit", "channel funding over the per-period limit"],
  "policy-velocity-l1-fees": [ONCHAIN, "limit", "on-chain fees over the per-period limit"],

  "policy-commitment-input-single": [COMMITMENT, "format", "commitment without exactly one input"],
  "policy-commitment-input-match-funding": [
    COMMITMENT,
    "format",
    "commitment input not the funding outpoint",
  ],
  "policy-commitment-version": [COMMITMENT, "format", "commitment version other than BOLT 3's"],
  "policy-commitment-locktime": [COMMITMENT, "format", "commitment locktime other than BOLT 3's"],
  "policy-commitment-sequence": [COMMITMENT, "format", "commitment sequence other than BOLT 3's"],
  "policy-commitment-singular-to-holder": [COMMITMENT, "format", "more than one to_holder output"],
  "policy-commitment-singular-to-counterparty": [
    COMMITMENT,
    "format",
    "more than one to_counterparty output",
  ],
  "policy-commitment-no-unrecognized-outputs": [
    COMMITMENT,
    "format",
    "commitment output the signer would not build",
  ],
  "policy-commitment-revocation-pubkey": [COMMITMENT, "format", "wrong revocation pubkey"],
  "policy-commitment-broadcaster-pubkey": [
    COMMITMENT,
    "format",
    "wrong broadcaster delayed pubkey",
  ],
  "policy-commitment-countersignatory-pubkey": [
    COMMITMENT,
    "format",
    "wrong countersignatory pubkey",
  ],
  "policy-commitment-htlc-revocation-pubkey": [
    COMMITMENT,
    "format",
    "wrong HTLC revocation pubkey",
  ],
  "policy-commitment-htlc-holder-htlc-pubkey": [COMMITMENT, "format", "wrong holder HTLC pubkey"],
  "policy-commitment-htlc-counterparty-htlc-pubkey": [
    COMMITMENT,
    "format",
    "wrong counterparty HTLC pubkey",
  ],
  "policy-commitment-to-self-delay-range": [
    COMMITMENT,
    "format",
    "to_local delay other than the negotiated one",
  ],
  "policy-commitment-initial-funding-value": [
    COMMITMENT,
    "format",
    "first commitment does not give the funder its funding value",
  ],
  "policy-commitment-first-no-htlcs": [COMMITMENT, "format", "HTLCs on commitment 0"],
  "policy-commitment-fee-range": [COMMITMENT, "limit", "commitment fee rate outside bounds"],
  "policy-commitment-htlc-count-limit": [COMMITMENT, "limit", "too many HTLC outputs"],
  "policy-commitment-htlc-inflight-limit": [COMMITMENT, "limit", "too much HTLC value in flight"],
  "policy-commitment-htlc-cltv-range": [
    COMMITMENT,
    "limit",
    "HTLC expiry too far from the current height",
  ],
  "policy-commitment-outputs-trimmed": [
    COMMITMENT,
    "format",
    "dust outputs not trimmed, or non-dust outputs trimmed",
  ],
  "policy-commitment-anchors-not-when-off": [
    COMMITMENT,
    "format",
    "anchor outputs on a channel without anchors",
  ],
  "policy-commitment-anchor-to-holder": [COMMITMENT, "format", "wrong or missing holder anchor"],
  "policy-commitment-anchor-to-counterparty": [
    COMMITMENT,
    "format",
    "wrong or missing counterparty anchor",
  ],
  "policy-commitment-anchor-amount": [COMMITMENT, "format", "anchor amount other than 330 sat"],
  "policy-commitment-anchor-match-fundingkey": [
    COMMITMENT,
    "format",
    "anchor not keyed to the funding pubkey",
  ],
  "policy-commitment-previous-revoked": [
    COMMITMENT,
    "state",
    "signing counterparty commitment n+2 before n was revoked",
  ],
  "policy-commitment-retry-same": [
    COMMITMENT,
    "state",
    "retry of a signed commitment number with different content",
  ],
  "policy-commitment-holder-not-revoked": [
    COMMITMENT,
    "state",
    "signing a holder commitment we already revoked",
  ],
  "policy-commitment-spends-active-utxo": [
    COMMITMENT,
    "limit",
    "commitment > 0 while the funding output is not confirmed and unspent",
  ],
  "policy-commitment-balance-decrease-justified": [
    COMMITMENT,
    "limit",
    "balance decrease not justified by a payment rule",
  ],

  "policy-revoke-new-commitment-signed": [
    REVOCATION,
    "state",
    "revoking n before the peer's signatures on n+1 were validated",
  ],
  "policy-revoke-new-commitment-valid": [
    REVOCATION,
    "state",
    "revoking n when commitment n+1 failed a commitment rule",
  ],
  "policy-revoke-not-closed": [REVOCATION, "state", "revoking after signing a mutual close"],
  "policy-revocation-secret-matches": [
    REVOCATION,
    "format",
    "counterparty secret does not match the signed-against point",
  ],
  "policy-revocation-shachain-consistent": [
    REVOCATION,
    "format",
    "counterparty secret inconsistent with shachain storage",
  ],
  "policy-revoke-watchtower-attested": [
    REVOCATION,
    "limit",
    "revoking before the watchtower attested (optional)",
  ],

  "policy-routing-balanced": [
    PAYMENTS,
    "limit",
    "offered HTLC not covered by an incoming HTLC or an approved payment",
  ],
  "policy-routing-fee-limit": [PAYMENTS, "limit", "routing fee outside bounds"],
  "policy-routing-cltv-delta": [
    PAYMENTS,
    "limit",
    "outgoing HTLC expiry too close to the incoming one",
  ],
  "policy-routing-input-active": [
    PAYMENTS,
    "limit",
    "routing against a closed or unconfirmed incoming channel",
  ],
  "policy-commitment-payment-settled-preimage": [
    PAYMENTS,
    "limit",
    "offered HTLC removed as settled without its preimage",
  ],
  "policy-commitment-payment-invoiced": [
    PAYMENTS,
    "limit",
    "paying more than the invoice amount plus fee limit",
  ],
  "policy-commitment-payment-approved": [
    PAYMENTS,
    "limit",
    "paying an unapproved invoice or keysend",
  ],
  "policy-commitment-payment-allowlisted": [
    PAYMENTS,
    "limit",
    "paying a payee not on the allowlist (optional)",
  ],
  "policy-invoice-not-expired": [PAYMENTS, "limit", "paying an expired invoice"],
  "policy-payment-not-duplicate": [PAYMENTS, "limit", "paying the same payment hash twice"],
  "policy-velocity-payments": [PAYMENTS, "limit", "outgoing payments over the per-period limit"],
  "policy-velocity-transferred": [
    PAYMENTS,
    "limit",
    "value moved to peers over the per-period limit",
  ],
  "policy-allowance-recurring": [PAYMENTS, "limit", "payment exceeding its recurring allowance"],
  "policy-merchant-no-sends": [
    PAYMENTS,
    "limit",
    "balance decrease other than closing or loop-out (merchant profile)",
  ],
  "policy-no-routing": [PAYMENTS, "limit", "any forwarded payment (no-routing profile)"],

  "policy-htlc-version": [HTLC, "format", "HTLC tx version other than BOLT 3's"],
  "policy-htlc-locktime": [HTLC, "format", "HTLC tx locktime other than BOLT 3's"],
  "policy-htlc-sequence": [HTLC, "format", "HTLC tx sequence other than BOLT 3's"],
  "policy-htlc-other": [HTLC, "format", "HTLC tx field other than BOLT 3's"],
  "policy-htlc-revocation-pubkey": [HTLC, "format", "wrong revocation pubkey on the HTLC output"],
  "policy-htlc-delayed-pubkey": [HTLC, "format", "wrong delayed pubkey on the HTLC output"],
  "policy-htlc-to-self-delay": [HTLC, "format", "HTLC output delay other than the negotiated one"],
  "policy-htlc-fee-range": [HTLC, "limit", "HTLC tx fee outside bounds"],
  "policy-htlc-cltv-range": [HTLC, "format", "HTLC-timeout locktime other than the HTLC's expiry"],

  "policy-mutual-destination-allowlisted": [
    MUTUAL,
    "limit",
    "our close output not to our wallet, allowlist or upfront script",
  ],
  "policy-mutual-value-matches-commitment": [
    MUTUAL,
    "limit",
    "our close output below our latest balance minus fee share",
  ],
  "policy-mutual-fee-range": [MUTUAL, "limit", "mutual close fee outside bounds"],
  "policy-mutual-no-pending-htlcs": [MUTUAL, "state", "closing with HTLCs outstanding"],

  "policy-sweep-version": [SWEEPS, "format", "sweep version malformed"],
  "policy-sweep-sequence": [SWEEPS, "format", "sweep sequence malformed"],
  "policy-sweep-locktime": [SWEEPS, "format", "sweep locktime malformed"],
  "policy-sweep-destination-allowlisted": [
    SWEEPS,
    "limit",
    "sweep destination not our wallet or allowlisted",
  ],
  "policy-sweep-fee-range": [SWEEPS, "limit", "sweep fee outside deadline-dependent bounds"],

  "policy-splice-out-destination": [
    SPLICING,
    "limit",
    "spliced-out value not to our wallet or allowlist",
  ],
  "policy-splice-value-conserved": [
    SPLICING,
    "format",
    "splice value or our share does not match inputs minus outputs",
  ],

  "policy-gossip-own-channels": [
    NODE,
    "format",
    "gossip for a channel we don't have, or our key in the wrong slot",
  ],
  "policy-invoice-own-node": [
    NODE,
    "format",
    "invoice payee, hash or amount not what the node asked for",
  ],
  "policy-ecdh-rate": [NODE, "limit", "ECDH rate suggesting key-oracle abuse (optional)"],
  "policy-message-prefix": [NODE, "format", "message that parses as a transaction or gossip"],

  "policy-chain-headers-valid": [
    CHAIN,
    "format",
    "header that does not chain, bad proof of work or retarget",
  ],
  "policy-chain-tip-fresh": [CHAIN, "limit", "chain view older than the configured staleness"],
  "policy-chain-close-seen-no-new-state": [
    CHAIN,
    "state",
    "new commitment after the funding was spent on chain",
  ],
};

const OPTIONAL: ReadonlySet<RuleId> = new Set<RuleId>(OPTIONAL_RULE_IDS);
/** Rules that warn rather than refuse by default (heuristics with false positives). */
const WARN_BY_DEFAULT: ReadonlySet<RuleId> = new Set<RuleId>(["policy-ecdh-rate"]);

/** The catalogue: one frozen RuleInfo per RuleId; format and state rules are never demotable. */
export const RULES: Readonly<Record<RuleId, RuleInfo>> = Object.freeze(
  Object.fromEntries(
    RULE_IDS.map((id): [RuleId, RuleInfo] => {
      const [section, kind, summary] = DEFS[id];
      const info: RuleInfo = {
        id,
        section,
        defaultSeverity: WARN_BY_DEFAULT.has(id) ? "warn" : "error",
        demotable: kind === "limit",
        optional: OPTIONAL.has(id),
        kind,
        summary,
      };
      return [id, Object.freeze(info)];
    }),
  ) as Record<RuleId, RuleInfo>,
);

const RULE_ID_SET: ReadonlySet<string> = new Set<string>(RULE_IDS);

/** True exactly when `s` is a catalogue rule id. */
export function isRuleId(s: string): s is RuleId {
  return RULE_ID_SET.has(s);
}

/** True exactly when `id` is one of the optional rules. */
export function isOptionalRuleId(id: string): id is OptionalRuleId {
  return OPTIONAL.has(id as RuleId);
}
