/**
 * Node.open over a store: one bulk scan when the store has it, a list and a get per channel
 * when it does not — the same channels either way — and no channel key derived at cold start.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Node } from "../../src/signer/node.js";
import { encodeState } from "../../src/state/codec.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { Store } from "../../src/store/store.js";
import {
  fundChannel,
  honestRound,
  nextCounterpartyProposal,
  nextHolderProposal,
  openTestChannel,
  testKeySource,
  testNode,
} from "../signer/harness.js";

/** The Store interface without the optional scan, over `inner`. */
function withoutScan(inner: Store): Store {
  return {
    get: (k) => inner.get(k),
    commit: (w) => inner.commit(w),
    list: (p) => inner.list(p),
    close: () => inner.close(),
  };
}

test("Node.open: scan and list+get load the same channels; keys are derived on first use", async () => {
  const store = new MemoryStore();
  const node = await testNode({ store, label: "cold" });
  for (const id of ["a", "b", "c"]) {
    const t = await openTestChannel(node, id);
    await fundChannel(t);
    await honestRound(t, nextCounterpartyProposal(t), nextHolderProposal(t));
  }
  await node.newChannel("fresh"); // phase new: not counted as open
  const states = (n: Node) =>
    n
      .channelIds()
      .sort()
      .map((id) => [
        id,
        n.channel(id).version,
        Buffer.from(encodeState(n.channel(id).state)).toString("hex"),
      ]);

  let derived = 0;
  const source = testKeySource("cold");
  const counting = {
    ...source,
    channelKeys: (id: string) => {
      derived++;
      return source.channelKeys(id);
    },
  };
  const scanned = await Node.open({ keys: counting, store });
  assert.equal(derived, 0, "no channel keys derived by the cold start");
  const listed = await Node.open({ keys: testKeySource("cold"), store: withoutScan(store) });
  assert.deepEqual(states(scanned), states(node));
  assert.deepEqual(states(listed), states(node));
  assert.equal(scanned.openChannelCount, 3);
  assert.equal(listed.openChannelCount, 3);

  // Keys of a reopened channel are derived on first use, once.
  const channel = scanned.channel("a");
  assert.deepEqual(channel.basepoints, node.channel("a").basepoints);
  assert.equal(derived, 1);
  assert.equal(channel.basepoints.fundingPubkey.length, 33);
  assert.equal(derived, 1, "derived once, then kept");
});
