/** Loading hsm_secret from lightningd's network directory, and every way it can fail. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadHsmSecret } from "../../../../src/adapters/cln/daemon/hsm-secret-file.js";
import { InitFailure } from "../../../../src/adapters/cln/daemon/init-failure.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "warden-hsm-secret-"));
  dirs.push(d);
  return d;
}

function failsWith(code: string, errorCode?: number): (e: unknown) => boolean {
  return (e) =>
    e instanceof InitFailure &&
    e.code === code &&
    (errorCode === undefined || e.errorCode === errorCode);
}

describe("hsm_secret file", () => {
  it("reads the plain 32-byte format", () => {
    const d = dir();
    const secret = randomBytes(32);
    writeFileSync(join(d, "hsm_secret"), secret, { mode: 0o400 });
    const got = loadHsmSecret(d, undefined, undefined);
    assert.deepEqual(Buffer.from(got.secret), secret);
    assert.equal(got.created, false);
    assert.equal(got.warning, undefined);
  });

  it("warns (without failing) when group or others may read it", () => {
    const d = dir();
    writeFileSync(join(d, "hsm_secret"), randomBytes(32));
    chmodSync(join(d, "hsm_secret"), 0o644);
    assert.match(loadHsmSecret(d, undefined, undefined).warning ?? "", /mode 644/);
  });

  it("creates a missing one: 32 random bytes, mode 0400, returned as loaded", () => {
    const d = dir();
    const a = loadHsmSecret(d, undefined, undefined);
    assert.equal(a.created, true);
    assert.deepEqual(Buffer.from(a.secret), readFileSync(join(d, "hsm_secret")));
    assert.equal(statSync(join(d, "hsm_secret")).mode & 0o777, 0o400);
    const again = loadHsmSecret(d, undefined, undefined);
    assert.equal(again.created, false);
    assert.deepEqual(again.secret, a.secret);
    const other = loadHsmSecret(dir(), undefined, undefined);
    assert.notDeepEqual(other.secret, a.secret);
  });

  it("does not create one when a passphrase is given", () => {
    assert.throws(() => loadHsmSecret(dir(), "pw", undefined), failsWith("cln/hsm-secret-missing"));
  });

  it("refuses other sizes without a parser, with HSM_SECRET_ERR_INVALID_FORMAT", () => {
    for (const len of [0, 31, 33, 73, 100]) {
      const d = dir();
      writeFileSync(join(d, "hsm_secret"), randomBytes(len));
      assert.throws(
        () => loadHsmSecret(d, undefined, undefined),
        failsWith("cln/hsm-secret-format", 7),
      );
    }
  });

  it("hands other formats to the parser and maps its errors to hsmd's codes", () => {
    const d = dir();
    const file = randomBytes(73);
    writeFileSync(join(d, "hsm_secret"), file);
    const seen: Array<[string, string | undefined]> = [];
    const got = loadHsmSecret(d, "pw", (bytes, pass) => {
      seen.push([Buffer.from(bytes).toString("hex"), pass]);
      return new Uint8Array(32).fill(9);
    });
    assert.deepEqual(seen, [[file.toString("hex"), "pw"]]);
    assert.deepEqual([...got.secret], new Array(32).fill(9));
    const wrong = Object.assign(new Error("wrong passphrase"), { code: "keys/wrong-passphrase" });
    assert.throws(
      () =>
        loadHsmSecret(d, "bad", () => {
          throw wrong;
        }),
      failsWith("cln/hsm-secret-format", 3),
    );
  });

  it("reports an unreadable file (here: a directory) without creating anything", () => {
    const d = dir();
    mkdirSync(join(d, "hsm_secret"));
    assert.throws(
      () => loadHsmSecret(d, undefined, undefined),
      failsWith("cln/hsm-secret-unreadable"),
    );
  });
});
