/**
 * What the adapter remembers about one channel, keyed by LDK's channel_keys_id: LDK creates
 * several signer objects per channel (the channel's, the monitor's, one per HTLC descriptor)
 * and they all share this record. Warden's Node holds the enforcement state; this record only
 * maps LDK's view (no HTLC ids, commitment indexes counting down, sat amounts after fees)
 * onto Warden's proposals, and remembers answers already given so LDK's retries are answered
 * with the same signatures instead of being refused as replays.
 */
import * as ldk from "lightningdevkit";
import type { OutPoint } from "../../bitcoin/tx.js";
import { WardenError } from "../../errors.js";
import type { ChannelType } from "../../bolt3/channel-type.js";
import { hasAnchors } from "../../bolt3/channel-type.js";
import type { ChannelBasepoints } from "../../bolt3/commitment-keys.js";
import { ANCHOR_OUTPUT_VALUE_SAT, commitmentFeeSat, isHtlcTrimmed } from "../../bolt3/fees.js";
import type { Htlc } from "../../bolt3/htlc.js";
import type { ChannelSetup } from "../../state/channel-setup.js";
import type { ChannelState } from "../../state/channel-state.js";
import type { CommitmentInfo } from "../../state/commitment-info.js";
import type { CommitmentProposal } from "../../state/commitment-proposal.js";
import { bytesToHex } from "../../util/bytes.js";
import { type CommitmentView, numberFromIndex } from "./ldk-codec.js";

/** The channel parameters LDK provides (provide_channel_parameters), in Warden's terms. */
export interface LdkChannelParams {
  channelType: ChannelType;
  fundingOutpoint: OutPoint;
  isOutbound: boolean;
  /** Delay on our to_local (the counterparty selected it). */
  holderToSelfDelay: number;
  /** Delay on their to_local (we selected it). */
  counterpartyToSelfDelay: number;
  counterpartyBasepoints: ChannelBasepoints;
}

/** Reads ChannelTransactionParameters (undefined until LDK has populated them). */
export function readChannelParams(
  p: ldk.ChannelTransactionParameters,
): LdkChannelParams | undefined {
  if (!p.is_populated()) return undefined;
  const cp = p.get_counterparty_parameters();
  const fo = p.get_funding_outpoint();
  if (cp === null || fo === null) return undefined;
  const keys = cp.get_pubkeys();
  const features = p.get_channel_type_features();
  return {
    channelType: features.supports_anchors_zero_fee_htlc_tx()
      ? "anchors_zero_fee_htlc_tx"
      : "static_remotekey",
    fundingOutpoint: { txid: fo.get_txid(), vout: fo.get_index() },
    // The bindings return booleans as 0/1.
    isOutbound: Boolean(p.get_is_outbound_from_holder()),
    holderToSelfDelay: cp.get_selected_contest_delay(),
    counterpartyToSelfDelay: p.get_holder_selected_contest_delay(),
    counterpartyBasepoints: {
      fundingPubkey: keys.get_funding_pubkey(),
      revocationBasepoint: keys.get_revocation_basepoint().get_a(),
      paymentBasepoint: keys.get_payment_point(),
      delayedPaymentBasepoint: keys.get_delayed_payment_basepoint().get_a(),
      htlcBasepoint: keys.get_htlc_basepoint().get_a(),
    },
  };
}

/** One channel as the adapter tracks it. */
export class ChannelRecord {
  /** Warden's channel id: the channel_keys_id in hex. */
  readonly id: string;
  readonly keysId: Uint8Array;
  readonly valueSat: bigint;
  readonly basepoints: ChannelBasepoints;
  readonly pubkeys: ldk.ChannelPublicKeys;
  params: LdkChannelParams | undefined;
  setUp = false;
  /** True once the channel's SCID is bound in Warden (channel_updates may name it). */
  scidBound = false;
  /** Our per-commitment points (public, deterministic) by commitment number. */
  readonly points = new Map<number, Uint8Array>();
  /** HTLC ids by identity (direction from our side, hash, amount, expiry): one per occurrence. */
  readonly #htlcIds = new Map<string, bigint[]>();
  #nextOfferedId = 0n;
  /** Exact balances (ours, theirs) and HTLCs of the last accepted commitment of each owner. */
  readonly #tracked = new Map<
    "holder" | "counterparty",
    { ours: bigint; theirs: bigint; htlcs: TrackedHtlc[] }
  >();
  #nextReceivedId = 0n;
  /** The dust limit LDK uses on both commitments (not visible to a signer). */
  readonly dustLimitSat: bigint;
  /**
   * The channel's HTLCs as LDK last listed them (ChannelManager.list_channels): the candidates
   * for HTLCs trimmed from a commitment, which LDK does not show its signer.
   */
  htlcDetails: ListedHtlc[] = [];
  /** The owners whose last accepted commitment carries trimmed HTLCs. */
  readonly #carriesTrimmed = new Set<"holder" | "counterparty">();
  /** The commitment (h: or c: number:txid) waiting for fresh htlcDetails, if any. */
  awaitingDetailsFor: string | undefined;
  /** The commitment htlcDetails were last listed for. */
  detailsListedFor: string | undefined;
  /**
   * A holder commitment accepted before it was validated (its trimmed HTLCs unknown, our own
   * balance intact): LDK cannot wait in validate_holder_commitment, so the adapter pauses
   * every later signing operation of the channel (release_commitment_secret first) until the
   * validation completes with the listed HTLCs.
   */
  deferredHolder:
    { htx: ldk.HolderCommitmentTransaction; outbound: Uint8Array[]; key: string } | undefined;
  /** A deferred holder commitment Warden then refused (number:txid): the channel stays paused. */
  refusedHolder: string | undefined;
  /** Counterparty commitments we signed: number by per-commitment point and by txid. */
  readonly counterpartyByPoint = new Map<string, number>();
  readonly counterpartyByTxid = new Map<string, number>();
  /** Our holder commitments' txids by number (validated). */
  readonly holderByTxid = new Map<string, number>();
  /** Last counterparty commitment signed: its key and the signatures (LDK re-asks on retries). */
  lastCounterparty:
    { key: string; signature: Uint8Array; htlcSignatures: Uint8Array[] } | undefined;
  /** Holder commitments validated (key = number:txid). */
  readonly validatedHolder = new Set<string>();
  /** Holder commitment signatures given for broadcast, by number. */
  readonly holderSignatures = new Map<number, Uint8Array>();
  /** The holder commitments LDK asked us to validate, by number (for inspection and tests). */
  readonly holderCommitments = new Map<number, ldk.HolderCommitmentTransaction>();
  /** The counterparty commitments LDK asked us to sign, by number (for inspection and tests). */
  readonly counterpartyCommitments = new Map<number, ldk.CommitmentTransaction>();

  constructor(
    keysId: Uint8Array,
    valueSat: bigint,
    basepoints: ChannelBasepoints,
    dustLimitSat: bigint,
  ) {
    this.dustLimitSat = dustLimitSat;
    this.keysId = Uint8Array.from(keysId);
    this.id = bytesToHex(keysId);
    this.valueSat = valueSat;
    this.basepoints = basepoints;
    this.pubkeys = ldk.ChannelPublicKeys.constructor_new(
      basepoints.fundingPubkey,
      ldk.RevocationBasepoint.constructor_new(basepoints.revocationBasepoint),
      basepoints.paymentBasepoint,
      ldk.DelayedPaymentBasepoint.constructor_new(basepoints.delayedPaymentBasepoint),
      ldk.HtlcBasepoint.constructor_new(basepoints.htlcBasepoint),
    );
  }

  /** The parameters, or an error when LDK has not provided them yet. */
  requireParams(): LdkChannelParams {
    if (this.params === undefined) throw new Error("ldk: channel parameters not provided yet");
    return this.params;
  }

  /**
   * Rebuilds, after a restart, everything this record needs from Warden's stored state of the
   * channel instead of persisting a copy (Warden's state is authoritative and committed before
   * every signature, so it is never behind what LDK saw): the parameters (from the setup), the
   * exact msat balances and HTLCs (with their ids) of the last holder and counterparty
   * commitments, the HTLC id map and next ids (above every id still in a commitment), and the
   * commitment numbers by point and txid. What is not rebuilt is only a cache: LDK's retries
   * of the current commitments are answered by Warden itself (an identical retry is signed
   * again), points and released secrets are asked again, and older revoked counterparty
   * commitments are found by their revocation secret (Warden's shachain).
   */
  restore(state: ChannelState): void {
    const s = state.setup;
    if (s === undefined) return;
    this.setUp = true;
    this.params ??= {
      channelType: s.channelType,
      fundingOutpoint: s.fundingOutpoint,
      isOutbound: s.isOutbound,
      holderToSelfDelay: s.holderToSelfDelay,
      counterpartyToSelfDelay: s.counterpartyToSelfDelay,
      counterpartyBasepoints: s.counterpartyBasepoints,
    };
    const infos: { owner: "holder" | "counterparty"; info: CommitmentInfo }[] = [];
    if (state.previousCounterparty !== undefined)
      infos.push({ owner: "counterparty", info: state.previousCounterparty });
    if (state.currentCounterparty !== undefined)
      infos.push({ owner: "counterparty", info: state.currentCounterparty });
    if (state.currentHolder !== undefined)
      infos.push({ owner: "holder", info: state.currentHolder });
    const ids = new Map<string, Set<bigint>>();
    for (const { owner, info } of infos) {
      const htlcs: TrackedHtlc[] = info.htlcs.map((h) => {
        const offeredByUs = (owner === "holder") === (h.direction === "offered");
        const full = identityKey({ ...h, offeredByUs });
        let set = ids.get(full);
        if (set === undefined) ids.set(full, (set = new Set()));
        set.add(h.id);
        if (offeredByUs && h.id >= this.#nextOfferedId) this.#nextOfferedId = h.id + 1n;
        if (!offeredByUs && h.id >= this.#nextReceivedId) this.#nextReceivedId = h.id + 1n;
        return {
          id: h.id,
          offeredByUs,
          amountMsat: h.amountMsat,
          paymentHash: h.paymentHash,
          cltvExpiry: h.cltvExpiry,
        };
      });
      const holder = owner === "holder";
      // The later entry of an owner wins (the current counterparty commitment after the previous).
      this.#tracked.set(owner, {
        ours: holder ? info.toOwnerMsat : info.toOtherMsat,
        theirs: holder ? info.toOtherMsat : info.toOwnerMsat,
        htlcs,
      });
      const n = info.commitmentNumber;
      if (holder) this.holderByTxid.set(bytesToHex(info.txid), n);
      else {
        this.counterpartyByPoint.set(bytesToHex(info.perCommitmentPoint), n);
        this.counterpartyByTxid.set(bytesToHex(info.txid), n);
      }
    }
    // Ids were handed out in increasing order: the k-th equal HTLC gets the k-th smallest id.
    for (const [full, set] of ids)
      this.#htlcIds.set(
        full,
        [...set].sort((a, b) => (a < b ? -1 : 1)),
      );
  }

  /** Every payment hash of an HTLC in the tracked commitments. */
  trackedHashes(): Uint8Array[] {
    return [...this.#tracked.values()].flatMap((t) => t.htlcs.map((h) => h.paymentHash));
  }

  /** Warden's ChannelSetup; push is what the first commitment gives the non-funder. */
  setupFor(pushMsat: bigint): ChannelSetup {
    const p = this.requireParams();
    return {
      channelType: p.channelType,
      fundingOutpoint: p.fundingOutpoint,
      channelValueSat: this.valueSat,
      isOutbound: p.isOutbound,
      pushMsat,
      holderToSelfDelay: p.holderToSelfDelay,
      counterpartyToSelfDelay: p.counterpartyToSelfDelay,
      holderDustLimitSat: this.dustLimitSat,
      counterpartyDustLimitSat: this.dustLimitSat,
      counterpartyBasepoints: p.counterpartyBasepoints,
      holderShutdownScript: undefined,
      counterpartyShutdownScript: undefined,
    };
  }

  /** Stable ids for LDK's id-less HTLCs: the k-th equal HTLC of a commitment gets the k-th id. */
  #assignIds(htlcs: readonly HtlcIdentity[]): bigint[] {
    const seen = new Map<string, number>();
    return htlcs.map((h) => {
      const full = identityKey(h);
      const k = seen.get(full) ?? 0;
      seen.set(full, k + 1);
      return this.#idsOf(full, h.offeredByUs, k + 1)[k]!;
    });
  }

  /**
   * Warden's proposal for an LDK commitment owned by `owner`: HTLCs with stable ids and
   * balances before fee and anchors, exact to the msat. LDK shows only sat outputs after fees,
   * so the balances follow the previous commitment of the same owner through the HTLC changes
   * (an HTLC removed with a known preimage was fulfilled, else failed back); the sat outputs
   * (the funder's plus the fee and anchors it paid) are used for the first commitment, and
   * must agree with the tracked balances to the sat. `commit` records the result once Warden
   * accepted it.
   *
   * LDK 0.1 shows its signer only the HTLCs with an output. A trimmed HTLC (below the owner's
   * dust limit plus its HTLC tx fee) is found among the candidates: the previous commitment's
   * HTLCs LDK no longer shows, and `htlcDetails` (the channel's HTLCs as LDK lists them). The
   * candidates kept are the set, among those small enough to be trimmed, that makes the
   * balances agree with the outputs; Warden then recomposes the commitment with them (so a
   * wrong guess cannot be signed) and applies its payment rules to them like to any HTLC. When
   * no set agrees, the commitment moves value Warden cannot account for: `ldk/trimmed-htlc`.
   */
  proposalOf(
    owner: "holder" | "counterparty",
    ct: CommitmentView,
    preimageKnown: (paymentHash: Uint8Array) => boolean = () => false,
  ): { proposal: CommitmentProposal; commit: () => void } {
    const p = this.requireParams();
    const ldkHtlcs = ct.htlcs.filter((h) => h.outputIndex !== undefined);
    const feerate = ct.feeratePerKw;
    const fee = commitmentFeeSat(p.channelType, feerate, ldkHtlcs.length);
    const anchors = hasAnchors(p.channelType) ? 2n * ANCHOR_OUTPUT_VALUE_SAT : 0n;
    const ownerIsFunder = owner === "holder" ? p.isOutbound : !p.isOutbound;
    const tb = ct.toBroadcasterSat;
    const tc = ct.toCountersignatorySat;
    const estOwner = (ownerIsFunder ? tb + fee + anchors : tb) * 1000n;
    const estOther = (ownerIsFunder ? tc : tc + fee + anchors) * 1000n;
    const described = ldkHtlcs.map((h) => ({
      offeredByUs: owner === "holder" ? h.offered : !h.offered,
      paymentHash: h.paymentHash,
      amountMsat: h.amountMsat,
      cltvExpiry: h.cltvExpiry,
    }));
    const ids = this.#assignIds(described);
    const visible: TrackedHtlc[] = described.map((d, i) => ({ id: ids[i]!, ...d }));
    // Balances from our side: ours and theirs.
    let ours = owner === "holder" ? estOwner : estOther;
    let theirs = owner === "holder" ? estOther : estOwner;
    let htlcs = visible;
    const prev = this.#tracked.get(owner);
    if (prev !== undefined) {
      const same = (a: TrackedHtlc, b: TrackedHtlc): boolean =>
        a.id === b.id && a.offeredByUs === b.offeredByUs;
      // The tracked balances once the previous HTLCs become `next`.
      const follow = (next: readonly TrackedHtlc[]): { o: bigint; t: bigint } => {
        let o = prev.ours;
        let t = prev.theirs;
        for (const h of prev.htlcs) {
          if (next.some((n) => same(n, h))) continue;
          const toReceiver = preimageKnown(h.paymentHash);
          if (h.offeredByUs === toReceiver) t += h.amountMsat;
          else o += h.amountMsat;
        }
        for (const h of next) {
          if (prev.htlcs.some((x) => same(x, h))) continue;
          if (h.offeredByUs) o -= h.amountMsat;
          else t -= h.amountMsat;
        }
        return { o, t };
      };
      const plain = follow(visible);
      const trimmable = (h: TrackedHtlc): boolean =>
        isHtlcTrimmed(
          p.channelType,
          feerate,
          this.dustLimitSat,
          (owner === "holder") === h.offeredByUs ? "offered" : "received",
          h.amountMsat,
        );
      const pool = this.#trimmedCandidates(prev.htlcs, visible).filter(trimmable);
      // Each candidate kept moves one balance down by its amount (a previous HTLC kept is not
      // settled; a new one is added): ours for the HTLCs whose value would otherwise be ours,
      // theirs for the others. The two balances are solved for separately.
      const inPrev = (h: TrackedHtlc): boolean => prev.htlcs.some((x) => same(x, h));
      const movesOurs = (h: TrackedHtlc): boolean =>
        inPrev(h) ? h.offeredByUs !== preimageKnown(h.paymentHash) : h.offeredByUs;
      // The likely set: every candidate but those LDK lists as being settled.
      const settling = new Set(
        this.htlcDetails.filter((d) => d.settling).map((d) => identityKey(d)),
      );
      const solve = (side: "ours" | "theirs"): TrackedHtlc[] | undefined => {
        const items = pool.filter((h) => movesOurs(h) === (side === "ours"));
        const base = side === "ours" ? plain.o : plain.t;
        const shownSat = (side === "ours" ? ours : theirs) / 1000n;
        // The kept amounts must bring the balance to the output's sat value.
        return trimmedSubset(
          items,
          items.map((h) => !settling.has(identityKey(h))),
          base - shownSat * 1000n - 999n,
          base - shownSat * 1000n,
        );
      };
      const keptOurs = solve("ours");
      const keptTheirs = keptOurs === undefined ? undefined : solve("theirs");
      if (keptOurs !== undefined && keptTheirs !== undefined) {
        htlcs = [...visible, ...keptOurs, ...keptTheirs];
        const b = follow(htlcs);
        ours = b.o;
        theirs = b.t;
      } else {
        const shown = ours + theirs + visible.reduce((sum, h) => sum + h.amountMsat, 0n);
        // More than the outputs' sub-sat rounding is missing: value in flight that LDK does
        // not show its signer and no candidate explains (else trust the outputs).
        if (this.valueSat * 1000n - shown >= 2000n) {
          throw new TrimmedHtlcError(
            `commitment ${numberFromIndex(ct.index)} moves ` +
              `${this.valueSat * 1000n - shown} msat with no HTLC LDK shows its signer or ` +
              "lists for the channel: value below the dust limit the LDK adapter cannot " +
              "account for (not signed)",
            keptOurs !== undefined,
          );
        }
      }
    }
    const proposalHtlcs: Htlc[] = htlcs.map((h) => ({
      id: h.id,
      direction: (owner === "holder") === h.offeredByUs ? "offered" : "received",
      amountMsat: h.amountMsat,
      paymentHash: h.paymentHash,
      cltvExpiry: h.cltvExpiry,
    }));
    return {
      proposal: {
        commitmentNumber: numberFromIndex(ct.index),
        feeratePerKw: feerate,
        toOwnerMsat: owner === "holder" ? ours : theirs,
        toOtherMsat: owner === "holder" ? theirs : ours,
        htlcs: proposalHtlcs,
      },
      commit: () => {
        this.#tracked.set(owner, { ours, theirs, htlcs });
        // Once neither commitment carries a trimmed HTLC, the listed ones are history.
        if (htlcs.length > visible.length) this.#carriesTrimmed.add(owner);
        else this.#carriesTrimmed.delete(owner);
        if (this.#carriesTrimmed.size === 0) this.htlcDetails = [];
      },
    };
  }

  /**
   * The HTLCs that may be in a commitment without LDK showing them: the previous commitment's
   * not shown now, then those LDK lists (htlcDetails) not already among them or shown (each
   * with its stable id).
   */
  #trimmedCandidates(
    previous: readonly TrackedHtlc[],
    visible: readonly TrackedHtlc[],
  ): TrackedHtlc[] {
    const hidden = previous.filter(
      (h) => !visible.some((v) => v.id === h.id && v.offeredByUs === h.offeredByUs),
    );
    const pool = [...hidden];
    const listed = new Map<string, HtlcIdentity[]>();
    for (const d of this.htlcDetails) {
      const k = identityKey(d);
      listed.set(k, [...(listed.get(k) ?? []), d]);
    }
    for (const [k, ds] of listed) {
      const used = new Set(
        [...visible, ...hidden].filter((h) => identityKey(h) === k).map((h) => h.id),
      );
      const extra = ds.length - used.size;
      if (extra <= 0) continue;
      const ids = this.#idsOf(k, ds[0]!.offeredByUs, used.size + extra).filter(
        (id) => !used.has(id),
      );
      for (const id of ids.slice(0, extra)) pool.push({ id, ...ds[0]! });
    }
    return pool;
  }

  /** The first `count` ids of HTLCs with identity `full` (handed out in increasing order). */
  #idsOf(full: string, offeredByUs: boolean, count: number): bigint[] {
    let ids = this.#htlcIds.get(full);
    if (ids === undefined) {
      ids = [];
      this.#htlcIds.set(full, ids);
    }
    while (ids.length < count) {
      if (offeredByUs) ids.push(this.#nextOfferedId++);
      else ids.push(this.#nextReceivedId++);
    }
    return ids.slice(0, count);
  }
}

/**
 * A commitment moving value that no HTLC LDK shows or lists explains (LDK trims HTLCs below
 * the dust limit from what it shows its signer).
 */
export class TrimmedHtlcError extends WardenError {
  /** Whether our own balance is explained: the value missing is the counterparty's. */
  readonly oursExplained: boolean;
  constructor(message: string, oursExplained: boolean) {
    super("ldk/trimmed-htlc", message);
    this.oursExplained = oursExplained;
  }
}

/** Candidates up to which every subset is tried (2^n); beyond, a few changes from a guess. */
const EXHAUSTIVE_CANDIDATES = 12;
/** How many candidates a search beyond EXHAUSTIVE_CANDIDATES may change from its guess. */
const MAX_CHANGES = 3;

/**
 * The subset of `items` whose amounts sum into [lo, hi], closest to `guess` (which items a
 * commitment most likely keeps: the previous commitment's): every subset when there are few
 * items, else the guess changed in at most MAX_CHANGES items, then the other combinations of
 * keeping or dropping all the guessed-kept and all the guessed-dropped items, each changed in
 * at most MAX_CHANGES (batches of HTLCs added or settled at once). Undefined when none fits.
 */
export function trimmedSubset<T extends { amountMsat: bigint }>(
  items: readonly T[],
  guess: readonly boolean[],
  lo: bigint,
  hi: bigint,
): T[] | undefined {
  const total = (keep: readonly boolean[]): bigint =>
    items.reduce((sum, h, i) => (keep[i] === true ? sum + h.amountMsat : sum), 0n);
  const pick = (keep: readonly boolean[]): T[] => items.filter((_, i) => keep[i] === true);
  if (items.length <= EXHAUSTIVE_CANDIDATES) {
    let best: { keep: boolean[]; distance: number; size: number } | undefined;
    for (let mask = 0; mask < 1 << items.length; mask++) {
      const keep = items.map((_, i) => ((mask >> i) & 1) === 1);
      const sum = total(keep);
      if (sum < lo || sum > hi) continue;
      const distance = keep.filter((k, i) => k !== guess[i]).length;
      const size = keep.filter(Boolean).length;
      if (
        best === undefined ||
        distance < best.distance ||
        (distance === best.distance && size < best.size)
      )
        best = { keep, distance, size };
    }
    return best === undefined ? undefined : pick(best.keep);
  }
  // Starting points: the guess, then every item of a kind (guessed kept or not) kept or
  // dropped at once (a batch of HTLCs added, or settled, in one commitment).
  const starts = [guess, guess.map(() => true), guess.map((g) => !g), guess.map(() => false)];
  for (const start of starts) {
    const base = total(start);
    // Changing item i drops it (the sum loses its amount) or keeps it (the sum gains it).
    const step = items.map((h, i) => (start[i] === true ? -h.amountMsat : h.amountMsat));
    const fits = (sum: bigint): boolean => sum >= lo && sum <= hi;
    const flipped = (idx: readonly number[]): T[] =>
      pick(start.map((k, i) => (idx.includes(i) ? !k : k)));
    // Fewest changes first: every single change, then every pair, then every triple.
    const idx: number[] = [];
    const search = (from: number, left: number, sum: bigint): boolean => {
      if (left === 0) return fits(sum);
      for (let i = from; i < items.length; i++) {
        idx.push(i);
        if (search(i + 1, left - 1, sum + step[i]!)) return true;
        idx.pop();
      }
      return false;
    };
    // (Triples only among a few hundred candidates at most: C(n, 3) grows fast.)
    for (let k = 0; k <= (items.length > 120 ? 2 : MAX_CHANGES); k++) {
      if (search(0, k, base)) return flipped(idx);
    }
  }
  return undefined;
}

/** What identifies an HTLC to the adapter (LDK shows no HTLC ids): direction, hash, amount, expiry. */
export interface HtlcIdentity {
  offeredByUs: boolean;
  paymentHash: Uint8Array;
  amountMsat: bigint;
  cltvExpiry: number;
}

/** An HTLC as LDK lists it for a channel (ChannelManager.list_channels). */
export interface ListedHtlc extends HtlcIdentity {
  /** Being removed (fulfilled or failed, waiting for the revocation that completes it). */
  settling: boolean;
}

/** The map key of an HTLC identity. */
function identityKey(h: HtlcIdentity): string {
  return `${h.offeredByUs ? "o" : "r"}:${bytesToHex(h.paymentHash)}:${h.amountMsat}:${h.cltvExpiry}`;
}

/** An HTLC as the balance tracking sees it. */
interface TrackedHtlc extends HtlcIdentity {
  id: bigint;
}
