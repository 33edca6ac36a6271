/**
 * Every BOLT 3 witness script (funding 2-of-2, to_local, anchors to_remote, anchor, offered and
 * received HTLC) and the scriptPubKeys built from them. Keys are checked to be 33-byte points
 * by the callers' boundary (`assertPoint`) or here for the exported builders.
 */
import { p2wpkh, p2wsh } from "../bitcoin/outputs.js";
import { compileScript, OP, pushInt } from "../bitcoin/script.js";
import { hash160, ripemd160 } from "../crypto/hash.js";
import { assertBytes } from "../util/bytes.js";
import { type ChannelType, hasAnchors } from "./channel-type.js";
import type { HtlcDirection } from "./fees.js";
import { assertPoint, assertU16, assertU32 } from "./validate.js";

/** -1, 0, 1 like memcmp on the common prefix, then the shorter first (BOLT 3 ordering of keys/scripts). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * `2 <pubkey1> <pubkey2> 2 OP_CHECKMULTISIG` with pubkey1 the lexicographically lesser
 * compressed funding_pubkey (BOLT 3 Funding Transaction Output).
 */
export function fundingScript(fundingPubkeyA: Uint8Array, fundingPubkeyB: Uint8Array): Uint8Array {
  assertPoint(fundingPubkeyA, "funding pubkey");
  assertPoint(fundingPubkeyB, "funding pubkey");
  const [k1, k2] =
    compareBytes(fundingPubkeyA, fundingPubkeyB) <= 0
      ? [fundingPubkeyA, fundingPubkeyB]
      : [fundingPubkeyB, fundingPubkeyA];
  return compileScript([OP.OP_2, k1, k2, OP.OP_2, OP.CHECKMULTISIG]);
}

/**
 * `OP_IF <revocationpubkey> OP_ELSE to_self_delay OP_CSV OP_DROP <local_delayedpubkey> OP_ENDIF
 * OP_CHECKSIG`: the to_local output and the HTLC-timeout/success output (BOLT 3 to_local Output).
 */
export function toLocalScript(
  revocationPubkey: Uint8Array,
  toSelfDelay: number,
  localDelayedPubkey: Uint8Array,
): Uint8Array {
  assertPoint(revocationPubkey, "revocationPubkey");
  assertPoint(localDelayedPubkey, "localDelayedPubkey");
  assertU16(toSelfDelay, "toSelfDelay");
  // Assembled directly (every commitment and HTLC tx has one): the bytes compileScript makes of
  // [IF, revocationPubkey, ELSE, pushInt(toSelfDelay), CSV, DROP, localDelayedPubkey, ENDIF, CHECKSIG].
  const delay = pushU32Bytes(toSelfDelay);
  const out = Buffer.allocUnsafe(74 + delay.length);
  out[0] = OP.IF;
  out[1] = 33;
  out.set(revocationPubkey, 2);
  out[35] = OP.ELSE;
  out.set(delay, 36);
  let o = 36 + delay.length;
  out[o++] = OP.CHECKSEQUENCEVERIFY;
  out[o++] = OP.DROP;
  out[o++] = 33;
  out.set(localDelayedPubkey, o);
  o += 33;
  out[o++] = OP.ENDIF;
  out[o] = OP.CHECKSIG;
  return out;
}

/** The witness script of an HTLC-timeout/HTLC-success output: identical to to_local (BOLT 3 HTLC-Timeout and HTLC-Success Transactions). */
export const htlcTxOutputScript = toLocalScript;

/** `<remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY` (BOLT 3 to_remote Output, option_anchors). */
export function toRemoteAnchorsScript(remotePubkey: Uint8Array): Uint8Array {
  assertPoint(remotePubkey, "remotePubkey");
  return compileScript([remotePubkey, OP.CHECKSIGVERIFY, OP.OP_1, OP.CHECKSEQUENCEVERIFY]);
}

/** to_remote's witness script (anchors) or undefined (P2WPKH) and its scriptPubKey (BOLT 3 to_remote Output). */
export function toRemoteOutput(
  channelType: ChannelType,
  remotePubkey: Uint8Array,
): { witnessScript: Uint8Array | undefined; scriptPubKey: Uint8Array } {
  if (hasAnchors(channelType)) {
    const witnessScript = toRemoteAnchorsScript(remotePubkey);
    return { witnessScript, scriptPubKey: p2wsh(witnessScript) };
  }
  assertPoint(remotePubkey, "remotePubkey");
  return { witnessScript: undefined, scriptPubKey: p2wpkh(remotePubkey) };
}

/**
 * `<funding_pubkey> OP_CHECKSIG OP_IFDUP OP_NOTIF OP_16 OP_CHECKSEQUENCEVERIFY OP_ENDIF`
 * (BOLT 3 to_local_anchor and to_remote_anchor Output).
 */
export function anchorScript(fundingPubkey: Uint8Array): Uint8Array {
  assertPoint(fundingPubkey, "fundingPubkey");
  return compileScript([
    fundingPubkey,
    OP.CHECKSIG,
    OP.IFDUP,
    OP.NOTIF,
    OP.OP_16,
    OP.CHECKSEQUENCEVERIFY,
    OP.ENDIF,
  ]);
}

/** The keys every HTLC script of one commitment shares. */
export interface HtlcScriptKeys {
  revocationPubkey: Uint8Array;
  localHtlcPubkey: Uint8Array;
  remoteHtlcPubkey: Uint8Array;
}

/**
 * Per-commitment precomputation for HTLC scripts: HASH160(revocationpubkey) is computed once
 * for all HTLCs of a commitment (the hot path with up to 483 HTLCs), and so are the constant
 * parts of the offered and received scripts.
 */
export interface HtlcScriptContext {
  readonly anchors: boolean;
  readonly revocationPubkeyHash: Uint8Array;
  readonly localHtlcPubkey: Uint8Array;
  readonly remoteHtlcPubkey: Uint8Array;
}

/**
 * The constant byte runs of a context's HTLC scripts. Offered: head ‖ RIPEMD160(hash) ‖ tail.
 * Received: head ‖ RIPEMD160(hash) ‖ mid ‖ push(cltv_expiry) ‖ tail. Each head ends with the
 * 20-byte push opcode.
 */
interface HtlcTemplates {
  offeredHead: Uint8Array;
  offeredTail: Uint8Array;
  receivedHead: Uint8Array;
  receivedMid: Uint8Array;
  receivedTail: Uint8Array;
}

const templatesOf = new WeakMap<HtlcScriptContext, HtlcTemplates>();

function templates(ctx: HtlcScriptContext): HtlcTemplates {
  let t = templatesOf.get(ctx);
  if (t !== undefined) return t;
  const common: Array<number | Uint8Array> = [
    OP.DUP,
    OP.HASH160,
    ctx.revocationPubkeyHash,
    OP.EQUAL,
    OP.IF,
    OP.CHECKSIG,
    OP.ELSE,
    ctx.remoteHtlcPubkey,
    OP.SWAP,
    OP.SIZE,
    pushInt(32),
    OP.EQUAL,
  ];
  const end: number[] = ctx.anchors
    ? [OP.OP_1, OP.CHECKSEQUENCEVERIFY, OP.DROP, OP.ENDIF]
    : [OP.ENDIF];
  // compileScript of the chunks around each 20-byte push; the push opcode (0x14) ends a head.
  const withPush = (chunks: Array<number | Uint8Array>): Uint8Array => {
    const body = compileScript(chunks);
    const out = new Uint8Array(body.length + 1);
    out.set(body, 0);
    out[body.length] = 20;
    return out;
  };
  t = {
    offeredHead: withPush([
      ...common,
      OP.NOTIF,
      OP.DROP,
      OP.OP_2,
      OP.SWAP,
      ctx.localHtlcPubkey,
      OP.OP_2,
      OP.CHECKMULTISIG,
      OP.ELSE,
      OP.HASH160,
    ]),
    offeredTail: compileScript([OP.EQUALVERIFY, OP.CHECKSIG, OP.ENDIF, ...end]),
    receivedHead: withPush([...common, OP.IF, OP.HASH160]),
    receivedMid: compileScript([
      OP.EQUALVERIFY,
      OP.OP_2,
      OP.SWAP,
      ctx.localHtlcPubkey,
      OP.OP_2,
      OP.CHECKMULTISIG,
      OP.ELSE,
      OP.DROP,
    ]),
    receivedTail: compileScript([OP.CHECKLOCKTIMEVERIFY, OP.DROP, OP.CHECKSIG, OP.ENDIF, ...end]),
  };
  templatesOf.set(ctx, t);
  return t;
}

/**
 * RIPEMD160(payment_hash) by content, bounded: the same HTLC appears in both parties'
 * commitments and in every commitment until it is removed.
 */
const paymentHashRipemd = new Map<string, Uint8Array>();
const PAYMENT_HASH_CACHE_MAX = 8192;

function ripemdOfPaymentHash(paymentHash: Uint8Array): Uint8Array {
  const key = Buffer.from(paymentHash.buffer, paymentHash.byteOffset, 32).toString("latin1");
  let r = paymentHashRipemd.get(key);
  if (r === undefined) {
    r = ripemd160(paymentHash);
    if (paymentHashRipemd.size >= PAYMENT_HASH_CACHE_MAX) {
      paymentHashRipemd.delete(paymentHashRipemd.keys().next().value!);
    }
    paymentHashRipemd.set(key, r);
  }
  return r;
}

/** Bytes that push the u32 `n` minimally (OP_0, OP_1..OP_16, else a CScriptNum push), as pushInt. */
function pushU32Bytes(n: number): Uint8Array {
  if (n === 0) return Uint8Array.of(OP.OP_0);
  if (n <= 16) return Uint8Array.of(OP.OP_1 + n - 1);
  const num: number[] = [];
  let v = n;
  while (v > 0) {
    num.push(v & 0xff);
    v = Math.floor(v / 256);
  }
  if (num[num.length - 1]! & 0x80) num.push(0);
  const out = new Uint8Array(1 + num.length);
  out[0] = num.length;
  out.set(num, 1);
  return out;
}

/** Checks the keys once and precomputes what all HTLC scripts of a commitment share. */
export function htlcScriptContext(
  channelType: ChannelType,
  keys: HtlcScriptKeys,
): HtlcScriptContext {
  assertPoint(keys.revocationPubkey, "revocationPubkey");
  assertPoint(keys.localHtlcPubkey, "localHtlcPubkey");
  assertPoint(keys.remoteHtlcPubkey, "remoteHtlcPubkey");
  return {
    anchors: hasAnchors(channelType),
    revocationPubkeyHash: hash160(keys.revocationPubkey),
    localHtlcPubkey: keys.localHtlcPubkey,
    remoteHtlcPubkey: keys.remoteHtlcPubkey,
  };
}

/**
 * The offered or received HTLC witness script for a context (BOLT 3 Offered HTLC Outputs /
 * Received HTLC Outputs; option_anchors appends `1 OP_CSV OP_DROP` before the last OP_ENDIF).
 * `cltvExpiry` is used by received HTLCs only. Assembled from the context's constant parts.
 */
export function htlcScriptFromContext(
  ctx: HtlcScriptContext,
  direction: HtlcDirection,
  paymentHash: Uint8Array,
  cltvExpiry: number,
): Uint8Array {
  assertBytes(paymentHash, 32, "paymentHash");
  const t = templates(ctx);
  const ripemd = ripemdOfPaymentHash(paymentHash);
  if (direction === "offered") {
    const out = Buffer.allocUnsafe(t.offeredHead.length + 20 + t.offeredTail.length);
    out.set(t.offeredHead, 0);
    out.set(ripemd, t.offeredHead.length);
    out.set(t.offeredTail, t.offeredHead.length + 20);
    return out;
  }
  assertU32(cltvExpiry, "cltvExpiry");
  const cltv = pushU32Bytes(cltvExpiry);
  const h = t.receivedHead.length;
  const m = t.receivedMid.length;
  const out = Buffer.allocUnsafe(h + 20 + m + cltv.length + t.receivedTail.length);
  out.set(t.receivedHead, 0);
  out.set(ripemd, h);
  out.set(t.receivedMid, h + 20);
  out.set(cltv, h + 20 + m);
  out.set(t.receivedTail, h + 20 + m + cltv.length);
  return out;
}

/** Offered HTLC witness script (BOLT 3 Offered HTLC Outputs, with or without option_anchors). */
export function offeredHtlcScript(
  channelType: ChannelType,
  keys: HtlcScriptKeys,
  paymentHash: Uint8Array,
): Uint8Array {
  return htlcScriptFromContext(htlcScriptContext(channelType, keys), "offered", paymentHash, 0);
}

/** Received HTLC witness script (BOLT 3 Received HTLC Outputs, with or without option_anchors). */
export function receivedHtlcScript(
  channelType: ChannelType,
  keys: HtlcScriptKeys,
  paymentHash: Uint8Array,
  cltvExpiry: number,
): Uint8Array {
  return htlcScriptFromContext(
    htlcScriptContext(channelType, keys),
    "received",
    paymentHash,
    cltvExpiry,
  );
}
