/**
 * The BOLT 11 human-readable part: "ln" + currency prefix + optional amount. The amount is a
 * positive decimal integer with no leading zeros, optionally followed by a multiplier
 * m (10^-3), u (10^-6), n (10^-9) or p (10^-12) of a bitcoin; with `p` the last digit must be 0
 * so that the amount is a whole number of millisatoshi. Amounts are bigint msat, at most the
 * 21 million BTC supply. Error codes: `bolt11/prefix`, `bolt11/amount`.
 */
import type { Network } from "../bitcoin/address.js";
import { FormatError } from "../errors.js";

/** The currency prefix (after "ln") of each network; signet's `tbs` is matched before `tb`. */
const CURRENCY_PREFIX: Readonly<Record<Network, string>> = {
  bitcoin: "bc",
  testnet: "tb",
  signet: "tbs",
  regtest: "bcrt",
};

/** Longest prefix first, so "bcrt" wins over "bc" and "tbs" over "tb". */
const BY_LENGTH = (Object.entries(CURRENCY_PREFIX) as [Network, string][]).sort(
  (a, b) => b[1].length - a[1].length,
);

/** Pico-bitcoin per unit of each multiplier ("" = whole bitcoin). */
const PICO_PER_UNIT: ReadonlyArray<readonly [string, bigint]> = [
  ["", 1_000_000_000_000n],
  ["m", 1_000_000_000n],
  ["u", 1_000_000n],
  ["n", 1_000n],
  ["p", 1n],
];

/** 21 million BTC in msat: no invoice may ask for more. */
export const MAX_AMOUNT_MSAT = 21_000_000n * 100_000_000_000n;

/** A parsed human-readable part. */
export interface InvoiceHrp {
  readonly network: Network;
  /** Amount in millisatoshi, or undefined when the invoice leaves it to the payer. */
  readonly amountMsat: bigint | undefined;
}

function badAmount(message: string): never {
  throw new FormatError("bolt11/amount", message);
}

/** Parses an amount such as "2500u" into msat; FormatError `bolt11/amount` on anything non-canonical. */
export function parseAmount(text: string): bigint {
  const m = /^([0-9]+)([munp]?)$/.exec(text);
  if (m === null) badAmount("amount must be digits followed by an optional m, u, n or p");
  const digits = m[1]!;
  if (digits.startsWith("0")) badAmount("amount must be positive with no leading zeros");
  if (digits.length > 30) badAmount("amount is too large");
  const pico = BigInt(digits) * PICO_PER_UNIT.find(([s]) => s === m[2])![1];
  if (pico % 10n !== 0n) badAmount("a p amount must end in 0 (whole millisatoshi)");
  const msat = pico / 10n;
  if (msat > MAX_AMOUNT_MSAT) badAmount("amount exceeds 21 million BTC");
  return msat;
}

/** The shortest amount text for `msat` (largest multiplier giving an integer), e.g. 250000000n → "2500u". */
export function formatAmount(msat: bigint): string {
  if (typeof msat !== "bigint" || msat <= 0n || msat > MAX_AMOUNT_MSAT) {
    badAmount("amount must be a positive bigint msat of at most 21 million BTC");
  }
  const pico = msat * 10n;
  for (const [suffix, unit] of PICO_PER_UNIT) {
    if (pico % unit === 0n) return `${pico / unit}${suffix}`;
  }
  throw new Error("unreachable: p divides every amount");
}

/** Parses a lower-case hrp ("lnbc2500u"); FormatError `bolt11/prefix` for an unknown currency. */
export function parseHrp(hrp: string): InvoiceHrp {
  if (!hrp.startsWith("ln")) throw new FormatError("bolt11/prefix", "prefix must start with ln");
  const rest = hrp.slice(2);
  for (const [network, prefix] of BY_LENGTH) {
    if (!rest.startsWith(prefix)) continue;
    const amount = rest.slice(prefix.length);
    // After a known prefix, anything but nothing or a digit means another (unknown) prefix.
    if (amount !== "" && !/^[0-9]/.test(amount)) continue;
    return { network, amountMsat: amount === "" ? undefined : parseAmount(amount) };
  }
  throw new FormatError("bolt11/prefix", "unknown currency prefix");
}

/** The hrp for `network` and an optional amount in msat. */
export function formatHrp(network: Network, amountMsat: bigint | undefined): string {
  if (!Object.hasOwn(CURRENCY_PREFIX, network)) {
    throw new FormatError("bolt11/prefix", `unknown network ${String(network)}`);
  }
  return `ln${CURRENCY_PREFIX[network]}${amountMsat === undefined ? "" : formatAmount(amountMsat)}`;
}
