/** Loads Core Lightning golden hsmd sessions (../shared/reference/cln/golden) for key tests. */
import { existsSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { hexToBytes } from "../../src/util/bytes.js";

/** Repository root (dist/test/keys/ → root). */
export const repoRoot = new URL("../../../", import.meta.url);

/**
 * The shared reference directory: $WARDEN_SHARED_DIR, else ../shared next to the repository,
 * else (in a git worktree elsewhere) ../shared next to the main worktree its `.git` file names.
 */
function findSharedDir(): URL {
  const env = process.env["WARDEN_SHARED_DIR"];
  if (env !== undefined && env !== "") return pathToFileURL(env.endsWith("/") ? env : `${env}/`);
  const sibling = new URL("../shared/", repoRoot);
  if (existsSync(sibling)) return sibling;
  const dotGit = new URL(".git", repoRoot);
  if (existsSync(dotGit)) {
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"));
    if (m !== null) {
      // <main>/.git/worktrees/<name> → <main>/../shared
      const shared = new URL("../../../../shared/", pathToFileURL(`${m[1]!.trim()}/`));
      if (existsSync(shared)) return shared;
    }
  }
  return sibling;
}

/** The shared reference directory (see findSharedDir). */
export const sharedDir = findSharedDir();
/** The golden directory. */
export const goldenDir = new URL("reference/cln/golden/", sharedDir);

/** One recorded hsmd wire message. */
export interface GoldenMsg {
  seq: number;
  proc: number;
  conn: { kind: string; peer_id: string | null; dbid: number; permissions: number; n: number };
  dir: "req" | "rep";
  type: number;
  name: string;
  bytes: Uint8Array;
}

/** All messages of one scenario file, e.g. ("scenario1", "A"). */
export function loadSession(scenario: string, node: "A" | "B"): GoldenMsg[] {
  const text = readFileSync(new URL(`${scenario}/${node}.jsonl`, goldenDir), "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const j = JSON.parse(l) as Omit<GoldenMsg, "bytes"> & { hex: string };
      return { ...j, bytes: hexToBytes(j.hex) };
    });
}

/** Request/reply pairs of request type `reqType`: each reply is the next message on the same connection. */
export function pairs(msgs: GoldenMsg[], reqType: number): Array<[GoldenMsg, GoldenMsg]> {
  const out: Array<[GoldenMsg, GoldenMsg]> = [];
  msgs.forEach((m, i) => {
    if (m.dir !== "req" || m.type !== reqType) return;
    const rep = msgs
      .slice(i + 1)
      .find((r) => r.proc === m.proc && r.conn.n === m.conn.n && r.dir === "rep");
    if (rep !== undefined) out.push([m, rep]);
  });
  return out;
}

/** The node's 32-byte hsm_secret. */
export function hsmSecret(node: "A" | "B"): Uint8Array {
  return hexToBytes(readFileSync(new URL(`hsm_secret-${node}.hex`, goldenDir), "utf8").trim());
}

/** Minimal big-endian cursor over a wire message. */
export class Cursor {
  off = 0;
  constructor(readonly b: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.off + n > this.b.length) throw new Error("short message");
    const out = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    const t = this.take(2);
    return (t[0]! << 8) | t[1]!;
  }
  u32(): number {
    const t = this.take(4);
    return new DataView(t.buffer, t.byteOffset, 4).getUint32(0, false);
  }
  u64(): bigint {
    const t = this.take(8);
    return new DataView(t.buffer, t.byteOffset, 8).getBigUint64(0, false);
  }
}
