/**
 * Fixtures for the on-chain wallet tests: a Node with an injectable clock, a Core Lightning
 * style wallet (root m/0/0), and a builder of funding / withdrawal PSBTs (v0 or v2) that a
 * test can vary one field at a time; the funding channel is set up with the outpoint of the
 * transaction as finally built, as an honest node would.
 */
import { secp256k1, schnorr } from "@noble/curves/secp256k1.js";
import { Transaction, type TxOpts } from "@scure/btc-signer";
import { p2pkh, p2wpkh, p2wsh } from "../../src/bitcoin/outputs.js";
import { Psbt } from "../../src/bitcoin/psbt.js";
import { txid } from "../../src/bitcoin/tx.js";
import { fundingScript } from "../../src/bolt3/scripts.js";
import { sha256 } from "../../src/crypto/hash.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import { clnKeyDeriver } from "../../src/keys/cln.js";
import { Policy } from "../../src/policy/policy.js";
import { policyConfig, type PolicyConfigOverrides } from "../../src/policy/config.js";
import { parsePolicyFilter } from "../../src/policy/filter.js";
import type { Approver } from "../../src/payments/approver.js";
import { Node } from "../../src/signer/node.js";
import type { ChannelSetup } from "../../src/state/channel-setup.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { OnchainWallet } from "../../src/wallet/wallet.js";
import {
  fundChannel,
  openTestChannel,
  Peer,
  testKeySource,
  type TestChannel,
} from "../signer/harness.js";

/** scure options matching Warden's PSBT wrapper. */
export const SCURE: TxOpts = {
  allowUnknownOutputs: true,
  allowUnknownInputs: true,
  allowUnknownVersion: true,
  allowUnknown: true,
  disableScriptCheck: true,
  allowLegacyWitnessUtxo: true,
};

/** CLN's wallet root sits at m/0/0 below the BIP 32 master. */
export const CLN_ROOT_PATH = [0, 0] as const;

/** A test wallet environment. */
export interface WalletEnv {
  node: Node;
  wallet: OnchainWallet;
  store: MemoryStore;
  clock: { now: number };
  /** The wallet's master fingerprint as PSBT claims carry it. */
  fingerprint: number;
}

/** Options of walletEnv. */
export interface WalletEnvOptions {
  config?: PolicyConfigOverrides;
  demote?: string[];
  store?: MemoryStore;
  /** The node's payment approver (default none). */
  approver?: Approver;
}

/** A node + CLN-style wallet over a MemoryStore, with a settable clock. */
export async function walletEnv(opts: WalletEnvOptions = {}): Promise<WalletEnv> {
  const store = opts.store ?? new MemoryStore();
  const clock = { now: 1_700_000_000_000 };
  const policy = new Policy({
    config: policyConfig(opts.config ?? {}),
    filter: parsePolicyFilter(opts.demote ?? []),
  });
  const node = await Node.open({
    keys: testKeySource("wallet-holder"),
    store,
    policy,
    chainHeight: () => 800_000,
    clock: () => clock.now,
    approver: opts.approver,
  });
  const deriver = clnKeyDeriver(sha256(Buffer.from("wallet test hsm_secret")));
  const wallet = await OnchainWallet.open({
    node,
    root: deriver.walletRoot(),
    rootPath: CLN_ROOT_PATH,
  });
  return { node, wallet, store, clock, fingerprint: 0x01020304 };
}

/** One input of a spec: a wallet input at `path` (below the root) of `kind`, or a foreign one. */
export type InputSpec =
  | { kind: "p2wpkh" | "p2tr"; path: number[]; amount: bigint; claimPath?: number[] }
  | { kind: "foreign-p2pkh" | "foreign-p2wpkh"; amount: bigint };

/** One output: our change at `path`, the channel's funding output, or a raw script. */
export type OutputSpec =
  | { kind: "change"; walletKind: "p2wpkh" | "p2tr"; path: number[]; amount: bigint }
  | { kind: "funding"; amount: bigint; script?: Uint8Array }
  | { kind: "script"; script: Uint8Array; amount: bigint; claimPath?: number[] };

/** A PSBT spec. */
export interface PsbtSpec {
  version: number;
  psbtVersion: 0 | 2;
  inputs: InputSpec[];
  outputs: OutputSpec[];
}

/** Distinct previous outpoint per input index (display-order txid for scure). */
function prevTxid(i: number, salt: string): Uint8Array {
  return sha256(Buffer.from(`prev-${salt}-${i}`));
}

/** A foreign key (not ours) for foreign inputs and attacker outputs. */
export function foreignKey(label: string): Uint8Array {
  return publicKey(sha256(Buffer.from(`foreign-${label}`)));
}

/** Builds the PSBT bytes of `spec`; `fundingScriptFor` gives the channel's funding script. */
export function buildPsbt(
  env: WalletEnv,
  spec: PsbtSpec,
  fundingScriptFor: () => Uint8Array,
  salt = "a",
): Uint8Array {
  const t = new Transaction({
    ...SCURE,
    version: spec.version,
    lockTime: 0,
    PSBTVersion: spec.psbtVersion,
  });
  spec.inputs.forEach((inp, i) => {
    const base = { txid: prevTxid(i, salt), index: i, sequence: 0xfffffffd };
    if (inp.kind === "p2wpkh" || inp.kind === "p2tr") {
      const key = env.wallet.keys.keyAt(inp.path);
      const script = env.wallet.keys.script(inp.kind, inp.path);
      const der = {
        fingerprint: env.fingerprint,
        path: [...CLN_ROOT_PATH, ...(inp.claimPath ?? inp.path)],
      };
      if (inp.kind === "p2wpkh") {
        t.addInput({
          ...base,
          witnessUtxo: { script, amount: inp.amount },
          bip32Derivation: [[key.publicKey, der]],
        });
      } else {
        const xonly = key.publicKey.slice(1);
        t.addInput({
          ...base,
          witnessUtxo: { script, amount: inp.amount },
          tapInternalKey: xonly,
          tapBip32Derivation: [[xonly, { hashes: [], der }]],
        });
      }
    } else {
      const pub = foreignKey(`in-${i}`);
      const script = inp.kind === "foreign-p2pkh" ? p2pkh(pub) : p2wpkh(pub);
      t.addInput({ ...base, witnessUtxo: { script, amount: inp.amount } });
    }
  });
  for (const out of spec.outputs) {
    if (out.kind === "change") {
      const key = env.wallet.keys.keyAt(out.path);
      const der = { fingerprint: env.fingerprint, path: [...CLN_ROOT_PATH, ...out.path] };
      const script = env.wallet.keys.script(out.walletKind, out.path);
      if (out.walletKind === "p2wpkh") {
        t.addOutput({ script, amount: out.amount, bip32Derivation: [[key.publicKey, der]] });
      } else {
        const xonly = key.publicKey.slice(1);
        t.addOutput({
          script,
          amount: out.amount,
          tapInternalKey: xonly,
          tapBip32Derivation: [[xonly, { hashes: [], der }]],
        });
      }
    } else if (out.kind === "funding") {
      t.addOutput({ script: out.script ?? fundingScriptFor(), amount: out.amount });
    } else {
      const extra =
        out.claimPath === undefined
          ? {}
          : {
              bip32Derivation: [[foreignKey("claim"), { fingerprint: 7, path: out.claimPath }]] as [
                Uint8Array,
                { fingerprint: number; path: number[] },
              ][],
            };
      t.addOutput({ script: out.script, amount: out.amount, ...extra });
    }
  }
  return t.toPSBT(spec.psbtVersion);
}

/** Channel value of the standard funding. */
export const CHANNEL_SAT = 10_000_000n;

/** The valid funding spec: P2WPKH 8M + P2TR 3M in; 10M funding + 999 000 change out; fee 1000. */
export function fundingSpec(psbtVersion: 0 | 2 = 0): PsbtSpec {
  return {
    version: 2,
    psbtVersion,
    inputs: [
      { kind: "p2wpkh", path: [5], amount: 8_000_000n },
      { kind: "p2tr", path: [6], amount: 3_000_000n },
    ],
    outputs: [
      { kind: "funding", amount: CHANNEL_SAT },
      { kind: "change", walletKind: "p2wpkh", path: [7], amount: 999_000n },
    ],
  };
}

/** p2wsh of the 2-of-2 of channel `id` on env's node with its test peer. */
export function channelFundingScript(env: WalletEnv, id: string): Uint8Array {
  const ours = env.node.keys.channelKeys(id).basepoints.fundingPubkey;
  const theirs = new Peer(id).keys.basepoints.fundingPubkey;
  return p2wsh(fundingScript(ours, theirs));
}

/** A funding request: the PSBT, and the channel set up on its outpoint. */
export interface FundingRequest {
  psbt: Uint8Array;
  channel: TestChannel;
}

/** Options of fundingRequest. */
export interface FundingOptions {
  spec?: PsbtSpec;
  setup?: Partial<ChannelSetup>;
  /** Run the commitment 0 handshake (default true). */
  countersign?: boolean;
  id?: string;
}

/** Builds the PSBT, sets up the channel on its funding outpoint, and (default) countersigns. */
export async function fundingRequest(
  env: WalletEnv,
  o: FundingOptions = {},
): Promise<FundingRequest> {
  const id = o.id ?? "chan-1";
  const spec = o.spec ?? fundingSpec();
  const psbt = buildPsbt(env, spec, () => channelFundingScript(env, id));
  const tx = Psbt.parse(psbt).tx;
  const vout = spec.outputs.findIndex((x) => x.kind === "funding");
  const channel = await openTestChannel(env.node, id, {
    fundingOutpoint: { txid: txid(tx), vout },
    channelValueSat: CHANNEL_SAT,
    ...o.setup,
  });
  if (o.countersign ?? true) await fundChannel(channel);
  return { psbt, channel };
}

/**
 * Checks every signature in a signed PSBT independently: sighashes by @scure/btc-signer
 * (preimageWitnessV0/V1), signatures by @noble/curves; then scure must finalize every input.
 * Returns how many signatures were checked per kind.
 */
export function verifySignedPsbt(bytes: Uint8Array): { ecdsa: number; schnorr: number } {
  const t = Transaction.fromPSBT(bytes, SCURE);
  const amounts: bigint[] = [];
  const scripts: Uint8Array[] = [];
  for (let i = 0; i < t.inputsLength; i++) {
    const u = t.getInput(i).witnessUtxo!;
    amounts.push(u.amount);
    scripts.push(u.script);
  }
  let ecdsa = 0;
  let schnorrCount = 0;
  for (let i = 0; i < t.inputsLength; i++) {
    const inp = t.getInput(i);
    for (const [pub, sig] of inp.partialSig ?? []) {
      const type = sig[sig.length - 1]!;
      if (type !== 1) throw new Error(`input ${i}: sighash type ${type}`);
      const der = sig.subarray(0, -1);
      const msg = t.preimageWitnessV0(i, p2pkh(pub), 1, amounts[i]!);
      if (!secp256k1.verify(der, msg, pub, { prehash: false, format: "der", lowS: true })) {
        throw new Error(`input ${i}: bad ECDSA signature`);
      }
      const r = secp256k1.Signature.fromBytes(der, "der").r;
      if (r >= 1n << 255n) throw new Error(`input ${i}: not low-R`);
      ecdsa++;
    }
    if (inp.tapKeySig !== undefined) {
      if (inp.tapKeySig.length !== 64) throw new Error(`input ${i}: not a DEFAULT signature`);
      const msg = t.preimageWitnessV1(i, scripts, 0, amounts);
      const outputKey = scripts[i]!.subarray(2);
      if (!schnorr.verify(inp.tapKeySig, msg, outputKey)) {
        throw new Error(`input ${i}: bad Schnorr signature`);
      }
      schnorrCount++;
    }
  }
  t.finalize();
  t.extract();
  return { ecdsa, schnorr: schnorrCount };
}
