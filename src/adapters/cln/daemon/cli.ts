/**
 * The `warden-hsmd` command: what lightningd runs as its hsmd (`--subdaemon=hsmd:PATH`).
 *   warden-hsmd --version      prints the Core Lightning version string and a newline, exits 0
 *   warden-hsmd [lightningd's flags] [--warden-store=SPEC]
 *                              serves lightningd: status socket on fd 0, requests on fd 3
 * lightningd passes --developer, --log-io, --log-trace, --dev-debug-self; they are accepted.
 * Environment: WARDEN_STORE (store spec), WARDEN_ALLOWLIST (addresses, comma-separated),
 * WARDEN_CLN_VERSION (version string or "auto"). Flags override the environment.
 */
import { fstatSync } from "node:fs";
import { HsmdDaemon, ExitCode } from "./daemon.js";
import { type FdPass, requireFdPass } from "./fdpass.js";
import type { HsmdService } from "./service.js";
import { StatusChannel, type LineSink } from "./status-channel.js";
import { FailReason } from "./status-wire.js";
import type { SingleStoreConfig } from "../../../store/open-store.js";
import { describeStoreSpec, parseStoreSpec } from "./store-config.js";
import { clnVersion } from "./version.js";

/** lightningd's fds for its hsmd. */
export const STATUS_FD = 0;
export const MASTER_FD = 3;

/** What the command needs from its surroundings (the real process, or a test). */
export interface WardenHsmdEnvironment {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdout: LineSink;
  readonly stderr: LineSink;
  exit(code: number): void;
  /** Opens the service for hsmd_init `init`: loads hsm_secret from `cwd`, opens the store. */
  openService(
    init: Uint8Array,
    ctx: {
      cwd: string;
      store: SingleStoreConfig;
      allowlist: readonly string[];
      status: StatusChannel;
    },
  ): Promise<HsmdService>;
  /** The fd-passing addon (default: the built one). */
  fdpass?: () => FdPass;
}

/** Flags lightningd may pass to any subdaemon (lightningd/subd.c). */
const LIGHTNINGD_FLAGS = new Set(["--developer", "--log-io", "--log-trace", "--dev-debug-self"]);

const USAGE = `usage: warden-hsmd --version
       warden-hsmd [--warden-store=sqlite|sqlite:DIR|postgresql://…|memory]
                   [--warden-allowlist=ADDR,...]
                   (started by lightningd)

Run Core Lightning with Warden as its hsmd:
  lightningd --subdaemon=hsmd:/absolute/path/to/warden-hsmd
hsm_secret is read from lightningd's network directory; state goes to the store
(default: warden.sqlite3 in that directory; WARDEN_STORE sets it too). Payments out of the
node's wallet and channels may only go to the node's own wallet or to allowlisted addresses
(WARDEN_ALLOWLIST, comma-separated).`;

/** Runs the command; returns the daemon when it is serving. */
export function runWardenHsmd(e: WardenHsmdEnvironment): HsmdDaemon | undefined {
  const args = e.argv;
  let version: string;
  try {
    version = clnVersion(e.env);
  } catch (err) {
    e.stderr(`warden-hsmd: ${(err as Error).message}`);
    e.exit(1);
    return undefined;
  }
  // lightningd checks `--version` alone (common/subdaemon.c prints it only when it is argv[1] of 2).
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    e.stdout(version);
    e.exit(0);
    return undefined;
  }
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    e.stdout(USAGE);
    e.exit(0);
    return undefined;
  }
  let storeArg: string | undefined = e.env.WARDEN_STORE;
  let allowlistArg: string | undefined = e.env.WARDEN_ALLOWLIST;
  for (const a of args) {
    if (a.startsWith("--warden-store=")) storeArg = a.slice("--warden-store=".length);
    else if (a.startsWith("--warden-allowlist="))
      allowlistArg = a.slice("--warden-allowlist=".length);
    else if (!LIGHTNINGD_FLAGS.has(a)) e.stderr(`warden-hsmd: ignoring unknown argument ${a}`);
  }
  const allowlist = parseAllowlist(allowlistArg);
  let store: SingleStoreConfig;
  try {
    store = parseStoreSpec(storeArg, e.cwd);
  } catch (err) {
    e.stderr(`warden-hsmd: ${(err as Error).message}`);
    e.exit(1);
    return undefined;
  }
  if (!isSocket(MASTER_FD)) {
    e.stderr(
      `warden-hsmd: fd ${MASTER_FD} is not a socket: warden-hsmd is started by lightningd ` +
        `(--subdaemon=hsmd:PATH).\n${USAGE}`,
    );
    e.exit(1);
    return undefined;
  }
  const statusFd = isSocket(STATUS_FD) ? STATUS_FD : null;
  let fdpass: FdPass;
  try {
    fdpass = (e.fdpass ?? requireFdPass)();
  } catch (err) {
    const status = new StatusChannel(statusFd, e.stderr, () => undefined);
    status.version(version);
    status.fatal(FailReason.internalError, (err as Error).message);
    void status.flush().then(() => e.exit(ExitCode.internalError));
    return undefined;
  }
  const daemon: HsmdDaemon = new HsmdDaemon({
    statusFd,
    masterFd: MASTER_FD,
    version,
    fdpass,
    stderr: e.stderr,
    exit: e.exit,
    openService: (init) =>
      e.openService(init, { cwd: e.cwd, store, allowlist, status: daemon.status }),
  });
  daemon.status.info(
    `Warden hsmd ${version} serving lightningd; store: ${describeStoreSpec(store)}`,
  );
  if (statusFd === null)
    e.stderr("warden-hsmd: fd 0 is not a socket: status reports go to stderr only");
  return daemon;
}

/** Comma- or space-separated addresses (checked against the network at hsmd_init). */
export function parseAllowlist(spec: string | undefined): string[] {
  return (spec ?? "").split(/[\s,]+/).filter((a) => a !== "");
}

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}
