/**
 * Backend selection (env switches), the CI guarantee that native is active when required, and
 * the native addon's own argument validation (it must throw, not crash, when called directly).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as ecc from "../../src/crypto/secp256k1.js";

const here = dirname(fileURLToPath(import.meta.url));
const facadeUrl = pathToFileURL(join(here, "..", "..", "src", "crypto", "secp256k1.js")).href;
const addonPath = join(
  here,
  "..",
  "..",
  "..",
  "native",
  "build",
  "Release",
  "warden_secp256k1.node",
);

function runWithEnv(env: Record<string, string>): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const code = `const m = await import(${JSON.stringify(facadeUrl)}); console.log(m.activeBackendName(), m.availableBackends().join(","));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    env: { ...process.env, WARDEN_REQUIRE_NATIVE: "", WARDEN_SECP256K1_BACKEND: "", ...env },
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe("backend selection", () => {
  test("WARDEN_REQUIRE_NATIVE=1 means the default backend is native", () => {
    if (process.env["WARDEN_REQUIRE_NATIVE"] !== "1" || process.env["WARDEN_SECP256K1_BACKEND"]) {
      return;
    }
    assert.equal(ecc.activeBackendName(), "native");
    assert.ok(ecc.availableBackends().includes("native"));
  });

  test("wasm is always available", () => {
    assert.ok(ecc.availableBackends().includes("wasm"));
  });

  test("WARDEN_SECP256K1_BACKEND=wasm forces WASM without a warning", () => {
    const r = runWithEnv({ WARDEN_SECP256K1_BACKEND: "wasm" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "wasm wasm");
    assert.equal(r.stderr, "");
  });

  test("an unknown WARDEN_SECP256K1_BACKEND refuses to load", () => {
    const r = runWithEnv({ WARDEN_SECP256K1_BACKEND: "bogus" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /crypto\/unknown-backend/);
  });

  test("default selection: native when built, else WASM with one visible warning", () => {
    const r = runWithEnv({});
    assert.equal(r.status, 0, r.stderr);
    if (existsSync(addonPath)) {
      assert.equal(r.stdout.split(" ")[0], "native");
      assert.equal(r.stderr, "");
    } else {
      assert.equal(r.stdout.split(" ")[0], "wasm");
      assert.equal(r.stderr.match(/native libsecp256k1 unavailable/g)?.length, 1);
      const strict = runWithEnv({ WARDEN_REQUIRE_NATIVE: "1" });
      assert.notEqual(strict.status, 0);
      assert.match(strict.stderr, /crypto\/native-unavailable/);
    }
  });
});

describe("native addon argument validation", { skip: !existsSync(addonPath) }, () => {
  type Fn = (...args: unknown[]) => unknown;
  const load = () => createRequire(import.meta.url)(addonPath) as Record<string, Fn>;

  test("every function rejects wrong types/lengths with a TypeError, never a crash", () => {
    const addon = load();
    addon["init"]!(Buffer.alloc(32, 9));
    const junk: unknown[] = [
      undefined,
      null,
      1,
      "x",
      {},
      new Uint8Array(0),
      new Uint8Array(31),
      new Uint16Array(16),
    ];
    const names = Object.keys(addon).filter((n) => n !== "init");
    assert.ok(names.length >= 16);
    for (const name of names) {
      for (const j of junk) {
        assert.throws(
          () => addon[name]!(j, j, j),
          (e: unknown) => {
            return e instanceof TypeError && (e as { code?: string }).code === "crypto/native-arg";
          },
          name,
        );
      }
    }
    assert.throws(() => addon["init"]!(new Uint8Array(31)), TypeError);
    assert.throws(
      () => addon["ecdsaSign"]!(Buffer.alloc(32), Buffer.alloc(32, 1), "yes"),
      TypeError,
    );
  });
});
