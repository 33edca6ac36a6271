/** The hsm_secret passphrase in hsmd_init's TLV (what lightningd sends for --hsm-passphrase). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { initPassphrase } from "../../../../src/adapters/cln/daemon/init-passphrase.js";
import { decodeHsmdMessage, encodeHsmdMessage } from "../../../../src/adapters/cln/wire/codec.js";
import { loadSession } from "../../../keys/golden.js";

describe("hsmd_init passphrase", () => {
  const init = loadSession("scenario1", "A").find((m) => m.type === 11)!.bytes;

  it("is absent in the recorded init (plain hsm_secret)", () => {
    assert.equal(initPassphrase(init), undefined);
  });

  it("is read from the hsm_passphrase TLV record", () => {
    const fields = decodeHsmdMessage(init).fields;
    const withPass = encodeHsmdMessage("hsmd_init", {
      ...fields,
      tlvs: { hsm_passphrase: { passphrase: "correct horse" } },
    });
    assert.equal(initPassphrase(withPass), "correct horse");
  });

  it("throws on a malformed init", () => {
    assert.throws(() => initPassphrase(init.subarray(0, 10)));
  });
});
