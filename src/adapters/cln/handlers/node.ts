/**
 * Node-level hsmd requests: hsmd_init, dev_preinit, key checks, derive_secret, ECDH, gossip,
 * invoices and messages, payment pre-approvals, channel bookkeeping (new / forget / basepoints).
 * Signatures come from Warden's NodeSigner (policy-checked); the few requests Core Lightning
 * gives too little to validate (BOLT 12 merkle roots, liquidity-ad offers) are documented where
 * they are handled.
 */
import type { Network } from "../../../bitcoin/address.js";
import { p2wpkh } from "../../../bitcoin/outputs.js";
import { chainHash } from "../../../bolt7/chain-hash.js";
import { decodeChannelUpdate } from "../../../bolt7/channel-update.js";
import { decodeUnsignedInvoice } from "../../../bolt11/decode.js";
import { signRecoverable } from "../../../bolt11/sign.js";
import { derivePrivkey } from "../../../bolt3/key-derivation.js";
import { hash160, sha256, sha256d, taggedHash } from "../../../crypto/hash.js";
import { ecdsaSign, publicKey, schnorrSign, seckeyTweakAdd } from "../../../crypto/secp256k1.js";
import { TESTNET_VERSIONS, MAINNET_VERSIONS } from "../../../keys/bip32.js";
import { bip86Script } from "../../../keys/xpub.js";
import { decodeState } from "../../../state/codec.js";
import { bytesToHex, concatBytes, constantTimeEqual, equalBytes } from "../../../util/bytes.js";
import { CAPABILITIES, HSM_VERSION, PREAPPROVE_CHECK_CAPABILITIES } from "../permissions.js";
import {
  channelById,
  clientChannelId,
  clnChannelId,
  HsmdClientError,
  type RequestContext,
} from "./context.js";
import { emptyReply, WireWriter } from "./io.js";

const NETWORKS: readonly Network[] = ["bitcoin", "testnet", "signet", "regtest"];

/** hsmd_dev_preinit: dev flags (a TLV stream); no reply. */
export async function handleDevPreinit(ctx: RequestContext): Promise<null> {
  const tlvs = ctx.r.rest();
  let off = 0;
  while (off < tlvs.length) {
    const type = tlvs[off]!;
    const len = tlvs[off + 1];
    if (len === undefined || type >= 0xfd || len >= 0xfd || off + 2 + len > tlvs.length) {
      throw new HsmdClientError("cln/malformed", "could not parse hsmd_dev_preinit");
    }
    const v = len === 1 ? tlvs[off + 2] === 1 : false;
    if (type === 1) ctx.core.dev.failPreapprove = v;
    else if (type === 3) ctx.core.dev.noPreapproveCheck = v;
    else if (type === 5) ctx.core.dev.warnOnOvergrind = v;
    else if (type % 2 === 0) {
      throw new HsmdClientError("cln/malformed", `unknown even dev_preinit field ${type}`);
    }
    off += 2 + len;
  }
  return null;
}

/** hsmd_init → hsmd_init_reply_v4 (node id, wallet xpub m/0/0, bolt12 key, capabilities). */
export async function handleInit(ctx: RequestContext): Promise<Uint8Array> {
  const { r, core } = ctx;
  const pubVersion = r.u32();
  const privVersion = r.u32();
  const genesis = r.b32();
  const encryptionKey = r.optional(() => r.b32());
  const forcePrivkey = r.optional(() => r.b32());
  const forceSeed = r.optional(() => r.b32());
  const forceSecrets = r.optional(() => r.take(6 * 32));
  const forceShaseed = r.optional(() => r.b32());
  const minVersion = r.u32();
  const maxVersion = r.u32();
  r.rest(); // hsm_passphrase TLV: the secret file is read (and decrypted) by the executable.
  if (
    encryptionKey !== undefined ||
    forcePrivkey !== undefined ||
    forceSeed !== undefined ||
    forceSecrets !== undefined ||
    forceShaseed !== undefined
  ) {
    throw new HsmdClientError("cln/unsupported", "hsmd_init dev overrides are not supported");
  }
  if (minVersion > HSM_VERSION || maxVersion < HSM_VERSION) {
    throw new HsmdClientError(
      "cln/version",
      `lightningd speaks hsm versions ${minVersion}..${maxVersion}, Warden speaks ${HSM_VERSION}`,
    );
  }
  const network = NETWORKS.find((n) => equalBytes(chainHash(n), genesis));
  if (network === undefined) throw new HsmdClientError("cln/network", "unknown chain");
  const expected = network === "bitcoin" ? MAINNET_VERSIONS : TESTNET_VERSIONS;
  if (pubVersion !== expected.public || privVersion !== expected.private) {
    throw new HsmdClientError("cln/network", "BIP 32 versions do not match the chain");
  }
  await core.initialize(network);
  const d = core.deriver;
  const caps = [...CAPABILITIES];
  if (!core.dev.noPreapproveCheck) caps.push(...PREAPPROVE_CHECK_CAPABILITIES);
  const w = new WireWriter(114).u32(HSM_VERSION).u16(caps.length);
  for (const c of caps) w.u32(c);
  w.bytes(d.nodeId()).bytes(d.walletRoot().publicBytes(pubVersion));
  w.bytes(publicKey(d.bolt12BaseSecret()));
  // TLVs: hsm_secret_type (1), and bip86_base (2) for a 64-byte (mnemonic) secret.
  w.u8(1).u8(1).u8(core.hsmSecretType);
  const bip86 = d.bip86Base();
  if (bip86 !== null) w.u8(2).u8(78).bytes(bip86.publicBytes(pubVersion));
  return w.done();
}

/** hsmd_client_hsmfd: validated here; the connection itself is created by the service. */
export function readClientHsmfd(ctx: RequestContext): {
  peerId: Uint8Array;
  dbid: bigint;
  permissions: number;
} {
  const peerId = ctx.r.point();
  const dbid = ctx.r.u64();
  const perms = ctx.r.u64();
  ctx.r.end();
  if (perms >= 1n << 32n) throw new HsmdClientError("cln/malformed", "permissions out of range");
  // lightningd decides what each subdaemon may do, as with hsmd (it holds MASTER itself).
  const permissions = Number(perms);
  return { peerId, dbid, permissions };
}

/** hsmd_derive_secret. */
export async function handleDeriveSecret(ctx: RequestContext): Promise<Uint8Array> {
  const info = ctx.r.varBytes16();
  ctx.r.end();
  return new WireWriter(127).bytes(ctx.core.deriver.deriveSecret(info)).done();
}

/** hsmd_check_pubkey: lightningd's wallet key k must be ours (hsmd aborts otherwise). */
export async function handleCheckPubkey(ctx: RequestContext): Promise<Uint8Array> {
  const index = ctx.r.u32();
  const pub = ctx.r.point();
  ctx.r.end();
  if (index >= 0x80000000) throw new HsmdClientError("cln/bad-request", `index ${index} too great`);
  const ours = ctx.core.deriver.walletKey(index).publicKey;
  if (!equalBytes(ours, pub)) {
    throw new HsmdClientError("cln/bad-request", `BIP32 derivation index ${index} differed`);
  }
  ctx.core.noteWalletIndex(index);
  return new WireWriter(128).bool(true).done();
}

/** hsmd_check_bip86_pubkey: only for 64-byte (mnemonic) secrets; a mismatch aborts, as hsmd. */
export async function handleCheckBip86Pubkey(ctx: RequestContext): Promise<Uint8Array> {
  const index = ctx.r.u32();
  const pub = ctx.r.point();
  ctx.r.end();
  const base = ctx.core.deriver.bip86Base();
  if (base === null) {
    throw new HsmdClientError("cln/bad-request", "BIP86 derivation needs a 64-byte BIP32 seed");
  }
  if (index >= 0x80000000) throw new HsmdClientError("cln/bad-request", `index ${index} too great`);
  const ours = base.derivePath([0, index]).publicKey;
  if (!equalBytes(ours, pub)) {
    throw new HsmdClientError("cln/bad-request", `BIP86 derivation index ${index} differed`);
  }
  ctx.core.noteWalletIndex(index);
  return new WireWriter(156).bool(true).done();
}

/** hsmd_ecdh_req: NodeSigner.ecdh (policy-ecdh-rate). */
export async function handleEcdh(ctx: RequestContext): Promise<Uint8Array> {
  const point = ctx.r.point();
  ctx.r.end();
  const ss = await ctx.core.node().nodeSigner.ecdh(point);
  return new WireWriter(100).bytes(ss).done();
}

/** hsmd_node_announcement_sig_req: NodeSigner.signNodeAnnouncement (must be our node id). */
export async function handleNodeAnnouncement(ctx: RequestContext): Promise<Uint8Array> {
  const ann = ctx.r.varBytes16();
  ctx.r.end();
  const sig = await ctx.core.node().nodeSigner.signNodeAnnouncement(ann);
  return new WireWriter(106).bytes(sig).done();
}

async function signCannouncement(
  ctx: RequestContext,
  channelId: string,
  ca: Uint8Array,
  replyType: number,
): Promise<Uint8Array> {
  channelById(ctx, channelId);
  const sigs = await ctx.core.node().nodeSigner.signChannelAnnouncement(channelId, ca);
  return new WireWriter(replyType).bytes(sigs.nodeSignature).bytes(sigs.bitcoinSignature).done();
}

/** hsmd_cannouncement_sig_req (channeld: its own channel). */
export async function handleCannouncement(ctx: RequestContext): Promise<Uint8Array> {
  const ca = ctx.r.varBytes16();
  ctx.r.end();
  return signCannouncement(ctx, clientChannelId(ctx), ca, 102);
}

/** hsmd_sign_any_cannouncement_req (lightningd: any channel by peer and dbid). */
export async function handleAnyCannouncement(ctx: RequestContext): Promise<Uint8Array> {
  const ca = ctx.r.varBytes16();
  const peerId = ctx.r.point();
  const dbid = ctx.r.u64();
  ctx.r.end();
  return signCannouncement(ctx, clnChannelId(peerId, dbid), ca, 104);
}

/** Channel of a short_channel_id the NodeSigner bound (announced SCID or alias). */
async function scidOwner(ctx: RequestContext, scid: Uint8Array): Promise<string | undefined> {
  const signer = ctx.core.node().nodeSigner;
  const stored = await ctx.core.node().store.get(signer.scidOwnerKey(scid));
  if (stored === undefined) return undefined;
  const rec = decodeState<{ channelId?: unknown }>(stored.value);
  return typeof rec.channelId === "string" ? rec.channelId : undefined;
}

/**
 * hsmd_cupdate_sig_req: NodeSigner.signChannelUpdate for the channel owning the SCID. Core
 * Lightning also signs updates under its local SCID alias (option_scid_alias, never announced);
 * an alias not yet bound is bound to the one operating channel whose direction bit is ours
 * toward its peer — with several candidates the request is refused (the alias cannot be
 * attributed). The reply is the channel_update with our signature in place.
 */
export async function handleChannelUpdate(ctx: RequestContext): Promise<Uint8Array> {
  const cu = ctx.r.varBytes16();
  ctx.r.end();
  const node = ctx.core.node();
  let u;
  try {
    u = decodeChannelUpdate(cu);
  } catch {
    throw new HsmdClientError("cln/bad-request", "Bad inner channel_update");
  }
  let channelId = await scidOwner(ctx, u.shortChannelId);
  if (channelId === undefined) {
    const direction = u.channelFlags & 1;
    const candidates = node.channelIds().filter((id) => {
      if (!node.channelActive(id)) return false;
      const peer = /^cln-([0-9a-f]{66})-/.exec(id)?.[1];
      if (peer === undefined) return false;
      const ourDirection = bytesToHex(node.nodeId) < peer ? 0 : 1;
      return ourDirection === direction;
    });
    if (candidates.length !== 1) {
      throw new HsmdClientError(
        "cln/unknown-scid",
        `channel_update for unbound short_channel_id ${bytesToHex(u.shortChannelId)}`,
      );
    }
    channelId = candidates[0]!;
    await node.nodeSigner.bindScidAlias(channelId, u.shortChannelId);
  }
  const sig = await node.nodeSigner.signChannelUpdate(channelId, cu);
  const signed = Uint8Array.from(cu);
  signed.set(sig, 2);
  return new WireWriter(103).varBytes16(signed).done();
}

/** hsmd_sign_invoice: NodeSigner.signInvoice (policy-invoice-own-node: payable to us). */
export async function handleSignInvoice(ctx: RequestContext): Promise<Uint8Array> {
  const u5 = ctx.r.varBytes16();
  const hrpBytes = ctx.r.varBytes16();
  ctx.r.end();
  const hrp = new TextDecoder().decode(hrpBytes);
  const words = Array.from(u5);
  if (words.some((w) => w > 31)) throw new HsmdClientError("cln/malformed", "not 5-bit words");
  let decoded;
  try {
    decoded = decodeUnsignedInvoice(hrp, words);
  } catch {
    throw new HsmdClientError("cln/bad-request", "not a BOLT 11 invoice");
  }
  // Core Lightning sends only the invoice: the request is what the invoice itself says, and
  // the rule checks it is ours (payee), well formed and not duplicated.
  const sig = await ctx.core.node().nodeSigner.signInvoice(
    {
      paymentHash: decoded.paymentHash,
      amountMsat: decoded.amountMsat,
      payeeNodeId: ctx.core.node().nodeId,
      description: decoded.description,
      descriptionHash: decoded.descriptionHash,
    },
    hrp,
    words,
  );
  return new WireWriter(108).bytes(sig).done();
}

/** hsmd_sign_message: NodeSigner.signMessage (policy-message-prefix). */
export async function handleSignMessage(ctx: RequestContext): Promise<Uint8Array> {
  const msg = ctx.r.varBytes16();
  ctx.r.end();
  const signed = await ctx.core.node().nodeSigner.signMessage(msg);
  return new WireWriter(123).bytes(signed.recoverable).done();
}

function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  const b = new Uint8Array(5);
  b[0] = 0xfe;
  new DataView(b.buffer).setUint32(1, n, true);
  return b;
}

/**
 * hsmd_bip137_sign_message: a BIP 137 message signature by wallet key `keyidx`. The BIP 137
 * prefix ("\x18Bitcoin Signed Message:\n") separates it from transactions and gossip.
 */
export async function handleBip137(ctx: RequestContext): Promise<Uint8Array> {
  const msg = ctx.r.varBytes16();
  const keyidx = ctx.r.u32();
  ctx.r.end();
  if (keyidx >= 0x80000000) throw new HsmdClientError("cln/bad-request", "index too great");
  const d = ctx.core.deriver;
  const base = d.bip86Base();
  const key = base !== null ? base.derivePath([0, keyidx]) : d.walletKey(keyidx);
  const header = new TextEncoder().encode("\x18Bitcoin Signed Message:\n");
  const digest = sha256d(concatBytes(header, varint(msg.length), msg));
  const secret = key.secretKey();
  try {
    return new WireWriter(145).bytes(signRecoverable(digest, secret)).done();
  } finally {
    secret.fill(0);
  }
}

const BOLT12_MESSAGES = new Set(["offer", "invoice_request", "invoice"]);

function bolt12Digest(messageName: string, fieldName: string, merkle: Uint8Array): Uint8Array {
  if (!BOLT12_MESSAGES.has(messageName) || fieldName !== "signature") {
    throw new HsmdClientError("cln/bad-request", `not a BOLT 12 signature: ${messageName}`);
  }
  return taggedHash(`lightning${messageName}${fieldName}`, merkle);
}

/**
 * hsmd_sign_bolt12: BIP 340 over a BOLT 12 merkle root, by the node key, or with a public
 * tweak by the bolt12 base key tweaked with sha256(bolt12_pubkey || tweak) (payer ids).
 * Core Lightning sends only the merkle root, so only the message kind is checked (offer,
 * invoice_request, invoice; field "signature"): domain-separated from every other signature.
 */
export async function handleSignBolt12(ctx: RequestContext): Promise<Uint8Array> {
  const messageName = ctx.r.wirestring();
  const fieldName = ctx.r.wirestring();
  const merkle = ctx.r.b32();
  const tweak = ctx.r.varBytes16();
  ctx.r.end();
  const digest = bolt12Digest(messageName, fieldName, merkle);
  const d = ctx.core.deriver;
  let secret: Uint8Array;
  if (tweak.length === 0) {
    secret = d.nodeSecret();
  } else {
    const base = d.bolt12BaseSecret();
    secret = seckeyTweakAdd(base, sha256(concatBytes(publicKey(base), tweak)));
    base.fill(0);
  }
  try {
    return new WireWriter(125).bytes(schnorrSign(digest, secret, new Uint8Array(32))).done();
  } finally {
    secret.fill(0);
  }
}

/** hsmd_sign_bolt12_2: as sign_bolt12; a tweak uses the node key + sha256(derived || tweak). */
export async function handleSignBolt12v2(ctx: RequestContext): Promise<Uint8Array> {
  const messageName = ctx.r.wirestring();
  const fieldName = ctx.r.wirestring();
  const merkle = ctx.r.b32();
  const info = ctx.r.varBytes16();
  const tweak = ctx.r.varBytes16();
  ctx.r.end();
  const digest = bolt12Digest(messageName, fieldName, merkle);
  const d = ctx.core.deriver;
  const node = d.nodeSecret();
  let secret = node;
  if (tweak.length > 0) {
    const baseSecret = d.deriveSecret(info);
    secret = seckeyTweakAdd(node, sha256(concatBytes(baseSecret, tweak)));
    node.fill(0);
  }
  try {
    return new WireWriter(141).bytes(schnorrSign(digest, secret, new Uint8Array(32))).done();
  } finally {
    secret.fill(0);
  }
}

/**
 * hsmd_sign_option_will_fund_offer: liquidity-ad lease rates signed by the node key over
 * sha256("option_will_fund" || funding_pubkey || blockheight || fee base || fee ppt). The funding
 * key must be one of our channels' funding keys.
 */
export async function handleWillFundOffer(ctx: RequestContext): Promise<Uint8Array> {
  const fundingPubkey = ctx.r.point();
  const blockheight = ctx.r.u32();
  const feeBase = ctx.r.u32();
  const feePpt = ctx.r.u16();
  ctx.r.end();
  const node = ctx.core.node();
  const ours = node
    .channelIds()
    .some((id) => equalBytes(node.channel(id).basepoints.fundingPubkey, fundingPubkey));
  if (!ours) throw new HsmdClientError("cln/bad-request", "not one of our funding keys");
  const body = new WireWriter(0).u32(blockheight).u32(feeBase).u16(feePpt).done().subarray(2);
  const digest = sha256(
    concatBytes(new TextEncoder().encode("option_will_fund"), fundingPubkey, body),
  );
  const secret = ctx.core.deriver.nodeSecret();
  try {
    return new WireWriter(126).bytes(ecdsaSign(digest, secret)).done();
  } finally {
    secret.fill(0);
  }
}

/**
 * hsmd_preapprove_invoice(_check): Node.approveInvoice (expiry, duplicates, velocity, the
 * approver). A refusal answers `false` (as hsmd), never disconnects; `check_only` asks without
 * recording the approval.
 */
export async function handlePreapproveInvoice(ctx: RequestContext): Promise<Uint8Array> {
  const invstring = ctx.r.wirestring();
  const checkOnly = ctx.type === 51 ? ctx.r.bool() : false;
  ctx.r.end();
  let approved = !ctx.core.dev.failPreapprove;
  if (approved && !checkOnly) {
    try {
      await ctx.core.node().approveInvoice(invstring);
    } catch (e) {
      if (!(e instanceof Error) || !("code" in e)) throw e;
      approved = false;
      ctx.core.noteRefusal(e);
    }
  }
  return new WireWriter(138).bool(approved).done();
}

/** hsmd_preapprove_keysend(_check): Node.approveKeysend, answered as preapprove_invoice. */
export async function handlePreapproveKeysend(ctx: RequestContext): Promise<Uint8Array> {
  const destination = ctx.r.point();
  const paymentHash = ctx.r.b32();
  const amountMsat = ctx.r.u64();
  const checkOnly = ctx.type === 52 ? ctx.r.bool() : false;
  ctx.r.end();
  let approved = !ctx.core.dev.failPreapprove;
  if (approved && !checkOnly) {
    try {
      await ctx.core.node().approveKeysend(destination, paymentHash, amountMsat);
    } catch (e) {
      if (!(e instanceof Error) || !("code" in e)) throw e;
      approved = false;
      ctx.core.noteRefusal(e);
    }
  }
  return new WireWriter(139).bool(approved).done();
}

/** hsmd_get_channel_basepoints: the channel's basepoints and funding key (public). */
export async function handleGetChannelBasepoints(ctx: RequestContext): Promise<Uint8Array> {
  const peerId = ctx.r.point();
  const dbid = ctx.r.u64();
  ctx.r.end();
  const b = ctx.core.deriver.channelKeys({ peerId, dbid }).basepoints;
  return new WireWriter(110)
    .bytes(b.revocationBasepoint)
    .bytes(b.paymentBasepoint)
    .bytes(b.htlcBasepoint)
    .bytes(b.delayedPaymentBasepoint)
    .bytes(b.fundingPubkey)
    .done();
}

/** hsmd_new_channel: Node.newChannel (refused for a forgotten id: policy-channel-id-reuse). */
export async function handleNewChannel(ctx: RequestContext): Promise<Uint8Array> {
  const peerId = ctx.r.point();
  const dbid = ctx.r.u64();
  ctx.r.end();
  await ctx.core.node().newChannel(clnChannelId(peerId, dbid));
  return emptyReply(130);
}

/**
 * hsmd_forget_channel: Node.forgetChannel. Core Lightning forgets a channel 100 blocks after
 * its funding was spent; a channel still operating in Warden's state (closed by the peer's
 * commitment) is forgotten only when the chain view, if any, shows its funding output spent.
 */
export async function handleForgetChannel(ctx: RequestContext): Promise<Uint8Array> {
  const peerId = ctx.r.point();
  const dbid = ctx.r.u64();
  ctx.r.end();
  const node = ctx.core.node();
  const id = clnChannelId(peerId, dbid);
  if (!node.channelIds().includes(id)) return emptyReply(134);
  const channel = node.channel(id);
  const setup = channel.state.setup;
  const chain = ctx.core.chain;
  const closedOnChain =
    setup === undefined || chain === undefined || chain.isSpent(setup.fundingOutpoint);
  await node.forgetChannel(id, { closedOnChain });
  return emptyReply(134);
}

/**
 * hsmd_get_output_scriptpubkey: the P2WPKH of our to_remote key on a peer's commitment
 * (payment basepoint, or tweaked by the commitment point of a pre-static_remotekey channel).
 */
export async function handleGetOutputScriptpubkey(ctx: RequestContext): Promise<Uint8Array> {
  const dbid = ctx.r.u64();
  const peerId = ctx.r.point();
  const point = ctx.r.optional(() => ctx.r.point());
  ctx.r.end();
  const keys = ctx.core.deriver.channelKeys({ peerId, dbid });
  const secret =
    point === undefined
      ? keys.paymentBaseSecret
      : derivePrivkey(keys.paymentBaseSecret, point, keys.basepoints.paymentBasepoint);
  return new WireWriter(124).varBytes16(p2wpkh(publicKey(secret))).done();
}

/** hsmd_check_future_secret: whether `secret` is our per-commitment secret n (constant time). */
export async function handleCheckFutureSecret(ctx: RequestContext): Promise<Uint8Array> {
  const n = ctx.r.u64();
  const suggested = ctx.r.b32();
  ctx.r.end();
  if (n >= 1n << 48n) throw new HsmdClientError("cln/bad-request", `bad commit secret #${n}`);
  const { peerId, dbid } = ctx.client;
  if (peerId === null) throw new HsmdClientError("cln/no-channel", "no channel");
  const secret = ctx.core.deriver.channelKeys({ peerId, dbid }).perCommitmentSecret(Number(n));
  return new WireWriter(122).bool(constantTimeEqual(secret, suggested)).done();
}

/** hsmd_dev_memleak: never leaks. */
export async function handleDevMemleak(ctx: RequestContext): Promise<Uint8Array> {
  ctx.r.end();
  return new WireWriter(133).bool(false).done();
}

/** Wallet scripts a (32-byte secret) CLN wallet key k pays to: P2WPKH and BIP 86 P2TR. */
export function walletScripts(pub: Uint8Array): Uint8Array[] {
  return [p2wpkh(pub), bip86Script(pub)];
}

/** hash160 fingerprint of a pubkey, as hsmd's psbt_input_add_pubkey writes it. */
export function keyFingerprint(pub: Uint8Array): Uint8Array {
  return hash160(pub).subarray(0, 4);
}
