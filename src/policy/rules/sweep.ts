/**
 * Sweep rules (catalogue section "Sweeps"): a transaction spending one of our channel outputs
 * after a close (delayed to_local, HTLC outputs, to_remote, justice, anchors) must be version
 * 2, carry exactly the relative / absolute lock its script needs and nothing that delays it,
 * pay only our wallet or allowlisted scripts, and pay a fee within the deadline-dependent
 * bounds of sweepMaxFeeSat: the closer the deadline (HTLC expiry, breach window), the more it
 * may pay, up to the whole swept value at or past it.
 */
import type { Tx } from "../../bitcoin/tx.js";
import { type PolicyConfig, sweepMaxFeeSat } from "../config.js";
import type { Checker } from "../policy.js";
import { isAllowedDestination, type WalletOracle } from "./destination.js";

/** Sequence with BIP 68 disabled and no RBF opt-out: no relative lock, locktime enabled. */
export const SEQUENCE_FINAL = 0xffffffff;
/** BIP 68: bit 31 set disables the relative lock. */
const SEQUENCE_LOCKTIME_DISABLE = 0x80000000;
/** BIP 68: type flag and the 16-bit value; non-zero means a relative lock. */
const SEQUENCE_LOCK_MASK = 0x0040ffff;
/** nLockTime values from here on are UNIX times, not heights. */
const LOCKTIME_THRESHOLD = 500_000_000;

/** What the spent script requires and what the sweep is worth; everything else is in the tx. */
export interface SweepRuleContext {
  config: PolicyConfig;
  isOurWallet: WalletOracle;
  /** The signer's chain height, when it has a chain view. */
  chainHeight: number | undefined;
  /** The input we sign. */
  inputIndex: number;
  /** Relative lock (OP_CSV blocks) the spent script needs; undefined for none. */
  csvBlocks: number | undefined;
  /** Absolute lock (OP_CLTV height) the spent script needs; undefined for none. */
  cltvExpiry: number | undefined;
  /** Blocks left before waiting loses the output (Infinity when nothing races us). */
  blocksToDeadline: number;
  /** Value of every spent output, by input index (ours recomposed, the others the node's). */
  spentValuesSat: readonly bigint[];
  /** Weight of the signed sweep (our witness estimated). */
  weight: number;
  /** Fee and weight of the unconfirmed parent a sweep pays for (anchor CPFP), judged as a package. */
  parent: { feeSat: bigint; weight: number } | undefined;
}

/** True when `sequence` imposes no BIP 68 relative lock on its input. */
export function hasNoRelativeLock(sequence: number): boolean {
  return (sequence & SEQUENCE_LOCKTIME_DISABLE) !== 0 || (sequence & SEQUENCE_LOCK_MASK) === 0;
}

/** Runs every Sweep rule on the node's sweep transaction. */
export function checkSweep(tx: Tx, ctx: SweepRuleContext, c: Checker): void {
  const { config } = ctx;
  c.check(tx.version === 2, "policy-sweep-version", () => `version ${tx.version} is not 2`);

  const seq = tx.inputs[ctx.inputIndex]!.sequence;
  if (ctx.csvBlocks !== undefined) {
    c.check(
      seq === ctx.csvBlocks,
      "policy-sweep-sequence",
      () => `sequence ${seq} is not the script's relative lock of ${ctx.csvBlocks} blocks`,
    );
  } else {
    // A relative lock the script does not need only delays the sweep (and a justice may lose).
    c.check(
      hasNoRelativeLock(seq),
      "policy-sweep-sequence",
      () => `sequence ${seq} adds a relative lock`,
    );
  }
  if (ctx.cltvExpiry !== undefined) {
    c.check(
      seq !== SEQUENCE_FINAL,
      "policy-sweep-sequence",
      "a final sequence disables the locktime the HTLC timeout needs",
    );
    c.check(
      tx.locktime === ctx.cltvExpiry,
      "policy-sweep-locktime",
      () => `locktime ${tx.locktime} is not the HTLC expiry ${ctx.cltvExpiry}`,
    );
  } else {
    // Anti fee-sniping uses the current height; anything later delays the sweep. Without a
    // chain view (Core Lightning's hsmd has none) the height is unknown: any block-height
    // locktime is accepted, since a later one can only delay a sweep the node could withhold
    // anyway, never redirect its value; time-based locktimes stay refused.
    const limit = ctx.chainHeight ?? LOCKTIME_THRESHOLD - 1;
    c.check(
      tx.locktime < LOCKTIME_THRESHOLD && tx.locktime <= limit,
      "policy-sweep-locktime",
      () => `locktime ${tx.locktime} is beyond the current height ${limit}`,
    );
  }

  tx.outputs.forEach((o, i) => {
    c.check(
      isAllowedDestination(o.script, config, ctx.isOurWallet),
      "policy-sweep-destination-allowlisted",
      () => `output ${i} goes neither to our wallet nor to an allowlisted script`,
    );
  });

  let inSat = 0n;
  for (const v of ctx.spentValuesSat) inSat += v;
  let outSat = 0n;
  for (const o of tx.outputs) outSat += o.value;
  if (outSat > inSat) {
    c.fail("policy-sweep-fee-range", () => `outputs (${outSat} sat) exceed inputs (${inSat} sat)`);
    return;
  }
  const parentFee = ctx.parent?.feeSat ?? 0n;
  const fee = inSat - outSat + parentFee;
  const weight = ctx.weight + (ctx.parent?.weight ?? 0);
  const maxFee = sweepMaxFeeSat(config, ctx.blocksToDeadline, weight, inSat + parentFee);
  const feerate = weight > 0 ? (fee * 1000n) / BigInt(weight) : 0n;
  c.check(
    fee <= maxFee && feerate >= BigInt(config.minSweepFeeratePerKw),
    "policy-sweep-fee-range",
    () =>
      `fee ${fee} sat (${feerate} sat/kw over ${weight} wu) outside [${config.minSweepFeeratePerKw} sat/kw, ${maxFee} sat] with ${ctx.blocksToDeadline} blocks to the deadline`,
  );
}
