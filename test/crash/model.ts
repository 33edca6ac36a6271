/**
 * The crash tests' honest peer, without state of its own: update k of a channel (HTLCs added
 * both ways, fulfilled, failed, fee changes) is a pure function of the seed, the channel's
 * index and k. So a driver restarted after SIGKILL knows every proposal from the signer's
 * stored commitment numbers alone, and a retried request is byte for byte the one before.
 */
import type { Htlc } from "../../src/bolt3/htlc.js";
import { sha256 } from "../../src/crypto/hash.js";
import type { CommitmentProposal } from "../../src/state/commitment-proposal.js";

/** mulberry32: a small seeded PRNG, so a run replays exactly. */
export function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Channel value and push of every crash-test channel (msat). */
export const CHANNEL_SAT = 10_000_000n;
export const PUSH_MSAT = 3_000_000_000n;
const HEIGHT = 800_000;

interface ModelHtlc {
  byUs: boolean;
  id: bigint;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  preimage: Uint8Array;
  cltvExpiry: number;
}

/** Both sides' view of one channel after some number of updates. */
export class ChannelModel {
  /** Updates applied so far (the commitment number these balances belong to). */
  updates = 0;
  ours = CHANNEL_SAT * 1000n - PUSH_MSAT;
  theirs = PUSH_MSAT;
  htlcs: ModelHtlc[] = [];
  feerate = 2500;
  /** The preimage the node hands the signer before the last update's round, if any. */
  preimage: Uint8Array | undefined;
  readonly #rand: (n: number) => number;
  readonly #label: string;
  #nextId = { ours: 0n, theirs: 0n };

  constructor(seed: number, channelIndex: number) {
    this.#rand = prng((seed ^ Math.imul(channelIndex + 1, 0x9e3779b1)) >>> 0);
    this.#label = `${seed}/${channelIndex}`;
  }

  /** Applies the next update (update `updates + 1`). */
  advance(): void {
    const rand = this.#rand;
    this.updates++;
    this.preimage = undefined;
    const op = rand(10);
    if (op < 3 && this.htlcs.length < 6 && this.ours > 2_000_000_000n) {
      this.#add(true, BigInt(100_000 + rand(30_000_000)), HEIGHT + 40 + rand(500));
    } else if (op < 6 && this.htlcs.length < 6 && this.theirs > 400_000_000n) {
      this.#add(false, BigInt(100_000 + rand(30_000_000)), HEIGHT + 40 + rand(500));
    } else if (op < 9 && this.htlcs.length > 0) {
      const fulfilled = rand(2) === 0;
      const [h] = this.htlcs.splice(rand(this.htlcs.length), 1);
      if (h!.byUs === fulfilled) this.theirs += h!.amountMsat;
      else this.ours += h!.amountMsat;
      if (h!.byUs && fulfilled) this.preimage = h!.preimage;
    } else {
      this.feerate = 253 + rand(5_000);
    }
  }

  #add(byUs: boolean, amountMsat: bigint, cltvExpiry: number): void {
    const id = byUs ? this.#nextId.ours++ : this.#nextId.theirs++;
    const preimage = sha256(Buffer.from(`${this.#label}/${byUs}/${id}`));
    if (byUs) this.ours -= amountMsat;
    else this.theirs -= amountMsat;
    this.htlcs.push({ byUs, id, amountMsat, paymentHash: sha256(preimage), preimage, cltvExpiry });
  }

  /** Commitment `updates` of `owner` (directions from the owner's view). */
  proposal(owner: "holder" | "counterparty"): CommitmentProposal {
    const holder = owner === "holder";
    const htlcs: Htlc[] = this.htlcs.map((h) => ({
      id: h.id,
      direction: h.byUs === holder ? "offered" : "received",
      amountMsat: h.amountMsat,
      paymentHash: h.paymentHash,
      cltvExpiry: h.cltvExpiry,
    }));
    return {
      commitmentNumber: this.updates,
      feeratePerKw: this.feerate,
      toOwnerMsat: holder ? this.ours : this.theirs,
      toOtherMsat: holder ? this.theirs : this.ours,
      htlcs,
    };
  }
}

/** The models of one channel at every update asked for (advanced, never rewound). */
export class ModelCursor {
  readonly #seed: number;
  readonly #index: number;
  #model: ChannelModel;

  constructor(seed: number, channelIndex: number) {
    this.#seed = seed;
    this.#index = channelIndex;
    this.#model = new ChannelModel(seed, channelIndex);
  }

  /** The model after `k` updates (recomputed from 0 when asked for an earlier k). */
  at(k: number): ChannelModel {
    if (k < this.#model.updates) this.#model = new ChannelModel(this.#seed, this.#index);
    while (this.#model.updates < k) this.#model.advance();
    return this.#model;
  }
}
