/**
 * Bad and refused requests on Warden's hsmd: a request outside its connection's permissions,
 * malformed or unknown requests, requests before hsmd_init, and policy refusals of real
 * (edited) Core Lightning requests. Each is an HsmdClientError (the client is disconnected,
 * never the whole signer), carries no signature, and leaves the state as it was: the real
 * request then still gets hsmd's exact reply.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { channelTypeFromFeatures } from "../../../src/adapters/cln/handlers/channel.js";
import { WireReader } from "../../../src/adapters/cln/handlers/io.js";
import { Hsmd, HsmdClientError, type HsmdConnection } from "../../../src/adapters/cln/hsmd.js";
import {
  chainViewFromJson,
  parseSession,
  type RecordedMessage,
  replaySession,
} from "../../../src/adapters/cln/replay.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { bytesToHex, hexToBytes } from "../../../src/util/bytes.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

const CLOSE_DEST = "bcrt1qv2ge8mtwgp7w0prhaej5c88v3ljhy30s2afhzw";

function session(scenario: string, node: "A" | "B"): RecordedMessage[] {
  return parseSession(readFileSync(new URL(`${scenario}/${node}.jsonl`, goldenDir), "utf8"));
}

function chain(scenario: string) {
  return chainViewFromJson(readFileSync(new URL(`${scenario}/chain-txs.json`, goldenDir), "utf8"));
}

/** Feeds the requests of proc 0 before `untilSeq`; returns the service and its connections. */
async function prefix(
  msgs: readonly RecordedMessage[],
  untilSeq: number,
): Promise<{ hsmd: Hsmd; conns: HsmdConnection[] }> {
  const hsmd = await Hsmd.open({
    hsmSecret: hsmSecret("A"),
    store: new MemoryStore(),
    allowlist: [CLOSE_DEST],
    chain: chain("scenario1"),
    clock: () => Date.UTC(2026, 10, 23, 22, 0, 0),
  });
  const conns = [hsmd.root()];
  for (const m of msgs) {
    if (m.seq >= untilSeq) break;
    if (m.dir !== "req" || m.proc !== 0) continue;
    const r = await conns[m.conn.n]!.handle(m.bytes);
    if (r.newClient !== undefined) conns.push(r.newClient);
  }
  return { hsmd, conns };
}

function replyOf(msgs: readonly RecordedMessage[], req: RecordedMessage): Uint8Array {
  return msgs.find((m) => m.seq > req.seq && m.dir === "rep" && m.conn.n === req.conn.n)!.bytes;
}

async function rejects(p: Promise<unknown>, code: string): Promise<HsmdClientError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HsmdClientError, `expected HsmdClientError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  return caught;
}

test("a request outside its connection's permissions is refused; the state is unchanged", async () => {
  const msgs = session("scenario1", "A");
  const req = msgs.find((m) => m.seq === 179)!; // channeld's sign_remote_commitment_tx
  assert.equal(req.name, "hsmd_sign_remote_commitment_tx");
  const { hsmd, conns } = await prefix(msgs, 179);
  const root = conns[0]!; // MASTER | SIGN_GOSSIP | ECDH: no SIGN_REMOTE_TX
  const connectd = conns[1]!; // ECDH only
  assert.equal(connectd.context.permissions, 1);
  const e1 = await rejects(root.handle(req.bytes), "cln/not-permitted");
  assert.match(e1.message, /does not have capability to run 19/);
  await rejects(connectd.handle(req.bytes), "cln/not-permitted");
  // An onchaind-like client (SIGN_ONCHAIN_TX | COMMITMENT_POINT) may not either.
  const hsmfd = msgs.find((m) => m.seq === 151)!.bytes.slice();
  hsmfd[hsmfd.length - 2] = 0;
  hsmfd[hsmfd.length - 1] = 12;
  const onchaind = (await root.handle(hsmfd)).newClient!;
  assert.equal(onchaind.context.permissions, 12);
  await rejects(onchaind.handle(req.bytes), "cln/not-permitted");
  // connectd may not sign a withdrawal, nor gossip.
  await rejects(connectd.handle(msgs.find((m) => m.seq === 157)!.bytes), "cln/not-permitted");
  await rejects(connectd.handle(msgs.find((m) => m.seq === 173)!.bytes), "cln/not-permitted");
  // The real request on channeld's connection still gets hsmd's exact reply.
  const ok = await conns[req.conn.n]!.handle(req.bytes);
  assert.equal(bytesToHex(ok.message!), bytesToHex(replyOf(msgs, req)));
  await hsmd.close();
});

test("malformed, unknown and premature requests are client errors, never a crash", async () => {
  const msgs = session("scenario1", "A");
  const fresh = await Hsmd.open({ hsmSecret: hsmSecret("A"), store: new MemoryStore() });
  const ecdh = msgs.find((m) => m.type === 1)!.bytes;
  await rejects(fresh.root().handle(ecdh), "cln/not-initialized");
  const { hsmd, conns } = await prefix(msgs, 179);
  const root = conns[0]!;
  await rejects(root.handle(Uint8Array.of(0)), "cln/malformed");
  await rejects(root.handle(Uint8Array.of(0x03, 0xe7)), "cln/unknown-message"); // 999
  await rejects(root.handle(Uint8Array.of(0, 114)), "cln/unknown-message"); // a reply type
  await rejects(root.handle(ecdh.subarray(0, 20)), "cln/malformed"); // truncated
  await rejects(root.handle(Uint8Array.of(...ecdh, 0)), "cln/malformed"); // trailing byte
  const badPoint = ecdh.slice();
  badPoint[2] = 0x05;
  await rejects(root.handle(badPoint), "cln/malformed");
  // A commitment request with its tx cut short.
  const req = msgs.find((m) => m.seq === 179)!;
  await rejects(conns[req.conn.n]!.handle(req.bytes.subarray(0, 300)), "cln/malformed");
  // hsmd_check_pubkey with a key that is not ours.
  const check = msgs.find((m) => m.type === 28)!.bytes.slice();
  check[check.length - 1] ^= 1;
  await rejects(root.handle(check), "cln/bad-request");
  // Everything still works afterwards.
  const ok = await conns[req.conn.n]!.handle(req.bytes);
  assert.equal(bytesToHex(ok.message!), bytesToHex(replyOf(msgs, req)));
  await hsmd.close();
  await fresh.close();
});

test("policy refusal: a cooperative close to a non-allowlisted address is counted by rule id", async () => {
  const msgs = session("scenario1", "A");
  // Edit A's closing tx so that A's output pays another P2WPKH (same length).
  const close = msgs.find((m) => m.seq === 265)!;
  assert.equal(close.name, "hsmd_sign_mutual_close_tx");
  const ours = "160014629193ed6e407ce78477ee654c1cec8fe57245f0";
  const other = "1600140000000000000000000000000000000000000001";
  const hex = bytesToHex(close.bytes);
  assert.ok(hex.includes(ours));
  const edited = msgs.map((m) =>
    m.seq === 265 ? { ...m, bytes: hexToBytes(hex.replaceAll(ours, other)) } : m,
  );
  const signatures: string[] = [];
  const summary = await replaySession(edited, {
    hsmSecret: hsmSecret("A"),
    chain: chain("scenario1"),
    allowlist: [CLOSE_DEST],
    onDifference: (seq, _name, lines) => signatures.push(`${seq}: ${lines.join("; ")}`),
  });
  assert.equal(summary.refused["policy-mutual-destination-allowlisted"], 1);
  assert.ok(signatures.some((s) => s.startsWith("265: refused")));
  assert.ok(summary.different >= 1);
  // Without the allowlist, the real close is refused by the same rule.
  const strict = await replaySession(msgs, {
    hsmSecret: hsmSecret("A"),
    chain: chain("scenario1"),
  });
  assert.equal(strict.refused["policy-mutual-destination-allowlisted"], 1);
  assert.equal(strict.identical, strict.requests - strict.different);
});

test("policy refusal: a commitment that takes our balance without an HTLC is refused", async () => {
  const msgs = session("scenario1", "A");
  const req = msgs.find((m) => m.seq === 193)!; // channeld's sign_remote_commitment_tx, no HTLCs
  assert.equal(req.name, "hsmd_sign_remote_commitment_tx");
  const { hsmd, conns } = await prefix(msgs, 193);
  const conn = conns[req.conn.n]!;
  // Move 1000 sat from our to_remote output to the peer's to_local output in the node's tx.
  const reader = new WireReader(req.bytes);
  const w = reader.bitcoinTx();
  const outs = w.tx.outputs.map((o) => o.value);
  const hex = bytesToHex(req.bytes);
  const le = (v: bigint): string => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    return bytesToHex(b);
  };
  const big = outs.filter((v) => v > 330n);
  assert.equal(big.length, 2);
  let edited = hex.replace(le(big[0]!), le(big[0]! + 1000n));
  edited = edited.replace(le(big[1]!), le(big[1]! - 1000n));
  const e = await rejects(conn.handle(hexToBytes(edited)), "cln/policy-refused");
  assert.ok(e.ruleIds.length > 0);
  const ok = await conn.handle(req.bytes);
  assert.equal(bytesToHex(ok.message!), bytesToHex(replyOf(msgs, req)));
  await hsmd.close();
});

test("channel types: anchors and static_remotekey, with scid_alias / zeroconf; others refused", () => {
  const bits = (...b: number[]): Uint8Array => {
    const n = Math.max(...b);
    const out = new Uint8Array(Math.floor(n / 8) + 1);
    for (const x of b) out[out.length - 1 - Math.floor(x / 8)]! |= 1 << (x % 8);
    return out;
  };
  assert.equal(channelTypeFromFeatures(hexToBytes("401000")), "anchors_zero_fee_htlc_tx");
  assert.equal(channelTypeFromFeatures(bits(12, 22, 46)), "anchors_zero_fee_htlc_tx");
  assert.equal(channelTypeFromFeatures(bits(12, 22, 46, 50)), "anchors_zero_fee_htlc_tx");
  assert.equal(channelTypeFromFeatures(bits(12)), "static_remotekey");
  for (const bad of [bits(22), bits(12, 20), bits(12, 22, 44), new Uint8Array(0)]) {
    assert.throws(() => channelTypeFromFeatures(bad), HsmdClientError);
  }
});
