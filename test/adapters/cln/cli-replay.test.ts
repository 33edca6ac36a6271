/**
 * `warden cln replay` end to end: the compiled CLI replays a golden session and ends with the
 * one JSON summary line; bad arguments exit 2 with the usage.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { goldenDir, repoRoot } from "../../keys/golden.js";

const main = fileURLToPath(new URL("dist/src/cli/main.js", repoRoot));
const g = (p: string): string => fileURLToPath(new URL(p, goldenDir));

test("warden cln replay prints the summary line of a byte-identical replay", () => {
  const r = spawnSync(
    process.execPath,
    [
      main,
      "cln",
      "replay",
      "--hsm-secret-file",
      g("hsm_secret-B.hex"),
      "--chain",
      g("scenario2/chain-txs.json"),
      g("scenario2/B.jsonl"),
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.deepEqual(JSON.parse(lines[lines.length - 1]!), {
    requests: 164,
    identical: 164,
    different: 0,
    refused: {},
  });
});

test("warden cln replay without a session prints its usage and exits 2", () => {
  const r = spawnSync(process.execPath, [main, "cln", "replay", "--hsm-secret-file", "x"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: warden cln replay/);
});
