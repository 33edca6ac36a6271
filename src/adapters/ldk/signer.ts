/**
 * Warden as LDK's signer: EntropySource, NodeSigner, SignerProvider (with its ChannelSigner /
 * EcdsaChannelSigner objects) and OutputSpender for lightningdevkit 0.1.x, backed by a Warden
 * Node running in a host thread. Warden holds and derives every key (KeysManager-style, from
 * the seed); LDK's KeysManager is not used. Every callback catches everything and answers with
 * LDK's error result (an exception thrown into LDK would abort the process); a refusal is
 * logged with its rule id and kept in `refusals`.
 */
import { randomBytes } from "node:crypto";
import * as ldk from "lightningdevkit";
import { type OutPoint, parseTx, serializeTx, type Tx, type TxOut } from "../../bitcoin/tx.js";
import { hash160, sha256 } from "../../crypto/hash.js";
import { pointMul, publicKey } from "../../crypto/secp256k1.js";
import type { ChannelBasepoints } from "../../bolt3/commitment-keys.js";
import type { HolderHtlcTxRequest } from "../../state/onchain-htlc.js";
import type { SweepRequest, SweepSource } from "../../state/onchain-sweep.js";
import type { ChannelState } from "../../state/channel-state.js";
import { PolicyError } from "../../policy/errors.js";
import { WardenError } from "../../errors.js";
import type { CommitmentSignatures, SignedInput, SignedTransaction } from "../../signer/channel.js";
import type { MutualCloseProposal } from "../../policy/rules/mutual-close.js";
import { bytesToHex, equalBytes } from "../../util/bytes.js";
import {
  commitmentIndexFromNumber,
  commitmentNumberFromTx,
  commitmentObscuringFactor,
} from "../../bolt3/commitment-number.js";
import { ShachainStore } from "../../bolt3/shachain-store.js";
import {
  ChannelRecord,
  type ListedHtlc,
  TrimmedHtlcError,
  readChannelParams,
} from "./channel-record.js";
import { WardenHost } from "./client.js";
import type { BatchEntry, HostInfo, HostSpec, HostWalletKey } from "./host-protocol.js";
import {
  htlcOutputIndex,
  numberFromIndex,
  readCommitment,
  readHolderCommitment,
} from "./ldk-codec.js";

/** LDK 0.1's dust limit (MIN_CHAN_DUST_LIMIT_SATOSHIS), which it uses for both sides. */
export const LDK_DUST_LIMIT_SAT = 354n;

/** A refused (or failed) signer request, as logged. */
export interface SignerRefusal {
  /** The LDK callback. */
  op: string;
  /** Warden channel id (channel_keys_id hex), when the request was about a channel. */
  channelId: string | undefined;
  /** Rule ids of a policy refusal; empty for other errors. */
  ruleIds: string[];
  message: string;
}

/** The chain as the signer's host application sees it (sweeps need the outputs they spend). */
export interface ChainView {
  /** The output at `outpoint` (txid in internal byte order), if known. */
  output(outpoint: OutPoint): TxOut | undefined;
  /** The raw transaction with this txid (internal byte order), if known. */
  transaction(txid: Uint8Array): Tx | undefined;
  /** The txid (internal byte order) of the `index`-th transaction of block `height`, if known. */
  txidAt?(height: number, index: number): Uint8Array | undefined;
}

/** A signature Warden returned to LDK, with what LDK asked it to sign (for audits and tests). */
export type SignatureEvent =
  | {
      kind: "counterparty-commitment";
      channel: ChannelRecord;
      commitment: ldk.CommitmentTransaction;
      signature: Uint8Array;
      htlcSignatures: readonly Uint8Array[];
    }
  | {
      kind: "holder-commitment";
      channel: ChannelRecord;
      commitment: ldk.HolderCommitmentTransaction;
      signature: Uint8Array;
    }
  | {
      kind: "closing";
      channel: ChannelRecord;
      closing: ldk.ClosingTransaction;
      signature: Uint8Array;
    };

/** Options of a WardenLdkSigner. */
export interface WardenLdkSignerOptions {
  /** The dust limit LDK uses (not visible to a signer); default LDK 0.1's 354 sat. */
  dustLimitSat?: bigint;
  /** Log sink (refusals and errors); default console.error. */
  log?: (line: string) => void;
  /** Chain lookups for sweeps and claims; without it only single-input sweeps of known outputs work. */
  chain?: ChainView;
  /** Our shutdown scriptPubKey (e.g. an allowlisted cold-wallet address); default P2WPKH of m/2'. */
  shutdownScript?: Uint8Array;
  /** Called with every commitment and closing signature returned to LDK. */
  onSignature?: (e: SignatureEvent) => void;
}

/** An HTLC of LDK's channel list (ChannelDetails' pending HTLCs) as the adapter keeps it. */
function listedHtlc(
  offeredByUs: boolean,
  h: { get_payment_hash(): Uint8Array; get_amount_msat(): bigint; get_cltv_expiry(): number },
  settling: boolean,
): ListedHtlc {
  return {
    offeredByUs,
    paymentHash: h.get_payment_hash(),
    amountMsat: h.get_amount_msat(),
    cltvExpiry: h.get_cltv_expiry(),
    settling,
  };
}

/** A request the signer answers later (LDK's async signing): not a refusal. */
class SignerNotReady extends Error {}

const SECP_ERR = (): ldk.Result_ECDSASignatureNoneZ =>
  ldk.Result_ECDSASignatureNoneZ.constructor_err();

/** Warden in every signer slot of one LDK node. */
export class WardenLdkSigner {
  readonly host: WardenHost;
  readonly info: HostInfo;
  readonly entropySource: ldk.EntropySource;
  readonly nodeSigner: ldk.NodeSigner;
  readonly signerProvider: ldk.SignerProvider;
  readonly outputSpender: ldk.OutputSpender;
  /** Every refused or failed request, oldest first. */
  readonly refusals: SignerRefusal[] = [];
  readonly #records = new Map<string, ChannelRecord>();
  readonly #dustLimitSat: bigint;
  readonly #log: (line: string) => void;
  readonly #chain: ChainView | undefined;
  readonly #shutdownScript: Uint8Array;
  readonly #onSignature: ((e: SignatureEvent) => void) | undefined;
  readonly #inboundKey: ldk.ExpandedKey;
  /** Preimages learned and not yet sent to Warden (they go with the next call). */
  #unsentPreimages: Uint8Array[] = [];
  /** Preimages learned from LDK (payment hash hex → preimage), each given to Warden once. */
  readonly #preimages = new Map<string, Uint8Array>();
  /** LDK holds implementation objects only weakly: every one we hand out is kept here. */
  readonly #keep: unknown[] = [];
  #keysIdCounter = 0;
  /** The node's ChannelManager, once attached (attachChannelManager). */
  #channelManager: ldk.ChannelManager | undefined;
  #detailsScheduled = false;
  /**
   * Approvals go on the sync port, in order with the signing requests (their approver never
   * waits on a human): an approval asked before a payment is committed before its commitment.
   */
  readonly #approvalsInOrder: boolean;

  private constructor(
    host: WardenHost,
    info: HostInfo,
    opts: WardenLdkSignerOptions,
    approver: HostSpec["approver"],
  ) {
    this.host = host;
    this.info = info;
    this.#approvalsInOrder = approver !== "queue";
    this.#dustLimitSat = opts.dustLimitSat ?? LDK_DUST_LIMIT_SAT;
    this.#log = opts.log ?? ((l) => console.error(l));
    this.#chain = opts.chain;
    this.#onSignature = opts.onSignature;
    this.#shutdownScript =
      opts.shutdownScript ?? Uint8Array.of(0x00, 0x14, ...hash160(info.shutdownPubkey));
    this.#inboundKey = ldk.ExpandedKey.constructor_new(
      host.call<Uint8Array>("inboundPaymentKeyMaterial"),
    );
    this.entropySource = ldk.EntropySource.new_impl({
      get_secure_random_bytes: () => new Uint8Array(randomBytes(32)),
    });
    this.nodeSigner = this.#makeNodeSigner();
    this.signerProvider = this.#makeSignerProvider();
    this.outputSpender = ldk.OutputSpender.new_impl({
      spend_spendable_outputs: (descriptors, outputs, change, feerate, locktime) =>
        this.#guard(
          "spend_spendable_outputs",
          undefined,
          () =>
            ldk.Result_TransactionNoneZ.constructor_ok(
              this.#spend(descriptors, outputs, change, feerate, locktime),
            ),
          () => ldk.Result_TransactionNoneZ.constructor_err(),
        ),
    });
  }

  /** Starts a Warden host for `spec` and the signer over it. */
  static async start(spec: HostSpec, opts: WardenLdkSignerOptions = {}): Promise<WardenLdkSigner> {
    const host = await WardenHost.start(spec);
    const info = host.call<HostInfo>("info");
    return new WardenLdkSigner(host, info, opts, spec.approver);
  }

  /**
   * Blocks until Warden committed (or refused, logged) every validation sent without waiting
   * (validate_counterparty_revocation). Call it in LDK's Persist before a ChannelMonitor is
   * written, so no monitor durably records what Warden has not.
   */
  flush(): void {
    this.host.flush();
  }

  /** The node id (33 bytes). */
  get nodeId(): Uint8Array {
    return this.info.nodeId;
  }

  /** Our shutdown scriptPubKey (where cooperative closes pay us). */
  get shutdownScript(): Uint8Array {
    return this.#shutdownScript;
  }

  /** The adapter's record of channel `channelKeysId` (hex), if LDK derived its signer. */
  channel(channelId: string): ChannelRecord | undefined {
    return this.#records.get(channelId);
  }

  /** Every channel LDK derived a signer for. */
  channels(): ChannelRecord[] {
    return [...this.#records.values()];
  }

  /** Warden's enforcement state of a channel (a copy, from the host). */
  channelState(channelId: string): ChannelState {
    return this.host.call<ChannelState>("state", channelId);
  }

  /**
   * Approves paying a BOLT 11 invoice (resolves once approved; rejects with the refusal).
   * Unless a human answers approvals ("queue"), the approval is decided before any signing
   * request made after this call: a node may start the payment without awaiting it, and if
   * the approval is refused the payment's commitment is refused with it
   * (policy-commitment-payment-approved).
   */
  approveInvoice(bolt11: string, amountMsat?: bigint): Promise<void> {
    return this.#askApproval("approveInvoice", bolt11, amountMsat);
  }

  /** Approves a keysend payment (in order with signing requests, as approveInvoice). */
  approveKeysend(payee: Uint8Array, paymentHash: Uint8Array, amountMsat: bigint): Promise<void> {
    return this.#askApproval("approveKeysend", payee, paymentHash, amountMsat);
  }

  /** Sends an approval in order with the signing requests, or on its own port for a human. */
  #askApproval(op: "approveInvoice" | "approveKeysend", ...args: unknown[]): Promise<void> {
    return this.#approvalsInOrder
      ? this.host.requestInOrder(op, ...args)
      : this.host.request(op, ...args);
  }

  /** Key `index` of the on-chain wallet's receive (`change` false) or change chain. */
  walletKey(index: number, change = false): HostWalletKey {
    return this.host.call<HostWalletKey>("walletKey", change ? 1 : 0, index);
  }

  /**
   * Signs the wallet's inputs of a funding (or withdrawal) PSBT after the On-chain rules
   * (funding output of a set-up, countersigned channel; change only to us or the allowlist);
   * returns the PSBT with our signatures. A refusal is logged and kept, then thrown.
   */
  signPsbt(psbt: Uint8Array): Uint8Array {
    try {
      return this.host.call<Uint8Array>("signPsbt", psbt);
    } catch (e) {
      this.#guard(
        "sign_psbt",
        undefined,
        () => {
          throw e;
        },
        () => undefined,
      );
      throw e;
    }
  }

  /**
   * The latest holder commitment Warden validated, fully signed for broadcast (raw bytes): how
   * a channel is closed when LDK cannot, e.g. one paused on a refused deferred commitment
   * (`ldk/holder-unvalidated`), whose newer commitment LDK's monitor holds but Warden will not
   * sign. LDK's monitor still knows this one (its secret was never released) and reports our
   * output once it confirms (SpendableOutputs, after to_self_delay). Warden never revokes a commitment it signed for broadcast, so
   * the channel cannot go on afterwards.
   */
  closeWithLastValidCommitment(channelId: string): Uint8Array {
    const rec = this.#records.get(channelId);
    if (rec === undefined) throw new Error(`ldk: no channel ${channelId}`);
    const n = this.channelState(channelId).nextHolderCommitNum - 1;
    const signed = this.#channelCall<SignedTransaction>(rec, "signHolderCommitment", n);
    rec.holderSignatures.set(n, signed.signature);
    return serializeTx(signed.tx);
  }

  /** Updates the signer's chain height (HTLC expiry and sweep rules use it). */
  setChainHeight(height: number): void {
    this.host.call("setChainHeight", height);
  }

  /** Stops the host thread. */
  async close(): Promise<void> {
    await this.host.close();
  }

  /**
   * Runs `fn`; any error becomes LDK's error result, logged (with its rule ids) and kept. A
   * request that is not ready (SignerNotReady) is only logged: LDK asks again once unblocked.
   */
  #guard<T>(op: string, channelId: string | undefined, fn: () => T, err: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof SignerNotReady) {
        this.#log(`warden: ${op} [${(channelId ?? "").slice(0, 16)}] not ready: ${e.message}`);
      } else {
        this.#refused(op, channelId, e);
      }
      return err();
    }
  }

  /** Records and logs a refused or failed request (with its rule ids). */
  #refused(op: string, channelId: string | undefined, e: unknown): void {
    const ruleIds = e instanceof PolicyError ? e.violations.map((v) => v.ruleId) : [];
    const message = e instanceof Error ? e.message : String(e);
    this.refusals.push({ op, channelId, ruleIds, message });
    const what = ruleIds.length > 0 ? `refused by ${ruleIds.join(", ")}` : "failed";
    this.#log(
      `warden: ${op}${channelId === undefined ? "" : ` [${channelId.slice(0, 16)}]`} ${what}: ${message}`,
    );
  }

  #channelCall<T>(rec: ChannelRecord, method: string, ...args: unknown[]): T {
    return this.#channelCallPrefetching<T>(rec, [], method, ...args);
  }

  /**
   * One round trip to the host: the preimages learned since the last call, then `method`, then
   * (if it succeeded) our per-commitment points `prefetch` not known yet, which LDK asks for
   * next (refused ones are simply not cached).
   */
  #channelCallPrefetching<T>(
    rec: ChannelRecord,
    prefetch: readonly number[],
    method: string,
    ...args: unknown[]
  ): T {
    const points = prefetch.filter((n) => !rec.points.has(n));
    if (this.#unsentPreimages.length === 0 && points.length === 0) {
      return this.host.call<T>("channel", rec.id, method, args);
    }
    const entries: BatchEntry[] = [
      ...this.#takePreimages(),
      { op: "channel", args: [rec.id, method, args] },
      ...points.map((n) => ({
        op: "channel" as const,
        args: [rec.id, "getPerCommitmentPoint", [n]],
        optional: true,
      })),
    ];
    const main = entries.length - points.length - 1;
    const results = this.host.call<unknown[]>("batch", entries);
    points.forEach((n, i) => {
      const p = results[main + 1 + i];
      if (p instanceof Uint8Array) rec.points.set(n, p);
    });
    return results[main] as T;
  }

  /**
   * Sends `method` (after the preimages learned since the last call) without waiting: for
   * validations whose answer LDK does not need. Warden runs it before any later request, so
   * nothing is signed or revealed past it unless it was committed; a refusal is logged (with
   * its rule ids) when a later call reads it.
   */
  #channelPost(rec: ChannelRecord, op: string, method: string, args: unknown[]): void {
    const onFailure = (e: unknown): void => this.#refused(op, rec.id, e);
    if (this.#unsentPreimages.length === 0) {
      this.host.post("channel", [rec.id, method, args], onFailure);
      return;
    }
    const entries: BatchEntry[] = [
      ...this.#takePreimages(),
      { op: "channel", args: [rec.id, method, args] },
    ];
    this.host.post("batch", [entries], onFailure);
  }

  /** The addPreimage entries of the preimages not sent yet (now counted as sent). */
  #takePreimages(): BatchEntry[] {
    const entries = this.#unsentPreimages.map((p) => ({
      op: "addPreimage" as const,
      args: [p],
    }));
    this.#unsentPreimages = [];
    return entries;
  }

  /** Notes the preimages LDK passed along; Warden gets the new ones with the next call. */
  #learnPreimages(preimages: readonly Uint8Array[]): void {
    for (const p of preimages) {
      const key = bytesToHex(sha256(p));
      if (this.#preimages.has(key)) continue;
      this.#unsentPreimages.push(p);
      this.#preimages.set(key, p);
    }
  }

  #preimageFor(hash: Uint8Array): Uint8Array | undefined {
    return this.#preimages.get(bytesToHex(hash));
  }

  /** True when LDK gave us the preimage of `hash` (the HTLC was fulfilled). */
  readonly #knownHash = (hash: Uint8Array): boolean => this.#preimages.has(bytesToHex(hash));

  /** Sets the channel up in Warden once (before its first commitment). */
  #ensureSetup(rec: ChannelRecord, pushMsat: bigint): void {
    if (rec.setUp) return;
    try {
      this.#channelCall(rec, "setup", rec.setupFor(pushMsat));
    } catch (e) {
      if (!(e instanceof Error && "code" in e && e.code === "state/already-set-up")) throw e;
    }
    rec.setUp = true;
  }

  // ---- NodeSigner ----

  #makeNodeSigner(): ldk.NodeSigner {
    const impl: ldk.NodeSignerInterface = {
      get_inbound_payment_key: () => this.#inboundKey,
      get_node_id: (recipient) =>
        recipient === ldk.Recipient.LDKRecipient_Node
          ? ldk.Result_PublicKeyNoneZ.constructor_ok(this.info.nodeId)
          : ldk.Result_PublicKeyNoneZ.constructor_err(),
      ecdh: (recipient, other, tweak) =>
        this.#guard(
          "ecdh",
          undefined,
          () => {
            if (recipient !== ldk.Recipient.LDKRecipient_Node) throw new Error("phantom ecdh");
            const point =
              tweak instanceof ldk.Option_BigEndianScalarZ_Some
                ? pointMul(other, tweak.some.scalar_bytes)
                : other;
            return ldk.Result_ThirtyTwoBytesNoneZ.constructor_ok(
              this.host.call<Uint8Array>("ecdh", point),
            );
          },
          () => ldk.Result_ThirtyTwoBytesNoneZ.constructor_err(),
        ),
      sign_invoice: () =>
        this.#guard(
          "sign_invoice",
          undefined,
          () => {
            // The bindings give only the signable hash of a RawBolt11Invoice, not its fields'
            // bytes: Warden never signs a hash it cannot check.
            throw new Error("BOLT 11 invoices from LDK cannot be checked; not signed");
          },
          () => ldk.Result_RecoverableSignatureNoneZ.constructor_err(),
        ),
      sign_bolt12_invoice: () =>
        this.#guard(
          "sign_bolt12_invoice",
          undefined,
          () => {
            throw new Error("BOLT 12 invoices are not supported by the LDK adapter");
          },
          () => ldk.Result_SchnorrSignatureNoneZ.constructor_err(),
        ),
      sign_gossip_message: (msg) =>
        this.#guard(
          "sign_gossip_message",
          undefined,
          () => ldk.Result_ECDSASignatureNoneZ.constructor_ok(this.#signGossip(msg)),
          SECP_ERR,
        ),
    };
    const signer = ldk.NodeSigner.new_impl(impl);
    this.#keep.push(impl, signer);
    return signer;
  }

  /**
   * Node-key signatures on gossip. A channel_update is signed for the channel its SCID names:
   * the SCID's block and position must hold the channel's funding transaction on our chain
   * view (LDK 0.1 aborts if this signature is refused, so the chain view must be given).
   */
  #signGossip(msg: ldk.UnsignedGossipMessage): Uint8Array {
    const body = msg.write();
    if (msg instanceof ldk.UnsignedGossipMessage_NodeAnnouncement) {
      return this.host.call<Uint8Array>("signNodeAnnouncement", withHeader(0x0101, 1, body));
    }
    if (msg instanceof ldk.UnsignedGossipMessage_ChannelUpdate) {
      const scid = msg.channel_update.get_short_channel_id();
      const scidBytes = new Uint8Array(8);
      new DataView(scidBytes.buffer).setBigUint64(0, scid, false);
      const height = Number(scid >> 40n);
      const index = Number((scid >> 16n) & 0xffffffn);
      const vout = Number(scid & 0xffffn);
      const txid = this.#chain?.txidAt?.(height, index);
      const rec = this.channels().find((r) => {
        const fo = r.params?.fundingOutpoint;
        return (
          fo !== undefined && txid !== undefined && fo.vout === vout && equalBytes(fo.txid, txid)
        );
      });
      if (rec === undefined) throw new Error(`no channel of ours is at SCID ${scid}`);
      if (!rec.scidBound) {
        // LDK signs only our side's updates; its direction bit names our side.
        const direction = (msg.channel_update.get_channel_flags() & 1) as 0 | 1;
        this.host.call("bindUnannouncedScid", rec.id, scidBytes, direction);
        rec.scidBound = true;
      }
      return this.host.call<Uint8Array>("signChannelUpdate", rec.id, withHeader(0x0102, 1, body));
    }
    throw new Error("channel announcements are signed with the channel's funding key");
  }

  // ---- SignerProvider ----

  #makeSignerProvider(): ldk.SignerProvider {
    const impl: ldk.SignerProviderInterface = {
      generate_channel_keys_id: () => {
        // Our own id (never LDK's u128 user_channel_id, which the bindings mangle): a counter
        // then random bytes; Warden derives the channel's keys from it and the seed.
        const id = new Uint8Array(randomBytes(32));
        new DataView(id.buffer).setUint32(0, ++this.#keysIdCounter, false);
        return id;
      },
      derive_channel_signer: (value, keysId) => {
        try {
          return this.#deriveSigner(value, keysId);
        } catch (e) {
          // No Result to answer with here: a signer that refuses everything keeps LDK alive.
          this.#guard(
            "derive_channel_signer",
            bytesToHex(keysId),
            () => {
              throw e;
            },
            () => undefined,
          );
          return this.#refusingSigner(keysId);
        }
      },
      read_chan_signer: (bytes) => {
        // LDK 0.1 neither writes channel signers nor calls this for objects it wrote (it
        // re-derives them with derive_channel_signer and the channel_keys_id): it is only
        // reached for a signer reference in Warden's own format (encodeChannelSignerRef).
        const ref = decodeChannelSignerRef(bytes);
        if (ref === undefined) {
          this.#log("warden: read_chan_signer: not a Warden channel signer reference");
          return ldk.Result_EcdsaChannelSignerDecodeErrorZ.constructor_err(
            ldk.DecodeError.constructor_invalid_value(),
          );
        }
        return ldk.Result_EcdsaChannelSignerDecodeErrorZ.constructor_ok(
          impl.derive_channel_signer(ref.valueSat, ref.keysId),
        );
      },
      get_destination_script: () =>
        ldk.Result_CVec_u8ZNoneZ.constructor_ok(this.info.destinationScript),
      get_shutdown_scriptpubkey: () =>
        this.#guard(
          "get_shutdown_scriptpubkey",
          undefined,
          () =>
            ldk.Result_ShutdownScriptNoneZ.constructor_ok(shutdownScriptOf(this.#shutdownScript)),
          () => ldk.Result_ShutdownScriptNoneZ.constructor_err(),
        ),
    };
    const sp = ldk.SignerProvider.new_impl(impl);
    this.#keep.push(impl, sp);
    return sp;
  }

  /**
   * The record of a channel, created (with Warden's channel) on first use. After a restart
   * (LDK re-derives the signers of the channels it read back) Warden already has the channel
   * in its Store: the record is rebuilt from that state (ChannelRecord.restore) and the
   * preimages of its HTLCs from Warden's payments ledger, so nothing the adapter tracks lives
   * only in this process's memory.
   */
  #record(valueSat: bigint, keysId: Uint8Array): ChannelRecord {
    const id = bytesToHex(keysId);
    let rec = this.#records.get(id);
    if (rec === undefined) {
      const [basepoints, state, deferred] = this.host.call<
        [ChannelBasepoints, ChannelState, Uint8Array | undefined]
      >("batch", [
        { op: "newChannel", args: [id] },
        { op: "state", args: [id] },
        { op: "deferredHolder", args: [id] },
      ]);
      rec = new ChannelRecord(keysId, valueSat, basepoints, this.#dustLimitSat);
      if (state.setup !== undefined) {
        rec.restore(state);
        if (deferred !== undefined) this.#restoreDeferred(rec, deferred);
        const hashes = rec.trackedHashes();
        if (hashes.length > 0) {
          for (const p of this.host.call<Uint8Array[]>("preimages", hashes)) {
            this.#preimages.set(bytesToHex(sha256(p)), p);
          }
        }
      }
      this.#records.set(id, rec);
    }
    return rec;
  }

  /**
   * A holder commitment deferred before a restart (see #validateHolder): deferred again, so
   * the channel stays paused until provideHtlcDetails validates it.
   */
  #restoreDeferred(rec: ChannelRecord, bytes: Uint8Array): void {
    const read = ldk.HolderCommitmentTransaction.constructor_read(bytes);
    if (!(read instanceof ldk.Result_HolderCommitmentTransactionDecodeErrorZ_OK)) {
      throw new Error(`ldk: the deferred holder commitment of ${rec.id} does not decode`);
    }
    const inner = readHolderCommitment(read.res);
    const key = `${numberFromIndex(inner.index)}:${bytesToHex(inner.txid)}`;
    rec.deferredHolder = { htx: read.res, outbound: [], key };
    rec.awaitingDetailsFor = `h:${key}`;
  }

  #deriveSigner(valueSat: bigint, keysId: Uint8Array): ldk.EcdsaChannelSigner {
    const rec = this.#record(valueSat, keysId);
    const chan: ldk.ChannelSignerInterface = {
      get_per_commitment_point: (idx) =>
        this.#guard(
          "get_per_commitment_point",
          rec.id,
          () => {
            const n = numberFromIndex(idx);
            let p = rec.points.get(n);
            if (p === undefined) {
              // Given even while a holder commitment is deferred or refused (points are public,
              // and LDK 0.1 may panic when a point is refused after a reconnection).
              p = this.#channelCall<Uint8Array>(rec, "getPerCommitmentPoint", n);
              rec.points.set(n, p);
            }
            return ldk.Result_PublicKeyNoneZ.constructor_ok(p);
          },
          () => ldk.Result_PublicKeyNoneZ.constructor_err(),
        ),
      release_commitment_secret: (idx) =>
        this.#guard(
          "release_commitment_secret",
          rec.id,
          () => {
            this.#requireNotPaused(rec);
            const n = numberFromIndex(idx);
            return ldk.Result__u832NoneZ.constructor_ok(
              this.#channelCall<Uint8Array>(rec, "revokeHolderCommitment", n),
            );
          },
          () => ldk.Result__u832NoneZ.constructor_err(),
        ),
      validate_holder_commitment: (htx, outboundPreimages) =>
        this.#guard(
          "validate_holder_commitment",
          rec.id,
          () => {
            this.#validateHolder(rec, htx, outboundPreimages);
            return ldk.Result_NoneNoneZ.constructor_ok();
          },
          () => ldk.Result_NoneNoneZ.constructor_err(),
        ),
      validate_counterparty_revocation: (idx, secret) =>
        this.#guard(
          "validate_counterparty_revocation",
          rec.id,
          () => {
            // Pipelined (like validate_holder_commitment): Warden checks and stores the secret
            // before it signs anything later.
            this.#channelPost(
              rec,
              "validate_counterparty_revocation",
              "validateCounterpartyRevocation",
              [numberFromIndex(idx), secret],
            );
            return ldk.Result_NoneNoneZ.constructor_ok();
          },
          () => ldk.Result_NoneNoneZ.constructor_err(),
        ),
      channel_keys_id: () => rec.keysId,
      provide_channel_parameters: (p) => {
        try {
          rec.params ??= readChannelParams(p);
        } catch (e) {
          this.#log(`warden: provide_channel_parameters failed: ${String(e)}`);
        }
      },
    };
    const ecdsa: ldk.EcdsaChannelSignerInterface = {
      sign_counterparty_commitment: (ct, inbound, outbound) =>
        this.#guard(
          "sign_counterparty_commitment",
          rec.id,
          () => {
            const s = this.#signCounterparty(rec, ct, inbound, outbound);
            return ldk.Result_C2Tuple_ECDSASignatureCVec_ECDSASignatureZZNoneZ.constructor_ok(
              ldk.TwoTuple_ECDSASignatureCVec_ECDSASignatureZZ.constructor_new(
                s.signature,
                s.htlcSignatures,
              ),
            );
          },
          () => ldk.Result_C2Tuple_ECDSASignatureCVec_ECDSASignatureZZNoneZ.constructor_err(),
        ),
      sign_holder_commitment: (htx) =>
        this.#guard(
          "sign_holder_commitment",
          rec.id,
          () => ldk.Result_ECDSASignatureNoneZ.constructor_ok(this.#signHolder(rec, htx)),
          SECP_ERR,
        ),
      sign_justice_revoked_output: (tx, input, amount, key) =>
        this.#guard(
          "sign_justice_revoked_output",
          rec.id,
          () => {
            const n = this.#revokedNumber(rec, key);
            return this.#sweepSig(rec, tx, input, amount, {
              kind: "justice-to-local",
              commitmentNumber: n,
            });
          },
          SECP_ERR,
        ),
      sign_justice_revoked_htlc: (tx, input, amount, key, htlc) =>
        this.#guard(
          "sign_justice_revoked_htlc",
          rec.id,
          () => {
            const n = this.#revokedNumber(rec, key);
            return this.#sweepSig(rec, tx, input, amount, {
              kind: "justice-htlc",
              commitmentNumber: n,
              htlc: {
                direction: htlc.get_offered() ? "offered" : "received",
                paymentHash: htlc.get_payment_hash(),
                cltvExpiry: htlc.get_cltv_expiry(),
              },
            });
          },
          SECP_ERR,
        ),
      sign_holder_htlc_transaction: (tx, input, d) =>
        this.#guard(
          "sign_holder_htlc_transaction",
          rec.id,
          () => {
            const pre = d.get_preimage();
            const index = htlcOutputIndex(d.get_htlc());
            if (index === undefined) throw new Error("ldk: HTLC descriptor without output");
            const parsed = parseTx(tx);
            const req: HolderHtlcTxRequest = {
              commitmentNumber: numberFromIndex(d.get_per_commitment_number()),
              commitmentOutputIndex: index,
              tx: parsed,
              ...(pre instanceof ldk.Option_ThirtyTwoBytesZ_Some ? { preimage: pre.some } : {}),
            };
            if (input !== holderHtlcInputIndex(parsed, d)) {
              throw new Error(`ldk: input ${input} is not the HTLC's`);
            }
            const r = this.#channelCall<SignedInput>(rec, "signHolderHtlcTx", req);
            return ldk.Result_ECDSASignatureNoneZ.constructor_ok(r.signature);
          },
          SECP_ERR,
        ),
      sign_counterparty_htlc_transaction: (tx, input, amount, point, htlc) =>
        this.#guard(
          "sign_counterparty_htlc_transaction",
          rec.id,
          () => {
            const n = rec.counterpartyByPoint.get(bytesToHex(point));
            if (n === undefined) throw new Error("ldk: unknown counterparty commitment point");
            const index = htlcOutputIndex(htlc);
            if (index === undefined) throw new Error("ldk: HTLC without output");
            // htlc.offered is from the counterparty's (broadcaster's) view: offered by them
            // means we claim it with the preimage.
            const preimage = htlc.get_offered()
              ? this.#preimageFor(htlc.get_payment_hash())
              : undefined;
            return this.#sweepSig(rec, tx, input, amount, {
              kind: "counterparty-htlc",
              commitmentNumber: n,
              commitmentOutputIndex: index,
              ...(preimage === undefined ? {} : { preimage }),
            });
          },
          SECP_ERR,
        ),
      sign_closing_transaction: (c) =>
        this.#guard(
          "sign_closing_transaction",
          rec.id,
          () => ldk.Result_ECDSASignatureNoneZ.constructor_ok(this.#signClosing(rec, c)),
          SECP_ERR,
        ),
      sign_holder_anchor_input: (tx, input) =>
        this.#guard(
          "sign_holder_anchor_input",
          rec.id,
          () => {
            const state = this.channelState(rec.id);
            const n = state.holderCommitmentBroadcast ?? state.nextHolderCommitNum - 1;
            return this.#sweepSig(rec, tx, input, 330n, {
              kind: "anchor",
              owner: "holder",
              commitmentNumber: n,
            });
          },
          SECP_ERR,
        ),
      sign_channel_announcement_with_funding_key: (msg) =>
        this.#guard(
          "sign_channel_announcement_with_funding_key",
          rec.id,
          () => {
            const full = withHeader(0x0100, 4, msg.write());
            return ldk.Result_ECDSASignatureNoneZ.constructor_ok(
              this.#channelCall<Uint8Array>(rec, "signChannelAnnouncement", full),
            );
          },
          SECP_ERR,
        ),
      sign_splicing_funding_input: () =>
        this.#guard(
          "sign_splicing_funding_input",
          rec.id,
          () => {
            throw new Error("splicing is not supported");
          },
          SECP_ERR,
        ),
    };
    const signer = ldk.EcdsaChannelSigner.new_impl(ecdsa, chan, rec.pubkeys);
    this.#keep.push(chan, ecdsa, signer);
    return signer;
  }

  /** A channel signer that answers every request with an error (Warden was unreachable). */
  #refusingSigner(keysId: Uint8Array): ldk.EcdsaChannelSigner {
    const G = Uint8Array.from(
      Buffer.from("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "hex"),
    );
    const pubkeys = ldk.ChannelPublicKeys.constructor_new(
      G,
      ldk.RevocationBasepoint.constructor_new(G),
      G,
      ldk.DelayedPaymentBasepoint.constructor_new(G),
      ldk.HtlcBasepoint.constructor_new(G),
    );
    const chan: ldk.ChannelSignerInterface = {
      get_per_commitment_point: () => ldk.Result_PublicKeyNoneZ.constructor_err(),
      release_commitment_secret: () => ldk.Result__u832NoneZ.constructor_err(),
      validate_holder_commitment: () => ldk.Result_NoneNoneZ.constructor_err(),
      validate_counterparty_revocation: () => ldk.Result_NoneNoneZ.constructor_err(),
      channel_keys_id: () => keysId,
      provide_channel_parameters: () => undefined,
    };
    const ecdsa: ldk.EcdsaChannelSignerInterface = {
      sign_counterparty_commitment: () =>
        ldk.Result_C2Tuple_ECDSASignatureCVec_ECDSASignatureZZNoneZ.constructor_err(),
      sign_holder_commitment: SECP_ERR,
      sign_justice_revoked_output: SECP_ERR,
      sign_justice_revoked_htlc: SECP_ERR,
      sign_holder_htlc_transaction: SECP_ERR,
      sign_counterparty_htlc_transaction: SECP_ERR,
      sign_closing_transaction: SECP_ERR,
      sign_holder_anchor_input: SECP_ERR,
      sign_channel_announcement_with_funding_key: SECP_ERR,
      sign_splicing_funding_input: SECP_ERR,
    };
    const signer = ldk.EcdsaChannelSigner.new_impl(ecdsa, chan, pubkeys);
    this.#keep.push(chan, ecdsa, signer);
    return signer;
  }

  #signCounterparty(
    rec: ChannelRecord,
    ct: ldk.CommitmentTransaction,
    inbound: Uint8Array[],
    outbound: Uint8Array[],
  ): CommitmentSignatures {
    this.#learnPreimages(inbound);
    this.#learnPreimages(outbound);
    const view = readCommitment(ct.write());
    const n = numberFromIndex(view.index);
    const txid = bytesToHex(view.txid);
    const key = `${n}:${txid}`;
    if (rec.lastCounterparty?.key === key) return rec.lastCounterparty;
    this.#requireNotPaused(rec);
    let proposed: ReturnType<ChannelRecord["proposalOf"]>;
    try {
      proposed = rec.proposalOf("counterparty", view, this.#knownHash);
    } catch (e) {
      // An HTLC LDK trimmed and the adapter has not seen listed: not ready (LDK's async
      // signing) until provideHtlcDetails() lists the channel's HTLCs for this commitment.
      if (e instanceof TrimmedHtlcError && rec.detailsListedFor !== `c:${key}`) {
        rec.awaitingDetailsFor = `c:${key}`;
        this.#scheduleDetails();
        throw new SignerNotReady(
          `commitment ${n} waits for the channel's HTLC list (a trimmed HTLC)`,
        );
      }
      throw e;
    }
    const { proposal, commit } = proposed;
    if (n === 0)
      this.#ensureSetup(
        rec,
        rec.requireParams().isOutbound ? proposal.toOwnerMsat : proposal.toOtherMsat,
      );
    const point = view.perCommitmentPoint;
    const sigs = this.#channelCall<CommitmentSignatures>(
      rec,
      "signCounterpartyCommitment",
      point,
      proposal,
    );
    commit();
    rec.counterpartyByPoint.set(bytesToHex(point), n);
    rec.counterpartyByTxid.set(txid, n);
    rec.counterpartyCommitments.set(n, ct);
    rec.lastCounterparty = { key, ...sigs };
    this.#onSignature?.({
      kind: "counterparty-commitment",
      channel: rec,
      commitment: ct,
      signature: sigs.signature,
      htlcSignatures: sigs.htlcSignatures,
    });
    return sigs;
  }

  /**
   * Lets the signer call provideHtlcDetails(channelManager) by itself, on the next turn of the
   * event loop, whenever a channel starts waiting for its HTLC list (an application whose LDK
   * runs on the event loop then needs no call of its own; a synchronous driver, like the
   * simulator's pump, still calls provideHtlcDetails).
   */
  attachChannelManager(channelManager: ldk.ChannelManager): void {
    this.#channelManager = channelManager;
    this.#scheduleDetails();
  }

  /** Schedules provideHtlcDetails on the attached ChannelManager (outside LDK's call stack). */
  #scheduleDetails(): void {
    const cm = this.#channelManager;
    if (cm === undefined || this.#detailsScheduled) return;
    if (!this.channels().some((r) => r.awaitingDetailsFor !== undefined)) return;
    this.#detailsScheduled = true;
    setImmediate(() => {
      this.#detailsScheduled = false;
      try {
        this.#provideHtlcDetails(cm);
      } catch (e) {
        this.#log(`warden: provideHtlcDetails failed: ${String(e)}`);
      }
    });
  }

  /**
   * Gives the adapter the HTLCs of every channel waiting for them (a commitment carrying an
   * HTLC LDK trimmed, which LDK does not show its signer: a counterparty commitment to sign,
   * or a holder commitment accepted before its validation) from LDK's own list, completes
   * the deferred validations, then tells LDK to ask again for what it was refused meanwhile. Call it with the node's ChannelManager after LDK
   * has handled messages and events (e.g. next to PeerManager.process_events). Each listed
   * HTLC is still checked: Warden recomposes the commitment with it and applies its payment
   * rules. Returns how many channels were unblocked.
   */
  provideHtlcDetails(channelManager: ldk.ChannelManager): number {
    return this.#provideHtlcDetails(channelManager);
  }

  #provideHtlcDetails(channelManager: ldk.ChannelManager): number {
    const waiting = this.channels().filter((r) => r.awaitingDetailsFor !== undefined);
    if (waiting.length === 0) return 0;
    let unblocked = 0;
    for (const c of channelManager.list_channels()) {
      const fo = c.get_funding_txo();
      if (fo === null) continue;
      const rec = waiting.find((r) => {
        const f = r.params?.fundingOutpoint;
        return f !== undefined && f.vout === fo.get_index() && equalBytes(f.txid, fo.get_txid());
      });
      if (rec === undefined) continue;
      rec.htlcDetails = [
        ...c.get_pending_inbound_htlcs().map((h) => {
          const st = h.get_state();
          const S = ldk.InboundHTLCStateDetails;
          return listedHtlc(
            false,
            h,
            st instanceof ldk.Option_InboundHTLCStateDetailsZ_Some &&
              (st.some === S.LDKInboundHTLCStateDetails_AwaitingRemoteRevokeToRemoveFulfill ||
                st.some === S.LDKInboundHTLCStateDetails_AwaitingRemoteRevokeToRemoveFail),
          );
        }),
        ...c.get_pending_outbound_htlcs().map((h) => {
          const st = h.get_state();
          const S = ldk.OutboundHTLCStateDetails;
          return listedHtlc(
            true,
            h,
            st instanceof ldk.Option_OutboundHTLCStateDetailsZ_Some &&
              (st.some === S.LDKOutboundHTLCStateDetails_AwaitingRemoteRevokeToRemoveSuccess ||
                st.some === S.LDKOutboundHTLCStateDetails_AwaitingRemoteRevokeToRemoveFailure),
          );
        }),
      ];
      rec.detailsListedFor = rec.awaitingDetailsFor;
      rec.awaitingDetailsFor = undefined;
      const deferred = rec.deferredHolder;
      if (deferred !== undefined) {
        rec.deferredHolder = undefined;
        try {
          this.#validateHolder(rec, deferred.htx, deferred.outbound, false);
          this.host.call("deferHolder", rec.id, null);
        } catch (e) {
          rec.refusedHolder = deferred.key;
          this.#refused("validate_holder_commitment", rec.id, e);
        }
      }
      unblocked++;
      channelManager.signer_unblocked(
        ldk.Option_C2Tuple_PublicKeyChannelIdZZ.constructor_some(
          ldk.TwoTuple_PublicKeyChannelIdZ.constructor_new(
            c.get_counterparty().get_node_id(),
            c.get_channel_id(),
          ),
        ),
      );
    }
    return unblocked;
  }

  #validateHolder(
    rec: ChannelRecord,
    htx: ldk.HolderCommitmentTransaction,
    outbound: Uint8Array[],
    deferrable = true,
  ): void {
    const inner = readHolderCommitment(htx);
    this.#learnPreimages(outbound);
    const n = numberFromIndex(inner.index);
    const txid = bytesToHex(inner.txid);
    const key = `${n}:${txid}`;
    if (rec.validatedHolder.has(key)) return;
    let proposed: ReturnType<ChannelRecord["proposalOf"]>;
    try {
      proposed = rec.proposalOf("holder", inner, this.#knownHash);
    } catch (e) {
      // The counterparty added an HTLC LDK trimmed (our own balance is intact). LDK cannot
      // wait here and closes the channel on an error, so the validation completes once
      // provideHtlcDetails() lists the HTLCs; until then the channel signs nothing more and
      // releases no secret (the previous commitment stays ours to broadcast).
      if (
        e instanceof TrimmedHtlcError &&
        e.oursExplained &&
        deferrable &&
        rec.deferredHolder === undefined &&
        rec.refusedHolder === undefined
      ) {
        // Recorded in Warden's Store (with the preimages learned so far) before LDK persists
        // the commitment: a restart in between finishes the validation.
        this.host.call("batch", [
          ...this.#takePreimages(),
          { op: "deferHolder", args: [rec.id, htx.write()] },
        ]);
        rec.deferredHolder = { htx, outbound, key };
        rec.awaitingDetailsFor = `h:${key}`;
        this.#scheduleDetails();
        this.#log(
          `warden: validate_holder_commitment [${rec.id.slice(0, 16)}] deferred: commitment ${n} ` +
            "carries an HTLC to us LDK trimmed; the channel pauses until its HTLCs are listed",
        );
        return;
      }
      throw e;
    }
    const { proposal, commit } = proposed;
    if (n === 0)
      this.#ensureSetup(
        rec,
        rec.requireParams().isOutbound ? proposal.toOtherMsat : proposal.toOwnerMsat,
      );
    // Not pipelined: LDK must see a refusal here, before it persists n and answers with
    // revoke_and_ack (it then closes the channel on n-1, which Warden still signs). LDK asks
    // for our points n+1 and n+2 next: they come back with this call.
    this.#channelCallPrefetching(rec, [n + 1, n + 2], "validateHolderCommitment", proposal, {
      commitmentSignature: htx.get_counterparty_sig(),
      htlcSignatures: htx.get_counterparty_htlc_sigs(),
    });
    commit();
    rec.validatedHolder.add(key);
    rec.holderByTxid.set(txid, n);
    rec.holderCommitments.set(n, htx);
  }

  /**
   * Refuses to sign or release a secret for a channel whose holder commitment is not validated
   * yet (deferred: not ready) or was refused after it was deferred (refused for good).
   */
  #requireNotPaused(rec: ChannelRecord): void {
    if (rec.refusedHolder !== undefined)
      throw new WardenError(
        "ldk/holder-unvalidated",
        `holder commitment ${rec.refusedHolder} was refused after LDK accepted it: the channel ` +
          "signs nothing more and releases no secret (close it with the previous commitment)",
      );
    if (rec.deferredHolder !== undefined)
      throw new SignerNotReady(
        `holder commitment ${rec.deferredHolder.key} waits for the channel's HTLC list`,
      );
  }

  #signHolder(rec: ChannelRecord, htx: ldk.HolderCommitmentTransaction): Uint8Array {
    const n = numberFromIndex(readHolderCommitment(htx).index);
    const cached = rec.holderSignatures.get(n);
    if (cached !== undefined) return cached;
    const signed = this.#channelCall<SignedTransaction>(rec, "signHolderCommitment", n);
    rec.holderSignatures.set(n, signed.signature);
    this.#onSignature?.({
      kind: "holder-commitment",
      channel: rec,
      commitment: htx,
      signature: signed.signature,
    });
    return signed.signature;
  }

  #signClosing(rec: ChannelRecord, c: ldk.ClosingTransaction): Uint8Array {
    const state = this.channelState(rec.id);
    const cur = state.currentHolder;
    if (cur === undefined) throw new Error("ldk: no holder commitment to close from");
    const toHolder = c.to_holder_value_sat();
    const toCounterparty = c.to_counterparty_value_sat();
    const proposal: MutualCloseProposal = {
      toHolderMsat: cur.toOwnerMsat,
      toCounterpartyMsat: cur.toOtherMsat,
      holderScript: c.to_holder_script(),
      counterpartyScript: c.to_counterparty_script(),
      // What the opener's output gives up (the sub-sat remainders of both balances are not
      // part of it: Warden builds each output from its balance rounded down, as LDK does).
      feeSat: rec.requireParams().isOutbound
        ? cur.toOwnerMsat / 1000n - toHolder
        : cur.toOtherMsat / 1000n - toCounterparty,
    };
    const signature = this.#channelCall<SignedTransaction>(
      rec,
      "signMutualClose",
      proposal,
    ).signature;
    this.#onSignature?.({ kind: "closing", channel: rec, closing: c, signature });
    return signature;
  }

  /**
   * The counterparty commitment number whose revealed secret is `secret`: from the points of
   * the commitments signed in this process, else (e.g. after a restart) by searching the
   * revocation secrets Warden stored (its shachain) from the newest revoked commitment down.
   */
  #revokedNumber(rec: ChannelRecord, secret: Uint8Array): number {
    const n = rec.counterpartyByPoint.get(bytesToHex(publicKey(secret)));
    if (n !== undefined) return n;
    const state = this.channelState(rec.id);
    const chain = ShachainStore.fromBytes(state.counterpartySecrets);
    for (let k = state.counterpartyRevokedThrough; k >= 0; k--) {
      const index = commitmentIndexFromNumber(k);
      if (!chain.hasSecret(index)) break;
      if (equalBytes(chain.getSecret(index), secret)) {
        rec.counterpartyByPoint.set(bytesToHex(publicKey(secret)), k);
        return k;
      }
    }
    throw new Error("ldk: secret of an unknown counterparty commitment");
  }

  /** Outputs spent by every input of `tx` (the signed input's from `known` when given). */
  #spentOutputs(tx: Tx, input: number, known: TxOut | undefined): TxOut[] {
    return tx.inputs.map((i, k) => {
      if (k === input && known !== undefined) return known;
      const o = this.#chain?.output(i.prevout);
      if (o === undefined) throw new Error(`ldk: the output spent by input ${k} is unknown`);
      return o;
    });
  }

  /** Signs one sweep input through Warden and returns the compact signature. */
  #sweepSig(
    rec: ChannelRecord,
    raw: Uint8Array,
    input: number,
    amount: bigint,
    source: SweepSource,
  ): ldk.Result_ECDSASignatureNoneZ {
    const tx = parseTx(raw);
    const spent = this.#spentOutputs(tx, input, undefined);
    if (spent[input]!.value !== amount)
      throw new Error("ldk: the spent amount differs from the chain's");
    const req: SweepRequest = { tx, inputIndex: input, spentOutputs: spent, source };
    const r = this.#channelCall<SignedInput>(rec, "signSweep", req);
    return ldk.Result_ECDSASignatureNoneZ.constructor_ok(r.signature);
  }

  // ---- OutputSpender ----

  #spend(
    descriptors: ldk.SpendableOutputDescriptor[],
    outputs: ldk.TxOut[],
    change: Uint8Array,
    feeratePerKw: number,
    locktime: ldk.Option_u32Z,
  ): Uint8Array {
    const inputs: {
      outpoint: OutPoint;
      output: TxOut;
      sequence: number;
      rec: ChannelRecord;
      source: (state: ChannelState) => SweepSource;
      witnessWeight: number;
    }[] = [];
    for (const d of descriptors) {
      if (d instanceof ldk.SpendableOutputDescriptor_DelayedPaymentOutput) {
        const x = d.delayed_payment_output;
        const rec = this.#requireRecord(x.get_channel_keys_id());
        const op = x.get_outpoint();
        const outpoint = { txid: op.get_txid(), vout: op.get_index() };
        inputs.push({
          outpoint,
          output: txOutOf(x.get_output()),
          sequence: x.get_to_self_delay(),
          rec,
          witnessWeight: 1 + 1 + 73 + 1 + 1 + 1 + 100,
          source: (state) => {
            const n = state.holderCommitmentBroadcast ?? state.nextHolderCommitNum - 1;
            const commitTxid =
              rec.holderByTxid.get(bytesToHex(outpoint.txid)) ??
              this.#commitmentNumberOnChain(rec, outpoint.txid);
            if (commitTxid !== undefined)
              return { kind: "holder-to-local", commitmentNumber: commitTxid };
            // The output of one of our HTLC transactions: find the commitment output it spends.
            const htlcTx = this.#chain?.transaction(outpoint.txid);
            const spent = htlcTx?.inputs[outpoint.vout]?.prevout;
            if (spent === undefined) throw new Error("ldk: unknown HTLC transaction");
            return {
              kind: "holder-htlc-tx-output",
              commitmentNumber: rec.holderByTxid.get(bytesToHex(spent.txid)) ?? n,
              commitmentOutputIndex: spent.vout,
            };
          },
        });
      } else if (d instanceof ldk.SpendableOutputDescriptor_StaticPaymentOutput) {
        const x = d.static_payment_output;
        const rec = this.#requireRecord(x.get_channel_keys_id());
        const op = x.get_outpoint();
        const outpoint = { txid: op.get_txid(), vout: op.get_index() };
        const anchors = rec.requireParams().channelType === "anchors_zero_fee_htlc_tx";
        inputs.push({
          outpoint,
          output: txOutOf(x.get_output()),
          sequence: anchors ? 1 : 0xfffffffd,
          rec,
          witnessWeight: anchors ? 1 + 1 + 73 + 1 + 36 : 1 + 1 + 73 + 1 + 33,
          source: () => {
            const n =
              rec.counterpartyByTxid.get(bytesToHex(outpoint.txid)) ??
              this.#commitmentNumberOnChain(rec, outpoint.txid);
            if (n === undefined) throw new Error("ldk: unknown counterparty commitment");
            return { kind: "counterparty-to-remote", commitmentNumber: n };
          },
        });
      } else {
        throw new Error("static outputs pay our wallet already; the wallet spends them");
      }
    }
    if (inputs.length === 0) throw new Error("nothing to spend");
    const outs: TxOut[] = outputs.map((o) => ({ value: o.value, script: o.script_pubkey }));
    const tx: Tx = {
      version: 2,
      locktime: locktime instanceof ldk.Option_u32Z_Some ? locktime.some : 0,
      inputs: inputs.map((i) => ({
        prevout: i.outpoint,
        scriptSig: new Uint8Array(0),
        sequence: i.sequence,
        witness: [],
      })),
      outputs: [...outs, { value: 0n, script: change }],
    };
    const total = inputs.reduce((s, i) => s + i.output.value, 0n);
    const paid = outs.reduce((s, o) => s + o.value, 0n);
    const baseWeight = serializeTx(tx, false).length * 4 + 2;
    const weight = baseWeight + inputs.reduce((s, i) => s + i.witnessWeight, 0);
    const fee = (BigInt(feeratePerKw) * BigInt(weight) + 999n) / 1000n;
    const changeValue = total - paid - fee;
    if (changeValue < LDK_DUST_LIMIT_SAT)
      throw new Error("the outputs are worth less than the fee");
    tx.outputs[tx.outputs.length - 1] = { value: changeValue, script: change };
    const spent = inputs.map((i) => i.output);
    const witnesses: Uint8Array[][] = [];
    const states = new Map<string, ChannelState>();
    inputs.forEach((i, k) => {
      let state = states.get(i.rec.id);
      if (state === undefined) {
        state = this.channelState(i.rec.id);
        states.set(i.rec.id, state);
      }
      const req: SweepRequest = { tx, inputIndex: k, spentOutputs: spent, source: i.source(state) };
      witnesses.push(this.#channelCall<SignedInput>(i.rec, "signSweep", req).witness);
    });
    return serializeTx({
      ...tx,
      inputs: tx.inputs.map((input, k) => ({ ...input, witness: witnesses[k]! })),
    });
  }

  /**
   * The commitment number of the channel's commitment transaction `txid` found in the chain
   * view (it spends the funding outpoint; the number is in its locktime and sequence, under
   * the channel's obscuring factor): how commitments signed before a restart are recognised.
   * Either owner's commitment decodes the same way; the caller knows which owner it expects.
   */
  #commitmentNumberOnChain(rec: ChannelRecord, txid: Uint8Array): number | undefined {
    const p = rec.params;
    const tx = this.#chain?.transaction(txid);
    const input = tx?.inputs[0];
    if (p === undefined || tx === undefined || input === undefined || tx.inputs.length !== 1) {
      return undefined;
    }
    const fo = p.fundingOutpoint;
    if (input.prevout.vout !== fo.vout || !equalBytes(input.prevout.txid, fo.txid)) {
      return undefined;
    }
    const ours = rec.basepoints.paymentBasepoint;
    const theirs = p.counterpartyBasepoints.paymentBasepoint;
    const factor = p.isOutbound
      ? commitmentObscuringFactor(ours, theirs)
      : commitmentObscuringFactor(theirs, ours);
    try {
      return commitmentNumberFromTx(tx.locktime, input.sequence, factor);
    } catch {
      return undefined;
    }
  }

  #requireRecord(keysId: Uint8Array): ChannelRecord {
    const rec = this.#records.get(bytesToHex(keysId));
    if (rec === undefined) throw new Error("ldk: output of an unknown channel");
    return rec;
  }
}

const SIGNER_REF_MAGIC = Uint8Array.of(0x57, 0x4c, 0x44, 0x4b, 0x01); // "WLDK" v1

/**
 * A reference to a Warden channel signer (magic, channel value, channel_keys_id; no secret):
 * what read_chan_signer accepts. Keys and state come from the seed and Warden's Store.
 */
export function encodeChannelSignerRef(valueSat: bigint, keysId: Uint8Array): Uint8Array {
  if (keysId.length !== 32) throw new Error("a channel_keys_id is 32 bytes");
  const out = new Uint8Array(SIGNER_REF_MAGIC.length + 8 + 32);
  out.set(SIGNER_REF_MAGIC, 0);
  new DataView(out.buffer).setBigUint64(SIGNER_REF_MAGIC.length, valueSat, false);
  out.set(keysId, SIGNER_REF_MAGIC.length + 8);
  return out;
}

/** Decodes encodeChannelSignerRef's bytes (undefined unless exactly that format). */
export function decodeChannelSignerRef(
  bytes: Uint8Array,
): { valueSat: bigint; keysId: Uint8Array } | undefined {
  const m = SIGNER_REF_MAGIC.length;
  if (bytes.length !== m + 8 + 32 || !equalBytes(bytes.subarray(0, m), SIGNER_REF_MAGIC)) {
    return undefined;
  }
  const valueSat = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(m, false);
  return { valueSat, keysId: Uint8Array.from(bytes.subarray(m + 8)) };
}

function txOutOf(o: ldk.TxOut): TxOut {
  return { value: o.value, script: o.script_pubkey };
}

/** The input of `tx` spending the descriptor's HTLC output (LDK may batch several). */
function holderHtlcInputIndex(tx: Tx, d: ldk.HTLCDescriptor): number {
  const txid = d.get_commitment_txid();
  const vout = htlcOutputIndex(d.get_htlc());
  return tx.inputs.findIndex((i) => i.prevout.vout === vout && equalBytes(i.prevout.txid, txid));
}

/** A gossip message with its 2-byte type and `sigs` zeroed signature slots before `body`. */
function withHeader(type: number, sigs: number, body: Uint8Array): Uint8Array {
  const full = new Uint8Array(2 + 64 * sigs + body.length);
  full[0] = type >> 8;
  full[1] = type & 0xff;
  full.set(body, 2 + 64 * sigs);
  return full;
}

/** LDK's ShutdownScript for a witness scriptPubKey. */
function shutdownScriptOf(script: Uint8Array): ldk.ShutdownScript {
  if (script.length === 22 && script[0] === 0x00 && script[1] === 0x14) {
    return ldk.ShutdownScript.constructor_new_p2wpkh(script.subarray(2));
  }
  if (script.length === 34 && script[0] === 0x00 && script[1] === 0x20) {
    return ldk.ShutdownScript.constructor_new_p2wsh(script.subarray(2));
  }
  throw new Error("shutdown script must be P2WPKH or P2WSH");
}
