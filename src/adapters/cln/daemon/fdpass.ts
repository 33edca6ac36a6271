/**
 * Loader for Warden's fd-passing addon (native/fdpass_addon.c): socketpair(2) and SCM_RIGHTS,
 * which Node cannot do. Built by node-gyp at `npm install` next to the secp256k1 addon.
 */
import { createRequire } from "node:module";
import { WardenError } from "../../../errors.js";
import { findNativeAddon, nativeAddonRelative } from "../../../util/native-addon.js";

/** The functions native/fdpass_addon.c exports; errors carry code "fdpass/<reason>". */
export interface FdPass {
  /** A new AF_UNIX SOCK_STREAM pair, both ends blocking and close-on-exec. */
  socketpair(): [number, number];
  /** Sends one 0x00 byte carrying `fd` (SCM_RIGHTS); false when `sock` is non-blocking and full. */
  sendFd(sock: number, fd: number): boolean;
  /** Receives one byte and the fd sent with it; null when non-blocking and nothing is there. */
  recvFd(sock: number): { fd: number; byte: number } | null;
  /** True when O_NONBLOCK is clear. */
  isBlocking(fd: number): boolean;
  setBlocking(fd: number, blocking: boolean): boolean;
  /** Waits until `fd` is readable (data, EOF or error): false on timeout. */
  waitReadable(fd: number, timeoutMs: number): boolean;
  close(fd: number): boolean;
}

/** The addon could not be loaded: code "cln/fdpass-missing". */
export class FdPassUnavailableError extends WardenError {}

const ADDON = "warden_fdpass";

let cached: FdPass | undefined;

/** The loaded addon; FdPassUnavailableError (saying how to build it) when it is missing or broken. */
export function requireFdPass(): FdPass {
  if (cached !== undefined) return cached;
  const path = findNativeAddon(ADDON);
  let reason: string;
  if (path === null) {
    reason = `${nativeAddonRelative(ADDON)} was not built`;
  } else {
    try {
      cached = createRequire(import.meta.url)(path) as FdPass;
      return cached;
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
  }
  throw new FdPassUnavailableError(
    "cln/fdpass-missing",
    `the fd-passing addon is unavailable (${reason}); install build tools ` +
      "(build-essential python3) and run `npm rebuild` or `node scripts/build-native.mjs`",
  );
}
