/**
 * Replays a recorded hsmd session (JSON Lines, one wire message per line, as in
 * ../shared/reference/cln/golden) against Warden's Hsmd: every request, in order, on its
 * connection (root, or the client created by the n-th hsmd_client_hsmfd of that hsmd
 * process), each new process (`proc`) starting over on the same Store, as lightningd restarting
 * its hsmd would. Each reply is compared byte for byte with the recorded one.
 *
 * A refused request (HsmdClientError) is counted under its policy rule ids (or its error code
 * when no rule refused it) and as different; the replay then carries on with the next request
 * (the real lightningd would have lost that client).
 */
import { readFileSync } from "node:fs";
import { parseTx, txid as txidOf, type OutPoint } from "../../bitcoin/tx.js";
import { decodeInvoice } from "../../bolt11/decode.js";
import { MemoryStore } from "../../store/memory-store.js";
import type { Store } from "../../store/store.js";
import { bytesToHex, equalBytes, hexToBytes } from "../../util/bytes.js";
import type { PolicyConfigOverrides } from "../../policy/config.js";
import type { ChainView } from "./handlers/context.js";
import { Hsmd, HsmdClientError, type HsmdConnection } from "./hsmd.js";
import { describeDifference } from "./replay-diff.js";

/** One recorded message. */
export interface RecordedMessage {
  readonly seq: number;
  readonly proc: number;
  readonly conn: {
    readonly kind: string;
    readonly peer_id: string | null;
    readonly dbid: number;
    readonly permissions: number;
    readonly n: number;
  };
  readonly dir: "req" | "rep";
  readonly type: number;
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Replay settings. */
export interface ReplayOptions {
  readonly hsmSecret: Uint8Array;
  readonly chain?: ChainView;
  /** Allowlisted destination addresses. */
  readonly allowlist?: readonly string[];
  readonly policyConfig?: Omit<PolicyConfigOverrides, "network">;
  /** Default: a new MemoryStore shared by every process of the session. */
  readonly store?: Store;
  /** Node clock; default: the session's time (its latest BOLT 11 timestamp). */
  readonly clock?: () => number;
  /** Called for each difference, with a readable, field-level description. */
  readonly onDifference?: (seq: number, name: string, lines: readonly string[]) => void;
}

/** The replay's figures: the one JSON line `warden cln replay` prints. */
export interface ReplaySummary {
  requests: number;
  identical: number;
  different: number;
  refused: Record<string, number>;
}

/** Parses a JSON Lines session. */
export function parseSession(text: string): RecordedMessage[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const j = JSON.parse(l) as Omit<RecordedMessage, "bytes"> & { hex: string };
      return { ...j, bytes: hexToBytes(j.hex) };
    });
}

/** A chain view of chain-txs.json ({tip, confirmed: [{height, txid, hex}]}). */
export function chainViewFromJson(text: string): ChainView {
  const j = JSON.parse(text) as { tip: number; confirmed: { height: number; hex: string }[] };
  const heights = new Map<string, number>();
  const spent = new Set<string>();
  for (const t of j.confirmed) {
    const tx = parseTx(hexToBytes(t.hex));
    heights.set(bytesToHex(txidOf(tx)), t.height);
    for (const i of tx.inputs) spent.add(`${bytesToHex(i.prevout.txid)}:${i.prevout.vout}`);
  }
  return {
    confirmations: (txid: Uint8Array) => {
      const h = heights.get(bytesToHex(txid));
      return h === undefined ? undefined : j.tip - h + 1;
    },
    isSpent: (o: OutPoint) => spent.has(`${bytesToHex(o.txid)}:${o.vout}`),
    tipHeight: () => j.tip,
  };
}

/** The time of a session: one second after its latest BOLT 11 invoice timestamp, if any. */
export function sessionTimeMs(messages: readonly RecordedMessage[]): number | undefined {
  let latest: number | undefined;
  for (const m of messages) {
    if (m.dir !== "req") continue;
    let ts: number | undefined;
    try {
      if (m.type === 38 || m.type === 51) {
        const end = m.bytes.indexOf(0, 2);
        ts = decodeInvoice(new TextDecoder().decode(m.bytes.subarray(2, end))).timestamp;
      } else if (m.type === 8) {
        let t = 0;
        for (let i = 0; i < 7; i++) t = t * 32 + m.bytes[4 + i]!;
        ts = t;
      }
    } catch {
      ts = undefined;
    }
    if (ts !== undefined && (latest === undefined || ts > latest)) latest = ts;
  }
  return latest === undefined ? undefined : (latest + 1) * 1000;
}

/** Replays `messages` and returns the figures. */
export async function replaySession(
  messages: readonly RecordedMessage[],
  opts: ReplayOptions,
): Promise<ReplaySummary> {
  const store = opts.store ?? new MemoryStore();
  const now = sessionTimeMs(messages);
  const clock = opts.clock ?? (now === undefined ? Date.now : () => now);
  const summary: ReplaySummary = { requests: 0, identical: 0, different: 0, refused: {} };
  const refuse = (key: string): void => {
    summary.refused[key] = (summary.refused[key] ?? 0) + 1;
  };
  const procs = [...new Set(messages.map((m) => m.proc))].sort((a, b) => a - b);
  for (const proc of procs) {
    const msgs = messages.filter((m) => m.proc === proc);
    const hsmd = await Hsmd.open({
      hsmSecret: opts.hsmSecret,
      store,
      ...(opts.chain ? { chain: opts.chain } : {}),
      ...(opts.allowlist ? { allowlist: opts.allowlist } : {}),
      ...(opts.policyConfig ? { policyConfig: opts.policyConfig } : {}),
      clock,
      onRefusal: (ids) => {
        // Refusals answered without an error (declined pre-approvals) are counted here.
        for (const id of ids) refuse(id);
      },
    });
    const conns: (HsmdConnection | undefined)[] = [hsmd.root()];
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      if (m.dir !== "req") continue;
      summary.requests++;
      const recorded = msgs
        .slice(i + 1)
        .find((r) => r.dir === "rep" && r.conn.n === m.conn.n)?.bytes;
      const conn = conns[m.conn.n];
      let reply: Uint8Array | null = null;
      let failed = false;
      if (conn === undefined) {
        failed = true;
        refuse("cln/no-connection");
      } else {
        try {
          const r = await conn.handle(m.bytes);
          reply = r.message;
          if (r.newClient !== undefined) conns.push(r.newClient);
        } catch (e) {
          if (!(e instanceof HsmdClientError)) throw e;
          failed = true;
          if (e.ruleIds.length === 0) refuse(e.code);
          opts.onDifference?.(m.seq, m.name, [`refused: ${e.message}`]);
        }
      }
      const expected = m.type === 99 ? null : (recorded ?? null);
      const same =
        !failed &&
        (reply === null || expected === null ? reply === expected : equalBytes(reply, expected));
      if (same) {
        summary.identical++;
      } else {
        summary.different++;
        if (!failed) {
          opts.onDifference?.(m.seq, m.name, describeDifference(reply, expected));
        }
        if (m.type === 9 && conn !== undefined && failed) conns.push(undefined);
      }
    }
    await hsmd.close();
  }
  return summary;
}

/** Reads an hsm_secret file: 32 or 64 raw bytes, or their hex. */
export function readHsmSecretFile(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (raw.length === 32 || raw.length === 64) return new Uint8Array(raw);
  const text = raw.toString("utf8").trim();
  if (/^([0-9a-fA-F]{64}|[0-9a-fA-F]{128})$/.test(text)) return hexToBytes(text.toLowerCase());
  throw new Error(`${path}: not a 32/64-byte hsm_secret (raw or hex)`);
}
