/**
 * Shared code of the LDK end-to-end tests (no side effects on import): a Warden-signed LDK
 * node next to KeysManager-signed ones on a FakeChain whose every signature is checked with an
 * independent implementation (@noble/curves, sighashes by @scure/btc-signer), payments by
 * invoice and keysend, and balance helpers.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import * as btc from "@scure/btc-signer";
import * as ldk from "lightningdevkit";
import { serializeTx, type Tx, type TxOut } from "../../../src/bitcoin/tx.js";
import { hash160 } from "../../../src/crypto/hash.js";
import type { PolicyConfigOverrides } from "../../../src/policy/config.js";
import { type SignatureEvent, WardenLdkSigner } from "../../../src/adapters/ldk/signer.js";
import { holderInner } from "../../../src/adapters/ldk/ldk-codec.js";
import type { HostSpec, HostStoreSpec } from "../../../src/adapters/ldk/host-protocol.js";
import { FakeChain } from "../../../src/adapters/ldk/sim/fake-chain.js";
import { initLdk, SimNetwork, type SimNode } from "../../../src/adapters/ldk/sim/network.js";
import { createInvoice, payInvoice, sendKeysend } from "../../../src/adapters/ldk/sim/payments.js";
import { bytesToHex } from "../../../src/util/bytes.js";

/** Signatures the independent verifier checked. */
export const verified = { signatures: 0 };

/** Parses a DER signature with its sighash byte; undefined if `item` is not one. */
function derWithType(item: Uint8Array): { sig: Uint8Array; type: number } | undefined {
  if (item.length < 9 || item.length > 73 || item[0] !== 0x30 || item[1] !== item.length - 3) {
    return undefined;
  }
  return { sig: item.subarray(0, item.length - 1), type: item[item.length - 1]! };
}

/** 33-byte pushes of a script (the keys a P2WSH script may check). */
function scriptKeys(script: Uint8Array): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (let i = 0; i < script.length;) {
    const op = script[i]!;
    if (op >= 1 && op <= 75) {
      if (op === 33) keys.push(script.subarray(i + 1, i + 34));
      i += 1 + op;
    } else i += 1;
  }
  return keys;
}

/**
 * Checks every signature in every witness of `tx` with @noble/curves over @scure/btc-signer's
 * BIP 143 sighash: each must verify under some key the witness or its script names.
 */
export function verifyWitnessSignatures(tx: Tx, spent: readonly TxOut[]): void {
  if (tx.inputs.every((i) => i.witness.length === 0)) return;
  const scure = btc.Transaction.fromRaw(serializeTx(tx), {
    allowUnknownOutputs: true,
    allowUnknownInputs: true,
    disableScriptCheck: true,
    allowLegacyWitnessUtxo: true,
  });
  tx.inputs.forEach((input, idx) => {
    const w = input.witness;
    if (w.length === 0) return;
    const spk = spent[idx]!.script;
    let scriptCode: Uint8Array;
    let keys: Uint8Array[];
    if (spk.length === 22 && spk[0] === 0 && spk[1] === 0x14) {
      const pub = w[1]!;
      assert.equal(bytesToHex(hash160(pub)), bytesToHex(spk.subarray(2)), "P2WPKH key");
      scriptCode = Uint8Array.of(0x76, 0xa9, 0x14, ...spk.subarray(2), 0x88, 0xac);
      keys = [pub];
    } else {
      scriptCode = w[w.length - 1]!;
      keys = [...scriptKeys(scriptCode), ...w.filter((x) => x.length === 33)];
    }
    for (const item of w.slice(0, -1)) {
      const d = derWithType(item);
      if (d === undefined) continue;
      const digest = scure.preimageWitnessV0(idx, scriptCode, d.type, spent[idx]!.value);
      const good = keys.some((k) => {
        try {
          return secp256k1.verify(d.sig, digest, k, { prehash: false, format: "der", lowS: false });
        } catch {
          return false;
        }
      });
      if (!good) throw new Error(`input ${idx}: a signature does not verify`);
      verified.signatures++;
    }
  });
}

/** The 2-of-2 funding script of a channel. */
function fundingRedeem(a: Uint8Array, b: Uint8Array): Uint8Array {
  const [k1, k2] = [a, b].sort((x, y) => Buffer.compare(x, y));
  return Uint8Array.from([0x52, 0x21, ...k1!, 0x21, ...k2!, 0x52, 0xae]);
}

/** Commitment and closing signatures Warden returned that did not verify (should stay empty). */
export const badSignatures: string[] = [];

/**
 * Checks a commitment or closing signature Warden gave LDK against the sighash LDK itself
 * computes for its own transaction, with @noble/curves.
 */
export function verifyReturnedSignature(e: SignatureEvent): void {
  const ours = e.channel.basepoints.fundingPubkey;
  const theirs = e.channel.requireParams().counterpartyBasepoints.fundingPubkey;
  const redeem = fundingRedeem(ours, theirs);
  const value = e.channel.valueSat;
  let digest: Uint8Array;
  if (e.kind === "counterparty-commitment") {
    digest = e.commitment.trust().built_transaction().get_sighash_all(redeem, value);
  } else if (e.kind === "holder-commitment") {
    digest = holderInner(e.commitment).trust().built_transaction().get_sighash_all(redeem, value);
  } else {
    const fo = e.channel.requireParams().fundingOutpoint;
    const trusted = e.closing.verify(ldk.OutPoint.constructor_new(fo.txid, fo.vout));
    if (!(trusted instanceof ldk.Result_TrustedClosingTransactionNoneZ_OK)) {
      badSignatures.push("closing: LDK's closing tx does not spend the funding outpoint");
      return;
    }
    digest = trusted.res.get_sighash_all(redeem, value);
  }
  verified.signatures++;
  const opts = { prehash: false, format: "compact", lowS: false } as const;
  if (!secp256k1.verify(e.signature, digest, ours, opts)) {
    badSignatures.push(`${e.kind} ${e.channel.id.slice(0, 16)}`);
  }
}

/** A random P2WPKH scriptPubKey (a wallet or an attacker's address). */
export function randomP2wpkh(): Uint8Array {
  return Uint8Array.of(0x00, 0x14, ...randomBytes(20));
}

/** Options of a Warden-signed node. */
export interface WardenNodeOptions {
  config?: PolicyConfigOverrides;
  approver?: HostSpec["approver"];
  /** Our shutdown script (default: Warden's m/2' P2WPKH). */
  shutdownScript?: Uint8Array;
  walletScripts?: Uint8Array[];
  /** The node's seed (default random). */
  seed?: Uint8Array;
  /** Warden's Store (default in memory). */
  store?: HostStoreSpec;
}

/** A network with the independent verifier on its chain. */
export async function newNetwork(): Promise<SimNetwork> {
  await initLdk();
  const log =
    process.env.WARDEN_E2E_VERBOSE === "1" ? (l: string) => console.log(l) : () => undefined;
  return new SimNetwork(new FakeChain(verifyWitnessSignatures), log);
}

/** Starts a Warden host and signer for a new node of `net` (call addNode with it). */
export async function startWarden(
  net: SimNetwork,
  o: WardenNodeOptions = {},
): Promise<WardenLdkSigner> {
  return WardenLdkSigner.start(
    {
      seed: o.seed ?? new Uint8Array(randomBytes(32)),
      startingTimeSecs: BigInt(Math.floor(Date.now() / 1000)),
      startingTimeNanos: 0,
      store: o.store ?? { kind: "memory" },
      config: { network: "regtest", ...o.config },
      approver: o.approver ?? "approve-all",
      walletScripts: o.walletScripts,
      chainHeight: net.chain.height,
    },
    {
      chain: net.chain,
      log: process.env.WARDEN_E2E_VERBOSE === "1" ? (l) => console.log(l) : () => undefined,
      onSignature: verifyReturnedSignature,
      ...(o.shutdownScript === undefined ? {} : { shutdownScript: o.shutdownScript }),
    },
  );
}

/**
 * A new network with A (signed by a new Warden with options `o`) and B (LDK's KeysManager),
 * connected, and a confirmed channel of `channelSat` that A funded.
 */
export async function wardenAndPeer(
  anchors: boolean,
  o: WardenNodeOptions = {},
  channelSat = 1_000_000n,
): Promise<{ net: SimNetwork; warden: WardenLdkSigner; A: SimNode; B: SimNode }> {
  const net = await newNetwork();
  const warden = await startWarden(net, o);
  const A = net.addNode({ name: "A", signer: { kind: "warden", signer: warden }, anchors });
  const B = net.addNode({ name: "B", signer: { kind: "keysmanager" }, anchors });
  net.connect(A, B);
  net.openChannel(A, B, channelSat);
  return { net, warden, A, B };
}

/** A BOLT 11 invoice of `payee` for `amountMsat`. */
export function invoice(payee: SimNode, amountMsat: bigint): ldk.Bolt11Invoice {
  return createInvoice(payee, amountMsat, "e2e");
}

export { payInvoice as sendToInvoice, sendKeysend as keysend };

/** Our (Warden's) balance in its current holder commitment of the only channel (msat). */
export function wardenBalanceMsat(w: WardenLdkSigner): bigint {
  const [rec] = w.channels();
  assert.ok(rec !== undefined, "Warden has a channel");
  const s = w.channelState(rec.id);
  assert.ok(s.currentHolder !== undefined);
  return s.currentHolder.toOwnerMsat;
}

/** The sum paid to `script` by the outputs of `tx`. */
export function paidTo(tx: Tx, script: Uint8Array): bigint {
  const hex = bytesToHex(script);
  return tx.outputs.filter((o) => bytesToHex(o.script) === hex).reduce((s, o) => s + o.value, 0n);
}
