/**
 * Worker-thread entry of the LDK adapter: hosts one Warden Node (LDK KeysManager-style keys,
 * its Store, its Policy) and answers the adapter's requests. LDK calls its signer
 * synchronously while Warden commits state asynchronously before it signs, so the adapter
 * blocks (Atomics.wait) on this thread's answer: every signature still leaves Warden only
 * after the state recording it is committed to the Store.
 *
 * Two ports: `sync` (requests run one at a time in arrival order; after each the host posts
 * its answer and then bumps a shared word the main thread blocks on, reading the answer with
 * receiveMessageOnPort; a pipelined request is answered only if it fails) and `async`
 * (ordinary messages, for calls that may wait on a human, such as a queued payment approval).
 */
import { type MessagePort, workerData } from "node:worker_threads";
import { p2wpkh } from "../../bitcoin/outputs.js";
import { ExtendedPrivateKey, HARDENED } from "../../keys/bip32.js";
import { ldkKeyDeriver } from "../../keys/ldk.js";
import { OnchainWallet } from "../../wallet/wallet.js";
import { WalletKeys } from "../../wallet/wallet-keys.js";
import { ApproveAll } from "../../payments/approver.js";
import { PendingApprovals } from "../../payments/approvals.js";
import { policyConfig } from "../../policy/config.js";
import { parsePolicyFilter } from "../../policy/filter.js";
import { Policy } from "../../policy/policy.js";
import type { Channel } from "../../signer/channel.js";
import { Node, type NodeKeySource } from "../../signer/node.js";
import { bytesToHex, hexToBytes } from "../../util/bytes.js";
import type {
  BatchEntry,
  HostInfo,
  HostRequest,
  HostResponse,
  HostSpec,
  HostWalletKey,
} from "./host-protocol.js";
import { HOST_DEAD, SYNC_DONE } from "./host-protocol.js";
import { openHostStore } from "./store-factory.js";
import { serializeError } from "../../signer/serialized-error.js";

/** Channel methods the adapter may call (nothing else is reachable through the port). */
const CHANNEL_METHODS = new Set<string>([
  "setup",
  "getPerCommitmentPoint",
  "validateHolderCommitment",
  "revokeHolderCommitment",
  "signCounterpartyCommitment",
  "validateCounterpartyRevocation",
  "signHolderCommitment",
  "signMutualClose",
  "signHolderHtlcTx",
  "signCounterpartyHtlcTx",
  "signSweep",
  "signChannelAnnouncement",
  "markClosed",
]);

/** Wallet keys per chain recognised as ours without a derivation claim. */
const WALLET_LOOKAHEAD = 20;

interface HostData {
  spec: HostSpec;
  sync: MessagePort;
  async: MessagePort;
  flag: SharedArrayBuffer;
}

async function main(): Promise<void> {
  const data = workerData as HostData;
  const spec = data.spec;
  const deriver = ldkKeyDeriver(spec.seed, spec.startingTimeSecs, spec.startingTimeNanos);
  const keys: NodeKeySource = {
    nodeId: () => deriver.nodeId(),
    nodeSecret: () => deriver.nodeSecret(),
    channelKeys: (id: string) => deriver.channelKeys({ channelKeysId: hexToBytes(id) }),
  };
  const walletScripts = new Set<string>([
    bytesToHex(deriver.destinationScript()),
    bytesToHex(p2wpkh(deriver.shutdownPubkey())),
    ...(spec.walletScripts ?? []).map((s) => bytesToHex(s)),
  ]);
  let height = spec.chainHeight;
  // The on-chain wallet: BIP 84-style account m/84'/coin'/0' of the seed, P2WPKH keys [0|1, i];
  // its first keys on both chains count as ours.
  const coin = spec.config?.network === "bitcoin" || spec.config?.network === undefined ? 0 : 1;
  const walletRootPath = [HARDENED + 84, HARDENED + coin, HARDENED];
  const walletRoot = ExtendedPrivateKey.fromSeed(spec.seed).derivePath(walletRootPath);
  const keysOfWallet = new WalletKeys({ root: walletRoot, rootPath: walletRootPath });
  const walletKeys = new Set<string>();
  for (const chain of [0, 1]) {
    for (let i = 0; i < WALLET_LOOKAHEAD; i++) {
      walletKeys.add(bytesToHex(keysOfWallet.script("p2wpkh", [chain, i])));
    }
  }
  const ourWalletKey = (script: Uint8Array): boolean => walletKeys.has(bytesToHex(script));
  const store = await openHostStore(spec.store);
  let queue: PendingApprovals | undefined;
  const nodeId = deriver.nodeId();
  if (spec.approver === "queue") queue = PendingApprovals.forNode(store, nodeId);
  const node = await Node.open({
    keys,
    store,
    policy: new Policy({
      config: policyConfig(spec.config ?? {}),
      filter: parsePolicyFilter([...(spec.demote ?? [])]),
    }),
    isOurWallet: (script) => walletScripts.has(bytesToHex(script)) || ourWalletKey(script),
    chainHeight: () => height,
    approver: spec.approver === "approve-all" ? new ApproveAll() : queue,
  });

  const wallet = await OnchainWallet.open({ node, root: walletRoot, rootPath: walletRootPath });

  const deferredHolderKey = (channelId: string): string =>
    `node/${bytesToHex(nodeId)}/ldk/deferred-holder/${channelId}`;
  const execute = async (op: HostRequest["op"], args: unknown[]): Promise<unknown> => {
    switch (op) {
      case "info": {
        const info: HostInfo = {
          nodeId,
          destinationScript: deriver.destinationScript(),
          shutdownPubkey: deriver.shutdownPubkey(),
        };
        return info;
      }
      case "inboundPaymentKeyMaterial":
        return deriver.inboundPaymentKeyMaterial();
      case "newChannel": {
        const c = await node.newChannel(args[0] as string);
        return c.basepoints;
      }
      case "channel": {
        const [id, method, callArgs] = args as [string, string, unknown[]];
        if (!CHANNEL_METHODS.has(method)) throw new Error(`host: no channel method ${method}`);
        const c = node.channel(id);
        if (method === "validateHolderCommitment") toPrepare.add(c);
        const fn = (c as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
        return fn.apply(c, callArgs);
      }
      case "state": {
        const c: Channel = node.channel(args[0] as string);
        return c.state;
      }
      case "setChainHeight":
        height = args[0] as number;
        return undefined;
      case "approveInvoice":
        return node.approveInvoice(args[0] as string, args[1] as bigint | undefined);
      case "approveKeysend":
        return node.approveKeysend(args[0] as Uint8Array, args[1] as Uint8Array, args[2] as bigint);
      case "addPreimage":
        return node.addPreimage(args[0] as Uint8Array);
      case "preimages": {
        // The preimages the payments ledger holds (Store) for these hashes, in their order.
        const out: Uint8Array[] = [];
        for (const h of args[0] as Uint8Array[]) {
          const pre = node.payments.record(h)?.preimage;
          if (pre !== undefined) out.push(pre);
        }
        return out;
      }
      case "closeStore":
        return store.close();
      case "pendingApprovals":
        return queue === undefined ? [] : queue.pending();
      case "answerApproval":
        if (queue === undefined) throw new Error("host: no approval queue");
        return queue.answer(args[0] as string, args[1] as "approve" | "refuse");
      case "ecdh":
        return node.nodeSigner.ecdh(args[0] as Uint8Array);
      case "signInvoice": {
        const [request, hrp, words] = args as Parameters<Node["nodeSigner"]["signInvoice"]>;
        return node.nodeSigner.signInvoice(request, hrp, words);
      }
      case "signChannelUpdate":
        return node.nodeSigner.signChannelUpdate(args[0] as string, args[1] as Uint8Array);
      case "signNodeAnnouncement":
        return node.nodeSigner.signNodeAnnouncement(args[0] as Uint8Array);
      case "bindUnannouncedScid":
        return node.nodeSigner.bindUnannouncedScid(
          args[0] as string,
          args[1] as Uint8Array,
          args[2] as 0 | 1,
        );
      case "bindScidAlias":
        return node.nodeSigner.bindScidAlias(args[0] as string, args[1] as Uint8Array);
      case "walletKey": {
        const path = [args[0] as number, args[1] as number];
        const key: HostWalletKey = {
          script: wallet.keys.script("p2wpkh", path),
          pubkey: Uint8Array.from(wallet.keys.keyAt(path).publicKey),
          fullPath: wallet.keys.fullPath(path),
          masterFingerprint: ExtendedPrivateKey.fromSeed(spec.seed).fingerprint(),
        };
        return key;
      }
      case "signPsbt":
        return (await wallet.signPsbt(args[0] as Uint8Array)).psbt;
      case "deferHolder": {
        // The adapter's record of a holder commitment LDK holds that Warden has not validated
        // yet (LDK's serialized HolderCommitmentTransaction; null once validated), kept in the
        // Store so a restart in between finishes the validation instead of losing it.
        const key = deferredHolderKey(args[0] as string);
        const value = args[1] as Uint8Array | null;
        const cur = await store.get(key);
        if (value === null && cur === undefined) return undefined;
        await store.commit([{ key, value, expectedVersion: cur?.version ?? 0 }]);
        return undefined;
      }
      case "deferredHolder":
        return (await store.get(deferredHolderKey(args[0] as string)))?.value;
      case "batch": {
        const results: unknown[] = [];
        for (const e of args[0] as BatchEntry[]) {
          if (e.op === ("batch" as string)) throw new Error("host: nested batch");
          try {
            results.push(await execute(e.op, e.args));
          } catch (err) {
            if (e.optional !== true) throw err;
            results.push(undefined);
          }
        }
        return results;
      }
      case "stats":
        return { ...stats };
      case "warnings":
        return node.policy.warnings();
    }
  };

  /**
   * Channels whose holder commitment moved on: once no request waits, the keys of their next
   * holder commitment are derived ahead (Channel.prepareNextHolder), off LDK's critical path.
   */
  const toPrepare = new Set<Channel>();
  const prepareWhenIdle = (): void => {
    for (const c of toPrepare) {
      if (running || inbox.length > 0) return; // a request came in: it goes first
      toPrepare.delete(c);
      try {
        c.prepareNextHolder();
      } catch {
        // Only an optimization: the validation derives the keys itself.
      }
    }
  };

  const flag = new Int32Array(data.flag);
  // Time spent executing synchronous calls (from arrival to answer), for benchmarks.
  const stats = { busyMs: 0, calls: 0 };
  /**
   * The sync port's requests run one at a time, in arrival order: a pipelined validation is
   * committed (or refused) before the call after it starts, so that call's answer covers it.
   */
  const inbox: HostRequest[] = [];
  let running = false;
  const runInbox = async (): Promise<void> => {
    running = true;
    for (let req = inbox.shift(); req !== undefined; req = inbox.shift()) {
      const start = performance.now();
      let answer: HostResponse | undefined;
      try {
        const value: unknown = await execute(req.op, req.args);
        if (req.pipelined !== true) answer = { id: req.id, ok: true, value };
      } catch (e) {
        answer = { id: req.id, ok: false, error: serializeError(e) };
      }
      stats.busyMs += performance.now() - start;
      stats.calls++;
      if (answer !== undefined) postAnswer(answer);
      Atomics.store(flag, SYNC_DONE, req.id);
      Atomics.notify(flag, SYNC_DONE);
    }
    running = false;
    if (toPrepare.size > 0) setImmediate(prepareWhenIdle);
  };
  /** Posts an answer; one that cannot be sent (not cloneable) goes back as an error. */
  const postAnswer = (answer: HostResponse): void => {
    try {
      data.sync.postMessage(answer);
    } catch (e) {
      data.sync.postMessage({
        id: answer.id,
        ok: false,
        error: serializeError(new Error(`host: the answer cannot be sent (${String(e)})`)),
      });
    }
  };
  const accept = (req: HostRequest): void => {
    inbox.push(req);
    if (!running) void runInbox();
  };
  data.sync.on("message", accept);

  data.async.on("message", (req: HostRequest) => {
    void execute(req.op, req.args).then(
      (value) => data.async.postMessage({ id: req.id, ok: true, value }),
      (e: unknown) => data.async.postMessage({ id: req.id, ok: false, error: serializeError(e) }),
    );
  });
  data.async.postMessage({ ready: true });
}

/**
 * The host stops on an unexpected error: the shared dead word lets a call blocked on the sync
 * port fail at once, the async port carries the reason, and the thread exits.
 */
function die(e: unknown): void {
  const data = workerData as HostData;
  const flag = new Int32Array(data.flag);
  Atomics.store(flag, HOST_DEAD, 1);
  Atomics.notify(flag, SYNC_DONE);
  try {
    data.async.postMessage({ fatal: serializeError(e) });
  } finally {
    process.exit(1);
  }
}
process.on("uncaughtException", die);
process.on("unhandledRejection", die);

main().catch((e: unknown) => {
  const data = workerData as HostData;
  data.async.postMessage({ fatal: serializeError(e) });
});
