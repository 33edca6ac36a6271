/**
 * Negative tests of the Channel opening, Commitment transactions, Revocation and Mutual close
 * rules, VLS-style: one baseline (a funded channel and a valid next request), each case changes
 * one thing and names the single rule that must refuse it. `runRuleCase` checks the refusal,
 * that nothing changed, and for demotable rules that the same request signs under a filter that
 * demotes the rule and counts exactly one warning. The rules-*.test.ts files register the cases;
 * rules-coverage.test.ts checks every id of the four sections has one.
 */
import assert from "node:assert/strict";
import { p2wpkh, p2wsh } from "../../src/bitcoin/outputs.js";
import type { Tx } from "../../src/bitcoin/tx.js";
import type { ChannelType } from "../../src/bolt3/channel-type.js";
import { anchorScript } from "../../src/bolt3/scripts.js";
import { sha256 } from "../../src/crypto/hash.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import { RULES, type RuleId } from "../../src/policy/rule-ids.js";
import type { FundingState } from "../../src/policy/rules/commitment.js";
import type { MutualCloseProposal } from "../../src/policy/rules/mutual-close.js";
import type { Channel } from "../../src/signer/channel.js";
import type { Node } from "../../src/signer/node.js";
import type { ChannelSetup } from "../../src/state/channel-setup.js";
import type { CommitmentProposal } from "../../src/state/commitment-proposal.js";
import { bytesToHex } from "../../src/util/bytes.js";
import {
  defaultSetup,
  expectRefusal,
  fundChannel,
  honestRound,
  nextCounterpartyProposal,
  nextHolderProposal,
  openTestChannel,
  Peer,
  peerSignsHolderCommitment,
  snapshot,
  type TestChannel,
  testHtlc,
  testNode,
  type TestNodeOptions,
  withTx,
} from "./harness.js";

/** What a case prepares: the channel to watch and the one request that must be refused. */
export interface Prepared {
  channel?: Channel;
  request: () => Promise<unknown>;
}

/** One negative test: a rule id, what breaks it, and how. */
export interface RuleCase {
  id: RuleId;
  title: string;
  /** Node options of the baseline (the demoted run adds the id to `demote`). */
  node?: TestNodeOptions;
  prepare: (node: Node) => Promise<Prepared>;
}

/** The four sections these cases cover. */
export const COVERED_SECTIONS = [
  "Channel opening",
  "Commitment transactions",
  "Revocation",
  "Mutual close",
] as const;

/** The test name of a case: the rule id first. */
export function caseName(rc: RuleCase): string {
  return `${rc.id}: ${rc.title}`;
}

/** Refused with exactly rc.id, nothing changed; if demotable, signed under a demoting filter. */
export async function runRuleCase(rc: RuleCase): Promise<void> {
  const node = await testNode(rc.node);
  const { channel, request } = await rc.prepare(node);
  const before = await snapshot(node, channel);
  const warningsBefore = node.policy.warnings();
  await expectRefusal(request(), rc.id);
  assert.equal(await snapshot(node, channel), before, "a refusal changed the state");
  assert.deepEqual(node.policy.warnings(), warningsBefore, "a refusal counted warnings");
  if (RULES[rc.id].demotable) {
    const demoted = await testNode({ ...rc.node, demote: [...(rc.node?.demote ?? []), rc.id] });
    const again = await rc.prepare(demoted);
    const base = demoted.policy.warnings()[rc.id] ?? 0;
    await again.request();
    assert.equal((demoted.policy.warnings()[rc.id] ?? 0) - base, 1);
    assert.equal(demoted.policy.warnings()[rc.id], 1);
  }
}

// ---- baseline ------------------------------------------------------------------------------

/** The peer starts with this balance, so both balance outputs exist. */
export const PUSH_MSAT = 2_000_000_000n;

/** A channel through the funding handshake (holder and counterparty commitment 0). */
export async function funded(
  node: Node,
  over: Partial<ChannelSetup> = {},
  id?: string,
): Promise<TestChannel> {
  const t = await openTestChannel(node, id, { pushMsat: PUSH_MSAT, ...over });
  await fundChannel(t);
  return t;
}

/** The baseline request on a funded channel: sign counterparty commitment 1 (no change). */
function signCp(t: TestChannel, p: CommitmentProposal): Prepared {
  return {
    channel: t.channel,
    request: () => t.channel.signCounterpartyCommitment(t.peer.point(p.commitmentNumber), p),
  };
}

/** Counterparty commitment 1 with the node's own built tx, changed by `mutate`. */
async function cpTxCase(
  node: Node,
  mutate: (tx: Tx, t: TestChannel) => void,
  over: Partial<ChannelSetup> = {},
): Promise<Prepared> {
  const t = await funded(node, over);
  const p = withTx(t, "counterparty", nextCounterpartyProposal(t));
  mutate(p.tx, t);
  return signCp(t, p);
}

/** Counterparty commitment 1 with the proposal changed by `mutate`. */
async function cpCase(
  node: Node,
  mutate: (p: CommitmentProposal, t: TestChannel) => CommitmentProposal,
): Promise<Prepared> {
  const t = await funded(node);
  return signCp(t, mutate(nextCounterpartyProposal(t), t));
}

/** A 33-byte point nobody derived for this channel. */
const STRANGER = publicKey(sha256(Buffer.from("stranger")));

/** Our anchor's scriptPubKey (keyed to our funding pubkey). */
function ourAnchor(t: TestChannel): Uint8Array {
  return p2wsh(anchorScript(t.channel.basepoints.fundingPubkey));
}

function theirAnchor(t: TestChannel): Uint8Array {
  return p2wsh(anchorScript(t.setup.counterpartyBasepoints.fundingPubkey));
}

function outputIndex(tx: Tx, script: Uint8Array): number {
  const i = tx.outputs.findIndex((o) => bytesToHex(o.script) === bytesToHex(script));
  assert.ok(i >= 0, "output not found");
  return i;
}

/** Their to_local in their commitment (we opened: they pay no fee, so it is their balance). */
function theirBalanceOutput(tx: Tx, t: TestChannel): number {
  const theirs = t.channel.state.currentCounterparty!.toOwnerMsat / 1000n;
  const i = tx.outputs.findIndex((o) => o.value === theirs);
  assert.ok(i >= 0, "their balance output not found");
  return i;
}

/** Our to_remote in their commitment (no HTLCs): neither an anchor nor their balance. */
function ourBalanceOutput(tx: Tx, t: TestChannel): number {
  const skip = theirBalanceOutput(tx, t);
  const i = tx.outputs.findIndex((o, j) => j !== skip && o.value !== 330n);
  assert.ok(i >= 0, "our balance output not found");
  return i;
}

/** An HTLC we offer, seen from their commitment (they receive it). */
function weOffer(id: number, amountMsat: bigint, cltv?: number): ReturnType<typeof testHtlc> {
  return { ...testHtlc(id, "offered", amountMsat, cltv), direction: "received" };
}

/** `p` with HTLCs we offer added (our balance pays them). */
function addOurHtlcs(p: CommitmentProposal, ...htlcs: ReturnType<typeof testHtlc>[]) {
  let total = 0n;
  for (const h of htlcs) total += h.amountMsat;
  return { ...p, toOtherMsat: p.toOtherMsat - total, htlcs: [...p.htlcs, ...htlcs] };
}

/** A channel with one round done (holder and counterparty commitment 1, our 0 revoked). */
async function oneRound(node: Node, over: Partial<ChannelSetup> = {}): Promise<TestChannel> {
  const t = await funded(node, over);
  await honestRound(t, nextCounterpartyProposal(t), nextHolderProposal(t));
  return t;
}

/** Our wallet script in mutual-close cases (allowlisted in their node config). */
const OUR_WALLET = p2wpkh(publicKey(sha256(Buffer.from("our wallet"))));
const THEIR_WALLET = p2wpkh(publicKey(sha256(Buffer.from("their wallet"))));
const CLOSE_NODE: TestNodeOptions = { config: { allowlist: [bytesToHex(OUR_WALLET)] } };

/** A valid mutual close of the current balances at ~1000 sat/kw. */
function closeProposal(t: TestChannel): MutualCloseProposal {
  const h = t.channel.state.currentHolder!;
  return {
    toHolderMsat: h.toOwnerMsat,
    toCounterpartyMsat: t.setup.channelValueSat * 1000n - h.toOwnerMsat,
    holderScript: OUR_WALLET,
    counterpartyScript: THEIR_WALLET,
    feeSat: 700n,
  };
}

async function closeCase(
  node: Node,
  mutate: (p: MutualCloseProposal) => MutualCloseProposal,
): Promise<Prepared> {
  const t = await oneRound(node);
  const p = mutate(closeProposal(t));
  return { channel: t.channel, request: () => t.channel.signMutualClose(p) };
}

/** Sets up a fresh channel with `over` changed (the request is the setup itself). */
async function setupCase(node: Node, over: Partial<ChannelSetup>): Promise<Prepared> {
  const id = "setup-case";
  const peer = new Peer(id);
  const channel = await node.newChannel(id);
  const setup = defaultSetup(peer, over);
  return { channel, request: () => channel.setup(setup) };
}

/** Opens, funds, force-closes and forgets channel `id`. */
async function forget(node: Node, id: string): Promise<void> {
  const t = await funded(node, {}, id);
  await t.channel.signHolderCommitment(0);
  await node.forgetChannel(id);
}

/** The chain view of the funding output in the case that changes it mid-way. */
let fundingSeen: FundingState = "confirmed";

const STATIC: Partial<ChannelSetup> = { channelType: "static_remotekey" as ChannelType };

// ---- the cases -----------------------------------------------------------------------------

/** Channel opening. */
export const CHANNEL_OPENING_CASES: RuleCase[] = [
  {
    id: "policy-channel-contest-delay-range-holder",
    title: "a to_self_delay on our outputs below the minimum is refused",
    prepare: (node) => setupCase(node, { holderToSelfDelay: 100 }),
  },
  {
    id: "policy-channel-contest-delay-range-holder",
    title: "a to_self_delay on our outputs above the maximum is refused",
    prepare: (node) => setupCase(node, { holderToSelfDelay: 2017 }),
  },
  {
    id: "policy-channel-contest-delay-range-counterparty",
    title: "a delay imposed on the peer above the maximum is refused",
    prepare: (node) => setupCase(node, { counterpartyToSelfDelay: 3000 }),
  },
  {
    id: "policy-channel-safe-mode",
    title: "a plain anchors (non-zero-fee) channel type is refused",
    prepare: (node) => setupCase(node, { channelType: "anchors" as unknown as ChannelType }),
  },
  {
    id: "policy-channel-id-reuse",
    title: "creating a channel with a forgotten id is refused",
    prepare: async (node) => {
      await forget(node, "reused");
      return { request: () => node.newChannel("reused") };
    },
  },
  {
    id: "policy-channel-id-reuse",
    title: "setting up a numeric dbid at or below the highest forgotten one is refused",
    prepare: async (node) => {
      const channel = await node.newChannel("5");
      await forget(node, "7");
      const setup = defaultSetup(new Peer("5"));
      return { channel, request: () => channel.setup(setup) };
    },
  },
  {
    id: "policy-channel-upfront-shutdown-allowlisted",
    title: "an upfront shutdown script that is not our wallet is refused",
    prepare: (node) => setupCase(node, { holderShutdownScript: THEIR_WALLET }),
  },
  {
    id: "policy-channel-count-limit",
    title: "a channel beyond the configured count is refused",
    node: { config: { maxChannelCount: 1 } },
    prepare: async (node) => {
      await openTestChannel(node, "first");
      return setupCase(node, {});
    },
  },
  {
    id: "policy-funding-max",
    title: "a channel larger than the maximum is refused",
    node: { config: { maxFundingSat: 1_000_000n } },
    prepare: (node) => setupCase(node, {}),
  },
];

/** Commitment transactions. */
export const COMMITMENT_CASES: RuleCase[] = [
  {
    id: "policy-commitment-input-single",
    title: "a second input is refused",
    prepare: (node) =>
      cpTxCase(node, (tx) => {
        tx.inputs.push({ ...tx.inputs[0]!, prevout: { ...tx.inputs[0]!.prevout, vout: 9 } });
      }),
  },
  {
    id: "policy-commitment-input-match-funding",
    title: "an input spending another outpoint is refused",
    prepare: (node) =>
      cpTxCase(node, (tx) => {
        tx.inputs[0]!.prevout.vout = 1;
      }),
  },
  {
    id: "policy-commitment-input-match-funding",
    title: "claimed funding keys other than the channel's on a non-anchor channel are refused",
    prepare: async (node) => {
      const t = await funded(node, STATIC);
      const p = { ...nextCounterpartyProposal(t), claimedKeys: { remoteFundingPubkey: STRANGER } };
      return signCp(t, p);
    },
  },
  {
    id: "policy-commitment-version",
    title: "version 1 is refused",
    prepare: (node) =>
      cpTxCase(node, (tx) => {
        tx.version = 1;
      }),
  },
  {
    id: "policy-commitment-locktime",
    title: "a locktime without the obscured commitment number is refused",
    prepare: (node) =>
      cpTxCase(node, (tx) => {
        tx.locktime ^= 1;
      }),
  },
  {
    id: "policy-commitment-sequence",
    title: "a sequence without the obscured commitment number is refused",
    prepare: (node) =>
      cpTxCase(node, (tx) => {
        tx.inputs[0]!.sequence ^= 1;
      }),
  },
  {
    id: "policy-commitment-singular-to-holder",
    title: "a duplicated output to us is refused",
    prepare: (node) =>
      cpTxCase(node, (tx, t) => {
        tx.outputs.push({ ...tx.outputs[ourBalanceOutput(tx, t)]! });
      }),
  },
  {
    id: "policy-commitment-singular-to-counterparty",
    title: "a duplicated output to the peer is refused",
    prepare: (node) =>
      cpTxCase(node, (tx, t) => {
        tx.outputs.push({ ...tx.outputs[theirBalanceOutput(tx, t)]! });
      }),
  },
  {
    id: "policy-commitment-no-unrecognized-outputs",
    title: "an extra output to a stranger is refused",
    prepare: (node) =>
      cpTxCase(node, (tx) => {
        tx.outputs.push({ value: 10_000n, script: p2wpkh(STRANGER) });
      }),
  },
  {
    id: "policy-commitment-revocation-pubkey",
    title: "a claimed revocation key that is not derived is refused",
    prepare: (node) => cpCase(node, (p) => ({ ...p, claimedKeys: { revocationPubkey: STRANGER } })),
  },
  {
    id: "policy-commitment-broadcaster-pubkey",
    title: "a claimed delayed (broadcaster) key that is not derived is refused",
    prepare: (node) =>
      cpCase(node, (p) => ({ ...p, claimedKeys: { localDelayedPubkey: STRANGER } })),
  },
  {
    id: "policy-commitment-countersignatory-pubkey",
    title: "a claimed to_remote key that is not our payment basepoint is refused",
    prepare: (node) =>
      cpCase(node, (p) => ({ ...p, claimedKeys: { remotePaymentPubkey: STRANGER } })),
  },
  {
    id: "policy-commitment-htlc-revocation-pubkey",
    title: "a claimed HTLC revocation key other than the revocationpubkey is refused",
    prepare: (node) =>
      cpCase(node, (p) => ({ ...p, claimedKeys: { htlcRevocationPubkey: STRANGER } })),
  },
  {
    id: "policy-commitment-htlc-holder-htlc-pubkey",
    title: "a claimed HTLC key of ours that is not derived is refused (their commitment)",
    prepare: (node) => cpCase(node, (p) => ({ ...p, claimedKeys: { remoteHtlcPubkey: STRANGER } })),
  },
  {
    id: "policy-commitment-htlc-holder-htlc-pubkey",
    title: "a claimed HTLC key of ours that is not derived is refused (our commitment)",
    prepare: async (node) => {
      const t = await funded(node);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), nextCounterpartyProposal(t));
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      const p = { ...nextHolderProposal(t), claimedKeys: { localHtlcPubkey: STRANGER } };
      const sigs = peerSignsHolderCommitment(t, p);
      return { channel: t.channel, request: () => t.channel.validateHolderCommitment(p, sigs) };
    },
  },
  {
    id: "policy-commitment-htlc-counterparty-htlc-pubkey",
    title: "a claimed HTLC key of the peer that is not derived is refused",
    prepare: (node) => cpCase(node, (p) => ({ ...p, claimedKeys: { localHtlcPubkey: STRANGER } })),
  },
  {
    id: "policy-commitment-to-self-delay-range",
    title: "a claimed to_self_delay other than the negotiated one is refused",
    prepare: (node) => cpCase(node, (p) => ({ ...p, claimedToSelfDelay: 145 })),
  },
  {
    id: "policy-commitment-initial-funding-value",
    title: "a first commitment moving value from the funder is refused",
    prepare: async (node) => {
      const t = await openTestChannel(node, undefined, { pushMsat: PUSH_MSAT });
      const p = nextCounterpartyProposal(t);
      return signCp(t, {
        ...p,
        toOwnerMsat: p.toOwnerMsat + 1_000_000n,
        toOtherMsat: p.toOtherMsat - 1_000_000n,
      });
    },
  },
  {
    id: "policy-commitment-first-no-htlcs",
    title: "an HTLC on commitment 0 is refused",
    prepare: async (node) => {
      const t = await openTestChannel(node, undefined, { pushMsat: PUSH_MSAT });
      return signCp(t, addOurHtlcs(nextCounterpartyProposal(t), weOffer(0, 5_000_000n)));
    },
  },
  {
    id: "policy-commitment-fee-range",
    title: "a feerate above the maximum is refused",
    prepare: (node) => cpCase(node, (p) => ({ ...p, feeratePerKw: 100_001 })),
  },
  {
    id: "policy-commitment-fee-range",
    title: "a feerate below the minimum is refused on our own commitment",
    prepare: async (node) => {
      const t = await funded(node);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), nextCounterpartyProposal(t));
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      const p = { ...nextHolderProposal(t), feeratePerKw: 252 };
      const sigs = peerSignsHolderCommitment(t, p);
      return { channel: t.channel, request: () => t.channel.validateHolderCommitment(p, sigs) };
    },
  },
  {
    id: "policy-commitment-htlc-count-limit",
    title: "more HTLCs than the limit are refused",
    node: { config: { maxHtlcCount: 1 } },
    prepare: (node) =>
      cpCase(node, (p) => addOurHtlcs(p, weOffer(0, 5_000_000n), weOffer(1, 5_000_000n))),
  },
  {
    id: "policy-commitment-htlc-inflight-limit",
    title: "more value in flight than the limit is refused",
    node: { config: { maxHtlcValueInFlightMsat: 1_000_000n } },
    prepare: (node) => cpCase(node, (p) => addOurHtlcs(p, weOffer(0, 5_000_000n))),
  },
  {
    id: "policy-commitment-htlc-cltv-range",
    title: "an HTLC expiring too far beyond the chain height is refused",
    prepare: (node) => cpCase(node, (p) => addOurHtlcs(p, weOffer(0, 5_000_000n, 800_000 + 2017))),
  },
  {
    id: "policy-commitment-outputs-trimmed",
    title: "a tx that trims an HTLC above the dust limit is refused",
    prepare: async (node) => {
      const t = await funded(node);
      const p = withTx(
        t,
        "counterparty",
        addOurHtlcs(nextCounterpartyProposal(t), weOffer(0, 5_000_000n)),
      );
      const htlcOut = p.tx.outputs.findIndex((o) => o.value === 5_000n);
      assert.ok(htlcOut >= 0);
      p.tx.outputs.splice(htlcOut, 1);
      return signCp(t, p);
    },
  },
  {
    id: "policy-commitment-anchors-not-when-off",
    title: "an anchor output on a static_remotekey channel is refused",
    prepare: (node) =>
      cpTxCase(
        node,
        (tx, t) => {
          tx.outputs.unshift({ value: 330n, script: ourAnchor(t) });
        },
        STATIC,
      ),
  },
  {
    id: "policy-commitment-anchor-to-holder",
    title: "a tx without our anchor is refused",
    prepare: (node) =>
      cpTxCase(node, (tx, t) => {
        tx.outputs.splice(outputIndex(tx, ourAnchor(t)), 1);
      }),
  },
  {
    id: "policy-commitment-anchor-to-counterparty",
    title: "a tx without the peer's anchor is refused",
    prepare: (node) =>
      cpTxCase(node, (tx, t) => {
        tx.outputs.splice(outputIndex(tx, theirAnchor(t)), 1);
      }),
  },
  {
    id: "policy-commitment-anchor-amount",
    title: "an anchor of 331 sat is refused",
    prepare: (node) =>
      cpTxCase(node, (tx, t) => {
        tx.outputs[outputIndex(tx, ourAnchor(t))]!.value = 331n;
      }),
  },
  {
    id: "policy-commitment-anchor-match-fundingkey",
    title: "an anchor keyed to another key than our funding key is refused",
    prepare: (node) =>
      cpTxCase(node, (tx, t) => {
        tx.outputs[outputIndex(tx, ourAnchor(t))]!.script = p2wsh(anchorScript(STRANGER));
      }),
  },
  {
    id: "policy-commitment-anchor-match-fundingkey",
    title: "a claimed funding key other than the channel's on an anchors channel is refused",
    prepare: (node) =>
      cpCase(node, (p) => ({ ...p, claimedKeys: { localFundingPubkey: STRANGER } })),
  },
  {
    id: "policy-commitment-previous-revoked",
    title: "signing their commitment 2 before they revoked 0 is refused",
    prepare: async (node) => {
      const t = await funded(node);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), nextCounterpartyProposal(t));
      return signCp(t, nextCounterpartyProposal(t));
    },
  },
  {
    id: "policy-commitment-retry-same",
    title: "re-signing their commitment 1 with another feerate is refused",
    prepare: async (node) => {
      const t = await funded(node);
      const p = nextCounterpartyProposal(t);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), p);
      return signCp(t, { ...p, feeratePerKw: p.feeratePerKw + 1 });
    },
  },
  {
    id: "policy-commitment-retry-same",
    title: "re-validating our commitment 1 with other content is refused",
    prepare: async (node) => {
      const t = await oneRound(node);
      const cur = t.channel.state.currentHolder!;
      const p = {
        ...nextHolderProposal(t),
        commitmentNumber: cur.commitmentNumber,
        feeratePerKw: 3000,
      };
      const sigs = peerSignsHolderCommitment(t, p);
      return { channel: t.channel, request: () => t.channel.validateHolderCommitment(p, sigs) };
    },
  },
  {
    id: "policy-commitment-holder-not-revoked",
    title: "signing our revoked commitment 0 for broadcast is refused",
    prepare: async (node) => {
      const t = await oneRound(node);
      return { channel: t.channel, request: () => t.channel.signHolderCommitment(0) };
    },
  },
  {
    id: "policy-commitment-spends-active-utxo",
    title: "their commitment 1 while the funding output is unconfirmed is refused",
    node: { fundingState: () => "unconfirmed" },
    prepare: (node) => cpCase(node, (p) => p),
  },
  {
    id: "policy-commitment-spends-active-utxo",
    title: "our commitment 1 once the funding output was spent is refused",
    node: { fundingState: () => fundingSeen },
    prepare: async (node) => {
      fundingSeen = "confirmed";
      const t = await funded(node);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), nextCounterpartyProposal(t));
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      fundingSeen = "spent";
      const p = nextHolderProposal(t);
      const sigs = peerSignsHolderCommitment(t, p);
      return { channel: t.channel, request: () => t.channel.validateHolderCommitment(p, sigs) };
    },
  },
  {
    id: "policy-commitment-balance-decrease-justified",
    title: "moving our balance to the peer without an HTLC is refused",
    prepare: (node) =>
      cpCase(node, (p) => ({
        ...p,
        toOwnerMsat: p.toOwnerMsat + 1_000n,
        toOtherMsat: p.toOtherMsat - 1_000n,
      })),
  },
];

/** Revocation. */
export const REVOCATION_CASES: RuleCase[] = [
  {
    id: "policy-revoke-new-commitment-signed",
    title: "releasing secret 0 before our commitment 1 was validated is refused",
    prepare: async (node) => {
      const t = await funded(node);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), nextCounterpartyProposal(t));
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      return { channel: t.channel, request: () => t.channel.revokeHolderCommitment(0) };
    },
  },
  {
    id: "policy-revoke-new-commitment-valid",
    title: "releasing secret 0 when commitment 1 broke a (demoted) rule is refused",
    node: { demote: ["policy-commitment-fee-range"] },
    prepare: async (node) => {
      const t = await funded(node);
      const cp = { ...nextCounterpartyProposal(t), feeratePerKw: 100_001 };
      await t.channel.signCounterpartyCommitment(t.peer.point(1), cp);
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      const p = { ...nextHolderProposal(t), feeratePerKw: 100_001 };
      await t.channel.validateHolderCommitment(p, peerSignsHolderCommitment(t, p));
      return { channel: t.channel, request: () => t.channel.revokeHolderCommitment(0) };
    },
  },
  {
    id: "policy-revoke-not-closed",
    title: "releasing secret 0 after signing a mutual close is refused",
    node: CLOSE_NODE,
    prepare: async (node) => {
      const t = await funded(node);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), nextCounterpartyProposal(t));
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      const p = nextHolderProposal(t);
      await t.channel.validateHolderCommitment(p, peerSignsHolderCommitment(t, p));
      await t.channel.signMutualClose(closeProposal(t));
      return { channel: t.channel, request: () => t.channel.revokeHolderCommitment(0) };
    },
  },
  {
    id: "policy-revoke-not-closed",
    title: "releasing secret 0 after signing our commitment 1 for broadcast is refused",
    prepare: async (node) => {
      const t = await funded(node);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), nextCounterpartyProposal(t));
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      const p = nextHolderProposal(t);
      await t.channel.validateHolderCommitment(p, peerSignsHolderCommitment(t, p));
      await t.channel.signHolderCommitment(1);
      return { channel: t.channel, request: () => t.channel.revokeHolderCommitment(0) };
    },
  },
  {
    id: "policy-revocation-secret-matches",
    title: "a secret that does not give the point of their commitment 0 is refused",
    prepare: async (node) => {
      const t = await funded(node);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), nextCounterpartyProposal(t));
      return {
        channel: t.channel,
        request: () => t.channel.validateCounterpartyRevocation(0, t.peer.secret(1)),
      };
    },
  },
  {
    id: "policy-revocation-shachain-consistent",
    title: "a matching secret that contradicts the earlier ones is refused",
    prepare: async (node) => {
      const t = await funded(node);
      // Their commitment 1 is signed at a point from another seed: its secret matches it but
      // cannot derive secret 0 (BOLT 3 compact storage check).
      const other = new Peer(`${t.channel.id}/other-seed`);
      await t.channel.signCounterpartyCommitment(other.point(1), nextCounterpartyProposal(t));
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      await t.channel.signCounterpartyCommitment(t.peer.point(2), nextCounterpartyProposal(t));
      return {
        channel: t.channel,
        request: () => t.channel.validateCounterpartyRevocation(1, other.secret(1)),
      };
    },
  },
  {
    id: "policy-revoke-watchtower-attested",
    title: "(enabled) revoking before the watchtower attested their revoked state is refused",
    node: {
      config: { optionalRules: { "policy-revoke-watchtower-attested": true } },
      watchtowerAttested: () => false,
    },
    prepare: async (node) => {
      const t = await funded(node);
      await t.channel.signCounterpartyCommitment(t.peer.point(1), nextCounterpartyProposal(t));
      await t.channel.validateCounterpartyRevocation(0, t.peer.secret(0));
      const p = nextHolderProposal(t);
      await t.channel.validateHolderCommitment(p, peerSignsHolderCommitment(t, p));
      return { channel: t.channel, request: () => t.channel.revokeHolderCommitment(0) };
    },
  },
];

/** Mutual close. */
export const MUTUAL_CLOSE_CASES: RuleCase[] = [
  {
    id: "policy-mutual-destination-allowlisted",
    title: "our output to a script that is neither our wallet nor allowlisted is refused",
    node: CLOSE_NODE,
    prepare: (node) => closeCase(node, (p) => ({ ...p, holderScript: p2wpkh(STRANGER) })),
  },
  {
    id: "policy-mutual-destination-allowlisted",
    title: "our output to our wallet instead of the agreed upfront script is refused",
    node: { ...CLOSE_NODE, isOurWallet: (s) => bytesToHex(s) === bytesToHex(THEIR_WALLET) },
    prepare: async (node) => {
      // THEIR_WALLET plays our second wallet script here; the upfront script is OUR_WALLET.
      const t = await oneRound(node, { holderShutdownScript: OUR_WALLET });
      const p = { ...closeProposal(t), holderScript: THEIR_WALLET };
      return { channel: t.channel, request: () => t.channel.signMutualClose(p) };
    },
  },
  {
    id: "policy-mutual-value-matches-commitment",
    title: "our output below our committed balance is refused",
    node: CLOSE_NODE,
    prepare: (node) =>
      closeCase(node, (p) => ({
        ...p,
        toHolderMsat: p.toHolderMsat - 10_000n,
        toCounterpartyMsat: p.toCounterpartyMsat + 10_000n,
      })),
  },
  {
    id: "policy-mutual-fee-range",
    title: "a fee above the absolute maximum is refused",
    node: CLOSE_NODE,
    prepare: (node) => closeCase(node, (p) => ({ ...p, feeSat: 100_001n })),
  },
  {
    id: "policy-mutual-fee-range",
    title: "a feerate below the minimum is refused",
    node: CLOSE_NODE,
    prepare: (node) => closeCase(node, (p) => ({ ...p, feeSat: 100n })),
  },
  {
    id: "policy-mutual-no-pending-htlcs",
    title: "closing with an HTLC outstanding is refused",
    node: CLOSE_NODE,
    prepare: async (node) => {
      const t = await funded(node);
      const h = testHtlc(0, "offered", 5_000_000n);
      const cp = addOurHtlcs(nextCounterpartyProposal(t), weOffer(0, 5_000_000n));
      const hp = nextHolderProposal(t);
      const holder = { ...hp, toOwnerMsat: hp.toOwnerMsat - h.amountMsat, htlcs: [h] };
      await honestRound(t, cp, holder);
      const p = { ...closeProposal(t), toHolderMsat: closeProposal(t).toHolderMsat + h.amountMsat };
      p.toCounterpartyMsat = t.setup.channelValueSat * 1000n - p.toHolderMsat;
      return { channel: t.channel, request: () => t.channel.signMutualClose(p) };
    },
  },
];

/** Every case of the four sections. */
export const ALL_RULE_CASES: readonly RuleCase[] = [
  ...CHANNEL_OPENING_CASES,
  ...COMMITMENT_CASES,
  ...REVOCATION_CASES,
  ...MUTUAL_CLOSE_CASES,
];
