/**
 * Worker-thread entry of a WorkerPool: hosts one Node over its own in-memory store shard and
 * runs the Channel operations the pool routes to it. One channel's requests run one after the
 * other in arrival order (a round's four operations included); different channels interleave.
 */
import { parentPort, workerData } from "node:worker_threads";
import { policyConfig } from "../policy/config.js";
import { parsePolicyFilter } from "../policy/filter.js";
import { Policy } from "../policy/policy.js";
import { MemoryStore } from "../store/memory-store.js";
import type { Channel } from "./channel.js";
import { ApproveAll } from "../payments/approver.js";
import { Node, type NodeKeySource } from "./node.js";
import { packBytes } from "../util/pack-bytes.js";
import { serializeError } from "./serialized-error.js";
import { MAX_BATCH } from "./worker-protocol.js";
import {
  CHANNEL_METHODS,
  type RoundRequest,
  type RoundResult,
  type WorkerNodeSpec,
  type WorkerRequest,
  type WorkerResponse,
} from "./worker-protocol.js";

async function openNode(spec: WorkerNodeSpec): Promise<Node> {
  const mod = (await import(spec.keyModule)) as Record<string, unknown>;
  const factory = mod[spec.keyExport];
  if (typeof factory !== "function") {
    throw new Error(`worker: ${spec.keyModule} has no function ${spec.keyExport}`);
  }
  const keys = (factory as (...a: unknown[]) => NodeKeySource)(...spec.keyArgs);
  const height = spec.chainHeight;
  return Node.open({
    keys,
    store: new MemoryStore(),
    policy: new Policy({
      config: policyConfig(spec.config ?? {}),
      filter: parsePolicyFilter([...(spec.demote ?? [])]),
    }),
    chainHeight: () => height,
    approver: spec.approver === "approve-all" ? new ApproveAll() : undefined,
  });
}

/** Runs one update round: four Channel operations, each validated and committed on its own. */
async function runRound(c: Channel, r: RoundRequest): Promise<RoundResult> {
  const counterpartySignatures = await c.signCounterpartyCommitment(
    r.counterpartyPoint,
    r.counterpartyProposal,
  );
  await c.validateCounterpartyRevocation(r.counterpartyRevokedNumber, r.counterpartySecret);
  await c.validateHolderCommitment(r.holderProposal, r.holderSignatures);
  const holderSecret = await c.revokeHolderCommitment(r.holderRevokedNumber);
  return { counterpartySignatures, holderSecret };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("worker-host must run in a worker thread");
  const node = await openNode(workerData as WorkerNodeSpec);
  /**
   * Per channel, the promise of its last request (settled either way): each request starts
   * once the one before it has finished, so a round's four steps are never interleaved with
   * another request of the same channel, and requests run in arrival order.
   */
  const tails = new Map<string, Promise<unknown>>();
  // Replies are batched like the pool's requests (per event-loop turn, at most MAX_BATCH).
  let replies: WorkerResponse[] = [];
  const flush = (): void => {
    if (replies.length === 0) return;
    const batch = packBytes(replies);
    replies = [];
    port.postMessage(batch.value, batch.buffer === undefined ? [] : [batch.buffer]);
  };
  const reply = (r: WorkerResponse): void => {
    replies.push(r);
    if (replies.length === 1) setImmediate(flush);
    else if (replies.length >= MAX_BATCH) flush();
  };

  const execute = async (req: WorkerRequest): Promise<unknown> => {
    if (req.op === "newChannel") {
      await node.newChannel(req.channelId);
      return undefined;
    }
    const c = node.channel(req.channelId);
    if (req.op === "round") return runRound(c, req.round);
    const method = req.method;
    if (!CHANNEL_METHODS.includes(method)) throw new Error(`worker: no method ${method}`);
    const fn = c[method] as (...a: unknown[]) => Promise<unknown>;
    return fn.apply(c, req.args);
  };

  const handle = (req: WorkerRequest): void => {
    const previous = tails.get(req.channelId);
    const done = previous === undefined ? execute(req) : previous.then(() => execute(req));
    const tail = done.then(
      (value) => reply({ id: req.id, ok: true, value }),
      (e: unknown) => reply({ id: req.id, ok: false, error: serializeError(e) }),
    );
    tails.set(req.channelId, tail);
    void tail.then(() => {
      if (tails.get(req.channelId) === tail) tails.delete(req.channelId);
    });
  };
  // A batch is started in order: each request queues behind its channel's previous one.
  port.on("message", (batch: WorkerRequest[]) => {
    for (const req of batch) handle(req);
  });
  port.postMessage({ ready: true });
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ fatal: serializeError(e) });
});
