/** Scenarios of the on-chain wallet signer: funding, withdrawals, velocity, retries, persistence. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Transaction } from "@scure/btc-signer";
import { scriptToAddress } from "../../src/bitcoin/address.js";
import { p2wpkh } from "../../src/bitcoin/outputs.js";
import { Psbt } from "../../src/bitcoin/psbt.js";
import { sha256 } from "../../src/crypto/hash.js";
import { ExtendedPrivateKey, HARDENED } from "../../src/keys/bip32.js";
import { AllowlistAdmin, allowlistKey } from "../../src/state/allowlist.js";
import { velocityKey } from "../../src/state/velocity.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { OnchainWallet } from "../../src/wallet/wallet.js";
import { ExtendedPublicKey, bip86Script } from "../../src/keys/xpub.js";
import { expectRefusal, snapshot } from "../signer/harness.js";
import {
  buildPsbt,
  foreignKey,
  fundingRequest,
  fundingSpec,
  type PsbtSpec,
  SCURE,
  verifySignedPsbt,
  walletEnv,
} from "./fixtures.js";

const NO_FUNDING = (): Uint8Array => new Uint8Array();

/** A withdrawal of 1M sat (one P2WPKH wallet input) to `script`, fee 1000 sat. */
function withdrawal(
  script: Uint8Array,
  opts: { claimPath?: number[]; inputPath?: number[]; psbtVersion?: 0 | 2 } = {},
): PsbtSpec {
  return {
    version: 2,
    psbtVersion: opts.psbtVersion ?? 0,
    inputs: [{ kind: "p2wpkh", path: opts.inputPath ?? [20], amount: 1_001_000n }],
    outputs: [{ kind: "script", script, amount: 1_000_000n, claimPath: opts.claimPath }],
  };
}

const COLD = ExtendedPrivateKey.fromSeed(sha256(Buffer.from("cold storage"))).derivePath(
  "m/84'/0'/0'",
);
const COLD_XPUB = COLD.toXpub();

for (const psbtVersion of [0, 2] as const) {
  test(`funding PSBT v${psbtVersion}: change to our wallet is signed, both signatures verify independently`, async () => {
    const env = await walletEnv();
    const { psbt } = await fundingRequest(env, { spec: fundingSpec(psbtVersion) });
    const signed = await env.wallet.signPsbt(psbt);
    assert.deepEqual(signed.signedInputs, [0, 1]);
    assert.equal(Transaction.fromPSBT(signed.psbt, SCURE).opts.PSBTVersion, psbtVersion);
    assert.equal(Psbt.parse(signed.psbt).version, psbtVersion);
    assert.deepEqual(verifySignedPsbt(signed.psbt), { ecdsa: 1, schnorr: 1 });
  });

  test(`funding PSBT v${psbtVersion}: change to an attacker is refused (policy-onchain-no-unknown-outputs)`, async () => {
    const env = await walletEnv();
    const s = fundingSpec(psbtVersion);
    s.outputs[1] = { kind: "script", script: p2wpkh(foreignKey("attacker")), amount: 999_000n };
    const { psbt } = await fundingRequest(env, { spec: s });
    const before = await snapshot(env.node);
    await expectRefusal(env.wallet.signPsbt(psbt), "policy-onchain-no-unknown-outputs");
    assert.equal(await snapshot(env.node), before);
  });
}

test("a change output claiming our path but paying another key is unknown (claims are re-derived)", async () => {
  const env = await walletEnv();
  const s = fundingSpec();
  // The claim names our path m/0/0/7, but the script pays the attacker.
  s.outputs[1] = {
    kind: "script",
    script: p2wpkh(foreignKey("attacker")),
    amount: 999_000n,
    claimPath: [0, 0, 7],
  };
  const { psbt } = await fundingRequest(env, { spec: s });
  await expectRefusal(env.wallet.signPsbt(psbt), "policy-onchain-no-unknown-outputs");
});

test("an input whose claimed path does not re-derive to its script is not signed", async () => {
  const env = await walletEnv();
  const s = withdrawal(env.wallet.keys.script("p2wpkh", [30]));
  s.inputs = [{ kind: "p2wpkh", path: [5], claimPath: [6], amount: 1_001_000n }];
  await assert.rejects(env.wallet.signPsbt(buildPsbt(env, s, NO_FUNDING)), {
    code: "wallet/no-wallet-inputs",
  });
});

test("xpub-allowlisted withdrawal: a scanned child, a claimed child beyond the gap, a P2TR child", async () => {
  const env = await walletEnv();
  const admin = AllowlistAdmin.open(env.store, allowlistKey(env.node.nodeId), "bitcoin");
  const child = (path: number[]): Uint8Array =>
    ExtendedPublicKey.parse(COLD_XPUB, "bitcoin").derivePath(path).publicKey;
  // Before the admin adds it, the withdrawal is refused.
  await expectRefusal(
    env.wallet.signPsbt(buildPsbt(env, withdrawal(p2wpkh(child([0, 7]))), NO_FUNDING)),
    "policy-onchain-no-unknown-outputs",
  );
  await admin.addXpub(COLD_XPUB, [0]);

  const scanned = await env.wallet.signPsbt(
    buildPsbt(env, withdrawal(p2wpkh(child([0, 7])), { inputPath: [21] }), NO_FUNDING),
  );
  assert.equal(verifySignedPsbt(scanned.psbt).ecdsa, 1);

  const far = p2wpkh(child([0, 5000]));
  await expectRefusal(
    env.wallet.signPsbt(buildPsbt(env, withdrawal(far, { inputPath: [22] }), NO_FUNDING)),
    "policy-onchain-no-unknown-outputs",
  );
  const farPath = [84 + HARDENED, HARDENED, HARDENED, 0, 5000];
  const claimed = await env.wallet.signPsbt(
    buildPsbt(env, withdrawal(far, { inputPath: [23], claimPath: farPath }), NO_FUNDING),
  );
  assert.equal(verifySignedPsbt(claimed.psbt).ecdsa, 1);

  const taproot = await env.wallet.signPsbt(
    buildPsbt(
      env,
      withdrawal(bip86Script(child([0, 3])), { inputPath: [24], psbtVersion: 2 }),
      NO_FUNDING,
    ),
  );
  assert.equal(verifySignedPsbt(taproot.psbt).ecdsa, 1);
});

test("address-allowlisted and config-allowlisted withdrawals are signed", async () => {
  const dest = p2wpkh(foreignKey("exchange"));
  const cfgDest = p2wpkh(foreignKey("config"));
  const env = await walletEnv({ config: { allowlist: [bytesToHex(cfgDest)] } });
  const admin = AllowlistAdmin.open(env.store, allowlistKey(env.node.nodeId), "bitcoin");
  await admin.addAddress(scriptToAddress(dest, "bitcoin"));
  await env.wallet.signPsbt(buildPsbt(env, withdrawal(dest), NO_FUNDING));
  await env.wallet.signPsbt(buildPsbt(env, withdrawal(cfgDest, { inputPath: [25] }), NO_FUNDING));
  await admin.remove((e) => e.kind === "script");
  await expectRefusal(
    env.wallet.signPsbt(buildPsbt(env, withdrawal(dest, { inputPath: [26] }), NO_FUNDING)),
    "policy-onchain-no-unknown-outputs",
  );
});

test("velocity: L1 fees over the window's limit are refused, then accepted once the window slides", async () => {
  const env = await walletEnv({
    config: { velocityL1FeesLimitSat: 1500n, velocityL1FeesWindowMs: 3_600_000 },
  });
  const own = (path: number[]): Uint8Array => env.wallet.keys.script("p2wpkh", path);
  await env.wallet.signPsbt(
    buildPsbt(env, withdrawal(own([40]), { inputPath: [41], claimPath: [0, 0, 40] }), NO_FUNDING),
  );
  const second = buildPsbt(
    env,
    withdrawal(own([42]), { inputPath: [43], claimPath: [0, 0, 42] }),
    NO_FUNDING,
  );
  const before = await snapshot(env.node);
  await expectRefusal(env.wallet.signPsbt(second), "policy-velocity-l1-fees");
  assert.equal(await snapshot(env.node), before);
  env.clock.now += 30 * 60_000; // half the window: still refused
  await expectRefusal(env.wallet.signPsbt(second), "policy-velocity-l1-fees");
  env.clock.now += 31 * 60_000 + 3_600_000 / 24; // past the window and one bucket
  const ok = await env.wallet.signPsbt(second);
  assert.equal(verifySignedPsbt(ok.psbt).ecdsa, 1);
});

test("velocity: funding over the limit across two channels is refused; the window slides", async () => {
  const env = await walletEnv({ config: { velocityFundingLimitSat: 15_000_000n } });
  const a = await fundingRequest(env, { id: "chan-a" });
  await env.wallet.signPsbt(a.psbt);
  const s = fundingSpec();
  s.inputs = [
    { kind: "p2wpkh", path: [50], amount: 8_000_000n },
    { kind: "p2tr", path: [51], amount: 3_000_000n },
  ];
  const b = await fundingRequest(env, { id: "chan-b", spec: s });
  await expectRefusal(env.wallet.signPsbt(b.psbt), "policy-velocity-funding");
  env.clock.now += 25 * 3_600_000;
  await env.wallet.signPsbt(b.psbt);
});

test("a retry of the same PSBT is signed again and counted once", async () => {
  const env = await walletEnv({ config: { velocityL1FeesLimitSat: 1000n } });
  const { psbt } = await fundingRequest(env);
  const first = await env.wallet.signPsbt(psbt);
  const second = await env.wallet.signPsbt(psbt);
  assert.deepEqual(verifySignedPsbt(second.psbt), verifySignedPsbt(first.psbt));
  assert.equal(env.wallet.velocity.check("l1-fees", 0n, env.clock.now).used, 1000n);
});

test("a crash before the commit leaves nothing; after it, the retry signs without double counting", async () => {
  const env = await walletEnv();
  const { psbt } = await fundingRequest(env);
  const before = await snapshot(env.node);
  env.store.failNextCommit(new Error("crash"), "before-write");
  await assert.rejects(env.wallet.signPsbt(psbt), /crash/);
  assert.equal(await snapshot(env.node), before);
  env.store.failNextCommit(new Error("lost reply"), "after-write");
  await assert.rejects(env.wallet.signPsbt(psbt), /lost reply/);
  const signed = await env.wallet.signPsbt(psbt);
  verifySignedPsbt(signed.psbt);
  await env.wallet.velocity.refresh();
  assert.equal(env.wallet.velocity.check("funding", 0n, env.clock.now).used, 10_000_000n);
});

test("amount claims and velocity survive a restart (reopened wallet on the same store)", async () => {
  const store = new MemoryStore();
  const env = await walletEnv({ store });
  const { psbt } = await fundingRequest(env);
  await env.wallet.signPsbt(psbt);
  const again = await walletEnv({ store });
  assert.equal(again.wallet.velocity.check("funding", 0n, again.clock.now).used, 10_000_000n);
  assert.ok((await store.get(velocityKey(again.node.nodeId))) !== undefined);
  const lie = withdrawal(again.wallet.keys.script("p2wpkh", [60]), {
    inputPath: [5],
    claimPath: [0, 0, 60],
  });
  lie.inputs[0]!.amount = 8_000_001n; // outpoint 0 of salt "a" was claimed at 8M
  lie.outputs[0]!.amount = 8_000_000n - 1000n + 1n;
  await expectRefusal(
    again.wallet.signPsbt(buildPsbt(again, lie, NO_FUNDING)),
    "policy-onchain-input-amount-consistent",
  );
});

test("a PSBT asking for SIGHASH_SINGLE on our input is refused (policy-onchain-format-standard)", async () => {
  const env = await walletEnv();
  const t = Transaction.fromPSBT(
    buildPsbt(
      env,
      withdrawal(env.wallet.keys.script("p2wpkh", [70]), { claimPath: [0, 0, 70] }),
      NO_FUNDING,
    ),
    SCURE,
  );
  t.updateInput(0, { sighashType: 3 });
  await expectRefusal(env.wallet.signPsbt(t.toPSBT(0)), "policy-onchain-format-standard");
});

test("an LDK-style wallet root (BIP 84 account) with a required master fingerprint", async () => {
  const env = await walletEnv();
  const master = ExtendedPrivateKey.fromSeed(sha256(Buffer.from("ldk wallet")));
  const rootPath = [84 + HARDENED, HARDENED, HARDENED];
  const wallet = await OnchainWallet.open({
    node: env.node,
    root: master.derivePath(rootPath),
    rootPath,
    masterFingerprint: master.fingerprint(),
  });
  const key = master.derivePath([...rootPath, 0, 3]);
  const build = (fingerprint: number): Uint8Array => {
    const t = new Transaction({ ...SCURE, version: 2, PSBTVersion: 2 });
    t.addInput({
      txid: sha256(Buffer.from("ldk prev")),
      index: 0,
      witnessUtxo: { script: p2wpkh(key.publicKey), amount: 500_000n },
      bip32Derivation: [[key.publicKey, { fingerprint, path: [...rootPath, 0, 3] }]],
    });
    const change = master.derivePath([...rootPath, 1, 0]);
    t.addOutput({
      script: p2wpkh(change.publicKey),
      amount: 499_000n,
      bip32Derivation: [[change.publicKey, { fingerprint, path: [...rootPath, 1, 0] }]],
    });
    return t.toPSBT(2);
  };
  await assert.rejects(wallet.signPsbt(build(master.fingerprint() ^ 1)), {
    code: "wallet/no-wallet-inputs",
  });
  const signed = await wallet.signPsbt(build(master.fingerprint()));
  assert.equal(verifySignedPsbt(signed.psbt).ecdsa, 1);
});

test("a v0 input whose witness UTXO amount differs from its non-witness UTXO is refused at parse", async () => {
  const env = await walletEnv();
  const key = env.wallet.keys.keyAt([80]);
  const script = env.wallet.keys.script("p2wpkh", [80]);
  const prev = new Transaction({ ...SCURE, version: 2 });
  prev.addInput({ txid: sha256(Buffer.from("grandparent")), index: 0 });
  prev.addOutput({ script, amount: 1_001_000n });
  const t = new Transaction({ ...SCURE, version: 2, PSBTVersion: 0 });
  t.addInput({
    txid: Buffer.from(prev.id, "hex"),
    index: 0,
    nonWitnessUtxo: prev.toBytes(true, false),
    witnessUtxo: { script, amount: 1_001_000n },
    bip32Derivation: [[key.publicKey, { fingerprint: 1, path: [0, 0, 80] }]],
  });
  t.addOutput({
    script: env.wallet.keys.script("p2wpkh", [81]),
    amount: 1_000_000n,
    bip32Derivation: [
      [env.wallet.keys.keyAt([81]).publicKey, { fingerprint: 1, path: [0, 0, 81] }],
    ],
  });
  const good = t.toPSBT(0);
  // The honest PSBT (both UTXO forms agree) is signed.
  verifySignedPsbt((await env.wallet.signPsbt(good)).psbt);
  // Patch the LAST occurrence of the amount (the witness UTXO, keyed after the non-witness one).
  const amount = Buffer.alloc(8);
  amount.writeBigUInt64LE(1_001_000n);
  const bad = Buffer.from(good);
  const at = bad.lastIndexOf(amount);
  bad.writeBigUInt64LE(1_002_000n, at);
  const before = await snapshot(env.node);
  await assert.rejects(env.wallet.signPsbt(bad), {
    code: "format/psbt",
    message: /witnessUtxo different from nonWitnessUtxo/,
  });
  assert.equal(await snapshot(env.node), before);
});
