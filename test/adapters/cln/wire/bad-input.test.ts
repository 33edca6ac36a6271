/**
 * Bad input to the hsmd wire codec: truncated messages, trailing bytes, unknown types, length
 * fields larger than the message, out-of-domain values and malformed embedded PSBTs or
 * transactions all raise HsmdWireError with a specific code, never another error.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  decodeHsmdMessage,
  encodeHsmdMessage,
  HsmdWireError,
  type WireValue,
} from "../../../../src/adapters/cln/wire/codec.js";
import { bytesToHex, hexToBytes } from "../../../../src/util/bytes.js";
import { type GoldenMsg, loadSession } from "../../../keys/golden.js";

const golden = [
  ...loadSession("scenario1", "A"),
  ...loadSession("scenario1", "B"),
  ...loadSession("scenario2", "A"),
  ...loadSession("scenario2", "B"),
];

/** The longest recorded message of each type. */
const perType = new Map<number, GoldenMsg>();
for (const m of golden) {
  const seen = perType.get(m.type);
  if (seen === undefined || seen.bytes.length < m.bytes.length) perType.set(m.type, m);
}

function first(name: string): Uint8Array {
  return golden.find((m) => m.name === name)!.bytes;
}

function wireError(f: () => unknown, code: string | RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof HsmdWireError, `expected HsmdWireError, got ${String(e)}`);
    if (typeof code === "string") assert.equal(e.code, code);
    else assert.match(e.code, code);
    return true;
  });
}

/** Messages whose last field is a TLV stream (extra bytes are parsed as records). */
const TLV_LAST = new Set(["hsmd_dev_preinit", "hsmd_init", "hsmd_init_reply_v4"]);

describe("hsmd codec: bad input", () => {
  test("every strict prefix of every recorded message type is rejected", () => {
    let checked = 0;
    for (const m of perType.values()) {
      for (let n = 0; n < m.bytes.length; n++) {
        const prefix = m.bytes.subarray(0, n);
        let decoded = false;
        try {
          decodeHsmdMessage(prefix);
          decoded = true;
        } catch (e) {
          assert.ok(e instanceof HsmdWireError, `${m.name} prefix ${n}: ${String(e)}`);
        }
        // A prefix may only decode where the message ends in a TLV stream or has no fields left.
        if (decoded) assert.ok(TLV_LAST.has(m.name) || n >= 2, `${m.name} prefix ${n} decoded`);
        checked++;
      }
    }
    assert.ok(checked > 10_000, `${checked}`);
    assert.ok(perType.size >= 50);
  });

  test("truncated fixed fields say cln/wire-truncated", () => {
    const ecdh = first("hsmd_ecdh_req");
    wireError(() => decodeHsmdMessage(ecdh.subarray(0, ecdh.length - 1)), "cln/wire-truncated");
    wireError(() => decodeHsmdMessage(new Uint8Array(0)), "cln/wire-truncated");
    wireError(() => decodeHsmdMessage(Uint8Array.of(0x00)), "cln/wire-truncated");
  });

  test("a trailing byte after the last field says cln/wire-trailing", () => {
    let checked = 0;
    for (const m of perType.values()) {
      const longer = Uint8Array.from([...m.bytes, 0x00]);
      if (TLV_LAST.has(m.name)) {
        wireError(() => decodeHsmdMessage(longer), /^cln\/wire-/);
      } else {
        wireError(() => decodeHsmdMessage(longer), "cln/wire-trailing");
      }
      checked++;
    }
    assert.equal(checked, perType.size);
  });

  test("unknown message types say cln/wire-unknown-type (decode and encode)", () => {
    for (const t of [0, 2000, 0xffff, 113, 999]) {
      wireError(
        () => decodeHsmdMessage(Uint8Array.of(t >> 8, t & 0xff, 1, 2, 3)),
        "cln/wire-unknown-type",
      );
    }
    wireError(() => encodeHsmdMessage("hsmd_no_such_thing", {}), "cln/wire-unknown-type");
    wireError(() => encodeHsmdMessage(4242, {}), "cln/wire-unknown-type");
  });

  test("length fields larger than the message are truncation, not allocation", () => {
    // hsmd_sign_message: u16 len = 0xffff, 3 bytes of message.
    wireError(() => decodeHsmdMessage(hexToBytes("0017ffff616263")), "cln/wire-truncated");
    // hsmd_sign_withdrawal: num_inputs = 0xffff with nothing after it.
    wireError(() => decodeHsmdMessage(hexToBytes("0007ffff")), "cln/wire-truncated");
    // A bitcoin_tx announcing 0xffffffff bytes.
    const sign = Uint8Array.from(first("hsmd_sign_remote_commitment_tx"));
    sign.set([0xff, 0xff, 0xff, 0xff], 2);
    wireError(() => decodeHsmdMessage(sign), "cln/wire-truncated");
    // The PSBT length of the same message, made huge.
    const d = decodeHsmdMessage(first("hsmd_sign_remote_commitment_tx"));
    const txLen = ((d.fields["tx"] as Record<string, WireValue>)["tx"] as Uint8Array).length;
    const psbtAt = 2 + 4 + txLen;
    const big = Uint8Array.from(first("hsmd_sign_remote_commitment_tx"));
    big.set([0x7f, 0xff, 0xff, 0xff], psbtAt);
    wireError(() => decodeHsmdMessage(big), "cln/wire-truncated");
    // A TLV record longer than the message.
    wireError(() => decodeHsmdMessage(hexToBytes("006301fe0001000000")), "cln/wire-truncated");
  });

  test("malformed PSBTs say cln/wire-bad-psbt", () => {
    const wd = first("hsmd_sign_withdrawal");
    const d = decodeHsmdMessage(wd);
    const psbt = d.fields["psbt"] as Uint8Array;
    const at = wd.length - psbt.length;
    const badMagic = Uint8Array.from(wd);
    badMagic[at] = 0x71; // "psbt" → "qsbt"
    wireError(() => decodeHsmdMessage(badMagic), "cln/wire-bad-psbt");
    const cut = Uint8Array.from(wd.subarray(0, wd.length - 10));
    new DataView(cut.buffer).setUint32(at - 4, psbt.length - 10, false);
    wireError(() => decodeHsmdMessage(cut), "cln/wire-bad-psbt");
    // Zero-length PSBT (fromwire_wally_psbt refuses it).
    const empty = Uint8Array.from(wd.subarray(0, at));
    new DataView(empty.buffer).setUint32(at - 4, 0, false);
    wireError(() => decodeHsmdMessage(empty), "cln/wire-bad-psbt");
    wireError(
      () => encodeHsmdMessage("hsmd_sign_withdrawal_reply", { psbt: Uint8Array.of(1, 2, 3) }),
      "cln/wire-encode",
    );
  });

  test("a malformed embedded transaction says cln/wire-bad-tx", () => {
    const m = Uint8Array.from(first("hsmd_sign_remote_commitment_tx"));
    m[2 + 4 + 4] = 0x00; // input count 0 and not a segwit marker+flag
    m[2 + 4 + 5] = 0x00;
    wireError(() => decodeHsmdMessage(m), "cln/wire-bad-tx");
  });

  test("out-of-domain values say cln/wire-bad-value", () => {
    // bool 2 (hsmd_check_pubkey_reply ok).
    wireError(() => decodeHsmdMessage(hexToBytes("008002")), "cln/wire-bad-value");
    // A pubkey that is not on the curve (hsmd_ecdh_req with x = 5 has no point... use 0x04 prefix).
    const ecdh = Uint8Array.from(first("hsmd_ecdh_req"));
    ecdh[2] = 0x04;
    wireError(() => decodeHsmdMessage(ecdh), "cln/wire-bad-value");
    // A signature with r >= n (hsmd_node_announcement_sig_reply).
    wireError(() => decodeHsmdMessage(hexToBytes(`006a${"ff".repeat(64)}`)), "cln/wire-bad-value");
    // A bitcoin_signature with sighash 0x02.
    const rep = Uint8Array.from(golden.find((m) => m.name === "hsmd_sign_tx_reply")!.bytes);
    rep[rep.length - 1] = 0x02;
    wireError(() => decodeHsmdMessage(rep), "cln/wire-bad-value");
    // Recoverable signature with recovery id 4.
    const inv = Uint8Array.from(first("hsmd_sign_invoice_reply"));
    inv[inv.length - 1] = 4;
    wireError(() => decodeHsmdMessage(inv), "cln/wire-bad-value");
  });

  test("wirestrings: control bytes, missing NUL and invalid UTF-8 are rejected", () => {
    wireError(() => decodeHsmdMessage(hexToBytes("0026610a6200")), "cln/wire-bad-string");
    wireError(() => decodeHsmdMessage(hexToBytes("00266162")), "cln/wire-truncated");
    wireError(() => decodeHsmdMessage(hexToBytes("0026c3")), "cln/wire-truncated");
    wireError(() => decodeHsmdMessage(hexToBytes("0026c328")), "cln/wire-truncated");
    wireError(() => decodeHsmdMessage(hexToBytes("0026c32800")), "cln/wire-bad-string");
    const ok = decodeHsmdMessage(hexToBytes("0026c3a900"));
    assert.equal(ok.fields["invstring"], "é");
    wireError(
      () => encodeHsmdMessage("hsmd_preapprove_invoice", { invstring: "a\nb" }),
      "cln/wire-encode",
    );
  });

  test("TLV streams: unknown even, unordered and overlong records are rejected; unknown odd kept", () => {
    wireError(() => decodeHsmdMessage(hexToBytes("0063020100")), "cln/wire-bad-tlv");
    wireError(() => decodeHsmdMessage(hexToBytes("0063030100010100")), "cln/wire-bad-tlv");
    wireError(() => decodeHsmdMessage(hexToBytes("006301020000")), "cln/wire-bad-tlv");
    wireError(() => decodeHsmdMessage(hexToBytes("006301fd000100")), "cln/wire-bad-tlv");
    const odd = decodeHsmdMessage(hexToBytes("0063010101070200ff"));
    assert.deepEqual(odd.fields["tlvs"], {
      fail_preapprove: { fail: true },
      unknown: [{ type: 7n, value: Uint8Array.of(0x00, 0xff) }],
    });
    assert.equal(
      bytesToHex(encodeHsmdMessage("hsmd_dev_preinit", odd.fields)),
      "0063010101070200ff",
    );
  });

  test("the encoder refuses values that do not fit their fields", () => {
    const cases: Array<[string, Record<string, WireValue>]> = [
      ["hsmd_check_pubkey", { index: -1, pubkey: new Uint8Array(33) }],
      ["hsmd_check_pubkey", { index: 2 ** 32, pubkey: new Uint8Array(33) }],
      ["hsmd_check_pubkey", { index: 1, pubkey: new Uint8Array(33) }],
      ["hsmd_new_channel", { id: new Uint8Array(33), dbid: 1 }],
      ["hsmd_new_channel", { id: new Uint8Array(32), dbid: 1n }],
      ["hsmd_new_channel", { id: new Uint8Array(33), dbid: 1n << 64n }],
      ["hsmd_sign_message", { len: 2, msg: Uint8Array.of(1) }],
      ["hsmd_sign_message", { msg: new Uint8Array(70_000) }],
      ["hsmd_check_pubkey_reply", {}],
      ["hsmd_check_pubkey_reply", { ok: 1 }],
      ["hsmd_dev_preinit", { tlvs: { no_such_record: { x: true } } }],
      ["hsmd_dev_preinit", { tlvs: { unknown: [{ type: 2n, value: new Uint8Array(0) }] } }],
    ];
    for (const [name, fields] of cases)
      wireError(() => encodeHsmdMessage(name, fields), "cln/wire-encode");
  });
});
