import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDemo } from "../../src/cli/demo.js";

test("the npm start demo: payments, refused theft with rule ids, nothing lost, SQLite state kept", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-demo-test-"));
  try {
    const lines: string[] = [];
    const r = await runDemo({ stateDir: dir, anchors: true, payments: 4, verbose: false }, (l) =>
      lines.push(l),
    );
    // 4 invoices, 2 keysends, and a tip below the dust limit each way.
    assert.equal(r.payments, 8);
    assert.deepEqual(r.refused, [
      "policy-mutual-destination-allowlisted",
      "policy-commitment-holder-not-revoked",
    ]);
    assert.equal(r.lost_sat, 0);
    assert.equal(
      r.balances.alice_onchain_sat! + r.balances.closing_fee_sat!,
      r.balances.alice_predicted_sat,
    );
    assert.ok(lines[0]!.includes(dir), "the state directory is printed first");
    assert.ok(existsSync(join(dir, "warden.sqlite3")), "Warden's state is in the SQLite store");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
