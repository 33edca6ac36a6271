/**
 * Bad input never crashes the signer: real Core Lightning requests (golden scenario 1, node A),
 * with random bytes changed, cut short or extended, sent on their own connections at every
 * point of the session, either get a reply or an HsmdClientError — never any other exception.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { Hsmd, HsmdClientError, type HsmdConnection } from "../../../src/adapters/cln/hsmd.js";
import { chainViewFromJson, parseSession } from "../../../src/adapters/cln/replay.js";
import { MemoryStore } from "../../../src/store/memory-store.js";
import { goldenDir, hsmSecret } from "../../keys/golden.js";

test("mutated golden requests give a reply or an HsmdClientError, never another error", async () => {
  const msgs = parseSession(readFileSync(new URL("scenario1/A.jsonl", goldenDir), "utf8"));
  const hsmd = await Hsmd.open({
    hsmSecret: hsmSecret("A"),
    store: new MemoryStore(),
    allowlist: ["bcrt1qv2ge8mtwgp7w0prhaej5c88v3ljhy30s2afhzw"],
    chain: chainViewFromJson(readFileSync(new URL("scenario1/chain-txs.json", goldenDir), "utf8")),
    clock: () => Date.UTC(2026, 10, 23, 22, 0, 0),
  });
  const conns: HsmdConnection[] = [hsmd.root()];
  const requests = msgs.filter((m) => m.dir === "req" && m.type !== 9 && m.type !== 11);
  let replies = 0;
  let refusals = 0;
  const mutation = fc.record({
    which: fc.nat(),
    kind: fc.constantFrom("flip", "truncate", "extend"),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  });
  // Walk the real session; after every fourth real request, try a few mutated ones.
  let k = 0;
  for (const m of msgs) {
    if (m.dir !== "req") continue;
    k++;
    const r = await conns[m.conn.n]!.handle(m.bytes);
    if (r.newClient !== undefined) conns.push(r.newClient);
    if (k % 4 !== 0 || m.seq < 120) continue;
    await fc.assert(
      fc.asyncProperty(mutation, async (mu) => {
        const base = requests[mu.which % requests.length]!;
        const conn = conns[base.conn.n];
        if (conn === undefined) return;
        let bytes = Uint8Array.from(base.bytes);
        const at = mu.at % bytes.length;
        if (mu.kind === "flip") bytes[Math.max(2, at)] ^= mu.byte | 1;
        else if (mu.kind === "truncate") bytes = bytes.subarray(0, at);
        else bytes = Uint8Array.of(...bytes, mu.byte);
        try {
          await conn.handle(bytes);
          replies++;
        } catch (e) {
          assert.ok(e instanceof HsmdClientError, `not an HsmdClientError: ${String(e)}`);
          refusals++;
        }
      }),
      { numRuns: 15, seed: m.seq },
    );
  }
  assert.ok(refusals > 100, `refusals ${refusals}`);
  assert.ok(replies + refusals > 200);
  await hsmd.close();
});
