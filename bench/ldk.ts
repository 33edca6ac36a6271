/**
 * Per-payment time of a real LDK node (lightningdevkit 0.1, in process, fake chain) signed by
 * Warden versus the same node signed by LDK's own KeysManager, in the same run and scenario:
 * A pays B one invoice at a time (two commitment rounds per payment), B signed by KeysManager
 * in both. Rounds alternate between the setups so machine noise hits them alike; the time
 * per setup is the median round's time per payment, the ratio the median of back-to-back
 * round ratios. Warden's figure includes asking it to approve the invoice (what a
 * Warden-signed node does before paying, in order ahead of the payment). Every setup returns to the event loop once per
 * payment, as a node does between payments: without it LDK's bindings never free the WASM
 * objects JS let go of, and every setup slows down payment after payment.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WardenLdkSigner } from "../src/adapters/ldk/signer.js";
import type { HostStoreSpec } from "../src/adapters/ldk/host-protocol.js";
import { initLdk, SimNetwork, type SimNode } from "../src/adapters/ldk/sim/network.js";
import { createInvoice, payInvoice } from "../src/adapters/ldk/sim/payments.js";

/** The LDK bench figures (ms per payment). */
export interface LdkBench {
  payments_per_round: number;
  rounds: number;
  keysmanager_ms_per_payment: number;
  warden_memory_ms_per_payment: number;
  warden_sqlite_ms_per_payment: number;
  /**
   * Warden (memory store) / KeysManager: the median over rounds of the ratio of two rounds run
   * back to back (robust to the machine's load drifting during the run).
   */
  ratio: number;
  ratio_sqlite: number;
  /** Synchronous calls into the Warden host per payment, and the time LDK waited on them. */
  warden_calls_per_payment: number;
  warden_wait_ms_per_payment: number;
  /** Of that wait, the time the host spent executing the calls (the rest is thread hand-off). */
  warden_host_ms_per_payment: number;
}

interface Setup {
  name: string;
  net: SimNetwork;
  A: SimNode;
  B: SimNode;
  warden: WardenLdkSigner | undefined;
  times: number[];
}

async function setup(name: string, store: HostStoreSpec | undefined): Promise<Setup> {
  const net = new SimNetwork();
  let warden: WardenLdkSigner | undefined;
  if (store !== undefined) {
    warden = await WardenLdkSigner.start(
      {
        seed: new Uint8Array(randomBytes(32)),
        startingTimeSecs: BigInt(Math.floor(Date.now() / 1000)),
        startingTimeNanos: 0,
        store,
        config: { network: "regtest" },
        approver: "approve-all",
        chainHeight: net.chain.height,
      },
      { chain: net.chain },
    );
  }
  const A = net.addNode({
    name: "A",
    signer: warden === undefined ? { kind: "keysmanager" } : { kind: "warden", signer: warden },
    anchors: true,
  });
  const B = net.addNode({ name: "B", signer: { kind: "keysmanager" }, anchors: true });
  net.connect(A, B);
  net.openChannel(A, B, 10_000_000n);
  return { name, net, A, B, warden, times: [] };
}

async function round(s: Setup, payments: number): Promise<number> {
  const start = performance.now();
  const sent = s.A.paymentsSent;
  for (let i = 0; i < payments; i++) {
    // A node returns to its event loop between payments (network I/O); LDK's bindings free
    // the WASM objects JS let go of there. One turn per payment, in every setup.
    await new Promise((resolve) => setImmediate(resolve));
    const inv = createInvoice(s.B, 1_000_000n + BigInt(i));
    // Approved in order ahead of the payment's commitments (approveInvoice): the node pays
    // without waiting, and the approval must have passed before its commitment is signed.
    const approved = s.warden?.approveInvoice(inv.to_str());
    payInvoice(s.A, inv);
    s.net.pump();
    await approved;
  }
  const ms = (performance.now() - start) / payments;
  if (s.A.paymentsSent - sent !== payments) throw new Error(`${s.name}: payments failed`);
  return ms;
}

const median = (xs: number[]): number => {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.floor(a.length / 2)]!;
};

/** Runs the comparison; `payments` per round, `rounds` rounds per setup, interleaved. */
export async function benchLdk(payments: number, rounds: number): Promise<LdkBench> {
  await initLdk();
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-ldk-"));
  const setups = [
    await setup("keysmanager", undefined),
    await setup("warden-memory", { kind: "memory" }),
    await setup("warden-sqlite", { kind: "sqlite", path: join(dir, "warden.sqlite3") }),
  ];
  try {
    for (const s of setups) await round(s, 3); // warm-up
    const calls0 = setups[1]!.warden!.host.syncCalls;
    const byOp0 = new Map(setups[1]!.warden!.host.callsByOp);
    const wait0 = setups[1]!.warden!.host.syncWaitMs;
    const busy0 = (await setups[1]!.warden!.host.request<{ busyMs: number }>("stats")).busyMs;
    for (let r = 0; r < rounds; r++) {
      for (const s of r % 2 === 0 ? setups : [...setups].reverse()) {
        s.times.push(await round(s, payments));
      }
    }
    const calls = (setups[1]!.warden!.host.syncCalls - calls0) / (payments * rounds);
    const wait = (setups[1]!.warden!.host.syncWaitMs - wait0) / (payments * rounds);
    const busy =
      ((await setups[1]!.warden!.host.request<{ busyMs: number }>("stats")).busyMs - busy0) /
      (payments * rounds);
    if (process.env["WARDEN_BENCH_VERBOSE"] === "1") {
      for (const [op, n] of setups[1]!.warden!.host.callsByOp) {
        console.log(
          `  ${op}: ${((n - (byOp0.get(op) ?? 0)) / (payments * rounds)).toFixed(2)} per payment`,
        );
      }
    }
    const [km, mem, sql] = setups.map((s) => median(s.times)) as [number, number, number];
    const paired = (s: Setup): number => median(s.times.map((t, i) => t / setups[0]!.times[i]!));
    return {
      payments_per_round: payments,
      rounds,
      keysmanager_ms_per_payment: round3(km),
      warden_memory_ms_per_payment: round3(mem),
      warden_sqlite_ms_per_payment: round3(sql),
      ratio: round3(paired(setups[1]!)),
      ratio_sqlite: round3(paired(setups[2]!)),
      warden_calls_per_payment: round3(calls),
      warden_wait_ms_per_payment: round3(wait),
      warden_host_ms_per_payment: round3(busy),
    };
  } finally {
    for (const s of setups) await s.warden?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// `node dist/bench/ldk.js [payments] [rounds]`: this comparison alone.
if (
  process.argv[1] !== undefined &&
  import.meta.url.endsWith(process.argv[1].replace(/.*\//, "/"))
) {
  const payments = Number(process.argv[2] ?? 10);
  const rounds = Number(process.argv[3] ?? 15);
  const r = await benchLdk(payments, rounds);
  console.log(
    `LDK payment: KeysManager ${r.keysmanager_ms_per_payment} ms, Warden ${r.warden_memory_ms_per_payment} ms (memory store, ${r.ratio}x), ${r.warden_sqlite_ms_per_payment} ms (SQLite, ${r.ratio_sqlite}x); ${r.warden_calls_per_payment} host calls per payment: ${r.warden_wait_ms_per_payment} ms waiting, of which ${r.warden_host_ms_per_payment} ms executing`,
  );
  console.log(JSON.stringify({ ldk: r }));
}
