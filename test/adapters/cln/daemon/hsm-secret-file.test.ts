/** Loading hsm_secret from lightningd's network directory, in each format, and every way it can fail. */
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
import { encryptLegacyHsmSecret, mnemonicHsmSecretFile } from "../../../../src/keys/hsm-secret.js";

const MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function dir(file?: Uint8Array): string {
  const d = mkdtempSync(join(tmpdir(), "warden-hsm-secret-"));
  dirs.push(d);
  if (file !== undefined) writeFileSync(join(d, "hsm_secret"), file, { mode: 0o400 });
  return d;
}

function failsWith(code: string, errorCode?: number): (e: unknown) => boolean {
  return (e) =>
    e instanceof InitFailure &&
    e.code === code &&
    (errorCode === undefined || e.errorCode === errorCode);
}

describe("hsm_secret file", () => {
  it("reads the plain 32-byte format (type 0)", async () => {
    const secret = randomBytes(32);
    const got = await loadHsmSecret(dir(secret), undefined);
    assert.deepEqual(Buffer.from(got.secret), secret);
    assert.equal(got.type, 0);
    assert.equal(got.created, false);
    assert.equal(got.warning, undefined);
  });

  it("reads the legacy encrypted format with lightningd's passphrase (type 1)", async () => {
    const secret = randomBytes(32);
    const d = dir(await encryptLegacyHsmSecret(secret, "hunter2"));
    const got = await loadHsmSecret(d, "hunter2");
    assert.deepEqual(Buffer.from(got.secret), secret);
    assert.equal(got.type, 1);
    await assert.rejects(loadHsmSecret(d, undefined), failsWith("cln/hsm-secret-format", 1));
    await assert.rejects(loadHsmSecret(d, "wrong"), failsWith("cln/hsm-secret-format", 3));
  });

  it("reads the BIP 39 mnemonic formats (types 2 and 3): the 64-byte seed", async () => {
    const plain = await loadHsmSecret(dir(mnemonicHsmSecretFile(MNEMONIC)), undefined);
    assert.equal(plain.type, 2);
    assert.equal(plain.secret.length, 64);
    const d = dir(mnemonicHsmSecretFile(MNEMONIC, "pw"));
    const withPass = await loadHsmSecret(d, "pw");
    assert.equal(withPass.type, 3);
    assert.notDeepEqual(withPass.secret, plain.secret);
    await assert.rejects(loadHsmSecret(d, undefined), failsWith("cln/hsm-secret-format", 1));
    await assert.rejects(loadHsmSecret(d, "nope"), failsWith("cln/hsm-secret-format", 3));
  });

  it("warns (without failing) when group or others may read it", async () => {
    const d = dir(randomBytes(32));
    chmodSync(join(d, "hsm_secret"), 0o644);
    assert.match((await loadHsmSecret(d, undefined)).warning ?? "", /mode 644/);
  });

  it("creates a missing one: 32 random bytes, mode 0400, returned as loaded", async () => {
    const d = dir();
    const a = await loadHsmSecret(d, undefined);
    assert.equal(a.created, true);
    assert.equal(a.type, 0);
    assert.deepEqual(Buffer.from(a.secret), readFileSync(join(d, "hsm_secret")));
    assert.equal(statSync(join(d, "hsm_secret")).mode & 0o777, 0o400);
    const again = await loadHsmSecret(d, undefined);
    assert.equal(again.created, false);
    assert.deepEqual(again.secret, a.secret);
    assert.notDeepEqual((await loadHsmSecret(dir(), undefined)).secret, a.secret);
  });

  it("does not create one when a passphrase is given", async () => {
    await assert.rejects(loadHsmSecret(dir(), "pw"), failsWith("cln/hsm-secret-missing"));
  });

  it("refuses files of no known format with HSM_SECRET_ERR_INVALID_FORMAT", async () => {
    for (const len of [0, 31]) {
      await assert.rejects(
        loadHsmSecret(dir(randomBytes(len)), undefined),
        failsWith("cln/hsm-secret-format", 7),
      );
    }
  });

  it("reports an unreadable file (here: a directory) without creating anything", async () => {
    const d = dir();
    mkdirSync(join(d, "hsm_secret"));
    await assert.rejects(loadHsmSecret(d, undefined), failsWith("cln/hsm-secret-unreadable"));
  });
});
