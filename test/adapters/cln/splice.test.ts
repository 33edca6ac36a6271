/**
 * hsmd_sign_splice_tx (29) on the real channel of golden scenario 1 (node A), replayed up to
 * its last revocation before the mutual close (quiescent, no HTLCs). Synthetic splice txs
 * spend the channel's funding output and create the new funding output (the same 2-of-2):
 * a splice-in from our wallet and a splice-out to our wallet are signed (the signature checked
 * by scure + noble, Core Lightning's low-R grind) with the pending splice recorded first; a
 * splice-out whose value leaves our side to a foreign address and a splice that burns our
 * balance are refused by their rule, the state unchanged.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Transaction } from "@scure/btc-signer";
import { clnChannelId } from "../../../src/adapters/cln/handlers/context.js";
import { WireWriter } from "../../../src/adapters/cln/handlers/io.js";
import { Hsmd, HsmdClientError, type HsmdConnection } from "../../../src/adapters/cln/hsmd.js";
import { chainViewFromJson, parseSession } from "../../../src/adapters/cln/replay.js";
import { addressToScript } from "../../../src/bitcoin/address.js";
import { p2wpkh, p2wsh } from "../../../src/bitcoin/outputs.js";
import { SIGHASH_ALL } from "../../../src/bitcoin/sighash.js";
import { Psbt } from "../../../src/bitcoin/psbt.js";
import { parseTx, serializeTx, txid as txidOf } from "../../../src/bitcoin/tx.js";
import { channelObscuringFactor, recomposeCommitment } from "../../../src/state/recompose.js";
import { spliceSetup as setupOfSplice } from "../../../src/state/splice.js";
import { commitmentSighash, counterpartyHtlcSighashType } from "../../../src/bolt3/signing.js";
import { buildHtlcTransactions } from "../../../src/bolt3/htlc-tx.js";
import { derivePubkey } from "../../../src/bolt3/key-derivation.js";
import { ecdsaSign } from "../../../src/crypto/secp256k1.js";
import { fundingScript } from "../../../src/bolt3/scripts.js";
import { clnKeyDeriver } from "../../../src/keys/cln.js";
import { parsePolicyFilter, type PolicyFilter } from "../../../src/policy/filter.js";
import { PolicyError } from "../../../src/policy/errors.js";
import type { Channel } from "../../../src/signer/channel.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { equalBytes, hexToBytes } from "../../../src/util/bytes.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";
import { verifySegwitV0 } from "../../signer/independent.js";

const PEER_B = hexToBytes("039f8601dc4fa2c6e6ddbbe04c4c47178f27d04aaa8d8aa403d1ad31c60e000d63");
const ALLOWLISTED = "bcrt1qv2ge8mtwgp7w0prhaej5c88v3ljhy30s2afhzw";
const FOREIGN = hexToBytes("0014" + "22".repeat(20));
const WALLET_UTXO = hexToBytes("ab".repeat(32));

interface Fixture {
  /** The last golden message replayed. */
  upTo: number;
  hsmd: Hsmd;
  store: MemoryStore;
  conns: HsmdConnection[];
  /** The golden hsmd_setup_channel request and the connection index it came on. */
  setupRequest: { bytes: Uint8Array; conn: number };
  client: HsmdConnection;
  channel: Channel;
  /** Our balance (msat) and the channel value (sat) before the splice. */
  ourMsat: bigint;
  valueSat: bigint;
  fundingSpk: Uint8Array;
  witnessScript: Uint8Array;
  ourFundingPubkey: Uint8Array;
  wallet: Uint8Array;
}

/** A's service after its last revocation before the mutual close (seq 253). */
async function quiescentChannel(policyFilter?: PolicyFilter, upTo = 254): Promise<Fixture> {
  const msgs = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8"));
  const store = new MemoryStore();
  const hsmd = await Hsmd.open({
    hsmSecret: hsmSecret("A"),
    store,
    allowlist: [ALLOWLISTED],
    chain: chainViewFromJson(readFileSync(new URL("scenario1/chain-txs.json", goldenDir), "utf8")),
    clock: () => Date.UTC(2026, 10, 23, 22, 0, 0),
    ...(policyFilter ? { policyFilter } : {}),
  });
  const conns = [hsmd.root()];
  for (const m of msgs) {
    if (m.seq > upTo) break;
    if (m.dir !== "req") continue;
    const r = await conns[m.conn.n]!.handle(m.bytes);
    if (r.newClient !== undefined) conns.push(r.newClient);
  }
  const channel = hsmd.node().channel(clnChannelId(PEER_B, 1n));
  const s = channel.state;
  assert.equal(s.phase, "operating");
  if (upTo === 254) {
    assert.equal(s.currentHolder!.htlcs.length, 0);
    assert.equal(s.currentHolder!.toOwnerMsat, s.currentCounterparty!.toOtherMsat);
  }
  const setup = s.setup!;
  const ourFundingPubkey = channel.basepoints.fundingPubkey;
  const witnessScript = fundingScript(ourFundingPubkey, setup.counterpartyBasepoints.fundingPubkey);
  const d = clnKeyDeriver(hsmSecret("A"));
  const setupMsg = msgs.find((m) => m.dir === "req" && m.type === 31)!;
  return {
    upTo,
    hsmd,
    store,
    conns,
    setupRequest: { bytes: setupMsg.bytes, conn: setupMsg.conn.n },
    client: conns[3]!,
    channel,
    ourMsat: s.currentHolder!.toOwnerMsat,
    valueSat: setup.channelValueSat,
    fundingSpk: p2wsh(witnessScript),
    witnessScript,
    ourFundingPubkey,
    wallet: p2wpkh(d.walletKey(3).publicKey),
  };
}

interface SpliceShape {
  walletInputSat?: bigint;
  /** An input of the peer's (a script that is not ours), after the channel input. */
  foreignInputSat?: bigint;
  /** Value the PSBT claims for the channel input (default: the channel value). */
  channelInputSat?: bigint;
  newFundingSat: bigint;
  outputs?: { script: Uint8Array; amount: bigint }[];
}

/** The splice tx (channel input at index 1 when there is a wallet input) and its request. */
function splice(
  f: Fixture,
  shape: SpliceShape,
): { tx: Transaction; request: Uint8Array; index: number } {
  const setup = f.channel.state.setup!;
  const tx = new Transaction({ version: 2, lockTime: 0 });
  if (shape.walletInputSat !== undefined) {
    tx.addInput({
      txid: WALLET_UTXO,
      index: 0,
      sequence: 0xfffffffd,
      witnessUtxo: { script: f.wallet, amount: shape.walletInputSat },
    });
  }
  tx.addInput({
    txid: Uint8Array.from(setup.fundingOutpoint.txid).reverse(),
    index: setup.fundingOutpoint.vout,
    sequence: 0xfffffffd,
    witnessUtxo: { script: f.fundingSpk, amount: shape.channelInputSat ?? f.valueSat },
  });
  if (shape.foreignInputSat !== undefined) {
    tx.addInput({
      txid: hexToBytes("fe".repeat(32)),
      index: 3,
      sequence: 0xfffffffd,
      witnessUtxo: { script: FOREIGN, amount: shape.foreignInputSat },
    });
  }
  tx.addOutput({ script: f.fundingSpk, amount: shape.newFundingSat });
  for (const o of shape.outputs ?? []) tx.addOutput(o);
  const index = shape.walletInputSat !== undefined ? 1 : 0;
  const w = new WireWriter(29).varBytes32(tx.unsignedTx).varBytes32(tx.toPSBT(0));
  w.bytes(setup.counterpartyBasepoints.fundingPubkey).u32(index);
  return { tx, request: w.done(), index };
}

/** Signs through the channel's client connection; returns the compact signature. */
async function signSplice(f: Fixture, request: Uint8Array): Promise<Uint8Array> {
  const reply = (await f.client.handle(request)).message!;
  assert.equal((reply[0]! << 8) | reply[1]!, 112);
  // bitcoin_signature: compact 64-byte signature, then the sighash type.
  assert.equal(reply.length, 2 + 64 + 1);
  assert.equal(reply[66], SIGHASH_ALL);
  return reply.slice(2, 66);
}

function assertVerifies(f: Fixture, tx: Transaction, index: number, sig: Uint8Array): void {
  const unsigned = parseTx(tx.unsignedTx);
  assert.ok(
    verifySegwitV0(
      unsigned,
      index,
      f.witnessScript,
      f.valueSat,
      SIGHASH_ALL,
      sig,
      f.ourFundingPubkey,
    ),
  );
  // Core Lightning's hsmd grinds to a low R (first byte of r below 0x80).
  assert.ok(sig[0]! < 0x80);
}

async function refusal(f: Fixture, request: Uint8Array): Promise<HsmdClientError> {
  try {
    await f.client.handle(request);
  } catch (e) {
    assert.ok(e instanceof HsmdClientError);
    return e;
  }
  assert.fail("the splice was signed");
}

test("splice-in from our wallet: signed after the pending splice is recorded; a retry gets the same signature", async () => {
  const f = await quiescentChannel();
  const { tx, request, index } = splice(f, {
    walletInputSat: 100_000n,
    newFundingSat: f.valueSat + 50_000n,
    outputs: [{ script: f.wallet, amount: 49_500n }], // change; the fee is 500 sat
  });
  const sig = await signSplice(f, request);
  assertVerifies(f, tx, index, sig);
  const pending = f.channel.state.pendingSplices!;
  assert.equal(pending.length, 1);
  const id = txidOf(parseTx(tx.unsignedTx));
  assert.ok(equalBytes(pending[0]!.fundingOutpoint.txid, id));
  assert.equal(pending[0]!.fundingOutpoint.vout, 0);
  assert.equal(pending[0]!.channelValueSat, f.valueSat + 50_000n);
  // We put in 100 000, took 49 500 back and paid the whole 500 sat fee: +50 000 sat.
  assert.equal(pending[0]!.holderBalanceMsat, f.ourMsat + 50_000_000n);
  // The old funding's state is untouched.
  assert.equal(f.channel.state.setup!.channelValueSat, f.valueSat);
  const version = f.channel.version;
  assert.ok(equalBytes(await signSplice(f, request), sig));
  assert.equal(f.channel.version, version);
});

test("splice-out to our wallet and to an allowlisted address: signed, our balance lowered by what left plus the fee", async () => {
  const f = await quiescentChannel();
  const allowlisted = addressToScript(ALLOWLISTED, "regtest");
  const { tx, request, index } = splice(f, {
    newFundingSat: f.valueSat - 30_400n,
    outputs: [
      { script: f.wallet, amount: 20_000n },
      { script: allowlisted, amount: 10_000n },
    ],
  });
  const sig = await signSplice(f, request);
  assertVerifies(f, tx, index, sig);
  const pending = f.channel.state.pendingSplices!;
  assert.equal(pending.length, 1);
  assert.equal(pending[0]!.channelValueSat, f.valueSat - 30_400n);
  assert.equal(pending[0]!.holderBalanceMsat, f.ourMsat - 30_400_000n);
});

test("policy-splice-out-destination: our balance spliced out to a foreign address is refused, state unchanged", async () => {
  const f = await quiescentChannel();
  const theirsSat = f.valueSat - f.ourMsat / 1000n;
  // More than the peer's whole balance leaves to a foreign output: part of it is ours.
  const out = theirsSat + 10_000n;
  const { request } = splice(f, {
    newFundingSat: f.valueSat - out - 400n,
    outputs: [{ script: FOREIGN, amount: out }],
  });
  const version = f.channel.version;
  const e = await refusal(f, request);
  assert.equal(e.code, "cln/policy-refused");
  assert.deepEqual(e.ruleIds, ["policy-splice-out-destination"]);
  assert.equal(f.channel.version, version);
  assert.equal(f.channel.state.pendingSplices, undefined);
});

test("policy-splice-value-conserved: a splice that burns our balance as fee, or lies about the channel input, is refused", async () => {
  const f = await quiescentChannel();
  const theirsSat = f.valueSat - f.ourMsat / 1000n;
  const version = f.channel.version;
  // No outputs of ours and nothing added by us, yet the channel shrinks by more than the peer has.
  const burn = splice(f, { newFundingSat: f.valueSat - theirsSat - 5_000n });
  const e1 = await refusal(f, burn.request);
  assert.equal(e1.code, "cln/policy-refused");
  assert.deepEqual(e1.ruleIds, ["policy-splice-value-conserved"]);
  // The PSBT claims a larger channel input than the channel's value.
  const lie = splice(f, {
    walletInputSat: 100_000n,
    channelInputSat: f.valueSat + 1_000n,
    newFundingSat: f.valueSat + 50_000n,
    outputs: [{ script: f.wallet, amount: 49_500n }],
  });
  const e2 = await refusal(f, lie.request);
  assert.deepEqual(e2.ruleIds, ["policy-splice-value-conserved"]);
  assert.equal(f.channel.version, version);
  assert.equal(f.channel.state.pendingSplices, undefined);
});

test("a splice without the new funding output, or with another remote funding key, is refused", async () => {
  const f = await quiescentChannel();
  const noFunding = splice(f, {
    newFundingSat: f.valueSat - 1_000n,
    outputs: [],
  });
  // Replace the new funding output's script by a foreign one in the request.
  const tx = Transaction.fromRaw(noFunding.tx.unsignedTx);
  const t2 = new Transaction({ version: 2, lockTime: 0 });
  const setup = f.channel.state.setup!;
  t2.addInput({
    txid: Uint8Array.from(setup.fundingOutpoint.txid).reverse(),
    index: setup.fundingOutpoint.vout,
    witnessUtxo: { script: f.fundingSpk, amount: f.valueSat },
  });
  t2.addOutput({ script: FOREIGN, amount: tx.getOutput(0).amount! });
  const w = new WireWriter(29).varBytes32(t2.unsignedTx).varBytes32(t2.toPSBT(0));
  w.bytes(setup.counterpartyBasepoints.fundingPubkey).u32(0);
  const e = await refusal(f, w.done());
  assert.ok(e.ruleIds.includes("policy-onchain-output-scriptpubkey"), e.message);
  const w2 = new WireWriter(29).varBytes32(t2.unsignedTx).varBytes32(t2.toPSBT(0));
  w2.bytes(f.ourFundingPubkey).u32(0);
  assert.equal((await refusal(f, w2.done())).code, "cln/bad-request");
  assert.equal(f.channel.state.pendingSplices, undefined);
});

/** channeld's setup_channel for a splice: the golden one with another outpoint, value and push. */
function spliceSetup(f: Fixture, txid: Uint8Array, vout: number, valueSat: bigint): Uint8Array {
  const b = Uint8Array.from(f.setupRequest.bytes);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(3, valueSat, false);
  dv.setBigUint64(11, 0n, false);
  b.set(txid, 19);
  dv.setUint16(51, vout, false);
  return b;
}

test("setup_channel for a splice is answered before (accepter order) and after (initiator order) the splice is signed", async () => {
  const f = await quiescentChannel();
  const conn = f.conns[f.setupRequest.conn]!;
  const version = f.channel.version;
  // Accepter order: channeld announces the new funding before asking for the splice signature.
  const early = await conn.handle(spliceSetup(f, hexToBytes("cd".repeat(32)), 1, f.valueSat + 1n));
  assert.equal((early.message![0]! << 8) | early.message![1]!, 131);
  // Recorded as announced (not signed): its commitments may come before the splice tx.
  assert.notEqual(f.channel.version, version);
  const announced = f.channel.state.pendingSplices!;
  assert.equal(announced.length, 1);
  assert.equal(announced[0]!.txSigned, false);
  assert.equal(announced[0]!.holderBalanceMsat, f.ourMsat + 1_000n);
  // Initiator order: the splice is signed first, then announced with its outpoint and value.
  const { tx, request } = splice(f, {
    walletInputSat: 100_000n,
    newFundingSat: f.valueSat + 50_000n,
    outputs: [{ script: f.wallet, amount: 49_500n }],
  });
  await signSplice(f, request);
  const id = txidOf(parseTx(tx.unsignedTx));
  const after = f.channel.version;
  const ok = await conn.handle(spliceSetup(f, id, 0, f.valueSat + 50_000n));
  assert.equal((ok.message![0]! << 8) | ok.message![1]!, 131);
  assert.equal(f.channel.version, after);
  assert.equal(f.channel.state.setup!.channelValueSat, f.valueSat);
  // The same outpoint with another value contradicts the signed splice.
  let caught: unknown;
  try {
    await conn.handle(spliceSetup(f, id, 0, f.valueSat + 60_000n));
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HsmdClientError);
  assert.equal(caught.code, "cln/bad-request");
  // A setup that changes anything else is still refused (the channel is set up).
  const other = spliceSetup(f, id, 0, f.valueSat + 50_000n);
  other[2] = other[2] === 1 ? 0 : 1;
  await assert.rejects(conn.handle(other), HsmdClientError);
});

/** The parsed tx and spent outputs of a splice, for Channel.signSpliceTx directly. */
function spliceRequest(f: Fixture, shape: SpliceShape) {
  const { tx, index } = splice(f, shape);
  const spentOutputs = Array.from({ length: tx.inputsLength }, (_, i) => {
    const u = tx.getInput(i).witnessUtxo!;
    return { script: u.script, value: u.amount };
  });
  return { tx: parseTx(tx.unsignedTx), spentOutputs, inputIndex: index };
}

test("Channel.signSpliceTx with a stated balance: below the floor is policy-splice-out-destination, above the ceiling policy-splice-value-conserved", async () => {
  const f = await quiescentChannel();
  const shape: SpliceShape = {
    walletInputSat: 100_000n,
    newFundingSat: f.valueSat + 50_000n,
    outputs: [{ script: f.wallet, amount: 49_500n }],
  };
  // Floor: before + 100 000 − 49 500 − 500 (fee) sat; ceiling: before + 50 500 sat.
  const floor = f.ourMsat + 50_000_000n;
  const ceiling = f.ourMsat + 50_500_000n;
  const cases: [bigint, string | null][] = [
    [floor - 1n, "policy-splice-out-destination"],
    [ceiling + 1n, "policy-splice-value-conserved"],
    [ceiling, null],
  ];
  for (const [holderBalanceMsat, rule] of cases) {
    const req = { ...spliceRequest(f, shape), holderBalanceMsat };
    if (rule === null) {
      const sig = await f.channel.signSpliceTx(req);
      assert.equal(sig.length, 64);
      assert.equal(f.channel.state.pendingSplices![0]!.holderBalanceMsat, ceiling);
    } else {
      const version = f.channel.version;
      await assert.rejects(
        f.channel.signSpliceTx(req),
        (e: unknown) =>
          e instanceof PolicyError && e.violations.map((v) => v.ruleId).join() === rule,
      );
      assert.equal(f.channel.version, version);
      assert.equal(f.channel.state.pendingSplices, undefined);
    }
  }
});

test("policy-splice-out-destination is a limit: demoted by the operator, the foreign splice-out is signed", async () => {
  const f = await quiescentChannel({ demote: ["policy-splice-out-destination"] });
  const out = f.valueSat - f.ourMsat / 1000n + 10_000n;
  const { tx, request, index } = splice(f, {
    newFundingSat: f.valueSat - out - 400n,
    outputs: [{ script: FOREIGN, amount: out }],
  });
  const sig = await signSplice(f, request);
  assertVerifies(f, tx, index, sig);
  assert.equal(f.channel.state.pendingSplices!.length, 1);
  // policy-splice-value-conserved is a format rule: it cannot be demoted.
  assert.deepEqual(parsePolicyFilter(["policy-splice-out-destination"]).demote, [
    "policy-splice-out-destination",
  ]);
  assert.throws(
    () => parsePolicyFilter(["policy-splice-value-conserved"]),
    /policy-splice-value-conserved/,
  );
});

test("a commitment on the current number moved to another funding: the old funding's signature is not returned as a retry", async () => {
  const f = await quiescentChannel();
  const { tx, request } = splice(f, {
    walletInputSat: 100_000n,
    newFundingSat: f.valueSat + 50_000n,
    outputs: [{ script: f.wallet, amount: 49_500n }],
  });
  await signSplice(f, request);
  const msgs = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8"));
  const last = msgs.filter((m) => m.dir === "req" && m.type === 19 && m.seq < 254).at(-1)!;
  const setup = f.channel.state.setup!;
  const hex = Buffer.from(last.bytes).toString("hex");
  const oldOut = Buffer.from(setup.fundingOutpoint.txid).toString("hex");
  assert.ok(hex.includes(oldOut));
  const moveTo = (txid: Uint8Array): Uint8Array =>
    hexToBytes(hex.split(oldOut).join(Buffer.from(txid).toString("hex")));
  const conn = f.conns[last.conn.n]!;
  // The unchanged request is a retry and gets the golden signature again.
  assert.ok((await conn.handle(last.bytes)).message !== null);
  const version = f.channel.version;
  // To an outpoint that is no funding of ours: the commitment tx rules refuse it.
  const e1 = await refusal({ ...f, client: conn }, moveTo(hexToBytes("ee".repeat(32))));
  assert.deepEqual(e1.ruleIds, ["policy-commitment-input-match-funding"]);
  // To the splice's funding with the old balances (ignoring our splice-in): refused too.
  const e2 = await refusal({ ...f, client: conn }, moveTo(txidOf(parseTx(tx.unsignedTx))));
  assert.ok(e2.ruleIds.includes("policy-splice-value-conserved"), e2.message);
  assert.equal(f.channel.version, version);
});

test("the pending splice is in the stored state: a restarted service answers the same request identically, writing nothing", async () => {
  const f = await quiescentChannel();
  const { request } = splice(f, {
    newFundingSat: f.valueSat - 20_400n,
    outputs: [{ script: f.wallet, amount: 20_000n }],
  });
  const sig = await signSplice(f, request);
  const msgs = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8"));
  const restarted = await Hsmd.open({ hsmSecret: hsmSecret("A"), store: f.store });
  const root = restarted.root();
  await root.handle(msgs.find((m) => m.type === 11)!.bytes);
  const channel = restarted.node().channel(clnChannelId(PEER_B, 1n));
  assert.deepEqual(channel.state.pendingSplices, f.channel.state.pendingSplices);
  const version = channel.version;
  const client = restarted.connect(f.client.context);
  const reply = (await client.handle(request)).message!;
  assert.ok(equalBytes(reply.slice(2, 66), sig));
  assert.equal(channel.version, version);
});

/**
 * channeld's sign_remote_commitment_tx for the peer's current commitment on a splice's new
 * funding: the golden request of the current number with its tx replaced by the recomposition
 * on the new funding, our balance moved by `ourDeltaMsat` (the peer's by `theirDeltaMsat`).
 */
function spliceCommitmentRequest(
  f: Fixture,
  ourDeltaMsat: bigint,
  theirDeltaMsat: bigint,
): {
  request: Uint8Array;
  tx: ReturnType<typeof recomposeCommitment>["tx"];
  built: ReturnType<typeof recomposeCommitment>;
  conn: number;
} {
  const msgs = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8"));
  const last = msgs.filter((m) => m.dir === "req" && m.type === 19 && m.seq < f.upTo).at(-1)!;
  const s = f.channel.state;
  const cur = s.currentCounterparty!;
  const setup = s.setup!;
  const spliced = setupOfSplice(setup, s.pendingSplices![0]!);
  const built = recomposeCommitment(
    "counterparty",
    spliced,
    f.channel.basepoints,
    cur.perCommitmentPoint,
    channelObscuringFactor(setup, f.channel.basepoints),
    {
      commitmentNumber: cur.commitmentNumber,
      feeratePerKw: cur.feeratePerKw,
      toOwnerMsat: cur.toOwnerMsat + theirDeltaMsat,
      toOtherMsat: cur.toOtherMsat + ourDeltaMsat,
      htlcs: cur.htlcs,
    },
  );
  const g = last.bytes;
  const dv = new DataView(g.buffer, g.byteOffset, g.byteLength);
  const txLen = dv.getUint32(2, false);
  const psbtLen = dv.getUint32(6 + txLen, false);
  const tail = g.subarray(2 + 4 + txLen + 4 + psbtLen);
  const psbt = Psbt.fromTx(built.tx, [
    { script: f.fundingSpk, value: spliced.channelValueSat },
  ]).serialize();
  const w = new WireWriter(19)
    .varBytes32(serializeTx(built.tx, false))
    .varBytes32(psbt)
    .bytes(tail);
  return { request: w.done(), tx: built.tx, built, conn: last.conn.n };
}

test("the peer's commitment on the pending splice's funding: signed on the new funding with our balance moved by the splice; less for us is policy-splice-value-conserved", async () => {
  const f = await quiescentChannel();
  const { tx: spliceTx, request } = splice(f, {
    walletInputSat: 100_000n,
    newFundingSat: f.valueSat + 50_000n,
    outputs: [{ script: f.wallet, amount: 49_500n }],
  });
  await signSplice(f, request);
  const newValue = f.valueSat + 50_000n;
  // One sat less for us (and more for the peer) than the splice left us: refused, unchanged.
  const bad = spliceCommitmentRequest(f, 49_999_000n, 1_000n);
  const version = f.channel.version;
  const e = await refusal({ ...f, client: f.conns[bad.conn]! }, bad.request);
  assert.deepEqual(e.ruleIds, ["policy-splice-value-conserved"]);
  assert.equal(f.channel.version, version);
  // The balances the splice implies: signed on the new funding output.
  const good = spliceCommitmentRequest(f, 50_000_000n, 0n);
  const client = { ...f, client: f.conns[good.conn]! };
  const sig = await signSplice(client, good.request);
  assert.ok(
    verifySegwitV0(good.tx, 0, f.witnessScript, newValue, SIGHASH_ALL, sig, f.ourFundingPubkey),
  );
  const recorded = f.channel.state.pendingSplices![0]!.counterpartyCommitment!;
  assert.equal(recorded.commitmentNumber, f.channel.state.currentCounterparty!.commitmentNumber);
  assert.ok(equalBytes(recorded.txid, txidOf(good.tx)));
  assert.ok(equalBytes(good.tx.inputs[0]!.prevout.txid, txidOf(parseTx(spliceTx.unsignedTx))));
  // A retry gets the same signature; another tx for that number on the new funding is refused.
  assert.ok(equalBytes(await signSplice(client, good.request), sig));
  const other = spliceCommitmentRequest(f, 50_001_000n, -1_000n);
  const e2 = await refusal(client, other.request);
  assert.deepEqual(e2.ruleIds, ["policy-commitment-retry-same"]);
  // The current funding's commitment is still answered as before.
  assert.equal(f.channel.state.setup!.channelValueSat, f.valueSat);
});

/** B's (the peer's) funding secret for this channel, found by its funding pubkey. */
function peerFundingSecret(f: Fixture): Uint8Array {
  const a = clnKeyDeriver(hsmSecret("A")).nodeId();
  const b = clnKeyDeriver(hsmSecret("B"));
  const want = f.channel.state.setup!.counterpartyBasepoints.fundingPubkey;
  for (let dbid = 1n; dbid < 8n; dbid++) {
    const k = b.channelKeys({ peerId: a, dbid });
    if (equalBytes(k.basepoints.fundingPubkey, want)) return k.fundingSecret;
  }
  return assert.fail("no channel of B has A's counterparty funding key");
}

/** channeld's validate_commitment_tx for our current commitment on the splice's new funding. */
function spliceHolderValidation(
  f: Fixture,
  ourDeltaMsat: bigint,
  signer: Uint8Array,
  theirDeltaMsat = 50_000_000n - ourDeltaMsat,
): Uint8Array {
  const s = f.channel.state;
  const cur = s.currentHolder!;
  const setup = s.setup!;
  const spliced = setupOfSplice(setup, s.pendingSplices![0]!);
  const built = recomposeCommitment(
    "holder",
    spliced,
    f.channel.basepoints,
    cur.perCommitmentPoint,
    channelObscuringFactor(setup, f.channel.basepoints),
    {
      commitmentNumber: cur.commitmentNumber,
      feeratePerKw: cur.feeratePerKw,
      toOwnerMsat: cur.toOwnerMsat + ourDeltaMsat,
      toOtherMsat: cur.toOtherMsat + theirDeltaMsat,
      htlcs: [],
    },
  );
  const sig = ecdsaSign(commitmentSighash(built), signer);
  const psbt = Psbt.fromTx(built.tx, [
    { script: f.fundingSpk, value: spliced.channelValueSat },
  ]).serialize();
  const n = new Uint8Array(8);
  new DataView(n.buffer).setBigUint64(0, BigInt(cur.commitmentNumber), false);
  return new WireWriter(35)
    .varBytes32(serializeTx(built.tx, false))
    .varBytes32(psbt)
    .u16(0)
    .bytes(n)
    .u32(cur.feeratePerKw)
    .bitcoinSignature(sig, SIGHASH_ALL)
    .u16(0)
    .done();
}

test("our commitment on the pending splice's funding: the peer's signature is checked on the new funding and recorded; less for us is refused", async () => {
  const f = await quiescentChannel();
  const { request } = splice(f, {
    walletInputSat: 100_000n,
    newFundingSat: f.valueSat + 50_000n,
    outputs: [{ script: f.wallet, amount: 49_500n }],
  });
  await signSplice(f, request);
  const peer = peerFundingSecret(f);
  const version = f.channel.version;
  // Our splice-in credited to the peer: policy-splice-value-conserved.
  const low = await refusal(f, spliceHolderValidation(f, 0n, peer));
  assert.ok(low.ruleIds.includes("policy-splice-value-conserved"), low.message);
  // A signature by another key: refused by the state machine.
  const forged = await refusal(
    f,
    spliceHolderValidation(f, 50_000_000n, hexToBytes("11".repeat(32))),
  );
  assert.equal(forged.code, "cln/bad-request");
  assert.equal(f.channel.version, version);
  // The right balances, signed by the peer: validated, recorded, answered with point n+1.
  const reply = (await f.client.handle(spliceHolderValidation(f, 50_000_000n, peer))).message!;
  assert.equal((reply[0]! << 8) | reply[1]!, 135);
  const cur = f.channel.state.currentHolder!;
  const rec = f.channel.state.pendingSplices![0]!.holderCommitment!;
  assert.equal(rec.commitmentNumber, cur.commitmentNumber);
  assert.equal(rec.toOwnerMsat, cur.toOwnerMsat + 50_000_000n);
  assert.equal(f.channel.state.nextHolderCommitNum, cur.commitmentNumber + 1);
});

function outpointRequest(type: number, txid: Uint8Array, vout: number): Uint8Array {
  return new WireWriter(type).bytes(txid).u16(vout).done();
}

test("splice_locked: lock_outpoint of the splice's funding switches the channel once both commitments were mirrored; a force close then signs on the new funding", async () => {
  const f = await quiescentChannel();
  const { tx, request } = splice(f, {
    walletInputSat: 100_000n,
    newFundingSat: f.valueSat + 50_000n,
    outputs: [{ script: f.wallet, amount: 49_500n }],
  });
  await signSplice(f, request);
  const newTxid = txidOf(parseTx(tx.unsignedTx));
  const newValue = f.valueSat + 50_000n;
  // Not yet: neither current commitment exists on the new funding.
  const early = await refusal(f, outpointRequest(37, newTxid, 0));
  assert.equal(early.code, "cln/bad-request");
  const good = spliceCommitmentRequest(f, 50_000_000n, 0n);
  await signSplice({ ...f, client: f.conns[good.conn]! }, good.request);
  await f.client.handle(spliceHolderValidation(f, 50_000_000n, peerFundingSecret(f)));
  const checked = (await f.client.handle(outpointRequest(32, newTxid, 0))).message!;
  assert.equal((checked[0]! << 8) | checked[1]!, 132);
  const locked = (await f.client.handle(outpointRequest(37, newTxid, 0))).message!;
  assert.equal((locked[0]! << 8) | locked[1]!, 137);
  const s = f.channel.state;
  assert.ok(equalBytes(s.setup!.fundingOutpoint.txid, newTxid));
  assert.equal(s.setup!.channelValueSat, newValue);
  assert.equal(s.pendingSplices, undefined);
  const cur = s.currentHolder!;
  // A retry of the lock changes nothing.
  const version = f.channel.version;
  await f.client.handle(outpointRequest(37, newTxid, 0));
  assert.equal(f.channel.version, version);
  // Force close (lightningd's hsmd_sign_commitment_tx): our commitment on the new funding.
  const built = recomposeCommitment(
    "holder",
    s.setup!,
    f.channel.basepoints,
    cur.perCommitmentPoint,
    channelObscuringFactor(s.setup!, f.channel.basepoints),
    cur,
  );
  assert.ok(equalBytes(txidOf(built.tx), cur.txid));
  const n = new Uint8Array(8);
  new DataView(n.buffer).setBigUint64(0, BigInt(cur.commitmentNumber), false);
  const dbid = new Uint8Array(8);
  new DataView(dbid.buffer).setBigUint64(0, 1n, false);
  const psbt = Psbt.fromTx(built.tx, [{ script: f.fundingSpk, value: newValue }]).serialize();
  const req = new WireWriter(5)
    .bytes(PEER_B)
    .bytes(dbid)
    .varBytes32(serializeTx(built.tx, false))
    .varBytes32(psbt)
    .bytes(s.setup!.counterpartyBasepoints.fundingPubkey)
    .bytes(n)
    .done();
  const reply = (await f.conns[0]!.handle(req)).message!;
  assert.equal((reply[0]! << 8) | reply[1]!, 105);
  const sig = reply.slice(2, 66);
  assert.ok(
    verifySegwitV0(built.tx, 0, f.witnessScript, newValue, SIGHASH_ALL, sig, f.ourFundingPubkey),
  );
});

test("HTLC txs of the peer's commitment on a pending splice's funding are signed on that commitment", async () => {
  // Golden seq 216: the commitments carry A's two offered HTLCs.
  const f = await quiescentChannel(undefined, 216);
  const cp = f.channel.state.currentCounterparty!;
  assert.ok(cp.htlcs.length > 0);
  const { request } = splice(f, {
    walletInputSat: 100_000n,
    newFundingSat: f.valueSat + 50_000n,
    outputs: [{ script: f.wallet, amount: 49_500n }],
  });
  await signSplice(f, request);
  const good = spliceCommitmentRequest(f, 50_000_000n, 0n);
  const client = { ...f, client: f.conns[good.conn]! };
  await signSplice(client, good.request);
  const htlcTxs = buildHtlcTransactions(good.built);
  assert.equal(htlcTxs.length, cp.htlcs.length);
  const setup = f.channel.state.setup!;
  const type = counterpartyHtlcSighashType(setup.channelType);
  const key = derivePubkey(f.channel.basepoints.htlcBasepoint, cp.perCommitmentPoint);
  for (const h of htlcTxs) {
    assert.ok(equalBytes(h.tx.inputs[0]!.prevout.txid, txidOf(good.tx)));
    const psbt = Psbt.fromTx(h.tx, [
      { script: p2wsh(h.htlcWitnessScript), value: h.inputValueSat },
    ]).serialize();
    const req = new WireWriter(20)
      .varBytes32(serializeTx(h.tx, false))
      .varBytes32(psbt)
      .varBytes16(h.htlcWitnessScript)
      .bytes(cp.perCommitmentPoint)
      .bool(true)
      .done();
    const reply = (await f.conns[good.conn]!.handle(req)).message!;
    assert.equal((reply[0]! << 8) | reply[1]!, 112);
    assert.equal(reply[66], type);
    const sig = reply.slice(2, 66);
    assert.ok(verifySegwitV0(h.tx, 0, h.htlcWitnessScript, h.inputValueSat, type, sig, key));
  }
});

test("accepter order: the peer's splice-in is announced, its commitments signed, then the splice tx checked against the announced balance", async () => {
  for (const [theirRelativeSat, rule] of [
    [50_000n, null],
    [60_000n, "policy-splice-out-destination"],
    [40_000n, "policy-splice-value-conserved"],
  ] as const) {
    const f = await quiescentChannel();
    const conn = f.conns[f.setupRequest.conn]!;
    const newValue = f.valueSat + 50_000n;
    const { tx, request, index } = splice(f, { foreignInputSat: 50_400n, newFundingSat: newValue });
    const id = txidOf(parseTx(tx.unsignedTx));
    // channeld: setup_channel with the new funding, push_value = the peer's relative amount.
    const setup = spliceSetup(f, id, 0, newValue);
    new DataView(setup.buffer).setBigUint64(11, theirRelativeSat, false);
    await conn.handle(setup);
    const ours = (50_000n - theirRelativeSat) * 1000n;
    const commitment = spliceCommitmentRequest(f, ours, 50_000_000n - ours);
    await signSplice({ ...f, client: f.conns[commitment.conn]! }, commitment.request);
    const version = f.channel.version;
    if (rule === null) {
      const sig = await signSplice(f, request);
      assertVerifies(f, tx, index, sig);
      assert.equal(f.channel.state.pendingSplices![0]!.txSigned, true);
      assert.equal(f.channel.state.pendingSplices![0]!.holderBalanceMsat, f.ourMsat);
    } else {
      const e = await refusal(f, request);
      assert.deepEqual(e.ruleIds, [rule]);
      assert.equal(f.channel.version, version);
      assert.equal(f.channel.state.pendingSplices![0]!.txSigned, false);
    }
  }
});
