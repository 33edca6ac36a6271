/**
 * Test harness for the channel signer: a Warden Node (holder) with an in-memory store, and an
 * honest counterparty modelled with the BOLT 3 engine and its own keys, so tests can drive a
 * real two-party channel: the peer signs our commitments, we sign theirs, both revoke.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Tx } from "../../src/bitcoin/tx.js";
import { PolicyError } from "../../src/policy/errors.js";
import type { RuleId } from "../../src/policy/rule-ids.js";
import type { CommitmentSignatures } from "../../src/signer/channel.js";
import { encodeState } from "../../src/state/codec.js";
import { bytesToHex } from "../../src/util/bytes.js";
import type { ChannelType } from "../../src/bolt3/channel-type.js";
import {
  commitmentSighash,
  counterpartyHtlcSighashType,
  htlcTxSighash,
} from "../../src/bolt3/signing.js";
import { buildHtlcTransactions } from "../../src/bolt3/htlc-tx.js";
import { derivePrivkey } from "../../src/bolt3/key-derivation.js";
import { ecdsaSign, ecdsaVerify } from "../../src/crypto/secp256k1.js";
import { type ChannelKeys, channelKeysFromSecrets } from "../../src/keys/channel-keys.js";
import { Policy } from "../../src/policy/policy.js";
import { policyConfig, type PolicyConfigOverrides } from "../../src/policy/config.js";
import { parsePolicyFilter } from "../../src/policy/filter.js";
import type { Channel } from "../../src/signer/channel.js";
import { Node, type NodeKeySource, type NodeOptions } from "../../src/signer/node.js";
import type { ChannelSetup } from "../../src/state/channel-setup.js";
import type { CommitmentProposal } from "../../src/state/commitment-proposal.js";
import { channelObscuringFactor, recomposeCommitment } from "../../src/state/recompose.js";
import type { CounterpartySignatures } from "../../src/state/transitions.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { Store } from "../../src/store/store.js";
import { sha256 } from "../../src/crypto/hash.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import type { Htlc } from "../../src/bolt3/htlc.js";
import { ApproveAll, type Approver } from "../../src/payments/approver.js";

/** Deterministic channel keys from a label (test only). */
export function testChannelKeys(label: string): ChannelKeys {
  const k = (what: string): Uint8Array => sha256(Buffer.from(`${label}/${what}`));
  return channelKeysFromSecrets({
    fundingSecret: k("funding"),
    revocationBaseSecret: k("revocation"),
    paymentBaseSecret: k("payment"),
    delayedPaymentBaseSecret: k("delayed"),
    htlcBaseSecret: k("htlc"),
    commitmentSeed: k("seed"),
  });
}

/** A key source deriving every channel's keys from the node label and channel id. */
export function testKeySource(label: string): NodeKeySource {
  const nodeSecret = sha256(Buffer.from(`${label}/node`));
  return {
    nodeId: () => publicKey(nodeSecret),
    nodeSecret: () => Uint8Array.from(nodeSecret),
    channelKeys: (id: string) => testChannelKeys(`${label}/${id}`),
  };
}

/** Options of a test node. */
export interface TestNodeOptions {
  config?: PolicyConfigOverrides;
  demote?: string[];
  /** Default: a fresh MemoryStore. */
  store?: Store;
  label?: string;
  chainHeight?: number;
  isOurWallet?: NodeOptions["isOurWallet"];
  fundingState?: NodeOptions["fundingState"];
  watchtowerAttested?: NodeOptions["watchtowerAttested"];
  /**
   * Payment approver. Default ApproveAll: the honest flows offer HTLCs (testHtlc) with no
   * incoming side, as unannounced payments the approver approves; routing balance stays ON
   * (pass `null` for a node with no approver, where such an HTLC is refused).
   */
  approver?: Approver | null;
  /** Wall clock (ms) of the node; default Date.now. */
  clock?: () => number;
}

/** Opens a Node over a MemoryStore with the given policy config and filter. */
export async function testNode(opts: TestNodeOptions = {}): Promise<Node> {
  const policy = new Policy({
    config: policyConfig(opts.config ?? {}),
    filter: parsePolicyFilter(opts.demote ?? []),
  });
  return Node.open({
    keys: testKeySource(opts.label ?? "holder"),
    store: opts.store ?? new MemoryStore(),
    policy,
    chainHeight: () => opts.chainHeight ?? 800_000,
    isOurWallet: opts.isOurWallet,
    fundingState: opts.fundingState,
    watchtowerAttested: opts.watchtowerAttested,
    approver: opts.approver === null ? undefined : (opts.approver ?? new ApproveAll()),
    clock: opts.clock,
  });
}

/** The honest peer of one channel. */
export class Peer {
  readonly keys: ChannelKeys;
  constructor(label: string) {
    this.keys = testChannelKeys(`peer/${label}`);
  }
  point(n: number): Uint8Array {
    return this.keys.perCommitmentPoint(n);
  }
  secret(n: number): Uint8Array {
    return this.keys.perCommitmentSecret(n);
  }
}

/** A set-up channel between a Warden holder and an honest peer. */
export interface TestChannel {
  node: Node;
  channel: Channel;
  peer: Peer;
  setup: ChannelSetup;
}

/** Default setup values (override any). */
export function defaultSetup(peer: Peer, over: Partial<ChannelSetup> = {}): ChannelSetup {
  return {
    channelType: "anchors_zero_fee_htlc_tx",
    fundingOutpoint: { txid: sha256(Buffer.from("funding")), vout: 0 },
    channelValueSat: 10_000_000n,
    isOutbound: true,
    pushMsat: 0n,
    holderToSelfDelay: 144,
    counterpartyToSelfDelay: 144,
    holderDustLimitSat: 546n,
    counterpartyDustLimitSat: 546n,
    counterpartyBasepoints: peer.keys.basepoints,
    holderShutdownScript: undefined,
    counterpartyShutdownScript: undefined,
    ...over,
  };
}

/** Creates and sets up a channel on `node` (default: outbound anchors, 0.1 BTC, no push). */
export async function openTestChannel(
  node: Node,
  id = `chan-${randomBytes(4).toString("hex")}`,
  over: Partial<ChannelSetup> = {},
): Promise<TestChannel> {
  const peer = new Peer(id);
  const channel = await node.newChannel(id);
  const setup = defaultSetup(peer, over);
  await channel.setup(setup);
  return { node, channel, peer, setup };
}

/** The peer's signatures on our holder commitment for `proposal` (an honest peer's view). */
export function peerSignsHolderCommitment(
  t: TestChannel,
  proposal: CommitmentProposal,
): CounterpartySignatures {
  const holderPoint = holderPointOf(t, proposal.commitmentNumber);
  const of = channelObscuringFactor(t.setup, t.channel.basepoints);
  const built = recomposeCommitment(
    "holder",
    t.setup,
    t.channel.basepoints,
    holderPoint,
    of,
    proposal,
  );
  const commitmentSignature = ecdsaSign(commitmentSighash(built), t.peer.keys.fundingSecret);
  const htlcKey = derivePrivkey(t.peer.keys.htlcBaseSecret, holderPoint);
  const type = counterpartyHtlcSighashType(t.setup.channelType);
  const htlcSignatures = buildHtlcTransactions(built).map((h) =>
    ecdsaSign(htlcTxSighash(h, type), htlcKey),
  );
  return { commitmentSignature, htlcSignatures };
}

/** Our holder per-commitment point n, as the peer learned it. */
export function holderPointOf(t: TestChannel, n: number): Uint8Array {
  return t.node.keys.channelKeys(t.channel.id).perCommitmentPoint(n);
}

/** Checks our signatures on the peer's commitment the way an independent peer would. */
export function peerVerifiesCounterpartySigs(
  t: TestChannel,
  proposal: CommitmentProposal,
  sigs: { signature: Uint8Array; htlcSignatures: Uint8Array[] },
): boolean {
  const point = t.peer.point(proposal.commitmentNumber);
  const of = channelObscuringFactor(t.setup, t.channel.basepoints);
  const built = recomposeCommitment(
    "counterparty",
    t.setup,
    t.channel.basepoints,
    point,
    of,
    proposal,
  );
  if (!ecdsaVerify(sigs.signature, commitmentSighash(built), t.channel.basepoints.fundingPubkey)) {
    return false;
  }
  const htlcTxs = buildHtlcTransactions(built);
  if (htlcTxs.length !== sigs.htlcSignatures.length) return false;
  const type = counterpartyHtlcSighashType(t.setup.channelType);
  const key = built.params.keys.remoteHtlcPubkey;
  return htlcTxs.every((h, i) => ecdsaVerify(sigs.htlcSignatures[i]!, htlcTxSighash(h, type), key));
}

/** The first commitment's balances for the default (outbound, no push) setup. */
export function initialProposal(
  t: TestChannel,
  owner: "holder" | "counterparty",
): CommitmentProposal {
  const funder = t.setup.channelValueSat * 1000n - t.setup.pushMsat;
  const ownerIsFunder = owner === "holder" ? t.setup.isOutbound : !t.setup.isOutbound;
  return {
    commitmentNumber: 0,
    feeratePerKw: 2500,
    toOwnerMsat: ownerIsFunder ? funder : t.setup.pushMsat,
    toOtherMsat: ownerIsFunder ? t.setup.pushMsat : funder,
    htlcs: [],
  };
}

/** Runs the funding handshake: we sign their commitment 0, they sign our commitment 0. */
export async function fundChannel(t: TestChannel): Promise<void> {
  await t.channel.signCounterpartyCommitment(t.peer.point(0), initialProposal(t, "counterparty"));
  const holder0 = initialProposal(t, "holder");
  await t.channel.validateHolderCommitment(holder0, peerSignsHolderCommitment(t, holder0));
}

/** An HTLC with a payment hash derived from its id (test only). */
export function testHtlc(
  id: number,
  direction: Htlc["direction"],
  amountMsat: bigint,
  cltvExpiry = 800_100,
): Htlc {
  return {
    id: BigInt(id),
    direction,
    amountMsat,
    paymentHash: sha256(testPreimage(id)),
    cltvExpiry,
  };
}

/** The (32-byte) preimage of testHtlc(id)'s payment hash. */
export function testPreimage(id: number): Uint8Array {
  return sha256(Buffer.from(`preimage-${id}`));
}

/** A channel type list to run scenarios over. */
export const TEST_CHANNEL_TYPES: readonly ChannelType[] = [
  "static_remotekey",
  "anchors_zero_fee_htlc_tx",
];

/**
 * Everything a refusal must leave untouched: the channel's encoded state and version (when there
 * is a channel) and every record of the node's store.
 */
export async function snapshot(node: Node, channel?: Channel): Promise<string> {
  const parts: string[] = [];
  if (channel !== undefined) {
    parts.push(`version=${channel.version}`, bytesToHex(encodeState(channel.state)));
  }
  const store = node.store;
  for (const key of (await store.list("")).sort()) {
    const v = await store.get(key);
    parts.push(`${key}@${v?.version}=${v === undefined ? "-" : bytesToHex(v.value)}`);
  }
  parts.push(`channels=${node.channelIds().sort().join(",")}`);
  return parts.join("\n");
}

/** Awaits `p` and checks it was refused by exactly rule `ruleId`. */
export async function expectRefusal(p: Promise<unknown>, ruleId: RuleId): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PolicyError, `expected a PolicyError, got ${String(e)}`);
    assert.equal(e.ruleId, ruleId);
    return true;
  });
}

/** `proposal` with the transaction an honest node would attach (the recomposition, copied). */
export function withTx(
  t: TestChannel,
  owner: "holder" | "counterparty",
  proposal: CommitmentProposal,
): CommitmentProposal & { tx: Tx } {
  const point =
    owner === "holder"
      ? holderPointOf(t, proposal.commitmentNumber)
      : t.peer.point(proposal.commitmentNumber);
  const of = channelObscuringFactor(t.setup, t.channel.basepoints);
  const built = recomposeCommitment(owner, t.setup, t.channel.basepoints, point, of, proposal);
  const tx: Tx = {
    version: built.tx.version,
    locktime: built.tx.locktime,
    inputs: built.tx.inputs.map((i) => ({
      ...i,
      prevout: { txid: Uint8Array.from(i.prevout.txid), vout: i.prevout.vout },
      witness: [],
    })),
    outputs: built.tx.outputs.map((o) => ({ value: o.value, script: Uint8Array.from(o.script) })),
  };
  return { ...proposal, tx };
}

/** The next counterparty commitment with the same balances as the current one (an update_fee-free no-op). */
export function nextCounterpartyProposal(t: TestChannel): CommitmentProposal {
  const s = t.channel.state;
  const cur = s.currentCounterparty;
  if (cur === undefined) return initialProposal(t, "counterparty");
  return {
    commitmentNumber: s.nextCounterpartyCommitNum,
    feeratePerKw: cur.feeratePerKw,
    toOwnerMsat: cur.toOwnerMsat,
    toOtherMsat: cur.toOtherMsat,
    htlcs: cur.htlcs.map((h) => ({ ...h })),
  };
}

/** The next holder commitment with the same balances as the current one. */
export function nextHolderProposal(t: TestChannel): CommitmentProposal {
  const s = t.channel.state;
  const cur = s.currentHolder;
  if (cur === undefined) return initialProposal(t, "holder");
  return {
    commitmentNumber: s.nextHolderCommitNum,
    feeratePerKw: cur.feeratePerKw,
    toOwnerMsat: cur.toOwnerMsat,
    toOtherMsat: cur.toOtherMsat,
    htlcs: cur.htlcs.map((h) => ({ ...h })),
  };
}

/**
 * One BOLT 2 round with an honest peer on proposals `cp` (their next) and `holder` (our next):
 * we sign their n+1, they revoke n, they sign our n+1, we revoke n. Returns what Warden gave.
 */
export async function honestRound(
  t: TestChannel,
  cp: CommitmentProposal,
  holder: CommitmentProposal,
): Promise<{ counterpartySigs: CommitmentSignatures; secret: Uint8Array | undefined }> {
  const counterpartySigs = await t.channel.signCounterpartyCommitment(
    t.peer.point(cp.commitmentNumber),
    cp,
  );
  if (cp.commitmentNumber > 0) {
    await t.channel.validateCounterpartyRevocation(
      cp.commitmentNumber - 1,
      t.peer.secret(cp.commitmentNumber - 1),
    );
  }
  await t.channel.validateHolderCommitment(holder, peerSignsHolderCommitment(t, holder));
  const secret =
    holder.commitmentNumber > 0
      ? await t.channel.revokeHolderCommitment(holder.commitmentNumber - 1)
      : undefined;
  return { counterpartySigs, secret };
}
