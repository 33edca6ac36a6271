/**
 * The validated update through the channel signer, against the raw floor of the same work.
 *
 * One update round n (n ≥ 2, N HTLCs on both commitments) is what a Lightning update costs the
 * holder's signer, through Node/Channel with its lock, rules, policy, MemoryStore commit:
 *   1. signCounterpartyCommitment(n): recompose their commitment, N+1 low-R signatures;
 *   2. validateCounterpartyRevocation(n-1): their secret must give the point we signed against;
 *   3. validateHolderCommitment(n): recompose ours at our point n, verify their N+1 signatures;
 *   4. revokeHolderCommitment(n-1): release our secret n-1.
 *
 * The floor (signerFloor below) is the raw cost of the same cryptographic work, over
 * transactions built beforehand, with nothing of ours around it:
 *   - our per-commitment point n (BOLT 3 generate_from_seed + 1 EC multiplication) and our
 *     secret n-1 (generate_from_seed);
 *   - the point of the peer's revealed secret n-1 (1 EC multiplication);
 *   - two sets of commitment keys (deriveCommitmentKeys for ours at our point, for theirs at
 *     their point: each 2 point multiplications + 1 addition + 3 tweak-adds and their hashes);
 *   - our HTLC signing key for their commitment (1 hash + 1 scalar tweak-add);
 *   - both commitments' txids (serialization + double SHA-256; HTLC txs spend them);
 *   - both sighash sets: N+1 BIP 143 digests of our commitment and HTLC txs, N+1 of theirs;
 *   - N+1 ECDSA verifications (their signatures on ours) and N+1 low-R ECDSA signatures (ours on
 *     theirs, ground to low R as LDK and CLN do).
 * Not in the floor (they are what the ratio measures): script and transaction construction,
 * rules, state encoding, the store, locks and promises, the shachain consistency check.
 */
import { performance } from "node:perf_hooks";
import { segwitV0Sighash } from "../src/bitcoin/sighash.js";
import { txid } from "../src/bitcoin/tx.js";
import { deriveCommitmentKeys } from "../src/bolt3/commitment-keys.js";
import type { CommitmentTransaction } from "../src/bolt3/commitment.js";
import { buildHtlcTransactions, type HtlcTransaction } from "../src/bolt3/htlc-tx.js";
import { perCommitmentSecret } from "../src/bolt3/per-commitment-secret.js";
import { fundingScript } from "../src/bolt3/scripts.js";
import { counterpartyHtlcSighashType } from "../src/bolt3/signing.js";
import { sha256 } from "../src/crypto/hash.js";
import {
  activeBackendName,
  ecdsaVerify,
  ecdsaSign,
  publicKey,
  seckeyTweakAdd,
} from "../src/crypto/secp256k1.js";
import type { ChannelKeys } from "../src/keys/channel-keys.js";
import { ApproveAll } from "../src/payments/approver.js";
import { Policy } from "../src/policy/policy.js";
import type { Channel } from "../src/signer/channel.js";
import { Node } from "../src/signer/node.js";
import type { ChannelSetup } from "../src/state/channel-setup.js";
import { channelObscuringFactor, recomposeCommitment } from "../src/state/recompose.js";
import { MemoryStore } from "../src/store/memory-store.js";
import { measure } from "./measure.js";
import {
  BENCH_CHAIN_HEIGHT,
  benchChannelKeys,
  benchHtlcs,
  benchKeySource,
  benchSetup,
  fundingInputs,
  type RoundInputs,
  roundInputs,
} from "./peer.js";

/** Timed batches per side (after one warm-up batch each); the best batch counts. */
const BATCHES = 5;
/** Low-R signatures, as the signer makes them. */
const LOW_R = { lowR: true } as const;

/** One bench channel: a Node with one channel and the keys of both sides. */
export interface BenchChannel {
  node: Node;
  channel: Channel;
  setup: ChannelSetup;
  holder: ChannelKeys;
  peer: ChannelKeys;
}

/** Opens a Node over a MemoryStore (default policy) with one funded channel `id`. */
export async function openBenchChannel(id: string, node?: Node): Promise<BenchChannel> {
  const n =
    node ??
    (await Node.open({
      keys: benchKeySource("bench-holder"),
      store: new MemoryStore(),
      policy: new Policy(),
      chainHeight: () => BENCH_CHAIN_HEIGHT,
      // The bench's offered HTLCs are our own payments: approved, as an owner would.
      approver: new ApproveAll(),
    }));
  const holder = n.keys.channelKeys(id);
  const peer = benchChannelKeys(`peer/${id}`);
  const setup = benchSetup(peer);
  const channel = await n.newChannel(id);
  await channel.setup(setup);
  const f = fundingInputs(setup, holder, peer);
  await channel.signCounterpartyCommitment(f.counterpartyPoint, f.counterpartyProposal);
  await channel.validateHolderCommitment(f.holderProposal, f.holderSigs);
  return { node: n, channel, setup, holder, peer };
}

/** Runs one full update round on `channel` (the four operations of the module comment). */
export async function runRound(channel: Channel, r: RoundInputs): Promise<void> {
  await channel.signCounterpartyCommitment(r.counterpartyPoint, r.counterpartyProposal);
  await channel.validateCounterpartyRevocation(r.n - 1, r.counterpartySecret);
  await channel.validateHolderCommitment(r.holderProposal, r.holderSigs);
  await channel.revokeHolderCommitment(r.n - 1);
}

/** Prebuilt data of one round for the floor. */
export interface FloorFixture {
  commitmentSeed: Uint8Array;
  n: number;
  holderBasepoints: ChannelKeys["basepoints"];
  peerBasepoints: ChannelKeys["basepoints"];
  peerSecret: Uint8Array;
  counterpartyPoint: Uint8Array;
  htlcBaseSecret: Uint8Array;
  fundingSecret: Uint8Array;
  holder: CommitmentTransaction;
  holderHtlcTxs: HtlcTransaction[];
  counterparty: CommitmentTransaction;
  counterpartyHtlcTxs: HtlcTransaction[];
  fundingWitnessScript: Uint8Array;
  sighashType: number;
  peerFundingPubkey: Uint8Array;
  peerHtlcPubkey: Uint8Array;
  holderSigs: RoundInputs["holderSigs"];
}

export function floorFixture(b: BenchChannel, r: RoundInputs): FloorFixture {
  const of = channelObscuringFactor(b.setup, b.holder.basepoints);
  const holderPoint = b.holder.perCommitmentPoint(r.n);
  const holder = recomposeCommitment(
    "holder",
    b.setup,
    b.holder.basepoints,
    holderPoint,
    of,
    r.holderProposal,
  );
  const counterparty = recomposeCommitment(
    "counterparty",
    b.setup,
    b.holder.basepoints,
    r.counterpartyPoint,
    of,
    r.counterpartyProposal,
  );
  return {
    commitmentSeed: b.holder.commitmentSeed,
    n: r.n,
    holderBasepoints: b.holder.basepoints,
    peerBasepoints: b.peer.basepoints,
    peerSecret: r.counterpartySecret,
    counterpartyPoint: r.counterpartyPoint,
    htlcBaseSecret: b.holder.htlcBaseSecret,
    fundingSecret: b.holder.fundingSecret,
    holder,
    holderHtlcTxs: buildHtlcTransactions(holder),
    counterparty,
    counterpartyHtlcTxs: buildHtlcTransactions(counterparty),
    fundingWitnessScript: fundingScript(
      b.holder.basepoints.fundingPubkey,
      b.peer.basepoints.fundingPubkey,
    ),
    sighashType: counterpartyHtlcSighashType(b.setup.channelType),
    peerFundingPubkey: b.peer.basepoints.fundingPubkey,
    peerHtlcPubkey: holder.params.keys.remoteHtlcPubkey,
    holderSigs: r.holderSigs,
  };
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The raw operations of one round (see the module comment for the exact list). */
export function signerFloor(f: FloorFixture): void {
  // Per-commitment secrets and points, both sides.
  const holderPoint = publicKey(perCommitmentSecret(f.commitmentSeed, f.n));
  perCommitmentSecret(f.commitmentSeed, f.n - 1);
  publicKey(f.peerSecret);
  // Two sets of commitment keys and our HTLC key for their commitment.
  deriveCommitmentKeys(f.holderBasepoints, f.peerBasepoints, holderPoint);
  deriveCommitmentKeys(f.peerBasepoints, f.holderBasepoints, f.counterpartyPoint);
  const htlcKey = seckeyTweakAdd(
    f.htlcBaseSecret,
    sha256(concat2(f.counterpartyPoint, f.holderBasepoints.htlcBasepoint)),
  );
  // Ours: txid, N+1 digests, N+1 verifies.
  txid(f.holder.tx);
  const value = f.holder.params.fundingAmountSat;
  const d0 = segwitV0Sighash(f.holder.tx, 0, f.fundingWitnessScript, value, 1);
  if (!ecdsaVerify(f.holderSigs.commitmentSignature, d0, f.peerFundingPubkey)) {
    throw new Error("bench: verify failed");
  }
  for (let i = 0; i < f.holderHtlcTxs.length; i++) {
    const h = f.holderHtlcTxs[i]!;
    const d = segwitV0Sighash(h.tx, 0, h.htlcWitnessScript, h.inputValueSat, f.sighashType);
    if (!ecdsaVerify(f.holderSigs.htlcSignatures[i]!, d, f.peerHtlcPubkey)) {
      throw new Error("bench: verify failed");
    }
  }
  // Theirs: txid, N+1 digests, N+1 low-R signs.
  txid(f.counterparty.tx);
  const c0 = segwitV0Sighash(f.counterparty.tx, 0, f.fundingWitnessScript, value, 1);
  ecdsaSign(c0, f.fundingSecret, LOW_R);
  for (const h of f.counterpartyHtlcTxs) {
    const d = segwitV0Sighash(h.tx, 0, h.htlcWitnessScript, h.inputValueSat, f.sighashType);
    ecdsaSign(d, htlcKey, LOW_R);
  }
}

/** Figures for one HTLC count. */
export interface SignerRow {
  floorMsPerUpdate: number;
  signerMsPerUpdate: number;
  ratioToFloor: number;
  signerUpdatesPerSec: number;
}

/** Everything bench/index.ts puts in its JSON line under "signer". */
export interface SignerFigures {
  backend: string;
  goalRatio: number;
  htlcs: Record<string, SignerRow>;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Measures the signer's validated update round and its floor for each HTLC count, on the
 * active backend. `batchMs` is the target length of one timed batch (best of 3 batches).
 */
export async function benchSigner(
  counts: readonly number[],
  batchMs: number,
): Promise<SignerFigures> {
  const htlcs: Record<string, SignerRow> = {};
  console.log(`\nchannel signer, validated update round (backend ${activeBackendName()})`);
  console.log("  HTLCs   floor ms/update   signer ms/update   updates/s   ratio");
  for (const count of counts) {
    const b = await openBenchChannel(`bench-${count}`);
    const hs = benchHtlcs(count);
    // Round 1 adds the HTLCs; later rounds keep them (a new commitment each time).
    await runRound(b.channel, roundInputs(b.setup, b.holder, b.peer, 1, hs));
    let next = 2;
    const r2 = roundInputs(b.setup, b.holder, b.peer, next++, hs);
    const fixture = floorFixture(b, r2);
    const sizing = measure(() => signerFloor(fixture), { minMs: batchMs / 4, rounds: 1 });
    const perBatch = Math.max(4, Math.ceil(batchMs / (1.3 * sizing.msPerOp)));
    await runRound(b.channel, r2);
    // Floor and signer batches alternate, best of each: a burst of load from other processes
    // on this shared machine then hits both sides alike instead of skewing the ratio.
    let floorBest = Number.POSITIVE_INFINITY;
    let best = Number.POSITIVE_INFINITY;
    for (let batch = 0; batch < BATCHES + 1; batch++) {
      const inputs: RoundInputs[] = [];
      for (let i = 0; i < perBatch; i++) {
        inputs.push(roundInputs(b.setup, b.holder, b.peer, next++, hs));
      }
      const mf = measure(() => signerFloor(fixture), { minMs: batchMs, rounds: 1 });
      const t0 = performance.now();
      for (const r of inputs) await runRound(b.channel, r);
      const ms = (performance.now() - t0) / perBatch;
      if (batch === 0) continue; // warm-up
      floorBest = Math.min(floorBest, mf.msPerOp);
      best = Math.min(best, ms);
    }
    const mf = { msPerOp: floorBest };
    const row: SignerRow = {
      floorMsPerUpdate: round3(mf.msPerOp),
      signerMsPerUpdate: round3(best),
      ratioToFloor: round3(best / mf.msPerOp),
      signerUpdatesPerSec: Math.round(1000 / best),
    };
    htlcs[String(count)] = row;
    console.log(
      `  ${String(count).padStart(5)}   ${mf.msPerOp.toFixed(3).padStart(15)}   ${best.toFixed(3).padStart(16)}   ${String(row.signerUpdatesPerSec).padStart(9)}   ${row.ratioToFloor.toFixed(3)}`,
    );
  }
  return { backend: activeBackendName(), goalRatio: 1.25, htlcs };
}
