/**
 * Process entry of `warden-hsmd` (bin/warden-hsmd execs node on this file): the command of
 * cli.ts with the real hsmd service, SIGTERM/SIGINT handling, and a last-resort report of a
 * programming error (status_fail to lightningd, exit 0x83) instead of a silent crash.
 */
import { runWardenHsmd } from "./cli.js";
import { ExitCode } from "./daemon.js";
import { FailReason } from "./status-wire.js";

const daemon = runWardenHsmd({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  exit: (code) => process.exit(code),
  // Loaded only when lightningd sends hsmd_init, so `--version` stays quick.
  openService: async (init, ctx) =>
    (await import("./open-service.js")).openWardenHsmdService(init, ctx),
});

if (daemon !== undefined) {
  const stop = (): void => void daemon.shutdown(ExitCode.ok);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  let failing = false;
  const fatal = (e: unknown): void => {
    if (failing) return;
    failing = true;
    daemon.status.fatal(
      FailReason.internalError,
      `internal error: ${e instanceof Error ? e.message : String(e)}`,
    );
    void daemon.status.flush(1000).finally(() => process.exit(ExitCode.internalError));
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
}
