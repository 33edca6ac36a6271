/**
 * The BIP 32 derivation claims of a PSBT input or output (BIP 174 PSBT_IN/OUT_BIP32_DERIVATION
 * and BIP 371 TAP_BIP32_DERIVATION), read from @scure/btc-signer's decoded maps. These are
 * CLAIMS by the node: the wallet only uses their paths, re-derives and compares scripts.
 */
import type { Transaction } from "@scure/btc-signer";

/** One claimed derivation: a full path from some master, and whether it was a taproot claim. */
export interface DerivationClaim {
  readonly fingerprint: number;
  readonly path: readonly number[];
  /** From a TAP_BIP32_DERIVATION entry. */
  readonly taproot: boolean;
  /** Taproot only: leaf hashes the key signs for (empty = key path). */
  readonly leafCount: number;
}

interface RawDer {
  fingerprint?: unknown;
  path?: unknown;
}

function claim(der: RawDer | undefined, taproot: boolean, leafCount: number): DerivationClaim[] {
  if (der === undefined || typeof der.fingerprint !== "number" || !Array.isArray(der.path)) {
    return [];
  }
  const path = der.path as unknown[];
  if (
    !path.every((i) => typeof i === "number" && Number.isInteger(i) && i >= 0 && i <= 0xffffffff)
  ) {
    return [];
  }
  return [{ fingerprint: der.fingerprint, path: path as number[], taproot, leafCount }];
}

type Entry = { bip32Derivation?: unknown; tapBip32Derivation?: unknown };

function claims(e: Entry): DerivationClaim[] {
  const out: DerivationClaim[] = [];
  const plain = (e.bip32Derivation ?? []) as [Uint8Array, RawDer][];
  for (const [, der] of plain) out.push(...claim(der, false, 0));
  const tap = (e.tapBip32Derivation ?? []) as [Uint8Array, { hashes?: unknown; der?: RawDer }][];
  for (const [, v] of tap) {
    const hashes = Array.isArray(v.hashes) ? v.hashes.length : 0;
    out.push(...claim(v.der, true, hashes));
  }
  return out;
}

/** Derivation claims of input `i` of a scure PSBT. */
export function inputClaims(psbt: Transaction, i: number): DerivationClaim[] {
  return claims(psbt.getInput(i) as Entry);
}

/** Derivation claims of output `i` of a scure PSBT. */
export function outputClaims(psbt: Transaction, i: number): DerivationClaim[] {
  return claims(psbt.getOutput(i) as Entry);
}
