/**
 * `npm run bench`: per-backend crypto figures and the commitment-update floor.
 *
 * The floor is the raw cost of the operations one validated commitment update with N HTLCs
 * cannot avoid: the per-commitment point and key derivations, the N+1 BIP 143 sighashes
 * (commitment + N HTLC txs, over prebuilt transactions), N+1 ECDSA verifies (the peer's
 * signatures on our commitment) and N+1 low-R ECDSA signs (ours on theirs; LDK and CLN grind R). The channel signer's
 * speed is reported as a ratio against this floor, measured in the same run.
 *
 * Then the channel signer itself (bench/signer.ts: the validated update round through
 * Node/Channel against the floor of the same raw work, key "signer") and sharding channels
 * over worker threads (bench/shard.ts, key "shard"), the stores (bench/store.ts, key "store")
 * and a real LDK node's payments signed by Warden vs KeysManager (bench/ldk.ts, key "ldk").
 *
 * Prints a table, and as the last line one JSON object with every figure.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { segwitV0Sighash } from "../src/bitcoin/sighash.js";
import {
  buildCommitmentTransaction,
  buildHtlcTransactions,
  type ChannelBasepoints,
  type CommitmentParams,
  type CommitmentTransaction,
  commitmentObscuringFactor,
  commitmentSighash,
  commitmentSighashes,
  counterpartyHtlcSighashType,
  deriveCommitmentKeys,
  fundingScript,
  type Htlc,
  htlcTxSighash,
} from "../src/bolt3/index.js";
import { sha256 } from "../src/crypto/hash.js";
import {
  activeBackendName,
  availableBackends,
  ecdsaSign,
  ecdsaVerify,
  pointMul,
  pubkeyTweakAdd,
  publicKey,
  useBackend,
} from "../src/crypto/secp256k1.js";
import { type Measurement, measure } from "./measure.js";
import { benchShard } from "./shard.js";
import { benchSigner } from "./signer.js";
import { benchStore } from "./store.js";
import type { LdkBench } from "./ldk.js";

const HTLC_COUNTS = [0, 10, 100, 483] as const;
const quick = process.env["WARDEN_BENCH_QUICK"] === "1";
const MIN_MS = quick ? 60 : 250;
/** LDK and Core Lightning both grind signatures to low R, so the floor signs the same way. */
const LOW_R = { lowR: true } as const;

function secret(): Uint8Array {
  return randomBytes(32);
}

function basepoints(): ChannelBasepoints {
  return {
    fundingPubkey: publicKey(secret()),
    revocationBasepoint: publicKey(secret()),
    paymentBasepoint: publicKey(secret()),
    delayedPaymentBasepoint: publicKey(secret()),
    htlcBasepoint: publicKey(secret()),
  };
}

/** A realistic anchors commitment with `n` untrimmed HTLCs, half offered, half received. */
function commitmentParams(n: number): CommitmentParams {
  const holder = basepoints();
  const counterparty = basepoints();
  const point = publicKey(secret());
  const htlcs: Htlc[] = [];
  let htlcTotalMsat = 0n;
  for (let i = 0; i < n; i++) {
    const amountMsat = 1_000_000n + BigInt(i) * 1_000n;
    htlcTotalMsat += amountMsat;
    htlcs.push({
      id: BigInt(i),
      direction: i % 2 === 0 ? "offered" : "received",
      amountMsat,
      paymentHash: sha256(Buffer.from(`preimage ${i}`)),
      cltvExpiry: 800_000 + (i % 50),
    });
  }
  const fundingAmountSat = 10_000_000n;
  const remaining = fundingAmountSat * 1000n - htlcTotalMsat;
  return {
    channelType: "anchors_zero_fee_htlc_tx",
    fundingOutpoint: { txid: randomBytes(32), vout: 0 },
    fundingAmountSat,
    commitmentNumber: 42,
    obscuringFactor: commitmentObscuringFactor(
      holder.paymentBasepoint,
      counterparty.paymentBasepoint,
    ),
    localIsOpener: true,
    toLocalMsat: remaining / 2n,
    toRemoteMsat: remaining - remaining / 2n,
    feeratePerKw: 253,
    dustLimitSat: 354n,
    toSelfDelay: 144,
    keys: deriveCommitmentKeys(holder, counterparty, point),
    htlcs,
  };
}

interface FloorFixture {
  n: number;
  holder: ChannelBasepoints;
  counterparty: ChannelBasepoints;
  perCommitmentSecret: Uint8Array;
  commitment: CommitmentTransaction;
  fundingWitnessScript: Uint8Array;
  htlcTxs: ReturnType<typeof buildHtlcTransactions>;
  sighashType: number;
  signingKey: Uint8Array;
  peerKey: Uint8Array;
  peerPub: Uint8Array;
  peerSigs: Uint8Array[];
  digests: Uint8Array[];
}

function floorFixture(n: number): FloorFixture {
  const params = commitmentParams(n);
  const commitment = buildCommitmentTransaction(params);
  const htlcTxs = buildHtlcTransactions(commitment);
  const sighashType = counterpartyHtlcSighashType(params.channelType);
  const digests = [
    commitmentSighash(commitment),
    ...htlcTxs.map((h) => htlcTxSighash(h, sighashType)),
  ];
  const peerKey = secret();
  return {
    n,
    holder: basepoints(),
    counterparty: basepoints(),
    perCommitmentSecret: secret(),
    commitment,
    fundingWitnessScript: fundingScript(
      params.keys.localFundingPubkey,
      params.keys.remoteFundingPubkey,
    ),
    htlcTxs,
    sighashType,
    signingKey: secret(),
    peerKey,
    peerPub: publicKey(peerKey),
    peerSigs: digests.map((d) => ecdsaSign(d, peerKey)),
    digests,
  };
}

/** The raw operations of one update: what no validating signer can skip. */
function floorUpdate(f: FloorFixture): void {
  const point = publicKey(f.perCommitmentSecret);
  deriveCommitmentKeys(f.holder, f.counterparty, point);
  const tx = f.commitment.tx;
  const digest = segwitV0Sighash(
    tx,
    0,
    f.fundingWitnessScript,
    f.commitment.params.fundingAmountSat,
    1,
  );
  if (!ecdsaVerify(f.peerSigs[0]!, f.digests[0]!, f.peerPub))
    throw new Error("bench: verify failed");
  ecdsaSign(digest, f.signingKey, LOW_R);
  for (let i = 0; i < f.htlcTxs.length; i++) {
    const h = f.htlcTxs[i]!;
    const d = segwitV0Sighash(h.tx, 0, h.htlcWitnessScript, h.inputValueSat, f.sighashType);
    if (!ecdsaVerify(f.peerSigs[i + 1]!, f.digests[i + 1]!, f.peerPub))
      throw new Error("bench: verify failed");
    ecdsaSign(d, f.signingKey, LOW_R);
  }
}

/**
 * The same update done by recomposition with the BOLT 3 engine: rebuild the commitment and its
 * HTLC txs from parameters, derive keys, then the same signs and verifies. Reported as a ratio
 * to the floor: it is the building-block cost the channel signer (next issue) will add to.
 */
function recomposedUpdate(f: FloorFixture, params: CommitmentParams): void {
  const point = publicKey(f.perCommitmentSecret);
  deriveCommitmentKeys(f.holder, f.counterparty, point);
  const s = commitmentSighashes(params);
  if (!ecdsaVerify(f.peerSigs[0]!, f.digests[0]!, f.peerPub))
    throw new Error("bench: verify failed");
  ecdsaSign(s.commitment, f.signingKey, LOW_R);
  for (let i = 0; i < s.htlcs.length; i++) {
    if (!ecdsaVerify(f.peerSigs[i + 1]!, f.digests[i + 1]!, f.peerPub))
      throw new Error("bench: verify failed");
    ecdsaSign(s.htlcs[i]!, f.signingKey, LOW_R);
  }
}

interface BackendFigures {
  opsPerSec: Record<string, number>;
  floor: Record<string, { msPerUpdate: number; updatesPerSec: number }>;
  recomposed: Record<string, { msPerUpdate: number; ratioToFloor: number }>;
}

function fmt(m: Measurement): string {
  return m.opsPerSec.toLocaleString("en-US").padStart(12);
}

function benchBackend(name: string): BackendFigures {
  useBackend(name);
  const sec = secret();
  const pub = publicKey(sec);
  const msg = sha256(randomBytes(32));
  const sig = ecdsaSign(msg, sec);
  const msgs = Array.from({ length: 256 }, () => sha256(randomBytes(32)));
  let k = 0;
  const tweak = sha256(randomBytes(32));
  const data64 = randomBytes(64);
  const c0 = buildCommitmentTransaction(commitmentParams(0));
  const c483 = buildCommitmentTransaction(commitmentParams(483));
  const fs0 = fundingScript(c0.params.keys.localFundingPubkey, c0.params.keys.remoteFundingPubkey);
  const fs483 = fundingScript(
    c483.params.keys.localFundingPubkey,
    c483.params.keys.remoteFundingPubkey,
  );

  const ops: Record<string, Measurement> = {
    ecdsa_sign: measure(() => ecdsaSign(msg, sec), { minMs: MIN_MS }),
    // Averaged over many messages: grinding needs 1 try half the time, 2 a quarter, ...
    ecdsa_sign_low_r: measure(() => ecdsaSign(msgs[k++ & 255]!, sec, { lowR: true }), {
      minMs: MIN_MS,
    }),
    ecdsa_verify: measure(() => ecdsaVerify(sig, msg, pub), { minMs: MIN_MS }),
    point_mul: measure(() => pointMul(pub, tweak), { minMs: MIN_MS }),
    pubkey_tweak_add: measure(() => pubkeyTweakAdd(pub, tweak), { minMs: MIN_MS }),
    sha256_64b: measure(() => sha256(data64), { minMs: MIN_MS }),
    commitment_sighash_0_htlcs: measure(
      () => segwitV0Sighash(c0.tx, 0, fs0, c0.params.fundingAmountSat, 1),
      { minMs: MIN_MS },
    ),
    commitment_sighash_483_htlcs: measure(
      () => segwitV0Sighash(c483.tx, 0, fs483, c483.params.fundingAmountSat, 1),
      { minMs: MIN_MS },
    ),
  };
  console.log(`\nbackend: ${name}`);
  console.log("  operation                        ops/s");
  for (const [k, m] of Object.entries(ops)) console.log(`  ${k.padEnd(30)} ${fmt(m)}`);

  const floor: BackendFigures["floor"] = {};
  const recomposed: BackendFigures["recomposed"] = {};
  console.log("  HTLCs   floor ms/update   updates/s   recomposed ms/update   ratio");
  for (const n of HTLC_COUNTS) {
    const f = floorFixture(n);
    const params = f.commitment.params as CommitmentParams;
    const mf = measure(() => floorUpdate(f), { minMs: MIN_MS * 2, rounds: 3 });
    const mr = measure(() => recomposedUpdate(f, params), { minMs: MIN_MS * 2, rounds: 3 });
    floor[String(n)] = { msPerUpdate: round3(mf.msPerOp), updatesPerSec: mf.opsPerSec };
    recomposed[String(n)] = {
      msPerUpdate: round3(mr.msPerOp),
      ratioToFloor: round3(mr.msPerOp / mf.msPerOp),
    };
    console.log(
      `  ${String(n).padStart(5)}   ${mf.msPerOp.toFixed(3).padStart(15)}   ${String(mf.opsPerSec).padStart(9)}   ${mr.msPerOp.toFixed(3).padStart(20)}   ${(mr.msPerOp / mf.msPerOp).toFixed(3)}`,
    );
  }
  return {
    opsPerSec: Object.fromEntries(Object.entries(ops).map(([k, m]) => [k, m.opsPerSec])),
    floor,
    recomposed,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const defaultBackend = activeBackendName();
const results: Record<string, BackendFigures> = {};
for (const name of availableBackends().sort()) results[name] = benchBackend(name);
useBackend(defaultBackend);
const native = results["native"];
const wasm = results["wasm"];
const summary: Record<string, unknown> = {
  bench: "warden-foundation",
  node: process.version,
  defaultBackend,
  backends: results,
};
if (native && wasm) {
  summary["nativeSpeedupSign"] = round3(
    native.opsPerSec["ecdsa_sign"]! / wasm.opsPerSec["ecdsa_sign"]!,
  );
  summary["nativeSpeedupVerify"] = round3(
    native.opsPerSec["ecdsa_verify"]! / wasm.opsPerSec["ecdsa_verify"]!,
  );
}
// The channel signer (validated update round vs its floor) and sharding over worker threads,
// on the native backend when it is available.
if (native) useBackend("native");
summary["signer"] = await benchSigner(HTLC_COUNTS, quick ? 150 : 500);
summary["shard"] = await benchShard(64, quick ? 5 : 20, 10, quick ? 1 : 5);
// Stores: commit latency per backend, cold start of a 100 000-channel node (bench/store.ts).
summary["store"] = await benchStore(quick ? 10_000 : 100_000, quick ? 200 : 500);
// A real LDK node's per-payment time signed by Warden vs LDK's KeysManager (bench/ldk.ts), in
// a process of its own: the heap the benches above leave behind (100 000 channels) would
// otherwise add garbage-collection time to whichever setup's rounds it lands in.
const ldkBench = ldkInChildProcess(10, quick ? 5 : 15);
summary["ldk"] = ldkBench;
console.log(
  `LDK payment: KeysManager ${ldkBench.keysmanager_ms_per_payment} ms, Warden ${ldkBench.warden_memory_ms_per_payment} ms (${ldkBench.ratio}x; SQLite ${ldkBench.ratio_sqlite}x)`,
);
useBackend(defaultBackend);
console.log("");
console.log(JSON.stringify(summary));

/** Runs bench/ldk.ts in a fresh Node process and returns its figures (its last JSON line). */
function ldkInChildProcess(payments: number, rounds: number): LdkBench {
  const script = fileURLToPath(new URL("./ldk.js", import.meta.url));
  const out = execFileSync(process.execPath, [script, String(payments), String(rounds)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const last = out.trim().split("\n").at(-1) ?? "";
  return (JSON.parse(last) as { ldk: LdkBench }).ldk;
}
