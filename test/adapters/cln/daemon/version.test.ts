/** The version string lightningd compares with its own. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clnVersion, DEFAULT_CLN_VERSION } from "../../../../src/adapters/cln/daemon/version.js";

describe("reported Core Lightning version", () => {
  it("defaults to the verified release and follows WARDEN_CLN_VERSION", () => {
    assert.equal(DEFAULT_CLN_VERSION, "v26.06.6");
    assert.equal(clnVersion({}), "v26.06.6");
    assert.equal(clnVersion({ WARDEN_CLN_VERSION: "v25.12.1-modded" }), "v25.12.1-modded");
  });

  it("refuses a value lightningd could never match", () => {
    for (const bad of ["v1 2", "v1\n", "x".repeat(101)]) {
      assert.throws(() => clnVersion({ WARDEN_CLN_VERSION: bad }), { code: "cln/version" });
    }
  });

  it("auto: falls back to the default when the parent is not lightningd", () => {
    assert.equal(clnVersion({ WARDEN_CLN_VERSION: "auto" }, process.pid), "v26.06.6");
  });
});
