/**
 * Where Warden's native addons are: node-gyp builds them into native/build/Release of the
 * package (scripts/build-native.mjs); compiled code runs from dist/, sources under test from
 * src/, so the package root is found by walking up from this module.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The addon's path relative to the package root, e.g. native/build/Release/<name>.node. */
export function nativeAddonRelative(name: string): string {
  return join("native", "build", "Release", `${name}.node`);
}

/** Absolute path of the built addon `name`, or null when it was not built. */
export function findNativeAddon(name: string): string | null {
  const relative = nativeAddonRelative(name);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}
