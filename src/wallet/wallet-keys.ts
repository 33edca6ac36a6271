/**
 * Our on-chain wallet's keys: a BIP 32 root (Core Lightning: the wallet root m/0/0, whose key k
 * is keys.walletKey(k); LDK-style wallets pass their own root, e.g. an account key) and the
 * path of that root below the master, as PSBT derivation claims write it. A claimed path is
 * only a hint: the key is re-derived from the root and its script compared with the script
 * actually spent or paid, so a lying claim never makes a foreign script "ours".
 */
import { classifyOutput, p2wpkh } from "../bitcoin/outputs.js";
import { FormatError } from "../errors.js";
import type { ExtendedPrivateKey } from "../keys/bip32.js";
import { equalBytes } from "../util/bytes.js";
import type { DerivationClaim } from "./derivations.js";
import { bip86Script } from "../keys/xpub.js";

/** Where the wallet's keys come from. */
export interface WalletKeyOptions {
  /** BIP 32 root of the wallet (CLN: `clnKeyDeriver(secret).walletRoot()`). */
  readonly root: ExtendedPrivateKey;
  /** Path of `root` below the master, as PSBT claims write it (CLN: [0, 0]); default []. */
  readonly rootPath?: readonly number[];
  /** Master fingerprint claims must name; default: any (paths are re-derived regardless). */
  readonly masterFingerprint?: number;
  /** Longest path below the root a claim may name; default 4. */
  readonly maxRelativeDepth?: number;
}

/** Script kinds the wallet spends and receives. */
export type WalletScriptKind = "p2wpkh" | "p2tr";

/** A wallet key that re-derives to a given script. */
export interface OwnedKey {
  readonly kind: WalletScriptKind;
  /** Path below the root. */
  readonly path: readonly number[];
  readonly key: ExtendedPrivateKey;
}

const CACHE_MAX = 10_000;

/** Re-derives wallet keys from claimed paths and matches them against scripts. */
export class WalletKeys {
  readonly #root: ExtendedPrivateKey;
  readonly #rootPath: readonly number[];
  readonly #fingerprint: number | undefined;
  readonly #maxDepth: number;
  readonly #cache = new Map<string, ExtendedPrivateKey>();

  constructor(opts: WalletKeyOptions) {
    this.#root = opts.root;
    this.#rootPath = [...(opts.rootPath ?? [])];
    this.#fingerprint = opts.masterFingerprint;
    this.#maxDepth = opts.maxRelativeDepth ?? 4;
    if (!Number.isInteger(this.#maxDepth) || this.#maxDepth < 1 || this.#maxDepth > 16) {
      throw new FormatError("wallet/options", "maxRelativeDepth must be in 1..16");
    }
  }

  /** The key at `path` below the root (cached). */
  keyAt(path: readonly number[]): ExtendedPrivateKey {
    const id = path.join("/");
    let k = this.#cache.get(id);
    if (k === undefined) {
      k = this.#root.derivePath(path);
      if (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(id, k);
    }
    return k;
  }

  /** The scriptPubKey of our `kind` key at `path` below the root. */
  script(kind: WalletScriptKind, path: readonly number[]): Uint8Array {
    const pub = this.keyAt(path).publicKey;
    return kind === "p2wpkh" ? p2wpkh(pub) : bip86Script(pub);
  }

  /** The full path (as a PSBT claims it) of `path` below the root. */
  fullPath(path: readonly number[]): number[] {
    return [...this.#rootPath, ...path];
  }

  /** The path below the root a claim names, if it names one at all. */
  #relative(c: DerivationClaim): number[] | undefined {
    if (this.#fingerprint !== undefined && c.fingerprint !== this.#fingerprint) return undefined;
    const n = this.#rootPath.length;
    if (c.path.length <= n || c.path.length - n > this.#maxDepth) return undefined;
    for (let i = 0; i < n; i++) if (c.path[i] !== this.#rootPath[i]) return undefined;
    return c.path.slice(n);
  }

  /** Our key that pays exactly `script` (P2WPKH, or BIP 86 P2TR key path) at one of `claims`. */
  match(script: Uint8Array, claims: readonly DerivationClaim[]): OwnedKey | undefined {
    const type = classifyOutput(script).type;
    if (type !== "p2wpkh" && type !== "p2tr") return undefined;
    for (const c of claims) {
      if (type === "p2tr" && c.leafCount > 0) continue;
      const path = this.#relative(c);
      if (path === undefined) continue;
      if (equalBytes(this.script(type, path), script)) {
        return { kind: type, path, key: this.keyAt(path) };
      }
    }
    return undefined;
  }
}
