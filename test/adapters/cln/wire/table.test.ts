/**
 * The committed hsmd wire table equals a fresh generation from Core Lightning's hsmd_wire.csv,
 * and the check would notice a drift.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import {
  HSMD_MESSAGES,
  HSMD_SUBTYPES,
  HSMD_TLVS,
} from "../../../../src/adapters/cln/wire/messages.js";
import { repoRoot, sharedDir } from "../../../keys/golden.js";

const script = fileURLToPath(new URL("scripts/gen-hsmd-wire.mjs", repoRoot));
const csv = fileURLToPath(new URL("reference/cln/hsmd_wire.csv", sharedDir));
const table = fileURLToPath(new URL("src/adapters/cln/wire/messages.ts", repoRoot));

function check(csvPath: string, outPath: string) {
  return spawnSync(process.execPath, [script, "--check", "--csv", csvPath, "--out", outPath], {
    encoding: "utf8",
  });
}

test("messages.ts equals a fresh generation from hsmd_wire.csv", () => {
  const r = check(csv, table);
  assert.equal(r.status, 0, r.stderr);
});

test("the check fails when the CSV and the table disagree", () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-gen-"));
  try {
    const out = join(dir, "messages.ts");
    copyFileSync(table, out);
    const changed = join(dir, "hsmd_wire.csv");
    writeFileSync(
      changed,
      readFileSync(csv, "utf8").replace("msgtype,hsmd_ecdh_req,1", "msgtype,hsmd_ecdh_req,201"),
    );
    const r = check(changed, out);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /differs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the table holds every msgtype of the CSV with its fields", () => {
  const text = readFileSync(csv, "utf8");
  const msgtypes = text.split("\n").filter((l) => l.startsWith("msgtype,"));
  const msgdata = text.split("\n").filter((l) => l.startsWith("msgdata,"));
  assert.equal(HSMD_MESSAGES.length, msgtypes.length);
  assert.equal(
    HSMD_MESSAGES.reduce((n, m) => n + m.fields.length, 0),
    msgdata.length,
  );
  const init = HSMD_MESSAGES.find((m) => m.name === "hsmd_init")!;
  assert.equal(init.type, 11);
  assert.deepEqual(
    init.fields.find((f) => f.name === "hsm_encryption_key"),
    {
      name: "hsm_encryption_key",
      type: "secret",
      optional: true,
      count: null,
    },
  );
  assert.deepEqual(
    HSMD_SUBTYPES.map((s) => s.name),
    ["hsm_htlc"],
  );
  assert.deepEqual(
    HSMD_TLVS.map((t) => t.name),
    ["hsmd_dev_preinit_tlvs", "hsmd_init_tlvs", "hsmd_init_reply_v4_tlvs"],
  );
});
