/**
 * The crash tests' child process (not a test: `node --test` runs every file under dist/test,
 * so without WARDEN_CRASH_DRIVER=1 this does nothing and exits 0). It opens a Node on the
 * SQLite store WARDEN_CRASH_STORE and drives WARDEN_CRASH_CHANNELS channels concurrently in
 * BOLT 2 order with a stateless honest peer (model.ts), continuing from whatever the store
 * holds. It writes every reply it obtains to stdout as a line (protocol.ts) before acting on
 * it. At start it retries the last request of each kind the stored state says succeeded (the
 * reply may have been lost) and tries to force-close its newest revoked commitment (which
 * must be refused). The parent kills it with SIGKILL at random points.
 *
 * Environment: WARDEN_CRASH_SEED, WARDEN_CRASH_EXTRA_ROUNDS (rounds per channel beyond the
 * stored state before exiting; default: forever), WARDEN_CRASH_CLOSE_AT (channel 0 signs its
 * holder commitment for broadcast after that many rounds; 0: never). With WARDEN_CRASH_PG_URL
 * (and WARDEN_CRASH_PG_SCHEMA) the store is PostgreSQL instead, and WARDEN_CRASH_SHARED=1 says
 * other drivers work on the same channels at once: a step they made first may then be refused
 * (reported as "refused"), and the driver carries on from the state it reloaded.
 */
import { writeSync } from "node:fs";
import { ApproveAll } from "../../src/payments/approver.js";
import { policyConfig } from "../../src/policy/config.js";
import { PolicyError } from "../../src/policy/errors.js";
import { Policy } from "../../src/policy/policy.js";
import type { Channel } from "../../src/signer/channel.js";
import { Node } from "../../src/signer/node.js";
import { ConcurrentUpdateError, isRefusal } from "../../src/signer/retry.js";
import { PgStore } from "../../src/store/pg-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { WardenError } from "../../src/errors.js";
import { bytesToHex } from "../../src/util/bytes.js";
import {
  defaultSetup,
  Peer,
  peerSignsHolderCommitment,
  type TestChannel,
  testKeySource,
} from "../signer/harness.js";
import { ModelCursor, PUSH_MSAT } from "./model.js";
import type { DriverLine } from "./protocol.js";

/** Node key label of the crash tests' signer. */
export const CRASH_NODE_LABEL = "crash";

/** Id of crash-test channel `i`. */
export function crashChannelId(i: number): string {
  return `crash-${i}`;
}

/** The policy of the crash tests' node: defaults, velocity limits out of the way. */
export function crashPolicy(): Policy {
  return new Policy({
    config: policyConfig({
      velocityPaymentsLimitMsat: 10n ** 15n,
      velocityTransferredLimitMsat: 10n ** 15n,
    }),
  });
}

function emit(line: DriverLine): void {
  // Synchronous: the line is in the pipe before the driver takes its next step.
  writeSync(1, `${JSON.stringify(line)}\n`);
}

function sigHex(sigs: { signature: Uint8Array; htlcSignatures: Uint8Array[] }): string {
  return [sigs.signature, ...sigs.htlcSignatures].map(bytesToHex).join(":");
}

/** How one driver runs. */
interface DriveOptions {
  seed: number;
  extraRounds: number;
  closeAt: number;
  /** Other drivers share the channels: refusals of steps they made first are expected. */
  shared: boolean;
}

/** Drives channel `i` until it made `extraRounds` more rounds (or forever). */
async function drive(node: Node, i: number, o: DriveOptions): Promise<void> {
  const { seed, extraRounds, closeAt } = o;
  let refusals = 0;
  /** Runs one step; with other writers, a refusal (the state moved under us) is reported. */
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
      refusals = 0;
    } catch (e) {
      const expected = isRefusal(e) || e instanceof ConcurrentUpdateError;
      if (!o.shared || !expected || ++refusals > 100) throw e;
      emit({ t: "refused", ch: i, what, code: (e as WardenError).code });
    }
  };
  const id = crashChannelId(i);
  const peer = new Peer(id);
  const setup = defaultSetup(peer, { pushMsat: PUSH_MSAT });
  const channel: Channel = node.channelIds().includes(id)
    ? node.channel(id)
    : await node.newChannel(id);
  const t: TestChannel = { node, channel, peer, setup };
  // A retried setup (its reply possibly lost) succeeds again.
  await channel.setup(setup);
  const models = new ModelCursor(seed, i);
  const s0 = channel.state;

  // Retries of what the store says already happened: the same bytes must come back.
  const a0 = s0.nextCounterpartyCommitNum;
  if (a0 > 0 && s0.closing === undefined) {
    await step(`retry counterparty ${a0 - 1}`, async () => {
      const p = models.at(a0 - 1).proposal("counterparty");
      const sigs = await channel.signCounterpartyCommitment(peer.point(a0 - 1), p);
      emit({ t: "cpsig", ch: i, n: a0 - 1, sig: sigHex(sigs) });
    });
  }
  if (s0.holderRevokedThrough >= 0 && s0.phase !== "closed") {
    const n = s0.holderRevokedThrough;
    await step(`retry revoke ${n}`, async () => {
      const secret = await channel.revokeHolderCommitment(n);
      emit({ t: "secret", ch: i, n, secret: bytesToHex(secret) });
    });
    // A compromised node asking to broadcast a revoked commitment is refused.
    try {
      const signed = await channel.signHolderCommitment(n);
      emit({ t: "bcast", ch: i, n, sig: bytesToHex(signed.signature) });
    } catch (e) {
      if (!(e instanceof PolicyError) && !(o.shared && isRefusal(e))) throw e;
      emit({ t: "refused", ch: i, what: `broadcast ${n}`, code: (e as WardenError).code });
    }
  }
  if (s0.holderCommitmentBroadcast !== undefined) {
    const n = s0.holderCommitmentBroadcast;
    const signed = await channel.signHolderCommitment(n);
    emit({ t: "bcast", ch: i, n, sig: bytesToHex(signed.signature) });
  }

  const stopAt = Math.max(0, a0 - 1) + extraRounds;
  for (;;) {
    const s = channel.state;
    if (s.closing !== undefined) return;
    const a = s.nextCounterpartyCommitNum;
    if (a === 0) {
      await step("counterparty 0", async () => {
        const p = models.at(0).proposal("counterparty");
        const sigs = await channel.signCounterpartyCommitment(peer.point(0), p);
        emit({ t: "cpsig", ch: i, n: 0, sig: sigHex(sigs) });
      });
      continue;
    }
    const k = a - 1;
    if (s.counterpartyRevokedThrough < k - 1) {
      await step(`peer revocation ${k - 1}`, async () => {
        await channel.validateCounterpartyRevocation(k - 1, peer.secret(k - 1));
        emit({ t: "crev", ch: i, n: k - 1 });
      });
    } else if (s.nextHolderCommitNum < k + 1) {
      await step(`holder ${k}`, async () => {
        const p = models.at(k).proposal("holder");
        await channel.validateHolderCommitment(p, peerSignsHolderCommitment(t, p));
        emit({ t: "valid", ch: i, n: k });
      });
    } else if (s.holderRevokedThrough < k - 1) {
      await step(`revoke ${k - 1}`, async () => {
        const secret = await channel.revokeHolderCommitment(k - 1);
        emit({ t: "secret", ch: i, n: k - 1, secret: bytesToHex(secret) });
      });
    } else if (i === 0 && closeAt > 0 && k >= closeAt) {
      await step(`broadcast ${k}`, async () => {
        const signed = await channel.signHolderCommitment(k);
        emit({ t: "bcast", ch: i, n: k, sig: bytesToHex(signed.signature) });
      });
    } else if (k >= stopAt) {
      return;
    } else {
      // Round k+1 starts: the node hands over a preimage it learned, then we sign their k+1.
      await step(`counterparty ${k + 1}`, async () => {
        const m = models.at(k + 1);
        if (m.preimage !== undefined) await node.addPreimage(m.preimage);
        const p = m.proposal("counterparty");
        const sigs = await channel.signCounterpartyCommitment(peer.point(k + 1), p);
        emit({ t: "cpsig", ch: i, n: k + 1, sig: sigHex(sigs) });
      });
    }
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const pgUrl = env.WARDEN_CRASH_PG_URL;
  const store: Store =
    pgUrl === undefined
      ? SqliteStore.open(env.WARDEN_CRASH_STORE!)
      : await PgStore.open(pgUrl, { schema: env.WARDEN_CRASH_PG_SCHEMA });
  const node = await Node.open({
    keys: testKeySource(CRASH_NODE_LABEL),
    store,
    policy: crashPolicy(),
    chainHeight: () => 800_000,
    approver: new ApproveAll(),
  });
  emit({ t: "start" });
  const o: DriveOptions = {
    seed: Number(env.WARDEN_CRASH_SEED ?? 1),
    extraRounds: Number(env.WARDEN_CRASH_EXTRA_ROUNDS ?? Number.MAX_SAFE_INTEGER),
    closeAt: Number(env.WARDEN_CRASH_CLOSE_AT ?? 0),
    shared: env.WARDEN_CRASH_SHARED === "1",
  };
  const channels = Number(env.WARDEN_CRASH_CHANNELS ?? 3);
  await Promise.all(Array.from({ length: channels }, (_, i) => drive(node, i, o)));
  await store.close();
  emit({ t: "done" });
}

if (process.env.WARDEN_CRASH_DRIVER === "1") {
  main().catch((e: unknown) => {
    process.stderr.write(`crash driver failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
  });
}
