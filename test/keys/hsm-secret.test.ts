/**
 * hsm_secret file formats of Core Lightning v26: plain (golden nodes), BIP 39 mnemonic with and
 * without passphrase (node ids Core Lightning's own tests expect, tests/test_wallet.py
 * test_hsmtool_generatehsm_variants), the legacy encrypted format (libsodium round trip), and
 * every refusal with Core Lightning's error number.
 */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, test } from "node:test";
import { clnKeyDeriver } from "../../src/keys/cln.js";
import {
  detectHsmSecretType,
  encryptLegacyHsmSecret,
  ENCRYPTED_HSM_SECRET_LEN,
  HSM_SECRET_ERROR,
  HSM_SECRET_TYPE,
  HsmSecretError,
  hsmSecretNeedsPassphrase,
  mnemonicHsmSecretFile,
  parseHsmSecret,
} from "../../src/keys/hsm-secret.js";
import { bytesToHex } from "../../src/util/bytes.js";
import { hsmSecret } from "./golden.js";

const RITUAL = "ritual idle hat sunny universe pluck key alpha wing cake have wedding";
const ABANDON =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

async function rejects(p: Promise<unknown>, code: string, clnCode: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HsmSecretError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.clnCode, clnCode);
    return true;
  });
}

describe("hsm_secret formats", () => {
  test("plain 32-byte secret (golden node A): type 0, secret as is, passphrase ignored", async () => {
    const file = hsmSecret("A");
    assert.equal(detectHsmSecretType(file), HSM_SECRET_TYPE.plain);
    assert.equal(hsmSecretNeedsPassphrase(file), false);
    const p = await parseHsmSecret(file);
    assert.equal(p.type, 0);
    assert.equal(bytesToHex(p.secret), bytesToHex(file));
    assert.equal(bytesToHex((await parseHsmSecret(file, "ignored")).secret), bytesToHex(file));
    assert.doesNotMatch(inspect(p), new RegExp(bytesToHex(file).slice(0, 16)));
    assert.doesNotMatch(JSON.stringify(p), new RegExp(bytesToHex(file).slice(0, 16)));
  });

  test("mnemonic without passphrase: Core Lightning's expected node id", async () => {
    const file = mnemonicHsmSecretFile(ABANDON);
    assert.equal(bytesToHex(file.subarray(0, 32)), "00".repeat(32));
    assert.equal(Buffer.from(file.subarray(32)).toString("utf8"), ABANDON);
    assert.equal(detectHsmSecretType(file), HSM_SECRET_TYPE.mnemonicNoPassphrase);
    assert.equal(hsmSecretNeedsPassphrase(file), false);
    const p = await parseHsmSecret(file);
    assert.equal(p.type, 2);
    // BIP 39 test vector: "abandon ... about", empty passphrase.
    assert.equal(
      bytesToHex(p.secret),
      "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4",
    );
    assert.equal(
      bytesToHex(clnKeyDeriver(p.secret).nodeId()),
      "03653e90c1ce4660fd8505dd6d643356e93cfe202af109d382787639dd5890e87d",
    );
  });

  test("mnemonic with passphrase: Core Lightning's expected node id; BIP 39 'TREZOR' seed", async () => {
    const file = mnemonicHsmSecretFile(RITUAL, "test_passphrase");
    assert.notEqual(bytesToHex(file.subarray(0, 32)), "00".repeat(32));
    assert.equal(detectHsmSecretType(file), HSM_SECRET_TYPE.mnemonicWithPassphrase);
    assert.ok(hsmSecretNeedsPassphrase(file));
    const p = await parseHsmSecret(file, "test_passphrase");
    assert.equal(p.type, 3);
    assert.equal(p.secret.length, 64);
    assert.equal(
      bytesToHex(clnKeyDeriver(p.secret).nodeId()),
      "039020371fb803cd4ce1e9a909b502d7b0a9e0f10cccc35c3e9be959c52d3ba6bd",
    );
    const trezor = await parseHsmSecret(mnemonicHsmSecretFile(ABANDON, "TREZOR"), "TREZOR");
    assert.equal(
      bytesToHex(trezor.secret),
      "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
    );
  });

  test("mnemonic refusals: passphrase required / not needed / wrong, bad mnemonic", async () => {
    const withPass = mnemonicHsmSecretFile(RITUAL, "test_passphrase");
    await rejects(parseHsmSecret(withPass), "cln/hsm-secret-passphrase-required", 1);
    await rejects(parseHsmSecret(withPass, "nope"), "cln/hsm-secret-wrong-passphrase", 3);
    await rejects(
      parseHsmSecret(mnemonicHsmSecretFile(ABANDON), "x"),
      "cln/hsm-secret-passphrase-not-needed",
      2,
    );
    const badChecksum = mnemonicHsmSecretFile(ABANDON);
    const swapped = Buffer.from(ABANDON.replace(/about$/, "abandon"));
    const bad = new Uint8Array(32 + swapped.length);
    bad.set(badChecksum.subarray(0, 32));
    bad.set(swapped, 32);
    await rejects(parseHsmSecret(bad), "cln/hsm-secret-invalid-mnemonic", 4);
    const garbage = new Uint8Array(40).fill(0);
    garbage.set(Buffer.from("zzzzzzzz"), 32);
    await rejects(parseHsmSecret(garbage), "cln/hsm-secret-invalid-mnemonic", 4);
    // Full-width letters NFKD-normalise to ASCII words; libwally compares bytes and refuses them.
    const wide = Buffer.from(ABANDON.replace(/^abandon/, "ａbandon"));
    const wideFile = new Uint8Array(32 + wide.length);
    wideFile.set(wide, 32);
    await rejects(parseHsmSecret(wideFile), "cln/hsm-secret-invalid-mnemonic", 4);
    assert.throws(() => mnemonicHsmSecretFile("not a mnemonic"), HsmSecretError);
    assert.equal(HSM_SECRET_ERROR.invalidMnemonic, 4);
  });

  test("too short is an invalid format", async () => {
    assert.equal(detectHsmSecretType(new Uint8Array(31)), null);
    await rejects(parseHsmSecret(new Uint8Array(31)), "cln/hsm-secret-invalid-format", 7);
    await rejects(parseHsmSecret(new Uint8Array(0)), "cln/hsm-secret-invalid-format", 7);
  });

  test("legacy encrypted (73 bytes): decrypts with the passphrase, refuses without or wrong", async () => {
    const secret = hsmSecret("B");
    const file = await encryptLegacyHsmSecret(secret, "warden test passphrase");
    assert.equal(file.length, ENCRYPTED_HSM_SECRET_LEN);
    assert.equal(file.length, 73);
    assert.equal(detectHsmSecretType(file), HSM_SECRET_TYPE.encrypted);
    assert.ok(hsmSecretNeedsPassphrase(file));
    await rejects(parseHsmSecret(file), "cln/hsm-secret-passphrase-required", 1);
    const p = await parseHsmSecret(file, "warden test passphrase");
    assert.equal(p.type, 1);
    assert.equal(bytesToHex(p.secret), bytesToHex(secret));
    const tampered = Uint8Array.from(file);
    tampered[40] = tampered[40]! ^ 1;
    await rejects(
      parseHsmSecret(tampered, "warden test passphrase"),
      "cln/hsm-secret-wrong-passphrase",
      3,
    );
  });
});
