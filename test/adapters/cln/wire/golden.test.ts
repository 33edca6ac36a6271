/**
 * The hsmd wire codec on real Core Lightning v26.06.6 traffic (../shared/reference/cln/golden):
 * every request and reply of every session decodes under its recorded name and re-encodes
 * byte for byte.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  decodeHsmdMessage,
  diffHsmdMessages,
  encodeHsmdMessage,
} from "../../../../src/adapters/cln/wire/codec.js";
import { bytesToHex } from "../../../../src/util/bytes.js";
import { goldenDir, loadSession } from "../../../keys/golden.js";

const nodes = JSON.parse(readFileSync(new URL("nodes.json", goldenDir), "utf8")) as Record<
  "A" | "B",
  { node_id: string }
>;

const sessions: Array<[string, "A" | "B", number]> = [
  ["scenario1", "A", 273],
  ["scenario1", "B", 259],
  ["scenario2", "A", 217],
  ["scenario2", "B", 326],
];

describe("hsmd codec: golden sessions round-trip", () => {
  for (const [scenario, node, expected] of sessions) {
    test(`${scenario}/${node}: all ${expected} messages decode and re-encode byte for byte`, () => {
      const msgs = loadSession(scenario, node);
      assert.equal(msgs.length, expected);
      let roundTripped = 0;
      for (const m of msgs) {
        const d = decodeHsmdMessage(m.bytes);
        assert.equal(d.name, m.name, `seq ${m.seq}`);
        assert.equal(d.type, m.type, `seq ${m.seq}`);
        const again = encodeHsmdMessage(d.name, d.fields);
        assert.equal(bytesToHex(again), bytesToHex(m.bytes), `seq ${m.seq} ${m.name}`);
        assert.deepEqual(diffHsmdMessages(again, m.bytes), []);
        roundTripped++;
      }
      assert.equal(roundTripped, expected);
    });
  }

  test("decoded fields carry the recorded meaning (init reply node id, withdrawal utxos)", () => {
    for (const node of ["A", "B"] as const) {
      const msgs = loadSession("scenario1", node);
      const reply = msgs.find((m) => m.name === "hsmd_init_reply_v4")!;
      const d = decodeHsmdMessage(reply.bytes);
      assert.equal(bytesToHex(d.fields["node_id"] as Uint8Array), nodes[node].node_id);
      assert.equal(d.fields["hsm_version"], 6);
      assert.deepEqual(d.fields["tlvs"], { hsm_secret_type: { hsm_type: 0 } });
      const caps = d.fields["hsm_capabilities"] as number[];
      assert.equal(caps.length, d.fields["num_hsm_capabilities"]);
    }
    const wd = loadSession("scenario1", "A").find((m) => m.name === "hsmd_sign_withdrawal")!;
    const d = decodeHsmdMessage(wd.bytes);
    const inputs = d.fields["inputs"] as Array<Record<string, unknown>>;
    assert.equal(inputs.length, 2);
    assert.deepEqual(
      inputs.map((i) => [i["amount"], i["keyindex"], i["close_info"]]),
      [
        [2_000_000n, 1, null],
        [1_500_000n, 2, null],
      ],
    );
  });

  test("lengths may be omitted when encoding; they are computed from their arrays", () => {
    const m = loadSession("scenario1", "A").find(
      (x) => x.name === "hsmd_validate_commitment_tx" && x.bytes.length > 1000,
    );
    const src =
      m ?? loadSession("scenario1", "A").find((x) => x.name === "hsmd_validate_commitment_tx")!;
    const d = decodeHsmdMessage(src.bytes);
    const { num_htlcs: _h, num_htlc_sigs: _s, ...rest } = d.fields;
    assert.equal(bytesToHex(encodeHsmdMessage(d.type, rest)), bytesToHex(src.bytes));
  });

  test("diffHsmdMessages names the field that differs", () => {
    const m = loadSession("scenario1", "A").find((x) => x.name === "hsmd_check_pubkey")!;
    const changed = Uint8Array.from(m.bytes);
    changed[3] = changed[3]! ^ 1; // inside `index` (u32 after the 2-byte type)
    const diff = diffHsmdMessages(m.bytes, changed);
    assert.equal(diff.length, 1);
    assert.match(diff[0]!, /^hsmd_check_pubkey\.index: /);
    assert.match(diffHsmdMessages(m.bytes, m.bytes.subarray(0, 5))[0]!, /does not decode/);
  });
});
