/**
 * Warden as Core Lightning's hsmd: the request/reply service behind lightningd's fd 3 and the
 * client connections it hands to subdaemons. Every request is checked against its connection's
 * permission bits (as hsmd's hsmd_check_client_capabilities), decoded, and run through Warden's
 * Node / Channel / NodeSigner / on-chain wallet with the policy; the reply is encoded as hsmd's.
 *
 * Errors: `handle` rejects only with HsmdClientError, after which the caller disconnects the
 * client (hsmd's status_bad_request; on the root connection lightningd then stops, as with the
 * real hsmd). State is unchanged and nothing is signed for a refused request.
 */
import type { Network } from "../../bitcoin/address.js";
import { addressToScript } from "../../bitcoin/address.js";
import { WardenError } from "../../errors.js";
import { clnKeyDeriver } from "../../keys/cln.js";
import type { ClnKeyDeriver } from "../../keys/key-deriver.js";
import { ApproveAll, type Approver } from "../../payments/approver.js";
import { policyConfig, type PolicyConfigOverrides } from "../../policy/config.js";
import { PolicyError } from "../../policy/errors.js";
import type { PolicyFilter } from "../../policy/filter.js";
import { Policy } from "../../policy/policy.js";
import { Node } from "../../signer/node.js";
import type { Store } from "../../store/store.js";
import { bytesToHex } from "../../util/bytes.js";
import { OnchainWallet } from "../../wallet/wallet.js";
import * as ch from "./handlers/channel.js";
import {
  type ChainView,
  type DevFlags,
  HsmdClientError,
  type HsmdClientContext,
  type HsmdCore,
  parseClnChannelId,
  type RequestContext,
} from "./handlers/context.js";
import { WireReader } from "./handlers/io.js";
import * as nd from "./handlers/node.js";
import * as oc from "./handlers/onchain.js";
import { handleSignWithdrawal } from "./handlers/wallet.js";
import { REQUESTS, ROOT_PERMISSIONS } from "./permissions.js";

export { HsmdClientError, type HsmdClientContext, type ChainView } from "./handlers/context.js";

/** A reply to one request. */
export interface HsmdReply {
  /** The reply message (type + payload, no length prefix), or null when there is none (hsmd_dev_preinit). */
  readonly message: Uint8Array | null;
  /** For hsmd_client_hsmfd on a root connection: the new client, whose socket end goes with SCM_RIGHTS after `message`. */
  readonly newClient?: HsmdConnection;
}

/** One connection to the hsmd (the root fd 3, or a client made by hsmd_client_hsmfd). */
export interface HsmdConnection {
  readonly context: HsmdClientContext;
  /**
   * Handles one request; rejects with HsmdClientError (code "cln/...") when the client must
   * be disconnected (malformed, unknown type, not permitted, policy refusal). Never throws
   * anything else.
   */
  handle(request: Uint8Array): Promise<HsmdReply>;
}

/** What the service needs. */
export interface HsmdOptions {
  /** The 32-byte (plain) or 64-byte (BIP 39 seed) secret of lightningd's hsm_secret. */
  hsmSecret: Uint8Array;
  store: Store;
  /**
   * A ready policy (its network must be the one hsmd_init names); default: a policy built from
   * `policyConfig` for the network of hsmd_init.
   */
  policy?: Policy;
  /** Overrides of the default policy configuration (network and allowlist are set here). */
  policyConfig?: Omit<PolicyConfigOverrides, "network">;
  policyFilter?: PolicyFilter;
  /** Allowlisted destination addresses (for the network of hsmd_init). */
  allowlist?: readonly string[];
  /** Payment approvals (hsmd_preapprove_*); default: approve, within the velocity rules. */
  approver?: Approver;
  /** A chain view (funding confirmations, spent funding outputs), when there is one. */
  chain?: ChainView;
  /** Node clock in milliseconds; default Date.now. */
  clock?: () => number;
  /** Dust limit assumed for both sides (hsmd_setup_channel carries none); default 546. */
  dustLimitSat?: bigint;
  /** hsm_secret_type reported in hsmd_init_reply (0 = plain 32-byte secret). */
  hsmSecretType?: number;
  /** Called for every request refused by policy (rule ids), e.g. to count refusals. */
  onRefusal?: (ruleIds: readonly string[], requestName: string) => void;
}

type Handler = (ctx: RequestContext) => Promise<Uint8Array | null>;

const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [1, nd.handleEcdh],
  [2, nd.handleCannouncement],
  [3, nd.handleChannelUpdate],
  [4, nd.handleAnyCannouncement],
  [5, ch.handleSignCommitmentTx],
  [6, nd.handleNodeAnnouncement],
  [7, handleSignWithdrawal],
  [8, nd.handleSignInvoice],
  [9, async () => null], // hsmd_client_hsmfd: answered by Connection.handle
  [10, nd.handleGetChannelBasepoints],
  [11, nd.handleInit],
  [12, oc.handleDelayedPaymentToUs],
  [13, oc.handleRemoteHtlcToUs],
  [14, oc.handlePenaltyToUs],
  [18, ch.handleGetPerCommitmentPoint],
  [19, ch.handleSignRemoteCommitment],
  [20, ch.handleSignRemoteHtlcTx],
  [21, ch.handleSignMutualClose],
  [22, nd.handleCheckFutureSecret],
  [23, nd.handleSignMessage],
  [24, nd.handleGetOutputScriptpubkey],
  [25, nd.handleSignBolt12],
  [26, nd.handleWillFundOffer],
  [27, nd.handleDeriveSecret],
  [28, nd.handleCheckPubkey],
  [29, ch.handleSignSpliceTx],
  [30, nd.handleNewChannel],
  [31, ch.handleSetupChannel],
  [32, ch.handleCheckOutpoint],
  [33, nd.handleDevMemleak],
  [34, nd.handleForgetChannel],
  [35, ch.handleValidateCommitment],
  [36, ch.handleValidateRevocation],
  [37, ch.handleLockOutpoint],
  [38, nd.handlePreapproveInvoice],
  [39, nd.handlePreapproveKeysend],
  [40, ch.handleRevokeCommitment],
  [41, nd.handleSignBolt12v2],
  [45, nd.handleBip137],
  [51, nd.handlePreapproveInvoice],
  [52, nd.handlePreapproveKeysend],
  [56, nd.handleCheckBip86Pubkey],
  [99, nd.handleDevPreinit],
  [142, oc.handleDelayedPaymentToUs],
  [143, oc.handleRemoteHtlcToUs],
  [144, oc.handlePenaltyToUs],
  [146, oc.handleLocalHtlcTx],
  [147, oc.handleAnchorSpend],
  [149, oc.handleHtlcTxMingle],
]);

/**
 * Policy defaults on regtest, where Core Lightning (like every test setup) uses to_self_delay
 * 6 (its watchtime-blocks with --developer); mainnet-sane defaults apply on other networks.
 * Options given to Hsmd.open override these.
 */
export const REGTEST_POLICY: Omit<PolicyConfigOverrides, "network"> = Object.freeze({
  minHolderToSelfDelayBlocks: 1,
  minCounterpartyToSelfDelayBlocks: 1,
  // Core Lightning sizes sweeps at the 253 sat/kw floor with its own weight estimate, which
  // Warden's (upper-bound) estimate turns into 252 sat/kw.
  minSweepFeeratePerKw: 250,
});

/** m/86'/0'/0': the BIP 86 base of a mnemonic hsm_secret's wallet. */
const BIP86_ROOT_PATH: readonly number[] = [0x80000056, 0x80000000, 0x80000000];

/** How many wallet keys past the highest index seen are recognised as ours. */
const WALLET_LOOKAHEAD = 200;

/** The hsmd service of one node (one hsm_secret). */
export class Hsmd implements HsmdCore {
  readonly deriver: ClnKeyDeriver;
  readonly hsmSecretLength: number;
  readonly hsmSecretType: number;
  readonly chain: ChainView | undefined;
  readonly dev: DevFlags = {
    failPreapprove: false,
    noPreapproveCheck: false,
    warnOnOvergrind: false,
  };
  readonly dustLimitSat: bigint;
  readonly #opts: HsmdOptions;
  #node: Node | undefined;
  #wallet: OnchainWallet | undefined;
  readonly #walletScripts = new Set<string>();
  #walletScanned = 0;
  #walletWanted = WALLET_LOOKAHEAD;
  #closed = false;

  private constructor(opts: HsmdOptions) {
    this.#opts = opts;
    this.deriver = clnKeyDeriver(opts.hsmSecret);
    this.hsmSecretLength = opts.hsmSecret.length;
    this.hsmSecretType = opts.hsmSecretType ?? 0;
    this.chain = opts.chain;
    this.dustLimitSat = opts.dustLimitSat ?? 546n;
  }

  /** A service for `opts.hsmSecret` over `opts.store`; the Node opens at hsmd_init. */
  static async open(opts: HsmdOptions): Promise<Hsmd> {
    return new Hsmd(opts);
  }

  /** lightningd's own connection (fd 3): no peer, dbid 0, MASTER | SIGN_GOSSIP | ECDH. */
  root(): HsmdConnection {
    return new Connection(this, { peerId: null, dbid: 0n, permissions: ROOT_PERMISSIONS });
  }

  /** Stops answering (the Store is the caller's to close). */
  async close(): Promise<void> {
    this.#closed = true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get initialized(): boolean {
    return this.#node !== undefined;
  }

  node(): Node {
    if (this.#node === undefined) throw new HsmdClientError("cln/not-initialized", "no hsmd_init");
    return this.#node;
  }

  wallet(): OnchainWallet {
    if (this.#wallet === undefined) {
      throw new HsmdClientError("cln/not-initialized", "no hsmd_init");
    }
    return this.#wallet;
  }

  async initialize(network: Network): Promise<void> {
    if (this.#node !== undefined) {
      if (this.#node.policy.config.network !== network) {
        throw new HsmdClientError("cln/network", "hsmd_init for another network");
      }
      return;
    }
    const o = this.#opts;
    let policy = o.policy;
    if (policy === undefined) {
      let allowlist: string[];
      try {
        allowlist = (o.allowlist ?? []).map((a) => bytesToHex(addressToScript(a, network)));
      } catch (e) {
        throw new HsmdClientError("cln/config", `allowlist: ${(e as Error).message}`);
      }
      const profile = network === "regtest" ? REGTEST_POLICY : {};
      const config = policyConfig({ ...profile, ...o.policyConfig, network, allowlist });
      policy = new Policy({ config, ...(o.policyFilter ? { filter: o.policyFilter } : {}) });
    } else if (policy.config.network !== network) {
      throw new HsmdClientError("cln/network", `the policy is for ${policy.config.network}`);
    }
    const d = this.deriver;
    this.#node = await Node.open({
      keys: {
        nodeId: () => d.nodeId(),
        nodeSecret: () => d.nodeSecret(),
        channelKeys: (id: string) => {
          const ref = parseClnChannelId(id);
          if (ref === undefined)
            throw new HsmdClientError("cln/channel-id", `bad channel id ${id}`);
          return d.channelKeys(ref);
        },
      },
      store: o.store,
      policy,
      isOurWallet: (script) => this.isOurWallet(script),
      ...(o.chain ? { chainHeight: () => o.chain!.tipHeight() } : {}),
      approver: o.approver ?? new ApproveAll(),
      ...(o.clock ? { clock: o.clock } : {}),
      ecdsaGrind: "cln",
      // Core Lightning's hsmd wire never carries a preimage.
      preimagesUnavailable: true,
      peerOf: (id) => parseClnChannelId(id)?.peerId,
    });
    // hsmd spends wallet UTXOs with m/0/0/k, or BIP 86 m/86'/0'/0'/0/k for a mnemonic secret.
    const bip86 = d.bip86Base();
    this.#wallet = await OnchainWallet.open({
      node: this.#node,
      root: bip86 ?? d.walletRoot(),
      rootPath: bip86 !== null ? BIP86_ROOT_PATH : [0, 0],
      schnorrAux: "zero",
    });
  }

  walletClaimPath(index: number): number[] {
    return this.deriver.bip86Base() !== null ? [...BIP86_ROOT_PATH, 0, index] : [0, 0, index];
  }

  noteWalletIndex(index: number): void {
    this.#walletWanted = Math.max(this.#walletWanted, index + 1 + WALLET_LOOKAHEAD);
  }

  /** True when `script` pays one of our wallet keys (P2WPKH or BIP 86 P2TR), within the scan range. */
  isOurWallet(script: Uint8Array): boolean {
    const bip86 = this.deriver.bip86Base();
    while (this.#walletScanned < this.#walletWanted) {
      const k = this.#walletScanned++;
      const pubs = [this.deriver.walletKey(k).publicKey];
      if (bip86 !== null) pubs.push(bip86.derivePath([0, k]).publicKey);
      for (const pub of pubs) {
        for (const s of nd.walletScripts(pub)) this.#walletScripts.add(bytesToHex(s));
      }
    }
    return this.#walletScripts.has(bytesToHex(script));
  }

  /** Reports a refusal to the optional observer. */
  noteRefusal(e: unknown, requestName = ""): void {
    if (e instanceof PolicyError) {
      this.#opts.onRefusal?.(
        e.violations.map((v) => v.ruleId),
        requestName,
      );
    }
  }

  /** Opens a client connection (hsmd_client_hsmfd). */
  connect(context: HsmdClientContext): HsmdConnection {
    return new Connection(this, context);
  }
}

function asClientError(e: unknown): HsmdClientError {
  if (e instanceof HsmdClientError) return e;
  if (e instanceof PolicyError) {
    return new HsmdClientError(
      "cln/policy-refused",
      e.message,
      e.violations.map((v) => v.ruleId),
    );
  }
  if (e instanceof WardenError) {
    return new HsmdClientError(e.code.startsWith("cln/") ? e.code : "cln/bad-request", e.message);
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new HsmdClientError("cln/internal", `internal error: ${msg}`);
}

class Connection implements HsmdConnection {
  readonly #hsmd: Hsmd;
  readonly context: HsmdClientContext;

  constructor(hsmd: Hsmd, context: HsmdClientContext) {
    this.#hsmd = hsmd;
    this.context = Object.freeze({ ...context });
  }

  async handle(request: Uint8Array): Promise<HsmdReply> {
    const hsmd = this.#hsmd;
    if (!(request instanceof Uint8Array) || request.length < 2) {
      throw new HsmdClientError("cln/malformed", "a request is at least its 2-byte type");
    }
    const type = (request[0]! << 8) | request[1]!;
    const spec = REQUESTS.get(type);
    const handler = HANDLERS.get(type);
    if (spec === undefined || handler === undefined) {
      throw new HsmdClientError("cln/unknown-message", `unknown request type ${type}`);
    }
    if ((this.context.permissions & spec.permission) === 0) {
      throw new HsmdClientError(
        "cln/not-permitted",
        `does not have capability to run ${type} (${spec.name})`,
      );
    }
    if (hsmd.closed) throw new HsmdClientError("cln/closed", "the hsmd service is closed");
    if (!hsmd.initialized && type !== 11 && type !== 99) {
      throw new HsmdClientError(
        "cln/not-initialized",
        `hsmd was not initialized correctly, expected message type 11, got ${type}`,
      );
    }
    const ctx: RequestContext = {
      core: hsmd,
      client: this.context,
      type,
      r: new WireReader(request),
    };
    try {
      if (type === 9) {
        const c = nd.readClientHsmfd(ctx);
        const newClient = hsmd.connect(c);
        return { message: Uint8Array.of(0, 109), newClient };
      }
      const message = await handler(ctx);
      return { message };
    } catch (e) {
      const err = asClientError(e);
      if (err.ruleIds.length > 0) hsmd.noteRefusal(e, spec.name);
      throw err;
    }
  }
}
