/**
 * Warden as hsmd on the real Core Lightning v26.06.6 traffic (../shared/reference/cln/golden):
 * every request of scenarios 1 and 2, nodes A and B (B restarted in scenario 2: a second hsmd
 * process on the same Store), replayed on its connection through Warden's Node/Channel with
 * the policy; only the cooperative close destination is allowlisted. Every reply must be
 * byte-identical to the real hsmd's, and nothing refused.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  chainViewFromJson,
  parseSession,
  replaySession,
} from "../../../src/adapters/cln/replay.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

/** The close destination of a scenario (scenario 2 force-closes: none). */
function allowlistOf(scenario: string): string[] {
  const info = JSON.parse(readFileSync(new URL(`${scenario}/info.json`, goldenDir), "utf8")) as {
    close_destination?: string;
  };
  return info.close_destination === undefined ? [] : [info.close_destination];
}

const EXPECTED_REQUESTS: Record<string, number> = {
  "scenario1/A": 137,
  "scenario1/B": 130,
  "scenario2/A": 109,
  "scenario2/B": 164,
};

for (const scenario of ["scenario1", "scenario2"]) {
  for (const node of ["A", "B"] as const) {
    test(`golden ${scenario}/${node}: every reply byte-identical, nothing refused`, async () => {
      const text = readFileSync(new URL(`${scenario}/${node}.jsonl`, goldenDir), "utf8");
      const differences: string[] = [];
      const summary = await replaySession(parseSession(text), {
        hsmSecret: hsmSecret(node),
        chain: chainViewFromJson(
          readFileSync(new URL(`${scenario}/chain-txs.json`, goldenDir), "utf8"),
        ),
        allowlist: allowlistOf(scenario),
        onDifference: (seq, name, lines) => differences.push(`${seq} ${name}: ${lines.join("; ")}`),
      });
      assert.deepEqual(differences, []);
      assert.equal(summary.requests, EXPECTED_REQUESTS[`${scenario}/${node}`]);
      assert.equal(summary.identical, summary.requests);
      assert.equal(summary.different, 0);
      assert.deepEqual(summary.refused, {});
    });
  }
}
