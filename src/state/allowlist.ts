/**
 * The owner's allowlist: where the signer may send money that leaves our wallet and channels,
 * and which payees may be paid. Three kinds of entry:
 * - `script`: an exact destination (an address is stored as its scriptPubKey);
 * - `xpub`: any single-key child (P2WPKH, P2PKH, or P2TR with the BIP 86 tweak) at a
 *   non-hardened path below an extended public key. A request names the child through the
 *   PSBT output's derivation path, which is re-derived and compared; without one, the first
 *   `gapLimit` children below the entry's scan prefix are derived once and cached;
 * - `payee`: a Lightning node id.
 *
 * Persisted through the Store under its own key, versioned. The node-facing signer only READS
 * it (`Allowlist`); changes go through `AllowlistAdmin`, a separate object meant for the admin
 * API (finance-key-signed). The two share nothing but the Store: a reader picks up committed
 * changes on `refresh()`.
 */
import { type Network, addressToScript, scriptToAddress } from "../bitcoin/address.js";
import { classifyOutput } from "../bitcoin/outputs.js";
import { isValidPublicKey } from "../crypto/secp256k1.js";
import { FormatError } from "../errors.js";
import { HARDENED } from "../keys/bip32.js";
import type { Store } from "../store/store.js";
import { bytesToHex, equalBytes } from "../util/bytes.js";
import {
  ExtendedPublicKey,
  type SingleKeyOutputKind,
  SINGLE_KEY_OUTPUT_KINDS,
  singleKeyScript,
} from "../keys/xpub.js";
import { decodeState, encodeState } from "./codec.js";

/** One allowlist entry. */
export type AllowlistEntry =
  | { readonly kind: "script"; readonly script: Uint8Array }
  | { readonly kind: "xpub"; readonly xpub: string; readonly scanPrefix: readonly number[] }
  | { readonly kind: "payee"; readonly nodeId: Uint8Array };

/** Why a script is allowlisted. */
export type AllowlistMatch =
  | { readonly kind: "script" }
  | {
      readonly kind: "xpub";
      readonly xpub: string;
      /** Path of the matching child below the xpub. */
      readonly path: readonly number[];
      readonly outputKind: SingleKeyOutputKind;
    };

/** Reader options. */
export interface AllowlistOptions {
  readonly network: Network;
  /** Children scanned below each xpub's scan prefix when no path is claimed; default 1000. */
  readonly gapLimit?: number;
}

interface AllowlistRecord {
  entries: AllowlistEntry[];
}

/** Longest child path below an xpub that a claimed derivation may name. */
const MAX_RELATIVE_DEPTH = 4;
const DEFAULT_GAP_LIMIT = 1000;

/** The Store key of the allowlist of node `nodeId`. */
export function allowlistKey(nodeId: Uint8Array): string {
  return `node/${bytesToHex(nodeId)}/allowlist`;
}

function decodeRecord(value: Uint8Array): AllowlistRecord {
  const r = decodeState<AllowlistRecord>(value);
  if (typeof r !== "object" || r === null || !Array.isArray(r.entries)) {
    throw new FormatError("state/allowlist", "stored allowlist is malformed");
  }
  return r;
}

function outputKindOf(script: Uint8Array): SingleKeyOutputKind | undefined {
  const t = classifyOutput(script).type;
  return t === "p2wpkh" || t === "p2tr" || t === "p2pkh" ? t : undefined;
}

function isNonHardenedPath(p: unknown, maxLen: number): p is number[] {
  return (
    Array.isArray(p) &&
    p.length <= maxLen &&
    p.every((i) => Number.isInteger(i) && i >= 0 && i < HARDENED)
  );
}

/** The signer's read-only view of the allowlist. */
export class Allowlist {
  readonly #store: Store;
  readonly #key: string;
  readonly #network: Network;
  readonly #gapLimit: number;
  #entries: readonly AllowlistEntry[] = [];
  #version = 0;
  readonly #xpubs = new Map<string, ExtendedPublicKey>();
  /** xpub|prefix → script hex → match, for the first gapLimit children. */
  readonly #scans = new Map<string, Map<string, AllowlistMatch>>();

  private constructor(store: Store, key: string, opts: AllowlistOptions) {
    this.#store = store;
    this.#key = key;
    this.#network = opts.network;
    const gap = opts.gapLimit ?? DEFAULT_GAP_LIMIT;
    if (!Number.isSafeInteger(gap) || gap < 0 || gap > 100_000) {
      throw new FormatError("state/allowlist", "gapLimit must be an integer in 0..100000");
    }
    this.#gapLimit = gap;
  }

  /** Opens the allowlist stored under `key` (empty when absent). */
  static async open(store: Store, key: string, opts: AllowlistOptions): Promise<Allowlist> {
    const a = new Allowlist(store, key, opts);
    await a.refresh();
    return a;
  }

  /** Store version of the entries held (0: none stored). */
  get version(): number {
    return this.#version;
  }

  /** The entries, as last loaded. */
  entries(): readonly AllowlistEntry[] {
    return this.#entries;
  }

  /** Reloads the entries if the stored version changed (picks up admin changes). */
  async refresh(): Promise<void> {
    const stored = await this.#store.get(this.#key);
    const version = stored?.version ?? 0;
    if (version === this.#version) return;
    const entries = stored === undefined ? [] : decodeRecord(stored.value).entries;
    for (const e of entries) {
      if (e.kind === "xpub" && !this.#xpubs.has(e.xpub)) {
        this.#xpubs.set(e.xpub, ExtendedPublicKey.parse(e.xpub, this.#network));
      }
    }
    this.#entries = Object.freeze(entries);
    this.#version = version;
  }

  /** True when `nodeId` is an allowlisted payee. */
  hasPayee(nodeId: Uint8Array): boolean {
    return this.#entries.some((e) => e.kind === "payee" && equalBytes(e.nodeId, nodeId));
  }

  /**
   * Why `script` is allowlisted, or undefined: an exact script entry, or a child of an xpub
   * entry — at one of `claimedPaths` (full BIP 32 paths as a PSBT names them; the part below
   * the xpub's depth is re-derived and compared), else among the first gapLimit children
   * below the entry's scan prefix.
   */
  matchScript(
    script: Uint8Array,
    claimedPaths: readonly (readonly number[])[] = [],
  ): AllowlistMatch | undefined {
    for (const e of this.#entries) {
      if (e.kind === "script" && equalBytes(e.script, script)) return { kind: "script" };
    }
    const outputKind = outputKindOf(script);
    if (outputKind === undefined) return undefined;
    const xpubEntries = this.#entries.filter((e) => e.kind === "xpub");
    for (const e of xpubEntries) {
      const xpub = this.#xpubs.get(e.xpub)!;
      for (const full of claimedPaths) {
        if (full.length <= xpub.depth) continue;
        const rel = full.slice(xpub.depth);
        if (!isNonHardenedPath(rel, MAX_RELATIVE_DEPTH)) continue;
        const child = xpub.derivePath(rel);
        if (equalBytes(singleKeyScript(outputKind, child.publicKey), script)) {
          return { kind: "xpub", xpub: e.xpub, path: rel, outputKind };
        }
      }
    }
    const hex = bytesToHex(script);
    for (const e of xpubEntries) {
      const hit = this.#scan(e.xpub, e.scanPrefix).get(hex);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  #scan(xpubText: string, prefix: readonly number[]): Map<string, AllowlistMatch> {
    const cacheKey = `${xpubText}|${prefix.join("/")}`;
    let m = this.#scans.get(cacheKey);
    if (m !== undefined) return m;
    m = new Map();
    const base = this.#xpubs.get(xpubText)!.derivePath(prefix);
    for (let i = 0; i < this.#gapLimit; i++) {
      const child = base.deriveChild(i);
      for (const outputKind of SINGLE_KEY_OUTPUT_KINDS) {
        const s = bytesToHex(singleKeyScript(outputKind, child.publicKey));
        m.set(s, { kind: "xpub", xpub: xpubText, path: [...prefix, i], outputKind });
      }
    }
    this.#scans.set(cacheKey, m);
    return m;
  }
}

/**
 * The allowlist's mutating API, kept off the node-facing surface (the admin API owns it).
 * Every change re-reads the stored record and commits at its version, so concurrent admins
 * never lose each other's changes (a race surfaces as StoreConflictError, nothing written).
 */
export class AllowlistAdmin {
  readonly #store: Store;
  readonly #key: string;
  readonly #network: Network;

  private constructor(store: Store, key: string, network: Network) {
    this.#store = store;
    this.#key = key;
    this.#network = network;
  }

  /** An admin handle for the allowlist stored under `key` on `network`. */
  static open(store: Store, key: string, network: Network): AllowlistAdmin {
    return new AllowlistAdmin(store, key, network);
  }

  /** The stored entries. */
  async entries(): Promise<readonly AllowlistEntry[]> {
    const stored = await this.#store.get(this.#key);
    return stored === undefined ? [] : decodeRecord(stored.value).entries;
  }

  /** Allowlists an address of the admin's network (stored as its scriptPubKey). */
  async addAddress(address: string): Promise<void> {
    await this.addScript(addressToScript(address, this.#network));
  }

  /** Allowlists an exact scriptPubKey (must have an address form). */
  async addScript(script: Uint8Array): Promise<void> {
    scriptToAddress(script, this.#network); // FormatError for scripts no one can pay to
    await this.#update((es) =>
      es.some((e) => e.kind === "script" && equalBytes(e.script, script))
        ? es
        : [...es, { kind: "script", script: Uint8Array.from(script) }],
    );
  }

  /** Allowlists every single-key child of `xpub` (scanned below `scanPrefix`, e.g. [0] for receive). */
  async addXpub(xpub: string, scanPrefix: readonly number[] = []): Promise<void> {
    ExtendedPublicKey.parse(xpub, this.#network);
    if (!isNonHardenedPath(scanPrefix, MAX_RELATIVE_DEPTH - 1)) {
      throw new FormatError("state/allowlist", "scanPrefix must be a short non-hardened path");
    }
    await this.#update((es) =>
      es.some(
        (e) =>
          e.kind === "xpub" && e.xpub === xpub && e.scanPrefix.join("/") === scanPrefix.join("/"),
      )
        ? es
        : [...es, { kind: "xpub", xpub, scanPrefix: [...scanPrefix] }],
    );
  }

  /** Allowlists a payee node id (33-byte compressed key). */
  async addPayee(nodeId: Uint8Array): Promise<void> {
    if (!isValidPublicKey(nodeId)) {
      throw new FormatError("state/allowlist", "a payee must be a compressed public key");
    }
    await this.#update((es) =>
      es.some((e) => e.kind === "payee" && equalBytes(e.nodeId, nodeId))
        ? es
        : [...es, { kind: "payee", nodeId: Uint8Array.from(nodeId) }],
    );
  }

  /** Removes every entry for which `match` holds. */
  async remove(match: (e: AllowlistEntry) => boolean): Promise<void> {
    await this.#update((es) => {
      const kept = es.filter((e) => !match(e));
      return kept.length === es.length ? es : kept;
    });
  }

  async #update(f: (es: AllowlistEntry[]) => AllowlistEntry[]): Promise<void> {
    const stored = await this.#store.get(this.#key);
    const before = stored === undefined ? [] : decodeRecord(stored.value).entries;
    const after = f(before);
    if (after === before) return;
    const record: AllowlistRecord = { entries: after };
    await this.#store.commit([
      { key: this.#key, value: encodeState(record), expectedVersion: stored?.version ?? 0 },
    ]);
  }
}
