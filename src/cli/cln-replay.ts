/**
 * `warden cln replay --hsm-secret-file F [--chain chain-txs.json] [--allowlist ADDRESS]...
 * SESSION.jsonl`: replays a recorded hsmd session against Warden (src/adapters/cln/replay.ts),
 * prints each difference (decoded, field by field) on stderr and ends with one JSON line on
 * stdout: {"requests":N,"identical":N,"different":N,"refused":{"rule-id":count}}.
 */
import { readFileSync } from "node:fs";
import {
  chainViewFromJson,
  parseSession,
  readHsmSecretFile,
  replaySession,
  type ReplaySummary,
} from "../adapters/cln/replay.js";

/** Usage line of `warden cln replay`. */
export const CLN_REPLAY_USAGE = `usage: warden cln replay --hsm-secret-file F [--chain chain-txs.json] [--allowlist ADDRESS]... SESSION.jsonl`;

/** Parsed command line of `cln replay`. */
export interface ClnReplayArgs {
  hsmSecretFile: string;
  chainFile: string | undefined;
  allowlist: string[];
  session: string;
}

/** Parses the arguments after `cln replay`; throws Error with the usage on a mistake. */
export function parseClnReplayArgs(argv: readonly string[]): ClnReplayArgs {
  let hsmSecretFile: string | undefined;
  let chainFile: string | undefined;
  const allowlist: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${CLN_REPLAY_USAGE}`);
      return v;
    };
    if (a === "--hsm-secret-file") hsmSecretFile = value();
    else if (a === "--chain") chainFile = value();
    else if (a === "--allowlist") allowlist.push(value());
    else if (a.startsWith("--")) throw new Error(`unknown option ${a}\n${CLN_REPLAY_USAGE}`);
    else rest.push(a);
  }
  if (hsmSecretFile === undefined || rest.length !== 1) throw new Error(CLN_REPLAY_USAGE);
  return { hsmSecretFile, chainFile, allowlist, session: rest[0]! };
}

/** Runs the replay; resolves to its summary (already printed). */
export async function runClnReplay(argv: readonly string[]): Promise<ReplaySummary> {
  const args = parseClnReplayArgs(argv);
  const messages = parseSession(readFileSync(args.session, "utf8"));
  const summary = await replaySession(messages, {
    hsmSecret: readHsmSecretFile(args.hsmSecretFile),
    ...(args.chainFile ? { chain: chainViewFromJson(readFileSync(args.chainFile, "utf8")) } : {}),
    allowlist: args.allowlist,
    onDifference: (seq, name, lines) => {
      process.stderr.write(`seq ${seq} ${name}:\n${lines.map((l) => `  ${l}`).join("\n")}\n`);
    },
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return summary;
}
