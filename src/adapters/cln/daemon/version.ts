/**
 * The version warden-hsmd reports. lightningd checks its subdaemons twice (lightningd.c
 * test_subdaemons, subd.c handle_version): `<daemon> --version` must print lightningd's own
 * version string followed by a newline, and the daemon's first status message (status_version)
 * must carry exactly that string, or lightningd refuses to start (or re-execs itself). So the
 * string must equal the running lightningd's `lightningd --version` first line.
 *
 * WARDEN_CLN_VERSION sets it; "auto" asks the parent lightningd (its /proc/<ppid>/exe run with
 * --version); unset means the Core Lightning release Warden is verified against.
 */
import { spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { basename } from "node:path";
import { WardenError } from "../../../errors.js";

/** The Core Lightning release Warden's hsmd emulation is checked against (golden sessions). */
export const DEFAULT_CLN_VERSION = "v26.06.6";

/** The version string to report; WardenError "cln/version" if WARDEN_CLN_VERSION is unusable. */
export function clnVersion(env: NodeJS.ProcessEnv, parentPid: number = process.ppid): string {
  const configured = env.WARDEN_CLN_VERSION;
  if (configured === undefined || configured === "") return DEFAULT_CLN_VERSION;
  if (configured === "auto") return parentLightningdVersion(parentPid) ?? DEFAULT_CLN_VERSION;
  if (!/^[\x21-\x7e]{1,100}$/.test(configured)) {
    throw new WardenError(
      "cln/version",
      "WARDEN_CLN_VERSION must be printable ASCII without spaces (e.g. v26.06.6), or auto",
    );
  }
  return configured;
}

/** The first line of `<parent> --version` when the parent is lightningd, else undefined. */
export function parentLightningdVersion(parentPid: number): string | undefined {
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${parentPid}/exe`);
  } catch {
    return undefined;
  }
  if (basename(exe) !== "lightningd") return undefined;
  const r = spawnSync(exe, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const line = r.status === 0 ? r.stdout.split("\n")[0]!.trim() : "";
  return /^[\x21-\x7e]{1,100}$/.test(line) ? line : undefined;
}
