/** The status messages lightningd parses (a malformed one makes lightningd abort). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  encodeClientBadRequest,
  encodeInitReplyFailure,
  encodeStatusFail,
  encodeStatusLog,
  encodeStatusVersion,
  FailReason,
  LogLevel,
  wirestring,
} from "../../../../src/adapters/cln/daemon/status-wire.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("status wire", () => {
  it("status_version is 0xfff6 and a NUL-terminated string", () => {
    assert.equal(
      hex(encodeStatusVersion("v26.06.6")),
      "fff6" + hex(Buffer.from("v26.06.6")) + "00",
    );
  });

  it("status_log carries level, optional peer and text", () => {
    assert.equal(hex(encodeStatusLog(LogLevel.broken, "x")), "fff0" + "06" + "00" + "7800");
    const peer = Uint8Array.from([2, ...new Array<number>(32).fill(1)]);
    assert.equal(
      hex(encodeStatusLog(LogLevel.debug, "y", peer)),
      "fff003" + "01" + hex(peer) + "7900",
    );
  });

  it("status_fail carries the reason byte", () => {
    assert.equal(hex(encodeStatusFail(FailReason.masterIo, "z")), "fff2007a00");
    assert.equal(hex(encodeStatusFail(FailReason.internalError, "z")), "fff2037a00");
  });

  it("hsmstatus_client_bad_request: id, text, u16 length and the request (clamped)", () => {
    const id = Uint8Array.from([3, ...new Array<number>(32).fill(7)]);
    assert.equal(
      hex(encodeClientBadRequest(id, "bad", Uint8Array.of(0, 1, 2))),
      "03e8" + hex(id) + hex(Buffer.from("bad")) + "00" + "0003" + "000102",
    );
    const huge = encodeClientBadRequest(id, "", new Uint8Array(70000));
    assert.equal(huge.length, 2 + 33 + 1 + 2 + 0xffff);
    assert.equal(Buffer.from(huge).readUInt16BE(2 + 33 + 1), 0xffff);
  });

  it("hsmd_init_reply_failure: u32 error code and text", () => {
    assert.equal(hex(encodeInitReplyFailure(7, "no")), "0073" + "00000007" + "6e6f00");
  });

  it("wirestrings never contain a control byte and end with exactly one NUL", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const w = wirestring(s);
        assert.equal(w[w.length - 1], 0);
        for (let i = 0; i < w.length - 1; i++) assert.ok(w[i]! >= 0x20, `byte ${i} is ${w[i]}`);
      }),
    );
  });
});
