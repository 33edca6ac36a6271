/**
 * secp256k1 backend over Warden's own N-API addon (native/secp256k1_addon.c) linked against the
 * system libsecp256k1. Loading is synchronous; failure is reported, never thrown, so the facade
 * can decide between falling back and refusing to start.
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { findNativeAddon, nativeAddonRelative } from "../util/native-addon.js";
import type { Secp256k1Backend } from "./backend.js";

/**
 * The functions exported by native/secp256k1_addon.c: the backend contract (minus its name),
 * plus init(), with xonlyTweakAdd returning 33 bytes (parity byte, then the tweaked x-only key),
 * ecdsaSign taking a boolean (Core-style low-R) and ecdsaSignCln grinding Core Lightning's way.
 */
type NativeAddon = Omit<Secp256k1Backend, "name" | "xonlyTweakAdd" | "ecdsaSign"> & {
  init(seed: Uint8Array): void;
  ecdsaSign(msg: Uint8Array, sec: Uint8Array, lowR: boolean): Uint8Array | null;
  ecdsaSignCln(msg: Uint8Array, sec: Uint8Array): Uint8Array | null;
  xonlyTweakAdd(xonly: Uint8Array, tweak: Uint8Array): Uint8Array | null;
};

/** Functions a current addon exports; a build older than this source lacks some of them. */
const REQUIRED_FUNCTIONS = ["init", "ecdsaSign", "ecdsaSignCln", "xonlyTweakAdd"] as const;

/** Outcome of trying to load the addon. */
export type NativeLoadResult =
  { ok: true; backend: Secp256k1Backend } | { ok: false; reason: string };

const ADDON = "warden_secp256k1";
const ADDON_RELATIVE = nativeAddonRelative(ADDON);

function wrap(addon: NativeAddon): Secp256k1Backend {
  return {
    name: "native",
    isValidSeckey: (sec) => addon.isValidSeckey(sec),
    isValidPublicKey: (pub) => addon.isValidPublicKey(pub),
    publicKey: (sec) => addon.publicKey(sec),
    ecdsaSign: (msg, sec, grind) =>
      grind === "cln" ? addon.ecdsaSignCln(msg, sec) : addon.ecdsaSign(msg, sec, grind === "core"),
    ecdsaVerify: (sig, msg, pub) => addon.ecdsaVerify(sig, msg, pub),
    pubkeyTweakAdd: (pub, tweak) => addon.pubkeyTweakAdd(pub, tweak),
    seckeyTweakAdd: (sec, tweak) => addon.seckeyTweakAdd(sec, tweak),
    seckeyTweakMul: (sec, tweak) => addon.seckeyTweakMul(sec, tweak),
    seckeyNegate: (sec) => addon.seckeyNegate(sec),
    pointAdd: (a, b) => addon.pointAdd(a, b),
    pointMul: (pub, scalar) => addon.pointMul(pub, scalar),
    ecdh: (sec, pub) => addon.ecdh(sec, pub),
    xonlyPublicKey: (sec) => addon.xonlyPublicKey(sec),
    schnorrSign: (msg, sec, aux) => addon.schnorrSign(msg, sec, aux),
    schnorrVerify: (sig, msg, xonly) => addon.schnorrVerify(sig, msg, xonly),
    xonlyTweakAdd: (xonly, tweak) => {
      const r = addon.xonlyTweakAdd(xonly, tweak);
      if (r === null) return null;
      return { xonly: r.subarray(1), parity: r[0] === 1 ? 1 : 0 };
    },
  };
}

/** Loads and initialises the addon (context randomised with 32 fresh bytes); never throws. */
export function loadNativeBackend(): NativeLoadResult {
  const path = findNativeAddon(ADDON);
  if (path === null) return { ok: false, reason: `${ADDON_RELATIVE} not built` };
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const missing = REQUIRED_FUNCTIONS.filter((f) => typeof addon[f] !== "function");
    if (missing.length > 0) {
      return {
        ok: false,
        reason: `${ADDON_RELATIVE} is outdated (no ${missing.join(", ")}); rebuild it`,
      };
    }
    addon.init(randomBytes(32));
    return { ok: true, backend: wrap(addon) };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
