/**
 * In-process LDK nodes on a FakeChain: node wiring (ChannelManager, ChainMonitor, PeerManager
 * over in-memory sockets), event pumping (acting only after LDK's callbacks return, delivering
 * socket bytes from queues so PeerManager is never re-entered) and block connection. Used by
 * the end-to-end tests, the demo and the benchmark; each node is signed either by Warden
 * (WardenLdkSigner) or by LDK's own KeysManager.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as btc from "@scure/btc-signer";
import * as ldk from "lightningdevkit";
import { p2pkhScriptCode, p2wpkh } from "../../../bitcoin/outputs.js";
import { SIGHASH_ALL, segwitV0Sighash } from "../../../bitcoin/sighash.js";
import { parseTx, serializeTx, type Tx, txid } from "../../../bitcoin/tx.js";
import { signatureToDer } from "../../../crypto/signature.js";
import { ecdsaSign, publicKey } from "../../../crypto/secp256k1.js";
import { bytesToHex, equalBytes } from "../../../util/bytes.js";
import type { HostWalletKey } from "../host-protocol.js";
import type { WardenLdkSigner } from "../signer.js";
import { type FakeBlock, FakeChain } from "./fake-chain.js";

let initialised: Promise<void> | undefined;

/** Loads LDK's WASM once per process (every binding call needs it). */
export function initLdk(): Promise<void> {
  initialised ??= ldk.initializeWasmFromBinary(
    readFileSync(fileURLToPath(import.meta.resolve("lightningdevkit/liblightningjs.wasm"))),
  );
  return initialised;
}

/** Feerate every fee estimate returns (sat per 1000 weight). */
export const SIM_FEERATE = 1000;

/** Throws unless an LDK Result is Ok; returns its value. */
export function ok<T>(r: { is_ok(): boolean }, what: string): T {
  if (!r.is_ok()) {
    const e = (r as unknown as { err?: unknown }).err;
    let detail = "";
    if (e !== null && typeof e === "object") {
      const o = e as { err?: unknown; constructor: { name: string } };
      detail = `${o.constructor.name}${typeof o.err === "string" ? `: ${o.err}` : ""}`;
    } else if (e !== undefined) {
      detail = String(e);
    }
    throw new Error(`${what} failed ${detail}`);
  }
  return (r as unknown as { res: T }).res;
}

/** How a node signs. */
export type SimSigner =
  { kind: "warden"; signer: WardenLdkSigner } | { kind: "keysmanager"; seed?: Uint8Array };

/** Options of one node. */
export interface SimNodeOptions {
  name: string;
  signer: SimSigner;
  /** Negotiate anchors_zero_fee_htlc_tx (else static_remotekey). */
  anchors: boolean;
  /** Our to_self_delay for the peer (LDK's minimum is 144). */
  toSelfDelay?: number;
  /** Print LDK log lines at or above this level (default: errors only). */
  logLevel?: ldk.Level;
  /** Restart from what a previous run of this node persisted (SimNode.persisted()). */
  restore?: PersistedNode;
}

/** A node stopped by SimNetwork.stopNode. */
export interface StoppedNode {
  persisted: PersistedNode;
  peers: SimNode[];
}

/** What LDK persists for a node: its ChannelManager and every ChannelMonitor, serialized. */
export interface PersistedNode {
  manager: Uint8Array;
  monitors: Uint8Array[];
}

/** One LDK node. */
export class SimNode {
  readonly name: string;
  readonly cm: ldk.ChannelManager;
  readonly chainMonitor: ldk.ChainMonitor;
  readonly pm: ldk.PeerManager;
  readonly nodeId: Uint8Array;
  readonly warden: WardenLdkSigner | undefined;
  readonly keysManager: ldk.KeysManager | undefined;
  readonly signerProvider: ldk.SignerProvider;
  readonly outputSpender: ldk.OutputSpender;
  /** Events seen, by kind. */
  readonly seen = new Map<string, number>();
  /** Spendable outputs reported and not yet swept. */
  spendable: ldk.SpendableOutputDescriptor[] = [];
  /** Hold incoming payments instead of claiming them (their preimages wait in `held`). */
  holdPayments = false;
  readonly held: Uint8Array[] = [];
  paymentsSent = 0;
  paymentsFailed = 0;
  paymentsClaimed = 0;
  forwarded = 0;
  readonly closeReasons: string[] = [];
  /** Every transaction this node broadcast. */
  readonly broadcasts: Tx[] = [];
  readonly keep: unknown[] = [];
  /** The latest serialized ChannelMonitor of each channel (funding outpoint hex), as persisted. */
  readonly #monitors = new Map<string, Uint8Array>();

  constructor(net: SimNetwork, opts: SimNodeOptions) {
    this.name = opts.name;
    const level = opts.logLevel ?? ldk.Level.LDKLevel_Error;
    const logger = ldk.Logger.new_impl({
      log: (r: ldk.Record) => {
        if (r.get_level() >= level)
          net.log(`  ${this.name} [ldk ${ldk.Level[r.get_level()]}] ${r.get_args()}`);
      },
    });
    const fee = ldk.FeeEstimator.new_impl({ get_est_sat_per_1000_weight: () => SIM_FEERATE });
    const broadcaster = ldk.BroadcasterInterface.new_impl({
      broadcast_transactions: (txs: Uint8Array[]) => {
        for (const raw of txs) {
          try {
            const tx = parseTx(raw);
            this.broadcasts.push(tx);
            net.chain.broadcast(tx);
          } catch (e) {
            net.log(`  ${this.name}: unparsable broadcast: ${String(e)}`);
          }
        }
      },
    });
    // Persisted synchronously (as a durable store would before answering Completed), after
    // Warden committed every validation sent to it without waiting.
    const persist = (o: ldk.OutPoint, m: ldk.ChannelMonitor): ldk.ChannelMonitorUpdateStatus => {
      const bytes = m.write();
      this.warden?.flush();
      this.#monitors.set(`${bytesToHex(o.get_txid())}:${o.get_index()}`, bytes);
      return ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed;
    };
    const persister = ldk.Persist.new_impl({
      persist_new_channel: (o, m) => persist(o, m),
      update_persisted_channel: (o, _u, m) => persist(o, m),
      archive_persisted_channel: () => undefined,
    });
    this.chainMonitor = ldk.ChainMonitor.constructor_new(
      ldk.Option_FilterZ.constructor_none(),
      broadcaster,
      logger,
      fee,
      persister,
    );
    const now = Math.floor(Date.now() / 1000);
    let entropy: ldk.EntropySource;
    let nodeSigner: ldk.NodeSigner;
    if (opts.signer.kind === "warden") {
      const w = opts.signer.signer;
      this.warden = w;
      entropy = w.entropySource;
      nodeSigner = w.nodeSigner;
      this.signerProvider = w.signerProvider;
      this.outputSpender = w.outputSpender;
    } else {
      const seed = opts.signer.seed ?? new Uint8Array(randomBytes(32));
      const km = ldk.KeysManager.constructor_new(seed, BigInt(now), 0);
      this.keysManager = km;
      entropy = km.as_EntropySource();
      nodeSigner = km.as_NodeSigner();
      this.signerProvider = km.as_SignerProvider();
      this.outputSpender = km.as_OutputSpender();
    }
    const graph = ldk.NetworkGraph.constructor_new(ldk.Network.LDKNetwork_Regtest, logger);
    const scorer = ldk.ProbabilisticScorer.constructor_new(
      ldk.ProbabilisticScoringDecayParameters.constructor_default(),
      graph,
      logger,
    );
    const score = ldk.MultiThreadedLockableScore.constructor_new(scorer.as_Score());
    const router = ldk.DefaultRouter.constructor_new(
      graph,
      logger,
      entropy,
      score.as_LockableScore(),
      ldk.ProbabilisticScoringFeeParameters.constructor_default(),
    );
    const msgRouter = ldk.DefaultMessageRouter.constructor_new(graph, entropy);
    const config = ldk.UserConfig.constructor_default();
    const hs = config.get_channel_handshake_config();
    hs.set_minimum_depth(1);
    hs.set_our_to_self_delay(opts.toSelfDelay ?? 144);
    hs.set_negotiate_anchors_zero_fee_htlc_tx(opts.anchors);
    hs.set_announce_for_forwarding(false);
    hs.set_max_inbound_htlc_value_in_flight_percent_of_channel(100);
    config.set_channel_handshake_config(hs);
    const limits = config.get_channel_handshake_limits();
    limits.set_max_minimum_depth(144);
    config.set_channel_handshake_limits(limits);
    config.set_manually_accept_inbound_channels(true);
    config.set_accept_forwards_to_priv_channels(true);
    const tip = net.chain.tip;
    const params = ldk.ChainParameters.constructor_new(
      ldk.Network.LDKNetwork_Regtest,
      ldk.BestBlock.constructor_new(tip.hash, tip.height),
    );
    if (opts.restore === undefined) {
      this.cm = ldk.ChannelManager.constructor_new(
        fee,
        this.chainMonitor.as_Watch(),
        broadcaster,
        router.as_Router(),
        msgRouter.as_MessageRouter(),
        logger,
        entropy,
        nodeSigner,
        this.signerProvider,
        config,
        params,
        now,
      );
    } else {
      // LDK's restart: monitors first (their signers re-derived through the SignerProvider),
      // then the ChannelManager with them, then the monitors handed to the ChainMonitor.
      const monitors = opts.restore.monitors.map((bytes) =>
        ok<ldk.TwoTuple_ThirtyTwoBytesChannelMonitorZ>(
          ldk.UtilMethods.constructor_C2Tuple_ThirtyTwoBytesChannelMonitorZ_read(
            bytes,
            entropy,
            this.signerProvider,
          ),
          "ChannelMonitor read",
        ).get_b(),
      );
      this.cm = ok<ldk.TwoTuple_ThirtyTwoBytesChannelManagerZ>(
        ldk.UtilMethods.constructor_C2Tuple_ThirtyTwoBytesChannelManagerZ_read(
          opts.restore.manager,
          entropy,
          nodeSigner,
          this.signerProvider,
          fee,
          this.chainMonitor.as_Watch(),
          broadcaster,
          router.as_Router(),
          msgRouter.as_MessageRouter(),
          logger,
          config,
          monitors,
        ),
        "ChannelManager read",
      ).get_b();
      for (const m of monitors) {
        ok(
          this.chainMonitor.as_Watch().watch_channel(m.get_funding_txo().get_a(), m),
          "watch_channel",
        );
      }
    }
    const ign = ldk.IgnoringMessageHandler.constructor_new();
    this.pm = ldk.PeerManager.constructor_new(
      this.cm.as_ChannelMessageHandler(),
      ign.as_RoutingMessageHandler(),
      ign.as_OnionMessageHandler(),
      ign.as_CustomMessageHandler(),
      now,
      new Uint8Array(randomBytes(32)),
      logger,
      nodeSigner,
    );
    this.nodeId = this.cm.get_our_node_id();
    this.keep.push(
      logger,
      fee,
      broadcaster,
      persister,
      graph,
      scorer,
      score,
      router,
      msgRouter,
      ign,
    );
  }

  /** What LDK persisted: the ChannelManager serialized now and the latest monitors. */
  persisted(): PersistedNode {
    return { manager: this.cm.write(), monitors: [...this.#monitors.values()] };
  }

  /** Usable channels with `peer` (or all). */
  channels(peer?: SimNode): ldk.ChannelDetails[] {
    return this.cm
      .list_channels()
      .filter(
        (c) => peer === undefined || equalBytes(c.get_counterparty().get_node_id(), peer.nodeId),
      );
  }
}

interface Link {
  a: SimNode;
  b: SimNode;
  da: ldk.SocketDescriptor;
  db: ldk.SocketDescriptor;
  toA: Uint8Array[];
  toB: Uint8Array[];
}

/** Nodes, links and the chain, driven step by step. */
export class SimNetwork {
  readonly chain: FakeChain;
  readonly nodes: SimNode[] = [];
  readonly links: Link[] = [];
  /** Log sink (default: nowhere). */
  log: (line: string) => void;
  /** Key of the faucet paying funding transactions. */
  readonly #faucetKey = new Uint8Array(randomBytes(32));
  #socketId = 1n;
  /**
   * Channels a Warden-signed node funds from its Warden wallet, by funding txid (hex): LDK is
   * given only the outpoint; the PSBT is signed once LDK says the funding may be broadcast.
   */
  readonly #walletFundings = new Map<string, WalletFunding>();
  /**
   * Called when a wallet-funded channel's funding may be broadcast, instead of the honest
   * signing (tests use it to try a PSBT that sends the change elsewhere first).
   */
  onFundingSafe: ((node: SimNode, f: WalletFunding) => void) | undefined;
  /** Hook run for every event after the default handling. */
  onEvent: ((node: SimNode, e: ldk.Event) => void) | undefined;

  constructor(chain = new FakeChain(), log: (line: string) => void = () => undefined) {
    this.chain = chain;
    this.log = log;
  }

  /** Adds a node at the current tip. */
  addNode(opts: SimNodeOptions): SimNode {
    const n = new SimNode(this, opts);
    this.nodes.push(n);
    n.warden?.setChainHeight(this.chain.height);
    return n;
  }

  /**
   * Stops `old`: its links are dropped and what LDK persisted (its ChannelManager serialized
   * now, its latest monitors) is returned with its peers; the node gets no more blocks.
   */
  stopNode(old: SimNode): StoppedNode {
    this.pump();
    const persisted = old.persisted();
    const peers: SimNode[] = [];
    for (const l of this.links.filter((x) => x.a === old || x.b === old)) {
      this.links.splice(this.links.indexOf(l), 1);
      l.a.pm.socket_disconnected(l.da);
      l.b.pm.socket_disconnected(l.db);
      peers.push(l.a === old ? l.b : l.a);
    }
    this.nodes.splice(this.nodes.indexOf(old), 1);
    this.pump();
    return { persisted, peers };
  }

  /** Starts a stopped node again from its persisted bytes with `opts` and reconnects its peers. */
  restartNode(stopped: StoppedNode, opts: Omit<SimNodeOptions, "restore">): SimNode {
    const n = new SimNode(this, { ...opts, restore: stopped.persisted });
    this.nodes.push(n);
    n.warden?.setChainHeight(this.chain.height);
    for (const p of stopped.peers) this.connect(n, p);
    return n;
  }

  /** Connects two nodes (a dials b) and settles the handshake. */
  connect(a: SimNode, b: SimNode): void {
    const toA: Uint8Array[] = [];
    const toB: Uint8Array[] = [];
    const mk = (q: Uint8Array[]): ldk.SocketDescriptor => {
      const id = this.#socketId++;
      return ldk.SocketDescriptor.new_impl({
        send_data: (data: Uint8Array) => {
          q.push(data.slice());
          return data.length;
        },
        disconnect_socket: () => undefined,
        eq: (o: ldk.SocketDescriptor) => o.hash() === id,
        hash: () => id,
      });
    };
    const da = mk(toB); // a's socket: what a sends goes to b
    const db = mk(toA);
    const link: Link = { a, b, da, db, toA, toB };
    this.links.push(link);
    ok(
      b.pm.new_inbound_connection(db, ldk.Option_SocketAddressZ.constructor_none()),
      "new_inbound_connection",
    );
    toB.push(
      ok<Uint8Array>(
        a.pm.new_outbound_connection(b.nodeId, da, ldk.Option_SocketAddressZ.constructor_none()),
        "new_outbound_connection",
      ),
    );
    this.pump();
  }

  /** Disconnects and reconnects every link (uncommitted updates are dropped, as in BOLT 2). */
  reconnectAll(): void {
    const links = this.links.splice(0);
    for (const l of links) {
      l.a.pm.socket_disconnected(l.da);
      l.b.pm.socket_disconnected(l.db);
    }
    this.pump();
    for (const l of links) this.connect(l.a, l.b);
  }

  /** Delivers messages and handles events until nothing moves. */
  pump(): void {
    for (let round = 0; round < 20_000; round++) {
      let progress = false;
      for (const n of this.nodes) n.pm.process_events();
      for (const l of [...this.links]) {
        const deliver = (to: SimNode, d: ldk.SocketDescriptor, q: Uint8Array[]): boolean => {
          while (q.length > 0) {
            progress = true;
            if (!to.pm.read_event(d, q.shift()!).is_ok()) return false; // LDK drops the peer
          }
          return true;
        };
        if (!deliver(l.b, l.db, l.toB) || !deliver(l.a, l.da, l.toA)) {
          this.log(`  link ${l.a.name}–${l.b.name} closed by LDK`);
          this.links.splice(this.links.indexOf(l), 1);
          l.a.pm.socket_disconnected(l.da);
          l.b.pm.socket_disconnected(l.db);
        }
      }
      // A Warden-signed node whose signer waits for the HTLCs LDK trimmed gets them listed.
      for (const n of this.nodes)
        if ((n.warden?.provideHtlcDetails(n.cm) ?? 0) > 0) progress = true;
      for (const n of this.nodes) {
        const events: ldk.Event[] = [];
        const h = ldk.EventHandler.new_impl({
          handle_event: (e: ldk.Event) => {
            events.push(e);
            return ldk.Result_NoneReplayEventZ.constructor_ok();
          },
        });
        n.cm.as_EventsProvider().process_pending_events(h);
        n.chainMonitor.as_EventsProvider().process_pending_events(h);
        for (const e of events) {
          progress = true;
          this.#handle(n, e);
        }
      }
      if (!progress) return;
    }
    throw new Error("pump did not settle");
  }

  /** A funding-style tx paying `value` to `script` from the faucet (signed, confirmed inputs). */
  faucetTx(script: Uint8Array, value: bigint): Tx {
    const pub = publicKey(this.#faucetKey);
    const spk = p2wpkh(pub);
    const coinbase = this.chain.fund([{ value: value + 10_000n, script: spk }]);
    this.#afterBlock(this.chain.tip);
    const tx: Tx = {
      version: 2,
      locktime: 0,
      inputs: [
        {
          prevout: { txid: txid(coinbase), vout: 0 },
          scriptSig: new Uint8Array(0),
          sequence: 0xfffffffd,
          witness: [],
        },
      ],
      outputs: [{ value, script }],
    };
    const digest = segwitV0Sighash(tx, 0, p2pkhScriptCode(pub), value + 10_000n, SIGHASH_ALL);
    const sig = signatureToDer(ecdsaSign(digest, this.#faucetKey));
    tx.inputs[0]!.witness = [Uint8Array.from([...sig, SIGHASH_ALL]), pub];
    return tx;
  }

  /** A funding tx from the Warden wallet: a faucet-paid wallet UTXO in, the channel and change out. */
  #walletFunding(w: WardenLdkSigner, script: Uint8Array, value: bigint): WalletFunding {
    const key = w.walletKey(0);
    const change = w.walletKey(0, true);
    const coinbase = this.chain.fund([{ value: value + 20_000n, script: key.script }]);
    this.#afterBlock(this.chain.tip);
    const utxo = { txid: txid(coinbase), vout: 0, value: value + 20_000n };
    const unsigned = (changeScript: Uint8Array): Tx => ({
      version: 2,
      locktime: 0,
      inputs: [
        {
          prevout: { txid: utxo.txid, vout: 0 },
          scriptSig: new Uint8Array(0),
          sequence: 0xfffffffd,
          witness: [],
        },
      ],
      outputs: [
        { value, script },
        { value: 20_000n - 500n, script: changeScript },
      ],
    });
    const chain = this.chain;
    return {
      txid: txid(unsigned(change.script)),
      change,
      psbt: (changeScript) => {
        const t = new btc.Transaction({ version: 2, allowUnknownOutputs: true });
        t.addInput({
          txid: Uint8Array.from(utxo.txid).reverse(),
          index: 0,
          sequence: 0xfffffffd,
          witnessUtxo: { script: key.script, amount: utxo.value },
          bip32Derivation: [
            [key.pubkey, { fingerprint: key.masterFingerprint, path: key.fullPath }],
          ],
        });
        t.addOutput({ script, amount: value });
        t.addOutput({
          script: changeScript,
          amount: 20_000n - 500n,
          ...(equalBytes(changeScript, change.script)
            ? {
                bip32Derivation: [
                  [change.pubkey, { fingerprint: change.masterFingerprint, path: change.fullPath }],
                ],
              }
            : {}),
        });
        return t.toPSBT(0);
      },
      sign: (psbt) => w.signPsbt(psbt),
      broadcast: (signed) => {
        const t = btc.Transaction.fromPSBT(signed);
        t.finalize();
        chain.broadcast(parseTx(t.extract()));
      },
    };
  }

  #handle(n: SimNode, e: ldk.Event): void {
    const kind = e.constructor.name.replace(/^Event_/, "");
    n.seen.set(kind, (n.seen.get(kind) ?? 0) + 1);
    if (e instanceof ldk.Event_OpenChannelRequest) {
      ok(
        n.cm.accept_inbound_channel(e.temporary_channel_id, e.counterparty_node_id, 0n),
        "accept_inbound_channel",
      );
    } else if (e instanceof ldk.Event_FundingGenerationReady && n.warden !== undefined) {
      const f = this.#walletFunding(n.warden, e.output_script, e.channel_value_satoshis);
      this.#walletFundings.set(bytesToHex(f.txid), f);
      ok(
        n.cm.unsafe_manual_funding_transaction_generated(
          e.temporary_channel_id,
          e.counterparty_node_id,
          ldk.OutPoint.constructor_new(f.txid, 0),
        ),
        "unsafe_manual_funding_transaction_generated",
      );
    } else if (e instanceof ldk.Event_FundingTxBroadcastSafe) {
      const f = this.#walletFundings.get(bytesToHex(e.funding_txo.get_txid()));
      if (f !== undefined) {
        if (this.onFundingSafe !== undefined) this.onFundingSafe(n, f);
        else f.broadcast(f.sign(f.psbt(f.change.script)));
      }
    } else if (e instanceof ldk.Event_FundingGenerationReady) {
      const tx = this.faucetTx(e.output_script, e.channel_value_satoshis);
      ok(
        n.cm.funding_transaction_generated(
          e.temporary_channel_id,
          e.counterparty_node_id,
          serializeTx(tx),
        ),
        "funding_transaction_generated",
      );
    } else if (e instanceof ldk.Event_PendingHTLCsForwardable) {
      n.cm.process_pending_htlc_forwards();
    } else if (e instanceof ldk.Event_PaymentClaimable) {
      const pre = e.purpose.preimage();
      if (pre instanceof ldk.Option_ThirtyTwoBytesZ_Some) {
        if (n.holdPayments) n.held.push(pre.some);
        else n.cm.claim_funds(pre.some);
      }
    } else if (e instanceof ldk.Event_PaymentClaimed) {
      n.paymentsClaimed++;
    } else if (e instanceof ldk.Event_PaymentSent) {
      n.paymentsSent++;
    } else if (e instanceof ldk.Event_PaymentFailed) {
      n.paymentsFailed++;
    } else if (e instanceof ldk.Event_PaymentForwarded) {
      n.forwarded++;
    } else if (e instanceof ldk.Event_ChannelClosed) {
      n.closeReasons.push(e.reason.to_str());
    } else if (e instanceof ldk.Event_SpendableOutputs) {
      n.spendable.push(...e.outputs);
    } else if (e instanceof ldk.Event_BumpTransaction) {
      this.#bump(n, e.bump_transaction);
    }
    this.onEvent?.(n, e);
  }

  /**
   * Anchor channels: LDK asks the application to get its commitment and HTLC transactions
   * confirmed. The fake chain has no fee market, so the commitment goes out as is and the
   * zero-fee HTLC transactions are signed (through the node's signer) without added inputs.
   */
  #bump(n: SimNode, b: ldk.BumpTransactionEvent): void {
    if (b instanceof ldk.BumpTransactionEvent_ChannelClose) {
      const tx = parseTx(b.commitment_tx);
      n.broadcasts.push(tx);
      this.chain.broadcast(tx);
      return;
    }
    if (!(b instanceof ldk.BumpTransactionEvent_HTLCResolution)) return;
    const descs = b.htlc_descriptors;
    const tx: Tx = {
      version: 2,
      locktime: b.tx_lock_time,
      inputs: descs.map((d) => {
        const i = d.unsigned_tx_input();
        return {
          prevout: { txid: i.previous_txid, vout: i.previous_vout },
          scriptSig: new Uint8Array(0),
          sequence: i.sequence,
          witness: [],
        };
      }),
      outputs: descs.map((d) => {
        const o = d.tx_output();
        return { value: o.value, script: o.script_pubkey };
      }),
    };
    const unsigned = serializeTx(tx);
    descs.forEach((d, i) => {
      const signer = d.derive_channel_signer(n.signerProvider);
      const sig = signer.sign_holder_htlc_transaction(unsigned, i, d);
      if (!(sig instanceof ldk.Result_ECDSASignatureNoneZ_OK)) {
        this.log(`  ${n.name}: HTLC tx input ${i} not signed`);
        return;
      }
      tx.inputs[i]!.witness = parseWitness(d.tx_input_witness(sig.res, d.witness_script()));
    });
    if (tx.inputs.every((i) => i.witness.length > 0)) {
      n.broadcasts.push(tx);
      this.chain.broadcast(tx);
    }
  }

  #afterBlock(b: FakeBlock): void {
    for (const n of this.nodes) {
      // The signer's chain view first: LDK signs claims dated at the new height at once.
      n.warden?.setChainHeight(b.height);
      n.chainMonitor.as_Listen().block_connected(b.bytes, b.height);
      n.cm.as_Listen().block_connected(b.bytes, b.height);
    }
  }

  /** Mines `count` blocks (each with what the mempool can confirm), pumping after each. */
  mine(count = 1): FakeBlock {
    let b = this.chain.tip;
    for (let i = 0; i < count; i++) {
      b = this.chain.mine();
      this.#afterBlock(b);
      this.pump();
    }
    return b;
  }

  /** Opens a channel a → b of `valueSat`, confirms it and returns its LDK channel id. */
  openChannel(a: SimNode, b: SimNode, valueSat: bigint): ldk.ChannelId {
    ok(a.cm.create_channel(b.nodeId, valueSat, 0n, 0n, null, null), "create_channel");
    this.pump();
    this.mine(1);
    this.mine(1);
    const ch = a.channels(b).find((c) => c.get_is_usable());
    if (ch === undefined) throw new Error(`channel ${a.name}→${b.name} is not usable`);
    return ch.get_channel_id();
  }

  /** Sweeps `n`'s spendable channel outputs to `script` and returns the sweep (or undefined). */
  sweep(n: SimNode, script: Uint8Array): Tx | undefined {
    const descs = n.spendable.filter(
      (d) => !(d instanceof ldk.SpendableOutputDescriptor_StaticOutput),
    );
    if (descs.length === 0) return undefined;
    const r = n.outputSpender.spend_spendable_outputs(
      descs,
      [],
      script,
      SIM_FEERATE,
      ldk.Option_u32Z.constructor_none(),
    );
    if (!(r instanceof ldk.Result_TransactionNoneZ_OK)) return undefined;
    n.spendable = n.spendable.filter(
      (d) => d instanceof ldk.SpendableOutputDescriptor_StaticOutput,
    );
    const tx = parseTx(r.res);
    this.chain.broadcast(tx);
    return tx;
  }
}

/** A channel funded from a Warden wallet, waiting for its PSBT to be signed and broadcast. */
export interface WalletFunding {
  /** The funding txid (internal order); the funding output is output 0. */
  readonly txid: Uint8Array;
  /** Our change key (the honest change destination). */
  readonly change: HostWalletKey;
  /** The unsigned PSBT (v0) paying the change to `changeScript`. */
  psbt(changeScript: Uint8Array): Uint8Array;
  /** Warden's signature on the wallet input (throws the refusal). */
  sign(psbt: Uint8Array): Uint8Array;
  /** Finalizes and broadcasts a signed PSBT. */
  broadcast(signed: Uint8Array): void;
}

/** A consensus-serialized witness (count, then length-prefixed items) as its items. */
export function parseWitness(b: Uint8Array): Uint8Array[] {
  let o = 0;
  const varint = (): number => {
    const f = b[o++]!;
    if (f < 0xfd) return f;
    const dv = new DataView(b.buffer, b.byteOffset + o);
    if (f === 0xfd) {
      o += 2;
      return dv.getUint16(0, true);
    }
    o += 4;
    return dv.getUint32(0, true);
  };
  const n = varint();
  const items: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const l = varint();
    items.push(b.slice(o, o + l));
    o += l;
  }
  return items;
}

/** Hex of a txid in display order. */
export function displayTxid(tx: Tx): string {
  return bytesToHex(Uint8Array.from(txid(tx)).reverse());
}
