/**
 * Bitcoin addresses ⇄ scriptPubKeys: base58check P2PKH/P2SH and segwit bech32 (v0, BIP 173) /
 * bech32m (v1+, BIP 350). Checksums and base conversion come from @scure/base; all the Bitcoin
 * rules (network, variant, witness version, program length, case) are enforced here.
 *
 * Testnet and signet share the `tb` prefix; testnet, signet and regtest share the base58
 * version bytes, so a base58 address is accepted for any of the three test networks.
 *
 * Error codes: `format/address-type`, `-network` (valid address of another network),
 * `-mixed-case`, `-encoding` (bad characters, length, padding, checksum),
 * `-checksum-variant` (bech32 used for v1+ or bech32m for v0), `-witness-version`,
 * `-program-length`, `-version` (unknown base58 version byte), `-nonstandard` (script with no
 * address form).
 */
import { bech32, bech32m, createBase58check } from "@scure/base";
import { sha256 } from "../crypto/hash.js";
import { FormatError } from "../errors.js";
import {
  classifyOutput,
  p2pkhFromHash,
  p2shFromHash,
  witnessOutput,
  witnessProgram,
} from "./outputs.js";

/** Networks Warden knows addresses for. */
export type Network = "bitcoin" | "testnet" | "signet" | "regtest";

interface NetworkParams {
  hrp: string;
  pubKeyHash: number;
  scriptHash: number;
}

const PARAMS: Record<Network, NetworkParams> = {
  bitcoin: { hrp: "bc", pubKeyHash: 0x00, scriptHash: 0x05 },
  testnet: { hrp: "tb", pubKeyHash: 0x6f, scriptHash: 0xc4 },
  signet: { hrp: "tb", pubKeyHash: 0x6f, scriptHash: 0xc4 },
  regtest: { hrp: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4 },
};

const ALL_HRPS = ["bc", "tb", "bcrt"];

const base58check = createBase58check(sha256);

function fail(problem: string, message: string): never {
  throw new FormatError(`format/address-${problem}`, message);
}

function params(network: Network): NetworkParams {
  if (typeof network !== "string" || !Object.hasOwn(PARAMS, network)) {
    throw new FormatError("format/network", `unknown network ${String(network)}`);
  }
  return PARAMS[network];
}

function segwitToScript(address: string, hrp: string): Uint8Array {
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) {
    fail("mixed-case", "bech32 addresses must not mix upper and lower case");
  }
  let words: number[] | undefined;
  let isBech32m = false;
  try {
    words = bech32.decode(address as `${string}1${string}`).words;
  } catch {
    try {
      words = bech32m.decode(address as `${string}1${string}`).words;
      isBech32m = true;
    } catch {
      fail("encoding", "invalid bech32/bech32m string or checksum");
    }
  }
  const hrpPart = address.slice(0, address.lastIndexOf("1")).toLowerCase();
  if (hrpPart !== hrp) fail("network", `address prefix ${hrpPart} is not ${hrp}`);
  if (words.length < 1) fail("witness-version", "missing witness version");
  const version = words[0]!;
  if (version > 16) fail("witness-version", `witness version ${version} > 16`);
  if ((version === 0) === isBech32m) {
    fail("checksum-variant", version === 0 ? "v0 must use bech32" : "v1+ must use bech32m");
  }
  let program: Uint8Array;
  try {
    program = bech32.fromWords(words.slice(1));
  } catch {
    fail("encoding", "invalid witness program padding");
  }
  if (program.length < 2 || program.length > 40) {
    fail("program-length", `witness program of ${program.length} bytes`);
  }
  if (version === 0 && program.length !== 20 && program.length !== 32) {
    fail("program-length", "v0 witness program must be 20 or 32 bytes");
  }
  return witnessOutput(version, program);
}

function base58ToScript(address: string, p: NetworkParams): Uint8Array {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(address);
  } catch {
    fail("encoding", "invalid base58check string or checksum");
  }
  if (payload.length !== 21) fail("encoding", `base58 payload of ${payload.length} bytes`);
  const version = payload[0]!;
  const hash = payload.subarray(1);
  if (version === p.pubKeyHash) return p2pkhFromHash(hash);
  if (version === p.scriptHash) return p2shFromHash(hash);
  for (const other of Object.values(PARAMS)) {
    if (version === other.pubKeyHash || version === other.scriptHash) {
      fail("network", "address belongs to another network");
    }
  }
  fail("version", `unknown base58 version byte ${version}`);
}

/**
 * The scriptPubKey an address pays to on `network`. Rejects (FormatError) addresses of other
 * networks, bad checksums, the wrong bech32 variant, bad witness versions or program lengths,
 * and mixed-case bech32.
 */
export function addressToScript(address: string, network: Network): Uint8Array {
  const p = params(network);
  if (typeof address !== "string" || address.length === 0 || address.length > 90) {
    fail("type", "address must be a non-empty string of at most 90 characters");
  }
  const lower = address.toLowerCase();
  const sep = lower.lastIndexOf("1");
  const hrpPart = sep > 0 ? lower.slice(0, sep) : "";
  if (hrpPart === p.hrp) return segwitToScript(address, p.hrp);
  if (ALL_HRPS.includes(hrpPart)) {
    // Decode first so that garbage reports an encoding error rather than a network mismatch.
    segwitToScript(address, hrpPart);
    fail("network", `address prefix ${hrpPart} is not ${p.hrp}`);
  }
  return base58ToScript(address, p);
}

/**
 * The address of a standard scriptPubKey on `network` (P2PKH, P2SH, any segwit version);
 * FormatError `format/address-nonstandard` for scripts without an address form.
 */
export function scriptToAddress(script: Uint8Array, network: Network): string {
  const p = params(network);
  const c = classifyOutput(script);
  if (c.type === "p2pkh" || c.type === "p2sh") {
    const payload = new Uint8Array(21);
    payload[0] = c.type === "p2pkh" ? p.pubKeyHash : p.scriptHash;
    payload.set(c.hash!, 1);
    return base58check.encode(payload);
  }
  const wp = witnessProgram(script);
  if (
    wp !== undefined &&
    (wp.version !== 0 || wp.program.length === 20 || wp.program.length === 32)
  ) {
    const words = [wp.version, ...bech32.toWords(wp.program)];
    return wp.version === 0 ? bech32.encode(p.hrp, words) : bech32m.encode(p.hrp, words);
  }
  fail("nonstandard", `script of type ${c.type} has no address`);
}
