#!/usr/bin/env node
/**
 * Builds Warden's native addons (native/binding.gyp) with node-gyp. Runs at `npm ci` / `npm install`.
 *   - warden_fdpass: socketpair + SCM_RIGHTS fd passing, needed by `warden-hsmd` (Core Lightning).
 *   - warden_secp256k1: libsecp256k1 backend (falls back to WASM without it).
 *
 * On failure it prints a loud warning naming each missing addon and exits 0: Warden then runs on
 * the slower WASM backend, and `warden-hsmd` refuses to start. With WARDEN_REQUIRE_NATIVE=1 a
 * failure exits 1 instead (CI).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = join(root, "native");
const required = process.env.WARDEN_REQUIRE_NATIVE === "1";

/** Candidate node-gyp entry points: npm's bundled copy (run with this node), then PATH. */
function nodeGypCommands() {
  const scripts = [];
  if (process.env.npm_execpath) {
    scripts.push(
      join(
        dirname(process.env.npm_execpath),
        "..",
        "node_modules",
        "node-gyp",
        "bin",
        "node-gyp.js",
      ),
    );
  }
  const prefix = resolve(dirname(process.execPath), "..");
  scripts.push(
    join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  );
  scripts.push(
    join(
      dirname(process.execPath),
      "node_modules",
      "npm",
      "node_modules",
      "node-gyp",
      "bin",
      "node-gyp.js",
    ),
  );
  const cmds = [];
  for (const s of scripts) if (existsSync(s)) cmds.push([process.execPath, s]);
  cmds.push(["node-gyp"]);
  return cmds;
}

/** Use the headers shipped next to this node binary when no nodedir is configured (offline builds). */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = resolve(dirname(process.execPath), "..");
  return existsSync(join(prefix, "include", "node", "common.gypi")) ? [`--nodedir=${prefix}`] : [];
}

function tryBuild() {
  const failures = [];
  for (const [cmd, ...pre] of nodeGypCommands()) {
    const args = [...pre, "rebuild", ...nodedirArgs()];
    const r = spawnSync(cmd, args, { cwd: nativeDir, stdio: "inherit", env: process.env });
    if (r.error) {
      failures.push(`${cmd} ${args.join(" ")}: ${r.error.message}`);
      continue;
    }
    if (r.status === 0) return { ok: true };
    failures.push(`${cmd} ${args.join(" ")}: exit ${r.status ?? r.signal}`);
    // node-gyp ran and failed: a different copy of it will not fix a compile/link error.
    break;
  }
  return { ok: false, failures };
}

const ADDONS = [
  {
    file: "warden_fdpass.node",
    without: [
      "!! Without warden_fdpass, `warden-hsmd` (Warden as Core Lightning's hsmd) cannot pass",
      "!! client sockets to lightningd and refuses to start.",
    ],
  },
  {
    file: "warden_secp256k1.node",
    without: [
      "!! Without warden_secp256k1, Warden falls back to the WASM libsecp256k1 backend",
      "!! (tiny-secp256k1), which is correct but roughly 4-6x slower for signing and verification.",
    ],
  },
];

const result = existsSync(join(nativeDir, "binding.gyp"))
  ? tryBuild()
  : { ok: false, failures: ["native/binding.gyp missing"] };

// The fdpass target comes first in binding.gyp, so a missing libsecp256k1 does not stop it.
const built = (a) => existsSync(join(nativeDir, "build", "Release", a.file));
const missing = ADDONS.filter((a) => !built(a));

if (result.ok && missing.length === 0) {
  for (const a of ADDONS)
    console.log(`warden: native addon built (native/build/Release/${a.file})`);
  process.exit(0);
}

const bar = "!".repeat(78);
console.warn(
  [
    "",
    bar,
    `!! WARNING: Warden's native addon(s) could NOT be built: ${missing.map((a) => a.file).join(", ") || "(build failed)"}`,
    "!!",
    ...(result.failures ?? []).map((f) => `!!   ${f}`),
    "!!",
    ...missing.flatMap((a) => [...a.without, "!!"]),
    "!! To fix (Debian/Ubuntu):",
    "!!   sudo apt-get install -y build-essential python3 libsecp256k1-dev",
    "!!   npm rebuild        # or: node scripts/build-native.mjs",
    "!!",
    "!! Set WARDEN_REQUIRE_NATIVE=1 to make this a hard error (CI does).",
    bar,
    "",
  ].join("\n"),
);
process.exit(required ? 1 : 0);
