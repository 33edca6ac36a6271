/**
 * Running the crash driver (driver.ts) as a child process, killing it with SIGKILL at a chosen
 * moment, collecting the reply lines it wrote, and reading the channels' stored state.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChannelState } from "../../src/state/channel-state.js";
import { decodeState } from "../../src/state/codec.js";
import type { Store } from "../../src/store/store.js";
import { testKeySource } from "../signer/harness.js";
import { crashChannelId, CRASH_NODE_LABEL } from "./driver.js";
import { type DriverLine, parseLines } from "./protocol.js";

const DRIVER = fileURLToPath(new URL("./driver.js", import.meta.url));

/** How one run of the driver ended. */
export interface RunResult {
  lines: DriverLine[];
  /** True when our SIGKILL ended it. */
  killed: boolean;
  code: number | null;
  stderr: string;
}

/** When to SIGKILL: `ms` after the driver's "start" line, or after the spawn (while loading). */
export interface KillAt {
  ms: number;
  fromSpawn: boolean;
}

/**
 * Runs the driver with `env` (WARDEN_CRASH_*) until it exits, or kills it as `kill` says;
 * `extraRounds` bounds its rounds (default: it runs until killed).
 */
export function runDriver(
  env: Record<string, string>,
  kill: KillAt | undefined,
  extraRounds?: number,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRIVER], {
      env: {
        ...process.env,
        ...env,
        WARDEN_CRASH_DRIVER: "1",
        ...(extraRounds === undefined ? {} : { WARDEN_CRASH_EXTRA_ROUNDS: String(extraRounds) }),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let stderr = "";
    const lines: DriverLine[] = [];
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    const killIn = (ms: number): void => {
      timer = setTimeout(() => {
        killed = child.kill("SIGKILL");
      }, ms);
    };
    if (kill?.fromSpawn === true) killIn(kill.ms);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const parsed = parseLines(out + chunk);
      out = parsed.rest;
      for (const l of parsed.lines) {
        lines.push(l);
        if (l.t === "start" && kill !== undefined && !kill.fromSpawn) killIn(kill.ms);
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      // A partial last line is what a kill mid-write leaves: the driver never acted on it.
      resolve({ lines, killed: killed && signal === "SIGKILL", code, stderr });
    });
  });
}

/** Every crash channel's stored state (undefined: not created yet). */
export async function readStored(
  store: Store,
  channels: number,
): Promise<(ChannelState | undefined)[]> {
  const nodeHex = Buffer.from(testKeySource(CRASH_NODE_LABEL).nodeId()).toString("hex");
  const out: (ChannelState | undefined)[] = [];
  for (let i = 0; i < channels; i++) {
    const v = await store.get(`node/${nodeHex}/channel/${crashChannelId(i)}`);
    out.push(v === undefined ? undefined : decodeState<ChannelState>(v.value));
  }
  return out;
}
